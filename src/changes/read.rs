//! `changes.list` and `changes.get`: change requests with their reviews
//! and their diff against the live data.

use super::access::{self, Needs};
use super::view::RequestView;
use crate::center::{db_failure, Center};
use crate::db::executor::{FindRequest, FindRequestOnly, ListRequests};
use crate::domain::{Namespace, RequestId, RequestState};
use crate::rpc::args::{self, kind, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Member, Ty};
use crate::rpc::{CallError, RawJson, RpcError};
use serde_json::Value;

/// Requests a page of `changes.list` holds by default, and at most.
const DEFAULT_PAGE: i64 = 20;
const MAX_PAGE: i64 = 100;

pub struct List;

/// `changes.list`'s params.
pub struct ListArgs {
    namespace: Option<Namespace>,
    state: Option<RequestState>,
    limit: i64,
    offset: i64,
}

impl RpcMethod<Center> for List {
    const SPEC: &'static Spec = &Spec {
        name: "changes.list",
        params: &[("namespace", Ty::String), ("state", Ty::String), ("limit", Ty::Int), ("offset", Ty::Int)],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Member,
        help: "Change requests, newest first, in namespace (or every namespace the caller may read) and in \
               state (open, published, rejected or withdrawn), limit (1 to 100, default 20) from offset; each \
               as changes.get shows it. Needs credentials.",
    };
    type Args = ListArgs;

    fn bind(a: &mut Args) -> Result<ListArgs, RpcError> {
        Ok(ListArgs {
            namespace: a.optional(args::namespace)?,
            state: a.optional(state)?,
            limit: a.or(page, DEFAULT_PAGE)?,
            offset: a.or(args::offset, 0)?,
        })
    }

    fn namespaces(a: &ListArgs) -> Vec<&Namespace> {
        a.namespace.iter().collect()
    }

    async fn run(ctx: Ctx<'_, Center>, a: ListArgs) -> Result<RawJson, CallError> {
        let readable = access::readable(ctx.exec, ctx.caller, a.namespace.as_ref()).await?;
        let shown = ctx
            .exec
            .ask(ListRequests {
                namespace: a.namespace,
                readable,
                state: a.state,
                limit: a.limit,
                offset: a.offset,
            })
            .await?
            .map_err(db_failure)?;
        let views: Vec<RequestView> = shown
            .into_iter()
            .map(|(found, rows)| RequestView::of(found, rows))
            .collect();
        Ok(RawJson::of(&views))
    }
}

pub struct Get;

impl RpcMethod<Center> for Get {
    const SPEC: &'static Spec = &Spec {
        name: "changes.get",
        params: &[("id", Ty::Int)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Member,
        help: "One change request: {id, namespace, author, comment, state, base_revision, created_at, \
               closed_at, closed_by, revision, reviews_required, approvals, reviews: [{reviewer, verdict, \
               comment, at}], changes, diff: [{key, old, new, change, changed_since}], conflicts: [key]}. The diff \
               is against the live data now (change: added, changed, removed or same; in a secret namespace \
               sealed is true and old and new are left out); conflicts are the keys changed since it was \
               proposed. -32014 if there is none.",
    };
    type Args = RequestId;

    fn bind(a: &mut Args) -> Result<RequestId, RpcError> {
        a.required(id)
    }

    fn namespaces(_: &RequestId) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, id: RequestId) -> Result<RawJson, CallError> {
        let (found, rows) = find(&ctx, id, Needs::Read).await?;
        Ok(RawJson::of(&RequestView::of(found, rows)))
    }
}

/// Request `id` with its live rows, if the caller has `needs` on its
/// namespace.
pub(super) async fn find(
    ctx: &Ctx<'_, Center>,
    id: RequestId,
    needs: Needs,
) -> Result<crate::db::executor::Shown, CallError> {
    access::principal(ctx.caller)?;
    let found = ctx.exec.ask(FindRequest(id)).await?.map_err(db_failure)?;
    let Some(shown) = found else {
        return Err(CallError::NoSuchRequest(id));
    };
    access::check(ctx.caller, &shown.0.request.namespace, needs)?;
    Ok(shown)
}

/// Request `id` (without its diff), if the caller has `needs` on its
/// namespace.
pub(crate) async fn request(
    ctx: &Ctx<'_, Center>,
    id: RequestId,
    needs: Needs,
) -> Result<crate::db::change_requests::Found, CallError> {
    access::principal(ctx.caller)?;
    let found = ctx
        .exec
        .ask(FindRequestOnly(id))
        .await?
        .map_err(db_failure)?;
    let Some(found) = found else {
        return Err(CallError::NoSuchRequest(id));
    };
    access::check(ctx.caller, &found.request.namespace, needs)?;
    Ok(found)
}

/// A change request's id: a positive integer.
pub fn id(name: &str, v: Value) -> Result<RequestId, RpcError> {
    match v.as_i64() {
        Some(n) if n > 0 => Ok(RequestId(n)),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be a change request id (a positive integer), got {}",
            kind(&v)
        ))),
    }
}

/// `open`, `published`, `rejected` or `withdrawn`.
fn state(name: &str, v: Value) -> Result<RequestState, RpcError> {
    let text = args::string(name, v)?;
    RequestState::parse(&text).ok_or_else(|| {
        RpcError::invalid_params(format!(
            "{name:?} must be open, published, rejected or withdrawn, got {text:?}"
        ))
    })
}

fn page(name: &str, v: Value) -> Result<i64, RpcError> {
    match v.as_i64() {
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be an integer from 1 to {MAX_PAGE}"
        ))),
    }
}
