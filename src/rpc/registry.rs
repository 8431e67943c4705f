//! Every callable method (`Method`, one table of name, params, protocols,
//! permission and help) and the typed `Call` a request binds to
//! (`bind.rs`).

use serde_json::Value;

use crate::domain::RecordKey;

/// XML-RPC type names, as `system.methodSignature` reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Int,
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

/// What a caller needs to call a method.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Anyone, or any user when `server.read_access = "users"`.
    Read,
    /// A user with the write permission.
    Write,
}

/// One method as introspection describes it.
#[derive(Debug)]
pub struct MethodInfo {
    pub name: &'static str,
    pub params: &'static [(&'static str, Ty)],
    pub returns: Ty,
    pub offered: Offered,
    pub permission: Permission,
    pub help: &'static str,
}

impl MethodInfo {
    /// `[return type, param types...]`, one signature per method.
    pub fn signature(&self) -> Vec<&'static str> {
        std::iter::once(self.returns.xmlrpc_name())
            .chain(self.params.iter().map(|(_, t)| t.xmlrpc_name()))
            .collect()
    }
}

impl Method {
    pub const ALL: [Method; 11] = [
        Method::RecordsList,
        Method::RecordsGet,
        Method::RecordsPut,
        Method::RecordsDelete,
        Method::RecordsChanges,
        Method::TestRpcMyRpc,
        Method::ListMethods,
        Method::MethodHelp,
        Method::MethodSignature,
        Method::Multicall,
        Method::Discover,
    ];

    /// The one table: name, params, result, protocols, permission, help.
    pub fn info(self) -> &'static MethodInfo {
        use Offered::*;
        use Permission::*;
        match self {
            Method::RecordsList => &MethodInfo { name: "records.list", params: &[], returns: Ty::Array, offered: Both, permission: Read,
                help: "Returns every record as {key, value, revision, updated_at}, ordered by key." },
            Method::RecordsGet => &MethodInfo { name: "records.get", params: &[("key", Ty::String)], returns: Ty::Struct, offered: Both, permission: Read,
                help: "Returns the record stored under key; an error (-32002) if there is none." },
            Method::RecordsPut => &MethodInfo { name: "records.put", params: &[("key", Ty::String), ("value", Ty::Any)], returns: Ty::Int, offered: Both, permission: Write,
                help: "Stores any JSON value under key (1 to 255 bytes of UTF-8) and returns the new revision." },
            Method::RecordsDelete => &MethodInfo { name: "records.delete", params: &[("key", Ty::String)], returns: Ty::Boolean, offered: Both, permission: Write,
                help: "Deletes the record under key; returns true if it existed, false otherwise." },
            Method::RecordsChanges => &MethodInfo { name: "records.changes", params: &[("since", Ty::Int)], returns: Ty::Struct, offered: Both, permission: Read,
                help: "Returns {revision, full, upserts, deletes}: the net change after revision since. \
                       full is true (upserts then hold every record) when since is 0, older than the kept \
                       tombstones, or ahead of the store." },
            Method::TestRpcMyRpc => &MethodInfo { name: "testrpc.MyRPC", params: &[], returns: Ty::Array, offered: Both, permission: Read,
                help: "The records.list rows, each also under the original model's field names \
                       (name and value), for clients of the original rpc4django center." },
            Method::ListMethods => &MethodInfo { name: "system.listMethods", params: &[], returns: Ty::Array, offered: Both, permission: Read,
                help: "Returns the names of all methods." },
            Method::MethodHelp => &MethodInfo { name: "system.methodHelp", params: &[("name", Ty::String)], returns: Ty::String, offered: Both, permission: Read,
                help: "Returns the help text of the named method." },
            Method::MethodSignature => &MethodInfo { name: "system.methodSignature", params: &[("name", Ty::String)], returns: Ty::Array, offered: Both, permission: Read,
                help: "Returns the signatures of the named method: [[return type, param types...]]." },
            Method::Multicall => &MethodInfo { name: "system.multicall", params: &[("calls", Ty::Array)], returns: Ty::Array, offered: XmlOnly, permission: Read,
                help: "XML-RPC only: runs each {methodName, params} in order, each judged on its own; returns \
                       [result] or a fault struct per call." },
            Method::Discover => &MethodInfo { name: "rpc.discover", params: &[], returns: Ty::Struct, offered: JsonOnly, permission: Read,
                help: "JSON-RPC only: returns the OpenRPC 1.3 document describing these methods." },
        }
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
    List,
    Get(RecordKey),
    Put(RecordKey, Value),
    Delete(RecordKey),
    Changes(i64),
    /// `testrpc.MyRPC`: `records.list` under the original design's name.
    MyRpc,
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
    pub fn permission(&self) -> Permission {
        self.method.info().permission
    }
}
