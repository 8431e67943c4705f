//! What an edge sends upstream and how it reads the answer, sans I/O.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::PullError;
use crate::configuration::JsonRpcVersion;

/// One value as the edge keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub key: String,
    /// JSON text.
    pub value: String,
    pub revision: i64,
    pub updated_at_us: i64,
}

/// What one successful pull brought.
#[derive(Debug, Clone, PartialEq)]
pub struct Pulled {
    /// The upstream revision (`changes` mode), or `None` (`method` mode).
    pub revision: Option<i64>,
    /// True when `upserts` is the whole dataset.
    pub full: bool,
    pub upserts: Vec<Item>,
    pub deletes: Vec<String>,
}

impl Pulled {
    /// Nothing changed.
    pub fn unchanged() -> Pulled {
        Pulled {
            revision: None,
            full: false,
            upserts: Vec::new(),
            deletes: Vec::new(),
        }
    }

    pub fn is_empty_delta(&self) -> bool {
        !self.full && self.upserts.is_empty() && self.deletes.is_empty()
    }

    /// Bytes of keys and values it carries.
    pub fn bytes(&self) -> u64 {
        let upserts: usize = self
            .upserts
            .iter()
            .map(|i| i.key.len() + i.value.len())
            .sum();
        let deletes: usize = self.deletes.iter().map(String::len).sum();
        (upserts + deletes) as u64
    }
}

/// FNV-1a of a reply body: a byte-identical reply has the same hash.
pub fn body_hash(bytes: &[u8]) -> u64 {
    super::fnv1a(super::FNV_OFFSET, bytes)
}

/// The JSON-RPC body for `records.changes(since)`.
pub fn changes_request(since: i64) -> String {
    json!({"jsonrpc": "2.0", "method": "records.changes", "params": [since], "id": 1}).to_string()
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
        }
    }
}

/// Reads a `records.changes` reply straight into items (no JSON tree of
/// the dataset is built). A negative revision is malformed.
pub fn parse_changes(body: &[u8]) -> Result<Pulled, PullError> {
    #[derive(serde::Deserialize)]
    struct Reply {
        result: Option<Changes>,
        error: Option<Value>,
    }
    #[derive(serde::Deserialize)]
    struct Changes {
        revision: i64,
        full: bool,
        upserts: Vec<Upsert>,
        deletes: Vec<String>,
    }
    #[derive(serde::Deserialize)]
    struct Upsert {
        key: String,
        value: Box<RawValue>,
        revision: i64,
        updated_at: String,
    }
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
    let upserts = changes
        .upserts
        .into_iter()
        .map(|u| Item {
            key: u.key,
            value: u.value.get().to_string(),
            revision: u.revision,
            updated_at_us: humantime::parse_rfc3339(&u.updated_at)
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_micros() as i64),
        })
        .collect();
    Ok(Pulled {
        revision: Some(changes.revision),
        full: changes.full,
        upserts,
        deletes: changes.deletes,
    })
}

pub use super::rows::parse_rows;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_changes() {
        let body = br#"{"jsonrpc":"2.0","result":{"revision":7,"full":false,"upserts":[{"key":"a","value":{"x":1},"revision":7,"updated_at":"2026-11-24T15:00:48.579046Z"}],"deletes":["b"]},"id":1}"#;
        let pulled = parse_changes(body).unwrap();
        assert_eq!(pulled.revision, Some(7));
        assert_eq!(pulled.upserts[0].value, r#"{"x":1}"#);
        assert!(pulled.upserts[0].updated_at_us > 0);
        assert_eq!(pulled.deletes, ["b"]);
    }

    #[test]
    fn reads_rows_of_the_original_design() {
        let body = br#"{"result":[{"name":"a","rule":"deny"},{"name":"b","rule":"allow"}],"error":null,"id":1}"#;
        let whole = parse_rows(body, "name", None, 1234).unwrap();
        assert_eq!(whole.upserts[0].value, r#"{"name":"a","rule":"deny"}"#);
        assert_eq!(
            whole.upserts[1].updated_at_us, 1234,
            "stamped with the time given"
        );
        let one = parse_rows(body, "name", Some("rule"), 1234).unwrap();
        assert_eq!(one.upserts[1].value, r#""allow""#);
        assert!(matches!(
            parse_rows(body, "id", None, 1234),
            Err(PullError::Malformed(_))
        ));
    }

    #[test]
    fn errors_and_garbage_are_failures() {
        let err = parse_changes(
            br#"{"jsonrpc":"2.0","error":{"code":-32001,"message":"database unavailable"},"id":1}"#,
        );
        assert!(matches!(err, Err(PullError::Rpc { code: -32001, .. })));
        for garbage in [
            &b"<html>"[..],
            b"{}",
            br#"{"result":{"revision":"x"}}"#,
            br#"{"result":5}"#,
        ] {
            assert!(
                matches!(parse_changes(garbage), Err(PullError::Malformed(_))),
                "{garbage:?}"
            );
        }
        assert!(parse_rows(br#"{"result":{"a":1}}"#, "name", None, 0).is_err());
    }
}
