//! Every callable method (`Method`; its table of name, params, protocols,
//! permission and help is `method_table.rs`) and the typed `Call` a request
//! binds to (`bind.rs`).

use serde_json::Value;

use crate::domain::{ChangeSet, Namespace, RecordKey, Selection};

/// XML-RPC type names, as `system.methodSignature` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Int,
    /// A number, fractions allowed (an `int` is accepted where one is asked).
    Double,
    Boolean,
    Struct,
    Array,
    /// Any value (a record's value): XML-RPC has no name for it; shown as `undef`.
    Any,
}

impl Ty {
    /// The JSON Schema of a value of this type (OpenRPC).
    pub fn json_schema(self) -> Value {
        match self {
            Ty::String => serde_json::json!({"type": "string"}),
            Ty::Int => serde_json::json!({"type": "integer"}),
            Ty::Double => serde_json::json!({"type": "number"}),
            Ty::Boolean => serde_json::json!({"type": "boolean"}),
            Ty::Struct => serde_json::json!({"type": "object"}),
            Ty::Array => serde_json::json!({"type": "array"}),
            Ty::Any => serde_json::json!({}),
        }
    }

    pub fn xmlrpc_name(self) -> &'static str {
        match self {
            Ty::String => "string",
            Ty::Int => "int",
            Ty::Double => "double",
            Ty::Boolean => "boolean",
            Ty::Struct => "struct",
            Ty::Array => "array",
            Ty::Any => "undef",
        }
    }
}

/// The protocol a request came in on; a few methods exist on one only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Json,
    Xml,
}

/// Every method syncdict answers; `ALL` is the order `system.listMethods`
/// returns them in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    RecordsList,
    RecordsGet,
    RecordsPut,
    RecordsDelete,
    RecordsChanges,
    RecordsApply,
    RecordsHistory,
    RecordsAt,
    RecordsSearch,
    NamespacesList,
    NamespacesCreate,
    NamespacesDelete,
    NamespacesSetSchema,
    NamespacesRollback,
    NamespacesTimeline,
    AuditList,
    TokensList,
    TokensAdd,
    TokensRevoke,
    UsersList,
    UsersAdd,
    UsersUpdate,
    UsersRemove,
    FleetList,
    TestRpcMyRpc,
    ListMethods,
    MethodHelp,
    MethodSignature,
    Multicall,
    Discover,
}

/// Which protocols offer a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Offered {
    Both,
    /// `rpc.discover`: the OpenRPC document describes JSON-RPC.
    JsonOnly,
    /// `system.multicall`: JSON-RPC has batches instead.
    XmlOnly,
}

/// What a caller needs to call a method; namespace-scoped permissions are
/// judged on every namespace the call names (`Bound::namespaces`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Anyone (`server.read_access = "public"`), or a user with a grant on
    /// the namespaces read.
    Read,
    /// A user with the write grant on the namespace written.
    Write,
    /// A user with a grant on every namespace (`*`): the audit log spans them all.
    ReadAll,
    /// A user with the write grant on every namespace (`*`): creating and
    /// deleting namespaces.
    WriteAll,
    /// An administrator (a user, never a token): tokens and users.
    Admin,
}

/// One method as introspection describes it.
#[derive(Debug)]
pub struct MethodInfo {
    pub name: &'static str,
    pub params: &'static [(&'static str, Ty)],
    /// How many of `params` are required; the rest may be left out
    /// (positionally from the end, or by name).
    pub required: usize,
    pub returns: Ty,
    pub offered: Offered,
    pub permission: Permission,
    pub help: &'static str,
}

impl MethodInfo {
    /// `[return type, param types...]`, one signature per number of params
    /// a call may pass.
    pub fn signatures(&self) -> Vec<Vec<&'static str>> {
        (self.required..=self.params.len())
            .map(|n| {
                std::iter::once(self.returns.xmlrpc_name())
                    .chain(self.params[..n].iter().map(|(_, t)| t.xmlrpc_name()))
                    .collect()
            })
            .collect()
    }
}

impl Method {
    pub const ALL: [Method; 30] = [
        Method::RecordsList,
        Method::RecordsGet,
        Method::RecordsPut,
        Method::RecordsDelete,
        Method::RecordsChanges,
        Method::RecordsApply,
        Method::RecordsHistory,
        Method::RecordsAt,
        Method::RecordsSearch,
        Method::NamespacesList,
        Method::NamespacesCreate,
        Method::NamespacesDelete,
        Method::NamespacesSetSchema,
        Method::NamespacesRollback,
        Method::NamespacesTimeline,
        Method::AuditList,
        Method::TokensList,
        Method::TokensAdd,
        Method::TokensRevoke,
        Method::UsersList,
        Method::UsersAdd,
        Method::UsersUpdate,
        Method::UsersRemove,
        Method::FleetList,
        Method::TestRpcMyRpc,
        Method::ListMethods,
        Method::MethodHelp,
        Method::MethodSignature,
        Method::Multicall,
        Method::Discover,
    ];

    /// The one table: name, params, result, protocols, permission, help.
    pub fn info(self) -> &'static MethodInfo {
        super::method_table::info(self)
    }

    pub fn name(self) -> &'static str {
        self.info().name
    }

    /// Its position in `ALL` (metrics keep one slot per method).
    pub fn index(self) -> usize {
        self as usize
    }

    /// The method called `name`, whatever the protocol.
    pub fn named(name: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.name() == name)
    }

    pub fn offered_on(self, protocol: Protocol) -> bool {
        match (self.info().offered, protocol) {
            (Offered::Both, _) => true,
            (Offered::JsonOnly, p) => p == Protocol::Json,
            (Offered::XmlOnly, p) => p == Protocol::Xml,
        }
    }
}

/// The methods callable over `protocol`, in `Method::ALL` order.
pub fn methods(protocol: Protocol) -> impl Iterator<Item = Method> {
    Method::ALL
        .into_iter()
        .filter(move |m| m.offered_on(protocol))
}

/// The method `name` if it is callable over `protocol`.
pub fn lookup(protocol: Protocol, name: &str) -> Option<Method> {
    Method::named(name).filter(|m| m.offered_on(protocol))
}

/// A call with its arguments checked and typed: for the store, or answered
/// by the protocol core itself.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    Store(StoreCall),
    Introspect(Introspection),
}

/// A call the store executor runs.
#[derive(Debug, Clone, PartialEq)]
pub enum StoreCall {
    List(Namespace),
    Get(Namespace, RecordKey),
    /// The record's expiry, if the put gives one.
    Put(Namespace, RecordKey, Value, Option<crate::domain::Expiry>),
    Delete(Namespace, RecordKey),
    /// `records.changes`: `None` is the original form (the `default`
    /// namespace, deletes as plain keys); `Every` is each namespace the
    /// caller may read, found when the call runs.
    Changes {
        since: i64,
        namespaces: Option<Selection>,
        /// How long to hold the request while nothing changed (`None`: answer at once).
        wait: Option<std::time::Duration>,
    },
    Apply {
        namespace: Namespace,
        changes: ChangeSet,
        if_revision: Option<i64>,
        /// Kept in the audit log (the console's publish comment).
        comment: String,
    },
    History {
        namespace: Namespace,
        key: RecordKey,
        limit: i64,
    },
    At {
        namespace: Namespace,
        revision: i64,
    },
    /// `records.search`: a page of records by key prefix or substring.
    Search {
        namespace: Namespace,
        search: crate::domain::RecordSearch,
    },
    NamespacesList,
    CreateNamespace {
        namespace: Namespace,
        description: String,
    },
    DeleteNamespace {
        namespace: Namespace,
        force: bool,
    },
    SetSchema {
        namespace: Namespace,
        /// `None` clears it.
        schema: Option<Value>,
    },
    Rollback {
        namespace: Namespace,
        revision: i64,
        /// Refuse if the namespace changed after this (a previewed rollback).
        if_revision: Option<i64>,
        /// Answer the change set without committing it.
        dry_run: bool,
    },
    /// `namespaces.timeline`: the namespace's change sets, newest first.
    Timeline {
        namespace: Namespace,
        before: Option<i64>,
        limit: i64,
    },
    AuditList {
        since: Option<i64>,
        limit: i64,
    },
    /// `testrpc.MyRPC`: `records.list` under the original design's name.
    MyRpc,
    /// `fleet.list`: the edges that pulled within `server.fleet_window`.
    FleetList {
        state: Option<crate::domain::EdgeState>,
        limit: i64,
        offset: i64,
    },
    TokensList,
    /// A new token, shown once in the reply.
    TokensAdd {
        name: crate::domain::TokenName,
        write: bool,
        /// Empty: every namespace.
        scopes: Vec<crate::domain::Scope>,
        expires_in: Option<std::time::Duration>,
    },
    TokensRevoke(crate::domain::TokenName),
    UsersList,
    UsersAdd {
        name: crate::domain::Username,
        password: Secret,
        write: bool,
        admin: bool,
    },
    /// Each field changes what it names; a grant of `None` revokes it.
    UsersUpdate {
        name: crate::domain::Username,
        password: Option<Secret>,
        admin: Option<bool>,
        grants: Vec<(crate::domain::Scope, Option<crate::domain::Level>)>,
    },
    UsersRemove(crate::domain::Username),
}

/// A password in a call: never shown by `Debug`.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl StoreCall {
    /// The namespaces the call reads or writes (judged by `authorize`).
    pub fn namespaces(&self) -> Vec<&Namespace> {
        match self {
            StoreCall::List(ns)
            | StoreCall::Get(ns, _)
            | StoreCall::Put(ns, ..)
            | StoreCall::Delete(ns, _)
            | StoreCall::Apply { namespace: ns, .. }
            | StoreCall::History { namespace: ns, .. }
            | StoreCall::At { namespace: ns, .. }
            | StoreCall::Search { namespace: ns, .. }
            | StoreCall::CreateNamespace { namespace: ns, .. }
            | StoreCall::DeleteNamespace { namespace: ns, .. }
            | StoreCall::SetSchema { namespace: ns, .. }
            | StoreCall::Rollback { namespace: ns, .. }
            | StoreCall::Timeline { namespace: ns, .. } => vec![ns],
            StoreCall::Changes {
                namespaces: Some(selection),
                ..
            } => selection.listed().iter().collect(),
            StoreCall::Changes {
                namespaces: None, ..
            }
            | StoreCall::MyRpc => vec![Namespace::default_ref()],
            StoreCall::NamespacesList
            | StoreCall::AuditList { .. }
            | StoreCall::TokensList
            | StoreCall::TokensAdd { .. }
            | StoreCall::TokensRevoke(_)
            | StoreCall::UsersList
            | StoreCall::UsersAdd { .. }
            | StoreCall::UsersUpdate { .. }
            | StoreCall::UsersRemove(_)
            | StoreCall::FleetList { .. } => vec![],
        }
    }
}

/// A call the protocol core answers from the registry.
#[derive(Debug, Clone, PartialEq)]
pub enum Introspection {
    ListMethods,
    MethodHelp(String),
    MethodSignature(String),
    /// XML-RPC `system.multicall`: the raw call structs, judged one by one.
    Multicall(Vec<Value>),
    /// JSON-RPC `rpc.discover`.
    Discover,
}

/// A bound call and the method it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Bound {
    pub method: Method,
    pub call: Call,
}

impl Bound {
    /// The same call, never held (`records.changes` without its `wait`).
    pub fn without_wait(mut self) -> Bound {
        if let Call::Store(StoreCall::Changes { wait, .. }) = &mut self.call {
            *wait = None;
        }
        self
    }

    pub fn permission(&self) -> Permission {
        self.method.info().permission
    }

    /// The namespaces the call names (none for introspection).
    pub fn namespaces(&self) -> Vec<&Namespace> {
        match &self.call {
            Call::Store(call) => call.namespaces(),
            Call::Introspect(_) => vec![],
        }
    }
}
