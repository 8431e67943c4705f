//! Stopping: in-process through the shutdown input (in-flight requests
//! finished, held pulls answered at once), and a real process on SIGTERM
//! (exit 0, snapshot, JSON logs).

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use syncdict::configuration::HumanDuration;

use crate::app::TestApp;
use crate::helpers::eventually;
use crate::processes::{get, reachable, Process};

/// A stop with a request half sent: the request is still answered, the
/// edge writes its snapshot, and `run` ends. In-process, stopped by its
/// shutdown input: no signal, no sleep.
#[actix_web::test]
async fn a_stop_finishes_requests_and_saves_the_snapshot() {
    let mut app = TestApp::builder().center().edge(vec![]).spawn().await;
    app.put("k", json!(1)).await;
    app.tick().await;
    let port = port_of(&app);
    let body =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [0], "id": 7}).to_string();
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    // A first request answered: the connection is the server's now.
    write!(stream, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    let first = read_response(&mut stream);
    assert!(first.starts_with("HTTP/1.1 200"), "{first}");
    write!(
        stream,
        "POST /RPC HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{}",
        body.len(),
        &body[..10]
    )
    .unwrap();
    // The server is reading it.
    eventually(
        Duration::from_secs(10),
        "the request in flight",
        async || {
            app.get("/metrics")
                .await
                .text()
                .await
                .unwrap()
                .contains("syncdict_rpc_requests_in_flight 1")
        },
    )
    .await;
    app.begin_stop();
    eventually(Duration::from_secs(10), "no longer accepting", async || {
        !reachable(port).await
    })
    .await;
    stream.write_all(&body.as_bytes()[10..]).unwrap();
    let reply = read_response(&mut stream);
    assert!(
        reply.starts_with("HTTP/1.1 200"),
        "in-flight request: {reply:?}"
    );
    assert!(reply.contains(r#""id":7"#), "{reply}");
    app.stop().await;
    let snapshot = app.snapshot.clone().unwrap();
    assert!(snapshot.exists(), "the edge wrote its snapshot");
}

/// A stop with a pull held for up to an hour: it is answered at once
/// (nothing changed, the current revision), and `run` ends without
/// waiting for the hold.
#[actix_web::test]
async fn a_stop_answers_held_pulls_at_once() {
    let mut app = TestApp::builder()
        .center()
        .with(|s| s.server.max_hold = HumanDuration(Duration::from_secs(3600)))
        .spawn()
        .await;
    let revision = app.put("k", json!(1)).await;
    let held = app.client.post(app.rpc_url()).json(
        &json!({"jsonrpc": "2.0", "method": "records.changes", "params": [revision, null, 3600], "id": 9}),
    );
    let held = actix_web::rt::spawn(held.send());
    eventually(Duration::from_secs(20), "held", async || {
        app.get("/metrics")
            .await
            .text()
            .await
            .unwrap()
            .contains("syncdict_held_requests 1")
    })
    .await;
    app.stop().await;
    let reply: Value = held.await.unwrap().unwrap().json().await.unwrap();
    assert_eq!(reply["result"]["revision"], revision, "{reply}");
    assert_eq!(reply["result"]["upserts"], json!([]), "{reply}");
}

/// `syncdict serve` turns SIGTERM into its shutdown: it exits 0, having
/// written its snapshot and closed its connections, and every log line is
/// one JSON object.
#[actix_web::test]
async fn sigterm_stops_the_process_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut process = Process::start(
        dir.path(),
        &[
            ("SYNCDICT__SERVER__PORT", "0".into()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            ("SYNCDICT__DATABASE__URL", "sqlite://both.db".into()),
            ("SYNCDICT__CLIENT__INTERVAL", "200ms".into()),
            ("SYNCDICT__CLIENT__SNAPSHOT_PATH", "edge.snapshot".into()),
            ("SYNCDICT__LOG__FORMAT", "json".into()),
        ],
        Some(&dir.path().join("syncdict.log")),
    );
    let port = process.port().await;
    eventually(Duration::from_secs(20), "up and pulled once", async || {
        get(port, "/api/status")
            .await
            .is_some_and(|(_, s)| s["pulls"].as_array().is_some_and(|p| !p.is_empty()))
    })
    .await;
    // SAFETY: kill only sends a signal to our own child.
    assert_eq!(
        unsafe { libc::kill(process.child.id() as i32, libc::SIGTERM) },
        0
    );
    let status = exit_within(&mut process, Duration::from_secs(15));
    assert!(status.success(), "exit status {status}");
    assert!(!reachable(port).await);
    let logged = std::fs::read_to_string(dir.path().join("syncdict.log")).unwrap();
    let lines: Vec<Value> = logged
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|_| panic!("not JSON: {l}")))
        .collect();
    let messages: Vec<&str> = lines.iter().filter_map(|l| l["message"].as_str()).collect();
    for expected in [
        "pull applied",
        "stopping",
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
    assert!(dir.path().join("edge.snapshot").exists());
}

/// The port a test app listens on.
fn port_of(app: &TestApp) -> u16 {
    app.address.rsplit(':').next().unwrap().parse().unwrap()
}

/// One HTTP/1.1 response read off `stream`: its head and its body (by
/// Content-Length), leaving the connection open.
fn read_response(stream: &mut std::net::TcpStream) -> String {
    let mut bytes = Vec::new();
    let mut byte = [0u8];
    while !bytes.ends_with(b"\r\n\r\n") {
        assert_eq!(stream.read(&mut byte).unwrap(), 1, "connection closed");
        bytes.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&bytes).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map_or(0, |n| n.trim().parse().unwrap());
    let mut body = vec![0u8; length];
    stream.read_exact(&mut body).unwrap();
    bytes.extend(body);
    String::from_utf8_lossy(&bytes).into_owned()
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
