//! Users, for administrators: the list, adding one, and per user its
//! grants per namespace, administrator or not, a password reset and
//! removal. Every action is a `users.*` call.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{page, send};
use super::namespaces::{back_to, notices, Notice};
use super::ConsoleState;
use crate::users::{RemoveUser, UpdateUser};

const PATH: &str = "/console/users";

/// `GET /console/users`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    query: web::Query<Notice>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let users = match state
        .items::<crate::users::ListUsers>(&user, &req, json!([]), "/console")
        .await
    {
        Ok(all) => all,
        Err(back) => return back,
    };
    let body = html! {
        h1 { "Users" }
        p.lead { "People who sign in here or call the API with a password. Readers see, writers edit, administrators also manage users, tokens and namespaces." }
        (notices(&query))
        div.scroll {
            table.list #users {
                thead { tr { th { "Name" } th { "Grants" } th { "Created" } } }
                tbody {
                    @for u in &users {
                        @let name = u["name"].as_str().unwrap_or("");
                        tr data-user=(name) {
                            td { a href=(format!("{PATH}/{name}")) { strong { (name) } } @if u["admin"] == json!(true) { " " span.badge { "admin" } } }
                            td data-label="grants" { (grants_text(&u["grants"])) }
                            td.time data-label="created" { @let at = u["created_at"].as_str().unwrap_or(""); time datetime=(at) title=(at) { (at) } }
                        }
                    }
                }
            }
        }
        section.card {
            h2 { "Add a user" }
            form.stack method="post" action=(PATH) {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="user-name" { "Name" }
                input #user-name type="text" name="name" required maxlength="64" autocomplete="off";
                label for="user-password" { "Password (at least 8 characters)" }
                input #user-password type="password" name="password" required minlength="8" autocomplete="new-password";
                label for="user-level" { "May" }
                select #user-level name="level" {
                    option value="read" { "read every namespace" }
                    option value="write" { "read and write every namespace" }
                    option value="admin" { "administer (and write)" }
                }
                button.primary type="submit" { "Add user" }
            }
        }
    };
    send(StatusCode::OK, page("Users", Some(&user), body))
}

fn grants_text(grants: &Value) -> String {
    let Some(map) = grants.as_object() else {
        return "none".into();
    };
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(scope, level)| format!("{scope}: {}", level.as_str().unwrap_or("")))
        .collect::<Vec<_>>()
        .join(", ")
}

#[derive(Deserialize)]
pub struct AddForm {
    csrf: Option<String>,
    name: String,
    password: String,
    level: String,
}

/// `POST /console/users`.
pub async fn add(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    form: web::Form<AddForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let (write, admin) = (form.level != "read", form.level == "admin");
    let params = json!([form.name.trim(), form.password, write, admin]);
    match state
        .call::<crate::users::AddUser>(&user, &req, params)
        .await
    {
        Ok(_) => back_to(PATH, "notice", &format!("User {} added.", form.name.trim())),
        Err(e) => back_to(PATH, "error", &e.message),
    }
}

/// `GET /console/users/{name}`.
pub async fn edit(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    name: web::Path<String>,
    query: web::Query<Notice>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let users = match state
        .items::<crate::users::ListUsers>(&user, &req, json!([]), "/console")
        .await
    {
        Ok(all) => all,
        Err(back) => return back,
    };
    let Some(found) = users.iter().find(|u| u["name"] == name.as_str()) else {
        return back_to(PATH, "error", &format!("No user {name}."));
    };
    let action = format!("{PATH}/{name}");
    let empty = serde_json::Map::new();
    let grants = found["grants"].as_object().unwrap_or(&empty);
    let body = html! {
        nav.crumbs { a href=(PATH) { "Users" } " / " strong { (name.as_str()) } }
        h1 { (name.as_str()) @if found["admin"] == json!(true) { " " span.badge { "admin" } } }
        (notices(&query))
        (grants_card(grants, &action, &user.csrf))
        section.card {
            h2 { "Administrator" }
            form method="post" action=(action.clone()) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="action" value="admin";
                @if found["admin"] == json!(true) {
                    input type="hidden" name="admin" value="off";
                    p { "Manages users, tokens and namespaces. " button.secondary type="submit" { "Make a regular user" } }
                } @else {
                    input type="hidden" name="admin" value="on";
                    p { "A regular user. " button.secondary type="submit" { "Make an administrator" } }
                }
            }
        }
        section.card {
            h2 { "Reset the password" }
            form.stack method="post" action=(action.clone()) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="action" value="password";
                label for="new-password" { "New password (at least 8 characters); the user's console sessions end" }
                input #new-password type="password" name="password" required minlength="8" autocomplete="new-password";
                button.primary type="submit" { "Set password" }
            }
        }
        details.card.danger-zone {
            summary { h2 { "Remove this user" } }
            form.stack method="post" action=(action) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="action" value="remove";
                p { "Removes the user, its grants and its sessions. What it wrote stays in history under its name." }
                button.danger type="submit" { "Remove " (name.as_str()) }
            }
        }
    };
    send(StatusCode::OK, page(name.as_str(), Some(&user), body))
}

/// A user's grants, each with its revoke button, and the form to grant.
fn grants_card(
    grants: &serde_json::Map<String, serde_json::Value>,
    action: &str,
    csrf: &str,
) -> maud::Markup {
    html! {
        section.card {
            h2 { "Grants" }
            div.scroll { table.list #grants {
                thead { tr { th { "Namespace" } th { "May" } th { span.sr { "Actions" } } } }
                tbody {
                    @for (scope, level) in grants {
                        tr {
                            td { code { (scope) } @if scope == "*" { span.meta { " every namespace" } } }
                            td data-label="may" { (level.as_str().unwrap_or("")) }
                            td.actions { form method="post" action=(action) {
                                input type="hidden" name="csrf" value=(csrf);
                                input type="hidden" name="action" value="grant";
                                input type="hidden" name="scope" value=(scope);
                                input type="hidden" name="level" value="none";
                                button.link.danger type="submit" { "Revoke" }
                            } }
                        }
                    }
                    @if grants.is_empty() { tr { td colspan="3" { span.meta { "No grant: this user sees nothing." } } } }
                }
            } }
            form.stack #grant method="post" action=(action) {
                input type="hidden" name="csrf" value=(csrf);
                input type="hidden" name="action" value="grant";
                label for="grant-scope" { "Namespace (or * for every one)" }
                input #grant-scope type="text" name="scope" required maxlength="64";
                label for="grant-level" { "May" }
                select #grant-level name="level" { option value="read" { "read" } option value="write" { "read and write" } }
                button.primary type="submit" { "Grant" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct ChangeForm {
    csrf: Option<String>,
    action: String,
    scope: Option<String>,
    level: Option<String>,
    admin: Option<String>,
    password: Option<String>,
}

/// `POST /console/users/{name}`: one change (`action`: grant, admin,
/// password, remove).
pub async fn change(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    name: web::Path<String>,
    form: web::Form<ChangeForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let here = format!("{PATH}/{name}");
    let (params, done) = match form.action.as_str() {
        "grant" => {
            let scope = form.scope.as_deref().unwrap_or("").trim().to_string();
            let level = match form.level.as_deref() {
                Some("read") => json!("read"),
                Some("write") => json!("write"),
                _ => Value::Null,
            };
            let text = if level.is_null() {
                format!("Grant on {scope} revoked.")
            } else {
                format!("Granted {level} on {scope}.")
            };
            (
                json!({"name": name.as_str(), "grants": {scope: level}}),
                text,
            )
        }
        "admin" => {
            let on = form.admin.as_deref() == Some("on");
            let text = if on {
                "Now an administrator."
            } else {
                "No longer an administrator."
            };
            (
                json!({"name": name.as_str(), "admin": on}),
                text.to_string(),
            )
        }
        "password" => {
            let password = form.password.clone().unwrap_or_default();
            let done = "Password changed; its sessions ended.".to_string();
            (json!({"name": name.as_str(), "password": password}), done)
        }
        "remove" => {
            let params = json!([name.as_str()]);
            return match state.call::<RemoveUser>(&user, &req, params).await {
                Ok(_) => back_to(PATH, "notice", &format!("User {name} removed.")),
                Err(e) => back_to(&here, "error", &e.message),
            };
        }
        _ => return back_to(&here, "error", "Unknown action."),
    };
    match state.call::<UpdateUser>(&user, &req, params).await {
        Ok(_) => back_to(&here, "notice", &done),
        Err(e) => back_to(&here, "error", &e.message),
    }
}
