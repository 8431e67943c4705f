//! Change requests in the console: the open requests (all, or one
//! namespace's), one request with its diff against the live data and its
//! reviews, and the forms to approve or reject, publish (an administrator
//! may break the glass with a reason) or withdraw. Staged edits, an import
//! and a rollback preview are proposed through `propose`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, send};
use super::namespaces::back_to;
use super::session::urlencode;
use super::ConsoleState;
use crate::center::ConsoleUser;

/// Proposes `changes` for `ns` as `user`, then shows the new request (or
/// goes back to `back` with what went wrong).
pub(super) async fn propose(
    state: &ConsoleState,
    (user, req): (&ConsoleUser, &HttpRequest),
    ns: &str,
    changes: Value,
    (comment, back): (&str, &str),
) -> HttpResponse {
    let params = json!([ns, changes, comment]);
    match state
        .call::<crate::changes::Propose>(user, req, params)
        .await
    {
        Ok(made) => {
            let to = format!(
                "/console/reviews/{}?notice={}",
                made["id"],
                urlencode("Proposed for review.")
            );
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish()
        }
        Err(e) => back_to(back, "error", &e.message),
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    ns: Option<String>,
    state: Option<String>,
}

/// `GET /console/reviews`: change requests, open ones by default.
pub async fn list(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let shown_state = q.state.clone().unwrap_or_else(|| "open".into());
    let params = json!([q.ns, shown_state, 100]);
    let items = match state
        .items::<crate::changes::List>(&user, &req, params, "/console")
        .await
    {
        Ok(items) => items,
        Err(back) => return back,
    };
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " strong { "Reviews" } }
        h1 { "Change requests" @if let Some(ns) = &q.ns { " in " (ns) } }
        nav.tabs aria-label="State" {
            @for s in ["open", "published", "rejected", "withdrawn"] {
                @let href = match &q.ns { Some(ns) => format!("/console/reviews?state={s}&ns={ns}"), None => format!("/console/reviews?state={s}") };
                a href=(href) aria-current=[(s == shown_state).then_some("page")] { (s) }
            }
        }
        @if items.is_empty() {
            p.meta #no-requests { "No " (shown_state) " change requests." }
        } @else {
            table.list #requests {
                thead { tr { th { "#" } th { "namespace" } th { "by" } th { "comment" } th { "approvals" } th { "conflicts" } } }
                tbody {
                    @for r in &items {
                        tr data-request=(r["id"]) {
                            td.num data-label="#" { a href=(format!("/console/reviews/{}", r["id"])) { "#" (r["id"]) } }
                            td data-label="namespace" { (text(&r["namespace"])) }
                            td data-label="by" { (text(&r["author"])) }
                            td data-label="comment" { (text(&r["comment"])) }
                            td.num data-label="approvals" { (r["approvals"]) " / " (r["reviews_required"]) }
                            td.num data-label="conflicts" { (r["conflicts"].as_array().map_or(0, Vec::len)) }
                        }
                    }
                }
            }
        }
    };
    send(StatusCode::OK, page("Reviews", Some(&user), body))
}

#[derive(Deserialize)]
pub struct ShowQuery {
    notice: Option<String>,
    error: Option<String>,
}

/// `GET /console/reviews/{id}`: one request, its diff and its reviews.
pub async fn show(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    id: web::Path<i64>,
    q: web::Query<ShowQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let r = match state
        .call::<crate::changes::Get>(&user, &req, json!([*id]))
        .await
    {
        Ok(r) => r,
        Err(e) => return back_to("/console/reviews", "error", &e.message),
    };
    let body = html! {
        nav.crumbs { a href="/console/reviews" { "Reviews" } " / " strong { "#" (r["id"]) } }
        h1 { "Change request #" (r["id"]) " in " a href=(format!("/console/ns/{}", text(&r["namespace"]))) { (text(&r["namespace"])) } }
        @if let Some(n) = &q.notice { (notice("ok", n)) }
        @if let Some(e) = &q.error { (notice("error", e)) }
        // A proposal leaves nothing staged in the namespace's page.
        @if q.notice.as_deref() == Some("Proposed for review.") { div hidden data-proposed-ns=(text(&r["namespace"])) {} }
        p.lead #request-state { "By " strong { (text(&r["author"])) } ", " (text(&r["state"])) ", "
            (r["approvals"]) " of " (r["reviews_required"]) " approvals. " (text(&r["comment"])) }
        @if let Some(rid) = r["release"]["id"].as_i64() {
            p #request-release { "Gray release " a href=(format!("/console/gray/{rid}")) { "#" (rid) } ", " (text(&r["release"]["state"]))
                @if r["release"]["state"] == "active" { ": promoting it publishes this request; rejecting or withdrawing the request aborts it" } "." }
        }
        @if !r["conflicts"].as_array().is_none_or(Vec::is_empty) {
            (notice("error", &format!("Changed since it was proposed: {}. Publishing it is refused; propose it again on the current data.",
                keys(&r["conflicts"]))))
        }
        (diff(&r["diff"]))
        (reviews(&r["reviews"]))
        @if r["state"] == "open" { (forms(&user, &r)) }
    };
    send(StatusCode::OK, page("Review", Some(&user), body))
}

fn diff(entries: &Value) -> Markup {
    html! {
        table.list #request-diff {
            thead { tr { th { "key" } th { "now" } th { "proposed" } } }
            tbody {
                @for d in entries.as_array().into_iter().flatten() {
                    tr data-key=(text(&d["key"])) class=[d["changed_since"].as_bool().filter(|c| *c).map(|_| "conflict")] {
                        td data-label="key" { code { (text(&d["key"])) } }
                        td data-label="now" { pre { (shown(d, "old")) } }
                        td data-label="proposed" { pre { (shown(d, "new")) } }
                    }
                }
            }
        }
    }
}

fn reviews(items: &Value) -> Markup {
    html! {
        @if let Some(items) = items.as_array().filter(|i| !i.is_empty()) {
            h2 { "Reviews" }
            ul #reviews {
                @for v in items {
                    li { strong { (text(&v["reviewer"])) } " " (text(&v["verdict"])) "d" @if v["comment"] != "" { ": " (text(&v["comment"])) } }
                }
            }
        }
    }
}

fn forms(user: &ConsoleUser, r: &Value) -> Markup {
    let base = format!("/console/reviews/{}", r["id"]);
    let own = r["author"] == user.username.as_str();
    let approved = r["approvals"].as_i64() >= r["reviews_required"].as_i64();
    let admin = user.grants.is_admin();
    html! {
        @if !own { section.card {
            h2 { "Review" }
            form.stack #review-form method="post" action=(format!("{base}/review")) {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="review-comment" { "Comment" }
                input #review-comment type="text" name="comment" maxlength="1000";
                div.row {
                    button.primary type="submit" name="verdict" value="approve" #approve { "Approve" }
                    button.danger type="submit" name="verdict" value="reject" #reject { "Reject" }
                }
            }
        } }
        section.card {
            h2 { "Publish" }
            @if approved {
                div.row {
                    form.inline method="post" action=(format!("{base}/publish")) {
                        input type="hidden" name="csrf" value=(user.csrf);
                        button.primary type="submit" #publish-request { "Publish" }
                    }
                    @if r["release"]["state"] != "active" {
                        form.inline method="get" action=(format!("{base}/gray")) {
                            button.secondary type="submit" #release-request { "Release to some edges first" }
                        }
                    }
                }
            } @else {
                p.meta { "It needs " (r["reviews_required"]) " approving review(s) by writers other than its author first." }
                @if admin {
                    form.stack #break-glass method="post" action=(format!("{base}/publish")) {
                        input type="hidden" name="csrf" value=(user.csrf);
                        label for="break-glass-reason" { "Publish without its reviews (recorded in the audit log): the reason" }
                        input #break-glass-reason type="text" name="break_glass" maxlength="1000" required;
                        button.danger type="submit" #publish-break-glass { "Break glass and publish" }
                    }
                }
            }
            @if own || admin {
                form.inline method="post" action=(format!("{base}/withdraw")) {
                    input type="hidden" name="csrf" value=(user.csrf);
                    button.secondary type="submit" #withdraw { "Withdraw" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    csrf: Option<String>,
    verdict: Option<String>,
    #[serde(default)]
    comment: String,
    break_glass: Option<String>,
}

/// `POST /console/reviews/{id}/{action}`: review, publish or withdraw.
pub async fn act(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    path: web::Path<(i64, String)>,
    form: web::Form<ActForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let (id, action) = path.into_inner();
    let back = format!("/console/reviews/{id}");
    let done = match action.as_str() {
        "review" => {
            let params = json!([id, form.verdict.as_deref().unwrap_or(""), form.comment]);
            let done = state
                .call::<crate::changes::Review>(&user, &req, params)
                .await;
            done.map(|_| "Review recorded.".to_string())
        }
        "publish" => {
            let params = json!([id, form.break_glass.as_deref().filter(|r| !r.is_empty())]);
            let done = state
                .call::<crate::changes::Publish>(&user, &req, params)
                .await;
            done.map(|a| match a["revision"].as_i64() {
                Some(rev) => format!("Published at revision {rev}."),
                None => "Published: nothing needed to change.".to_string(),
            })
        }
        "withdraw" => {
            let done = state
                .call::<crate::changes::Withdraw>(&user, &req, json!([id]))
                .await;
            done.map(|_| "Withdrawn.".to_string())
        }
        _ => return back_to(&back, "error", "unknown action"),
    };
    match done {
        Ok(text) => back_to(&back, "notice", &text),
        Err(e) => back_to(&back, "error", &e.message),
    }
}

fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}

fn keys(v: &Value) -> String {
    let keys: Vec<&str> = v
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    keys.join(", ")
}

/// A value as JSON, or "(absent)".
/// A diff entry's `side` ("old" or "new"); a secret namespace's values
/// are never shown, only what kind of change it is.
fn shown(d: &Value, side: &str) -> String {
    match (&d[side], d["sealed"].as_bool()) {
        (_, Some(true)) => format!("(sealed: {})", d["change"].as_str().unwrap_or("?")),
        (Value::Null, _) => "(absent)".into(),
        (v, _) => serde_json::to_string_pretty(v).unwrap_or_default(),
    }
}
