//! `gray.list` and `gray.get`: releases with their members, and a
//! release's history.

use serde_json::Value;

use super::view::ReleaseView;
use crate::center::fleet_view::Judged;
use crate::center::{db_failure, Center};
use crate::changes::access::{self, Needs};
use crate::db::executor::{FindRelease, ListReleases};
use crate::db::gray_releases::{ReleaseRow, StepRow};
use crate::domain::{now_us, Namespace, ReleaseId, ReleaseState};
use crate::rpc::args::{self, kind, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Member, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

/// Releases `gray.list` answers at most (the newest).
const MAX_LISTED: i64 = 100;

pub struct List;

/// `gray.list`'s params.
pub struct ListArgs {
    namespace: Option<Namespace>,
    state: Option<ReleaseState>,
}

impl RpcMethod<Center> for List {
    const SPEC: &'static Spec = &Spec {
        name: "gray.list",
        params: &[("namespace", Ty::String), ("state", Ty::String)],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Member,
        help: "Gray releases, newest first (at most 100), in namespace (or every namespace the caller may \
               read) and in state (active, promoted or aborted); each as gray.get shows it, without its \
               history. Needs credentials.",
    };
    type Args = ListArgs;

    fn bind(a: &mut Args) -> Result<ListArgs, RpcError> {
        Ok(ListArgs {
            namespace: a.optional(args::namespace)?,
            state: a.optional(state)?,
        })
    }

    fn namespaces(a: &ListArgs) -> Vec<&Namespace> {
        a.namespace.iter().collect()
    }

    async fn run(ctx: Ctx<'_, Center>, a: ListArgs) -> Result<RawJson, CallError> {
        let readable = access::readable(ctx.exec, ctx.caller, a.namespace.as_ref()).await?;
        let rows = ctx
            .exec
            .ask(ListReleases {
                namespace: a.namespace,
                readable,
                state: a.state,
                limit: MAX_LISTED,
            })
            .await?
            .map_err(db_failure)?;
        let fleet = seen(ctx.exec).await?;
        let views: Vec<ReleaseView> = rows
            .into_iter()
            .map(|row| ReleaseView::of(row, &fleet, now_us()))
            .collect();
        Ok(RawJson::of(&views))
    }
}

pub struct Get;

impl RpcMethod<Center> for Get {
    const SPEC: &'static Spec = &Spec {
        name: "gray.get",
        params: &[("id", Ty::Int)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Member,
        help: "One gray release: {id, namespace, author, comment, state, target, version, base_revision, \
               created_at, updated_at, closed_by, reason, revision, changes, members: [edge names the fleet \
               view has seen that the target reaches], steps: [{at, actor, action, target, reason}]}. -32016 \
               if there is none.",
    };
    type Args = ReleaseId;

    fn bind(a: &mut Args) -> Result<ReleaseId, RpcError> {
        a.required(id)
    }

    fn namespaces(_: &ReleaseId) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, id: ReleaseId) -> Result<RawJson, CallError> {
        let (row, steps) = find(&ctx, id, Needs::Read).await?;
        let fleet = seen(ctx.exec).await?;
        Ok(RawJson::of(
            &ReleaseView::of(row, &fleet, now_us()).with_steps(steps),
        ))
    }
}

/// Release `id` with its history, if the caller has `needs` on its
/// namespace.
pub(super) async fn find(
    ctx: &Ctx<'_, Center>,
    id: ReleaseId,
    needs: Needs,
) -> Result<(ReleaseRow, Vec<StepRow>), CallError> {
    access::principal(ctx.caller)?;
    let found = ctx.exec.ask(FindRelease(id)).await?.map_err(db_failure)?;
    let Some(found) = found else {
        return Err(CallError::NoSuchRelease(id));
    };
    access::check(ctx.caller, &found.0.namespace, needs)?;
    Ok(found)
}

/// The edges the fleet view knows, judged (none while it is off).
pub(super) async fn seen(center: &Center) -> Result<Vec<Judged>, CallError> {
    if center.fleet().is_none() {
        return Ok(Vec::new());
    }
    Ok(center.judge_fleet(now_us()).await?.0)
}

/// A gray release's id: a positive integer.
pub fn id(name: &str, v: Value) -> Result<ReleaseId, RpcError> {
    match v.as_i64() {
        Some(n) if n > 0 => Ok(ReleaseId(n)),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be a gray release id (a positive integer), got {}",
            kind(&v)
        ))),
    }
}

/// `active`, `promoted` or `aborted`.
fn state(name: &str, v: Value) -> Result<ReleaseState, RpcError> {
    let text = args::string(name, v)?;
    ReleaseState::parse(&text).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "{name:?} must be active, promoted or aborted, got {text:?}"
        ))
    })
}
