//! `GET /metrics`: the Prometheus text format, and counts that follow what
//! the center and the edge actually did.

use std::collections::{HashMap, HashSet};

use serde_json::json;
use syncdict::edge::state::TickReport;

use crate::helpers::{TestApp, WRITER};

/// Checks the exposition format line by line and returns each sample's
/// value by `name{labels}`: every sample belongs to a family announced by
/// `# TYPE`, counters end in `_total`, values are numbers.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut types: HashMap<String, String> = HashMap::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            if kind == "counter" {
                assert!(name.ends_with("_total"), "counter without _total: {name}");
            }
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "twice: {name}"
            );
            continue;
        }
        if line.starts_with("# HELP ") {
            continue;
        }
        let (series, value) = line.rsplit_once(' ').expect("name value");
        let value: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("not a number: {line}"));
        let name = series.split('{').next().unwrap();
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| types.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(
            types.contains_key(family),
            "sample before its # TYPE: {line}"
        );
        assert!(
            name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{line}"
        );
        samples.insert(series.to_string(), value);
    }
    samples
}

#[actix_web::test]
async fn metrics_count_what_the_center_and_the_edge_did() {
    let app = TestApp::builder()
        .center()
        .edge(vec![])
        .with(|s| s.client.snapshot_path = None)
        .spawn()
        .await;
    let (base, client) = (&app.address, &app.client);
    let post = |ty: &'static str, body: String, auth: bool| {
        let mut r = client
            .post(format!("{base}/RPC"))
            .header("Content-Type", ty)
            .body(body);
        if auth {
            r = r.basic_auth(WRITER.0, Some(WRITER.1));
        }
        r.send()
    };
    let call = |m: &str, p: serde_json::Value| {
        json!({"jsonrpc": "2.0", "method": m, "params": p, "id": 1}).to_string()
    };
    for key in ["a", "b"] {
        let r = post(
            "application/json",
            call("records.put", json!([key, 1])),
            true,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), 200);
    }
    post(
        "application/json",
        call("records.get", json!(["nope"])),
        false,
    )
    .await
    .unwrap();
    post("application/json", call("no.such", json!([])), false)
        .await
        .unwrap();
    post("application/json", "{not json".into(), false)
        .await
        .unwrap();
    let xml =
        "<?xml version=\"1.0\"?><methodCall><methodName>records.list</methodName></methodCall>";
    post("text/xml", xml.into(), false).await.unwrap();
    let refused = post("text/plain", "x".into(), false).await.unwrap();
    assert_eq!(refused.status(), 415);
    assert_eq!(app.tick().await, TickReport::Applied);
    let hit = client
        .get(format!("{base}/api/cache/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(hit.status(), 200);
    let miss = client
        .get(format!("{base}/api/cache/zzz"))
        .send()
        .await
        .unwrap();
    assert_eq!(miss.status(), 404);

    let response = client.get(format!("{base}/metrics")).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = response.text().await.unwrap();
    let m = parse(&text);
    let get = |series: &str| {
        *m.get(series)
            .unwrap_or_else(|| panic!("no {series} in\n{text}"))
    };
    let calls = |method: &str, protocol: &str, outcome: &str| {
        get(&format!(
            "syncdict_rpc_calls_total{{method=\"{method}\",protocol=\"{protocol}\",outcome=\"{outcome}\"}}"
        ))
    };
    assert_eq!(calls("records.put", "jsonrpc", "ok"), 2.0);
    assert_eq!(calls("records.get", "jsonrpc", "not_found"), 1.0);
    assert_eq!(calls("other", "jsonrpc", "method_not_found"), 1.0);
    assert_eq!(calls("other", "jsonrpc", "parse_error"), 1.0);
    assert_eq!(calls("records.list", "xmlrpc", "ok"), 1.0);
    assert_eq!(
        calls("records.changes", "jsonrpc", "ok"),
        1.0,
        "the edge's pull"
    );
    assert_eq!(
        get("syncdict_rpc_http_responses_total{status=\"415\"}"),
        1.0
    );
    // Its first pull also asks whether its namespace is secret.
    assert_eq!(calls("secrets.keys", "jsonrpc", "ok"), 1.0);
    assert_eq!(
        get("syncdict_rpc_http_responses_total{status=\"200\"}"),
        8.0
    );
    assert_eq!(get("syncdict_rpc_request_duration_seconds_count"), 9.0);
    assert_eq!(
        get("syncdict_rpc_call_duration_seconds_bucket{method=\"records.put\",le=\"+Inf\"}"),
        2.0
    );
    assert_eq!(get("syncdict_store_revision"), 2.0);
    assert!(get("syncdict_db_pool_connections") >= 1.0);
    assert_eq!(get("syncdict_db_pool_max_connections"), 4.0);
    assert_eq!(get("syncdict_edge_pulls_total{outcome=\"ok\"}"), 1.0);
    assert_eq!(get("syncdict_edge_pulls_total{outcome=\"failed\"}"), 0.0);
    assert_eq!(get("syncdict_edge_pull_duration_seconds_count"), 1.0);
    assert_eq!(get("syncdict_edge_revision"), 2.0);
    assert_eq!(get("syncdict_edge_cache_entries"), 2.0);
    assert!(get("syncdict_edge_cache_bytes") > 0.0);
    assert_eq!(get("syncdict_edge_cache_hits_total"), 1.0);
    assert_eq!(get("syncdict_edge_cache_misses_total"), 1.0);
    assert_eq!(get("syncdict_edge_cache_evictions_total"), 0.0);
    assert!((0.0..5.0).contains(&get("syncdict_edge_data_age_seconds")));
    assert_eq!(get("syncdict_edge_snapshot_writes_total"), 0.0);
    assert!(get("process_resident_memory_bytes") > 1e6);
    let upstream_series: HashSet<_> = m
        .keys()
        .filter(|k| k.starts_with("syncdict_edge_upstream_failures_total"))
        .collect();
    assert_eq!(upstream_series.len(), 1, "one configured upstream");
}

#[actix_web::test]
async fn an_edge_alone_has_edge_metrics_only() {
    let upstream = crate::edge_helpers::Upstream::start(crate::edge_helpers::Script::Reply(
        500,
        "down".into(),
    ))
    .await;
    let edge = TestApp::builder()
        .edge(vec![upstream.url.clone()])
        .with(|s| s.client.snapshot_path = None)
        .spawn()
        .await;
    assert!(matches!(edge.tick().await, TickReport::Failed(_)));
    let text = edge.get("/metrics").await.text().await.unwrap();
    let m = parse(&text);
    assert!(!text.contains("syncdict_rpc_"), "no center here");
    assert_eq!(m["syncdict_edge_pulls_total{outcome=\"failed\"}"], 1.0);
    assert_eq!(m["syncdict_edge_data_age_seconds"], -1.0);
    let failures = format!(
        "syncdict_edge_upstream_failures_total{{upstream=\"{}\"}}",
        upstream.url
    );
    assert_eq!(m[&failures], 1.0);
}
