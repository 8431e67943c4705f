//! `TestApp::builder()`: the real application on port 0 with a database of
//! its own; `eventually`, per-test databases, `on_all_backends!`.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::center::start::Maintenance;
use syncdict::configuration::{DatabaseUrl, HumanDuration, Role, Settings, UpstreamUrl};
use syncdict::edge::start::EdgeHandle;
use syncdict::edge::state::TickReport;
use syncdict::startup::Application;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    #[cfg_attr(not(feature = "mysql"), allow(dead_code))]
    Mysql,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    Postgres,
}

impl Backend {
    /// The server URL tests create databases on, from the environment.
    /// Unset means skip, except in CI (`CI=true`), where it is a failure.
    pub fn server_url(self) -> Option<String> {
        let var = match self {
            Backend::Sqlite => return None,
            Backend::Mysql => "SYNCDICT_TEST_MYSQL_URL",
            Backend::Postgres => "SYNCDICT_TEST_POSTGRES_URL",
        };
        match std::env::var(var) {
            Ok(url) if !url.is_empty() => Some(url),
            _ if in_ci() => {
                panic!("{var} must be set in CI")
            }
            _ => {
                eprintln!("skipping: {var} is not set");
                None
            }
        }
    }
}

/// Whether this runs in CI (`CI=true`), where a missing peer is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A free local port (bound, then released).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// `records.list` as the `{key: value}` object an edge's `/api/cache` returns.
pub fn as_cache_map(list: &Value) -> Value {
    let map: serde_json::Map<String, Value> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect();
    Value::Object(map)
}

static LOG: Once = Once::new();
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A unique, plain name for this test's database or file.
pub fn unique_name() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    format!(
        "sdt_{}_{}_{nanos}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

/// The user tests write as, with the write permission.
pub const WRITER: (&str, &str) = ("tester", "tester-password");
/// A user with the read permission only.
pub const READER: (&str, &str) = ("reader", "reader-password");

/// Adds `WRITER` and `READER` to a fresh database.
pub fn add_test_users(url: &DatabaseUrl) {
    let settings = syncdict::configuration::DatabaseSettings {
        url: url.clone(),
        ..Default::default()
    };
    let mut conn = syncdict::db::connect(&settings).expect("test database reachable");
    for ((name, password), write) in [(WRITER, true), (READER, false)] {
        let hash = syncdict::auth::password::hash(password).unwrap();
        syncdict::db::users::add(&mut conn, name, &hash, write, 0).expect("user added");
    }
}

/// A database that is removed when the test ends.
pub struct TestDb {
    pub url: DatabaseUrl,
    server_url: Option<DatabaseUrl>,
    /// The database's name on the server (SQLite: the file's stem).
    #[cfg_attr(not(any(feature = "mysql", feature = "postgres")), allow(dead_code))]
    name: String,
}

impl TestDb {
    /// A fresh database on `backend` with `WRITER` and `READER`, or `None`
    /// if that backend is not configured.
    pub fn create(backend: Backend) -> Option<TestDb> {
        let db = Self::create_bare(backend)?;
        add_test_users(&db.url);
        Some(db)
    }

    /// A fresh database, not even migrated.
    pub fn create_bare(backend: Backend) -> Option<TestDb> {
        let name = unique_name();
        if backend == Backend::Sqlite {
            let path = std::env::temp_dir().join(format!("{name}.db"));
            let url = DatabaseUrl::parse(&format!("sqlite://{}", path.display())).unwrap();
            return Some(TestDb {
                url,
                server_url: None,
                name,
            });
        }
        let server_url = DatabaseUrl::parse(&backend.server_url()?).unwrap();
        let url = create_database(&server_url, &name);
        Some(TestDb {
            url,
            server_url: Some(server_url),
            name,
        })
    }
}

#[cfg(any(feature = "mysql", feature = "postgres"))]
fn create_database(server: &DatabaseUrl, name: &str) -> DatabaseUrl {
    syncdict::db::admin::create_database(server, name)
        .unwrap_or_else(|e| panic!("cannot create test database: {e}"))
}

#[cfg(not(any(feature = "mysql", feature = "postgres")))]
fn create_database(_: &DatabaseUrl, _: &str) -> DatabaseUrl {
    unreachable!("server backends need the mysql or postgres feature")
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.server_url {
            #[cfg(any(feature = "mysql", feature = "postgres"))]
            Some(server) => {
                let _ = syncdict::db::admin::drop_database(server, &self.name);
            }
            _ => {
                let path = self.url.connection_string().to_string();
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{path}{suffix}"));
                }
            }
        }
    }
}

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
        let address = format!("http://127.0.0.1:{}", app.port());
        let (maintenance, edge) = (app.maintenance(), app.edge());
        actix_web::rt::spawn(app.run_until_stopped());
        Some(TestApp {
            address,
            client: reqwest::Client::new(),
            maintenance,
            edge,
            snapshot,
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
    edge: Option<EdgeHandle>,
    /// The edge's snapshot file (removed when the app is dropped).
    pub snapshot: Option<PathBuf>,
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
    /// writes as `WRITER`, reads anonymously (as edges and browsers do).
    pub async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({ "jsonrpc": "2.0", "method": method, "params": params, "id": 1 });
        let user = ["records.put", "records.delete"]
            .contains(&method)
            .then_some(WRITER);
        let response = self
            .post_as(user, "application/json", body.to_string())
            .await;
        assert_eq!(response.status(), 200, "{method}");
        response.json().await.expect("reply is JSON")
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

/// The keys of a list of records (or of key strings), in order.
pub fn keys(list: &Value) -> Vec<String> {
    let items = list.as_array().expect("an array");
    items
        .iter()
        .map(|v| {
            v.get("key")
                .unwrap_or(v)
                .as_str()
                .expect("a key")
                .to_string()
        })
        .collect()
}

/// Polls `check` every 50 ms until it holds; panics after `limit`. Limits
/// are generous (seconds), so a busy machine passes; what is measured is
/// only that it happens.
pub async fn eventually(
    limit: Duration,
    what: &str,
    mut check: impl AsyncFnMut() -> bool,
) -> Duration {
    let started = std::time::Instant::now();
    while !check().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    started.elapsed()
}

/// Runs `test` on `backend`.
pub async fn on_backend(backend: Backend, test: impl AsyncFnOnce(Backend)) {
    test(backend).await
}

/// Runs `test` on a fresh center of `backend`, if that backend is configured.
pub async fn on_center(backend: Backend, test: impl AsyncFnOnce(TestApp)) {
    if let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .try_spawn()
        .await
    {
        test(app).await
    }
}

/// The one per-backend macro: defines `sqlite`, `mysql` and `postgres`
/// modules with one test per named function.
/// - `on_backends!(a, b)`: each `async fn(Backend)` on every backend;
/// - `on_backends!(server: a, b)`: on MySQL and PostgreSQL only;
/// - `on_backends!(center: a, b)`: each `async fn(TestApp)` on a fresh
///   center of every backend.
///
/// A server backend that is not configured skips outside CI and fails in
/// CI (`Backend::server_url`).
#[macro_export]
macro_rules! on_backends {
    (center: $($name:ident),* $(,)?) => {
        $crate::on_backends!(@sqlite $crate::helpers::on_center; $($name),*);
        $crate::on_backends!(@server $crate::helpers::on_center; $($name),*);
    };
    (server: $($name:ident),* $(,)?) => {
        $crate::on_backends!(@server $crate::helpers::on_backend; $($name),*);
    };
    (@sqlite $run:path; $($name:ident),*) => {
        mod sqlite {
            $( #[actix_web::test] async fn $name() { $run($crate::helpers::Backend::Sqlite, super::$name).await } )*
        }
    };
    (@server $run:path; $($name:ident),*) => {
        #[cfg(feature = "mysql")]
        mod mysql {
            $( #[actix_web::test] async fn $name() { $run($crate::helpers::Backend::Mysql, super::$name).await } )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $( #[actix_web::test] async fn $name() { $run($crate::helpers::Backend::Postgres, super::$name).await } )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::on_backends!(@sqlite $crate::helpers::on_backend; $($name),*);
        $crate::on_backends!(@server $crate::helpers::on_backend; $($name),*);
    };
}
