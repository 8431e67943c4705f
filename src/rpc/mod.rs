//! The protocol core, sans I/O: a request body in, a response body out.
//!
//! `handle` decodes (`jsonrpc`, `xmlrpc`), finds each call's method in
//! the executor's table (`method`: each method declared once, as an
//! `RpcMethod`), binds its params (`args`), authorizes it (`authorize`)
//! and runs its body; introspection is declared here (`introspection`).
//! Refusals (`refusal`) are rendered in the protocol of the request.
//! HTTP lives in `routes::rpc`.

pub mod args;
pub mod body;
mod calls;
pub mod charset;
pub mod error;
mod introspection;
pub mod jsonrpc;
mod later;
pub mod method;
pub mod openrpc;
mod raw_json;
pub mod refusal;
pub mod registry;
pub mod replay;
pub mod xml;
mod xml_answer;
pub mod xmlrpc;

use std::time::{Duration, Instant};

use body::Body;
use calls::{answer, call_one, fits, Budget, Failure};
pub use calls::{call, call_json};
use charset::Charset;
pub use error::{CallError, RpcError};
pub use introspection::{Discover, ListMethods, MethodHelp, MethodSignature, Multicall};
use jsonrpc::{Limits, Reply};
pub use later::{Hold, Later, LaterBody};
use method::Method;
pub use method::{Declared, Spec};
pub use raw_json::{RawJson, Vouch, XmlValue};
pub use refusal::{Denied, Refusal};
use registry::Protocol;
use serde_json::Value;

use crate::domain::{Grants, Principal};

/// What serves the methods: their table, and what the core tells it.
/// Cloned into the rest of a call answered later (`Later`).
pub trait Executor: Sized + Clone + 'static {
    /// Every method it answers, in the order `system.listMethods` lists them.
    fn methods(&self) -> &'static [Declared<Self>];

    /// Where the endpoint is served, for `rpc.discover`.
    fn rpc_path(&self) -> &str {
        "/RPC"
    }

    /// Told of every call once answered: its method (`None` if unknown or
    /// unreadable), the error code it ended with (`None`: success) and how
    /// long it took. For metrics and the failed-call log; the default
    /// ignores it.
    fn observe(&self, _: Protocol, _: Option<Method>, _code: Option<i64>, _took: Duration) {}
}

/// Who is calling, as the HTTP layer established it (wrong credentials
/// never get this far: they are refused before any call runs).
#[derive(Debug, Clone, Default)]
pub struct Caller {
    /// `None` for anonymous callers.
    pub principal: Option<Principal>,
    /// What the user or token may do, per namespace (none for anonymous callers).
    pub grants: Grants,
    /// `server.read_access = "users"`: anonymous callers may not read, and
    /// users read only where they have a grant.
    pub reads_need_user: bool,
    /// The client's address (after `server.trusted_proxies`), for the
    /// audit log; `None` when unknown.
    pub address: Option<std::net::IpAddr>,
    /// What a pulling edge says of itself (its headers), for the fleet
    /// view; `None` when the fleet view is off or the call is no pull.
    /// Boxed: a caller is moved a few times a request, and most are not
    /// edges.
    pub hello: Option<Box<crate::domain::EdgeHello>>,
    /// What the call noted in the fleet view (set by a pull that had a
    /// `hello`), for a replay of its reply to note the same.
    pub noted: std::sync::OnceLock<replay::PullNote>,
}

/// What to send back: a body (`None`: nothing, HTTP 204) and, when the
/// request or its single call was refused, why (which sets the HTTP status).
#[derive(Debug)]
pub struct Answer {
    pub body: Option<Body>,
    pub refusal: Option<Refusal>,
    /// Signed digests of the namespaces whose lists the body holds (the
    /// `Syncdict-Signature` headers).
    pub vouches: Vec<Vouch>,
    /// The body of a held call, to come (then `body` is `None`): always a
    /// 200 whose head goes out now.
    pub later: Option<LaterBody>,
    /// The method of the request's one call when that call is replayable
    /// and succeeded: the reply may be kept (`replay::ReplyMemo`).
    pub replay: Option<Method>,
}

impl Answer {
    /// A refusal rendered in `protocol`: a JSON-RPC error with id null, or
    /// an XML-RPC fault.
    pub fn refused(protocol: Protocol, refusal: Refusal) -> Answer {
        let error = refusal.error();
        let body = match protocol {
            Protocol::Json => single(&Reply::error(jsonrpc::Version::V2, Value::Null, error)),
            Protocol::Xml => xml_answer::fault_body(&error),
        };
        Answer {
            body: Some(body),
            refusal: Some(refusal),
            vouches: Vec::new(),
            later: None,
            replay: None,
        }
    }

    /// A plain answer: `body` (none: HTTP 204) with its vouches.
    fn plain(body: Option<Body>, vouches: Vec<Vouch>) -> Answer {
        Answer {
            body,
            refusal: None,
            vouches,
            later: None,
            replay: None,
        }
    }

    /// The answer of a held call: its body to come.
    fn later(body: LaterBody) -> Answer {
        Answer {
            later: Some(body),
            ..Answer::plain(None, Vec::new())
        }
    }
}

/// A request body as the HTTP layer admitted it.
pub struct Incoming<'a> {
    pub protocol: Protocol,
    pub body: &'a [u8],
    /// The Content-Type's charset (XML-RPC may use ISO-8859-1; JSON is UTF-8).
    pub charset: Option<Charset>,
}

/// Answers a request body in its protocol.
pub async fn handle(
    request: Incoming<'_>,
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Answer {
    match request.protocol {
        Protocol::Json => handle_json(request.body, limits, caller, exec).await,
        Protocol::Xml => {
            xml_answer::handle_xml(request.body, request.charset, limits, caller, exec).await
        }
    }
}

/// Answers a JSON-RPC request body.
async fn handle_json(
    body: &[u8],
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Answer {
    let plain = Answer::plain;
    let started = Instant::now();
    match jsonrpc::decode(body, limits) {
        Err(reply) => {
            let code = reply.outcome.as_ref().err().map(|e| e.code);
            exec.observe(Protocol::Json, None, code, started.elapsed());
            plain(Some(single(&reply)), Vec::new())
        }
        Ok(jsonrpc::Incoming::Single(entry)) => {
            let mut budget = Budget::new(limits);
            let (reply, refusal) = answer(entry, caller, exec, &mut budget).await;
            if let (Some(deferred), Some(reply)) = (budget.deferred.take(), &reply) {
                return Answer::later(deferred.json(exec.clone(), reply.version, reply.id.clone()));
            }
            Answer {
                replay: budget.replayable.filter(|_| reply.is_some()),
                body: reply.map(|r| single(&r)),
                refusal,
                vouches: budget.vouches,
                later: None,
            }
        }
        Ok(jsonrpc::Incoming::Batch(entries)) => {
            let mut replies = Vec::with_capacity(entries.len());
            let mut budget = Budget::for_many(limits);
            for entry in entries {
                replies.extend(answer(entry, caller, exec, &mut budget).await.0);
            }
            plain(jsonrpc::encode_batch(&replies), budget.vouches)
        }
    }
}

fn single(reply: &Reply) -> Body {
    let mut out = Body::new();
    jsonrpc::encode_reply(reply, &mut out);
    out
}

#[cfg(test)]
mod tests;
