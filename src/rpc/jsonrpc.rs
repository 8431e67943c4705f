//! JSON-RPC 2.0 (and 1.0) framing, sans I/O: bytes to requests, replies to bytes.

use serde_json::{Map, Value};

use super::body::Body;
use super::error::RpcError;
use super::RawJson;

/// Limits applied while decoding.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_batch: usize,
    pub max_depth: usize,
    /// `server.max_reply`: bytes of results one request may carry back.
    pub max_reply: usize,
}

/// Which JSON-RPC the client spoke; replies take the same shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// No `"jsonrpc"` member: rpc4django-era clients. Replies carry `result`,
    /// `error` and `id`; an `id` of null makes a notification.
    V1,
    V2,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Params {
    None,
    Positional(Vec<Value>),
    Named(Map<String, Value>),
}

/// A well-formed call. `id: None` makes it a notification: it runs, and
/// nothing is sent back.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    pub version: Version,
    pub id: Option<Value>,
    pub method: String,
    pub params: Params,
}

/// One element of a request: a call, or what was wrong with it.
#[derive(Debug, Clone, PartialEq)]
pub enum Entry {
    Call(Request),
    Invalid {
        version: Version,
        id: Value,
        error: RpcError,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Single(Entry),
    Batch(Vec<Entry>),
}

/// A reply to one call.
#[derive(Debug, Clone)]
pub struct Reply {
    pub version: Version,
    pub id: Value,
    pub outcome: Result<RawJson, RpcError>,
}

impl Reply {
    pub fn error(version: Version, id: Value, error: RpcError) -> Reply {
        Reply {
            version,
            id,
            outcome: Err(error),
        }
    }
}

/// Decodes a request body. An `Err` is the whole answer (a parse error, an
/// empty or oversized batch); element errors stay inside `Incoming`.
pub fn decode(body: &[u8], limits: &Limits) -> Result<Incoming, Reply> {
    let top = |e: RpcError| Reply::error(Version::V2, Value::Null, e);
    let text = std::str::from_utf8(body)
        .map_err(|e| top(RpcError::parse(format!("request is not UTF-8 ({e})"))))?;
    if exceeds_depth(text.as_bytes(), limits.max_depth) {
        return Err(top(RpcError::parse(format!(
            "nesting deeper than {} levels",
            limits.max_depth
        ))));
    }
    // A single call, the usual request, is read straight into its four
    // members (no object tree); anything else, duplicate members included,
    // takes the general path below, which also words every error.
    if text.trim_start().starts_with('{') {
        if let Ok(e) = serde_json::from_str::<Envelope>(text) {
            return Ok(Incoming::Single(entry_of(e, Framing::Single)));
        }
    }
    let value: Value = serde_json::from_str(text).map_err(|e| top(RpcError::parse(e)))?;
    match value {
        Value::Array(items) if items.is_empty() => {
            Err(top(RpcError::invalid_request("empty batch")))
        }
        Value::Array(items) if items.len() > limits.max_batch => {
            Err(top(RpcError::invalid_request(format!(
                "batch of {} calls, at most {} allowed",
                items.len(),
                limits.max_batch
            ))))
        }
        Value::Array(items) => Ok(Incoming::Batch(
            items
                .into_iter()
                .map(|v| entry(v, Framing::Batch))
                .collect(),
        )),
        other => Ok(Incoming::Single(entry(other, Framing::Single))),
    }
}

/// Where an entry stands: alone, or in a batch. A batch is a JSON-RPC 2.0
/// construct, so every element of one is answered in 2.0 shape (one without
/// `"jsonrpc"` still runs, leniently, and an `id` of null is an id there,
/// not a 1.0 notification).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Single,
    Batch,
}

/// A request object's members, each `None` when absent (`Some(Null)` when
/// null); other members are ignored.
#[derive(serde::Deserialize)]
struct Envelope {
    #[serde(default, deserialize_with = "present")]
    id: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    jsonrpc: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    method: Option<Value>,
    #[serde(default, deserialize_with = "present")]
    params: Option<Value>,
}

/// A member that is there, null included.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    serde::Deserialize::deserialize(d).map(Some)
}

fn entry(value: Value, framing: Framing) -> Entry {
    let Value::Object(mut obj) = value else {
        return Entry::Invalid {
            version: Version::V2,
            id: Value::Null,
            error: RpcError::invalid_request("a request must be an object"),
        };
    };
    let envelope = Envelope {
        id: obj.remove("id"),
        jsonrpc: obj.remove("jsonrpc"),
        method: obj.remove("method"),
        params: obj.remove("params"),
    };
    entry_of(envelope, framing)
}

fn entry_of(e: Envelope, framing: Framing) -> Entry {
    let invalid = |version, id, why: &str| Entry::Invalid {
        version,
        id,
        error: RpcError::invalid_request(why),
    };
    let id = e.id;
    let id_ok = matches!(
        id,
        None | Some(Value::Null | Value::String(_) | Value::Number(_))
    );
    let echo = if id_ok {
        id.clone().unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let version = match e.jsonrpc {
        None if framing == Framing::Batch => Version::V2,
        None => Version::V1,
        Some(Value::String(v)) if v == "2.0" => Version::V2,
        Some(_) => return invalid(Version::V2, echo, "\"jsonrpc\" must be \"2.0\""),
    };
    if !id_ok {
        return invalid(
            version,
            Value::Null,
            "\"id\" must be a string, a number or null",
        );
    }
    let method = match e.method {
        Some(Value::String(m)) => m,
        Some(_) => return invalid(version, echo, "\"method\" must be a string"),
        None => return invalid(version, echo, "\"method\" is missing"),
    };
    let params = match (e.params, version) {
        (None, _) => Params::None,
        (Some(Value::Array(a)), _) => Params::Positional(a),
        // 1.0 says array, but Lua encoders (cjson) send `{}` for "no
        // arguments", so 1.0 takes named params as well.
        (Some(Value::Object(o)), _) => Params::Named(o),
        (Some(Value::Null), Version::V1) => Params::None,
        (Some(_), _) => return invalid(version, echo, "\"params\" must be an array or an object"),
    };
    let id = match (version, id) {
        (Version::V1, Some(Value::Null)) => None,
        (_, id) => id,
    };
    Entry::Call(Request {
        version,
        id,
        method,
        params,
    })
}

/// True if arrays/objects nest deeper than `max` (strings are skipped).
fn exceeds_depth(bytes: &[u8], max: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in bytes {
        if in_string {
            match (escaped, b) {
                (true, _) => escaped = false,
                (false, b'\\') => escaped = true,
                (false, b'"') => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > max {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// Writes one reply object (a large result shared, not copied).
pub fn encode_reply(reply: &Reply, out: &mut Body) {
    let id = serde_json::to_string(&reply.id).unwrap_or_else(|_| "null".into());
    let v2 = reply.version == Version::V2;
    out.extend(if v2 { br#"{"jsonrpc":"2.0","# } else { b"{" });
    match &reply.outcome {
        Ok(result) => {
            out.extend(br#""result":"#);
            out.push_json(result);
            if !v2 {
                out.extend(br#","error":null"#);
            }
        }
        Err(e) => {
            if !v2 {
                out.extend(br#""result":null,"#);
            }
            let error = serde_json::json!({ "code": e.code, "message": e.message });
            out.extend(br#""error":"#);
            out.extend(error.to_string().as_bytes());
        }
    }
    out.extend(br#","id":"#);
    out.extend(id.as_bytes());
    out.extend(b"}");
}

/// Writes a batch's replies as an array; `None` if there are none to send.
pub fn encode_batch(replies: &[Reply]) -> Option<Body> {
    if replies.is_empty() {
        return None;
    }
    let mut out = Body::new();
    out.extend(b"[");
    for (i, reply) in replies.iter().enumerate() {
        if i > 0 {
            out.extend(b",");
        }
        encode_reply(reply, &mut out);
    }
    out.extend(b"]");
    Some(out)
}

#[cfg(test)]
#[path = "jsonrpc_tests.rs"]
mod tests;
