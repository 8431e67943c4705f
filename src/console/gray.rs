//! Gray releases in the console: "Release to some edges first" from a
//! namespace's staged change set or from an approved change request (a
//! target, its reach in the fleet now, an optional automatic canary), and
//! the forms of a release's page (widen or narrow, promote, abort). The
//! pages themselves: `gray_page.rs`.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::layout::{notice, page, send};
use super::namespaces::back_to;
use super::session::urlencode;
use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::gray::{Abort, Create, Promote, Reach, Release, Update};

/// The release form's fields, as posted (all text, so a bad one comes
/// back with the form as it was typed).
#[derive(Deserialize, Default)]
pub struct ReleaseForm {
    csrf: Option<String>,
    #[serde(default)]
    changes: String,
    #[serde(default)]
    comment: String,
    /// `percent`, `edges` or `labels`.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    value: String,
    /// `on` for an automatic canary.
    auto: Option<String>,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    bake: String,
    /// `preview` or `start`.
    step: Option<String>,
}

impl ReleaseForm {
    /// The staged set of `changes` as posted by the namespace's page.
    pub(super) fn of(csrf: Option<String>, changes: String, comment: String) -> ReleaseForm {
        ReleaseForm {
            csrf,
            changes,
            comment,
            kind: "percent".into(),
            value: "10".into(),
            steps: "10, 50, 100".into(),
            bake: "10m".into(),
            ..Default::default()
        }
    }

    /// The target the fields describe (with `auto`: its first step).
    fn target(&self) -> Value {
        let words = || self.value.split([',', ' ']).filter(|w| !w.is_empty());
        if self.auto.is_some() {
            return json!({ "percent": first_number(&self.steps) });
        }
        match self.kind.as_str() {
            "edges" => json!({ "edges": words().collect::<Vec<_>>() }),
            "labels" => {
                let pairs: Map<String, Value> = words()
                    .filter_map(|p| p.split_once('='))
                    .map(|(k, v)| (k.to_string(), Value::from(v)))
                    .collect();
                json!({ "labels": pairs })
            }
            _ => json!({ "percent": self.value.trim().parse::<f64>().ok() }),
        }
    }

    fn auto(&self) -> Value {
        if self.auto.is_none() {
            return Value::Null;
        }
        let steps: Vec<Value> = (self.steps.split([',', ' ']).filter(|w| !w.is_empty()))
            .map(|w| w.parse::<f64>().map_or(Value::from(w), Value::from))
            .collect();
        json!({ "steps": steps, "bake": self.bake.trim() })
    }
}

fn first_number(steps: &str) -> Option<f64> {
    steps
        .split([',', ' '])
        .find(|w| !w.is_empty())?
        .parse()
        .ok()
}

/// What a release is made of: a namespace's staged changes (in the form),
/// or an approved change request of that namespace.
pub(super) struct Source<'a> {
    pub ns: &'a str,
    pub request: Option<i64>,
}

impl Source<'_> {
    /// Where the form posts.
    fn action(&self) -> String {
        match self.request {
            Some(id) => format!("/console/reviews/{id}/gray"),
            None => format!("/console/ns/{}/gray", self.ns),
        }
    }
}

/// The release form for `from`, with what `reach` found or `error` said.
pub(super) fn form_page(
    user: &ConsoleUser,
    from: &Source,
    f: &ReleaseForm,
    shown: Shown,
) -> HttpResponse {
    let ns = from.ns;
    let kinds = [
        ("percent", "A sticky percentage"),
        ("edges", "Edges by name"),
        ("labels", "Edges with labels"),
    ];
    let body = html! {
        nav.crumbs { a href="/console" { "Namespaces" } " / " a href=(format!("/console/ns/{ns}")) { (ns) } " / "
            @if let Some(id) = from.request { a href=(format!("/console/reviews/{id}")) { "#" (id) } " / " } strong { "Release" } }
        h1 { "Release to some edges first" }
        p.lead { @match from.request { Some(id) => { "Change request #" (id) }, None => "The staged changes" }
            " go to the edges the target reaches; the others keep the main line until you promote the release"
            @if from.request.is_some() { ", which publishes the request" } "." }
        @if let Shown::Error(e) = &shown { (notice("error", e)) }
        form.stack.card #release-form method="post" action=(from.action()) {
            input type="hidden" name="csrf" value=(user.csrf);
            @if from.request.is_none() { input type="hidden" name="changes" value=(f.changes); }
            label for="release-kind" { "Target" }
            select #release-kind name="kind" {
                @for (k, label) in kinds { option value=(k) selected[f.kind == k] { (label) } }
            }
            label for="release-value" { "Percentage, edge names, or labels (key=value, all must match)" }
            input #release-value type="text" name="value" value=(f.value) autocomplete="off";
            label { input #release-auto type="checkbox" name="auto" checked[f.auto.is_some()]; " Automatic canary: widen step by step after each bake with healthy edges, abort on an unhealthy one, promote after the last step (targets a percentage: its first step)" }
            label for="release-steps" { "Steps (percentages)" }
            input #release-steps type="text" name="steps" value=(f.steps);
            label for="release-bake" { "Bake per step" }
            input #release-bake type="text" name="bake" value=(f.bake);
            label for="release-comment" { "Comment" }
            input #release-comment type="text" name="comment" maxlength="1000" value=(f.comment);
            @if let Shown::Reach(r) = &shown {
                p.meta #release-reach { "Reaches " strong { (r["reaches"]) } " of the " (r["pulling"]) " edges pulling " (ns) " now"
                    @if let Some(names) = r["edges"].as_array().filter(|n| !n.is_empty()) { ": " (names.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(", ")) } "." }
            }
            div.row {
                button.secondary type="submit" name="step" value="preview" #preview-reach { "Preview reach" }
                button.primary type="submit" name="step" value="start" #start-release { "Start release" }
            }
        }
    };
    send(StatusCode::OK, page("Release", Some(user), body))
}

/// What the form shows besides its fields.
pub(super) enum Shown {
    Nothing,
    Reach(Value),
    Error(String),
}

/// `POST /console/ns/{ns}/gray`: previews the reach, or starts the release.
pub async fn start(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<ReleaseForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let f = form.into_inner();
    let from = Source {
        ns: &ns,
        request: None,
    };
    if f.step.as_deref() == Some("preview") {
        let shown = reach(&state, &user, &req, (&ns, &f)).await;
        return form_page(&user, &from, &f, shown);
    }
    let changes: Value = serde_json::from_str(&f.changes).unwrap_or(Value::Null);
    let params = json!([*ns, changes, f.target(), f.comment, f.auto()]);
    let made = state.call::<Create>(&user, &req, params).await;
    started(&user, &from, &f, made)
}

/// Where a start leads: the release's page, or the form with the error.
fn started(
    user: &ConsoleUser,
    from: &Source<'_>,
    f: &ReleaseForm,
    made: Result<Value, crate::rpc::RpcError>,
) -> HttpResponse {
    match made {
        Ok(made) => see(&format!(
            "/console/gray/{}?notice={}",
            made["id"],
            urlencode("Release started.")
        )),
        Err(e) => form_page(user, from, f, Shown::Error(e.message)),
    }
}

/// `GET /console/reviews/{id}/gray`: the release form for an approved
/// change request.
pub async fn request_form(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    id: web::Path<i64>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let r = match requested(&state, &user, &req, *id).await {
        Ok(r) => r,
        Err(back) => return back,
    };
    let from = Source {
        ns: text(&r["namespace"]),
        request: Some(*id),
    };
    let f = ReleaseForm::of(None, String::new(), text(&r["comment"]).to_string());
    form_page(&user, &from, &f, Shown::Nothing)
}

/// `POST /console/reviews/{id}/gray`: previews the reach, or releases the
/// request (`changes.release`).
pub async fn release_request(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    id: web::Path<i64>,
    form: web::Form<ReleaseForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let f = form.into_inner();
    let r = match requested(&state, &user, &req, *id).await {
        Ok(r) => r,
        Err(back) => return back,
    };
    let from = Source {
        ns: text(&r["namespace"]),
        request: Some(*id),
    };
    if f.step.as_deref() == Some("preview") {
        let shown = reach(&state, &user, &req, (from.ns, &f)).await;
        return form_page(&user, &from, &f, shown);
    }
    let params = json!([*id, f.target(), f.comment, f.auto()]);
    let made = state.call::<Release>(&user, &req, params).await;
    started(&user, &from, &f, made)
}

/// Change request `id` as `changes.get` shows it, or its page with the
/// error.
async fn requested(
    state: &ConsoleState,
    user: &ConsoleUser,
    req: &HttpRequest,
    id: i64,
) -> Result<Value, HttpResponse> {
    let got = state.call::<crate::changes::Get>(user, req, json!([id]));
    got.await
        .map_err(|e| back_to(&format!("/console/reviews/{id}"), "error", &e.message))
}

/// What previewing the form's target in `ns` shows.
async fn reach(
    state: &ConsoleState,
    user: &ConsoleUser,
    req: &HttpRequest,
    (ns, f): (&str, &ReleaseForm),
) -> Shown {
    match state
        .call::<Reach>(user, req, json!([ns, f.target()]))
        .await
    {
        Ok(reach) => Shown::Reach(reach),
        Err(e) => Shown::Error(e.message),
    }
}

fn see(to: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to))
        .finish()
}

/// `POST /console/gray/{id}/{action}`: `update`, `promote` or `abort`.
pub async fn act(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    path: web::Path<(i64, String)>,
    form: web::Form<ReleaseForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let (id, action) = path.into_inner();
    let back = format!("/console/gray/{id}");
    let done = match action.as_str() {
        "update" => state
            .call::<Update>(&user, &req, json!([id, form.target()]))
            .await
            .map(|_| "Target changed.".to_string()),
        "promote" => state
            .call::<Promote>(&user, &req, json!([id, form.comment]))
            .await
            .map(|a| format!("Promoted at revision {}.", a["revision"])),
        "abort" => state
            .call::<Abort>(&user, &req, json!([id, form.comment]))
            .await
            .map(|_| "Aborted.".to_string()),
        _ => return back_to(&back, "error", "no such action"),
    };
    match done {
        Ok(said) => see(&format!("{back}?notice={}", urlencode(&said))),
        Err(e) => back_to(&back, "error", &e.message),
    }
}

pub(super) fn text(v: &Value) -> &str {
    v.as_str().unwrap_or("")
}
