//! Test helpers: per-test databases on each backend, `eventually`, the
//! `on_backends!` macro; `TestApp` lives in `app.rs`.

use std::sync::atomic::{AtomicU32, Ordering};

use std::time::Duration;

use serde_json::Value;
use syncdict::configuration::DatabaseUrl;

pub use crate::app::{TestApp, TestAppBuilder};

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
        peer(var)
    }
}

/// The peer the environment variable `var` names (a database URL, the
/// interop Python, playwright's path): `None` skips the test, except in
/// CI (`CI=true`), where a missing peer is a failure.
pub fn peer(var: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ if in_ci() => {
            panic!("{var} must be set in CI (tests/interop/setup.sh prints the interop ones)")
        }
        _ => {
            eprintln!(
                "skipping: {var} is not set (tests/interop/setup.sh prints the interop ones)"
            );
            None
        }
    }
}

/// Whether this runs in CI (`CI=true`), where a missing peer is a failure.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// A free local port (bound, then released).
/// A temporary directory, removed when dropped (a failed test included).
pub struct Scratch(tempfile::TempDir);

impl Scratch {
    pub fn new() -> Scratch {
        Scratch(tempfile::tempdir().expect("a temporary directory"))
    }
}

impl AsRef<std::path::Path> for Scratch {
    fn as_ref(&self) -> &std::path::Path {
        self.0.path()
    }
}

impl AsRef<std::ffi::OsStr> for Scratch {
    fn as_ref(&self) -> &std::ffi::OsStr {
        self.0.path().as_os_str()
    }
}

impl std::ops::Deref for Scratch {
    type Target = std::path::Path;

    fn deref(&self) -> &std::path::Path {
        self.0.path()
    }
}

/// A port on 127.0.0.1 that refuses connections while this lives: bound,
/// never listening, so no other test can take it meanwhile.
pub struct ClosedPort {
    _socket: socket2::Socket,
    pub port: u16,
}

impl ClosedPort {
    pub fn new() -> ClosedPort {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("a socket");
        let any: std::net::SocketAddr = "127.0.0.1:0".parse().unwrap();
        socket.bind(&any.into()).expect("bound");
        let port = socket
            .local_addr()
            .ok()
            .and_then(|a| a.as_socket())
            .map(|a| a.port())
            .expect("a port");
        ClosedPort {
            _socket: socket,
            port,
        }
    }
}

/// A free port for a process that cannot take port 0 (nginx, Django):
/// free when asked, so another process could take it first.
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

/// An administrator (read and write everywhere, and manages users,
/// tokens and namespaces in the console).
pub const ADMIN: (&str, &str) = ("admin", "admin-password");

/// The argon2id hash of `password`, made once per test process (hashing
/// is slow by design; a hash is good for any database).
fn hash_once(password: &'static str) -> String {
    static HASHES: std::sync::Mutex<Vec<(&str, String)>> = std::sync::Mutex::new(Vec::new());
    let mut hashes = HASHES.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((_, h)) = hashes.iter().find(|(p, _)| *p == password) {
        return h.clone();
    }
    let hash = syncdict::auth::password::hash(password).unwrap();
    hashes.push((password, hash.clone()));
    hash
}

/// Adds `WRITER`, `READER` and `ADMIN` to a fresh database.
pub fn add_test_users(url: &DatabaseUrl) {
    let settings = syncdict::configuration::DatabaseSettings {
        url: url.clone(),
        ..Default::default()
    };
    let mut conn = syncdict::db::connect(&settings).expect("test database reachable");
    use syncdict::domain::Role;
    let users = [
        (WRITER, Role::Writer),
        (READER, Role::Reader),
        (ADMIN, Role::Administrator),
    ];
    for ((name, password), role) in users {
        let hash = hash_once(password);
        syncdict::db::users::add(&mut conn, name, &hash, role, 0).expect("user added");
    }
}

/// Adds a user with exactly `grants` (`*` or a namespace, and a level).
pub fn add_user(
    url: &DatabaseUrl,
    (name, password): (&str, &str),
    grants: &[(&str, syncdict::domain::Level)],
) {
    use syncdict::domain::{Role, Scope};
    let settings = syncdict::configuration::DatabaseSettings {
        url: url.clone(),
        ..Default::default()
    };
    let mut conn = syncdict::db::connect(&settings).expect("test database reachable");
    let hash = syncdict::auth::password::hash(password).unwrap();
    syncdict::db::users::add(&mut conn, name, &hash, Role::Reader, 0).expect("user added");
    syncdict::db::users::revoke(&mut conn, name, &Scope::All).unwrap();
    for (scope, level) in grants {
        let scope = Scope::parse(scope).unwrap();
        syncdict::db::users::grant(&mut conn, name, &scope, *level).unwrap();
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

/// POSTs a JSON-RPC `body` to `target` and answers the reply's bytes (for
/// the proxies tests put in front of a center).
pub async fn forward(target: &str, body: &[u8]) -> actix_web::web::Bytes {
    reqwest::Client::new()
        .post(target)
        .header("Content-Type", "application/json")
        .body(body.to_vec())
        .send()
        .await
        .expect("the center answers")
        .bytes()
        .await
        .expect("a body")
}
