//! Held pulls: `records.changes(since, namespaces, wait)` answered by a
//! write through the same center, by a write through another center on the
//! same database, or by the wait passing; never held from 0, nor past
//! `server.max_held`; and edges with `client.hold`: held by a center, not
//! held by one that answers at once, asked without `wait` by one that
//! refuses it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::task::JoinHandle;
use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use syncdict::configuration::HumanDuration;
use syncdict::edge::state::TickReport;

use crate::helpers::{eventually, forward, Backend, TestApp, TestDb};

/// Starts `records.changes(params)` in the background; the reply's result.
fn held_call(center: &TestApp, params: Value) -> JoinHandle<Value> {
    let url = center.rpc_url();
    actix_web::rt::spawn(async move {
        let body =
            json!({"jsonrpc": "2.0", "method": "records.changes", "params": params, "id": 1});
        let reply: Value = reqwest::Client::new()
            .post(url)
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("JSON");
        reply["result"].clone()
    })
}

/// A sample of the center's `/metrics` (0 when absent).
async fn metric(center: &TestApp, sample: &str) -> u64 {
    let text = center.get("/metrics").await.text().await.unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(sample)?.strip_prefix(' '))
        .map_or(0, |v| v.parse::<f64>().unwrap() as u64)
}

/// Waits until `n` requests are held on `center`.
async fn until_held(center: &TestApp, n: u64) {
    eventually(Duration::from_secs(30), &format!("{n} held"), async || {
        metric(center, "syncdict_held_requests").await == n
    })
    .await;
}

fn upserted(reply: &Value) -> Vec<String> {
    let upserts = reply["upserts"]
        .as_array()
        .or_else(|| reply["namespaces"]["default"]["upserts"].as_array());
    upserts
        .into_iter()
        .flatten()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect()
}

async fn a_write_answers_held_pulls(backend: Backend) {
    let center = TestApp::builder().center().backend(backend).spawn().await;
    let at = center.put("a", json!(1)).await;
    // Two held pulls, the original form and the namespaced one.
    let original = held_call(&center, json!([at, null, 30]));
    let namespaced = held_call(
        &center,
        json!({"since": at, "namespaces": ["default"], "wait": 30}),
    );
    until_held(&center, 2).await;
    let written = center.put("b", json!(2)).await;
    for held in [original, namespaced] {
        let reply = held.await.unwrap();
        assert_eq!(reply["revision"], json!(written), "{reply}");
        assert_eq!(upserted(&reply), ["b"]);
    }
    assert_eq!(
        metric(&center, r#"syncdict_held_answers_total{by="change"}"#).await,
        2
    );
    until_held(&center, 0).await;
}

#[actix_web::test]
async fn a_change_elsewhere_keeps_the_pull_held_and_the_wait_ends_it() {
    let center = TestApp::builder().center().spawn().await;
    center.result("namespaces.create", json!(["geo"])).await;
    let at = center.put("a", json!(1)).await;
    let held = held_call(&center, json!([at, ["default"], 30]));
    until_held(&center, 1).await;
    // A write to another namespace wakes it, finds nothing for it, and it
    // goes back to waiting, until a write to its own namespace.
    center
        .result("records.put", json!(["fr", "Paris", "geo"]))
        .await;
    let written = center.put("b", json!(2)).await;
    let reply = held.await.unwrap();
    assert_eq!(reply["revision"], json!(written));
    assert_eq!(upserted(&reply), ["b"]);
    assert_eq!(reply["namespaces"].as_object().unwrap().len(), 1);

    // Nothing changes: the wait passes and the reply says so.
    let reply = held_call(&center, json!([written, ["default"], 0.2]))
        .await
        .unwrap();
    assert_eq!(reply["revision"], json!(written));
    assert!(upserted(&reply).is_empty());
    assert_eq!(
        metric(&center, r#"syncdict_held_answers_total{by="wait"}"#).await,
        1
    );
}

#[actix_web::test]
async fn full_pulls_bad_waits_and_the_held_limit_answer_at_once() {
    let center = TestApp::builder()
        .center()
        .with(|s| s.server.max_held = 1)
        .spawn()
        .await;
    let at = center.put("a", json!(1)).await;
    // From 0: the whole dataset, never held.
    let full = center.result("records.changes", json!([0, null, 30])).await;
    assert_eq!(upserted(&full), ["a"]);
    for wait in [json!(-1), json!("10"), json!(3601)] {
        let (code, message) = center
            .error("records.changes", json!([at, null, wait]))
            .await;
        assert_eq!(code, -32602, "{message}");
        assert!(message.contains("wait"), "{message}");
    }
    // One held is the limit: the next answers at once, unchanged.
    let first = held_call(&center, json!([at, null, 30]));
    until_held(&center, 1).await;
    let second = center
        .result("records.changes", json!([at, null, 30]))
        .await;
    assert!(upserted(&second).is_empty());
    assert_eq!(
        metric(&center, r#"syncdict_held_answers_total{by="limit"}"#).await,
        1
    );
    center.put("b", json!(2)).await;
    assert_eq!(upserted(&first.await.unwrap()), ["b"]);
}

/// A write through one center answers the pulls held on another, found by
/// the holding center's revision check (`server.hold_poll_interval`).
async fn a_write_through_another_center_answers_held_pulls(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let center = || {
        TestApp::builder()
            .center()
            .database(db.url.clone(), None)
            .with(|s| {
                s.server.hold_poll_interval = HumanDuration(Duration::from_millis(50));
                // Long trust in the cached revision: only the hold poll finds the write.
                s.server.revision_check_interval = HumanDuration(Duration::from_secs(3600));
            })
            .spawn()
    };
    let (holding, writing) = (center().await, center().await);
    let at = holding.put("a", json!(1)).await;
    let held = held_call(&holding, json!([at, ["default"], 30]));
    until_held(&holding, 1).await;
    let written = writing.put("b", json!(2)).await;
    let reply = held.await.unwrap();
    assert_eq!(reply["revision"], json!(written));
    assert_eq!(upserted(&reply), ["b"]);
}
crate::on_backends!(
    a_write_answers_held_pulls,
    a_write_through_another_center_answers_held_pulls
);

/// An edge of `upstream` holding its pulls up to `hold`.
async fn holding_edge(upstream: String, hold: Duration) -> TestApp {
    TestApp::builder()
        .edge(vec![upstream])
        .with(move |s| s.client.hold = HumanDuration(hold))
        .spawn()
        .await
}

#[actix_web::test]
async fn an_edge_holding_its_pull_gets_the_write_it_waited_for() {
    let center = TestApp::builder().center().spawn().await;
    center.put("a", json!(1)).await;
    let edge = holding_edge(center.rpc_url(), Duration::from_secs(30)).await;
    assert_eq!(
        edge.tick().await,
        TickReport::Applied,
        "the first pull, full"
    );
    let write_once_held = async {
        until_held(&center, 1).await;
        center.put("b", json!(2)).await;
    };
    let (report, ()) = futures_util::future::join(edge.tick(), write_once_held).await;
    assert_eq!(report, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/b").await, json!(2));
    assert_eq!(edge.status().await["held_pulls"], json!("held"));
}

#[actix_web::test]
async fn an_edge_pulls_every_interval_from_a_center_that_does_not_hold() {
    let center = TestApp::builder()
        .center()
        .with(|s| s.server.max_hold = HumanDuration(Duration::ZERO))
        .spawn()
        .await;
    center.put("a", json!(1)).await;
    let edge = holding_edge(center.rpc_url(), Duration::from_secs(30)).await;
    edge.tick().await;
    // Answered at once with nothing: not held, so the next pull waits the interval.
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.status().await["held_pulls"], json!("not_held"));
}

/// A center from before held pulls, as its callers see it: a proxy to a
/// real center refusing a third `records.changes` param as such a center
/// does (-32602), counting the requests it refused.
async fn center_without_wait(target: String) -> (String, Arc<AtomicUsize>) {
    let refused = Arc::new(AtomicUsize::new(0));
    let counter = refused.clone();
    let server = HttpServer::new(move || {
        let (target, counter) = (target.clone(), counter.clone());
        App::new().default_service(web::to(move |body: web::Bytes| {
            let (target, counter) = (target.clone(), counter.clone());
            async move {
                let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                if request["params"].as_array().is_some_and(|p| p.len() > 2) {
                    counter.fetch_add(1, Ordering::SeqCst);
                    let refusal = json!({"jsonrpc": "2.0", "id": request["id"], "error": {
                        "code": -32602,
                        "message": "records.changes takes at most 2 params (since, namespaces), got 3"}});
                    return HttpResponse::Ok().json(refusal);
                }
                HttpResponse::Ok()
                    .content_type("application/json")
                    .body(forward(&target, &body).await)
            }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let url = format!("http://{}/RPC", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    (url, refused)
}

#[actix_web::test]
async fn an_edge_asks_a_center_that_refuses_wait_without_it() {
    let center = TestApp::builder().center().spawn().await;
    let first = center.put("a", json!(1)).await;
    let (old_center, refused) = center_without_wait(center.rpc_url()).await;
    let edge = holding_edge(old_center, Duration::from_secs(30)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    center.put("b", json!(2)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/b").await, json!(2));
    assert_eq!(edge.status().await["held_pulls"], json!("not_asked"));
    // Refused once (the first held pull, from `first`); then asked without
    // `wait`, and not pulled from 0 again (which a refused `since` would).
    assert_eq!(refused.load(Ordering::SeqCst), 1);
    assert_eq!(edge.status().await["restarts"], json!(0), "from {first}");
}

/// A batch (or multicall) of held calls would hold one after another: their
/// `wait` is ignored, and they answer at once. (Were they held, the
/// client's timeout, far below the hour asked, would fail the test.)
#[actix_web::test]
async fn calls_in_a_batch_or_a_multicall_are_never_held() {
    let center = TestApp::builder().center().spawn().await;
    let at = center.put("a", json!(1)).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let call = |id| json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at, null, 3600], "id": id});
    let replies: Value = client
        .post(center.rpc_url())
        .json(&json!([call(1), call(2)]))
        .send()
        .await
        .expect("answered at once")
        .json()
        .await
        .unwrap();
    for reply in replies.as_array().unwrap() {
        assert_eq!(reply["result"]["revision"], json!(at), "{reply}");
    }
    let multicall = format!(
        "<?xml version=\"1.0\"?><methodCall><methodName>system.multicall</methodName><params><param><value><array><data>\
         <value><struct><member><name>methodName</name><value><string>records.changes</string></value></member>\
         <member><name>params</name><value><array><data><value><int>{at}</int></value><value><nil/></value>\
         <value><int>3600</int></value></data></array></value></member></struct></value>\
         </data></array></value></param></params></methodCall>"
    );
    let reply = client
        .post(center.rpc_url())
        .header("Content-Type", "text/xml")
        .body(multicall)
        .send()
        .await
        .expect("answered at once")
        .text()
        .await
        .unwrap();
    assert!(reply.contains("<name>revision</name>"), "{reply}");
    assert!(!reply.contains("faultCode"), "{reply}");
    assert_eq!(metric(&center, "syncdict_held_requests").await, 0);
}
