//! Upstreams for edge tests: a scripted one, and an edge in `method` mode.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::Value;
use syncdict::configuration::{JsonRpcVersion, PullMode};

use crate::helpers::{TestApp, TestAppBuilder};

/// What the scripted upstream answers next.
#[derive(Clone)]
pub enum Script {
    Reply(u16, String),
    /// Answers after this long (past the edge's timeout).
    Hang(Duration),
    /// Answers (with a reply that is not JSON-RPC) once notified.
    Hold(Arc<tokio::sync::Notify>),
    /// An endless reply with no Content-Length.
    Endless,
    /// A redirect to this URL.
    Redirect(u16, String),
    /// A reply made from the request's first param (`since`).
    BySince(Arc<dyn Fn(i64) -> String + Send + Sync>),
}

/// A small HTTP server that answers every POST as scripted.
pub struct Upstream {
    pub url: String,
    script: Arc<Mutex<Script>>,
    pub hits: Arc<Mutex<u64>>,
}

impl Upstream {
    pub async fn start(script: Script) -> Upstream {
        let script = Arc::new(Mutex::new(script));
        let hits = Arc::new(Mutex::new(0u64));
        let (s, h) = (script.clone(), hits.clone());
        let server = HttpServer::new(move || {
            let (s, h) = (s.clone(), h.clone());
            App::new().default_service(web::to(move |body: web::Bytes| {
                let (s, h) = (s.clone(), h.clone());
                async move {
                    *h.lock().unwrap() += 1;
                    let script = s.lock().unwrap().clone();
                    match script {
                        Script::Reply(status, body) => HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).unwrap(),
                        )
                        .content_type("application/json")
                        .body(body),
                        Script::Hang(d) => {
                            actix_web::rt::time::sleep(d).await;
                            HttpResponse::Ok().body("[]")
                        }
                        Script::Hold(release) => {
                            release.notified().await;
                            HttpResponse::Ok().body("[]")
                        }
                        Script::Endless => {
                            let chunk = web::Bytes::from(vec![b' '; 64 * 1024]);
                            let endless = futures_util::stream::repeat_with(move || {
                                Ok::<_, actix_web::Error>(chunk.clone())
                            });
                            HttpResponse::Ok().streaming(endless)
                        }
                        Script::Redirect(status, to) => HttpResponse::build(
                            actix_web::http::StatusCode::from_u16(status).unwrap(),
                        )
                        .insert_header(("Location", to))
                        .finish(),
                        Script::BySince(reply) => {
                            let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                            let since = request["params"][0].as_i64().unwrap_or(-1);
                            HttpResponse::Ok()
                                .content_type("application/json")
                                .body(reply(since))
                        }
                    }
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://127.0.0.1:{}/RPC", server.addrs()[0].port());
        actix_web::rt::spawn(server.run());
        Upstream { url, script, hits }
    }

    pub fn set(&self, script: Script) {
        *self.script.lock().unwrap() = script;
    }

    /// A JSON-RPC 1.0 reply carrying `rows`.
    pub fn rows(rows: Value) -> Script {
        Script::Reply(
            200,
            serde_json::json!({"result": rows, "error": null, "id": 1}).to_string(),
        )
    }
}

/// An edge in `method` mode (JSON-RPC 1.0) against `upstream`.
pub fn method_edge(upstream: &Upstream) -> TestAppBuilder {
    TestApp::builder()
        .edge(vec![upstream.url.clone()])
        .with(|s| {
            s.client.mode = PullMode::Method;
            s.client.jsonrpc_version = JsonRpcVersion::V1;
        })
}
