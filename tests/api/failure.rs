//! A stopped, vanishing or returning database: calls fail fast with
//! "database unavailable", the process stays up and recovers by itself.

use std::time::{Duration, Instant};

use serde_json::json;
use syncdict::configuration::{DatabaseUrl, HumanDuration};

use crate::helpers::{eventually, keys, Backend, TestApp, TestDb};
use crate::proxy::{through, Proxy};

/// An app whose database connection runs through a proxy that starts `up` or not.
async fn app_behind_proxy(
    backend: Backend,
    up: bool,
    check_interval: &str,
) -> Option<(TestApp, Proxy)> {
    // Down at start: a bare database, so migrating it is the app's job.
    let db = if up {
        TestDb::create(backend)?
    } else {
        TestDb::create_bare(backend)?
    };
    let raw = db.url.connection_string().to_string();
    let proxy = Proxy::start(crate::proxy::host_port(&raw), up).await;
    let url = DatabaseUrl::parse(&through(&raw, proxy.port)).unwrap();
    let check_interval = HumanDuration::parse(check_interval).unwrap();
    let app = TestApp::builder()
        .center()
        .database(url, Some(db))
        .with(move |s| {
            s.database.connect_timeout = HumanDuration(CONNECT_TIMEOUT);
            s.server.revision_check_interval = check_interval;
        })
        .spawn()
        .await;
    Some((app, proxy))
}

/// `database.connect_timeout` here: what a call waits for a connection.
/// Bounds below are multiples of it, far above what a busy machine adds.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// The call fails with -32001, having waited at most about one connect
/// timeout (never hanging).
async fn assert_unavailable(app: &TestApp, method: &str, params: serde_json::Value) {
    let started = Instant::now();
    let (code, message) = app.error(method, params).await;
    assert_eq!(
        (code, message.as_str()),
        (-32001, "database unavailable"),
        "{method}"
    );
    assert!(
        started.elapsed() < CONNECT_TIMEOUT * 5,
        "{method} took {:?}",
        started.elapsed()
    );
}

/// Polls until `records.get` works again; panics after 15 s.
async fn wait_until_available(app: &TestApp) {
    eventually(Duration::from_secs(15), "recovered", async || {
        let reply = app.call("records.get", json!(["kept"])).await;
        reply.get("result").is_some()
    })
    .await;
}

async fn database_vanishes_and_returns(backend: Backend) {
    let Some((app, proxy)) = app_behind_proxy(backend, true, "0s").await else {
        return;
    };
    app.put("kept", json!("before")).await;
    proxy.cut();
    assert_unavailable(&app, "records.put", json!(["lost", 1])).await;
    assert_unavailable(&app, "records.list", json!([])).await;
    assert_unavailable(&app, "records.changes", json!([1])).await;
    // Failing fast: a burst of 20 calls during the outage does not pay the
    // connect timeout each (that would be 40 s); one probe per 500 ms does.
    let started = Instant::now();
    for _ in 0..20 {
        assert_eq!(app.error("records.get", json!(["kept"])).await.0, -32001);
    }
    assert!(
        started.elapsed() < CONNECT_TIMEOUT * 10,
        "20 calls took {:?}",
        started.elapsed()
    );
    proxy.restore();
    wait_until_available(&app).await;
    assert_eq!(
        app.result("records.get", json!(["kept"])).await["value"],
        "before"
    );
    assert_eq!(
        app.put("after", json!(1)).await,
        2,
        "the failed put took no revision"
    );
}

async fn database_down_at_start_is_migrated_when_it_returns(backend: Backend) {
    let Some((app, proxy)) = app_behind_proxy(backend, false, "0s").await else {
        return;
    };
    assert_unavailable(&app, "records.list", json!([])).await;
    proxy.restore();
    // The tables exist once it is back: reads answer (and writes are
    // refused for want of users, not for want of a schema).
    eventually(Duration::from_secs(15), "recovered", async || {
        let reply = app.call("records.list", json!([])).await;
        reply.get("result").is_some()
    })
    .await;
    assert_eq!(app.result("records.list", json!([])).await, json!([]));
    let refused = app
        .post(
            "application/json",
            json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", 1], "id": 1})
                .to_string(),
        )
        .await;
    assert_eq!(
        refused.status(),
        401,
        "no users yet, and a migrated users table"
    );
}

/// With the list and revision cached, repeated reads need no database at all.
async fn cached_reads_do_not_touch_the_database(backend: Backend) {
    let Some((app, proxy)) = app_behind_proxy(backend, true, "1h").await else {
        return;
    };
    app.put("a", json!(1)).await;
    let list = app.result("records.list", json!([])).await;
    proxy.cut();
    for _ in 0..3 {
        assert_eq!(app.result("records.list", json!([])).await, list);
        let nothing = app.result("records.changes", json!([1])).await;
        assert_eq!(
            nothing,
            json!({"revision": 1, "full": false, "upserts": [], "deletes": []})
        );
        assert_eq!(
            app.result("records.changes", json!([0])).await["upserts"],
            list
        );
    }
    proxy.restore();
    app.put("b", json!(2)).await;
    let listed = keys(&app.result("records.list", json!([])).await);
    assert_eq!(
        listed,
        ["a", "b"],
        "a local write invalidates the cached list"
    );
}

crate::on_backends!(
    server:
    database_vanishes_and_returns,
    database_down_at_start_is_migrated_when_it_returns,
    cached_reads_do_not_touch_the_database
);

/// Nothing listens on the port: every call answers fast, the server stays up.
#[actix_web::test]
async fn unreachable_server_answers_database_unavailable() {
    let refusing = crate::helpers::ClosedPort::new();
    let closed = refusing.port;
    let url = if cfg!(feature = "postgres") {
        format!("postgres://postgres@127.0.0.1:{closed}/test")
    } else if cfg!(feature = "mysql") {
        format!("mysql://root@127.0.0.1:{closed}/test")
    } else {
        return;
    };
    let app = TestApp::builder()
        .center()
        .database(DatabaseUrl::parse(&url).unwrap(), None)
        .with(|s| s.database.connect_timeout = HumanDuration(CONNECT_TIMEOUT))
        .spawn()
        .await;
    for _ in 0..3 {
        assert_unavailable(&app, "records.put", json!(["k", 1])).await;
    }
    let methods = app.result("system.listMethods", json!([])).await;
    assert!(
        methods.as_array().unwrap().len() > 5,
        "introspection needs no database"
    );
}
