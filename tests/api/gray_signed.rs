//! Gray releases on a signing center, on every backend: an edge that a
//! release reaches gets its view with a signature of that view (bound to
//! its name and the releases), verifies it, and verifies the main line
//! again after the abort; an edge outside the release keeps verifying the
//! main line. (A view signed for one edge is refused by another: the unit
//! tests of `signing`.)

use serde_json::json;
use syncdict::domain::{Namespace, Selection};
use syncdict::edge::state::TickReport;
use syncdict::signing::VerifyKey;

use crate::helpers::{Backend, TestApp, WRITER};
use crate::signed::{signing_center, signing_key};

/// An edge named `name` pulling `geo` from `upstream`, verifying with `key`.
async fn verifying_edge(upstream: &str, name: &str, key: VerifyKey) -> TestApp {
    let name = name.to_string();
    TestApp::builder()
        .edge(vec![upstream.to_string()])
        .with(move |s| {
            s.client.name = name;
            s.client.namespaces = Selection::Listed(vec![Namespace::parse("geo").unwrap()]);
            s.client.verify_keys = vec![key];
        })
        .spawn()
        .await
}

async fn edges_verify_their_views(backend: Backend) {
    let (key, public) = signing_key();
    let center = signing_center(backend, key).await;
    center.result("namespaces.create", json!(["geo"])).await;
    // A key the release changes that expires on the main line, one it
    // deletes, one it adds, and one it leaves alone.
    let params = json!(["a", 1, "geo", 3600]);
    center.result("records.put", params).await;
    center.result("records.put", json!(["b", 2, "geo"])).await;
    center
        .result("records.put", json!(["c", {"x": [1, 2.5]}, "geo"]))
        .await;
    let canary = verifying_edge(&center.rpc_url(), "canary", public.clone()).await;
    let other = verifying_edge(&center.rpc_url(), "other", public.clone()).await;
    for edge in [&canary, &other] {
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    let changes = json!({"upserts": {"a": {"new": true}, "n": "added"}, "deletes": ["b"]});
    let params = json!(["geo", changes, {"edges": ["canary"]}]);
    let (_, created) = center.call_as(Some(WRITER), "gray.create", params).await;
    let id = created["result"]["id"].as_i64().expect("created");
    assert_eq!(
        canary.tick().await,
        TickReport::Applied,
        "its view verifies"
    );
    assert_eq!(canary.json("/api/cache/geo/a").await, json!({"new": true}));
    assert_eq!(canary.get("/api/cache/geo/b").await.status(), 404);
    assert_eq!(other.tick().await, TickReport::Applied);
    // A main-line write reaches both; both verify what they hold after it.
    center.result("records.put", json!(["d", 4, "geo"])).await;
    for edge in [&canary, &other] {
        assert_eq!(
            edge.tick().await,
            TickReport::Applied,
            "after a main-line write"
        );
        assert_eq!(edge.json("/api/cache/geo/d").await, json!(4));
    }
    assert_eq!(other.json("/api/cache/geo/a").await, json!(1));
    assert_eq!(canary.status().await["digest_refusals"], 0);
    // Aborted: back on the main line, verified against its signature.
    center
        .call_as(Some(WRITER), "gray.abort", json!([id]))
        .await;
    assert_eq!(
        canary.tick().await,
        TickReport::Applied,
        "the main line verifies"
    );
    assert_eq!(canary.json("/api/cache/geo/a").await, json!(1));
    assert_eq!(canary.json("/api/cache/geo/b").await, json!(2));
    assert_eq!(canary.get("/api/cache/geo/n").await.status(), 404);
    for edge in [&canary, &other] {
        assert_eq!(edge.status().await["digest_refusals"], 0);
    }
}

crate::on_backends!(edges_verify_their_views);
