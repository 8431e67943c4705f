//! `gray.create`, `gray.update`, `gray.abort` and `gray.promote`.

use serde_json::{json, Value};

use super::bind::{plan, stopped, target};
use super::read::{find, id, seen};
use super::view::ReleaseView;
use crate::center::{db_failure, origin, Center, GrayStep, StepBy};
use crate::changes::access::{self, Needs};
use crate::db::executor::{CreateRelease, MoveRelease};
use crate::db::gray_releases::ReleaseRow;
use crate::domain::{
    now_us, Applied, Auto, ChangeSet, Namespace, Passage, Promotion, ReleaseId, ReleaseState,
    Target, WriteOrigin,
};
use crate::records::bind::change_set;
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Write, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct Create;

/// `gray.create`'s params.
pub struct CreateArgs {
    ns: Namespace,
    changes: ChangeSet,
    target: Target,
    comment: String,
    auto: Option<Auto>,
}

impl RpcMethod<Center> for Create {
    const SPEC: &'static Spec = &Spec {
        name: "gray.create",
        params: &[
            ("namespace", Ty::String),
            ("changes", Ty::Struct),
            ("target", Ty::Struct),
            ("comment", Ty::String),
            ("auto", Ty::Struct),
        ],
        required: 3,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Starts a gray release: changes (records.apply's shape) served on top of namespace to the edges \
               target reaches: {edges: [names]}, {labels: {key: value}} (all must match) or {percent: p} \
               (sticky: an edge's bucket is a hash of its name and the release's id). Returns \
               {id}. auto, {steps: [percentages], bake: 10m, min_edges: 1, max_unhealthy: 0}, makes it an \
               automatic canary: target is then {percent: its first step}; after each bake with no unhealthy \
               member and at least min_edges healthy ones holding it, it widens to the next step, and after \
               the last it is promoted; more than max_unhealthy unhealthy members abort it at once. A \
               namespace holds at most 16 active releases (-32017); one that requires reviews takes none \
               (-32013).",
    };
    type Args = CreateArgs;

    fn bind(a: &mut Args) -> Result<CreateArgs, RpcError> {
        let ns = a.required(args::namespace)?;
        let changes = a.required(change_set)?;
        if changes.is_empty() {
            return Err(RpcError::invalid_params("\"changes\" changes nothing"));
        }
        let (target, comment, auto) = plan(a)?;
        Ok(CreateArgs {
            ns,
            changes,
            target,
            comment,
            auto,
        })
    }

    fn namespaces(a: &CreateArgs) -> Vec<&Namespace> {
        vec![&a.ns]
    }

    async fn run(ctx: Ctx<'_, Center>, a: CreateArgs) -> Result<RawJson, CallError> {
        let CreateArgs {
            ns,
            changes,
            target,
            comment,
            auto,
        } = a;
        let author = access::principal(ctx.caller)?.to_string();
        ctx.exec.refuse_plaintext(&ns, &changes).await?;
        let stored = ctx
            .exec
            .ask(CreateRelease {
                namespace: ns.clone(),
                author,
                changes: changes.to_json().to_string(),
                target: target.to_json().to_string(),
                comment,
                auto: auto.map(|a| a.to_json().to_string()),
                request: None,
                now_us: now_us(),
            })
            .await?
            .map_err(db_failure)?;
        let id = stored.map_err(|stop| stopped(stop, ReleaseId(0), &ns))?;
        ctx.exec.gray_changed(GrayStep::Created, StepBy::Person);
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
        let origin = WriteOrigin {
            comment: if comment.is_empty() {
                row.comment.clone()
            } else {
                comment
            },
            ..origin(&ctx)
        };
        let promotion = Promotion {
            release: id,
            by: access::principal(ctx.caller)?.to_string(),
        };
        Ok(RawJson::of(
            &promote(ctx.exec, row, origin, (promotion, StepBy::Person)).await?,
        ))
    }
}

/// Commits `row`'s changes to its namespace as one revision and ends it
/// as promoted (`Passage::Promote`, judged in the write's transaction),
/// by a person or its schedule.
pub(super) async fn promote(
    center: &Center,
    row: ReleaseRow,
    origin: WriteOrigin,
    (promotion, by): (Promotion, StepBy),
) -> Result<Applied, CallError> {
    let ns = Namespace::parse(row.namespace).map_err(|_| CallError::Internal)?;
    let stored: Value = serde_json::from_str(&row.changes).map_err(|_| CallError::Internal)?;
    let changes = change_set("changes", stored).map_err(CallError::Rpc)?;
    let applied = center
        .publish(ns, changes, origin, Passage::Promote(promotion))
        .await;
    center.gray_changed(GrayStep::Promoted, by);
    applied
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
        expect_version: None,
        now_us: now_us(),
    })
}

/// Stores `step` and answers the release as it is now.
async fn moved(ctx: &Ctx<'_, Center>, step: MoveRelease) -> Result<RawJson, CallError> {
    let id = step.id;
    let stored = ctx.exec.ask(step).await?.map_err(db_failure)?;
    let row: ReleaseRow = stored.map_err(|stop| stopped(stop, id, &Namespace::default()))?;
    let kind = match row.state.as_str() {
        "aborted" => GrayStep::Aborted,
        _ => GrayStep::Retargeted,
    };
    ctx.exec.gray_changed(kind, StepBy::Person);
    let fleet = seen(ctx.exec).await?;
    Ok(RawJson::of(&ReleaseView::of(row, &fleet, now_us())))
}
