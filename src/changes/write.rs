//! `changes.propose`, `changes.review`, `changes.publish` and
//! `changes.withdraw`.

use serde_json::{json, Value};

use super::access::{self, Needs};
use super::read::{id, request};
use crate::center::{db_failure, origin, Center, GrayStep, StepBy};
use crate::db::change_requests::Stop;
use crate::db::executor::{Propose as Store, Review as Judge, Withdraw as TakeBack};
use crate::domain::{ChangeSet, Namespace, Passage, Publication, RequestId, Verdict, WriteOrigin};
use crate::records::bind::change_set;
use crate::rpc::args::{self, Args};
use crate::rpc::error::PERMISSION_DENIED;
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::*, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct Propose;

impl RpcMethod<Center> for Propose {
    const SPEC: &'static Spec = &Spec {
        name: "changes.propose",
        params: &[("namespace", Ty::String), ("changes", Ty::Struct), ("comment", Ty::String)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Proposes changes (records.apply's shape) for namespace, made on its current revision, with a \
               comment (at most 1000 characters); returns {id}. A namespace holds at most 100 open requests.",
    };
    type Args = (Namespace, ChangeSet, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        let changes = a.required(change_set)?;
        if changes.is_empty() {
            return Err(RpcError::invalid_params("\"changes\" changes nothing"));
        }
        Ok((ns, changes, a.or(args::comment, String::new())?))
    }

    fn namespaces((ns, _, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (ns, changes, comment): Self::Args,
    ) -> Result<RawJson, CallError> {
        let author = access::principal(ctx.caller)?.to_string();
        ctx.exec.refuse_plaintext(&ns, &changes).await?;
        let stored = ctx
            .exec
            .ask(Store {
                namespace: ns.clone(),
                author,
                changes: changes.to_json().to_string(),
                comment,
            })
            .await?
            .map_err(db_failure)?;
        let id = stored.map_err(|stop| stopped(stop, RequestId(0), &ns))?;
        Ok(RawJson::of(&json!({ "id": id })))
    }
}

pub struct Review;

impl RpcMethod<Center> for Review {
    const SPEC: &'static Spec = &Spec {
        name: "changes.review",
        params: &[("id", Ty::Int), ("verdict", Ty::String), ("comment", Ty::String)],
        required: 2,
        returns: Ty::Boolean,
        offered: Both,
        permission: Write,
        help: "Reviews an open change request: verdict approve or reject, with a comment. Needs write \
               permission on its namespace; its author cannot review it (-32015). A second verdict by the \
               same reviewer replaces the first; a rejection closes the request and aborts its active gray \
               release, if any.",
    };
    type Args = (RequestId, Verdict, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((
            a.required(id)?,
            a.required(verdict)?,
            a.or(args::comment, String::new())?,
        ))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (id, verdict, comment): Self::Args,
    ) -> Result<RawJson, CallError> {
        let found = request(&ctx, id, Needs::Write).await?;
        let reviewer = access::principal(ctx.caller)?.to_string();
        let judged = ctx
            .exec
            .ask(Judge {
                id,
                reviewer,
                verdict,
                comment,
            })
            .await?
            .map_err(db_failure)?;
        let ns = namespace_of(&found.request.namespace)?;
        let aborted = judged.map_err(|stop| stopped(stop, id, &ns))?;
        ended_release(ctx.exec, aborted);
        Ok(RawJson::of(&true))
    }
}

pub struct Publish;

impl RpcMethod<Center> for Publish {
    const SPEC: &'static Spec = &Spec {
        name: "changes.publish",
        params: &[("id", Ty::Int), ("break_glass", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Publishes an open change request as one revision once its approvals reach the namespace's \
               policy: {revision, upserts, deletes}. Refused (-32009) naming the keys if one it touches changed \
               since it was proposed. An administrator may publish without the approvals by giving the reason \
               as break_glass; the audit log records it.",
    };
    type Args = (RequestId, Option<String>);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let id = a.required(id)?;
        let reason = a.optional(args::comment)?;
        if reason.as_deref().is_some_and(|r| r.trim().is_empty()) {
            return Err(RpcError::invalid_params(
                "\"break_glass\" must state a reason",
            ));
        }
        Ok((id, reason))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (id, reason): Self::Args) -> Result<RawJson, CallError> {
        let found = request(&ctx, id, Needs::Write).await?;
        if reason.is_some() && !access::is_admin(ctx.caller) {
            return Err(CallError::Rpc(RpcError::new(
                PERMISSION_DENIED,
                "permission denied: only an administrator may publish without reviews",
            )));
        }
        let approved = super::view::approvals(&found.reviews, &found.request.author) as i64;
        let breaks_glass = reason.is_some() && approved < found.reviews_required;
        let released = found
            .release
            .as_ref()
            .is_some_and(|(_, state)| state == "active");
        let request = found.request;
        let ns = namespace_of(&request.namespace)?;
        let stored: Value =
            serde_json::from_str(&request.changes).map_err(|_| CallError::Internal)?;
        let changes = change_set("changes", stored).map_err(CallError::Rpc)?;
        let origin = WriteOrigin {
            author: request.author,
            comment: request.comment,
            ..origin(&ctx)
        };
        let publication = Publication {
            request: id,
            publisher: access::principal(ctx.caller)?.to_string(),
            break_glass: reason,
        };
        let passage = Passage::Publish(publication);
        let applied = ctx.exec.publish(ns, changes, origin, passage).await?;
        if breaks_glass {
            ctx.exec.outcomes.broke_glass();
        }
        if released {
            ctx.exec.gray_changed(GrayStep::Promoted, StepBy::Person);
        }
        Ok(RawJson::of(&applied))
    }
}

pub struct Withdraw;

impl RpcMethod<Center> for Withdraw {
    const SPEC: &'static Spec = &Spec {
        name: "changes.withdraw",
        params: &[("id", Ty::Int)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Write,
        help: "Withdraws an open change request, aborting its active gray release if any; only its author \
               or an administrator may.",
    };
    type Args = RequestId;

    fn bind(a: &mut Args) -> Result<RequestId, RpcError> {
        a.required(id)
    }

    fn namespaces(_: &RequestId) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, id: RequestId) -> Result<RawJson, CallError> {
        let found = request(&ctx, id, Needs::Write).await?;
        let by = access::principal(ctx.caller)?.to_string();
        if by != found.request.author && !access::is_admin(ctx.caller) {
            return Err(CallError::Rpc(RpcError::new(
                PERMISSION_DENIED,
                format!(
                    "permission denied: only {:?} or an administrator may withdraw it",
                    found.request.author
                ),
            )));
        }
        let ns = namespace_of(&found.request.namespace)?;
        let taken = ctx
            .exec
            .ask(TakeBack { id, by })
            .await?
            .map_err(db_failure)?;
        let aborted = taken.map_err(|stop| stopped(stop, id, &ns))?;
        ended_release(ctx.exec, aborted);
        Ok(RawJson::of(&true))
    }
}

/// Tells the center's gray book that closing a request aborted its gray
/// release, so held pulls of its members wake now.
fn ended_release(center: &Center, aborted: Option<crate::domain::ReleaseId>) {
    if aborted.is_some() {
        center.gray_changed(GrayStep::Aborted, StepBy::Person);
    }
}

/// `approve` or `reject`.
fn verdict(name: &str, v: Value) -> Result<Verdict, RpcError> {
    let text = args::string(name, v)?;
    Verdict::parse(&text).ok_or_else(|| {
        RpcError::invalid_params(format!("{name:?} must be approve or reject, got {text:?}"))
    })
}

/// A stored namespace name (valid when stored).
fn namespace_of(name: &str) -> Result<Namespace, CallError> {
    Namespace::parse(name.to_string()).map_err(|_| CallError::Internal)
}

/// The error for a request the store would not change.
fn stopped(stop: Stop, id: RequestId, ns: &Namespace) -> CallError {
    match stop {
        Stop::NoSuchNamespace => CallError::NoSuchNamespace(ns.to_string()),
        Stop::NoSuchRequest => CallError::NoSuchRequest(id),
        Stop::TooManyOpen(open) => CallError::TooManyOpen {
            namespace: ns.to_string(),
            open,
        },
        Stop::Closed(state) => CallError::RequestClosed { id, state },
        Stop::OwnRequest => CallError::OwnRequest(id),
    }
}
