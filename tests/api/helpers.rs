//! `spawn_app`: the real application on port 0 with a database of its own.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Once;

use serde_json::{json, Value};
use syncdict::center::start::Maintenance;
use syncdict::configuration::{DatabaseUrl, HumanDuration, Role, Settings};
use syncdict::startup::Application;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    #[allow(dead_code)]
    Mysql,
    #[allow(dead_code)]
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

/// Settings for a test: port 0, one worker, quiet.
pub fn test_settings(url: DatabaseUrl) -> Settings {
    let mut settings = Settings::default();
    settings.server.port = 0;
    settings.server.workers = 1;
    settings.server.roles = vec![Role::Center];
    settings.database.url = url;
    settings.database.connect_timeout = HumanDuration(std::time::Duration::from_millis(1500));
    settings
}

/// The running application and a client for it.
pub struct TestApp {
    pub address: String,
    pub maintenance: Maintenance,
    pub client: reqwest::Client,
    pub db: Option<TestDb>,
}

/// Starts the app on a fresh database of `backend`; `None` if not configured.
pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    let db = TestDb::create(backend)?;
    let settings = test_settings(db.url.clone());
    let mut app = spawn_with(settings).await;
    app.db = Some(db);
    Some(app)
}

/// Starts the app with these settings exactly.
pub async fn spawn_with(settings: Settings) -> TestApp {
    LOG.call_once(|| {
        if std::env::var("TEST_LOG").is_ok() {
            syncdict::telemetry::init(&syncdict::configuration::LogSettings {
                level: "debug".into(),
                ..Default::default()
            });
        }
    });
    let app = Application::build(settings)
        .await
        .expect("application builds");
    let address = format!("http://127.0.0.1:{}", app.port());
    let maintenance = app.maintenance().expect("a center");
    actix_web::rt::spawn(app.run_until_stopped());
    TestApp {
        address,
        maintenance,
        client: reqwest::Client::new(),
        db: None,
    }
}

impl TestApp {
    pub fn rpc_url(&self) -> String {
        format!("{}/RPC", self.address)
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

/// Defines `sqlite`, `mysql` and `postgres` test modules that run each named
/// `async fn(TestApp)` on a fresh app of that backend.
#[macro_export]
macro_rules! on_all_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $( #[actix_web::test] async fn $name() {
                let app = $crate::helpers::spawn_app($crate::helpers::Backend::Sqlite).await.unwrap();
                super::$name(app).await
            } )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $( #[actix_web::test] async fn $name() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Mysql).await {
                    super::$name(app).await
                }
            } )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $( #[actix_web::test] async fn $name() {
                if let Some(app) = $crate::helpers::spawn_app($crate::helpers::Backend::Postgres).await {
                    super::$name(app).await
                }
            } )*
        }
    };
}
