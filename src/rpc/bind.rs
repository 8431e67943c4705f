//! Binding a method name and its params (positional or by name) to a typed
//! `Call`: the one place params are checked, each error naming the param.

use serde_json::Value;

use super::bind_changes::{change_set_arg, expiry_arg};
use super::error::RpcError;
use super::jsonrpc::Params;
use super::registry::{
    lookup, Bound, Call, Introspection, Method, MethodInfo, Protocol, Secret, StoreCall,
};
use crate::domain::{Namespace, RecordKey, Selection, EVERY};

/// Most keys one `records.history` or `audit.list` call returns.
pub const MAX_LIMIT: i64 = 1000;
/// What they return when no limit is given.
const DEFAULT_LIMIT: i64 = 100;

/// Resolves `method` and binds `params` (positional or by name) to a `Call`.
pub fn bind(protocol: Protocol, name: &str, params: Params) -> Result<Bound, RpcError> {
    let method = lookup(protocol, name).ok_or_else(|| RpcError::method_not_found(name))?;
    let mut args = positional(method.info(), params)?.into_iter();
    let mut next = || args.next().unwrap_or(Value::Null);
    let store = Call::Store;
    let introspect = Call::Introspect;
    let call = match method {
        Method::RecordsList => store(StoreCall::List(namespace_arg("namespace", next())?)),
        Method::RecordsGet => {
            let key = key_arg(next())?;
            store(StoreCall::Get(namespace_arg("namespace", next())?, key))
        }
        Method::RecordsPut => {
            let (key, value) = (key_arg(next())?, next());
            let namespace = namespace_arg("namespace", next())?;
            let expiry = expiry_arg(next(), next())?;
            store(StoreCall::Put(namespace, key, value, expiry))
        }
        Method::RecordsDelete => {
            let key = key_arg(next())?;
            store(StoreCall::Delete(namespace_arg("namespace", next())?, key))
        }
        Method::RecordsChanges => store(StoreCall::Changes {
            since: revision_arg("since", next())?,
            namespaces: namespaces_arg(next())?,
            wait: optional(next(), wait_arg)?,
        }),
        Method::RecordsApply => store(StoreCall::Apply {
            changes: change_set_arg(next())?,
            namespace: namespace_arg("namespace", next())?,
            if_revision: optional(next(), |v| revision_arg("if_revision", v))?,
            comment: optional(next(), comment_arg)?.unwrap_or_default(),
        }),
        Method::RecordsHistory => store(StoreCall::History {
            key: key_arg(next())?,
            namespace: namespace_arg("namespace", next())?,
            limit: limit_arg(next())?,
        }),
        Method::RecordsAt => store(StoreCall::At {
            revision: revision_arg("revision", next())?,
            namespace: namespace_arg("namespace", next())?,
        }),
        Method::RecordsSearch => {
            let namespace = namespace_arg("namespace", next())?;
            let text = |name: &'static str, v| optional(v, |v| string_arg(name, v));
            let search = crate::domain::RecordSearch {
                prefix: text("prefix", next())?.filter(|p| !p.is_empty()),
                contains: text("contains", next())?.filter(|c| !c.is_empty()),
                after: text("after", next())?,
                limit: limit_arg(next())? as usize,
            };
            store(StoreCall::Search { namespace, search })
        }
        Method::NamespacesList => store(StoreCall::NamespacesList),
        Method::NamespacesCreate => store(StoreCall::CreateNamespace {
            namespace: required_namespace("name", next())?,
            description: optional(next(), |v| string_arg("description", v))?.unwrap_or_default(),
        }),
        Method::NamespacesDelete => store(StoreCall::DeleteNamespace {
            namespace: required_namespace("name", next())?,
            force: optional(next(), |v| bool_arg("force", v))?.unwrap_or(false),
        }),
        Method::NamespacesSetSchema => store(StoreCall::SetSchema {
            namespace: required_namespace("name", next())?,
            schema: Some(next()).filter(|v| !v.is_null()),
        }),
        Method::NamespacesRollback => store(StoreCall::Rollback {
            namespace: required_namespace("namespace", next())?,
            revision: revision_arg("revision", next())?,
            if_revision: optional(next(), |v| revision_arg("if_revision", v))?,
            dry_run: optional(next(), |v| bool_arg("dry_run", v))?.unwrap_or(false),
        }),
        Method::NamespacesTimeline => store(StoreCall::Timeline {
            namespace: required_namespace("namespace", next())?,
            before: optional(next(), |v| revision_arg("before", v))?,
            limit: limit_arg(next())?,
        }),
        Method::AuditList => store(StoreCall::AuditList {
            since: optional(next(), |v| revision_arg("since_revision", v))?,
            limit: limit_arg(next())?,
        }),
        Method::TestRpcMyRpc => store(StoreCall::MyRpc),
        Method::FleetList => store(StoreCall::FleetList {
            state: optional(next(), edge_state_arg)?,
            limit: limit_arg(next())?,
            offset: optional(next(), |v| match v.as_i64() {
                Some(n) if n >= 0 => Ok(n),
                _ => Err(RpcError::invalid_params(
                    "\"offset\" must be an integer, 0 or more",
                )),
            })?
            .unwrap_or(0),
        }),
        Method::TokensList => store(StoreCall::TokensList),
        Method::TokensAdd => store(StoreCall::TokensAdd {
            name: token_name_arg(next())?,
            write: optional(next(), |v| bool_arg("write", v))?.unwrap_or(false),
            scopes: optional(next(), scopes_arg)?.unwrap_or_default(),
            expires_in: optional(next(), expires_in_arg)?,
        }),
        Method::TokensRevoke => store(StoreCall::TokensRevoke(token_name_arg(next())?)),
        Method::UsersList => store(StoreCall::UsersList),
        Method::UsersAdd => store(StoreCall::UsersAdd {
            name: username_arg(next())?,
            password: Secret(string_arg("password", next())?),
            write: optional(next(), |v| bool_arg("write", v))?.unwrap_or(false),
            admin: optional(next(), |v| bool_arg("admin", v))?.unwrap_or(false),
        }),
        Method::UsersUpdate => store(StoreCall::UsersUpdate {
            name: username_arg(next())?,
            password: optional(next(), |v| string_arg("password", v))?.map(Secret),
            admin: optional(next(), |v| bool_arg("admin", v))?,
            grants: optional(next(), grants_arg)?.unwrap_or_default(),
        }),
        Method::UsersRemove => store(StoreCall::UsersRemove(username_arg(next())?)),
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
    let required = info.required;
    let names = || {
        info.params
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(", ")
    };
    match params {
        Params::None if required == 0 => Ok(Vec::new()),
        Params::None => Err(RpcError::invalid_params(format!(
            "missing param {:?}",
            info.params[0].0
        ))),
        Params::Positional(values) if (required..=want).contains(&values.len()) => Ok(values),
        Params::Positional(values) if values.len() < required => Err(RpcError::invalid_params(
            format!("missing param {:?}", info.params[values.len()].0),
        )),
        Params::Positional(values) => Err(RpcError::invalid_params(format!(
            "{} takes {}{want} param{} ({}), got {}",
            info.name,
            if required < want { "at most " } else { "" },
            if want == 1 { "" } else { "s" },
            names(),
            values.len()
        ))),
        Params::Named(mut map) => {
            let mut values = Vec::with_capacity(want);
            for (i, (name, _)) in info.params.iter().enumerate() {
                match map.remove(*name) {
                    Some(v) => values.push(v),
                    None if i >= required => values.push(Value::Null),
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

pub(super) fn string_arg(name: &str, v: Value) -> Result<String, RpcError> {
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

fn revision_arg(name: &str, v: Value) -> Result<i64, RpcError> {
    match v.as_i64() {
        Some(n) if n >= 0 => Ok(n),
        _ => {
            let shown: String = v.to_string().chars().take(40).collect();
            Err(RpcError::invalid_params(format!(
                "{name:?} must be a non-negative integer revision, got {shown}"
            )))
        }
    }
}

fn bool_arg(name: &str, v: Value) -> Result<bool, RpcError> {
    v.as_bool().ok_or_else(|| {
        RpcError::invalid_params(format!("{name:?} must be a boolean, got {}", kind(&v)))
    })
}

/// An optional param: `null` (or left out) is `None`.
fn optional<T>(
    v: Value,
    parse: impl FnOnce(Value) -> Result<T, RpcError>,
) -> Result<Option<T>, RpcError> {
    match v {
        Value::Null => Ok(None),
        v => parse(v).map(Some),
    }
}

fn required_namespace(name: &str, v: Value) -> Result<Namespace, RpcError> {
    Namespace::parse(string_arg(name, v)?)
        .map_err(|why| RpcError::invalid_params(format!("{name:?}: {why}")))
}

/// An optional namespace param: left out (or null) means `default`.
fn namespace_arg(name: &str, v: Value) -> Result<Namespace, RpcError> {
    Ok(optional(v, |v| required_namespace(name, v))?.unwrap_or_default())
}

/// `records.changes`' list of namespaces: `["*"]` (every one the caller
/// may read), or 1 to `MAX_NAMESPACES_PER_CALL`, each named once.
fn namespaces_arg(v: Value) -> Result<Option<Selection>, RpcError> {
    optional(v, |v| {
        let Value::Array(items) = v else {
            return Err(RpcError::invalid_params(format!(
                "\"namespaces\" must be an array of names, got {}",
                kind(&v)
            )));
        };
        if items.is_empty() || items.len() > MAX_NAMESPACES_PER_CALL {
            return Err(RpcError::invalid_params(format!(
                "\"namespaces\" must name 1 to {MAX_NAMESPACES_PER_CALL} namespaces, got {}",
                items.len()
            )));
        }
        if matches!(items.as_slice(), [Value::String(only)] if only == EVERY) {
            return Ok(Selection::Every);
        }
        let mut out: Vec<Namespace> = items
            .into_iter()
            .map(|v| required_namespace("namespaces", v))
            .collect::<Result<_, _>>()?;
        out.sort();
        out.dedup();
        Ok(Selection::Listed(out))
    })
}

/// Most namespaces one `records.changes` call may name.
pub const MAX_NAMESPACES_PER_CALL: usize = 100;

/// Longest `wait` accepted (a center holds at most `server.max_hold`).
const MAX_WAIT_SECONDS: f64 = 3600.0;

/// `wait`: seconds, fractions allowed, from 0 to an hour.
fn wait_arg(v: Value) -> Result<std::time::Duration, RpcError> {
    match v.as_f64() {
        Some(s) if (0.0..=MAX_WAIT_SECONDS).contains(&s) => {
            Ok(std::time::Duration::from_secs_f64(s))
        }
        _ => Err(RpcError::invalid_params(format!(
            "\"wait\" must be a number of seconds from 0 to {MAX_WAIT_SECONDS}"
        ))),
    }
}

fn username_arg(v: Value) -> Result<crate::domain::Username, RpcError> {
    let text = string_arg("name", v)?;
    crate::domain::Username::parse(&text)
        .map_err(|e| RpcError::invalid_params(format!("\"name\": {e}")))
}

/// `{namespace or *: "read" | "write" | null}`.
fn grants_arg(
    v: Value,
) -> Result<Vec<(crate::domain::Scope, Option<crate::domain::Level>)>, RpcError> {
    use crate::domain::{Level, Scope};
    let Value::Object(map) = v else {
        return Err(RpcError::invalid_params(
            "\"grants\" must be an object {namespace or *: \"read\", \"write\" or null}",
        ));
    };
    map.into_iter()
        .map(|(name, level)| {
            let scope = Scope::parse(&name)
                .map_err(|e| RpcError::invalid_params(format!("\"grants\": {e}")))?;
            let level = match level.as_str() {
                Some("read") => Some(Level::Read),
                Some("write") => Some(Level::Write),
                None if level.is_null() => None,
                _ => {
                    return Err(RpcError::invalid_params(format!(
                        "\"grants\": {name:?} must be \"read\", \"write\" or null"
                    )))
                }
            };
            Ok((scope, level))
        })
        .collect()
}

fn token_name_arg(v: Value) -> Result<crate::domain::TokenName, RpcError> {
    let text = string_arg("name", v)?;
    crate::domain::TokenName::parse(&text)
        .map_err(|e| RpcError::invalid_params(format!("\"name\": {e}")))
}

/// Namespace names or `*`.
fn scopes_arg(v: Value) -> Result<Vec<crate::domain::Scope>, RpcError> {
    let Value::Array(items) = v else {
        return Err(RpcError::invalid_params(
            "\"namespaces\" must be an array of namespace names",
        ));
    };
    items
        .into_iter()
        .map(|item| {
            let text = string_arg("namespaces", item)?;
            crate::domain::Scope::parse(&text)
                .map_err(|e| RpcError::invalid_params(format!("\"namespaces\": {e}")))
        })
        .collect()
}

/// Seconds, above 0 and at most ten years.
fn expires_in_arg(v: Value) -> Result<std::time::Duration, RpcError> {
    match v.as_f64() {
        Some(s) if s > 0.0 && s <= crate::domain::MAX_EXPIRES_IN.as_secs_f64() => {
            Ok(std::time::Duration::from_secs_f64(s))
        }
        _ => Err(RpcError::invalid_params(
            "\"expires_in\" must be a number of seconds above 0 and at most ten years",
        )),
    }
}

/// Longest audit comment, in characters.
pub const MAX_COMMENT: usize = 1000;

fn comment_arg(v: Value) -> Result<String, RpcError> {
    let text = string_arg("comment", v)?;
    if text.chars().count() > MAX_COMMENT {
        return Err(RpcError::invalid_params(format!(
            "\"comment\" is longer than {MAX_COMMENT} characters"
        )));
    }
    Ok(text)
}

fn edge_state_arg(v: Value) -> Result<crate::domain::EdgeState, RpcError> {
    let text = string_arg("state", v)?;
    crate::domain::EdgeState::parse(&text).ok_or_else(|| {
        RpcError::invalid_params("\"state\" must be \"current\", \"lagging\" or \"silent\"")
    })
}

fn limit_arg(v: Value) -> Result<i64, RpcError> {
    let limit = optional(v, |v| match v.as_i64() {
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(RpcError::invalid_params(format!(
            "\"limit\" must be an integer from 1 to {MAX_LIMIT}"
        ))),
    })?;
    Ok(limit.unwrap_or(DEFAULT_LIMIT))
}

pub(super) fn kind(v: &Value) -> &'static str {
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
