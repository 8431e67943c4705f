//! The protocol core, sans I/O: a request body in, a response body out.
//!
//! `handle_json` decodes (`jsonrpc`), binds each call against the registry
//! (`registry`), authorizes it (`authorize`), answers introspection itself
//! and hands the rest to an `Executor`. HTTP lives in `routes::rpc`.

pub mod error;
pub mod jsonrpc;
pub mod registry;
pub mod xml;
pub mod xmlrpc;

use std::future::Future;
use std::sync::Arc;

pub use error::{CallError, RpcError};
use jsonrpc::{Entry, Incoming, Limits, Reply, Request};
use registry::{Call, METHODS};

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
}

/// Who is calling. Writes are open until users arrive; every call passes
/// through `authorize`, the one place that will decide.
#[derive(Debug, Clone, Default)]
pub struct Caller;

/// The single authorization check.
pub fn authorize(_call: &Call, _caller: &Caller) -> Result<(), RpcError> {
    Ok(())
}

/// Answers a JSON-RPC request body; `None` means send nothing (HTTP 204).
pub async fn handle_json(
    body: &[u8],
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Option<Vec<u8>> {
    match jsonrpc::decode(body, limits) {
        Err(reply) => Some(single(&reply)),
        Ok(Incoming::Single(entry)) => answer(entry, caller, exec).await.map(|r| single(&r)),
        Ok(Incoming::Batch(entries)) => {
            let mut replies = Vec::with_capacity(entries.len());
            for entry in entries {
                replies.extend(answer(entry, caller, exec).await);
            }
            jsonrpc::encode_batch(&replies)
        }
    }
}

fn single(reply: &Reply) -> Vec<u8> {
    let mut out = Vec::with_capacity(128);
    jsonrpc::encode_reply(reply, &mut out);
    out
}

async fn answer(entry: Entry, caller: &Caller, exec: &impl Executor) -> Option<Reply> {
    let request: Request = match entry {
        Entry::Invalid { version, id, error } => return Some(Reply::error(version, id, error)),
        Entry::Call(request) => request,
    };
    let outcome = match registry::bind(&request.method, request.params) {
        Err(e) => Err(e),
        Ok(call) => match authorize(&call, caller) {
            Err(e) => Err(e),
            Ok(()) => run(call, exec).await,
        },
    };
    let id = request.id?;
    Some(Reply {
        version: request.version,
        id,
        outcome,
    })
}

async fn run(call: Call, exec: &impl Executor) -> Result<RawJson, RpcError> {
    let describe =
        |name: &str| registry::lookup(name).ok_or_else(|| RpcError::method_not_found(name));
    match call {
        Call::ListMethods => Ok(RawJson::of(
            &METHODS.iter().map(|m| m.name).collect::<Vec<_>>(),
        )),
        Call::MethodHelp(name) => Ok(RawJson::of(&describe(&name)?.help)),
        Call::MethodSignature(name) => Ok(RawJson::of(&vec![describe(&name)?.signature()])),
        other => exec.execute(other).await.map_err(RpcError::from),
    }
}

#[cfg(test)]
mod tests;
