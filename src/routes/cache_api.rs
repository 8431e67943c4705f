//! `GET /api/cache[/{namespace}][/{key}]`: the edge's data for local programs.
//!
//! An edge that pulls only `default` reads every path after `/api/cache/`
//! as a key, as it always did. Any other edge reads a first segment naming
//! a namespace it pulls as that namespace (`/api/cache/geo/fr`,
//! `/api/cache/geo`, `/api/cache/default/k`); any other path is a key of
//! `default`.

use actix_web::http::header::HeaderValue;
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use super::access::{check_read, Access};
use crate::domain::{now_us, percent_decode, Namespace};
use crate::edge::status::EdgeView;

/// Adds `X-Data-Revision` (the namespace's) and, once data was ever fresh,
/// `X-Data-Age` (seconds).
fn with_data_headers(
    mut builder: HttpResponseBuilder,
    edge: &EdgeView,
    ns: &Namespace,
) -> HttpResponseBuilder {
    let revision = edge.store.table(ns).map_or(0, |t| t.revision());
    builder.insert_header(("X-Data-Revision", HeaderValue::from(revision)));
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
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let (ns, rest) = split_namespace(&edge, rest);
    if rest.is_empty() {
        return all_entries(&edge, &ns);
    }
    match percent_decode(rest) {
        Some(key) => get_entry(&ns, &key, &edge),
        None => HttpResponse::BadRequest()
            .content_type("application/json")
            .body(r#"{"error":"the key in the path is not valid percent-encoded UTF-8"}"#),
    }
}

/// The namespace a path names first, if it is one the edge pulls (and the
/// edge pulls more than `default` alone); else `default` and the whole path.
fn split_namespace<'a>(edge: &EdgeView, path: &'a str) -> (Namespace, &'a str) {
    let mut pulled = edge.store.namespaces();
    let default_only =
        matches!((pulled.next(), pulled.next()), (Some(ns), None) if ns.is_default());
    let (first, rest) = path.split_once('/').unwrap_or((path, ""));
    match Namespace::parse(first) {
        Ok(ns) if !default_only && edge.store.holds(&ns) => (ns, rest),
        _ => (Namespace::default(), path),
    }
}

/// The value under `key`, as JSON; 404 with a JSON error if absent.
fn get_entry(ns: &Namespace, key: &str, edge: &EdgeView) -> HttpResponse {
    match edge.store.get(ns, key) {
        Some(entry) => {
            with_data_headers(HttpResponse::Ok(), edge, ns).body(entry.value().to_string())
        }
        None => with_data_headers(HttpResponse::NotFound(), edge, ns)
            .body(serde_json::json!({ "error": format!("no entry with key {key:?}") }).to_string()),
    }
}

/// Every entry as one JSON object `{key: value}`, ordered by key.
fn all_entries(edge: &EdgeView, ns: &Namespace) -> HttpResponse {
    let entries = edge.store.sorted(ns);
    let bytes = edge.store.table(ns).map_or(0, |t| t.bytes());
    let mut body = String::with_capacity(bytes as usize + 2);
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
    with_data_headers(HttpResponse::Ok(), edge, ns).body(body)
}
