//! Import and export in the console: download a namespace (now or at a
//! revision) as JSON, NDJSON or CSV; upload or paste a file, see the dry
//! run (what it adds, changes and, with "replace", removes, each change as
//! a diff, and any schema violation), then publish it as one change set
//! with `if_revision` and a comment. The file travels in the form (at most
//! `server.max_body`) and is read by the same reader as `syncdict import`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{json, Value};

use super::layout::{notice, page, respond, send};
use super::namespaces::back_to;
use super::session::urlencode;
use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::domain::{format_timestamp, ValueSchema};
use crate::transfer::format::{self, FileRecord, Format};
use crate::transfer::{current_records, Plan};

/// Keys shown with their diff in a dry run.
const SHOWN: usize = 200;

fn parse_format(name: &str) -> Option<Format> {
    match name {
        "json" => Some(Format::Json),
        "ndjson" => Some(Format::Ndjson),
        "csv" => Some(Format::Csv),
        _ => None,
    }
}

#[derive(Deserialize)]
pub struct ExportQuery {
    format: String,
    /// A revision (empty or absent: now).
    #[serde(default)]
    at: String,
}

/// `GET /console/ns/{ns}/export?format=&at=`: the namespace as a file.
pub async fn export(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<ExportQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let path = format!("/console/ns/{ns}");
    let Some(fmt) = parse_format(&query.format) else {
        return back_to(&path, "error", "Pick a format: json, ndjson or csv.");
    };
    let at = query.at.trim();
    let (records, suffix) = if at.is_empty() {
        match state
            .call::<crate::records::List>(&user, &req, json!([ns.as_str()]))
            .await
        {
            Ok(list) => (list, String::new()),
            Err(e) => return back_to(&path, "error", &e.message),
        }
    } else {
        let Ok(revision) = at.parse::<i64>() else {
            return back_to(&path, "error", "The revision must be a number.");
        };
        match state
            .call::<crate::history::At>(&user, &req, json!([revision, ns.as_str()]))
            .await
        {
            Ok(then) => (then["records"].clone(), format!("-r{revision}")),
            Err(e) => return back_to(&path, "error", &e.message),
        }
    };
    let rows = match current_records(records.as_array().cloned().unwrap_or_default()) {
        Ok(rows) => rows,
        Err(e) => return back_to(&path, "error", &e.to_string()),
    };
    let rows: Vec<format::OutRecord> = rows
        .iter()
        .map(|(k, v, e)| (k.as_str(), v.as_str(), *e))
        .collect();
    let mut out = Vec::new();
    if let Err(e) = format::write(fmt, &rows, &mut out) {
        return back_to(
            &path,
            "error",
            &format!("The export could not be written: {e}."),
        );
    }
    let (ext, kind) = match fmt {
        Format::Json => ("json", "application/json"),
        Format::Ndjson => ("ndjson", "application/x-ndjson"),
        Format::Csv => ("csv", "text/csv; charset=utf-8"),
    };
    respond(StatusCode::OK)
        .content_type(kind)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{ns}{suffix}.{ext}\""),
        ))
        .body(out)
}

#[derive(Deserialize)]
pub struct ImportForm {
    csrf: Option<String>,
    format: String,
    data: String,
    #[serde(default)]
    replace: Option<String>,
    /// `publish` commits; anything else is the dry run.
    #[serde(default)]
    step: String,
    if_revision: Option<i64>,
    #[serde(default)]
    comment: String,
    /// With `step=publish`: make it a change request instead.
    propose: Option<String>,
}

/// The file's records and what importing them would do, with the
/// namespace's revision they were compared at.
struct Prepared {
    records: Vec<FileRecord>,
    plan: Plan,
    /// Each current record as the diff shows it (`shown`), by key.
    current: HashMap<String, String>,
    revision: i64,
    violations: Vec<String>,
}

/// A record as the dry run's diff shows it: its value as indented JSON,
/// then its expiry, if it has one (so a change of expiry alone shows).
fn shown(value: &Value, expires_at: Option<&str>) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    if let Some(at) = expires_at {
        text.push_str(&format!("\n(expires at {at})"));
    }
    text
}

/// Why an import was not prepared; shown to the user.
#[derive(Debug, thiserror::Error)]
enum Unprepared {
    #[error("Pick the file's format: json, ndjson or csv.")]
    NoFormat,
    #[error("The file could not be read: {0}")]
    Unreadable(format::ReadError),
    #[error("{}", .0.message)]
    Call(crate::rpc::RpcError),
    #[error("The namespace's records could not be read: {0}")]
    Current(crate::transfer::TransferError),
}

impl From<crate::rpc::RpcError> for Unprepared {
    fn from(e: crate::rpc::RpcError) -> Self {
        Unprepared::Call(e)
    }
}

async fn prepare(
    state: &ConsoleState,
    user: &ConsoleUser,
    req: &HttpRequest,
    ns: &str,
    form: &ImportForm,
) -> Result<Prepared, Unprepared> {
    let fmt = parse_format(&form.format).ok_or(Unprepared::NoFormat)?;
    let records = format::read(fmt, form.data.as_bytes()).map_err(Unprepared::Unreadable)?;
    // The revision first: data read after it is at least as new, so a
    // publish with it never overwrites a change it did not show.
    let found = state
        .call::<crate::records::Search>(user, req, json!({"namespace": ns, "limit": 1}))
        .await?;
    let revision = found["revision"].as_i64().unwrap_or(0);
    let list = state
        .call::<crate::records::List>(user, req, json!([ns]))
        .await?;
    let mut current = HashMap::new();
    for r in list.as_array().into_iter().flatten() {
        let key = r["key"].as_str().unwrap_or("").to_string();
        let text = shown(&r["value"], r["expires_at"].as_str());
        current.insert(key, text);
    }
    let rows = current_records(list.as_array().cloned().unwrap_or_default())
        .map_err(Unprepared::Current)?;
    let plan = Plan::new(&rows, &records, form.replace.is_some().into());
    let schema = state.namespace_schema(user, req, ns).await;
    let violations = schema
        .and_then(|s| ValueSchema::compile(&s).ok())
        .map(|s| s.check_all(records.iter().map(|r| (r.key.as_str(), &r.value))))
        .unwrap_or_default();
    Ok(Prepared {
        records,
        plan,
        current,
        revision,
        violations,
    })
}

/// `POST /console/ns/{ns}/import`: the dry run, or (`step=publish`) the
/// import as one change set.
pub async fn import(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<ImportForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let path = format!("/console/ns/{ns}");
    let prepared = match prepare(&state, &user, &req, &ns, &form).await {
        Ok(p) => p,
        Err(why) => return back_to(&path, "error", &why.to_string()),
    };
    if form.step == "publish" {
        return publish(&state, &user, &req, &ns, &form, prepared).await;
    }
    let Prepared {
        plan,
        current,
        revision,
        violations,
        records,
    } = prepared;
    let new: HashMap<String, String> = records
        .into_iter()
        .map(|r| {
            let at = r.expires_at_us.map(format_timestamp);
            let text = shown(&r.value, at.as_deref());
            (r.key.into_string(), text)
        })
        .collect();
    let total = plan.add.len() + plan.change.len() + plan.remove.len();
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " a href=(path.clone()) { (ns.as_str()) } " / " strong { "Import" } }
        h1 { "Import into " (ns.as_str()) ": dry run" }
        p.lead { (plan.add.len()) " to add, " (plan.change.len()) " to change, " (plan.remove.len()) " to remove, "
            (plan.unchanged) " unchanged. Nothing has been written yet." }
        @if !violations.is_empty() {
            (notice("error", &format!("Values violate the namespace's schema, so this file cannot be imported: {}", violations.join("; "))))
        }
        div #rollback-preview {
            @for key in plan.change.iter().chain(&plan.add).chain(&plan.remove).take(SHOWN) {
                @let before = current.get(key).map(String::as_str);
                @let after = new.get(key).filter(|_| !plan.remove.contains(key)).map(String::as_str);
                @let kind = match (&before, &after) { (None, _) => "add", (_, None) => "delete", _ => "change" };
                div.staged-item data-before=[before] data-after=[after] {
                    header { div { span class=(format!("kind {kind}")) { (kind) } code { (key) } } }
                    pre.diff {}
                }
            }
            @if total > SHOWN { p.meta { "… and " (total - SHOWN) " more keys." } }
        }
        @if total > 0 && violations.is_empty() {
            form.stack method="post" action=(format!("{path}/import")) {
                input type="hidden" name="csrf" value=(user.csrf);
                input type="hidden" name="format" value=(form.format);
                input type="hidden" name="step" value="publish";
                input type="hidden" name="if_revision" value=(revision);
                @if form.replace.is_some() { input type="hidden" name="replace" value="1"; }
                textarea name="data" hidden { (form.data) }
                label for="import-comment" { "Comment (kept in the audit log)" }
                input #import-comment type="text" name="comment" maxlength="1000" value=(form.comment);
                div.row {
                    button.primary type="submit" #publish-import { "Publish: change " (total) (if total == 1 { " key" } else { " keys" }) }
                    button.secondary type="submit" name="propose" value="1" #propose-import { "Propose for review" }
                    a href=(path.clone()) { "Cancel" }
                }
            }
        } @else if total == 0 {
            (notice("info", "Nothing to change: the namespace already holds this file's records."))
        }
    };
    send(StatusCode::OK, page("Import", Some(&user), body))
}

async fn publish(
    state: &ConsoleState,
    user: &ConsoleUser,
    req: &HttpRequest,
    ns: &str,
    form: &ImportForm,
    prepared: Prepared,
) -> HttpResponse {
    let path = format!("/console/ns/{ns}");
    let Prepared { plan, records, .. } = prepared;
    let changes = match plan.change_set(records) {
        Ok(changes) => changes.to_json(),
        Err(e) => return back_to(&path, "error", &e.to_string()),
    };
    if form.propose.is_some() {
        let how = (form.comment.as_str(), path.as_str());
        return super::reviews::propose(state, (user, req), ns, changes, how).await;
    }
    let params = json!([changes, ns, form.if_revision, form.comment]);
    match state.call::<crate::records::Apply>(user, req, params).await {
        Ok(applied) => {
            let text = match applied["revision"].as_i64() {
                Some(rev) => format!("Imported at revision {rev}."),
                None => "Nothing to change.".to_string(),
            };
            HttpResponse::SeeOther()
                .insert_header((
                    header::LOCATION,
                    format!("{path}?notice={}", urlencode(&text)),
                ))
                .finish()
        }
        Err(e) if e.code == crate::rpc::error::CONFLICT => back_to(
            &path,
            "error",
            "The namespace changed after the dry run: nothing was imported. Run the dry run again.",
        ),
        Err(e) => back_to(&path, "error", &e.message),
    }
}
