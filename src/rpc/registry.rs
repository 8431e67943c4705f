//! A method's `Spec` (everything about it but its body) and the words it
//! is written in: param and result types (`Ty`), the protocols
//! (`Protocol`, `Offered`) and what a caller needs (`Permission`).

use serde_json::Value;

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
/// judged on every namespace the call names (`RpcMethod::namespaces`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Anyone (`server.read_access = "public"`), or a user with a grant on
    /// the namespaces read.
    Read,
    /// A user or token with a read grant on the namespaces read, whatever
    /// `server.read_access` says (change requests are never public).
    Member,
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

/// Everything about a method but its body.
#[derive(Debug)]
pub struct Spec {
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

impl Spec {
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

    pub fn offered_on(&self, protocol: Protocol) -> bool {
        match (self.offered, protocol) {
            (Offered::Both, _) => true,
            (Offered::JsonOnly, p) => p == Protocol::Json,
            (Offered::XmlOnly, p) => p == Protocol::Xml,
        }
    }
}
