//! The fleet, for administrators: every edge that pulled from the centers
//! on this database within `server.fleet_window`, with totals by state and
//! how far behind each is; from `fleet.list`, like every console page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{page, send};
use super::namespaces::back_to;
use super::ConsoleState;
use crate::domain::EdgeState;

const PATH: &str = "/console/fleet";
/// Edges a page shows.
const PAGE: i64 = 100;

#[derive(Deserialize)]
pub struct FleetQuery {
    state: Option<String>,
    #[serde(default)]
    offset: i64,
}

/// `GET /console/fleet[?state=lagging&offset=100]`.
pub async fn fleet(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    query: web::Query<FleetQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    if !user.grants.is_admin() {
        return back_to("/console", "error", "Only an administrator sees the fleet.");
    }
    let only = query.state.as_deref().and_then(EdgeState::parse);
    let offset = query.offset.max(0);
    let params = json!({"state": only.map(EdgeState::label), "limit": PAGE, "offset": offset});
    let list = match state.call::<crate::fleet::List>(&user, &req, params).await {
        Ok(list) => list,
        Err(e) => return back_to("/console", "error", &e.message),
    };
    let edges = list["edges"].as_array().cloned().unwrap_or_default();
    let count = list["count"].as_i64().unwrap_or(0);
    let link = |s: Option<EdgeState>, offset: i64| match s {
        Some(s) => format!("{PATH}?state={}&offset={offset}", s.label()),
        None => format!("{PATH}?offset={offset}"),
    };
    let body = html! {
        h1 { "Fleet" }
        p.lead { "Every edge that pulled from the centers on this database lately, and whether it has the newest data." }
        nav.tiles aria-label="Edges by state" {
            a.tile.all href=(PATH) aria-current=[only.is_none().then_some("true")] {
                strong { (total(&list)) } span { "all" }
            }
            @for s in EdgeState::ALL {
                a.tile.(s.label()).some[list["totals"][s.label()].as_i64().unwrap_or(0) > 0] href=(link(Some(s), 0)) aria-current=[(only == Some(s)).then_some("true")] {
                    strong data-total=(s.label()) { (list["totals"][s.label()]) } span { (s.label()) }
                }
            }
        }
        p.hint { "Lagging: misses a change older than server.fleet_lag, or its last digest check failed. Silent: no pull for longer than server.fleet_silent." }
        @if edges.is_empty() {
            div.empty {
                @if only.is_some() { p { "No edge is " (only.map_or("", EdgeState::label)) " now." } }
                @else {
                    p { "No edge has pulled yet. Point an edge's client.upstreams at this center's /RPC and give it a client.name: it shows here after its first pull." }
                }
            }
        } @else {
            div.scroll {
                table.list.fleet #fleet {
                    thead { tr { th { "Edge" } th { "State" } th.num { "Revision" } th { "Behind" } th { "Digest" } th { "Last pull" } th { "Namespaces" } th { "Version" } } }
                    tbody { @for e in &edges { (edge_row(e)) } }
                }
            }
            nav.pager {
                @if offset > 0 { a href=(link(only, (offset - PAGE).max(0))) { "← Previous" } }
                span { (edges.len()) " shown of " (count) }
                @if offset + PAGE < count { a href=(link(only, offset + PAGE)) rel="next" { "Next →" } }
            }
        }
    };
    send(StatusCode::OK, page("Fleet", Some(&user), body))
}

fn total(list: &Value) -> i64 {
    ["current", "lagging", "silent"]
        .iter()
        .filter_map(|s| list["totals"][s].as_i64())
        .sum()
}

fn edge_row(e: &Value) -> Markup {
    let name = e["name"].as_str().unwrap_or("");
    let state = e["state"].as_str().unwrap_or("");
    let lag_revisions = e["lag_revisions"].as_i64().unwrap_or(0);
    let last = e["last_pull"].as_str().unwrap_or("");
    let namespaces: Vec<&str> = e["namespaces"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    html! {
        tr data-edge=(name) data-state=(state) {
            td {
                @if name.is_empty() { span.meta { "unnamed" } } @else { strong { (name) } }
                br; span.meta.mono { (e["address"].as_str().unwrap_or("")) }
            }
            td { span.badge.(state) { (state) } }
            td.num data-label="revision" { (e["revision"]) span.meta { " of " (e["newest"]) } }
            td data-label="behind" {
                @if lag_revisions == 0 { span.meta { "up to date" } }
                @else {
                    (lag_revisions) " revision" @if lag_revisions != 1 { "s" }
                    @match e["lag_seconds"].as_f64() {
                        Some(s) => { ", " (format!("{s:.0}")) " s" }
                        None => { ", for longer than history keeps" }
                    }
                    @if e["in_step"] == json!(false) { br; span.meta { "did not apply its last reply" } }
                }
            }
            td data-label="digest" { @match e["digest"].as_str() {
                Some("verified") => { span.badge.current { "verified" } }
                Some("failed") => { span.badge.lagging { "failed" } }
                Some(other) => { span.meta { (other) } }
                None => { span.meta { "not told" } }
            } }
            td.time data-label="pulled" { time datetime=(last) title=(last) { (last) } }
            td data-label="namespaces" { (namespaces.join(", "))
                @if let Some(labels) = e["labels"].as_object().filter(|l| !l.is_empty()) {
                    br; span.meta.labels { @for (i, (k, v)) in labels.iter().enumerate() {
                        @if i > 0 { ", " } (k) "=" (v.as_str().unwrap_or("")) } }
                } }
            td.mono data-label="version" { (e["version"].as_str().unwrap_or("")) }
        }
    }
}
