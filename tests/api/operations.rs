//! Operating a real process: graceful shutdown on SIGTERM (held pulls
//! answered at once), JSON logs.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{eventually, free_port, unique_name};
use crate::processes::{add_writer, call, get, reachable, Process};

/// SIGTERM with a request half sent: the request is still answered, the
/// edge writes its snapshot, the DB executors close their connections, the
/// process exits 0, and every log line is one JSON object.
#[actix_web::test]
async fn sigterm_finishes_requests_saves_the_snapshot_and_closes_the_pool() {
    let dir: PathBuf = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let mut process = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__PORT", port.to_string()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            ("SYNCDICT__DATABASE__URL", "sqlite://both.db".into()),
            ("SYNCDICT__CLIENT__INTERVAL", "200ms".into()),
            ("SYNCDICT__CLIENT__SNAPSHOT_PATH", "edge.snapshot".into()),
            ("SYNCDICT__LOG__FORMAT", "json".into()),
        ],
        Some(&dir.join("syncdict.log")),
    );
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

    let status = exit_within(&mut process, Duration::from_secs(15));
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

/// SIGTERM with a pull held for up to an hour: it is answered at once
/// (nothing changed, the current revision), and the process exits without
/// waiting for the hold.
#[actix_web::test]
async fn sigterm_answers_held_pulls_at_once() {
    let dir: PathBuf = std::env::temp_dir().join(unique_name());
    std::fs::create_dir_all(&dir).unwrap();
    add_writer(&dir);
    let port = free_port();
    let mut process = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "center".into()),
            ("SYNCDICT__SERVER__PORT", port.to_string()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            ("SYNCDICT__SERVER__MAX_HOLD", "1h".into()),
            ("SYNCDICT__DATABASE__URL", "sqlite://center.db".into()),
        ],
        None,
    );
    eventually(Duration::from_secs(20), "up", async || {
        reachable(port).await
    })
    .await;
    let revision = call(port, "records.put", &["k", "1"]);
    let body = json!({"jsonrpc": "2.0", "method": "records.changes", "params": [revision, null, 3600], "id": 9})
        .to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        stream,
        "POST /RPC HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    eventually(Duration::from_secs(20), "held", async || {
        let metrics = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        metrics.contains("syncdict_held_requests 1")
    })
    .await;
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(
        unsafe { libc::kill(process.child.id() as i32, libc::SIGTERM) },
        0
    );
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 200"), "held request: {reply:?}");
    assert!(
        reply.contains(&format!(r#""revision":{revision}"#)),
        "{reply}"
    );
    assert!(reply.contains(r#""upserts":[]"#), "{reply}");
    // Far below the hour it was held for: the stop did not wait for it.
    let status = exit_within(&mut process, Duration::from_secs(60));
    assert!(status.success(), "exit status {status}");
}

/// The process's exit status, once it exits; fails the test after `limit`.
fn exit_within(process: &mut Process, limit: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = process.child.try_wait().unwrap() {
            return status;
        }
        assert!(started.elapsed() < limit, "still running after {limit:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
}
