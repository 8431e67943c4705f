//! History: a namespace's timeline of change sets with their comments, a
//! key's writes with a diff between any two, and rollback to any revision
//! in retention with a preview of exactly what it changes, then a
//! confirmation (refused if the namespace changed since the preview).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, send};
use super::namespaces::back_to;
use super::records::KeyQuery;
use super::session::urlencode;
use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::domain::Namespace;

/// Change sets per timeline page; keys shown with their diff in a preview.
const TIMELINE_PAGE: i64 = 50;
const PREVIEW_KEYS: usize = 200;

#[derive(Deserialize)]
pub struct TimelineQuery {
    before: Option<i64>,
}

fn crumbs(ns: &str, here: &str) -> Markup {
    html! {
        nav.crumbs {
            a href="/console" { "Namespaces" } " / "
            a href=(format!("/console/ns/{ns}")) { (ns) } " / " strong { (here) }
        }
    }
}

/// `GET /console/ns/{ns}/history`: change sets, newest first.
pub async fn timeline(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<TimelineQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let params = json!([ns.as_str(), query.before, TIMELINE_PAGE]);
    let back = format!("/console/ns/{ns}");
    let found = state.items::<crate::history::Timeline>(&user, &req, params, &back);
    let entries = match found.await {
        Ok(entries) => entries,
        Err(back) => return back,
    };
    let may_write = Namespace::parse(ns.as_str()).is_ok_and(|n| user.grants.may_write(&n));
    let older = (entries.len() as i64 == TIMELINE_PAGE)
        .then(|| entries.last().and_then(|e| e["revision"].as_i64()))
        .flatten();
    let body = html! {
        (crumbs(&ns, "History"))
        h1 { "History of " (ns.as_str()) }
        @if entries.is_empty() {
            div.empty { p { "No change sets kept (history is kept for server.history_retention)." } }
        } @else {
            div.scroll {
                table.list.timeline {
                    thead { tr { th.num { "Revision" } th { "When" } th { "Who" } th.num { "Keys" } th { "Comment" } @if may_write { th { span.sr { "Actions" } } } } }
                    tbody {
                        @for e in &entries {
                            @let at = e["at"].as_str().unwrap_or("");
                            tr {
                                td.num data-label="revision" { (e["revision"]) }
                                td.time data-label="when" { time datetime=(at) title=(at) { (at) } }
                                td data-label="by" { (e["author"].as_str().filter(|a| !a.is_empty()).unwrap_or("unknown"))
                                     div.meta { (e["method"].as_str().unwrap_or("")) }
                                     (approvals(&e["review"])) }
                                td.num data-label="keys" { (e["keys"]) }
                                td data-label="comment" { (e["comment"].as_str().unwrap_or("")) }
                                @if may_write {
                                    td.actions { a href=(format!("/console/ns/{ns}/rollback?revision={}", e["revision"])) { "Roll back to here" } }
                                }
                            }
                        }
                    }
                }
            }
        }
        nav.pager {
            @if query.before.is_some() { a href=(format!("/console/ns/{ns}/history")) { "← Newest" } }
            @if let Some(before) = older { a href=(format!("/console/ns/{ns}/history?before={before}")) rel="next" { "Older →" } }
        }
    };
    send(
        StatusCode::OK,
        page(&format!("History of {ns}"), Some(&user), body),
    )
}

/// `GET /console/ns/{ns}/key?key=`: one key's writes, with a diff between
/// any two of them (chosen in the page).
pub async fn key(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<KeyQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let params = json!([query.key, ns.as_str(), 1000]);
    let back = format!("/console/ns/{ns}");
    let writes = match state
        .items::<crate::history::KeyHistory>(&user, &req, params, &back)
        .await
    {
        Ok(writes) => writes,
        Err(back) => return back,
    };
    let body = html! {
        (crumbs(&ns, &query.key))
        h1 { code { (query.key) } }
        @if writes.is_empty() {
            div.empty { p { "No writes of this key are kept." } }
        } @else {
            p.hint { "Pick two writes (A and B) to compare them." }
            div #key-diff.card { pre.diff #diff-out {} }
            div.scroll {
                table.list.writes #writes {
                    thead { tr { th { "A" } th { "B" } th.num { "Revision" } th { "When" } th { "Who" } th { "Value" } } }
                    tbody {
                        @for (i, w) in writes.iter().enumerate() {
                            @let at = w["at"].as_str().unwrap_or("");
                            @let value = if w["deleted"] == json!(true) { String::new() } else {
                                serde_json::to_string_pretty(&w["value"]).unwrap_or_default()
                            };
                            tr data-value=(value) {
                                td data-label="A" { input type="radio" name="a" value=(i) checked[i == 1 || writes.len() == 1] aria-label=(format!("compare revision {} as A", w["revision"])); }
                                td data-label="B" { input type="radio" name="b" value=(i) checked[i == 0] aria-label=(format!("compare revision {} as B", w["revision"])); }
                                td.num data-label="revision" { (w["revision"]) }
                                td.time data-label="when" { time datetime=(at) title=(at) { (at) } }
                                td data-label="by" { (w["author"].as_str().filter(|a| !a.is_empty()).unwrap_or("unknown")) }
                                td.value {
                                    @if value.is_empty() { span.meta { "deleted" } } @else { code { (value) } }
                                    @if let Some(e) = w["expires_at"].as_str() { div.meta { "expires " (e) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    send(StatusCode::OK, page(&query.key, Some(&user), body))
}

#[derive(Deserialize)]
pub struct RollbackQuery {
    revision: i64,
}

/// `GET /console/ns/{ns}/rollback?revision=`: what a rollback to that
/// revision would change, key by key, and a button to do it.
pub async fn preview(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<RollbackQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let path = format!("/console/ns/{ns}");
    // The namespace's revision first: the confirmation is refused if it moves.
    let current = match state
        .call::<crate::records::Search>(&user, &req, json!({"namespace": ns.as_str(), "limit": 1}))
        .await
    {
        Ok(found) => found["revision"].as_i64().unwrap_or(0),
        Err(e) => return back_to(&path, "error", &e.message),
    };
    let params = json!([ns.as_str(), query.revision, current, true]);
    let plan = match state
        .call::<crate::history::Rollback>(&user, &req, params)
        .await
    {
        Ok(plan) => plan,
        Err(e) => return back_to(&format!("{path}/history"), "error", &e.message),
    };
    let empty = serde_json::Map::new();
    let upserts = plan["upserts"].as_object().unwrap_or(&empty);
    let deletes: Vec<&str> = plan["deletes"]
        .as_array()
        .map_or(Vec::new(), |d| d.iter().filter_map(Value::as_str).collect());
    let mut keys: Vec<&str> = upserts
        .keys()
        .map(String::as_str)
        .chain(deletes.iter().copied())
        .collect();
    keys.sort_unstable();
    let total = keys.len();
    let mut items = Vec::new();
    for key in keys.into_iter().take(PREVIEW_KEYS) {
        let now = state
            .call::<crate::records::Get>(&user, &req, json!([key, ns.as_str()]))
            .await
            .ok();
        let now = now.map(|r| serde_json::to_string_pretty(&r["value"]).unwrap_or_default());
        let then = upserts
            .get(key)
            .map(|v| serde_json::to_string_pretty(v).unwrap_or_default());
        items.push((key.to_string(), now, then));
    }
    let body = html! {
        (crumbs(&ns, "Roll back"))
        h1 { "Roll back " (ns.as_str()) " to revision " (query.revision) }
        @if total == 0 {
            (notice("info", "Nothing to change: the namespace already equals its state at that revision."))
        } @else {
            p.lead { "This commits one new revision that makes " (ns.as_str()) " equal to its state at revision "
                (query.revision) ": " (upserts.len()) " records written, " (deletes.len()) " deleted. Edges receive it like any change." }
            div #rollback-preview {
                @for (key, now, then) in &items {
                    @let kind = match (now, then) { (None, _) => "add", (_, None) => "delete", _ => "change" };
                    div.staged-item data-before=[now.as_deref()] data-after=[then.as_deref()] {
                        header { div { span class=(format!("kind {kind}")) { (kind) } code { (key) } } }
                        pre.diff {}
                    }
                }
                @if total > PREVIEW_KEYS { p.meta { "… and " (total - PREVIEW_KEYS) " more keys." } }
            }
            form.stack method="post" action=(format!("/console/ns/{ns}/rollback")) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="revision" value=(query.revision);
                input type="hidden" name="if_revision" value=(current);
                div.row {
                    button.danger type="submit" #confirm-rollback { "Roll back: change " (total) (if total == 1 { " key" } else { " keys" }) }
                    button.secondary type="submit" name="propose" value="1" #propose-rollback { "Propose for review" }
                    a href=(format!("{path}/history")) { "Cancel" }
                }
            }
        }
    };
    send(StatusCode::OK, page("Roll back", Some(&user), body))
}

#[derive(Deserialize)]
pub struct RollbackForm {
    csrf: Option<String>,
    revision: i64,
    if_revision: i64,
    /// Make the rollback a change request instead.
    propose: Option<String>,
}

/// `POST /console/ns/{ns}/rollback`: the previewed rollback, refused if
/// the namespace changed since the preview.
pub async fn rollback(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<RollbackForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let path = format!("/console/ns/{ns}");
    if form.propose.is_some() {
        return propose_rollback(&state, (&user, &req), &ns, &form).await;
    }
    let params = json!([ns.as_str(), form.revision, form.if_revision]);
    match state
        .call::<crate::history::Rollback>(&user, &req, params)
        .await
    {
        Ok(applied) => {
            let to = match applied["revision"].as_i64() {
                Some(rev) => format!(
                    "{path}?notice={}",
                    urlencode(&format!(
                        "Rolled back to revision {} at revision {rev}.",
                        form.revision
                    ))
                ),
                None => format!("{path}?notice={}", urlencode("Nothing to change.")),
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish()
        }
        Err(e) if e.code == crate::rpc::error::CONFLICT => back_to(
            &format!("{path}/history"),
            "error",
            "The namespace changed after the preview: nothing was rolled back. Preview again.",
        ),
        Err(e) => back_to(&format!("{path}/history"), "error", &e.message),
    }
}

/// The previewed rollback as a change request: its change set, computed
/// now (a dry run), proposed with a comment naming the revision.
async fn propose_rollback(
    state: &ConsoleState,
    (user, req): (&ConsoleUser, &HttpRequest),
    ns: &str,
    form: &RollbackForm,
) -> HttpResponse {
    let back = format!("/console/ns/{ns}/history");
    let params = json!([ns, form.revision, form.if_revision, true]);
    let mut changes = match state
        .call::<crate::history::Rollback>(user, req, params)
        .await
    {
        Ok(changes) => changes,
        Err(e) => return back_to(&back, "error", &e.message),
    };
    if let Some(set) = changes.as_object_mut() {
        set.remove("dry_run");
    }
    let comment = format!("roll back to revision {}", form.revision);
    super::reviews::propose(state, (user, req), ns, changes, (&comment, &back)).await
}

/// Who approved a published change request, or the reason it was
/// published without its approvals.
fn approvals(review: &Value) -> Markup {
    let by: Vec<&str> = review["approvals"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["by"].as_str())
        .collect();
    html! {
        @if let Some(request) = review["request"].as_i64() {
            div.meta.approvals {
                a href=(format!("/console/reviews/{request}")) { "request #" (request) }
                @if !by.is_empty() { ", approved by " (by.join(", ")) }
                @if let Some(reason) = review["break_glass"].as_str() { ", published without reviews: " (reason) }
            }
        }
    }
}
