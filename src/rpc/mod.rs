//! The protocol core, sans I/O: a request body in, a response body out.
//!
//! `handle_json` decodes (`jsonrpc`), binds each call against the registry
//! (`registry`), authorizes it (`authorize`), answers introspection itself
//! and hands the rest to an `Executor`. HTTP lives in `routes::rpc`.

pub mod error;
pub mod jsonrpc;
pub mod openrpc;
pub mod registry;
pub mod xml;
pub mod xmlrpc;

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use error::{CallError, RpcError};
use jsonrpc::{Entry, Incoming, Limits, Reply, Request};
use registry::{Call, Protocol};
use serde_json::Value;

/// Text known to be valid JSON, cheap to clone (a cached `records.list` is
/// shared by every reply that uses it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawJson(Arc<str>);

impl RawJson {
    /// Wraps text the caller guarantees is one JSON value.
    pub fn from_trusted(text: impl Into<Arc<str>>) -> RawJson {
        RawJson(text.into())
    }

    pub fn of<T: serde::Serialize>(value: &T) -> RawJson {
        RawJson(
            serde_json::to_string(value)
                .unwrap_or_else(|_| "null".into())
                .into(),
        )
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Runs the calls that touch the store.
pub trait Executor {
    fn execute(&self, call: Call) -> impl Future<Output = Result<RawJson, CallError>>;

    /// Where the endpoint is served, for `rpc.discover`.
    fn rpc_path(&self) -> &str {
        "/RPC"
    }

    /// Told of every call once answered: its method as sent (`""` if none
    /// could be read), the error code it ended with (`None`: success) and
    /// how long it took. For metrics; the default ignores it.
    fn observe(&self, _protocol: Protocol, _method: &str, _code: Option<i64>, _took: Duration) {}
}

/// Who is calling, as the HTTP layer established it (wrong credentials
/// never get this far: they are refused with HTTP 401).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// `None` for anonymous callers.
    pub user: Option<String>,
    pub can_write: bool,
    /// `server.read_access = "users"`: anonymous callers may not read.
    pub reads_need_user: bool,
}

/// The single authorization check: every call, alone, in a batch or in a
/// multicall, passes here before it runs.
pub fn authorize(call: &Call, caller: &Caller) -> Result<(), RpcError> {
    let needs_user = call.is_write() || caller.reads_need_user;
    if caller.user.is_none() && needs_user {
        return Err(RpcError::new(
            error::CREDENTIALS_REQUIRED,
            "credentials required",
        ));
    }
    if call.is_write() && !caller.can_write {
        return Err(RpcError::new(
            error::PERMISSION_DENIED,
            "permission denied: this user may not write",
        ));
    }
    Ok(())
}

/// The HTTP status a refused single call maps to (401 or 403).
pub fn refusal_status(error: &RpcError) -> Option<u16> {
    match error.code {
        error::CREDENTIALS_REQUIRED => Some(401),
        error::PERMISSION_DENIED => Some(403),
        _ => None,
    }
}

/// A response body (`None`: send nothing, HTTP 204) and, for a single call
/// refused by `authorize`, the HTTP status to send (401 or 403).
pub struct Answer {
    pub body: Option<Vec<u8>>,
    pub refused: Option<u16>,
}

/// Answers a JSON-RPC request body.
pub async fn handle_json(
    body: &[u8],
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Answer {
    let plain = |body| Answer {
        body,
        refused: None,
    };
    let started = Instant::now();
    match jsonrpc::decode(body, limits) {
        Err(reply) => {
            let code = reply.outcome.as_ref().err().map(|e| e.code);
            exec.observe(Protocol::Json, "", code, started.elapsed());
            plain(Some(single(&reply)))
        }
        Ok(Incoming::Single(entry)) => {
            let (reply, refused) = answer(entry, caller, exec).await;
            Answer {
                body: reply.map(|r| single(&r)),
                refused,
            }
        }
        Ok(Incoming::Batch(entries)) => {
            let mut replies = Vec::with_capacity(entries.len());
            for entry in entries {
                replies.extend(answer(entry, caller, exec).await.0);
            }
            plain(jsonrpc::encode_batch(&replies))
        }
    }
}

fn single(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    jsonrpc::encode_reply(reply, &mut out);
    out
}

/// The reply to one entry (none for a notification) and, if authorization
/// refused it, the matching HTTP status.
async fn answer(
    entry: Entry,
    caller: &Caller,
    exec: &impl Executor,
) -> (Option<Reply>, Option<u16>) {
    let request: Request = match entry {
        Entry::Invalid { version, id, error } => {
            exec.observe(Protocol::Json, "", Some(error.code), Duration::ZERO);
            return (Some(Reply::error(version, id, error)), None);
        }
        Entry::Call(request) => request,
    };
    let outcome = call_one(
        Protocol::Json,
        &request.method,
        request.params,
        caller,
        exec,
    )
    .await;
    let refused = outcome.as_ref().err().and_then(refusal_status);
    let reply = request.id.map(|id| Reply {
        version: request.version,
        id,
        outcome,
    });
    (reply, refused)
}

/// Binds, authorizes and runs one call, and reports it to `exec.observe`.
async fn call_one(
    protocol: Protocol,
    method: &str,
    params: jsonrpc::Params,
    caller: &Caller,
    exec: &impl Executor,
) -> Result<RawJson, RpcError> {
    let started = Instant::now();
    let outcome = async {
        let call = registry::bind(protocol, method, params)?;
        authorize(&call, caller)?;
        run(call, protocol, exec).await
    }
    .await;
    let code = outcome.as_ref().err().map(|e| e.code);
    exec.observe(protocol, method, code, started.elapsed());
    outcome
}

async fn run(call: Call, protocol: Protocol, exec: &impl Executor) -> Result<RawJson, RpcError> {
    let describe = |name: &str| {
        registry::lookup(protocol, name).ok_or_else(|| RpcError::method_not_found(name))
    };
    match call {
        Call::ListMethods => Ok(RawJson::of(
            &registry::methods(protocol)
                .map(|m| m.name)
                .collect::<Vec<_>>(),
        )),
        Call::MethodHelp(name) => Ok(RawJson::of(&describe(&name)?.help)),
        Call::MethodSignature(name) => Ok(RawJson::of(&vec![describe(&name)?.signature()])),
        Call::Multicall(_) => Err(RpcError::invalid_request(
            "system.multicall cannot be nested",
        )),
        Call::Discover => Ok(RawJson::of(&openrpc::document(exec.rpc_path()))),
        other => exec.execute(other).await.map_err(RpcError::from),
    }
}

/// Answers an XML-RPC request body (always a `methodResponse`).
pub async fn handle_xml(
    body: &[u8],
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> (String, Option<u16>) {
    let started = Instant::now();
    let mut method = String::new();
    let outcome = match xmlrpc::decode(body, limits.max_depth * 3 + 4) {
        Err(fault) => Err(fault),
        Ok(call) => {
            method = call.method;
            let params = jsonrpc::Params::Positional(call.params);
            match registry::bind(Protocol::Xml, &method, params) {
                Ok(Call::Multicall(calls)) => multicall(calls, limits, caller, exec).await,
                Ok(call) => match authorize(&call, caller) {
                    Ok(()) => run(call, Protocol::Xml, exec).await,
                    Err(e) => Err(e),
                },
                Err(e) => Err(e),
            }
        }
    };
    let outcome = outcome.and_then(to_value);
    let code = outcome.as_ref().err().map(|e| e.code);
    exec.observe(Protocol::Xml, &method, code, started.elapsed());
    match outcome {
        Ok(result) => (xmlrpc::encode_response(&result), None),
        Err(fault) => (xmlrpc::encode_fault(&fault), refusal_status(&fault)),
    }
}

/// A result as a JSON tree, for the XML-RPC encoder.
fn to_value(raw: RawJson) -> Result<Value, RpcError> {
    serde_json::from_str(raw.as_str())
        .map_err(|_| RpcError::new(error::INTERNAL_ERROR, "internal error"))
}

/// `system.multicall`: each call bound, authorized and run on its own;
/// `[result]` or a fault struct for each, in order.
async fn multicall(
    calls: Vec<Value>,
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Result<RawJson, RpcError> {
    if calls.len() > limits.max_batch {
        return Err(RpcError::invalid_request(format!(
            "multicall of {} calls, at most {} allowed",
            calls.len(),
            limits.max_batch
        )));
    }
    let mut results = Vec::with_capacity(calls.len());
    for call in calls {
        // A nested system.multicall binds like any call and `run` refuses it.
        let outcome = match split_multicall_entry(call) {
            Err(e) => Err(e),
            Ok((method, params)) => call_one(Protocol::Xml, &method, params, caller, exec).await,
        };
        results.push(match outcome.and_then(to_value) {
            Ok(value) => Value::Array(vec![value]),
            Err(fault) => xmlrpc::fault_value(&fault),
        });
    }
    Ok(RawJson::of(&results))
}

/// `{methodName, params}` of one multicall entry.
fn split_multicall_entry(entry: Value) -> Result<(String, jsonrpc::Params), RpcError> {
    let Value::Object(mut fields) = entry else {
        return Err(RpcError::invalid_request(
            "each multicall entry must be a struct",
        ));
    };
    let method = match fields.remove("methodName") {
        Some(Value::String(m)) => m,
        _ => {
            return Err(RpcError::invalid_request(
                "multicall entry without a string methodName",
            ))
        }
    };
    let params = match fields.remove("params") {
        None => jsonrpc::Params::None,
        Some(Value::Array(p)) => jsonrpc::Params::Positional(p),
        Some(_) => {
            return Err(RpcError::invalid_request(
                "multicall params must be an array",
            ))
        }
    };
    Ok((method, params))
}

#[cfg(test)]
mod tests;
