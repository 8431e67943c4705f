//! Gray releases in Chromium (`tests/browser/gray.js`), on every backend:
//! a release started from staged edits with its reach previewed, its
//! members once the edges pulled, an overlapping release and the rule the
//! page states, the namespace's active releases, a widened target, the
//! promotion, an automatic canary, and an approved change request of a
//! namespace that requires reviews released and promoted. Screenshots go
//! to `target/screenshots/gray-*`.

use serde_json::json;
use syncdict::edge::state::TickReport;

use crate::browser::{playwright, run_node};
use crate::gray_views::edge_of;
use crate::helpers::{Backend, TestApp, WRITER};

async fn gray_releases_in_a_browser(backend: Backend) {
    let Some(node_path) = playwright() else {
        return;
    };
    let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .try_spawn()
        .await
    else {
        return;
    };
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["de", {"name": "Germany"}, "geo"]))
        .await;
    let (paris, tokyo) = (
        edge_of(&app, "edge-paris", "eu").await,
        edge_of(&app, "edge-tokyo", "ap").await,
    );
    for e in [&paris, &tokyo] {
        assert_eq!(e.tick().await, TickReport::Applied);
    }
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("{backend:?}").to_lowercase());
    std::fs::create_dir_all(&out).unwrap();
    let out = out.display().to_string();
    let writer = format!("{}:{}", WRITER.0, WRITER.1);
    let args = |mode: &str| {
        vec![
            mode.into(),
            app.address.clone(),
            out.clone(),
            writer.clone(),
        ]
    };
    let shown = run_node(&node_path, "gray.js", args("start")).await;
    let id = shown
        .lines()
        .find_map(|l| l.strip_prefix("release: "))
        .expect("the page started a release")
        .to_string();
    // The edges pull: the member gets the release, the other the main line.
    for e in [&paris, &tokyo] {
        assert_eq!(e.tick().await, TickReport::Applied);
    }
    assert_eq!(
        paris.json("/api/cache/geo/fr").await,
        json!({"name": "France"})
    );
    assert_eq!(tokyo.get("/api/cache/geo/fr").await.status(), 404);
    for e in [&paris, &tokyo] {
        e.tick().await;
    }
    let mut manage = args("manage");
    manage.push(id.clone());
    let shown = run_node(&node_path, "gray.js", manage).await;
    assert!(shown.contains("ok: the canary aborted by hand"), "{shown}");
    // What the pages did, seen through the API.
    let record = app.result("records.get", json!(["fr", "geo"])).await;
    assert_eq!(record["value"], json!({"name": "France"}), "promoted");
    let released = app
        .call_as(Some(WRITER), "gray.list", json!(["geo"]))
        .await
        .1;
    let states: Vec<(i64, String)> = released["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["id"].as_i64().unwrap(),
                r["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let first: i64 = id.parse().unwrap();
    assert_eq!(
        states,
        [
            (first + 2, "aborted".to_string()),
            (first + 1, "aborted".to_string()),
            (first, "promoted".to_string())
        ]
    );
    assert_eq!(tokyo.tick().await, TickReport::Applied);
    assert_eq!(
        tokyo.json("/api/cache/geo/fr").await,
        json!({"name": "France"})
    );

    // An approved request on a namespace that requires reviews.
    reviewed_geo_policy(&app).await;
    let request =
        crate::reviews::propose(&app, json!({"upserts": {"es": "Spain"}}), "add es").await;
    let approve = json!([request, "approve", "fine"]);
    crate::reviews::ok(&app, crate::reviews::CAROL, "changes.review", approve).await;
    let mut reviewed = args("reviewed");
    reviewed.push(request.to_string());
    let shown = run_node(&node_path, "gray.js", reviewed).await;
    assert!(shown.contains("ok: the request released"), "{shown}");
    let request = app.result("changes.get", json!([request])).await;
    assert_eq!(request["state"], "published");
    assert_eq!(request["release"]["state"], "promoted");
}

/// `geo` requiring one review, and `CAROL` to give it.
async fn reviewed_geo_policy(app: &TestApp) {
    let policy = json!(["geo", {"reviews_required": 1}]);
    crate::reviews::ok(app, crate::helpers::ADMIN, "namespaces.set_policy", policy).await;
    let url = app.database_url().expect("own database").clone();
    let carol = crate::reviews::CAROL;
    crate::helpers::add_user(&url, carol, &[("geo", syncdict::domain::Level::Write)]);
}

crate::on_backends!(gray_releases_in_a_browser);
