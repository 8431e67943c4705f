//! A call's params as a method binds them: `Args` hands them out in the
//! order its spec declares, positional or by name, so every error names
//! the param it is about. The parsers shared by many methods live here;
//! one resource's own (grants, change sets) live with it.

use serde_json::Value;

use super::error::RpcError;
use super::jsonrpc::Params;
use super::registry::Spec;
use crate::domain::{Namespace, RecordKey};

/// Most rows one call of a listing method returns (`limit`).
pub const MAX_LIMIT: i64 = 1000;
/// What they return when no limit is given.
const DEFAULT_LIMIT: i64 = 100;
/// Longest audit comment, in characters.
pub const MAX_COMMENT: usize = 1000;

/// Parses one param's value; `name` is the param's, for the error.
pub type Parse<T> = fn(&str, Value) -> Result<T, RpcError>;

/// The params of one call, in declaration order.
pub struct Args {
    values: std::vec::IntoIter<Value>,
    spec: &'static Spec,
    at: usize,
}

impl Args {
    /// Arranges `params` in `spec`'s order: as many as it declares, the
    /// required ones present, no name it does not know.
    pub fn arrange(spec: &'static Spec, params: Params) -> Result<Args, RpcError> {
        let values = positional(spec, params)?;
        Ok(Args {
            values: values.into_iter(),
            spec,
            at: 0,
        })
    }

    /// Whether every declared param was read.
    pub fn is_done(&self) -> bool {
        self.at == self.spec.params.len()
    }

    /// The next param: its name and value (`null` when left out).
    pub fn take(&mut self) -> (&'static str, Value) {
        let name = self.spec.params.get(self.at).map_or("", |(n, _)| *n);
        self.at += 1;
        (name, self.values.next().unwrap_or(Value::Null))
    }

    /// The next param's value as it came (any JSON value).
    pub fn value(&mut self) -> Value {
        self.take().1
    }

    /// The next param, which must be there.
    pub fn required<T>(&mut self, parse: Parse<T>) -> Result<T, RpcError> {
        let (name, value) = self.take();
        parse(name, value)
    }

    /// The next param, if given (`null` is not given).
    pub fn optional<T>(&mut self, parse: Parse<T>) -> Result<Option<T>, RpcError> {
        match self.take() {
            (_, Value::Null) => Ok(None),
            (name, value) => parse(name, value).map(Some),
        }
    }

    /// The next param, or `default` when not given.
    pub fn or<T>(&mut self, parse: Parse<T>, default: T) -> Result<T, RpcError> {
        Ok(self.optional(parse)?.unwrap_or(default))
    }

    /// An optional namespace: left out means `default`.
    pub fn namespace(&mut self) -> Result<Namespace, RpcError> {
        Ok(self.optional(namespace)?.unwrap_or_default())
    }

    /// An optional `limit`, from 1 to `MAX_LIMIT` (default 100).
    pub fn limit(&mut self) -> Result<i64, RpcError> {
        self.or(limit, DEFAULT_LIMIT)
    }
}

/// Arranges params in declaration order; exactly as many as declared.
fn positional(spec: &Spec, params: Params) -> Result<Vec<Value>, RpcError> {
    let want = spec.params.len();
    let required = spec.required;
    let names = || {
        let names: Vec<&str> = spec.params.iter().map(|(n, _)| *n).collect();
        names.join(", ")
    };
    match params {
        Params::None if required == 0 => Ok(Vec::new()),
        Params::None => Err(RpcError::invalid_params(format!(
            "missing param {:?}",
            spec.params[0].0
        ))),
        Params::Positional(values) if (required..=want).contains(&values.len()) => Ok(values),
        Params::Positional(values) if values.len() < required => Err(RpcError::invalid_params(
            format!("missing param {:?}", spec.params[values.len()].0),
        )),
        Params::Positional(values) => Err(RpcError::invalid_params(format!(
            "{} takes {}{want} param{} ({}), got {}",
            spec.name,
            if required < want { "at most " } else { "" },
            if want == 1 { "" } else { "s" },
            names(),
            values.len()
        ))),
        Params::Named(mut map) => {
            let mut values = Vec::with_capacity(want);
            for (i, (name, _)) in spec.params.iter().enumerate() {
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

pub fn string(name: &str, v: Value) -> Result<String, RpcError> {
    match v {
        Value::String(s) => Ok(s),
        other => Err(RpcError::invalid_params(format!(
            "{name:?} must be a string, got {}",
            kind(&other)
        ))),
    }
}

pub fn key(name: &str, v: Value) -> Result<RecordKey, RpcError> {
    RecordKey::parse(string(name, v)?)
        .map_err(|why| RpcError::invalid_params(format!("{name:?}: {why}")))
}

pub fn namespace(name: &str, v: Value) -> Result<Namespace, RpcError> {
    Namespace::parse(string(name, v)?)
        .map_err(|why| RpcError::invalid_params(format!("{name:?}: {why}")))
}

/// A revision: an integer, 0 or more.
pub fn revision(name: &str, v: Value) -> Result<i64, RpcError> {
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

/// A count to skip: an integer, 0 or more.
pub fn offset(name: &str, v: Value) -> Result<i64, RpcError> {
    match v.as_i64() {
        Some(n) if n >= 0 => Ok(n),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be an integer, 0 or more"
        ))),
    }
}

pub fn boolean(name: &str, v: Value) -> Result<bool, RpcError> {
    v.as_bool().ok_or_else(|| {
        RpcError::invalid_params(format!("{name:?} must be a boolean, got {}", kind(&v)))
    })
}

pub fn limit(name: &str, v: Value) -> Result<i64, RpcError> {
    match v.as_i64() {
        Some(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be an integer from 1 to {MAX_LIMIT}"
        ))),
    }
}

/// An array of strings.
pub fn strings(name: &str, v: Value) -> Result<Vec<String>, RpcError> {
    let Value::Array(items) = v else {
        return Err(RpcError::invalid_params(format!(
            "{name:?} must be an array of strings, got {}",
            kind(&v)
        )));
    };
    items.into_iter().map(|i| string(name, i)).collect()
}

/// An audit comment, at most `MAX_COMMENT` characters.
pub fn comment(name: &str, v: Value) -> Result<String, RpcError> {
    let text = string(name, v)?;
    if text.chars().count() > MAX_COMMENT {
        return Err(RpcError::invalid_params(format!(
            "{name:?} is longer than {MAX_COMMENT} characters"
        )));
    }
    Ok(text)
}

/// What kind of JSON value `v` is, for errors.
pub fn kind(v: &Value) -> &'static str {
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
