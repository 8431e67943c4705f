//! The edge, driven tick by tick against a real center or a scripted upstream.

use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::Percent;
use syncdict::edge::state::TickReport;

use crate::edge_helpers::{
    edge_settings, method_settings, small_cache, spawn_edge, Script, Upstream,
};
use crate::helpers::{spawn_app, Backend};

#[actix_web::test]
async fn edge_converges_to_the_center() {
    let center = spawn_app(Backend::Sqlite).await.unwrap();
    let edge = spawn_edge(edge_settings(vec![center.rpc_url()])).await;
    assert_eq!(edge.get("/healthz").await.status(), 503, "no data yet");

    center.put("greeting", json!("hello")).await;
    center.put("rules", json!({"deny": ["10.0.0.1"]})).await;
    center.put("gone", json!(1)).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    let list = center.result("records.list", json!([])).await;
    assert_eq!(
        edge.json("/api/cache").await,
        crate::helpers::as_cache_map(&list)
    );

    center.result("records.delete", json!(["gone"])).await;
    center.put("greeting", json!("hello again")).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    let list = center.result("records.list", json!([])).await;
    assert_eq!(
        edge.json("/api/cache").await,
        crate::helpers::as_cache_map(&list)
    );

    let one = edge.get("/api/cache/greeting").await;
    assert_eq!(one.status(), 200);
    assert_eq!(one.headers()["x-data-revision"], "5");
    assert_eq!(one.headers()["x-data-age"], "0");
    assert_eq!(one.json::<Value>().await.unwrap(), json!("hello again"));
    let missing = edge.get("/api/cache/gone").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("gone"));
    assert_eq!(edge.get("/healthz").await.status(), 200);

    // Nothing new: one small request, nothing changes.
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    let status = edge.status().await;
    assert_eq!(status["revision"], 5);
    assert_eq!(status["entries"], 2);
    assert_eq!(status["upstream_in_use"], center.rpc_url());
    assert_eq!(status["pulls"].as_array().unwrap().len(), 3);
}

#[actix_web::test]
async fn upstream_failures_keep_the_last_good_data() {
    let upstream = Upstream::start(Upstream::rows(
        json!([{"name": "a", "v": 1}, {"name": "b", "v": 2}]),
    ))
    .await;
    let edge = spawn_edge(method_settings(&upstream)).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    let good = edge.json("/api/cache").await;
    assert_eq!(good["a"], json!({"name": "a", "v": 1}));

    let failures = [
        (Script::Reply(500, "oops".into()), "HTTP 500"),
        (Script::Reply(200, "<html>garbage".into()), "malformed"),
        (Script::Reply(200, json!({"result": null, "error": {"code": -32001, "message": "database unavailable"}, "id": 1}).to_string()), "-32001"),
        (Script::Hang(Duration::from_secs(2)), "timed out"),
    ];
    for (n, (script, expected)) in failures.into_iter().enumerate() {
        upstream.set(script);
        let report = edge.edge.tick().await;
        assert!(matches!(report, TickReport::Failed(_)), "{report:?}");
        assert_eq!(
            edge.json("/api/cache").await,
            good,
            "data kept after {expected}"
        );
        let status = edge.status().await;
        assert_eq!(status["consecutive_failures"], n as u64 + 1);
        let error = status["last_error"].as_str().unwrap();
        assert!(error.contains(expected), "{error} lacks {expected}");
        assert_eq!(
            edge.get("/api/cache/a").await.status(),
            200,
            "reads still answer"
        );
    }
    upstream.set(Upstream::rows(
        json!([{"name": "a", "v": 3}, {"name": "b", "v": 2}]),
    ));
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    let status = edge.status().await;
    assert_eq!(status["consecutive_failures"], 0);
    assert_eq!(status["last_error"], Value::Null);
    assert_eq!(edge.json("/api/cache/a").await["v"], 3);
}

#[actix_web::test]
async fn a_second_upstream_takes_over() {
    let dead = crate::helpers::free_port();
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a"}]))).await;
    let mut settings = method_settings(&upstream);
    settings.client.upstreams = vec![format!("http://127.0.0.1:{dead}/RPC"), upstream.url.clone()];
    let edge = spawn_edge(settings).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    assert_eq!(edge.status().await["upstream_in_use"], upstream.url);
}

#[actix_web::test]
async fn shrink_guard_refuses_suspicious_answers() {
    let rows = |n: usize| {
        json!((0..n)
            .map(|i| json!({"name": format!("k{i}"), "rule": i}))
            .collect::<Vec<_>>())
    };
    let upstream = Upstream::start(Upstream::rows(rows(10))).await;
    let mut settings = method_settings(&upstream);
    settings.client.value_field = Some("rule".into());
    let edge = spawn_edge(settings).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    assert_eq!(
        edge.json("/api/cache/k3").await,
        json!(3),
        "value_field stores one field"
    );

    for shrunk in [rows(4), rows(0)] {
        upstream.set(Upstream::rows(shrunk));
        assert!(matches!(edge.edge.tick().await, TickReport::Refused(_)));
        assert_eq!(edge.status().await["entries"], 10, "not applied");
    }
    let status = edge.status().await;
    assert_eq!(status["shrink_guard_refusals"], 2);
    assert!(status["last_error"]
        .as_str()
        .unwrap()
        .contains("shrink guard"));
    upstream.set(Upstream::rows(rows(6)));
    assert_eq!(
        edge.edge.tick().await,
        TickReport::Applied,
        "dropping 40% is allowed"
    );
    assert_eq!(edge.status().await["entries"], 6);

    let mut off = method_settings(&upstream);
    off.client.max_shrink = Percent(100);
    let lenient = spawn_edge(off).await;
    assert_eq!(lenient.edge.tick().await, TickReport::Applied);
    upstream.set(Upstream::rows(json!([])));
    assert_eq!(
        lenient.edge.tick().await,
        TickReport::Applied,
        "100% turns the guard off"
    );
}

#[actix_web::test]
async fn data_that_does_not_fit_is_reported_not_dropped() {
    let big = |n: usize| {
        json!((0..n)
            .map(|i| json!({"name": format!("k{i}"), "pad": "x".repeat(100)}))
            .collect::<Vec<_>>())
    };
    let upstream = Upstream::start(Upstream::rows(big(5))).await;
    let mut settings = method_settings(&upstream);
    small_cache(&mut settings, "2k");
    let edge = spawn_edge(settings).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    upstream.set(Upstream::rows(big(20)));
    assert!(matches!(edge.edge.tick().await, TickReport::Refused(_)));
    let status = edge.status().await;
    assert_eq!(status["entries"], 5, "the old data stays whole");
    assert_eq!(status["overflow_refusals"], 1);
    assert_eq!(status["evictions"], 0);
    assert!(status["last_error"]
        .as_str()
        .unwrap()
        .contains("does not fit"));
    let page = edge.get("/").await.text().await.unwrap();
    assert!(page.contains("does not fit"), "the page says so");
}

#[actix_web::test]
async fn a_tick_during_a_pull_is_skipped() {
    let upstream = Upstream::start(Script::Hang(Duration::from_millis(500))).await;
    let edge = spawn_edge(method_settings(&upstream)).await;
    let handle = edge.edge.clone();
    let first = actix_web::rt::spawn(async move { handle.tick().await });
    actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(edge.edge.tick().await, TickReport::Skipped);
    assert!(matches!(first.await.unwrap(), TickReport::Failed(_)));
    assert_eq!(edge.status().await["skipped_ticks"], 1);
    assert_eq!(*upstream.hits.lock().unwrap(), 1, "one pull, not two");
}

#[actix_web::test]
async fn the_snapshot_serves_before_the_first_pull() {
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a", "v": 1}]))).await;
    let first = spawn_edge(method_settings(&upstream)).await;
    assert_eq!(first.edge.tick().await, TickReport::Applied);
    actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    assert_eq!(first.status().await["snapshot_writes"], 1);

    // A second edge on the same snapshot, its upstream dead, never ticked.
    let mut settings = edge_settings(vec!["http://127.0.0.1:9/RPC".into()]);
    settings.client.snapshot_path = Some(first.snapshot.clone());
    let restarted = spawn_edge(settings).await;
    let served = restarted.get("/api/cache/a").await;
    assert_eq!(served.status(), 200);
    assert!(served.headers().contains_key("x-data-age"));
    assert_eq!(
        served.json::<Value>().await.unwrap(),
        json!({"name": "a", "v": 1})
    );

    // A corrupt snapshot is reported and ignored.
    let mut bytes = std::fs::read(&first.snapshot).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x20;
    std::fs::write(&first.snapshot, &bytes).unwrap();
    let mut settings = edge_settings(vec!["http://127.0.0.1:9/RPC".into()]);
    settings.client.snapshot_path = Some(first.snapshot.clone());
    let distrustful = spawn_edge(settings).await;
    let status = distrustful.status().await;
    assert_eq!(status["entries"], 0);
    assert!(
        status["snapshot_error"]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{status}"
    );
    std::fs::write(&first.snapshot, &bytes[..n - 5]).unwrap();
    let mut settings = edge_settings(vec!["http://127.0.0.1:9/RPC".into()]);
    settings.client.snapshot_path = Some(first.snapshot.clone());
    let truncated = spawn_edge(settings).await;
    assert!(truncated.status().await["snapshot_error"]
        .as_str()
        .unwrap()
        .contains("truncated"));
}

#[actix_web::test]
async fn the_status_page_shows_records_and_pulls() {
    let rows = json!((0..60)
        .map(|i| json!({"name": format!("key-{i:02}"), "n": i}))
        .collect::<Vec<_>>());
    let upstream = Upstream::start(Upstream::rows(rows)).await;
    let edge = spawn_edge(method_settings(&upstream)).await;
    edge.edge.tick().await;
    let page = edge.get("/").await.text().await.unwrap();
    assert!(
        page.contains("<svg") && page.contains("key-00") && !page.contains("key-30"),
        "first page only"
    );
    assert!(page.contains("page 1 of 3"));
    let second = edge.get("/?page=1").await.text().await.unwrap();
    assert!(second.contains("key-30"));
    let filtered = edge.get("/?q=key-4&partial=1").await.text().await.unwrap();
    assert!(
        filtered.contains("key-41") && !filtered.contains("key-30") && !filtered.contains("<html")
    );
    upstream.set(Script::Reply(500, String::new()));
    edge.edge.tick().await;
    let warned = edge.get("/").await.text().await.unwrap();
    assert!(warned.contains("Upstream trouble") && warned.contains("HTTP 500"));
}

#[actix_web::test]
async fn the_edge_sends_its_credentials() {
    let db = crate::helpers::TestDb::create(crate::helpers::Backend::Sqlite).unwrap();
    let mut settings = crate::helpers::test_settings(db.url.clone());
    settings.server.read_access = syncdict::configuration::ReadAccess::Users;
    let center = crate::helpers::spawn_with(settings).await;
    center.put("private", json!(1)).await;

    let anonymous = spawn_edge(edge_settings(vec![center.rpc_url()])).await;
    let refused = anonymous.edge.tick().await;
    assert!(
        matches!(&refused, TickReport::Failed(e) if e.to_string().contains("HTTP 401")),
        "{refused:?}"
    );

    let mut settings = edge_settings(vec![center.rpc_url()]);
    let (user, password) = crate::helpers::READER;
    settings.client.username = Some(user.into());
    settings.client.password = Some(password.into());
    let with_credentials = spawn_edge(settings).await;
    assert_eq!(with_credentials.edge.tick().await, TickReport::Applied);
    assert_eq!(with_credentials.json("/api/cache/private").await, json!(1));
}

#[actix_web::test]
async fn keys_with_slashes_and_unicode_are_readable() {
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "rules/ipv4 é", "v": 1}]))).await;
    let edge = spawn_edge(method_settings(&upstream)).await;
    assert_eq!(edge.edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/rules%2Fipv4%20%C3%A9").await["v"], 1);
    assert_eq!(
        edge.json("/api/cache/rules/ipv4%20%C3%A9").await["v"],
        1,
        "a raw slash works too"
    );
    assert_eq!(edge.get("/api/cache/%ff").await.status(), 400);
    assert_eq!(
        edge.get("/api/cache/").await.status(),
        200,
        "the trailing slash lists all"
    );
}
