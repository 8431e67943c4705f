//! Binding a change set (`records.apply`'s `changes`) and an expiry
//! (`records.put`'s `expires_in`/`expires_at`): the params that describe
//! what a write changes.

use serde_json::Value;

use crate::domain::{ChangeSet, Expiry, RecordKey};
use crate::rpc::args::{kind, string as string_arg};
use crate::rpc::RpcError;

/// `expires_in` or `expires_at` (at most one): the record's expiry, if any.
pub fn expiry_arg(expires_in_v: Value, expires_at_v: Value) -> Result<Option<Expiry>, RpcError> {
    match (expires_in_v, expires_at_v) {
        (Value::Null, Value::Null) => Ok(None),
        (v, Value::Null) => expires_in(v).map(Some),
        (Value::Null, v) => expires_at(v).map(Some),
        _ => Err(RpcError::invalid_params(
            "give expires_in or expires_at, not both".to_string(),
        )),
    }
}

/// Seconds after the write (fractions allowed, at most ten years).
fn expires_in(v: Value) -> Result<Expiry, RpcError> {
    let seconds = v.as_f64().ok_or_else(|| {
        RpcError::invalid_params(format!(
            "\"expires_in\" must be a number of seconds, got {}",
            kind(&v)
        ))
    })?;
    Expiry::after_seconds(seconds).map_err(|e| RpcError::invalid_params(e.to_string()))
}

/// An RFC 3339 time (whether it is ahead is judged at the commit).
fn expires_at(v: Value) -> Result<Expiry, RpcError> {
    let text = string_arg("expires_at", v)?;
    Expiry::at_rfc3339(&text).map_err(|e| RpcError::invalid_params(e.to_string()))
}

/// `{upserts: {key: value, ..}, deletes: [key, ..], expires_in: {key:
/// seconds, ..}, expires_at: {key: time, ..}}`: all optional, no key both
/// upserted and deleted, an expiry only for a key upserted (and one kind
/// per key), no other member.
pub fn change_set(_name: &str, v: Value) -> Result<ChangeSet, RpcError> {
    change_set_arg(v)
}

fn change_set_arg(v: Value) -> Result<ChangeSet, RpcError> {
    let Value::Object(mut map) = v else {
        return Err(RpcError::invalid_params(format!(
            "\"changes\" must be an object {{upserts: {{key: value}}, deletes: [key]}}, got {}",
            kind(&v)
        )));
    };
    let mut set = ChangeSet {
        upserts: upserts_of(map.remove("upserts"))?,
        deletes: deletes_of(map.remove("deletes"))?,
        ..ChangeSet::default()
    };
    for (member, at) in [("expires_in", false), ("expires_at", true)] {
        expiries_of(member, at, map.remove(member), &mut set)?;
    }
    if let Some(extra) = map.keys().next() {
        return Err(RpcError::invalid_params(format!(
            "\"changes\" has an unknown member {extra:?} (expected upserts, deletes, expires_in, expires_at)"
        )));
    }
    set.deletes.sort();
    set.deletes.dedup();
    let upserted: std::collections::HashSet<&RecordKey> =
        set.upserts.iter().map(|(k, _)| k).collect();
    if let Some(both) = set.deletes.iter().find(|k| upserted.contains(k)) {
        return Err(RpcError::invalid_params(format!(
            "key {both:?} is both upserted and deleted"
        )));
    }
    Ok(set)
}

/// `upserts`: `{key: value, ..}`, or nothing.
fn upserts_of(v: Option<Value>) -> Result<Vec<(RecordKey, Value)>, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Object(upserts)) => upserts
            .into_iter()
            .map(|(key, value)| {
                let key = RecordKey::parse(key)
                    .map_err(|why| RpcError::invalid_params(format!("\"upserts\": {why}")))?;
                Ok((key, value))
            })
            .collect(),
        Some(other) => Err(RpcError::invalid_params(format!(
            "\"upserts\" must be an object of key: value, got {}",
            kind(&other)
        ))),
    }
}

/// `deletes`: `[key, ..]`, or nothing.
fn deletes_of(v: Option<Value>) -> Result<Vec<RecordKey>, RpcError> {
    match v {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(keys)) => keys
            .into_iter()
            .map(|key| {
                RecordKey::parse(string_arg("deletes", key)?)
                    .map_err(|why| RpcError::invalid_params(format!("\"deletes\": {why}")))
            })
            .collect(),
        Some(other) => Err(RpcError::invalid_params(format!(
            "\"deletes\" must be an array of keys, got {}",
            kind(&other)
        ))),
    }
}

/// `expires_in` (`at` false: seconds) or `expires_at` (`at` true: times)
/// of `{key: when, ..}`, each for a key `set` upserts, into `set`.
fn expiries_of(
    member: &str,
    at: bool,
    v: Option<Value>,
    set: &mut ChangeSet,
) -> Result<(), RpcError> {
    let expiries = match v {
        None | Some(Value::Null) => return Ok(()),
        Some(Value::Object(expiries)) => expiries,
        Some(other) => {
            return Err(RpcError::invalid_params(format!(
                "\"{member}\" must be an object of key: {}, got {}",
                if at { "time" } else { "seconds" },
                kind(&other)
            )))
        }
    };
    for (key, when) in expiries {
        let key = RecordKey::parse(key)
            .map_err(|why| RpcError::invalid_params(format!("\"{member}\": {why}")))?;
        if !set.upserts.iter().any(|(k, _)| *k == key) {
            return Err(RpcError::invalid_params(format!(
                "\"{member}\" names key {key:?}, which is not upserted"
            )));
        }
        let expiry = if at {
            expires_at(when)?
        } else {
            expires_in(when)?
        };
        if set.expiries.insert(key.clone(), expiry).is_some() {
            return Err(RpcError::invalid_params(format!(
                "key {key:?} has both expires_in and expires_at"
            )));
        }
    }
    Ok(())
}
