//! Calls answered later. A held `records.changes` hands the core the rest
//! of itself as a future that owns all it needs (`Later`), so everything
//! else the request held while it ran (its parsed body, the bound call, the
//! method's own future, actix-web's request and its headers) is freed
//! while it waits. The HTTP layer sends the reply's head at once and its
//! body when the future ends (`Answer::later`).

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use serde_json::Value;

use super::body::Body;
use super::jsonrpc::{self, Reply};
use super::method::Method;
use super::registry::Protocol;
use super::{xml_answer, CallError, Executor, RawJson, RpcError};

/// The rest of a call that is answered later: it owns what it needs.
pub type Later = Pin<Box<dyn Future<Output = Result<RawJson, CallError>>>>;

/// Where a call that may be held leaves the rest of itself: one per JSON-RPC
/// call with an id or XML-RPC call alone in its request; none in a batch, a
/// multicall, a notification or in-process.
#[derive(Default)]
pub struct Hold(Cell<Option<Later>>);

impl Hold {
    /// Leaves `rest` to answer the call: the core awaits it after the
    /// request's own state is gone. Returns what the method returns now
    /// (never sent: the reply is `rest`'s).
    pub fn defer(&self, rest: Later) -> RawJson {
        self.0.set(Some(rest));
        RawJson::from_trusted("null")
    }

    pub(super) fn take(&self) -> Option<Later> {
        self.0.take()
    }
}

/// A reply body still to come (a held call's).
pub struct LaterBody(Pin<Box<dyn Future<Output = Body>>>);

impl LaterBody {
    pub fn into_future(self) -> Pin<Box<dyn Future<Output = Body>>> {
        self.0
    }
}

impl std::fmt::Debug for LaterBody {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LaterBody")
    }
}

/// A deferred call as the core finishes it: observed under its method when
/// it ends (its time includes the wait), its result held to what was left
/// of the request's reply budget, then encoded in the request's protocol.
/// Its head has gone out, so it carries no `Vouch` header: only
/// `records.list` results have one, and it is never held.
pub(super) struct Deferred {
    pub rest: Later,
    pub protocol: Protocol,
    pub method: Method,
    pub started: Instant,
    /// What was left of `server.max_reply` for this request.
    pub left: usize,
}

impl Deferred {
    /// The JSON-RPC reply to the call `id`.
    pub fn json<C: Executor>(self, exec: C, version: jsonrpc::Version, id: Value) -> LaterBody {
        LaterBody(Box::pin(async move {
            let outcome = self.outcome(&exec).await;
            super::single(&Reply {
                version,
                id,
                outcome,
            })
        }))
    }

    /// The XML-RPC `methodResponse`.
    pub fn xml<C: Executor>(self, exec: C) -> LaterBody {
        LaterBody(Box::pin(async move {
            let value = self.outcome(&exec).await;
            match value.and_then(|raw| xml_answer::value_body(&raw)) {
                Ok(value) => xml_answer::method_response(value),
                Err(error) => xml_answer::fault_body(&error),
            }
        }))
    }

    async fn outcome<C: Executor>(self, exec: &C) -> Result<RawJson, RpcError> {
        let outcome = self
            .rest
            .await
            .map_err(RpcError::from)
            .and_then(|raw| super::fits(raw.as_str().len(), self.left).map(|()| raw));
        let code = outcome.as_ref().err().map(|e| e.code);
        exec.observe(
            self.protocol,
            Some(self.method),
            code,
            self.started.elapsed(),
        );
        outcome
    }
}
