//! `client.namespaces = ["*"]`, the committed default: an edge pulls every
//! namespace it may read; new ones join, deleted ones go, budgets stay per
//! namespace; `records.changes(since, ["*"])` follows the caller's grants
//! and a held one wakes for a new namespace.

use serde_json::{json, Value};
use syncdict::configuration::ByteSize;
use syncdict::domain::{Level, Namespace, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::{Backend, TestApp, READER};

fn ns(name: &str) -> Namespace {
    Namespace::parse(name).unwrap()
}

/// The default one-process setup: a namespace made in the console (here
/// over RPC) reaches the local edge, and goes when it is deleted.
async fn the_edge_follows_every_namespace(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .center()
        .edge(vec![])
        .with(|s| {
            assert_eq!(s.client.namespaces, Selection::Every, "the default");
            s.client.namespace_sizes = [(ns("geo"), ByteSize::parse("64k").unwrap())].into();
        })
        .spawn()
        .await;
    app.put("greeting", json!("hello")).await;
    assert_eq!(app.tick().await, TickReport::Applied);
    assert_eq!(app.edge().view.store.namespaces(), [ns("default")]);

    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["fr", "France", "geo"]))
        .await;
    // The pull that finds geo asks again from 0 (what came before it
    // joined is in no delta), so two pulls bring it whole.
    app.tick().await;
    app.tick().await;
    let store = &app.edge().view.store;
    assert_eq!(store.namespaces(), [ns("default"), ns("geo")]);
    assert_eq!(
        app.get("/api/cache/geo/fr").await.text().await.unwrap(),
        "\"France\""
    );
    assert_eq!(app.get("/api/cache/greeting").await.status(), 200);
    let stats = store.stats();
    let geo = stats.iter().find(|s| s.namespace == ns("geo")).unwrap();
    assert_eq!(geo.own_budget, Some(64 << 10), "its own budget");
    let default = stats.iter().find(|s| s.namespace.is_default()).unwrap();
    assert_eq!(default.own_budget, None, "the shared one");
    let page = app.get("/?ns=geo").await.text().await.unwrap();
    assert!(page.contains("France"), "the page shows it");

    app.result("namespaces.delete", json!(["geo", true])).await;
    app.tick().await;
    assert_eq!(store.namespaces(), [ns("default")], "deleted: dropped");
    assert!(store.table(&ns("geo")).is_none());
    assert_eq!(app.get("/api/cache/geo/fr").await.status(), 404);
}

/// With private reads, `["*"]` is every namespace the caller may read.
async fn every_follows_the_callers_grants(backend: Backend) {
    let app = TestApp::builder()
        .backend(backend)
        .center()
        .with(|s| s.server.read_access = syncdict::configuration::ReadAccess::Users)
        .spawn()
        .await;
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("namespaces.create", json!(["routes"])).await;
    app.result("records.put", json!(["fr", "France", "geo"]))
        .await;
    let url = app.database_url().unwrap().clone();
    let geo_only = ("geoonly", "geoonly-password");
    crate::helpers::add_user(&url, geo_only, &[("geo", Level::Read)]);
    let (status, reply) = app
        .call_as(Some(geo_only), "records.changes", json!([0, ["*"]]))
        .await;
    assert_eq!(status, 200, "{reply}");
    let names: Vec<&String> = reply["result"]["namespaces"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["geo"], "{reply}");
    let (status, reply) = app
        .call_as(None, "records.changes", json!([0, ["*"]]))
        .await;
    assert_eq!(status, 401, "anonymous: {reply}");
    let (_, all) = app
        .call_as(Some(READER), "records.changes", json!([0, ["*"]]))
        .await;
    let names: Vec<&String> = all["result"]["namespaces"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(names, ["default", "geo", "routes"]);
    let (_, bad) = app
        .call_as(None, "records.changes", json!([0, ["*", "geo"]]))
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");
}

/// A held `["*"]` pull wakes when a new namespace gets its first record.
async fn a_held_pull_wakes_for_a_new_namespace(backend: Backend) {
    let app = TestApp::builder().backend(backend).center().spawn().await;
    let at = app.put("k", json!(1)).await;
    let held = {
        let body = json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at, ["*"], 30], "id": 1});
        let request = app
            .client
            .post(app.rpc_url())
            .header("Content-Type", "application/json")
            .body(body.to_string());
        actix_web::rt::spawn(
            async move { request.send().await.unwrap().json::<Value>().await.unwrap() },
        )
    };
    crate::helpers::eventually(
        std::time::Duration::from_secs(10),
        "the pull is held",
        async || app.center().holds_handle().held() == 1,
    )
    .await;
    app.result("namespaces.create", json!(["fresh"])).await;
    app.result("records.put", json!(["a", 1, "fresh"])).await;
    let reply = held.await.unwrap();
    let fresh = &reply["result"]["namespaces"]["fresh"];
    assert_eq!(fresh["upserts"][0]["key"], "a", "{reply}");
}

crate::on_backends!(
    the_edge_follows_every_namespace,
    every_follows_the_callers_grants,
    a_held_pull_wakes_for_a_new_namespace,
);
