//! Operating real processes: graceful shutdown on SIGTERM, JSON logs, and
//! an edge failing over between two centers on one MariaDB or PostgreSQL.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{free_port, unique_name, Backend, TestDb};
use crate::processes::{call, center, eventually, get, reachable, Process};

/// SIGTERM with a request half sent: the request is still answered, the
/// edge writes its snapshot, the DB executors close their connections, the
/// process exits 0, and every log line is one JSON object.
#[actix_web::test]
async fn sigterm_finishes_requests_saves_the_snapshot_and_closes_the_pool() {
    let dir: PathBuf = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let log = std::fs::File::create(dir.join("syncdict.log")).unwrap();
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncdict"));
    command
        .current_dir(&dir)
        .env("SYNCDICT__SERVER__PORT", port.to_string())
        .env("SYNCDICT__SERVER__WORKERS", "1")
        .env("SYNCDICT__DATABASE__URL", "sqlite://both.db")
        .env("SYNCDICT__CLIENT__INTERVAL", "200ms")
        .env("SYNCDICT__CLIENT__SNAPSHOT_PATH", "edge.snapshot")
        .env("SYNCDICT__LOG__FORMAT", "json")
        .env_remove("RUST_LOG")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log);
    let mut process = Process {
        child: command.spawn().unwrap(),
    };
    let long = Duration::from_secs(20);
    eventually(long, "up and pulled once", async || {
        get(port, "/api/status")
            .await
            .is_some_and(|(_, s)| s["pulls"].as_array().is_some_and(|p| !p.is_empty()))
    })
    .await;

    // A request whose body is still on its way when the signal arrives.
    let body =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [0], "id": 7}).to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /RPC HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(
        unsafe { libc::kill(process.child.id() as i32, libc::SIGTERM) },
        0
    );
    std::thread::sleep(Duration::from_millis(300));
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "in-flight request: {reply:?}"
    );
    assert!(reply.contains(r#""id":7"#), "{reply}");

    let started = Instant::now();
    let status = loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            break status;
        }
        assert!(started.elapsed() < Duration::from_secs(15), "still running");
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
    assert!(!reachable(port).await);

    let logged = std::fs::read_to_string(dir.join("syncdict.log")).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    for expected in [
        "pull applied",
        "HTTP server stopped; in-flight requests finished",
        "snapshot written",
        "database connections closed",
        "stopped",
    ] {
        assert!(
            messages.contains(&expected),
            "no {expected:?} in {messages:?}"
        );
    }
    let pull = lines
        .iter()
        .find(|l| l["message"] == "pull applied")
        .unwrap();
    for field in [
        "upstream",
        "duration_ms",
        "revision",
        "entries",
        "level",
        "timestamp",
    ] {
        assert!(
            pull.get(field).is_some(),
            "pull line without {field}: {pull}"
        );
    }
    assert!(dir.join("edge.snapshot").exists());
    let _ = std::fs::remove_dir_all(dir);
}

/// Two centers on one database, an edge listing both: the first is killed
/// mid-run and the edge keeps syncing through the second; the first comes
/// back and the edge returns to it.
async fn edge_fails_over_between_centers(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let url = db.url.connection_string().to_string();
    let dir: PathBuf = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let (a_port, b_port, edge_port) = (free_port(), free_port(), free_port());
    let rpc = |port: u16| format!("http://127.0.0.1:{port}/RPC");
    let mut a = center(&dir, a_port, &url);
    let _b = center(&dir, b_port, &url);
    let _edge = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "edge".into()),
            ("SYNCDICT__SERVER__PORT", edge_port.to_string()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            (
                "SYNCDICT__CLIENT__UPSTREAMS",
                format!("{},{}", rpc(a_port), rpc(b_port)),
            ),
            ("SYNCDICT__CLIENT__INTERVAL", "200ms".into()),
            ("SYNCDICT__CLIENT__MAX_BACKOFF", "400ms".into()),
            ("SYNCDICT__CLIENT__TIMEOUT", "1s".into()),
            ("SYNCDICT__CLIENT__UPSTREAM_COOLDOWN", "1s".into()),
            ("SYNCDICT__CLIENT__SNAPSHOT_PATH", "".into()),
        ],
    );
    let long = Duration::from_secs(20);
    for port in [a_port, b_port, edge_port] {
        eventually(long, "process up", async || reachable(port).await).await;
    }
    let in_use = async || {
        get(edge_port, "/api/status")
            .await
            .map(|(_, s)| s["upstream_in_use"].clone())
    };
    let has = async |key: &str, value: Value| {
        get(edge_port, &format!("/api/cache/{key}"))
            .await
            .is_some_and(|(status, v)| status == 200 && v == value)
    };

    call(a_port, "records.put", &["\"k\"", "\"via a\""]);
    eventually(long, "edge pulls from a", async || {
        has("k", json!("via a")).await
    })
    .await;
    eventually(long, "edge reports a in use", async || {
        in_use().await == Some(json!(rpc(a_port)))
    })
    .await;

    // Kill A while the edge runs; writes through B keep arriving.
    a.kill();
    for i in 0..5 {
        let value = format!("\"via b {i}\"");
        call(b_port, "records.put", &["\"k\"", &value]);
        eventually(Duration::from_secs(5), "edge follows b", async || {
            has("k", json!(format!("via b {i}"))).await
        })
        .await;
    }
    // The status is written just after the data is applied, so it may lag
    // the value by one pull.
    eventually(long, "edge reports b in use", async || {
        in_use().await == Some(json!(rpc(b_port)))
    })
    .await;
    let metrics = reqwest::get(format!("http://127.0.0.1:{edge_port}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let a_failures = format!(
        "syncdict_edge_upstream_failures_total{{upstream=\"{}\"}} ",
        rpc(a_port)
    );
    let failed: f64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix(&a_failures))
        .unwrap_or_else(|| panic!("no {a_failures} in {metrics}"))
        .parse()
        .unwrap();
    assert!(failed >= 1.0);

    // A returns on the same port and database: the edge goes back to it.
    let _a = center(&dir, a_port, &url);
    eventually(long, "a back", async || reachable(a_port).await).await;
    eventually(long, "edge returns to a", async || {
        in_use().await == Some(json!(rpc(a_port)))
    })
    .await;
    call(a_port, "records.put", &["\"k\"", "\"a again\""]);
    eventually(long, "edge follows a", async || {
        has("k", json!("a again")).await
    })
    .await;
    let list_a = call(a_port, "records.list", &[]);
    let list_b = call(b_port, "records.list", &[]);
    assert_eq!(list_a, list_b);
    let _ = std::fs::remove_dir_all(dir);
}

#[cfg(feature = "mysql")]
#[actix_web::test]
async fn mysql_edge_fails_over_between_centers() {
    edge_fails_over_between_centers(Backend::Mysql).await;
}

#[cfg(feature = "postgres")]
#[actix_web::test]
async fn postgres_edge_fails_over_between_centers() {
    edge_fails_over_between_centers(Backend::Postgres).await;
}
