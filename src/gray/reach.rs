//! `gray.reach`: how many edges of the fleet a target would reach in a
//! namespace now, before a release is made (the console's preview).

use serde_json::json;

use super::bind::target;
use super::members::members;
use super::read::seen;
use crate::center::Center;
use crate::domain::{Namespace, ReleaseId, Target};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Write, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

/// Names `gray.reach` lists at most.
const MAX_NAMED: usize = 100;

pub struct Reach;

impl RpcMethod<Center> for Reach {
    const SPEC: &'static Spec = &Spec {
        name: "gray.reach",
        params: &[("namespace", Ty::String), ("target", Ty::Struct)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "How many of the edges the fleet view has seen pulling namespace a target (as gray.create takes \
               it) reaches now: {reaches, pulling, edges: [the first 100 names]}. A percentage is drawn with \
               the id the next release would get, so the names are an example and the count an estimate.",
    };
    type Args = (Namespace, Target);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::namespace)?, a.required(target)?))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, target): Self::Args) -> Result<RawJson, CallError> {
        let fleet = seen(ctx.exec).await?;
        let pulling = fleet
            .iter()
            .filter(|j| j.edge.namespaces.split(',').any(|n| n == ns.as_str()))
            .map(|j| j.edge.name.as_str())
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        // A percentage's draw depends on the release's id, not known yet.
        let (reached, _) = members(ReleaseId(0), &target, ns.as_str(), &fleet);
        let names: Vec<&str> = reached
            .iter()
            .take(MAX_NAMED)
            .map(|m| m.name.as_str())
            .collect();
        Ok(RawJson::of(&json!({
            "reaches": reached.len(),
            "pulling": pulling,
            "edges": names,
        })))
    }
}
