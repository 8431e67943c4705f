//! `GET /api/cache[/{namespace}][/{key}]`: the edge's data for local programs.
//!
//! An edge that pulls only `default` reads every path after `/api/cache/`
//! as a key, as it always did. Any other edge reads a first segment naming
//! a namespace it pulls as that namespace (`/api/cache/geo/fr`,
//! `/api/cache/geo`, `/api/cache/default/k`); any other path is a key of
//! `default`.

use std::borrow::Cow;
use std::cell::RefCell;
use std::rc::Rc;

use actix_cors::Cors;
use actix_web::dev::{
    fn_service, AppService, HttpServiceFactory, ResourceDef, ServiceRequest, ServiceResponse,
};
use actix_web::http::header::{HeaderName, HeaderValue, ALLOW, CONTENT_TYPE};
use actix_web::http::{Method, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};

use super::access::{check_read, Access};
use super::service::register;
use crate::domain::{now_us, percent_decode, Namespace};
use crate::edge::status::EdgeView;
use crate::edge::store::Table;

/// The data headers' names, made once (a name parsed from a string would be
/// checked and allocated on every read).
const DATA_REVISION: HeaderName = HeaderName::from_static("x-data-revision");
const DATA_AGE: HeaderName = HeaderName::from_static("x-data-age");
/// Made once too: `content_type("application/json")` copies the string.
const JSON: HeaderValue = HeaderValue::from_static("application/json");

thread_local! {
    /// The last revision and age this worker sent, with their header values:
    /// nearly every read repeats them, and a clone shares the bytes where a
    /// new value would format and allocate.
    static LAST_VALUES: RefCell<[(i64, HeaderValue); 2]> =
        RefCell::new([(0, HeaderValue::from(0)), (0, HeaderValue::from(0))]);
}

/// The header value of `n`, the last one made for `slot` when `n` repeats.
fn number_value(slot: usize, n: i64) -> HeaderValue {
    LAST_VALUES.with_borrow_mut(|last| {
        let (seen, value) = &mut last[slot];
        if *seen != n {
            *seen = n;
            *value = HeaderValue::from(n);
        }
        value.clone()
    })
}

/// `body` with `status`, as JSON, with `X-Data-Revision` (of the
/// namespace's table read) and, once data was ever fresh, `X-Data-Age`
/// (seconds). Headers go straight into the response's map: the builder
/// judges each pair again on the way.
fn data_response(
    status: StatusCode,
    body: String,
    edge: &EdgeView,
    table: Option<&Table>,
    now_us: i64,
) -> HttpResponse {
    let mut response = HttpResponse::with_body(status, body).map_into_boxed_body();
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, JSON);
    let revision = table.map_or(0, Table::revision);
    headers.insert(DATA_REVISION, number_value(0, revision));
    if let Some(age) = edge.data_age(now_us) {
        let age = i64::try_from(age).unwrap_or(i64::MAX);
        headers.insert(DATA_AGE, number_value(1, age));
    }
    response
}

/// `/api/cache` and every path under it, registered as one service of its
/// own: a scope would route again inside it, and a handler would take its
/// state through extractors (together about 1,000 instructions of a
/// 21,800-instruction read, BENCHMARKS.md).
pub struct CacheRoutes {
    pub edge: web::Data<EdgeView>,
    pub access: Option<web::Data<Access>>,
    /// With `server.cors_origins`.
    pub cors: Option<Cors>,
}

impl HttpServiceFactory for CacheRoutes {
    fn register(self, config: &mut AppService) {
        let CacheRoutes { edge, access, cors } = self;
        // Each worker registers its own: an `Rc` is shared per read without
        // the atomic counts an `Arc` (`web::Data`) would take each way.
        let state = Rc::new((edge, access));
        let service = fn_service(move |request: ServiceRequest| {
            let state = state.clone();
            async move {
                let (edge, access) = &*state;
                let (req, _) = request.into_parts();
                let response = match *req.method() {
                    Method::GET | Method::HEAD => cache_read(&req, edge, access.as_ref()).await,
                    _ => HttpResponse::MethodNotAllowed()
                        .insert_header((ALLOW, "GET, HEAD"))
                        .insert_header((CONTENT_TYPE, JSON))
                        .body(r#"{"error":"the cache is read with GET"}"#),
                };
                Ok(ServiceResponse::new(req, response))
            }
        });
        register(
            config,
            ResourceDef::root_prefix("/api/cache"),
            service,
            cors,
        )
    }
}

/// `GET /api/cache[/{namespace}][/{key}]`: the key is read from the path
/// itself (no pattern matching on the hot path). Subject to
/// `server.read_access` (`routes::access`).
async fn cache_read(
    req: &HttpRequest,
    edge: &EdgeView,
    access: Option<&web::Data<Access>>,
) -> HttpResponse {
    let rest = req.path().strip_prefix("/api/cache").unwrap_or("");
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    let (ns, rest) = split_namespace(edge, rest);
    if let Err(refused) = check_read(req, access, &ns).await {
        return refused;
    }
    // One snapshot of the namespace for the whole answer.
    let table = edge.store.table(&ns);
    if rest.is_empty() {
        return all_entries(edge, table.as_deref());
    }
    match percent_decode(rest) {
        Some(key) => get_entry(table.as_deref(), &key, edge),
        None => HttpResponse::BadRequest()
            .insert_header((CONTENT_TYPE, JSON))
            .body(r#"{"error":"the key in the path is not valid percent-encoded UTF-8"}"#),
    }
}

/// The namespace a path names first, if it is one the edge pulls (and the
/// edge pulls more than `default` alone); else `default` and the whole path.
/// Allocates only for a namespace other than `default`: this is every local
/// read's path.
fn split_namespace<'p>(edge: &EdgeView, path: &'p str) -> (Cow<'static, Namespace>, &'p str) {
    // A byte search: `split_once('/')`'s char searcher costs more on a
    // path this short.
    let (first, rest) = match path.bytes().position(|b| b == b'/') {
        Some(i) => (&path[..i], &path[i + 1..]),
        None => (path, ""),
    };
    match edge.store.path_namespace(first) {
        Some(ns) => (Cow::Owned(ns), rest),
        None => (Cow::Borrowed(Namespace::default_ref()), path),
    }
}

/// The value under `key`, as JSON; 404 with a JSON error if absent.
fn get_entry(table: Option<&Table>, key: &str, edge: &EdgeView) -> HttpResponse {
    let now = now_us();
    let found = table.and_then(|t| t.value(key, now));
    edge.store.count_lookup(&found);
    match found {
        Some(value) => data_response(StatusCode::OK, value.to_owned(), edge, table, now),
        None => {
            let error = serde_json::json!({ "error": format!("no entry with key {key:?}") });
            data_response(StatusCode::NOT_FOUND, error.to_string(), edge, table, now)
        }
    }
}

/// Every entry as one JSON object `{key: value}`, ordered by key.
fn all_entries(edge: &EdgeView, table: Option<&Table>) -> HttpResponse {
    let now = now_us();
    let entries = table.map(|t| t.sorted(now)).unwrap_or_default();
    let bytes = table.map_or(0, Table::bytes);
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
    data_response(StatusCode::OK, body, edge, table, now)
}
