//! What an edge sends upstream and how it reads the answer, sans I/O.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::PullError;
use crate::domain::now_us;

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

/// The JSON-RPC body for `records.changes(since)`.
pub fn changes_request(since: i64) -> String {
    json!({"jsonrpc": "2.0", "method": "records.changes", "params": [since], "id": 1}).to_string()
}

/// The JSON-RPC body for a no-argument `method`, 1.0 or 2.0.
pub fn method_request(method: &str, version: &str) -> String {
    match version {
        "1.0" => json!({"method": method, "params": [], "id": 1}),
        _ => json!({"jsonrpc": "2.0", "method": method, "params": [], "id": 1}),
    }
    .to_string()
}

/// The `result` of a JSON-RPC reply, or the error it carries.
fn result_of(body: &[u8]) -> Result<Value, PullError> {
    let mut reply: Value = serde_json::from_slice(body)
        .map_err(|e| PullError::Malformed(format!("reply is not JSON: {e}")))?;
    if let Some(error) = reply.get("error").filter(|e| !e.is_null()) {
        return Err(PullError::Rpc {
            code: error.get("code").and_then(Value::as_i64).unwrap_or(0),
            message: error
                .get("message")
                .and_then(Value::as_str)
                .unwrap_or("no message")
                .chars()
                .take(200)
                .collect(),
        });
    }
    match reply.get_mut("result") {
        Some(result) => Ok(result.take()),
        None => Err(PullError::Malformed(
            "reply has neither result nor error".into(),
        )),
    }
}

/// Reads a `records.changes` reply.
pub fn parse_changes(body: &[u8]) -> Result<Pulled, PullError> {
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
    let changes: Changes = serde_json::from_value(result_of(body)?)
        .map_err(|e| PullError::Malformed(format!("records.changes result: {e}")))?;
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

/// Reads a `method`-mode reply: an array of objects keyed by `key_field`.
pub fn parse_rows(
    body: &[u8],
    key_field: &str,
    value_field: Option<&str>,
) -> Result<Pulled, PullError> {
    let Value::Array(rows) = result_of(body)? else {
        return Err(PullError::Malformed("result is not an array".into()));
    };
    let now = now_us();
    let mut upserts = Vec::with_capacity(rows.len());
    for (i, row) in rows.into_iter().enumerate() {
        let Value::Object(mut fields) = row else {
            return Err(PullError::Malformed(format!("row {i} is not an object")));
        };
        let key = match fields.get(key_field) {
            Some(Value::String(s)) => s.clone(),
            Some(v @ Value::Number(_)) => v.to_string(),
            _ => {
                return Err(PullError::Malformed(format!(
                    "row {i} has no string {key_field:?} field"
                )))
            }
        };
        let value = match value_field {
            Some(field) => fields.remove(field).ok_or_else(|| {
                PullError::Malformed(format!("row {i} ({key:?}) has no {field:?} field"))
            })?,
            None => Value::Object(fields),
        };
        upserts.push(Item {
            key,
            value: value.to_string(),
            revision: 0,
            updated_at_us: now,
        });
    }
    Ok(Pulled {
        revision: None,
        full: true,
        upserts,
        deletes: Vec::new(),
    })
}

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
        let whole = parse_rows(body, "name", None).unwrap();
        assert_eq!(whole.upserts[0].value, r#"{"name":"a","rule":"deny"}"#);
        let one = parse_rows(body, "name", Some("rule")).unwrap();
        assert_eq!(one.upserts[1].value, r#""allow""#);
        assert!(matches!(
            parse_rows(body, "id", None),
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
        assert!(parse_rows(br#"{"result":{"a":1}}"#, "name", None).is_err());
    }
}
