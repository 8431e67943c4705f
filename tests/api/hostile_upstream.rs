//! An edge distrusts its upstream: a huge or endless reply, a bad revision,
//! an empty `full` dataset or a redirect fails or is refused, counted and
//! shown, and the data stays; a center that refuses the edge's revision
//! makes it start over from 0, once.

use std::sync::Arc;

use serde_json::{json, Value};
use syncdict::configuration::ByteSize;
use syncdict::edge::state::TickReport;

use crate::edge_helpers::{Script, Upstream};
use crate::helpers::TestApp;

/// A `records.changes` reply.
fn changes(revision: i64, full: bool, keys: &[&str]) -> String {
    let upserts: Vec<Value> = keys
        .iter()
        .map(|k| json!({"key": k, "value": 1, "revision": revision, "updated_at": "2026-11-29T00:00:00Z"}))
        .collect();
    json!({"jsonrpc": "2.0", "result": {"revision": revision, "full": full, "upserts": upserts, "deletes": []}, "id": 1})
        .to_string()
}

/// An edge in `changes` mode against `upstream`, its cache 8 KiB and its
/// largest reply 32 KiB.
async fn edge(upstream: &Upstream) -> TestApp {
    TestApp::builder()
        .edge(vec![upstream.url.clone()])
        .with(|s| {
            s.client.cache_size = ByteSize::parse("8k").unwrap();
            s.client.max_reply = ByteSize::parse("32k").unwrap();
        })
        .spawn()
        .await
}

async fn keys_served(edge: &TestApp) -> Vec<String> {
    let all = edge.json("/api/cache").await;
    all.as_object().unwrap().keys().cloned().collect()
}

#[actix_web::test]
async fn huge_and_endless_replies_fail_without_reading_them_whole() {
    let upstream = Upstream::start(Script::Reply(200, changes(5, true, &["a", "b"]))).await;
    let edge = edge(&upstream).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let padding = " ".repeat(64 * 1024);
    upstream.set(Script::Reply(
        200,
        format!("{padding}{}", changes(6, true, &["a"])),
    ));
    let report = edge.tick().await;
    assert!(
        matches!(&report, TickReport::Failed(e) if e.to_string().contains("client.max_reply")),
        "{report:?}"
    );
    upstream.set(Script::Endless);
    let report = edge.tick().await;
    assert!(
        matches!(&report, TickReport::Failed(e) if e.to_string().contains("client.max_reply")),
        "endless: {report:?}"
    );
    assert_eq!(keys_served(&edge).await, ["a", "b"], "the data stays");
}

#[actix_web::test]
async fn bad_revisions_and_empty_datasets_are_refused() {
    let upstream = Upstream::start(Script::Reply(200, changes(10, true, &["a", "b", "c"]))).await;
    let edge = edge(&upstream).await;
    assert_eq!(edge.tick().await, TickReport::Applied);

    upstream.set(Script::Reply(200, changes(-5, true, &["x"])));
    assert!(
        matches!(edge.tick().await, TickReport::Failed(_)),
        "negative"
    );
    upstream.set(Script::Reply(200, changes(3, false, &["x"])));
    assert!(
        matches!(edge.tick().await, TickReport::Refused(_)),
        "backwards without full"
    );
    upstream.set(Script::Reply(200, changes(11, true, &[])));
    assert!(
        matches!(edge.tick().await, TickReport::Refused(_)),
        "emptied"
    );
    let status = edge.status().await;
    assert_eq!(
        (
            status["revision"].as_i64(),
            &status["revision_refusals"],
            &status["shrink_guard_refusals"]
        ),
        (Some(10), &json!(1), &json!(1))
    );
    assert_eq!(keys_served(&edge).await, ["a", "b", "c"]);
    let metrics = edge.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("syncdict_edge_refusals_total{guard=\"revision\"} 1"),
        "{metrics}"
    );

    // A full dataset may go back (a center restored from a backup).
    upstream.set(Script::Reply(200, changes(4, true, &["a", "b"])));
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.status().await["revision"], 4);
}

#[actix_web::test]
async fn redirects_are_not_followed() {
    let elsewhere = Upstream::start(Script::Reply(200, changes(1, true, &["stolen"]))).await;
    let upstream = Upstream::start(Script::Redirect(307, elsewhere.url.clone())).await;
    let edge = TestApp::builder()
        .edge(vec![upstream.url.clone()])
        .with(|s| {
            s.client.username = Some("edge".into());
            s.client.password = Some("secret".into());
        })
        .spawn()
        .await;
    let report = edge.tick().await;
    assert!(
        matches!(&report, TickReport::Failed(e) if e.to_string().contains("HTTP 307")),
        "{report:?}"
    );
    assert_eq!(
        *elsewhere.hits.lock().unwrap(),
        0,
        "nothing was sent elsewhere"
    );
}

#[actix_web::test]
async fn a_refused_revision_starts_the_edge_over_from_zero_once() {
    let upstream = Upstream::start(Script::Reply(200, changes(50, true, &["a", "b"]))).await;
    let edge = edge(&upstream).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    // Another store behind the same URL: it knows no revision 50.
    upstream.set(Script::BySince(Arc::new(|since| {
        if since == 0 {
            changes(7, true, &["a", "b", "c"])
        } else {
            json!({"jsonrpc": "2.0", "error": {"code": -32602, "message": "Invalid params: since"}, "id": 1}).to_string()
        }
    })));
    assert_eq!(edge.tick().await, TickReport::Applied);
    let status = edge.status().await;
    assert_eq!(
        (status["revision"].as_i64(), &status["restarts"]),
        (Some(7), &json!(1))
    );
    assert_eq!(keys_served(&edge).await, ["a", "b", "c"]);
    // Always refused: one restart per pull, then the pull fails.
    upstream.set(Script::Reply(
        200,
        json!({"jsonrpc": "2.0", "error": {"code": -32602, "message": "no"}, "id": 1}).to_string(),
    ));
    assert!(matches!(edge.tick().await, TickReport::Failed(_)));
    assert_eq!(
        *upstream.hits.lock().unwrap(),
        6,
        "a pull asks twice at most: 1, then 2, then 2; the first also asks whether its namespace is secret"
    );
}
