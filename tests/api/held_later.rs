//! A held pull is answered later: its head (200, chunked) goes out when it
//! is held and its body when a write ends the wait, over JSON-RPC and
//! XML-RPC alike; it is counted once; a client that goes away frees its
//! place; a notification is never held.

use std::time::Duration;

use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use crate::helpers::{eventually, TestApp};

/// A sample of the center's `/metrics` (0 when absent).
async fn metric(center: &TestApp, sample: &str) -> u64 {
    let text = center.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .map_or(0, |v| v.parse::<f64>().unwrap() as u64)
}

async fn until_metric(center: &TestApp, sample: &str, n: u64) {
    eventually(
        Duration::from_secs(30),
        &format!("{sample} {n}"),
        async || metric(center, sample).await == n,
    )
    .await;
}

const HELD: &str = "syncdict_held_requests";
const IN_FLIGHT: &str = "syncdict_rpc_requests_in_flight";
const CALLS_OK: &str =
    r#"syncdict_rpc_calls_total{method="records.changes",protocol="jsonrpc",outcome="ok"}"#;

/// Sends `body` as `content_type` to `/RPC` on a connection of its own and
/// reads the response head: its status line and headers, lowercased.
async fn ask(center: &TestApp, content_type: &str, body: &str) -> (BufReader<TcpStream>, String) {
    let address = center.rpc_url();
    let host = address
        .trim_start_matches("http://")
        .trim_end_matches("/RPC")
        .to_string();
    let mut stream = TcpStream::connect(&host).await.expect("connects");
    let request = format!(
        "POST /RPC HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).await.expect("a head");
        if line == "\r\n" || line.is_empty() {
            return (reader, head.to_ascii_lowercase());
        }
        head.push_str(&line);
    }
}

/// The head of a held pull, which comes before anything ends the wait.
async fn head_now<T>(asked: impl std::future::Future<Output = T>) -> T {
    tokio::time::timeout(Duration::from_secs(20), asked)
        .await
        .expect("the head comes while the pull is held")
}

/// A chunked body, whole.
async fn chunked_body(reader: &mut BufReader<TcpStream>) -> String {
    let mut body = Vec::new();
    loop {
        let mut size = String::new();
        reader.read_line(&mut size).await.unwrap();
        let size = usize::from_str_radix(size.trim_end(), 16).expect("a chunk size");
        let mut chunk = vec![0; size + 2];
        reader.read_exact(&mut chunk).await.unwrap();
        body.extend_from_slice(&chunk[..size]);
        if size == 0 {
            return String::from_utf8(body).unwrap();
        }
    }
}

#[actix_web::test]
async fn a_held_pull_sends_its_head_now_and_its_body_when_a_write_comes() {
    let center = TestApp::builder().center().spawn().await;
    let at = center.put("a", json!(1)).await;
    let calls_before = metric(&center, CALLS_OK).await;
    let pull =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at, null, 3600], "id": 7});
    let (mut reader, head) = head_now(ask(&center, "application/json", &pull.to_string())).await;
    // The head came while the pull is held: nothing was written yet.
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("transfer-encoding: chunked"), "{head}");
    assert!(head.contains("content-type: application/json"), "{head}");
    until_metric(&center, HELD, 1).await;
    assert_eq!(
        metric(&center, IN_FLIGHT).await,
        1,
        "the held pull is in flight"
    );
    let written = center.put("b", json!(2)).await;
    let reply: Value = serde_json::from_str(&chunked_body(&mut reader).await).unwrap();
    assert_eq!(reply["id"], json!(7), "{reply}");
    assert_eq!(reply["result"]["revision"], json!(written), "{reply}");
    assert_eq!(reply["result"]["upserts"][0]["key"], json!("b"), "{reply}");
    until_metric(&center, HELD, 0).await;
    until_metric(&center, IN_FLIGHT, 0).await;
    assert_eq!(
        metric(&center, CALLS_OK).await,
        calls_before + 1,
        "a held call is counted once, when it ends"
    );

    // XML-RPC: the same, its body a methodResponse.
    let at = written;
    let call = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>records.changes</methodName><params>\
         <param><value><int>{at}</int></value></param><param><value><nil/></value></param>\
         <param><value><int>3600</int></value></param></params></methodCall>"
    );
    let (mut reader, head) = head_now(ask(&center, "text/xml", &call)).await;
    assert!(head.starts_with("http/1.1 200"), "{head}");
    assert!(head.contains("content-type: text/xml"), "{head}");
    until_metric(&center, HELD, 1).await;
    let written = center.put("c", json!(3)).await;
    let reply = chunked_body(&mut reader).await;
    assert!(reply.starts_with("<?xml"), "{reply}");
    assert!(reply.contains("<methodResponse>"), "{reply}");
    assert!(reply.contains(&format!("<int>{written}</int>")), "{reply}");
    assert!(reply.contains("<string>c</string>"), "{reply}");
    assert!(!reply.contains("fault"), "{reply}");
}

#[actix_web::test]
async fn a_client_gone_frees_its_place_and_a_notification_is_never_held() {
    let center = TestApp::builder().center().spawn().await;
    let at = center.put("a", json!(1)).await;
    let pull =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at, null, 3600], "id": 1});
    let (reader, _) = ask(&center, "application/json", &pull.to_string()).await;
    until_metric(&center, HELD, 1).await;
    drop(reader);
    // Freed when the client closes, not when a write to it would fail
    // (which took about 30 s, the wait's own next wake).
    eventually(Duration::from_secs(10), "the held pull freed", async || {
        metric(&center, HELD).await == 0
    })
    .await;
    until_metric(&center, IN_FLIGHT, 0).await;

    // No id: no reply to wait for, so it is answered at once (204).
    let notification =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at, null, 3600]});
    let (_reader, head) = ask(&center, "application/json", &notification.to_string()).await;
    assert!(head.starts_with("http/1.1 204"), "{head}");
    assert_eq!(metric(&center, HELD).await, 0);
}
