//! Every callable method: name, signature, help, and binding params to a typed `Call`.

use serde_json::Value;

use super::error::RpcError;
use super::jsonrpc::Params;
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

/// One method as introspection describes it.
#[derive(Debug)]
pub struct MethodInfo {
    pub name: &'static str,
    pub params: &'static [(&'static str, Ty)],
    pub returns: Ty,
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

/// The registry, in the order `system.listMethods` returns it.
pub static METHODS: &[MethodInfo] = &[
    MethodInfo { name: "records.list", params: &[], returns: Ty::Array,
        help: "Returns every record as {key, value, revision, updated_at}, ordered by key." },
    MethodInfo { name: "records.get", params: &[("key", Ty::String)], returns: Ty::Struct,
        help: "Returns the record stored under key; an error (-32002) if there is none." },
    MethodInfo { name: "records.put", params: &[("key", Ty::String), ("value", Ty::Any)], returns: Ty::Int,
        help: "Stores any JSON value under key (1 to 255 bytes of UTF-8) and returns the new revision." },
    MethodInfo { name: "records.delete", params: &[("key", Ty::String)], returns: Ty::Boolean,
        help: "Deletes the record under key; returns true if it existed, false otherwise." },
    MethodInfo { name: "records.changes", params: &[("since", Ty::Int)], returns: Ty::Struct,
        help: "Returns {revision, full, upserts, deletes}: the net change after revision since. \
               full is true (upserts then hold every record) when since is 0, older than the kept \
               tombstones, or ahead of the store." },
    MethodInfo { name: "testrpc.MyRPC", params: &[], returns: Ty::Array,
        help: "Same as records.list, for clients of the original rpc4django center." },
    MethodInfo { name: "system.listMethods", params: &[], returns: Ty::Array,
        help: "Returns the names of all methods." },
    MethodInfo { name: "system.methodHelp", params: &[("name", Ty::String)], returns: Ty::String,
        help: "Returns the help text of the named method." },
    MethodInfo { name: "system.methodSignature", params: &[("name", Ty::String)], returns: Ty::Array,
        help: "Returns the signatures of the named method: [[return type, param types...]]." },
    MethodInfo { name: "system.multicall", params: &[("calls", Ty::Array)], returns: Ty::Array,
        help: "XML-RPC only: runs each {methodName, params} in order, each judged on its own; returns \
               [result] or a fault struct per call." },
    MethodInfo { name: "rpc.discover", params: &[], returns: Ty::Struct,
        help: "JSON-RPC only: returns the OpenRPC 1.3 document describing these methods." },
];

/// Whether `info` can be called over `protocol`.
pub fn available(info: &MethodInfo, protocol: Protocol) -> bool {
    match info.name {
        "system.multicall" => protocol == Protocol::Xml,
        "rpc.discover" => protocol == Protocol::Json,
        _ => true,
    }
}

/// The methods callable over `protocol`, in registry order.
pub fn methods(protocol: Protocol) -> impl Iterator<Item = &'static MethodInfo> {
    METHODS.iter().filter(move |m| available(m, protocol))
}

/// The method `name` if it is callable over `protocol`.
pub fn lookup(protocol: Protocol, name: &str) -> Option<&'static MethodInfo> {
    methods(protocol).find(|m| m.name == name)
}

/// A method call with its arguments checked and typed.
#[derive(Debug, Clone, PartialEq)]
pub enum Call {
    RecordsList,
    RecordsGet(RecordKey),
    RecordsPut(RecordKey, Value),
    RecordsDelete(RecordKey),
    RecordsChanges(i64),
    TestRpcMyRpc,
    ListMethods,
    MethodHelp(String),
    MethodSignature(String),
    /// XML-RPC `system.multicall`: the raw call structs, judged one by one.
    Multicall(Vec<Value>),
    /// JSON-RPC `rpc.discover`.
    Discover,
}

impl Call {
    /// Whether the call changes the store (and so needs write permission).
    pub fn is_write(&self) -> bool {
        matches!(self, Call::RecordsPut(..) | Call::RecordsDelete(_))
    }
}

/// Resolves `method` and binds `params` (positional or by name) to a `Call`.
pub fn bind(protocol: Protocol, method: &str, params: Params) -> Result<Call, RpcError> {
    let info = lookup(protocol, method).ok_or_else(|| RpcError::method_not_found(method))?;
    let mut args = positional(info, params)?.into_iter();
    let mut next = || args.next().unwrap_or(Value::Null);
    Ok(match info.name {
        "records.list" => Call::RecordsList,
        "records.get" => Call::RecordsGet(key_arg(next())?),
        "records.put" => Call::RecordsPut(key_arg(next())?, next()),
        "records.delete" => Call::RecordsDelete(key_arg(next())?),
        "records.changes" => Call::RecordsChanges(revision_arg(next())?),
        "testrpc.MyRPC" => Call::TestRpcMyRpc,
        "system.listMethods" => Call::ListMethods,
        "system.methodHelp" => Call::MethodHelp(string_arg("name", next())?),
        "system.methodSignature" => Call::MethodSignature(string_arg("name", next())?),
        "rpc.discover" => Call::Discover,
        "system.multicall" => match next() {
            Value::Array(calls) => Call::Multicall(calls),
            other => {
                return Err(RpcError::invalid_params(format!(
                    "\"calls\" must be an array, got {}",
                    kind(&other)
                )))
            }
        },
        other => return Err(RpcError::method_not_found(other)),
    })
}

/// Arranges params in declaration order; exactly as many as declared.
fn positional(info: &MethodInfo, params: Params) -> Result<Vec<Value>, RpcError> {
    let want = info.params.len();
    let names = || {
        info.params
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match params {
        Params::None if want == 0 => Ok(Vec::new()),
        Params::None => Err(RpcError::invalid_params(format!(
            "missing param {:?}",
            info.params[0].0
        ))),
        Params::Positional(values) if values.len() == want => Ok(values),
        Params::Positional(values) if values.len() < want => Err(RpcError::invalid_params(
            format!("missing param {:?}", info.params[values.len()].0),
        )),
        Params::Positional(values) => Err(RpcError::invalid_params(format!(
            "{} takes {want} param{} ({}), got {}",
            info.name,
            if want == 1 { "" } else { "s" },
            names(),
            values.len()
        ))),
        Params::Named(mut map) => {
            let mut values = Vec::with_capacity(want);
            for (name, _) in info.params {
                match map.remove(*name) {
                    Some(v) => values.push(v),
                    None => {
                        return Err(RpcError::invalid_params(format!("missing param {name:?}")))
                    }
                }
            }
            match map.keys().next() {
                Some(extra) => Err(RpcError::invalid_params(format!(
                    "unknown param {extra:?} (expected: {})",
                    names()
                ))),
                None => Ok(values),
            }
        }
    }
}

fn string_arg(name: &str, v: Value) -> Result<String, RpcError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(RpcError::invalid_params(format!(
            "{name:?} must be a string, got {}",
            kind(&other)
        ))),
    }
}

fn key_arg(v: Value) -> Result<RecordKey, RpcError> {
    RecordKey::parse(string_arg("key", v)?)
        .map_err(|why| RpcError::invalid_params(format!("\"key\": {why}")))
}

fn revision_arg(v: Value) -> Result<i64, RpcError> {
    match v.as_i64() {
        Some(n) if n >= 0 => Ok(n),
        _ => {
            let shown: String = v.to_string().chars().take(40).collect();
            Err(RpcError::invalid_params(format!(
                "\"since\" must be a non-negative integer revision, got {shown}"
            )))
        }
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_f64() => "a fractional number",
        Value::Number(_) => "an integer",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
