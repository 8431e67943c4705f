//! A namespace's page, the editor's side: one record's value, checking a
//! staged change set, and publishing it.

use super::*;

/// `?key=`: one key of a namespace.
#[derive(Deserialize)]
pub struct KeyQuery {
    pub(in crate::console) key: String,
}

/// `GET /console/ns/{ns}/value?key=`: one record as JSON (the editor and
/// the diff's "before").
pub async fn value(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    query: web::Query<KeyQuery>,
) -> HttpResponse {
    let user = signed_in_or_return!(req, state);
    let reply = match state
        .call::<crate::records::Get>(&user, &req, json!([query.key, ns.as_str()]))
        .await
    {
        Ok(record) => json!({"found": true, "record": record}),
        Err(e) if e.code == crate::rpc::error::NOT_FOUND => json!({"found": false}),
        Err(e) => {
            return respond(StatusCode::BAD_REQUEST)
                .content_type("application/json")
                .body(json!({"error": e.message}).to_string())
        }
    };
    respond(StatusCode::OK)
        .content_type("application/json")
        .body(reply.to_string())
}

#[derive(Deserialize)]
pub struct Check {
    key: String,
    value: Value,
}

/// `POST /console/ns/{ns}/check` (JSON `{key, value}`, `X-CSRF-Token`):
/// the errors staging this edit would meet, checked by the center's own
/// rules (key, schema), without writing anything.
pub async fn check(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    body: web::Json<Check>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, None);
    let mut errors = Vec::new();
    if let Err(e) = RecordKey::parse(body.key.clone()) {
        errors.push(e.to_string());
    }
    let schema = state.namespace_schema(&user, &req, ns.as_str()).await;
    if let Some(schema) = schema {
        match ValueSchema::compile(&schema) {
            Ok(compiled) => {
                compiled.check(&body.key, &body.value, &mut errors);
                errors.truncate(MAX_VIOLATIONS);
            }
            Err(e) => errors.push(e.to_string()),
        }
    }
    respond(StatusCode::OK)
        .content_type("application/json")
        .body(json!({ "errors": errors }).to_string())
}

#[derive(Deserialize)]
pub struct PublishForm {
    csrf: Option<String>,
    changes: String,
    if_revision: i64,
    #[serde(default)]
    comment: String,
    /// `propose`: make it a change request instead; `gray`: release it to
    /// some edges first.
    step: Option<String>,
}

/// `POST /console/ns/{ns}/publish`: the staged set as one `records.apply`
/// with `if_revision`; a conflict goes back to the page with the set kept.
pub async fn publish(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    ns: web::Path<String>,
    form: web::Form<PublishForm>,
) -> HttpResponse {
    let user = may_change_or_return!(req, state, form.csrf.as_deref());
    let path = format!("/console/ns/{ns}");
    let changes: Value = match serde_json::from_str(&form.changes) {
        Ok(v) => v,
        Err(e) => {
            return back_to(
                &path,
                "error",
                &format!("The staged changes could not be read: {e}"),
            )
        }
    };
    if form.step.as_deref() == Some("propose") {
        let how = (form.comment.as_str(), path.as_str());
        return crate::console::reviews::propose(&state, (&user, &req), &ns, changes, how).await;
    }
    if form.step.as_deref() == Some("gray") {
        let f = crate::console::gray::ReleaseForm::of(
            form.csrf.clone(),
            form.changes.clone(),
            form.comment.clone(),
        );
        let from = crate::console::gray::Source {
            ns: &ns,
            request: None,
        };
        return crate::console::gray::form_page(
            &user,
            &from,
            &f,
            crate::console::gray::Shown::Nothing,
        );
    }
    let params = json!([changes, ns.as_str(), form.if_revision, form.comment]);
    match state
        .call::<crate::records::Apply>(&user, &req, params)
        .await
    {
        Ok(applied) => {
            let to = match applied["revision"].as_i64() {
                Some(rev) => format!("{path}?published={rev}"),
                None => format!(
                    "{path}?notice={}",
                    urlencode("Nothing changed: the staged values were already there.")
                ),
            };
            HttpResponse::SeeOther()
                .insert_header((header::LOCATION, to))
                .finish()
        }
        Err(e) if e.code == crate::rpc::error::CONFLICT => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("{path}?conflict=1")))
            .finish(),
        Err(e) => back_to(&path, "error", &e.message),
    }
}
