//! `gray.create`, `gray.update`, `gray.abort` and `gray.promote`.

use serde_json::{json, Value};

use super::read::{find, id, seen};
use super::view::ReleaseView;
use crate::center::{db_failure, origin, Center};
use crate::changes::access::{self, Needs};
use crate::db::executor::{CreateRelease, MoveRelease};
use crate::db::gray_releases::{ReleaseRow, Stop};
use crate::domain::{
    now_us, ChangeSet, Namespace, Passage, Promotion, ReleaseId, ReleaseState, Target, WriteOrigin,
};
use crate::records::bind::change_set;
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Write, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct Create;

impl RpcMethod<Center> for Create {
    const SPEC: &'static Spec = &Spec {
        name: "gray.create",
        params: &[
            ("namespace", Ty::String),
            ("changes", Ty::Struct),
            ("target", Ty::Struct),
            ("comment", Ty::String),
        ],
        required: 3,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Starts a gray release: changes (records.apply's shape) served on top of namespace to the edges \
               target reaches: {edges: [names]}, {labels: {key: value}} (all must match) or {percent: p} \
               (sticky: an edge's bucket is a hash of its name and the release's id). Returns \
               {id}. A namespace holds at most 16 active releases (-32017); one that requires reviews takes \
               none (-32013).",
    };
    type Args = (Namespace, ChangeSet, Target, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        let changes = a.required(change_set)?;
        if changes.is_empty() {
            return Err(RpcError::invalid_params("\"changes\" changes nothing"));
        }
        let target = a.required(target)?;
        Ok((ns, changes, target, a.or(args::comment, String::new())?))
    }

    fn namespaces((ns, ..): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (ns, changes, target, comment): Self::Args,
    ) -> Result<RawJson, CallError> {
        let author = access::principal(ctx.caller)?.to_string();
        let stored = ctx
            .exec
            .ask(CreateRelease {
                namespace: ns.clone(),
                author,
                changes: changes.to_json().to_string(),
                target: target.to_json().to_string(),
                comment,
                now_us: now_us(),
            })
            .await?
            .map_err(db_failure)?;
        let id = stored.map_err(|stop| stopped(stop, ReleaseId(0), &ns))?;
        ctx.exec.gray_changed();
        Ok(RawJson::of(&json!({ "id": id })))
    }
}

pub struct Update;

impl RpcMethod<Center> for Update {
    const SPEC: &'static Spec = &Spec {
        name: "gray.update",
        params: &[("id", Ty::Int), ("target", Ty::Struct), ("comment", Ty::String)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Widens or narrows an active gray release to target (as gray.create takes it); returns the \
               release as gray.get shows it. A percentage keeps every edge that was in when it widens.",
    };
    type Args = (ReleaseId, Target, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((
            a.required(id)?,
            a.required(target)?,
            a.or(args::comment, String::new())?,
        ))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (id, target, comment): Self::Args,
    ) -> Result<RawJson, CallError> {
        let step = MoveRelease {
            action: "retargeted",
            target: Some(target.to_json().to_string()),
            state: ReleaseState::Active,
            ..step(&ctx, id, comment).await?
        };
        moved(&ctx, step).await
    }
}

pub struct Abort;

impl RpcMethod<Center> for Abort {
    const SPEC: &'static Spec = &Spec {
        name: "gray.abort",
        params: &[("id", Ty::Int), ("reason", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Aborts an active gray release with a reason: its edges return to the main line on their next \
               pull. Returns the release as gray.get shows it.",
    };
    type Args = (ReleaseId, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(id)?, a.or(args::comment, String::new())?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (id, reason): Self::Args) -> Result<RawJson, CallError> {
        let step = MoveRelease {
            action: "aborted",
            state: ReleaseState::Aborted,
            ..step(&ctx, id, reason).await?
        };
        moved(&ctx, step).await
    }
}

pub struct Promote;

impl RpcMethod<Center> for Promote {
    const SPEC: &'static Spec = &Spec {
        name: "gray.promote",
        params: &[("id", Ty::Int), ("comment", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Promotes an active gray release: its changes committed to its namespace as one ordinary \
               revision and the release ended, in one transaction: {revision, upserts, deletes}. Refused \
               (-32009) naming the keys if one it touches changed on the main line since it was made.",
    };
    type Args = (ReleaseId, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(id)?, a.or(args::comment, String::new())?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (id, comment): Self::Args) -> Result<RawJson, CallError> {
        let (row, _) = find(&ctx, id, Needs::Write).await?;
        let ns = Namespace::parse(row.namespace).map_err(|_| CallError::Internal)?;
        let stored: Value = serde_json::from_str(&row.changes).map_err(|_| CallError::Internal)?;
        let changes = change_set("changes", stored).map_err(CallError::Rpc)?;
        let origin = WriteOrigin {
            comment: if comment.is_empty() {
                row.comment
            } else {
                comment
            },
            ..origin(&ctx)
        };
        let promotion = Promotion {
            release: id,
            by: access::principal(ctx.caller)?.to_string(),
        };
        let passage = Passage::Promote(promotion);
        let applied = ctx.exec.publish(ns, changes, origin, passage).await;
        ctx.exec.gray_changed();
        let applied = applied?;
        Ok(RawJson::of(&applied))
    }
}

/// A step on release `id` by the caller, who must may write its
/// namespace; the target and state kept until the method says otherwise.
async fn step(
    ctx: &Ctx<'_, Center>,
    id: ReleaseId,
    reason: String,
) -> Result<MoveRelease, CallError> {
    find(ctx, id, Needs::Write).await?;
    Ok(MoveRelease {
        id,
        actor: access::principal(ctx.caller)?.to_string(),
        action: "",
        target: None,
        state: ReleaseState::Active,
        reason,
        revision: None,
        now_us: now_us(),
    })
}

/// Stores `step` and answers the release as it is now.
async fn moved(ctx: &Ctx<'_, Center>, step: MoveRelease) -> Result<RawJson, CallError> {
    let id = step.id;
    let stored = ctx.exec.ask(step).await?.map_err(db_failure)?;
    let row: ReleaseRow = stored.map_err(|stop| stopped(stop, id, &Namespace::default()))?;
    ctx.exec.gray_changed();
    let fleet = seen(ctx.exec).await?;
    Ok(RawJson::of(&ReleaseView::of(row, &fleet)))
}

/// A target as `gray.create` and `gray.update` take it.
fn target(name: &str, v: Value) -> Result<Target, RpcError> {
    Target::from_json(&v).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
}

/// The error for a release the store would not store or change.
fn stopped(stop: Stop, id: ReleaseId, ns: &Namespace) -> CallError {
    match stop {
        Stop::NoSuchNamespace => CallError::NoSuchNamespace(ns.to_string()),
        Stop::NoSuchRelease => CallError::NoSuchRelease(id),
        Stop::TooManyActive(active) => CallError::TooManyReleases {
            namespace: ns.to_string(),
            active,
        },
        Stop::Ended(state) => CallError::ReleaseEnded { id, state },
        Stop::ReviewRequired(required) => CallError::ReviewRequired {
            namespace: ns.to_string(),
            required,
        },
    }
}
