//! The namespaces page: every namespace with its size and last change;
//! create (administrators), set or clear a schema (writers), delete
//! (administrators).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, send};
use super::session::urlencode;
use super::ConsoleState;
use crate::center::ConsoleUser;

#[derive(Deserialize)]
pub struct Notice {
    pub notice: Option<String>,
    pub error: Option<String>,
}

/// Human bytes: 1.2 MB.
pub fn bytes(n: i64) -> String {
    let n = n.max(0) as f64;
    match n {
        n if n >= 1e9 => format!("{:.1} GB", n / 1e9),
        n if n >= 1e6 => format!("{:.1} MB", n / 1e6),
        n if n >= 1e3 => format!("{:.1} kB", n / 1e3),
        n => format!("{n} B"),
    }
}

/// A redirect after a form, with a message for the next page.
pub fn back_to(path: &str, kind: &str, text: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((
            header::LOCATION,
            format!("{path}?{kind}={}", urlencode(text)),
        ))
        .finish()
}

/// Notices carried in the query of a page reached after a form.
pub fn notices(n: &Notice) -> Markup {
    html! {
        @if let Some(text) = &n.notice { (notice("ok", text)) }
        @if let Some(text) = &n.error { (notice("error", text)) }
    }
}

/// `GET /console`.
pub async fn list(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    query: web::Query<Notice>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let listed = state
        .call::<crate::namespaces::ListNamespaces>(&user, &req, json!([]))
        .await;
    let body = match listed {
        Ok(Value::Array(all)) => table(&user, &all),
        Ok(_) => html! {},
        Err(e) => notice("error", &e.message),
    };
    send(
        StatusCode::OK,
        page(
            "Namespaces",
            Some(&user),
            html! {
                h1 { "Namespaces" }
                (notices(&query))
                (body)
                @if user.grants.is_admin() { (create_form(&user)) }
            },
        ),
    )
}

fn table(user: &ConsoleUser, all: &[Value]) -> Markup {
    let visible: Vec<&Value> = all
        .iter()
        .filter(|n| {
            let name = n["name"].as_str().unwrap_or("");
            crate::domain::Namespace::parse(name).is_ok_and(|ns| user.grants.may_read(&ns))
        })
        .collect();
    html! {
        @if visible.is_empty() {
            div.empty {
                p { "No namespace you may read yet." }
                @if user.grants.is_admin() { p { "Create one below." } }
                @else { p { "Ask an administrator for a grant (" code { "syncdict user grant" } ")." } }
            }
        } @else {
            div.scroll {
                table.list {
                    thead { tr {
                        th { "Namespace" } th.num { "Records" } th.num { "Size" }
                        th.num { "Revision" } th { "Last change" } th { "Schema" }
                    } }
                    tbody {
                        @for n in &visible {
                            @let name = n["name"].as_str().unwrap_or("");
                            tr {
                                td {
                                    a href=(format!("/console/ns/{name}")) { strong { (name) } }
                                    @if let Some(d) = n["description"].as_str().filter(|d| !d.is_empty()) {
                                        div.meta { (d) }
                                    }
                                }
                                td.num data-label="records" { (n["records"]) }
                                td.num data-label="size" { (bytes(n["bytes"].as_i64().unwrap_or(0))) }
                                td.num data-label="revision" { (n["revision"]) }
                                td data-label="last change" {
                                    @match (n["changed_by"].as_str(), n["changed_at"].as_str()) {
                                        (Some(by), Some(at)) => {
                                            time datetime=(at) title=(at) { (at) }
                                            " by " (if by.is_empty() { "unknown" } else { by })
                                        }
                                        _ => span.meta { "—" },
                                    }
                                }
                                td data-label="schema" { @if n["schema"].is_null() { span.meta { "none" } } @else { "yes" } }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn create_form(user: &ConsoleUser) -> Markup {
    html! {
        section.card {
            h2 { "Create a namespace" }
            form.stack method="post" action="/console/namespaces" {
                input type="hidden" name="csrf" value=(user.csrf);
                label for="ns-name" { "Name" }
                input #ns-name type="text" name="name" required maxlength="64"
                    pattern="[a-z0-9][a-z0-9._\\-]{0,63}" placeholder="geo";
                p.hint { "a–z, 0–9, '.', '_', '-'; starts with a letter or digit; at most 64." }
                label for="ns-description" { "Description" }
                input #ns-description type="text" name="description" maxlength="1000" placeholder="Countries by ISO code";
                button.primary type="submit" { "Create" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct CreateForm {
    csrf: Option<String>,
    name: String,
    #[serde(default)]
    description: String,
}

/// `POST /console/namespaces` (administrators).
pub async fn create(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    form: web::Form<CreateForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    if !user.grants.is_admin() {
        return back_to(
            "/console",
            "error",
            "Only an administrator creates namespaces.",
        );
    }
    let params = json!([form.name.trim(), form.description]);
    match state
        .call::<crate::namespaces::Create>(&user, &req, params)
        .await
    {
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((
                header::LOCATION,
                format!("/console/ns/{}?notice=Created", form.name.trim()),
            ))
            .finish(),
        Err(e) => back_to("/console", "error", &e.message),
    }
}

#[derive(Deserialize)]
pub struct SchemaForm {
    csrf: Option<String>,
    #[serde(default)]
    schema: String,
}

/// `POST /console/ns/{ns}/schema`: sets the schema, or clears it when the
/// field is empty; the center checks it and every record against it.
pub async fn set_schema(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<SchemaForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let path = format!("/console/ns/{ns}");
    let text = form.schema.trim();
    let schema = if text.is_empty() {
        Value::Null
    } else {
        match serde_json::from_str::<Value>(text) {
            Ok(v) => v,
            Err(e) => {
                return back_to(
                    &path,
                    "error",
                    &format!("The schema is not valid JSON: {e}"),
                )
            }
        }
    };
    let cleared = schema.is_null();
    match state
        .call::<crate::namespaces::SetSchema>(&user, &req, json!([ns.as_str(), schema]))
        .await
    {
        Ok(_) if cleared => back_to(&path, "notice", "Schema cleared."),
        Ok(_) => back_to(&path, "notice", "Schema set: every record matches it."),
        Err(e) => back_to(&path, "error", &e.message),
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    csrf: Option<String>,
    #[serde(default)]
    force: Option<String>,
    #[serde(default)]
    confirm: String,
}

/// `POST /console/ns/{ns}/delete` (administrators; the name typed again).
pub async fn delete(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<DeleteForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let path = format!("/console/ns/{ns}");
    if !user.grants.is_admin() {
        return back_to(&path, "error", "Only an administrator deletes namespaces.");
    }
    if form.confirm != ns.as_str() {
        return back_to(
            &path,
            "error",
            "Type the namespace's name to confirm the delete.",
        );
    }
    let force = form.force.is_some();
    match state
        .call::<crate::namespaces::Delete>(&user, &req, json!([ns.as_str(), force]))
        .await
    {
        Ok(_) => back_to("/console", "notice", &format!("Namespace {ns} deleted.")),
        Err(e) => back_to(&path, "error", &e.message),
    }
}
