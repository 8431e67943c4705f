//! Edges for tests: a tick-driven edge app, and a scripted upstream.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::Value;
use syncdict::configuration::{ByteSize, HumanDuration, PullMode, Role, Settings};
use syncdict::edge::start::EdgeHandle;
use syncdict::startup::Application;

use crate::helpers::unique_name;

/// An edge-only app whose scheduler runs only when ticked.
pub struct TestEdge {
    pub address: String,
    pub edge: EdgeHandle,
    pub client: reqwest::Client,
    pub snapshot: std::path::PathBuf,
}

pub fn edge_settings(upstreams: Vec<String>) -> Settings {
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.server.roles = vec![Role::Edge];
    settings.client.upstreams = upstreams;
    settings.client.timeout = HumanDuration(Duration::from_millis(700));
    settings.client.snapshot_path =
        Some(std::env::temp_dir().join(format!("{}.snapshot", unique_name())));
    settings
}

pub async fn spawn_edge(settings: Settings) -> TestEdge {
    let snapshot = settings.client.snapshot_path.clone().unwrap_or_default();
    let app = Application::build_ticked(settings)
        .await
        .expect("edge builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let edge = app.edge().expect("an edge");
    actix_web::rt::spawn(app.run_until_stopped());
    TestEdge {
        address,
        edge,
        client: reqwest::Client::new(),
        snapshot,
    }
}

impl TestEdge {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("edge answers")
    }

    pub async fn json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON")
    }

    pub async fn status(&self) -> Value {
        self.json("/api/status").await
    }
}

impl Drop for TestEdge {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.snapshot);
    }
}

/// What the scripted upstream answers next.
#[derive(Clone)]
pub enum Script {
    Reply(u16, String),
    /// Answers after this long (past the edge's timeout).
    Hang(Duration),
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
            App::new().default_service(web::to(move |_body: web::Bytes| {
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

/// Settings for an edge in `method` mode against `upstream`.
pub fn method_settings(upstream: &Upstream) -> Settings {
    let mut settings = edge_settings(vec![upstream.url.clone()]);
    settings.client.mode = PullMode::Method;
    settings.client.jsonrpc_version = syncdict::configuration::JsonRpcVersion::V1;
    settings
}

pub fn small_cache(settings: &mut Settings, size: &str) {
    settings.client.cache_size = ByteSize::parse(size).unwrap();
}
