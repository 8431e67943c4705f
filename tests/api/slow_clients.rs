//! Slow and idle clients hold nothing for long: a body that trickles in is
//! cut off at `server.request_timeout` (HTTP 408), and connections beyond
//! `server.max_connections` wait until one closes.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use syncdict::configuration::HumanDuration;

use crate::helpers::{eventually, TestApp};

fn connect(app: &TestApp) -> TcpStream {
    let address = app.address.trim_start_matches("http://");
    let stream = TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    stream
}

#[actix_web::test]
async fn a_trickling_body_gets_408_at_the_request_timeout() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.request_timeout = HumanDuration(Duration::from_secs(1)))
        .spawn()
        .await;
    // Ten of the hundred bytes promised, then nothing; then none of them.
    for sent in ["{\"jsonrpc\"", ""] {
        let mut stream = connect(&app);
        actix_web::rt::task::spawn_blocking(move || {
            write!(
                stream,
                "POST /RPC HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{sent}"
            )
            .unwrap();
            let mut reply = String::new();
            let _ = stream.read_to_string(&mut reply);
            assert!(reply.starts_with("HTTP/1.1 408"), "{reply:?}");
            assert!(reply.contains("-32600"), "{reply}");
        })
        .await
        .unwrap();
    }
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("syncdict_rpc_http_responses_total{status=\"408\"} 2"));
}

#[actix_web::test]
async fn connections_beyond_the_cap_wait_for_one_to_close() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.max_connections = 2)
        .spawn()
        .await;
    // Two connections that send nothing hold both places.
    let held = [connect(&app), connect(&app)];
    let quick = reqwest::Client::builder()
        .timeout(Duration::from_millis(1500))
        .build()
        .unwrap();
    let status = quick.get(format!("{}/healthz", app.address)).send().await;
    assert!(
        status.is_err(),
        "a third connection is not served while two are open"
    );
    drop(held);
    eventually(
        Duration::from_secs(20),
        "served once they close",
        async || app.get("/metrics").await.status() == 200,
    )
    .await;
}
