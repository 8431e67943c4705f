//! `TestApp::builder()`: the real application on port 0, as a center, an
//! edge or both, with a database of its own, and a client for it.

use std::path::PathBuf;
use std::sync::Once;
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::center::start::Maintenance;
use syncdict::configuration::{DatabaseUrl, HumanDuration, Role, Settings, UpstreamUrl};
use syncdict::edge::start::EdgeHandle;
use syncdict::edge::state::TickReport;
use syncdict::rpc::registry::Permission;
use syncdict::startup::Application;

use crate::helpers::{unique_name, Backend, TestDb, WRITER};

static LOG: Once = Once::new();

/// What database a test app's center uses.
enum Database {
    /// A fresh one on the builder's backend, with `WRITER` and `READER`.
    Fresh,
    /// One the test made (and keeps, or hands over).
    Given(DatabaseUrl, Option<TestDb>),
}

/// Starts the real application on port 0: `TestApp::builder().center()`,
/// `.edge(upstreams)`, `.backend(b)`, `.with(|settings| ..)`, then `spawn`.
/// Edges never run on their timer: tests tick them.
pub struct TestAppBuilder {
    roles: Vec<Role>,
    backend: Backend,
    database: Database,
    upstreams: Vec<String>,
    tweaks: Vec<Tweak>,
}

/// A change to a test app's settings.
type Tweak = Box<dyn FnOnce(&mut Settings)>;

impl TestAppBuilder {
    /// Serve /RPC from a database.
    pub fn center(mut self) -> Self {
        self.roles.push(Role::Center);
        self
    }

    /// Pull from `upstreams` (empty: this app's own center).
    pub fn edge(mut self, upstreams: Vec<String>) -> Self {
        self.roles.push(Role::Edge);
        self.upstreams = upstreams;
        self
    }

    /// Pull from these instead (an edge's list, in order).
    pub fn upstreams(mut self, upstreams: Vec<String>) -> Self {
        self.upstreams = upstreams;
        self
    }

    pub fn backend(mut self, backend: Backend) -> Self {
        self.backend = backend;
        self
    }

    /// The database at `url`; `db`, if given, is dropped with the app.
    pub fn database(mut self, url: DatabaseUrl, db: Option<TestDb>) -> Self {
        self.database = Database::Given(url, db);
        self
    }

    /// Changes the settings after the test defaults are in place.
    pub fn with(mut self, tweak: impl FnOnce(&mut Settings) + 'static) -> Self {
        self.tweaks.push(Box::new(tweak));
        self
    }

    /// Starts the app; `None` when its backend is not configured here
    /// (outside CI only: `Backend::server_url` panics in CI).
    pub async fn try_spawn(self) -> Option<TestApp> {
        init_test_log();
        let mut settings = Settings::default();
        settings.server.port = 0;
        settings.server.workers = 1;
        settings.server.roles = self.roles.clone();
        settings.database.connect_timeout = HumanDuration(Duration::from_millis(1500));
        settings.client.upstreams = self
            .upstreams
            .iter()
            .map(|u| UpstreamUrl::parse(u))
            .collect();
        settings.client.timeout = HumanDuration(Duration::from_millis(700));
        let snapshot = std::env::temp_dir().join(format!("{}.snapshot", unique_name()));
        settings.client.snapshot_path = Some(snapshot);
        let db = match self.database {
            _ if !self.roles.contains(&Role::Center) => None,
            Database::Fresh => {
                let db = TestDb::create(self.backend)?;
                settings.database.url = db.url.clone();
                Some(db)
            }
            Database::Given(url, db) => {
                settings.database.url = url;
                db
            }
        };
        for tweak in self.tweaks {
            tweak(&mut settings);
        }
        let snapshot = settings.client.snapshot_path.clone();
        let app = Application::build_ticked(settings)
            .await
            .expect("application builds");
        let scheme = if app.certificates().is_some() {
            "https"
        } else {
            "http"
        };
        let address = format!("{scheme}://127.0.0.1:{}", app.port());
        let (maintenance, edge, center) = (app.maintenance(), app.edge(), app.center());
        let certificates = app.certificates();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let running = actix_web::rt::spawn(app.run(async move {
            let _ = stopped.await;
        }));
        Some(TestApp {
            stop: Some(stop),
            running: Some(running),
            address,
            client: reqwest::Client::new(),
            maintenance,
            center,
            edge,
            snapshot,
            certificates,
            _db: db,
        })
    }

    /// Starts the app on a backend that must be configured.
    pub async fn spawn(self) -> TestApp {
        let backend = self.backend;
        self.try_spawn()
            .await
            .unwrap_or_else(|| panic!("{backend:?} is not configured"))
    }
}

fn init_test_log() {
    LOG.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            syncdict::telemetry::init(&syncdict::configuration::LogSettings {
                level: "debug".into(),
                ..Default::default()
            });
        }
    });
}

/// The running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    maintenance: Option<Maintenance>,
    center: Option<syncdict::center::Center>,
    edge: Option<EdgeHandle>,
    /// The edge's snapshot file (removed when the app is dropped).
    pub snapshot: Option<PathBuf>,
    /// With HTTPS: the certificate served (tests reload it).
    pub certificates: Option<std::sync::Arc<syncdict::tls::server::CertificateStore>>,
    /// Sends the app's shutdown.
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    /// The app's `run`, done once it has stopped.
    running: Option<actix_web::rt::task::JoinHandle<std::io::Result<()>>>,
    _db: Option<TestDb>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(path) = &self.snapshot {
            let _ = std::fs::remove_file(path);
        }
    }
}

impl TestApp {
    /// Starts the app's shutdown (as SIGTERM does for `syncdict serve`).
    pub fn begin_stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Stops the app and waits until it has: in-flight requests answered,
    /// the snapshot written, the database connections closed.
    pub async fn stop(&mut self) {
        self.begin_stop();
        if let Some(running) = self.running.take() {
            running.await.expect("run ended").expect("served");
        }
    }

    /// A SQLite center with a fresh database, unless told otherwise.
    pub fn builder() -> TestAppBuilder {
        TestAppBuilder {
            roles: Vec::new(),
            backend: Backend::Sqlite,
            database: Database::Fresh,
            upstreams: Vec::new(),
            tweaks: Vec::new(),
        }
    }

    pub fn rpc_url(&self) -> String {
        format!("{}/RPC", self.address)
    }

    /// The center's upkeep, driven by the test.
    pub fn maintenance(&self) -> &Maintenance {
        self.maintenance.as_ref().expect("a center")
    }

    /// The center's executor (tests call it with the time passed in).
    pub fn center(&self) -> &syncdict::center::Center {
        self.center.as_ref().expect("a center")
    }

    pub fn edge(&self) -> &EdgeHandle {
        self.edge.as_ref().expect("an edge")
    }

    /// One edge pull, now.
    pub async fn tick(&self) -> TickReport {
        self.edge().tick().await
    }

    /// One edge pull as of `at`.
    pub async fn tick_at(&self, at: std::time::Instant) -> TickReport {
        self.edge().tick_at(at).await
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("app answers")
    }

    pub async fn json(&self, path: &str) -> Value {
        self.get(path).await.json().await.expect("JSON")
    }

    /// The edge's `/api/status`.
    pub async fn status(&self) -> Value {
        self.json("/api/status").await
    }

    /// POSTs `body` with `content_type` to /RPC as `WRITER`.
    pub async fn post(
        &self,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        self.post_as(Some(WRITER), content_type, body).await
    }

    /// POSTs as `user` (or anonymously).
    pub async fn post_as(
        &self,
        user: Option<(&str, &str)>,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> reqwest::Response {
        let mut request = self
            .client
            .post(self.rpc_url())
            .header("Content-Type", content_type)
            .body(body);
        if let Some((name, password)) = user {
            request = request.basic_auth(name, Some(password));
        }
        request.send().await.expect("request sent")
    }

    /// Sends one JSON-RPC 2.0 call and returns the whole reply object:
    /// calls that need a user as `WRITER`, reads anonymously (as edges and
    /// browsers do).
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let needs_user = syncdict::rpc::method::named(&syncdict::methods::TABLE, method)
            .is_some_and(|(m, _)| m.spec().permission != Permission::Read);
        let (status, reply) = self
            .call_as(needs_user.then_some(WRITER), method, params)
            .await;
        assert_eq!(status, 200, "{method}: {reply}");
        reply
    }

    /// Sends one JSON-RPC 2.0 call as `user`: the HTTP status and the reply.
    pub async fn call_as(
        &self,
        user: Option<(&str, &str)>,
        method: &str,
        params: Value,
    ) -> (u16, Value) {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
        let response = self
            .post_as(user, "application/json", body.to_string())
            .await;
        let status = response.status().as_u16();
        (status, response.json().await.expect("reply is JSON"))
    }

    /// The test's own database, when the app made one.
    pub fn database_url(&self) -> Option<&DatabaseUrl> {
        self._db.as_ref().map(|db| &db.url)
    }

    /// The result of a call that must succeed.
    pub async fn result(&self, method: &str, params: Value) -> Value {
        let reply = self.call(method, params).await;
        match reply.get("result") {
            Some(result) => result.clone(),
            None => panic!("{method} failed: {reply}"),
        }
    }

    /// The error of a call that must fail, as (code, message).
    pub async fn error(&self, method: &str, params: Value) -> (i64, String) {
        let reply = self.call(method, params).await;
        let error = reply
            .get("error")
            .unwrap_or_else(|| panic!("{method} succeeded: {reply}"));
        (
            error["code"].as_i64().unwrap(),
            error["message"].as_str().unwrap().to_string(),
        )
    }

    pub async fn put(&self, key: &str, value: Value) -> i64 {
        self.result("records.put", json!([key, value]))
            .await
            .as_i64()
            .expect("a revision")
    }
}
