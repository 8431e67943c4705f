//! Tokens, for administrators: the list (never a token itself), a new
//! token shown once with a copy button, and revoking one.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{page, send};
use super::namespaces::{back_to, notices, Notice};
use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::configuration::HumanDuration;

const PATH: &str = "/console/tokens";

fn admin_only(user: &ConsoleUser) -> Option<HttpResponse> {
    (!user.grants.is_admin())
        .then(|| back_to("/console", "error", "Only an administrator manages tokens."))
}

async fn list_page(
    req: &HttpRequest,
    state: &ConsoleState,
    user: &ConsoleUser,
    top: Markup,
) -> HttpResponse {
    let tokens = match state
        .items::<crate::users::ListTokens>(user, req, json!([]), "/console")
        .await
    {
        Ok(all) => all,
        Err(back) => return back,
    };
    let body = html! {
        h1 { "Tokens" }
        p.lead { "Bearer tokens for edges and scripts: each reads (or writes) some namespaces, until it expires or is revoked." }
        (top)
        @if tokens.is_empty() {
            div.empty { p { "No tokens yet. Create one below for each edge, so any of them can be revoked alone." } }
        } @else {
            div.scroll {
                table.list #tokens {
                    thead { tr { th { "Name" } th { "Namespaces" } th { "May" } th { "Created" } th { "Expires" } th { "Last used" } th { span.sr { "Actions" } } } }
                    tbody {
                        @for t in &tokens {
                            @let name = t["name"].as_str().unwrap_or("");
                            tr data-token=(name) {
                                td { strong { (name) } }
                                td data-label="namespaces" { (t["namespaces"].as_array().map(|a| a.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")).unwrap_or_default()) }
                                td data-label="may" { @if t["write"] == json!(true) { "read, write" } @else { "read" } }
                                td.time data-label="created" { (time(&t["created_at"])) }
                                td.time data-label="expires" { @if t["expires_at"].is_null() { span.meta { "never" } } @else { (time(&t["expires_at"])) } }
                                td.time data-label="last used" { @if t["last_used"].is_null() { span.meta { "never" } } @else { (time(&t["last_used"])) } }
                                td.actions {
                                    form method="post" action=(format!("{PATH}/{name}/revoke")) {
                                        input type="hidden" name="csrf" value=(user.csrf);
                                        button.link.danger type="submit" { "Revoke" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Create a token" }
            form.stack method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="token-name" { "Name" }
                input #token-name type="text" name="name" required maxlength="64" placeholder="edge-paris-1";
                label for="token-namespaces" { "Namespaces (separated by spaces; empty: every namespace)" }
                input #token-namespaces type="text" name="namespaces" placeholder="geo routes";
                label.check { input type="checkbox" name="write"; " May write too" }
                label for="token-expires" { "Expires after (e.g. 90d; empty: until revoked)" }
                input #token-expires type="text" name="expires" placeholder="90d";
                button.primary type="submit" { "Create token" }
            }
        }
    };
    send(StatusCode::OK, page("Tokens", Some(user), body))
}

fn time(v: &Value) -> Markup {
    let at = v.as_str().unwrap_or("");
    html! { time datetime=(at) title=(at) { (at) } }
}

/// `GET /console/tokens`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    query: web::Query<Notice>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    if let Some(refused) = admin_only(&user) {
        return refused;
    }
    list_page(&req, &state, &user, notices(&query)).await
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: Option<String>,
    name: String,
    #[serde(default)]
    namespaces: String,
    write: Option<String>,
    #[serde(default)]
    expires: String,
}

/// `POST /console/tokens`: the new token, shown on this page once (the
/// response is not cached, and the token is in no URL).
pub async fn create(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    form: web::Form<CreateForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    if let Some(refused) = admin_only(&user) {
        return refused;
    }
    let expires = form.expires.trim();
    let expires_in = if expires.is_empty() {
        Value::Null
    } else {
        match HumanDuration::parse(expires) {
            Ok(d) => json!(d.get().as_secs_f64()),
            Err(e) => return back_to(PATH, "error", &format!("Expires after: {e}")),
        }
    };
    let namespaces: Vec<&str> = form.namespaces.split_whitespace().collect();
    let params = json!([
        form.name.trim(),
        form.write.is_some(),
        namespaces,
        expires_in
    ]);
    match state
        .call::<crate::users::AddToken>(&user, &req, params)
        .await
    {
        Ok(made) => {
            let token = made["token"].as_str().unwrap_or("");
            let top = html! {
                div.notice.ok role="status" #new-token {
                    p { strong { "Token " (made["name"].as_str().unwrap_or("")) " created." }
                        " Copy it now: it is shown this once (only its hash is kept)." }
                    div.row {
                        code #token-value { (token) }
                        button.secondary type="button" data-copy="token-value" { "Copy" }
                    }
                    p.hint { "An edge sends it from " code { "client.token" } " or " code { "client.token_file" } "." }
                }
            };
            list_page(&req, &state, &user, top).await
        }
        Err(e) => back_to(PATH, "error", &e.message),
    }
}

#[derive(Deserialize)]
pub struct RevokeForm {
    csrf: Option<String>,
}

/// `POST /console/tokens/{name}/revoke`.
pub async fn revoke(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    name: web::Path<String>,
    form: web::Form<RevokeForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    if let Some(refused) = admin_only(&user) {
        return refused;
    }
    match state
        .call::<crate::users::RevokeToken>(&user, &req, json!([name.as_str()]))
        .await
    {
        Ok(Value::Bool(true)) => back_to(
            PATH,
            "notice",
            &format!("Token {name} revoked: every center refuses it within a second."),
        ),
        Ok(_) => back_to(PATH, "error", &format!("No token {name}.")),
        Err(e) => back_to(PATH, "error", &e.message),
    }
}
