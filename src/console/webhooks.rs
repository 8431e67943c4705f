//! Webhooks in the console, for administrators: each webhook with its
//! newest delivery attempts, and a button to send an event again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, send};
use super::namespaces::back_to;
use super::ConsoleState;

/// Attempts shown per webhook.
const SHOWN: i64 = 20;

#[derive(Deserialize)]
pub struct Query {
    notice: Option<String>,
    error: Option<String>,
}

/// `GET /console/webhooks`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    q: web::Query<Query>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let hooks = match state
        .items::<crate::webhooks::List>(&user, &req, json!([]), "/console")
        .await
    {
        Ok(hooks) => hooks,
        Err(back) => return back,
    };
    let mut logs = Vec::with_capacity(hooks.len());
    for hook in &hooks {
        let params = json!([hook["name"], SHOWN]);
        let log = state
            .call::<crate::webhooks::Log>(&user, &req, params)
            .await;
        logs.push(
            log.ok()
                .and_then(|l| l.as_array().cloned())
                .unwrap_or_default(),
        );
    }
    let text = |v: &Value| v.as_str().unwrap_or("").to_string();
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " strong { "Webhooks" } }
        h1 { "Webhooks" }
        @if let Some(n) = &q.notice { (notice("ok", n)) }
        @if let Some(e) = &q.error { (notice("error", e)) }
        @if hooks.is_empty() { p.meta { "No webhooks: add [[webhook]] sections to the settings, or call webhooks.add." } }
        @for (hook, log) in hooks.iter().zip(&logs) {
            section.card data-webhook=(text(&hook["name"])) {
                h2 { (text(&hook["name"])) " " span.meta { "(" (text(&hook["source"])) ")" } }
                p.meta { code { (text(&hook["url"])) } }
                @if log.is_empty() { p.meta { "No deliveries yet." } } @else {
                    table.list.deliveries {
                        thead { tr { th { "event" } th { "when" } th { "outcome" } th { "status" } th { "" } } }
                        tbody {
                            @for a in log {
                                tr data-event=(a["event"]) {
                                    td.num data-label="event" { (a["event"]) }
                                    td.time data-label="when" { (text(&a["at"])) }
                                    td data-label="outcome" { (text(&a["outcome"])) @if a["error"] != "" { div.meta { (text(&a["error"])) } } }
                                    td.num data-label="status" { (a["status"]) }
                                    td.actions {
                                        form.inline method="post" action=(format!("/console/webhooks/{}/redeliver", text(&hook["name"]))) {
                                            input type="hidden" name="csrf" value=(user.csrf);
                                            input type="hidden" name="event" value=(a["event"]);
                                            button.link type="submit" { "Redeliver" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    send(StatusCode::OK, page("Webhooks", Some(&user), body))
}

#[derive(Deserialize)]
pub struct RedeliverForm {
    csrf: Option<String>,
    event: i64,
}

/// `POST /console/webhooks/{name}/redeliver`.
pub async fn redeliver(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    name: web::Path<String>,
    form: web::Form<RedeliverForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let params = json!([name.as_str(), form.event]);
    match state
        .call::<crate::webhooks::Redeliver>(&user, &req, params)
        .await
    {
        Ok(done) if done["delivered"] == true => back_to(
            "/console/webhooks",
            "notice",
            &format!("Event {} sent again to {name}.", form.event),
        ),
        Ok(done) => back_to(
            "/console/webhooks",
            "error",
            &format!(
                "Event {} was not delivered: {}",
                form.event,
                done["error"].as_str().unwrap_or("")
            ),
        ),
        Err(e) => back_to("/console/webhooks", "error", &e.message),
    }
}
