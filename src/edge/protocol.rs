//! What an edge sends upstream and how it reads the answer, sans I/O.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::PullError;
use crate::center::Center;
use crate::configuration::JsonRpcVersion;
use crate::domain::{held_ids, parse_rfc3339_us, Namespace, ReleaseId, Selection};
use crate::rpc::method::RpcMethod;
use crate::signing::Signed;

/// One value as the edge keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    /// JSON text.
    pub value: String,
    pub revision: i64,
    pub updated_at_us: i64,
    /// When the center deletes it (µs since the epoch), if it expires.
    pub expires_at_us: Option<i64>,
}

/// One namespace's part of a pull.
#[derive(Debug, Clone, PartialEq)]
pub struct Part {
    pub namespace: Namespace,
    pub upserts: Vec<Item>,
    pub deletes: Vec<String>,
    /// The center's signed digest of the namespace after this part, if it
    /// signs.
    pub signed: Option<Signed>,
}

impl Part {
    /// A part of `namespace`, unsigned.
    pub fn of(namespace: Namespace, upserts: Vec<Item>, deletes: Vec<String>) -> Part {
        Part {
            namespace,
            upserts,
            deletes,
            signed: None,
        }
    }
}

impl Part {
    pub fn is_empty(&self) -> bool {
        self.upserts.is_empty() && self.deletes.is_empty()
    }
}

/// What one successful pull brought: a part per namespace it covers (a
/// namespace not listed is untouched).
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// The upstream revision (`changes` mode), or `None` (`method` mode).
    pub revision: Option<i64>,
    /// True when each part's `upserts` is that namespace's whole dataset.
    pub full: bool,
    pub parts: Vec<Part>,
    /// The gray releases the edge holds once it applies this (a center's
    /// `"gray"`; `None`: as before).
    pub gray: Option<Vec<ReleaseId>>,
}

impl Pulled {
    /// Nothing changed.
    pub fn unchanged() -> Pulled {
        Pulled {
            revision: None,
            full: false,
            parts: Vec::new(),
            gray: None,
        }
    }

    pub fn is_empty_delta(&self) -> bool {
        !self.full && self.parts.iter().all(Part::is_empty)
    }

    /// Upserts over all parts.
    pub fn upserts(&self) -> usize {
        self.parts.iter().map(|p| p.upserts.len()).sum()
    }

    /// Deletes over all parts.
    pub fn deletes(&self) -> usize {
        self.parts.iter().map(|p| p.deletes.len()).sum()
    }

    /// Bytes of keys and values it carries.
    pub fn bytes(&self) -> u64 {
        let mut total = 0;
        for part in &self.parts {
            total += part
                .upserts
                .iter()
                .map(|i| i.key.len() + i.value.len())
                .sum::<usize>();
            total += part.deletes.iter().map(String::len).sum::<usize>();
        }
        total as u64
    }
}

/// FNV-1a of a reply body: a byte-identical reply has the same hash.
pub fn body_hash(bytes: &[u8]) -> u64 {
    super::fnv1a(super::FNV_OFFSET, bytes)
}

/// The JSON-RPC body for `records.changes(since)`, or, for any other set
/// of namespaces than `default` alone, `records.changes(since, namespaces)`
/// (so an edge of the default namespace speaks to a center of any version).
/// The `records.changes` body: the original form when only `default` is
/// pulled; with `wait`, a held pull (`[since, namespaces or null, seconds]`).
pub fn changes_request(
    since: i64,
    namespaces: &Selection,
    wait: Option<std::time::Duration>,
) -> String {
    let original = matches!(namespaces.listed(), [only] if only.is_default());
    let params = match (original, wait) {
        (true, None) => json!([since]),
        (false, None) => json!([since, namespaces]),
        (true, Some(w)) => json!([since, null, w.as_secs_f64()]),
        (false, Some(w)) => json!([since, namespaces, w.as_secs_f64()]),
    };
    let method = <crate::records::Changes as RpcMethod<Center>>::SPEC.name;
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).to_string()
}

/// The JSON-RPC body for a no-argument `method`, 1.0 or 2.0.
pub fn method_request(method: &str, version: JsonRpcVersion) -> String {
    match version {
        JsonRpcVersion::V1 => json!({"method": method, "params": [], "id": 1}),
        JsonRpcVersion::V2 => json!({"jsonrpc": "2.0", "method": method, "params": [], "id": 1}),
    }
    .to_string()
}

/// A JSON-RPC error object as a `PullError`.
pub(super) fn rpc_error(error: &Value) -> PullError {
    PullError::Rpc {
        code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
        message: error
            .get("message")
            .and_then(Value::as_str)
            .unwrap_or("no message")
            .chars()
            .take(200)
            .collect(),
    }
}

impl Item {
    /// As a shard row.
    pub fn row(&self) -> super::shard::Row<'_> {
        super::shard::Row {
            key: &self.key,
            value: &self.value,
            revision: self.revision,
            updated_at_us: self.updated_at_us,
            expires_at_us: self.expires_at_us,
        }
    }
}

/// Reads a `records.changes` reply straight into items (no JSON tree of
/// the dataset is built). A negative revision is malformed.
pub fn parse_changes(body: &[u8]) -> Result<Pulled, PullError> {
    let reply: Reply = serde_json::from_slice(body)
        .map_err(|e| PullError::Malformed(format!("records.changes reply: {e}")))?;
    if let Some(error) = reply.error.filter(|e| !e.is_null()) {
        return Err(rpc_error(&error));
    }
    let changes = reply
        .result
        .ok_or_else(|| PullError::Malformed("reply has neither result nor error".into()))?;
    if changes.revision < 0 {
        return Err(PullError::Malformed(format!(
            "negative revision {}",
            changes.revision
        )));
    }
    let revision = Some(changes.revision);
    let gray = changes.gray.map(|ids| held_ids(ids.into_iter().map(Some)));
    match (changes.namespaces, changes.upserts, changes.deletes) {
        (Some(namespaces), None, None) => Ok(Pulled {
            revision,
            full: changes.full,
            parts: namespaced(namespaces)?,
            gray,
        }),
        (None, Some(upserts), Some(deletes)) => {
            let part = Part {
                signed: changes.signature,
                ..Part::of(Namespace::default(), items(upserts)?, deletes)
            };
            Ok(Pulled {
                revision,
                full: changes.full,
                parts: vec![part],
                gray,
            })
        }
        _ => Err(PullError::Malformed(
            "records.changes reply needs upserts and deletes, or namespaces".into(),
        )),
    }
}

#[derive(serde::Deserialize)]
struct Reply {
    result: Option<ChangesReply>,
    error: Option<Value>,
}

/// The original form (`upserts`, `deletes`: the default namespace) or
/// the namespaced one (`namespaces: {name: {upserts, deletes}}`).
#[derive(serde::Deserialize)]
struct ChangesReply {
    revision: i64,
    full: bool,
    upserts: Option<Vec<Upsert>>,
    deletes: Option<Vec<String>>,
    namespaces: Option<std::collections::BTreeMap<String, PartReply>>,
    signature: Option<Signed>,
    /// The gray releases the edge holds after this reply.
    gray: Option<Vec<i64>>,
}

#[derive(serde::Deserialize)]
struct PartReply {
    upserts: Vec<Upsert>,
    deletes: Vec<String>,
    signature: Option<Signed>,
}

#[derive(serde::Deserialize)]
struct Upsert {
    key: String,
    value: Box<RawValue>,
    revision: i64,
    updated_at: String,
    expires_at: Option<String>,
}

/// Each namespace's part of a namespaced reply.
fn namespaced(
    namespaces: std::collections::BTreeMap<String, PartReply>,
) -> Result<Vec<Part>, PullError> {
    namespaces
        .into_iter()
        .map(|(name, part)| {
            let namespace =
                Namespace::parse(name).map_err(|e| PullError::Malformed(e.to_string()))?;
            Ok(Part {
                namespace,
                upserts: items(part.upserts)?,
                deletes: part.deletes,
                signed: part.signature,
            })
        })
        .collect()
}

/// A reply's upserts as items. An expiry that cannot be read refuses the
/// reply: serving the record forever instead would defeat it.
fn items(upserts: Vec<Upsert>) -> Result<Vec<Item>, PullError> {
    upserts
        .into_iter()
        .map(|u| {
            let expires_at_us = match &u.expires_at {
                None => None,
                Some(t) => Some(parse_rfc3339_us(t).ok_or_else(|| {
                    PullError::Malformed(format!("key {:?}: bad expires_at {t:?}", u.key))
                })?),
            };
            Ok(Item {
                value: u.value.get().to_string(),
                revision: u.revision,
                updated_at_us: parse_rfc3339_us(&u.updated_at).unwrap_or(0),
                expires_at_us,
                key: u.key,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests;
