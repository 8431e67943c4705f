//! Binding a method name and its params (positional or by name) to a typed
//! `Call`: the one place params are checked, each error naming the param.

use serde_json::Value;

use super::error::RpcError;
use super::jsonrpc::Params;
use super::registry::{
    lookup, Bound, Call, Introspection, Method, MethodInfo, Protocol, StoreCall,
};
use crate::domain::RecordKey;

/// Resolves `method` and binds `params` (positional or by name) to a `Call`.
pub fn bind(protocol: Protocol, name: &str, params: Params) -> Result<Bound, RpcError> {
    let method = lookup(protocol, name).ok_or_else(|| RpcError::method_not_found(name))?;
    let mut args = positional(method.info(), params)?.into_iter();
    let mut next = || args.next().unwrap_or(Value::Null);
    let store = Call::Store;
    let introspect = Call::Introspect;
    let call = match method {
        Method::RecordsList => store(StoreCall::List),
        Method::RecordsGet => store(StoreCall::Get(key_arg(next())?)),
        Method::RecordsPut => store(StoreCall::Put(key_arg(next())?, next())),
        Method::RecordsDelete => store(StoreCall::Delete(key_arg(next())?)),
        Method::RecordsChanges => store(StoreCall::Changes(revision_arg(next())?)),
        Method::TestRpcMyRpc => store(StoreCall::MyRpc),
        Method::ListMethods => introspect(Introspection::ListMethods),
        Method::MethodHelp => introspect(Introspection::MethodHelp(string_arg("name", next())?)),
        Method::MethodSignature => {
            introspect(Introspection::MethodSignature(string_arg("name", next())?))
        }
        Method::Discover => introspect(Introspection::Discover),
        Method::Multicall => match next() {
            Value::Array(calls) => introspect(Introspection::Multicall(calls)),
            other => {
                return Err(RpcError::invalid_params(format!(
                    "\"calls\" must be an array, got {}",
                    kind(&other)
                )))
            }
        },
    };
    Ok(Bound { method, call })
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
