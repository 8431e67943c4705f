//! The benchmark baseline: a plain actix-web handler that answers every POST
//! with the same pre-built bytes.
//!
//! Usage: `plain_server PORT BODY_FILE`

use actix_web::{web, App, HttpResponse, HttpServer};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let port: u16 = args.next().and_then(|p| p.parse().ok()).unwrap_or(18081);
    let path = args.next().unwrap_or_else(|| "body.json".into());
    let body = web::Bytes::from(std::fs::read(&path)?);
    HttpServer::new(move || {
        let body = body.clone();
        // The request body is read (as any JSON-RPC handler must) so the
        // connection stays alive; then the same bytes are returned.
        App::new().default_service(web::to(move |_request: web::Bytes| {
            let body = body.clone();
            async move {
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(body)
            }
        }))
    })
    .bind(("127.0.0.1", port))?
    .run()
    .await
}
