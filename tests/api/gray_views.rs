//! Edges' views under gray releases, through `records.changes` as an
//! edge pulls it (its name, labels and held releases in headers), on every
//! backend: a release's values reach only its edges, are kept over the
//! main line while held, and go back to the main line after an abort;
//! and syncdict's own edges following a release by label.

use serde_json::{json, Value};
use syncdict::domain::{Namespace, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::{TestApp, WRITER};

/// `records.changes(since, ["geo"])` as edge `name` holding `held`.
async fn pull(app: &TestApp, name: Option<&str>, held: &[i64], since: i64) -> Value {
    pull_reporting(app, (name, held), since, None).await
}

/// As `pull`, the edge also reporting `health` (`Syncdict-Health`).
pub async fn pull_reporting(
    app: &TestApp,
    (name, held): (Option<&str>, &[i64]),
    since: i64,
    health: Option<&str>,
) -> Value {
    let body =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [since, ["geo"]], "id": 1});
    let mut request = app
        .client
        .post(app.rpc_url())
        .header("Content-Type", "application/json")
        .header("Syncdict-Edge-Labels", "region=eu");
    if let Some(name) = name {
        request = request.header("Syncdict-Edge", name);
    }
    if !held.is_empty() {
        let ids: Vec<String> = held.iter().map(i64::to_string).collect();
        request = request.header("Syncdict-Gray", ids.join(","));
    }
    if let Some(health) = health {
        request = request.header("Syncdict-Health", health);
    }
    let reply: Value = request
        .body(body.to_string())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    reply["result"].clone()
}

/// The part of `geo` as {key: value} and its deletes.
fn part(reply: &Value) -> (Value, Vec<String>) {
    let geo = &reply["namespaces"]["geo"];
    let upserts: serde_json::Map<String, Value> = geo["upserts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect();
    let deletes = geo["deletes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k.as_str().unwrap().to_string())
        .collect();
    (Value::Object(upserts), deletes)
}

async fn a_named_edge_sees_its_release_until_the_abort(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["a", 1, "geo"])).await;
    let params = json!(["geo", {"upserts": {"a": 2, "b": "new"}}, {"edges": ["edge-1"]}]);
    let (_, created) = app.call_as(Some(WRITER), "gray.create", params).await;
    let id = created["result"]["id"].as_i64().unwrap();

    // A full pull: edge-1 gets the release's values, others the main line.
    let mine = pull(&app, Some("edge-1"), &[], 0).await;
    assert_eq!(part(&mine).0, json!({"a": 2, "b": "new"}));
    assert_eq!(mine["gray"], json!([id]));
    let theirs = pull(&app, Some("edge-2"), &[], 0).await;
    assert_eq!(part(&theirs).0, json!({"a": 1}));
    assert_eq!(
        theirs.get("gray"),
        None,
        "in no release: the main line as it is"
    );
    let unnamed = pull(&app, None, &[], 0).await;
    assert_eq!(part(&unnamed).0, json!({"a": 1}));
    let listed = app.result("records.list", json!(["geo"])).await;
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "records.list is the main line"
    );

    // Held: a main-line change of `a` stays back, one of `c` comes.
    let revision = mine["revision"].as_i64().unwrap();
    app.result("records.put", json!(["a", 9, "geo"])).await;
    app.result("records.put", json!(["c", 3, "geo"])).await;
    let next = pull(&app, Some("edge-1"), &[id], revision).await;
    assert_eq!(part(&next), (json!({"c": 3}), vec![]));
    assert_eq!(next["gray"], json!([id]));
    let revision = next["revision"].as_i64().unwrap();
    // Nothing new: nothing sent, and the view stands.
    let quiet = pull(&app, Some("edge-1"), &[id], revision).await;
    assert_eq!(part(&quiet), (json!({}), vec![]));
    assert_eq!(
        quiet["gray"],
        json!([id]),
        "what it holds, on the reply as it is"
    );

    // Aborted: within one pull, edge-1 is back on the main line.
    let (_, aborted) = app
        .call_as(Some(WRITER), "gray.abort", json!([id, "bad"]))
        .await;
    assert_eq!(aborted["result"]["state"], "aborted");
    let back = pull(&app, Some("edge-1"), &[id], revision).await;
    assert_eq!(part(&back), (json!({"a": 9}), vec!["b".to_string()]));
    assert_eq!(back["gray"], json!([]));
}

async fn an_unknown_release_brings_the_whole_namespace(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["a", 1, "geo"])).await;
    let now = pull(&app, Some("edge-1"), &[], 0).await["revision"]
        .as_i64()
        .unwrap();
    let whole = pull(&app, Some("edge-1"), &[4242], now).await;
    assert_eq!(whole["full"], true);
    assert_eq!(part(&whole).0, json!({"a": 1}));
    assert_eq!(whole["gray"], json!([]));
}

/// A syncdict edge, labelled `region`, pulling `geo` from `center`.
pub async fn edge_of(center: &TestApp, name: &str, region: &str) -> TestApp {
    let (name, region) = (name.to_string(), region.to_string());
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.name = name;
            s.client.labels = [("region".to_string(), region)].into();
            s.client.namespaces = Selection::Listed(vec![Namespace::parse("geo").unwrap()]);
        })
        .spawn()
        .await
}

#[actix_web::test]
async fn syncdict_edges_follow_a_release_by_label_and_come_back_after_the_abort() {
    let center = TestApp::builder().center().spawn().await;
    center.result("namespaces.create", json!(["geo"])).await;
    center.result("records.put", json!(["a", 1, "geo"])).await;
    let eu = edge_of(&center, "edge-eu", "eu").await;
    let us = edge_of(&center, "edge-us", "us").await;
    for edge in [&eu, &us] {
        assert_eq!(edge.tick().await, TickReport::Applied);
        assert_eq!(edge.json("/api/cache/geo/a").await, json!(1));
    }
    let params = json!(["geo", {"upserts": {"a": 2}}, {"labels": {"region": "eu"}}]);
    let (_, created) = center.call_as(Some(WRITER), "gray.create", params).await;
    let id = created["result"]["id"].as_i64().unwrap();
    for edge in [&eu, &us] {
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    assert_eq!(
        eu.json("/api/cache/geo/a").await,
        json!(2),
        "in the release"
    );
    assert_eq!(
        us.json("/api/cache/geo/a").await,
        json!(1),
        "on the main line"
    );
    // The release's members are the edges the center saw that it reaches.
    let got = center
        .call_as(Some(WRITER), "gray.get", json!([id]))
        .await
        .1;
    let members = got["result"]["members"].as_array().unwrap();
    let names: Vec<&str> = members
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["edge-eu"]);
    // A main-line write reaches both, and the gray key stays gray.
    center
        .result(
            "records.apply",
            json!([{"upserts": {"a": 5, "b": 1}}, "geo"]),
        )
        .await;
    for edge in [&eu, &us] {
        assert_eq!(edge.tick().await, TickReport::Applied);
        assert_eq!(edge.json("/api/cache/geo/b").await, json!(1));
    }
    assert_eq!(eu.json("/api/cache/geo/a").await, json!(2));
    assert_eq!(us.json("/api/cache/geo/a").await, json!(5));
    // Aborted: one pull brings the eu edge back.
    center
        .call_as(Some(WRITER), "gray.abort", json!([id]))
        .await;
    assert_eq!(eu.tick().await, TickReport::Applied);
    assert_eq!(eu.json("/api/cache/geo/a").await, json!(5));
}

/// A syncdict edge named `edge-1` pulling `geo`, its snapshot at `path`.
async fn edge_keeping(center: &TestApp, path: std::path::PathBuf) -> TestApp {
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.name = "edge-1".into();
            s.client.namespaces = Selection::Listed(vec![Namespace::parse("geo").unwrap()]);
            s.client.snapshot_path = Some(path);
        })
        .spawn()
        .await
}

#[actix_web::test]
async fn a_restarted_edge_names_the_releases_its_snapshot_holds() {
    let center = TestApp::builder().center().spawn().await;
    center.result("namespaces.create", json!(["geo"])).await;
    center.result("records.put", json!(["a", 1, "geo"])).await;
    let path = std::env::temp_dir().join(format!("{}.snap", crate::helpers::unique_name()));
    let mut edge = edge_keeping(&center, path.clone()).await;
    let params = json!(["geo", {"upserts": {"a": 2}}, {"edges": ["edge-1"]}]);
    let (_, created) = center.call_as(Some(WRITER), "gray.create", params).await;
    let id = created["result"]["id"].as_i64().unwrap();
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/geo/a").await, json!(2));
    edge.stop().await;
    // Aborted while the edge is stopped; the main line does not move.
    center
        .call_as(Some(WRITER), "gray.abort", json!([id]))
        .await;
    let edge = edge_keeping(&center, path.clone()).await;
    assert_eq!(
        edge.json("/api/cache/geo/a").await,
        json!(2),
        "from its snapshot"
    );
    // Its first pull names the release, and brings it back.
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/geo/a").await, json!(1));
    let _ = std::fs::remove_file(path);
}

#[actix_web::test]
async fn a_held_pull_wakes_for_its_release() {
    let center = TestApp::builder().center().spawn().await;
    held_pull_wakes_for_a_release(&center, &center).await;
}

/// A pull of `geo` held at `holding` by edge-1 is answered at once by a
/// release for edge-1 made through `writing`.
pub async fn held_pull_wakes_for_a_release(holding: &TestApp, writing: &TestApp) {
    writing.result("namespaces.create", json!(["geo"])).await;
    writing.result("records.put", json!(["a", 1, "geo"])).await;
    let revision = pull(holding, Some("edge-1"), &[], 0).await["revision"]
        .as_i64()
        .unwrap();
    // Held for up to a minute: nothing changes on the main line.
    let body = json!({"jsonrpc": "2.0", "method": "records.changes", "params": [revision, ["geo"], 60], "id": 1});
    let held = holding
        .client
        .post(holding.rpc_url())
        .header("Content-Type", "application/json")
        .header("Syncdict-Edge", "edge-1")
        .body(body.to_string())
        .send();
    let held = actix_web::rt::spawn(async move {
        let reply: Value = held.await.unwrap().json().await.unwrap();
        reply["result"].clone()
    });
    actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
    let params = json!(["geo", {"upserts": {"a": 2}}, {"edges": ["edge-1"]}]);
    writing.call_as(Some(WRITER), "gray.create", params).await;
    // Answered by the release, long before the minute is up.
    let reply = actix_web::rt::time::timeout(std::time::Duration::from_secs(30), held)
        .await
        .expect("woken by the release")
        .unwrap();
    assert_eq!(part(&reply).0, json!({"a": 2}));
}

crate::on_backends!(center:
    a_named_edge_sees_its_release_until_the_abort,
    an_unknown_release_brings_the_whole_namespace,
);
