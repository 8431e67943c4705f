//! An edge pulling several namespaces: local reads per namespace, a budget
//! per namespace, snapshots holding them all, and change sets applied whole
//! while readers race them.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{ByteSize, HumanDuration};
use syncdict::domain::{Namespace, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::TestApp;

fn ns(name: &str) -> Namespace {
    Namespace::parse(name).unwrap()
}

async fn center_with(namespaces: &[&str]) -> TestApp {
    let center = TestApp::builder().center().spawn().await;
    for name in namespaces {
        center.result("namespaces.create", json!([name])).await;
    }
    center
}

#[actix_web::test]
async fn an_edge_serves_each_namespace_it_pulls() {
    let center = center_with(&["geo", "unpulled"]).await;
    center.put("greeting", json!("hello")).await;
    center
        .result(
            "records.apply",
            json!([{"upserts": {"fr": "France", "de": "Germany"}}, "geo"]),
        )
        .await;
    center
        .result("records.put", json!(["secret", 1, "unpulled"]))
        .await;
    let snapshot_path =
        std::env::temp_dir().join(format!("{}.snap", crate::helpers::unique_name()));
    let path = snapshot_path.clone();
    let edge = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.namespaces = Selection::Listed(vec![ns("default"), ns("geo")]);
            s.client.snapshot_path = Some(path);
        })
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);

    assert_eq!(edge.json("/api/cache/geo/fr").await, json!("France"));
    assert_eq!(
        edge.json("/api/cache/geo").await,
        json!({"de": "Germany", "fr": "France"})
    );
    assert_eq!(edge.json("/api/cache/greeting").await, json!("hello"));
    assert_eq!(
        edge.json("/api/cache/default/greeting").await,
        json!("hello")
    );
    assert_eq!(edge.json("/api/cache").await, json!({"greeting": "hello"}));
    assert_eq!(edge.get("/api/cache/unpulled/secret").await.status(), 404);
    let geo = edge.get("/api/cache/geo/fr").await;
    assert_eq!(geo.headers()["x-data-revision"], "3", "the revision pulled");

    // A delta naming both namespaces.
    center.result("records.delete", json!(["de", "geo"])).await;
    center.put("greeting", json!("hello again")).await;
    center
        .result("records.put", json!(["secret", 2, "unpulled"]))
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/geo").await, json!({"fr": "France"}));
    assert_eq!(edge.json("/api/cache/greeting").await, json!("hello again"));
    let status = edge.status().await;
    let names: Vec<&Value> = status["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| &n["name"])
        .collect();
    assert_eq!(names, [&json!("default"), &json!("geo")]);
    assert_eq!(status["namespaces"][1]["entries"], 1);
    assert_eq!(status["namespaces"][1]["revision"], 6);
    let page = edge.get("/?ns=geo").await.text().await.unwrap();
    assert!(
        page.contains("Records in geo") && page.contains("France"),
        "the page shows geo"
    );

    // The snapshot holds both; a second edge on it, its upstream dead, never
    // ticked, serves them.
    let path = snapshot_path.clone();
    let restarted = TestApp::builder()
        .edge(vec!["http://127.0.0.1:9/RPC".into()])
        .with(move |s| {
            s.client.namespaces = Selection::Listed(vec![ns("default"), ns("geo")]);
            s.client.snapshot_path = Some(path);
        })
        .spawn()
        .await;
    assert_eq!(restarted.json("/api/cache/geo/fr").await, json!("France"));
    assert_eq!(
        restarted.json("/api/cache/greeting").await,
        json!("hello again")
    );
}

/// One namespace over its own budget is refused and reported; the other
/// keeps updating, and the refused one catches up once it fits.
#[actix_web::test]
async fn a_namespace_that_does_not_fit_does_not_hold_back_the_others() {
    let center = center_with(&["small"]).await;
    let edge = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(|s| {
            s.client.namespaces = Selection::Listed(vec![ns("default"), ns("small")]);
            s.client.namespace_sizes = BTreeMap::from([(ns("small"), ByteSize(1024))]);
        })
        .spawn()
        .await;
    center
        .result("records.put", json!(["a", "x", "small"]))
        .await;
    center.put("k", json!(1)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let big = "y".repeat(2000);
    center
        .result("records.put", json!(["b", big, "small"]))
        .await;
    center.put("k", json!(2)).await;
    let report = edge.tick().await;
    let TickReport::Refused(why) = report else {
        panic!("expected a refusal, got {report:?}");
    };
    assert!(why.to_string().contains("namespace small"), "{why}");
    assert_eq!(
        edge.json("/api/cache/k").await,
        json!(2),
        "default moved on"
    );
    assert_eq!(edge.get("/api/cache/small/b").await.status(), 404);
    assert_eq!(
        edge.json("/api/cache/small/a").await,
        json!("x"),
        "small kept its data"
    );
    assert_eq!(edge.status().await["overflow_refusals"], 1);
    center.result("records.delete", json!(["b", "small"])).await;
    center
        .result("records.put", json!(["c", "z", "small"]))
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(
        edge.json("/api/cache/small").await,
        json!({"a": "x", "c": "z"})
    );
}

/// A reader that takes a namespace's table while a 10,000-key change set
/// is applied sees all of it or none of it.
#[actix_web::test]
async fn readers_never_see_half_a_change_set() {
    const KEYS: usize = 10_000;
    let center = center_with(&["big"]).await;
    let set = |generation: &str| {
        let upserts: serde_json::Map<String, Value> = (0..KEYS)
            .map(|i| (format!("k{i:05}"), json!(generation)))
            .collect();
        json!([{"upserts": upserts}, "big"])
    };
    center.result("records.apply", set("old")).await;
    let edge = TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(|s| {
            s.client.namespaces = Selection::Listed(vec![ns("big")]);
            // 10,000 records in a debug build, beside a reader that spins
            // and a loaded machine: the point here is atomicity, not speed.
            s.client.timeout = HumanDuration(Duration::from_secs(120));
        })
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    center.result("records.apply", set("new")).await;

    let store = edge.edge().view.store.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let reads = Arc::new(AtomicU64::new(0));
    let reader = {
        let (stop, reads) = (stop.clone(), reads.clone());
        std::thread::spawn(move || {
            let big = ns("big");
            let (mut old, mut new, mut mixed) = (0u64, 0u64, 0u64);
            // Until told to stop, and then until the new table was seen.
            while !(stop.load(Ordering::Acquire) && new > 0) {
                let Some(table) = store.table(&big) else {
                    continue;
                };
                let entries = table.sorted(0);
                let fresh = entries.iter().filter(|e| e.value() == "\"new\"").count();
                match fresh {
                    0 if entries.len() == KEYS => old += 1,
                    n if n == KEYS && entries.len() == KEYS => new += 1,
                    _ => mixed += 1,
                }
                reads.fetch_add(1, Ordering::Release);
                std::thread::yield_now();
            }
            (old, new, mixed)
        })
    };
    crate::helpers::eventually(Duration::from_secs(30), "the reader started", async || {
        reads.load(Ordering::Acquire) > 0
    })
    .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    stop.store(true, Ordering::Release);
    let (old, new, mixed) = reader.join().unwrap();
    assert_eq!(
        mixed, 0,
        "a reader saw part of a change set ({old} old, {new} new reads)"
    );
    assert!(
        old > 0 && new > 0,
        "the reader raced the apply: {old} old, {new} new reads"
    );
    assert_eq!(edge.json("/api/cache/big/k09999").await, json!("new"));
}

/// `method` mode pulls a center of the original design into
/// `client.method_namespace`.
#[actix_web::test]
async fn method_mode_pulls_into_its_namespace() {
    use crate::edge_helpers::{method_edge, Upstream};
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a", "v": 1}]))).await;
    let edge = method_edge(&upstream)
        .with(|s| {
            s.client.namespaces = Selection::Listed(vec![ns("default"), ns("legacy")]);
            s.client.method_namespace = ns("legacy");
        })
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(
        edge.json("/api/cache/legacy/a").await,
        json!({"name": "a", "v": 1})
    );
    assert_eq!(edge.get("/api/cache/a").await.status(), 404);
}

/// `/api/cache` is a service of its own: GET and HEAD read it, any other
/// method is refused with its `Allow` and changes nothing, and a path that
/// only begins like it is not it. Each worker keeps its last table look-up
/// (`table_view`): a reader on one connection follows every change.
#[actix_web::test]
async fn the_cache_answers_get_and_head_and_follows_each_change() {
    use crate::edge_helpers::{method_edge, Upstream};
    let upstream = Upstream::start(Upstream::rows(json!([{"name": "a", "v": 1}]))).await;
    let edge = method_edge(&upstream).spawn().await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let url = format!("{}/api/cache/a", edge.address);
    let head = edge.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), 200);
    assert_eq!(head.headers()["content-type"], "application/json");
    for refused in [edge.client.post(&url), edge.client.delete(&url)] {
        let response = refused.send().await.unwrap();
        assert_eq!(response.status(), 405);
        assert_eq!(response.headers()["allow"], "GET, HEAD");
    }
    assert_eq!(edge.json("/api/cache/a").await["v"], 1, "nothing changed");
    assert_eq!(edge.get("/api/cachea").await.status(), 404);
    for v in 2..5 {
        upstream.set(Upstream::rows(json!([{"name": "a", "v": v}])));
        assert_eq!(edge.tick().await, TickReport::Applied);
        assert_eq!(edge.json("/api/cache/a").await["v"], v);
    }
}
