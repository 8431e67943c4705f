//! `changes.release`: a gray release of an approved change request, the
//! one way to start a release on a namespace that requires reviews. The
//! release carries the request: promoting it publishes the request in the
//! same revision (and `changes.publish` of the request promotes it), and
//! rejecting or withdrawing the request aborts it (`db::gray_requests`).

use serde_json::json;

use super::bind::{plan, stopped_of};
use crate::center::{db_failure, Center, GrayStep, StepBy};
use crate::changes::access::{self, Needs};
use crate::changes::read::{id, request};
use crate::db::executor::CreateRelease;
use crate::domain::{now_us, Auto, Namespace, ReleaseId, RequestId, Target};
use crate::rpc::args::Args;
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Write, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct Release;

/// `changes.release`'s params.
pub struct ReleaseArgs {
    id: RequestId,
    target: Target,
    comment: String,
    auto: Option<Auto>,
}

impl RpcMethod<Center> for Release {
    const SPEC: &'static Spec = &Spec {
        name: "changes.release",
        params: &[
            ("id", Ty::Int),
            ("target", Ty::Struct),
            ("comment", Ty::String),
            ("auto", Ty::Struct),
        ],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Starts a gray release of an approved change request: its changes, on the revision it was \
               proposed on, served to the edges target reaches, with target and auto as gray.create takes \
               them; returns {id}. On a namespace that requires reviews this is how a release starts. \
               Promoting the release publishes the request in the same revision, changes.publish of the \
               request promotes the release, and rejecting or withdrawing the request aborts it. Refused \
               (-32015) unless the request is open, approved as its namespace requires, and in no active \
               release.",
    };
    type Args = ReleaseArgs;

    fn bind(a: &mut Args) -> Result<ReleaseArgs, RpcError> {
        let id = a.required(id)?;
        let (target, comment, auto) = plan(a)?;
        Ok(ReleaseArgs {
            id,
            target,
            comment,
            auto,
        })
    }

    fn namespaces(_: &ReleaseArgs) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, a: ReleaseArgs) -> Result<RawJson, CallError> {
        let found = request(&ctx, a.id, Needs::Write).await?;
        let ns = Namespace::parse(found.request.namespace).map_err(|_| CallError::Internal)?;
        let comment = match a.comment.is_empty() {
            true => found.request.comment,
            false => a.comment,
        };
        let stored = ctx
            .exec
            .ask(CreateRelease {
                namespace: ns.clone(),
                author: access::principal(ctx.caller)?.to_string(),
                changes: found.request.changes,
                target: a.target.to_json().to_string(),
                comment,
                auto: a.auto.map(|s| s.to_json().to_string()),
                request: Some(a.id),
                now_us: now_us(),
            })
            .await?
            .map_err(db_failure)?;
        let release = stored.map_err(|stop| stopped_of(stop, ReleaseId(0), &ns, a.id))?;
        ctx.exec.gray_changed(GrayStep::Created, StepBy::Person);
        Ok(RawJson::of(&json!({ "id": release })))
    }
}
