//! The benchmark baseline: a plain actix-web handler that answers every
//! request with the same pre-built bytes.
//!
//! Usage: `plain_server PORT BODY_FILE [HEADERS_FILE]`
//!
//! HEADERS_FILE holds `Name: value` lines (as `curl -D` writes them; the
//! status line, `Date`, `Content-Length` and `Content-Type` are skipped):
//! each is sent with every answer, so the baseline's response is byte for
//! byte the one it is compared with, headers included.

use std::sync::Arc;

use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::{web, App, HttpResponse, HttpServer};

/// The extra headers of HEADERS_FILE, as a plain handler would hold them.
fn extra_headers(path: Option<String>) -> std::io::Result<Vec<(HeaderName, HeaderValue)>> {
    let Some(path) = path else {
        return Ok(Vec::new());
    };
    let text = std::fs::read_to_string(path)?;
    let skipped = ["date", "content-length", "content-type"];
    let invalid = |e: &dyn std::fmt::Display| std::io::Error::other(e.to_string());
    let mut headers = Vec::new();
    for line in text.lines() {
        let Some((name, value)) = line.split_once(':') else {
            continue; // the status line, the blank line
        };
        if skipped.contains(&name.trim().to_ascii_lowercase().as_str()) {
            continue;
        }
        let name = HeaderName::try_from(name.trim()).map_err(|e| invalid(&e))?;
        let value = HeaderValue::try_from(value.trim()).map_err(|e| invalid(&e))?;
        headers.push((name, value));
    }
    Ok(headers)
}

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(18081);
    let path = args.next().unwrap_or_else(|| "body.json".into());
    let body = web::Bytes::from(std::fs::read(&path)?);
    // Shared, not copied: actix-web clones a handler for each request.
    let headers: Arc<[(HeaderName, HeaderValue)]> = extra_headers(args.next())?.into();
    HttpServer::new(move || {
        let (body, headers) = (body.clone(), headers.clone());
        // The request body is read (as any JSON-RPC handler must) so the
        // connection stays alive; then the same bytes are returned.
        App::new().default_service(web::to(move |_request: web::Bytes| {
            let mut response = HttpResponse::Ok();
            response.content_type("application/json");
            for (name, value) in headers.iter() {
                response.insert_header((name.clone(), value.clone()));
            }
            let response = response.body(body.clone());
            async move { response }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
