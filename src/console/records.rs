//! A namespace's page: its records a page at a time (by key prefix or
//! substring, never the whole namespace), the JSON editor, the staged
//! change set with its diff, publishing it, and the namespace's schema and
//! delete. Staged edits live in the browser (`console.js`, per tab) until
//! published as one `records.apply` with `if_revision` and a comment, so a
//! concurrent change by someone else is a conflict, never overwritten.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, respond, send};
use super::namespaces::{back_to, bytes};
use super::records_forms::{delete_form, editor, schema_form, secret_card, transfer_card};
use super::session::urlencode;
use super::ConsoleState;
use crate::domain::{Namespace, RecordKey, ValueSchema, MAX_VIOLATIONS};

mod edit;
pub use edit::{check, publish, value, KeyQuery};

/// Records per page.
const PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct BrowseQuery {
    #[serde(default)]
    prefix: String,
    #[serde(default)]
    contains: String,
    after: Option<String>,
    notice: Option<String>,
    error: Option<String>,
    /// Set after a publish: the revision it took (the staged set is cleared).
    published: Option<i64>,
    /// Set after a publish refused because the namespace changed meanwhile.
    conflict: Option<u8>,
}

/// `GET /console/ns/{ns}`.
pub async fn browse(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<BrowseQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let ns = match Namespace::parse(ns.as_str()) {
        Ok(ns) => ns,
        Err(e) => return back_to("/console", "error", &e.to_string()),
    };
    let q = query.into_inner();
    let search = json!({
        "namespace": ns.as_str(), "prefix": q.prefix, "contains": q.contains,
        "after": q.after, "limit": PAGE,
    });
    let found = match state
        .call::<crate::records::Search>(&user, &req, search)
        .await
    {
        Ok(found) => found,
        Err(e) if e.code == crate::rpc::error::NO_SUCH_NAMESPACE => {
            return back_to("/console", "error", &e.message)
        }
        Err(e) => return back_to("/console", "error", &e.message),
    };
    let info = state
        .namespace_row(&user, &req, ns.as_str())
        .await
        .unwrap_or(Value::Null);
    let may_write = user.grants.may_write(&ns);
    let releases = super::gray_page::active_card(&state, (&user, &req), ns.as_str()).await;
    let sealed = info["recipient"].as_str().map(str::to_string);
    let keys = match &sealed {
        Some(_) => state
            .call::<crate::secrets::Keys>(&user, &req, json!([ns.as_str()]))
            .await
            .ok(),
        None => None,
    };
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " strong { (ns.as_str()) } }
        h1 { (ns.as_str()) }
        nav.tabs { a href=(format!("/console/ns/{ns}/history")) { "History and rollback" } }
        @if let Some(d) = info["description"].as_str().filter(|d| !d.is_empty()) { p.lead { (d) } }
        @if let Some(text) = &q.notice { (notice("ok", text)) }
        @if let Some(text) = &q.error { (notice("error", text)) }
        @if let Some(rev) = q.published { (notice("ok", &format!("Published at revision {rev}."))) }
        @if q.conflict.is_some() {
            div.notice.error role="alert" #conflict {
                strong { "Conflict. " }
                "Someone changed " (ns.as_str()) " after you started editing (it is now at revision " (found["revision"]) "). "
                "Nothing was published and your staged changes are kept below, compared with the current values. "
                "Review them, then publish onto the current revision."
                button.secondary type="button" #rebase { "Publish onto revision " (found["revision"]) }
            }
        }
        (facts(&found, &info))
        (search_form(&ns, &q.prefix, &q.contains))
        (records_table(&ns, &found, may_write, &q, sealed.as_deref()))
        @if let Some(keys) = &keys { (secret_card(keys)) }
        (releases)
        @if may_write { (editor(&user, &ns, &found, &info)) }
        @if sealed.is_some() { script src="/console/assets/age.js" defer {} }
        (transfer_card(&user, &ns, may_write))
        (reviews_link(&ns, &info))
        @if may_write && sealed.is_none() { (schema_form(&user, &ns, &info)) }
        @if user.grants.is_admin() { (delete_form(&user, &ns)) }
    };
    send(StatusCode::OK, page(ns.as_str(), Some(&user), body))
}

/// The namespace's policy and a link to its change requests.
fn reviews_link(ns: &Namespace, info: &Value) -> Markup {
    let required = info["reviews_required"].as_i64().unwrap_or(0);
    html! {
        p.meta #review-policy {
            @if required > 0 { "Changes need " (required) " approving review" @if required > 1 { "s" } " before they are published. " }
            a href=(format!("/console/reviews?ns={ns}")) { "Change requests of " (ns.as_str()) }
        }
    }
}

fn facts(found: &Value, info: &Value) -> Markup {
    html! {
        dl.facts {
            div { dt { "Records" } dd { (found["total"]) } }
            div { dt { "Size" } dd { (bytes(info["bytes"].as_i64().unwrap_or(0))) } }
            div { dt { "Revision" } dd { (found["revision"]) } }
            div { dt { "Last change" } dd {
                @match (info["changed_by"].as_str(), info["changed_at"].as_str()) {
                    (Some(by), Some(at)) => { time datetime=(at) title=(at) { (at) } " by " (by) }
                    _ => "—",
                }
            } }
        }
    }
}

fn search_form(ns: &Namespace, prefix: &str, contains: &str) -> Markup {
    html! {
        form.search method="get" action=(format!("/console/ns/{ns}")) role="search" {
            label for="prefix" { "Key starts with" }
            input #prefix type="search" name="prefix" value=(prefix) autocomplete="off";
            label for="contains" { "Key contains" }
            input #contains type="search" name="contains" value=(contains) autocomplete="off";
            button type="submit" { "Search" }
        }
    }
}

/// The records found; a secret namespace's (`sealed` to that recipient)
/// by key, size and revision, never their values.
fn records_table(
    ns: &Namespace,
    found: &Value,
    may_write: bool,
    q: &BrowseQuery,
    sealed: Option<&str>,
) -> Markup {
    let empty = Vec::new();
    let records = found["records"].as_array().unwrap_or(&empty);
    let searching = !q.prefix.is_empty() || !q.contains.is_empty();
    let base = format!(
        "/console/ns/{ns}?prefix={}&contains={}",
        urlencode(&q.prefix),
        urlencode(&q.contains)
    );
    html! {
        section #records data-namespace=(ns.as_str()) data-revision=(found["revision"]) data-recipient=[sealed] {
            @if records.is_empty() {
                div.empty {
                    @if searching { p { "No key matches. Change the search, or " a href=(format!("/console/ns/{ns}")) { "show every record" } "." } }
                    @else if may_write { p { "No records yet. Add the first with " strong { "New record" } " below." } }
                    @else { p { "No records yet." } }
                }
            } @else {
                div.scroll {
                    table.list.records {
                        thead { tr { th { "Key" } th { "Value" } th.num { "Revision" } th { "Updated" } @if may_write { th { span.sr { "Actions" } } } } }
                        tbody {
                            @for r in records {
                                @let key = r["key"].as_str().unwrap_or("");
                                @let value = r["value"].to_string();
                                tr data-key=(key) data-value=[sealed.is_none().then_some(&value)] {
                                    td.key { a href=(format!("/console/ns/{ns}/key?key={}", urlencode(key))) title="History of this key" { code { (key) } } }
                                    @if sealed.is_some() {
                                        td.value { span.meta { "sealed · " (bytes(value.len() as i64)) } }
                                    } @else {
                                        td.value { code { (truncate(&value, 120)) } }
                                    }
                                    td.num data-label="revision" { (r["revision"]) }
                                    td.time {
                                        @let at = r["updated_at"].as_str().unwrap_or("");
                                        time datetime=(at) title=(at) { (at) }
                                        @if let Some(e) = r["expires_at"].as_str() { div.meta { "expires " (e) } }
                                    }
                                    @if may_write {
                                        td.actions {
                                            button.link type="button" data-edit=(key) { "Edit" }
                                            button.link.danger type="button" data-delete=(key) { "Delete" }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            nav.pager {
                @if q.after.is_some() { a href=(base.clone()) { "← First page" } }
                span { (records.len()) " shown of " (found["total"]) }
                @if let Some(next) = found["next"].as_str() {
                    a href=(format!("{base}&after={}", urlencode(next))) rel="next" { "Next page →" }
                }
            }
        }
    }
}

fn truncate(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_string(),
    }
}
