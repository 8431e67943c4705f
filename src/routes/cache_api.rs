//! `GET /api/cache` and `GET /api/cache/{key}`: the edge's data for local programs.

use actix_web::http::header::HeaderValue;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use super::access::{check_read, Access};
use crate::domain::{now_us, percent_decode};
use crate::edge::status::EdgeView;

/// Adds `X-Data-Revision` and, once data was ever fresh, `X-Data-Age` (seconds).
fn with_data_headers(mut builder: HttpResponseBuilder, edge: &EdgeView) -> HttpResponseBuilder {
    builder.insert_header(("X-Data-Revision", HeaderValue::from(edge.store.revision())));
    if let Some(age) = edge.data_age(now_us()) {
        builder.insert_header(("X-Data-Age", HeaderValue::from(age)));
    }
    builder.content_type("application/json");
    builder
}

/// `GET /api/cache` and `GET /api/cache/{key}` under one prefix scope: the
/// key is read from the path itself (no pattern matching on the hot path).
/// Subject to `server.read_access` (`routes::access`).
pub async fn cache_read(
    req: HttpRequest,
    edge: web::Data<EdgeView>,
    access: Option<web::Data<Access>>,
) -> HttpResponse {
    if let Err(refused) = check_read(&req, access.as_ref()).await {
        return refused;
    }
    let rest = req.path().strip_prefix("/api/cache").unwrap_or("");
    match rest.strip_prefix('/') {
        None | Some("") => all_entries(edge).await,
        Some(encoded) => match percent_decode(encoded) {
            Some(key) => get_entry(&key, &edge),
            None => HttpResponse::BadRequest()
                .content_type("application/json")
                .body(r#"{"error":"the key in the path is not valid percent-encoded UTF-8"}"#),
        },
    }
}

/// The value under `key`, as JSON; 404 with a JSON error if absent.
fn get_entry(key: &str, edge: &EdgeView) -> HttpResponse {
    match edge.store.get(key) {
        Some(entry) => with_data_headers(HttpResponse::Ok(), edge).body(entry.value().to_string()),
        None => with_data_headers(HttpResponse::NotFound(), edge)
            .body(serde_json::json!({ "error": format!("no entry with key {key:?}") }).to_string()),
    }
}

/// Every entry as one JSON object `{key: value}`, ordered by key.
async fn all_entries(edge: web::Data<EdgeView>) -> HttpResponse {
    let entries = edge.store.sorted();
    let mut body = String::with_capacity(edge.store.bytes() as usize + 2);
    body.push('{');
    for (i, entry) in entries.iter().enumerate() {
        if i > 0 {
            body.push(',');
        }
        body.push_str(&serde_json::to_string(entry.key()).unwrap_or_default());
        body.push(':');
        body.push_str(entry.value());
    }
    body.push('}');
    with_data_headers(HttpResponse::Ok(), &edge).body(body)
}
