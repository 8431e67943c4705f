//! The fleet resource: `fleet.list`, the edges that pulled from the
//! centers on this database, judged current, lagging or silent. What a
//! center remembers of each pull is `center::fleet_view`.

use serde::Serialize;

use crate::center::fleet_view::Judged;
use crate::center::Center;
use crate::domain::{format_timestamp, EdgeState, Namespace};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Admin, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

/// One edge in `fleet.list`.
#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    address: &'a str,
    version: &'a str,
    namespaces: Vec<&'a str>,
    /// `client.labels`: `{key: value}`.
    labels: std::collections::BTreeMap<&'a str, &'a str>,
    revision: i64,
    newest: i64,
    lag_revisions: i64,
    lag_seconds: Option<f64>,
    digest: Option<&'static str>,
    /// Its last health report: healthy, unhealthy, or none.
    health: Option<&'static str>,
    health_reason: &'a str,
    /// The gray releases its data holds.
    gray: Vec<i64>,
    in_step: bool,
    state: &'static str,
    first_seen: String,
    last_pull: String,
}

#[derive(Serialize)]
struct TotalsJson {
    current: usize,
    lagging: usize,
    silent: usize,
}

#[derive(Serialize)]
struct FleetList<'a> {
    totals: TotalsJson,
    /// Edges in the state asked for (all of them without one).
    count: usize,
    edges: Vec<Listed<'a>>,
}

pub struct List;

/// `fleet.list`'s params.
pub struct ListArgs {
    state: Option<EdgeState>,
    limit: i64,
    offset: i64,
}

impl RpcMethod<Center> for List {
    const SPEC: &'static Spec = &Spec {
        name: "fleet.list",
        params: &[("state", Ty::String), ("limit", Ty::Int), ("offset", Ty::Int)],
        required: 0,
        returns: Ty::Struct,
        offered: Both,
        permission: Admin,
        help: "The edges that pulled from the centers on this database within server.fleet_window (administrators): \
               {totals: {current, lagging, silent}, count, edges: [{name, address, version, namespaces, labels, revision, newest, \
               lag_revisions, lag_seconds, digest, health, health_reason, gray, in_step, state, first_seen, last_pull}]}, lagging first, then silent, \
               then current; only state if given; limit (default 100, at most 1000) from offset.",
    };
    type Args = ListArgs;

    fn bind(a: &mut Args) -> Result<ListArgs, RpcError> {
        Ok(ListArgs {
            state: a.optional(edge_state)?,
            limit: a.limit()?,
            offset: a.or(args::offset, 0)?,
        })
    }

    fn namespaces(_: &ListArgs) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, a: ListArgs) -> Result<RawJson, CallError> {
        let ListArgs {
            state,
            limit,
            offset,
        } = a;
        let (judged, totals) = ctx.exec.judge_fleet(crate::domain::now_us()).await?;
        let chosen: Vec<&Judged> = judged
            .iter()
            .filter(|j| state.is_none_or(|s| j.state == s))
            .collect();
        let edges = chosen
            .iter()
            .skip(offset as usize)
            .take(limit as usize)
            .map(|j| Listed {
                name: &j.edge.name,
                address: &j.edge.address,
                version: &j.edge.version,
                namespaces: j.edge.namespaces.split(',').collect(),
                labels: j
                    .edge
                    .labels
                    .split(',')
                    .filter_map(|p| p.split_once('='))
                    .collect(),
                revision: j.edge.revision,
                newest: j.newest,
                lag_revisions: j.lag_revisions,
                lag_seconds: j.lag_seconds.map(|s| (s * 1000.0).round() / 1000.0),
                digest: j.edge.digest.map(|d| d.label()),
                health: j.edge.health.map(|h| h.label()),
                health_reason: &j.edge.health_reason,
                gray: j
                    .edge
                    .gray
                    .split(',')
                    .filter_map(|id| id.parse().ok())
                    .collect(),
                in_step: j.edge.in_step,
                state: j.state.label(),
                first_seen: format_timestamp(j.edge.first_seen_us),
                last_pull: format_timestamp(j.edge.last_pull_us),
            })
            .collect();
        Ok(RawJson::of(&FleetList {
            totals: TotalsJson {
                current: totals.current,
                lagging: totals.lagging,
                silent: totals.silent,
            },
            count: chosen.len(),
            edges,
        }))
    }
}

fn edge_state(name: &str, v: serde_json::Value) -> Result<EdgeState, RpcError> {
    let text = args::string(name, v)?;
    EdgeState::parse(&text).ok_or_else(|| {
        RpcError::invalid_params("\"state\" must be \"current\", \"lagging\" or \"silent\"")
    })
}
