//! The edge, driven tick by tick against a real center or a scripted upstream.

use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{ByteSize, HumanDuration, Percent, ReadAccess};
use syncdict::edge::state::TickReport;

use crate::edge_helpers::{method_edge, Script, Upstream};
use crate::helpers::{eventually, TestApp};

/// An edge pulling from `upstreams`.
async fn edge(upstreams: Vec<String>) -> TestApp {
    TestApp::builder().edge(upstreams).spawn().await
}

/// An edge that serves `snapshot` and whose upstream never answers.
async fn restarted_on(snapshot: &std::path::Path) -> TestApp {
    let snapshot = snapshot.to_path_buf();
    TestApp::builder()
        .edge(vec!["http://127.0.0.1:9/RPC".into()])
        .with(move |s| s.client.snapshot_path = Some(snapshot))
        .spawn()
        .await
}

#[actix_web::test]
async fn edge_converges_to_the_center() {
    let center = TestApp::builder().center().spawn().await;
    let edge = edge(vec![center.rpc_url()]).await;
    assert_eq!(edge.get("/healthz").await.status(), 503, "no data yet");

    center.put("greeting", json!("hello")).await;
    center.put("rules", json!({"deny": ["10.0.0.1"]})).await;
    center.put("gone", json!(1)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let list = center.result("records.list", json!([])).await;
    assert_eq!(
        edge.json("/api/cache").await,
        crate::helpers::as_cache_map(&list)
    );

    center.result("records.delete", json!(["gone"])).await;
    center.put("greeting", json!("hello again")).await;
    let before_pull = std::time::Instant::now();
    assert_eq!(edge.tick().await, TickReport::Applied);
    let list = center.result("records.list", json!([])).await;
    assert_eq!(
        edge.json("/api/cache").await,
        crate::helpers::as_cache_map(&list)
    );

    let one = edge.get("/api/cache/greeting").await;
    assert_eq!(one.status(), 200);
    assert_eq!(one.headers()["x-data-revision"], "5");
    // Whole seconds since the pull, which began after `before_pull`.
    let age: u64 = one.headers()["x-data-age"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(age <= before_pull.elapsed().as_secs(), "age {age}");
    assert_eq!(one.json::<Value>().await.unwrap(), json!("hello again"));
    let missing = edge.get("/api/cache/gone").await;
    assert_eq!(missing.status(), 404);
    assert!(missing.json::<Value>().await.unwrap()["error"]
        .as_str()
        .unwrap()
        .contains("gone"));
    assert_eq!(edge.get("/healthz").await.status(), 200);

    // Nothing new: one small request, nothing changes.
    assert_eq!(edge.tick().await, TickReport::Applied);
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
    let edge = method_edge(&upstream).spawn().await;
    assert_eq!(edge.tick().await, TickReport::Applied);
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
        let report = edge.tick().await;
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
    assert_eq!(edge.tick().await, TickReport::Applied);
    let status = edge.status().await;
    assert_eq!(status["consecutive_failures"], 0);
    assert_eq!(status["last_error"], Value::Null);
    assert_eq!(edge.json("/api/cache/a").await["v"], 3);
}

#[actix_web::test]
async fn a_second_upstream_takes_over() {
    let dead = crate::helpers::ClosedPort::new();
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a"}]))).await;
    let upstreams = vec![
        format!("http://127.0.0.1:{}/RPC", dead.port),
        upstream.url.clone(),
    ];
    let edge = method_edge(&upstream).upstreams(upstreams).spawn().await;
    assert_eq!(edge.tick().await, TickReport::Applied);
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
    let edge = method_edge(&upstream)
        .with(|s| s.client.value_field = Some("rule".into()))
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(
        edge.json("/api/cache/k3").await,
        json!(3),
        "value_field stores one field"
    );

    for shrunk in [rows(4), rows(0)] {
        upstream.set(Upstream::rows(shrunk));
        assert!(matches!(edge.tick().await, TickReport::Refused(_)));
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
        edge.tick().await,
        TickReport::Applied,
        "dropping 40% is allowed"
    );
    assert_eq!(edge.status().await["entries"], 6);

    let lenient = method_edge(&upstream)
        .with(|s| s.client.max_shrink = Percent(100))
        .spawn()
        .await;
    assert_eq!(lenient.tick().await, TickReport::Applied);
    upstream.set(Upstream::rows(json!([])));
    assert_eq!(
        lenient.tick().await,
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
    let edge = method_edge(&upstream)
        .with(|s| s.client.cache_size = ByteSize::parse("2k").unwrap())
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    upstream.set(Upstream::rows(big(20)));
    assert!(matches!(edge.tick().await, TickReport::Refused(_)));
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
    // The last hour: this minute holds the applied pull and the refused one.
    let minutes = status["last_hour"].as_array().unwrap();
    assert_eq!(minutes.len(), 60);
    let now = &minutes[59];
    assert_eq!(
        (now["ok"].as_u64(), now["refused"].as_u64()),
        (Some(1), Some(1)),
        "{now}"
    );
    assert!(page.contains("The last hour") && page.contains("1 ok, 0 failed, 1 refused"));
    assert!(
        page.contains(" s ago</time>"),
        "times are relative, exact on hover"
    );
    let health = &status["upstream_health"][0];
    assert!(
        health["last_success"].is_string() && health["cooling_down"] == false,
        "{health}"
    );
    assert!(page.contains("Upstreams") && page.contains("ready"));
}

#[actix_web::test]
async fn a_tick_during_a_pull_is_skipped() {
    let release = std::sync::Arc::new(tokio::sync::Notify::new());
    let upstream = Upstream::start(Script::Hold(release.clone())).await;
    let edge = method_edge(&upstream)
        .with(|s| s.client.timeout = HumanDuration(Duration::from_secs(60)))
        .spawn()
        .await;
    let handle = edge.edge().clone();
    let first = actix_web::rt::spawn(async move { handle.tick().await });
    // The first pull is held at the upstream until released.
    eventually(
        Duration::from_secs(10),
        "first pull reaches the upstream",
        async || *upstream.hits.lock().unwrap() == 1,
    )
    .await;
    assert_eq!(edge.tick().await, TickReport::Skipped);
    release.notify_one();
    assert!(matches!(first.await.unwrap(), TickReport::Failed(_)));
    assert_eq!(edge.status().await["skipped_ticks"], 1);
    assert_eq!(*upstream.hits.lock().unwrap(), 1, "one pull, not two");
}

#[actix_web::test]
async fn the_snapshot_serves_before_the_first_pull() {
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a", "v": 1}]))).await;
    let first = method_edge(&upstream).spawn().await;
    // The pull answers once its snapshot is written.
    assert_eq!(first.tick().await, TickReport::Applied);
    assert_eq!(first.status().await["snapshot_writes"], 1);

    // A second edge on the same snapshot, its upstream dead, never ticked.
    let snapshot = first.snapshot.clone().unwrap();
    let restarted = restarted_on(&snapshot).await;
    let served = restarted.get("/api/cache/a").await;
    assert_eq!(served.status(), 200);
    assert!(served.headers().contains_key("x-data-age"));
    assert_eq!(
        served.json::<Value>().await.unwrap(),
        json!({"name": "a", "v": 1})
    );

    // A corrupt snapshot is reported and ignored.
    let mut bytes = std::fs::read(&snapshot).unwrap();
    let n = bytes.len();
    bytes[n - 3] ^= 0x20;
    std::fs::write(&snapshot, &bytes).unwrap();
    let distrustful = restarted_on(&snapshot).await;
    let status = distrustful.status().await;
    assert_eq!(status["entries"], 0);
    assert!(
        status["snapshot_error"]
            .as_str()
            .unwrap()
            .contains("checksum"),
        "{status}"
    );
    std::fs::write(&snapshot, &bytes[..n - 5]).unwrap();
    let truncated = restarted_on(&snapshot).await;
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
    let edge = method_edge(&upstream).spawn().await;
    edge.tick().await;
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
    edge.tick().await;
    let warned = edge.get("/").await.text().await.unwrap();
    assert!(warned.contains("Upstream trouble") && warned.contains("HTTP 500"));
}

#[actix_web::test]
async fn the_edge_sends_its_credentials() {
    let center = TestApp::builder()
        .center()
        .with(|s| s.server.read_access = ReadAccess::Users)
        .spawn()
        .await;
    center.put("private", json!(1)).await;

    let anonymous = edge(vec![center.rpc_url()]).await;
    let refused = anonymous.tick().await;
    assert!(
        matches!(&refused, TickReport::Failed(e) if e.to_string().contains("HTTP 401")),
        "{refused:?}"
    );

    let (user, password) = crate::helpers::READER;
    let with_credentials = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(|s| {
            s.client.username = Some(user.into());
            s.client.password = Some(password.into());
        })
        .spawn()
        .await;
    assert_eq!(with_credentials.tick().await, TickReport::Applied);
    assert_eq!(with_credentials.json("/api/cache/private").await, json!(1));
}

#[actix_web::test]
async fn keys_with_slashes_and_unicode_are_readable() {
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "rules/ipv4 é", "v": 1}]))).await;
    let edge = method_edge(&upstream).spawn().await;
    assert_eq!(edge.tick().await, TickReport::Applied);
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

/// An edge of the original design's kind (`method` mode, rows keyed by
/// `name`) pulls from syncdict's own `testrpc.MyRPC` with default settings.
#[actix_web::test]
async fn a_method_mode_edge_reads_syncdict_s_testrpc_myrpc() {
    let center = TestApp::builder().center().spawn().await;
    center.put("route \"a\"", json!({"to": "10.0.0.1"})).await;
    center.put("plain", json!(2)).await;
    let edge = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(|s| s.client.mode = syncdict::configuration::PullMode::Method)
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let row = edge.json("/api/cache/route%20%22a%22").await;
    assert_eq!(
        (&row["name"], &row["value"]),
        (&json!("route \"a\""), &json!({"to": "10.0.0.1"}))
    );
    let value_only = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(|s| {
            s.client.mode = syncdict::configuration::PullMode::Method;
            s.client.value_field = Some("value".into());
        })
        .spawn()
        .await;
    assert_eq!(value_only.tick().await, TickReport::Applied);
    assert_eq!(
        value_only.json("/api/cache/plain").await,
        json!(2),
        "row.name -> row.value"
    );
}
