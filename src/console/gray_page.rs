//! A gray release's page (`/console/gray/{id}`): its target, members and
//! their health, changes, schedule and next step, the other active
//! releases that change the same keys and which one wins, the history, and
//! the forms of `gray.rs`; and the active releases on a namespace's page.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde_json::{json, Value};

use super::gray::text;
use super::layout::{notice, page, send};
use super::namespaces::{back_to, Notice};
use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::gray::{Get, List};

/// `GET /console/gray/{id}`: one release.
pub async fn show(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    id: web::Path<i64>,
    q: web::Query<Notice>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let r = match state.call::<Get>(&user, &req, json!([*id])).await {
        Ok(r) => r,
        Err(e) => return back_to("/console", "error", &e.message),
    };
    let ns = r["namespace"].as_str().unwrap_or("");
    let active = r["state"] == "active";
    let others = match active {
        true => state
            .call::<List>(&user, &req, json!([ns, "active"]))
            .await
            .unwrap_or_default(),
        false => Value::Null,
    };
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " a href=(format!("/console/ns/{ns}")) { (ns) } " / " strong { "Release #" (r["id"]) } }
        h1 { "Gray release #" (r["id"]) " in " (ns) }
        @if let Some(n) = &q.notice { (notice("ok", n)) }
        @if let Some(e) = &q.error { (notice("error", e)) }
        // A release made from the staged set: it is no longer staged.
        @if q.notice.as_deref() == Some("Release started.") { div hidden data-proposed-ns=(ns) {} }
        (overlaps(&r, &others))
        p.lead #release-state { "By " strong { (text(&r["author"])) } ", " strong { (text(&r["state"])) } ", target " code { (r["target"]) } ". " (text(&r["comment"]))
            @if let Some(why) = r["reason"].as_str() { " Ended by " (text(&r["closed_by"])) ": " (why) } }
        @if let Some(request) = r["request"].as_i64() {
            p.meta #release-request { "Releases change request " a href=(format!("/console/reviews/{request}")) { "#" (request) } ": promoting it publishes the request." }
        }
        @if let Some(auto) = r.get("auto") { p.meta #release-auto { "Automatic canary " code { (auto) } @if let Some(next) = r["next"].as_str() { " — next: " strong { (next) } } } }
        (members(&r))
        (changes(&r["changes"]))
        @if active { (actions(&user, &r)) }
        (steps(&r["steps"]))
    };
    send(StatusCode::OK, page("Release", Some(&user), body))
}

/// Keys this release shares with the other active releases of its
/// namespace, and which one an edge reached by both gets: the newest.
fn overlaps(r: &Value, others: &Value) -> Markup {
    let keys = |c: &Value| -> Vec<String> {
        let mut k: Vec<String> = c["upserts"]
            .as_object()
            .map(|o| o.keys().cloned().collect())
            .unwrap_or_default();
        k.extend(
            c["deletes"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|d| d.as_str().map(String::from)),
        );
        k
    };
    let mine = keys(&r["changes"]);
    let empty = Vec::new();
    let shared: Vec<(i64, Vec<String>)> = (others.as_array().unwrap_or(&empty).iter())
        .filter(|o| o["id"] != r["id"])
        .map(|o| {
            (
                o["id"].as_i64().unwrap_or(0),
                keys(&o["changes"])
                    .into_iter()
                    .filter(|k| mine.contains(k))
                    .collect::<Vec<_>>(),
            )
        })
        .filter(|(_, k)| !k.is_empty())
        .collect();
    let me = r["id"].as_i64().unwrap_or(0);
    html! {
        @for (other, keys) in &shared {
            p.notice.info.overlap data-other=(other) {
                "Release #" (other) " also changes " (keys.join(", ")) ". An edge both reach gets release #" (other.max(&me)) "'s values (the newest wins)."
            }
        }
    }
}

fn members(r: &Value) -> Markup {
    let empty = Vec::new();
    let list = r["members"].as_array().unwrap_or(&empty);
    html! {
        section.card {
            h2 { "Members " span.count { "(" (list.len()) ")" } }
            p.meta #release-health { "Holding it: " (r["health"]["healthy"]) " healthy, " (r["health"]["unhealthy"]) " unhealthy." }
            @if list.is_empty() { p.meta #no-members { "No edge the fleet view has seen is in the target yet." } } @else {
                table.list #members {
                    thead { tr { th { "edge" } th { "holds it" } th { "health" } th { "state" } } }
                    tbody { @for m in list {
                        tr data-edge=(text(&m["name"])) {
                            td data-label="edge" { (text(&m["name"])) }
                            td data-label="holds it" { @if m["holds"] == true { "yes" } @else { "not yet" } }
                            td data-label="health" { (m["health"].as_str().unwrap_or("—")) @if let Some(why) = m["reason"].as_str() { " " span.meta { (why) } } }
                            td data-label="state" { (text(&m["state"])) }
                        }
                    } }
                }
            }
        }
    }
}

fn changes(c: &Value) -> Markup {
    let upserts = c["upserts"].as_object().cloned().unwrap_or_default();
    let deletes = c["deletes"].as_array().cloned().unwrap_or_default();
    html! {
        section.card #release-changes {
            h2 { "Changes" }
            table.list { tbody {
                @for (k, v) in &upserts { tr { td data-label="key" { code { (k) } } td data-label="value" { code { (v) } } } }
                @for k in &deletes { tr { td data-label="key" { code { (text(k)) } } td data-label="value" { "deleted" } } }
            } }
        }
    }
}

fn actions(user: &ConsoleUser, r: &Value) -> Markup {
    let id = &r["id"];
    html! {
        section.card #release-actions {
            h2 { "Widen, narrow, promote or abort" }
            form.inline #widen method="post" action=(format!("/console/gray/{id}/update")) {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="widen-kind" { "New target" }
                select #widen-kind name="kind" { option value="percent" { "percentage" } option value="edges" { "edge names" } option value="labels" { "labels" } }
                input #widen-value type="text" name="value" autocomplete="off" required;
                button.secondary type="submit" #widen-button { "Change target" }
            }
            form.inline method="post" action=(format!("/console/gray/{id}/promote")) {
                input type="hidden" name="csrf" value=(user.csrf);
                input #promote-comment type="text" name="comment" placeholder="Comment (kept in the audit log)";
                button.primary type="submit" #promote { "Promote to every edge" }
            }
            form.inline method="post" action=(format!("/console/gray/{id}/abort")) {
                input type="hidden" name="csrf" value=(user.csrf);
                input #abort-reason type="text" name="comment" placeholder="Why";
                button.danger type="submit" #abort { "Abort" }
            }
        }
    }
}

fn steps(s: &Value) -> Markup {
    let empty = Vec::new();
    html! {
        section.card {
            h2 { "History" }
            table.list #release-steps { tbody { @for s in s.as_array().unwrap_or(&empty) {
                tr { td data-label="at" { (text(&s["at"])) } td data-label="by" { (text(&s["actor"])) } td data-label="action" { (text(&s["action"])) }
                     td data-label="target" { code { (s["target"]) } } td data-label="why" { (text(&s["reason"])) } }
            } } }
        }
    }
}

/// The active releases of `ns`, for its page (nothing when none, or when
/// the caller may not see them).
pub(super) async fn active_card(
    state: &ConsoleState,
    (user, req): (&ConsoleUser, &HttpRequest),
    ns: &str,
) -> Markup {
    let listed = state.call::<List>(user, req, json!([ns, "active"])).await;
    let Some(list) = listed
        .ok()
        .and_then(|l| l.as_array().cloned())
        .filter(|l| !l.is_empty())
    else {
        return html! {};
    };
    html! {
        section.card #active-releases {
            h2 { "Gray releases " span.count { "(" (list.len()) ")" } }
            table.list { tbody { @for r in &list {
                tr data-release=(r["id"]) {
                    td data-label="release" { a href=(format!("/console/gray/{}", r["id"])) { "#" (r["id"]) } }
                    td data-label="target" { code { (r["target"]) } }
                    td data-label="members" { (r["members"].as_array().map_or(0, Vec::len)) " members" }
                    td data-label="health" { (r["health"]["unhealthy"]) " unhealthy" }
                    td data-label="comment" { (text(&r["comment"])) }
                }
            } } }
        }
    }
}
