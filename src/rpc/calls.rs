//! One call, alone, in a batch or in a multicall: bound, authorized
//! (`authorize`, the single check), run, held to the request's reply
//! budget (`Budget`) and observed (`call_one`); a JSON-RPC entry's reply
//! (`answer`); and the console's in-process calls (`call`, `call_json`).

use std::time::{Duration, Instant};

use serde_json::Value;

use super::jsonrpc::{self, Entry, Limits, Reply, Request};
use super::later::Deferred;
use super::method::{lookup, named, Ctx, Method, RpcMethod};
use super::registry::{Permission, Protocol};
use super::{
    args, error, CallError, Caller, Denied, Executor, Hold, RawJson, Refusal, RpcError, Vouch,
};
use crate::domain::{Namespace, Principal};

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
pub(super) struct Budget {
    pub(super) left: usize,
    pub(super) vouches: Vec<Vouch>,
    pub(super) hold: Option<Hold>,
    pub(super) deferred: Option<Deferred>,
    /// The method of a call alone that may be replayed, once it succeeded.
    pub(super) replayable: Option<Method>,
}

impl Budget {
    pub(super) fn new(limits: &Limits) -> Budget {
        Budget {
            left: limits.max_reply,
            vouches: Vec::new(),
            hold: Some(Hold::default()),
            deferred: None,
            replayable: None,
        }
    }

    /// The budget of a batch or multicall: its calls are never held.
    pub(super) fn for_many(limits: &Limits) -> Budget {
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
pub(super) fn fits(size: usize, left: usize) -> Result<(), RpcError> {
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
pub(super) enum Failure {
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
    pub(super) fn into_error(self) -> RpcError {
        match self {
            Failure::Error(e) => e,
            Failure::Refused(r) => r.error(),
        }
    }

    pub(super) fn code(&self) -> i64 {
        match self {
            Failure::Error(e) => e.code,
            Failure::Refused(r) => r.error().code,
        }
    }

    pub(super) fn refusal(&self) -> Option<Refusal> {
        match self {
            Failure::Refused(r) => Some(r.clone()),
            Failure::Error(_) => None,
        }
    }
}

/// The reply to one entry (none for a notification) and, if authorization
/// refused it, why.
pub(super) async fn answer(
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
pub(super) async fn call_one<C: Executor>(
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
        let raw = budget.take(raw)?;
        if declared.replayable && budget.hold.is_some() {
            budget.replayable = Some(method);
        }
        Ok(raw)
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
