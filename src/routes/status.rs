//! `GET /api/status` (JSON) and `GET /healthz` (200 while data is fresh).

use actix_web::{web, HttpResponse};

use crate::domain::now_us;
use crate::edge::status::EdgeView;

pub async fn api_status(edge: web::Data<EdgeView>) -> HttpResponse {
    HttpResponse::Ok().json(edge.report(now_us()))
}

/// 200 while the data is younger than `client.max_stale`, 503 after (or
/// before any data arrived).
pub async fn healthz(edge: web::Data<EdgeView>) -> HttpResponse {
    let now = now_us();
    let body =
        serde_json::json!({ "stale": edge.is_stale(now), "data_age_seconds": edge.data_age(now) });
    if edge.is_stale(now) {
        HttpResponse::ServiceUnavailable().json(body)
    } else {
        HttpResponse::Ok().json(body)
    }
}
