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
pub mod xml;
mod xml_answer;
pub mod xmlrpc;

use std::time::{Duration, Instant};

use body::Body;
use charset::Charset;
pub use error::{CallError, RpcError};
pub use introspection::{Discover, ListMethods, MethodHelp, MethodSignature, Multicall};
use jsonrpc::{Entry, Limits, Reply, Request};
use later::Deferred;
pub use later::{Hold, Later, LaterBody};
use method::{lookup, named, Ctx, Method, RpcMethod};
pub use method::{Declared, Spec};
pub use raw_json::{RawJson, Vouch, XmlValue};
pub use refusal::{Denied, Refusal};
use registry::{Permission, Protocol};
use serde_json::Value;

use crate::domain::{Grants, Namespace, Principal};

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
    pub hello: Option<crate::domain::EdgeHello>,
}

/// The single authorization check: every call, alone, in a batch or in a
/// multicall, passes here before it runs, judged on every namespace it names.
fn authorize(
    permission: Permission,
    namespaces: &[&Namespace],
    caller: &Caller,
) -> Result<(), Refusal> {
    let Some(principal) = &caller.principal else {
        return match permission {
            Permission::Read if !caller.reads_need_user => Ok(()),
            _ => Err(Refusal::CredentialsRequired),
        };
    };
    let grants = &caller.grants;
    let denied = |what| {
        Err(Refusal::PermissionDenied {
            principal: principal.clone(),
            what,
        })
    };
    match permission {
        Permission::Read if !caller.reads_need_user => Ok(()),
        Permission::Read | Permission::Member => {
            match namespaces.iter().find(|ns| !grants.may_read(ns)) {
                Some(ns) => denied(Denied::Read((*ns).clone())),
                None => Ok(()),
            }
        }
        Permission::Write => match namespaces.iter().find(|ns| !grants.may_write(ns)) {
            Some(ns) => denied(Denied::Write((*ns).clone())),
            None => Ok(()),
        },
        Permission::ReadAll if grants.may_read_all() => Ok(()),
        Permission::ReadAll => denied(Denied::ReadAll),
        Permission::WriteAll if grants.may_write_all() => Ok(()),
        Permission::WriteAll => denied(Denied::WriteAll),
        Permission::Admin if grants.is_admin() && matches!(principal, Principal::User(_)) => Ok(()),
        Permission::Admin => denied(Denied::Admin),
    }
}

/// What is left of one request's reply budget (`server.max_reply`): every
/// result it carries back, alone, in a batch or in a multicall, is taken
/// from it, and a result that does not fit is an error instead. So a small
/// request cannot make a large reply (a batch of 100 `records.list`).
/// It also gathers the signed digests that vouch for the results taken
/// (one per namespace), for the reply's headers, and offers a call the
/// place to be held (`records.changes` with `wait`): only alone, as a
/// batch or multicall of held calls would take their holds one after
/// another. A call held is `deferred`, answered after the request's own
/// state is gone.
struct Budget {
    left: usize,
    vouches: Vec<Vouch>,
    hold: Option<Hold>,
    deferred: Option<Deferred>,
}

impl Budget {
    fn new(limits: &Limits) -> Budget {
        Budget {
            left: limits.max_reply,
            vouches: Vec::new(),
            hold: Some(Hold::default()),
            deferred: None,
        }
    }

    /// The budget of a batch or multicall: its calls are never held.
    fn for_many(limits: &Limits) -> Budget {
        Budget {
            hold: None,
            ..Budget::new(limits)
        }
    }

    /// `raw`, its size taken from the budget, or why it does not fit.
    fn take(&mut self, raw: RawJson) -> Result<RawJson, RpcError> {
        let size = raw.as_str().len();
        fits(size, self.left)?;
        self.left -= size;
        if let Some(vouch) = raw.vouch() {
            if !self.vouches.contains(vouch) {
                self.vouches.push(vouch.clone());
            }
        }
        Ok(raw)
    }
}

/// Whether a result of `size` bytes fits in what is `left` of a request's
/// reply budget.
fn fits(size: usize, left: usize) -> Result<(), RpcError> {
    if size > left {
        return Err(RpcError::new(
            error::REPLY_TOO_LARGE,
            format!(
                "reply too large: this result is {size} bytes, {left} left of server.max_reply for this request"
            ),
        ));
    }
    Ok(())
}

/// How one call ended when it did not succeed.
#[derive(Debug)]
enum Failure {
    Error(RpcError),
    /// Refused by `authorize`: alone, it sets the HTTP status (401 or 403).
    Refused(Refusal),
}

impl From<RpcError> for Failure {
    fn from(e: RpcError) -> Self {
        Failure::Error(e)
    }
}

impl Failure {
    fn into_error(self) -> RpcError {
        match self {
            Failure::Error(e) => e,
            Failure::Refused(r) => r.error(),
        }
    }

    fn code(&self) -> i64 {
        match self {
            Failure::Error(e) => e.code,
            Failure::Refused(r) => r.error().code,
        }
    }

    fn refusal(&self) -> Option<Refusal> {
        match self {
            Failure::Refused(r) => Some(r.clone()),
            Failure::Error(_) => None,
        }
    }
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
}

impl Answer {
    /// A refusal rendered in `protocol`: a JSON-RPC error with id null, or
    /// an XML-RPC fault.
    pub fn refused(protocol: Protocol, refusal: Refusal) -> Answer {
        let error = refusal.error();
        let body = match protocol {
            Protocol::Json => single(&Reply::error(jsonrpc::Version::V2, Value::Null, error)),
            Protocol::Xml => Body::from(xmlrpc::encode_fault(&error).into_bytes()),
        };
        Answer {
            body: Some(body),
            refusal: Some(refusal),
            vouches: Vec::new(),
            later: None,
        }
    }

    /// A plain answer: `body` (none: HTTP 204) with its vouches.
    fn plain(body: Option<Body>, vouches: Vec<Vouch>) -> Answer {
        Answer {
            body,
            refusal: None,
            vouches,
            later: None,
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

/// The reply to one entry (none for a notification) and, if authorization
/// refused it, why.
async fn answer(
    entry: Entry,
    caller: &Caller,
    exec: &impl Executor,
    budget: &mut Budget,
) -> (Option<Reply>, Option<Refusal>) {
    let request: Request = match entry {
        Entry::Invalid { version, id, error } => {
            exec.observe(Protocol::Json, None, Some(error.code), Duration::ZERO);
            return (Some(Reply::error(version, id, error)), None);
        }
        Entry::Call(request) => request,
    };
    if request.id.is_none() {
        // A notification gets no reply: it is never held.
        budget.hold = None;
    }
    let outcome = call_one(
        Protocol::Json,
        &request.method,
        request.params,
        caller,
        exec,
        budget,
    )
    .await;
    let refusal = outcome.as_ref().err().and_then(Failure::refusal);
    let reply = request.id.map(|id| Reply {
        version: request.version,
        id,
        outcome: outcome.map_err(Failure::into_error),
    });
    (reply, refusal)
}

/// Binds, authorizes and runs one call, takes its result from the
/// request's budget, and reports it to `exec.observe`.
async fn call_one<C: Executor>(
    protocol: Protocol,
    name: &str,
    params: jsonrpc::Params,
    caller: &Caller,
    exec: &C,
    budget: &mut Budget,
) -> Result<RawJson, Failure> {
    let started = Instant::now();
    let found = lookup(exec.methods(), protocol, name);
    let outcome = async {
        let (method, declared) = found.ok_or_else(|| RpcError::method_not_found(name))?;
        let prepared = declared.bind(args::Args::arrange(declared.spec, params)?)?;
        authorize(declared.spec.permission, &prepared.namespaces(), caller)
            .map_err(Failure::Refused)?;
        let ctx = Ctx {
            exec,
            caller,
            method,
            protocol,
            hold: budget.hold.as_ref(),
        };
        let raw = prepared.run(ctx).await.map_err(RpcError::from)?;
        if let Some(rest) = budget.hold.as_ref().and_then(Hold::take) {
            budget.deferred = Some(Deferred {
                rest,
                protocol,
                method,
                started,
                left: budget.left,
            });
            return Ok(raw);
        }
        Ok(budget.take(raw)?)
    }
    .await;
    if budget.deferred.is_some() {
        // Observed when the rest of it ends.
        return outcome;
    }
    let code = outcome.as_ref().err().map(Failure::code);
    // A method the protocol does not offer still counts under its name.
    let method = found
        .or_else(|| named(exec.methods(), name))
        .map(|(m, _)| m);
    exec.observe(protocol, method, code, started.elapsed());
    outcome
}

/// Calls `M` in-process (the console) with typed args: authorized and run
/// as a JSON-RPC call of `caller` would be (the same permission check and
/// body; never held), and observed like any other.
pub async fn call<C: Executor, M: RpcMethod<C>>(
    exec: &C,
    caller: &Caller,
    args: M::Args,
) -> Result<RawJson, RpcError> {
    let started = Instant::now();
    let found = named(exec.methods(), M::SPEC.name).map(|(m, _)| m);
    let outcome = async {
        let Some(method) = found else {
            tracing::error!(method = M::SPEC.name, "method missing from the table");
            return Err(Failure::Error(CallError::Internal.into()));
        };
        authorize(M::SPEC.permission, &M::namespaces(&args), caller).map_err(Failure::Refused)?;
        let ctx = Ctx {
            exec,
            caller,
            method,
            protocol: Protocol::Json,
            hold: None,
        };
        Ok(M::run(ctx, args).await.map_err(RpcError::from)?)
    }
    .await;
    let code = outcome.as_ref().err().map(Failure::code);
    exec.observe(Protocol::Json, found, code, started.elapsed());
    outcome.map_err(Failure::into_error)
}

/// `call` with params as JSON (a positional array or an object by name),
/// bound by `M` as over `/RPC`: the console passes what a form gave.
pub async fn call_json<C: Executor, M: RpcMethod<C>>(
    exec: &C,
    caller: &Caller,
    params: Value,
) -> Result<RawJson, RpcError> {
    let params = match params {
        Value::Array(values) => jsonrpc::Params::Positional(values),
        Value::Object(map) => jsonrpc::Params::Named(map),
        _ => jsonrpc::Params::None,
    };
    let bound = args::Args::arrange(M::SPEC, params).and_then(|mut args| M::bind(&mut args));
    match bound {
        Ok(args) => call::<C, M>(exec, caller, args).await,
        Err(e) => {
            let method = named(exec.methods(), M::SPEC.name).map(|(m, _)| m);
            exec.observe(Protocol::Json, method, Some(e.code), Duration::ZERO);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests;
