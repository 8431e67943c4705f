//! An edge failing over between two real center processes on one MariaDB
//! or PostgreSQL database, and returning to the first when it comes back.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{eventually, Backend, TestDb};
use crate::processes::{call, center, get, reachable, Process};

/// Two centers on one database, an edge listing both: the first is killed
/// mid-run and the edge keeps syncing through the second; the first comes
/// back and the edge returns to it.
async fn edge_fails_over_between_centers(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let url = db.url.connection_string().to_string();
    let dir = crate::helpers::Scratch::new();
    let rpc = |port: u16| format!("http://127.0.0.1:{port}/RPC");
    let mut a = center(&dir, 0, &url);
    let a_port = a.port().await;
    let b = center(&dir, 0, &url);
    let b_port = b.port().await;
    let edge = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "edge".into()),
            ("SYNCDICT__SERVER__PORT", "0".into()),
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
        None,
    );
    let edge_port = edge.port().await;
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
        eventually(long, "edge follows b", async || {
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
}

crate::on_backends!(server: edge_fails_over_between_centers);
