//! The fleet view: edges named by `client.name` seen with each pull,
//! judged current, lagging or silent (time passed in), counted in
//! `/metrics`, shared between centers on one database through batched
//! writes, and bounded in memory and in the database.

use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::HumanDuration;
use syncdict::domain::now_us;
use syncdict::edge::state::TickReport;

use crate::console::{get, sign_in};
use crate::helpers::{Backend, TestApp, TestDb, ADMIN, WRITER};

const SECOND: i64 = 1_000_000;

/// A center on `db` whose judgements are easy to steer: silent after an
/// hour, lagging once a missed change is 1 s old.
async fn center(db: &TestDb, max_edges: usize) -> TestApp {
    TestApp::builder()
        .center()
        .database(db.url.clone(), None)
        .with(move |s| {
            s.server.fleet_silent = HumanDuration(Duration::from_secs(3600));
            s.server.fleet_lag = HumanDuration(Duration::from_secs(1));
            s.server.fleet_max_edges = max_edges;
        })
        .spawn()
        .await
}

async fn edge(center: &TestApp, name: &'static str) -> TestApp {
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| s.client.name = name.into())
        .spawn()
        .await
}

async fn fleet(app: &TestApp, params: Value) -> Value {
    let (status, reply) = app.call_as(Some(ADMIN), "fleet.list", params).await;
    assert_eq!(status, 200, "{reply}");
    reply["result"].clone()
}

fn row<'a>(list: &'a Value, name: &str) -> &'a Value {
    list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {list}"))
}

fn judged(
    judgement: &[syncdict::center::fleet_view::Judged],
    name: &str,
) -> syncdict::domain::EdgeState {
    judgement
        .iter()
        .find(|j| j.edge.name == name)
        .unwrap_or_else(|| panic!("{name} not judged"))
        .state
}

async fn edges_are_seen_and_judged(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let center = center(&db, 100).await;
    let (alpha, beta) = (edge(&center, "alpha").await, edge(&center, "beta").await);
    center.put("k", json!(1)).await;
    assert_eq!(alpha.tick().await, TickReport::Applied);
    assert_eq!(beta.tick().await, TickReport::Applied);

    assert_eq!(
        alpha.status().await["name"],
        "alpha",
        "the edge shows its name"
    );
    let list = fleet(&center, json!([])).await;
    assert_eq!(
        list["totals"],
        json!({"current": 2, "lagging": 0, "silent": 0})
    );
    let a = row(&list, "alpha");
    assert_eq!(a["address"], "127.0.0.1");
    assert_eq!(
        a["version"],
        format!("syncdict/{}", env!("CARGO_PKG_VERSION"))
    );
    assert_eq!(a["namespaces"], json!(["default"]));
    assert_eq!(
        (a["revision"].as_i64(), a["lag_revisions"].as_i64()),
        (Some(1), Some(0))
    );
    assert_eq!(
        (&a["digest"], &a["state"], &a["in_step"]),
        (&json!("unchecked"), &json!("current"), &json!(true))
    );

    // A second change: alpha takes it, beta does not.
    let at = now_us();
    center.put("k", json!(2)).await;
    assert_eq!(alpha.tick().await, TickReport::Applied);
    let list = fleet(&center, json!([])).await;
    assert_eq!(row(&list, "alpha")["revision"], 2);
    let b = row(&list, "beta");
    assert_eq!(
        (
            b["revision"].as_i64(),
            b["newest"].as_i64(),
            b["lag_revisions"].as_i64()
        ),
        (Some(1), Some(2), Some(1))
    );

    // Judged with the time passed in: 10 s on, beta misses a change older
    // than fleet_lag; two hours on, both are silent.
    let (later, _) = center.center().judge_fleet(at + 10 * SECOND).await.unwrap();
    assert_eq!(
        judged(&later, "alpha"),
        syncdict::domain::EdgeState::Current
    );
    assert_eq!(judged(&later, "beta"), syncdict::domain::EdgeState::Lagging);
    let lag = later
        .iter()
        .find(|j| j.edge.name == "beta")
        .unwrap()
        .lag_seconds
        .unwrap();
    assert!((9.0..=11.0).contains(&lag), "{lag}");
    let (_, totals) = center
        .center()
        .judge_fleet(at + 7200 * SECOND)
        .await
        .unwrap();
    assert_eq!((totals.current, totals.lagging, totals.silent), (0, 0, 2));

    // /metrics counts what the flush judged.
    center.center().flush_fleet(at + 10 * SECOND).await.unwrap();
    let metrics = center.get("/metrics").await.text().await.unwrap();
    for line in [
        "syncdict_fleet_edges{state=\"current\"} 1",
        "syncdict_fleet_edges{state=\"lagging\"} 1",
        "syncdict_fleet_edges{state=\"silent\"} 0",
    ] {
        assert!(metrics.contains(line), "{line} in\n{metrics}");
    }

    // Filtered and paged; for administrators only.
    let lagging = fleet(&center, json!({"state": "current", "limit": 1})).await;
    assert_eq!(
        (
            lagging["count"].as_u64(),
            lagging["edges"].as_array().unwrap().len()
        ),
        (Some(2), 1)
    );
    let (status, refused) = center.call_as(Some(WRITER), "fleet.list", json!([])).await;
    assert_eq!(status, 403, "{refused}");
    let (status, _) = center.call_as(None, "fleet.list", json!([])).await;
    assert_eq!(status, 401);
    let (_, bad) = center
        .call_as(Some(ADMIN), "fleet.list", json!({"state": "asleep"}))
        .await;
    assert_eq!(bad["error"]["code"], -32602, "{bad}");

    // The console's page, for administrators.
    let cookie = sign_in(&center, ADMIN).await;
    let page = get(&center, "/console/fleet", &cookie)
        .await
        .text()
        .await
        .unwrap();
    for shown in [r#"data-edge="alpha""#, r#"data-edge="beta""#, "1 revision,"] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    let cookie = sign_in(&center, WRITER).await;
    let refused = get(&center, "/console/fleet", &cookie).await;
    assert_eq!(refused.status(), 303);
}

/// The original design's clients (no name, no version) are seen too, by
/// address; an invalid name is ignored, never refused.
async fn unnamed_and_hostile_clients_are_bounded(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let center = center(&db, 10).await;
    let http = reqwest::Client::new();
    let call = |name: String| {
        let body = json!({"jsonrpc": "2.0", "method": "testrpc.MyRPC", "params": [], "id": 1});
        http.post(center.rpc_url())
            .header("Content-Type", "application/json")
            .header("Syncdict-Edge", name)
            .header("User-Agent", "x".repeat(5000))
            .body(body.to_string())
            .send()
    };
    let reply = call("<not a name>".into()).await.unwrap();
    assert_eq!(reply.status(), 200);
    let list = fleet(&center, json!([])).await;
    let unnamed = row(&list, "");
    assert_eq!(unnamed["address"], "127.0.0.1");
    assert_eq!(unnamed["version"].as_str().unwrap().len(), 64);

    // A flood of invented names: at most fleet_max_edges (10) kept, in
    // memory and in the database.
    for i in 0..100 {
        assert_eq!(call(format!("made-up-{i}")).await.unwrap().status(), 200);
    }
    center.center().flush_fleet(now_us()).await.unwrap();
    let list = fleet(&center, json!({"limit": 1000})).await;
    let count = list["count"].as_u64().unwrap();
    assert!((1..=10).contains(&count), "{count}");
    assert!(list["edges"]
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["name"] == "made-up-99"));
    let metrics = center.get("/metrics").await.text().await.unwrap();
    let evicted: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("syncdict_fleet_evicted_total "))
        .unwrap()
        .parse()
        .unwrap();
    assert!(evicted >= 90, "{evicted}");
}

/// Each center writes what it saw in batches; any center shows them all.
async fn centers_on_one_database_share_the_fleet(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let (a, b) = (center(&db, 100).await, center(&db, 100).await);
    let (alpha, beta) = (edge(&a, "alpha").await, edge(&b, "beta").await);
    a.put("k", json!(1)).await;
    assert_eq!(alpha.tick().await, TickReport::Applied);
    assert_eq!(beta.tick().await, TickReport::Applied);
    let names = |list: &Value| {
        let mut names: Vec<String> = list["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["name"].as_str().unwrap().to_string())
            .collect();
        names.sort();
        names
    };
    // Not written yet: each center knows its own.
    assert_eq!(names(&fleet(&a, json!([])).await), ["alpha"]);
    assert_eq!(b.center().flush_fleet(now_us()).await.unwrap(), 1);
    assert_eq!(a.center().flush_fleet(now_us()).await.unwrap(), 1);
    assert_eq!(names(&fleet(&a, json!([])).await), ["alpha", "beta"]);
    assert_eq!(names(&fleet(&b, json!([])).await), ["alpha", "beta"]);
    // Nothing new to write: no rows.
    assert_eq!(a.center().flush_fleet(now_us()).await.unwrap(), 0);

    // beta fails over to a: one row, the newest sighting.
    let beta_on_a = TestApp::builder()
        .edge(vec![a.rpc_url()])
        .with(|s| s.client.name = "beta".into())
        .spawn()
        .await;
    assert_eq!(beta_on_a.tick().await, TickReport::Applied);
    a.center().flush_fleet(now_us()).await.unwrap();
    let list = fleet(&b, json!([])).await;
    assert_eq!(names(&list), ["alpha", "beta"]);
}

/// An edge's `client.labels` travel with its pulls, show in the fleet
/// view of every center, and follow a change; a label header that is not
/// sound is ignored, never refused.
async fn labels_are_seen(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let (a, b) = (center(&db, 100).await, center(&db, 100).await);
    let labelled = |labels: &'static [(&'static str, &'static str)]| {
        TestApp::builder()
            .edge(vec![a.rpc_url()])
            .with(move |s| {
                s.client.name = "eu-web-1".into();
                s.client.labels = labels
                    .iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect();
            })
            .spawn()
    };
    let edge = labelled(&[("tier", "web"), ("region", "eu")]).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let list = fleet(&a, json!([])).await;
    assert_eq!(
        row(&list, "eu-web-1")["labels"],
        json!({"region": "eu", "tier": "web"})
    );
    a.center().flush_fleet(now_us()).await.unwrap();
    let list = fleet(&b, json!([])).await;
    assert_eq!(
        row(&list, "eu-web-1")["labels"],
        json!({"region": "eu", "tier": "web"}),
        "through the database"
    );
    let moved = labelled(&[("region", "us")]).await;
    assert_eq!(moved.tick().await, TickReport::Applied);
    let list = fleet(&a, json!([])).await;
    assert_eq!(row(&list, "eu-web-1")["labels"], json!({"region": "us"}));

    let body = json!({"jsonrpc": "2.0", "method": "testrpc.MyRPC", "params": [], "id": 1});
    for bad in [
        "region",
        "Region=eu",
        &"k=v,".repeat(9),
        &format!("k={}", "v".repeat(2000)),
    ] {
        let reply = reqwest::Client::new()
            .post(a.rpc_url())
            .header("Content-Type", "application/json")
            .header("Syncdict-Edge", "odd")
            .header("Syncdict-Edge-Labels", bad)
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status(), 200, "{bad}");
        let list = fleet(&a, json!([])).await;
        assert_eq!(row(&list, "odd")["labels"], json!({}), "{bad}");
    }
}

crate::on_backends!(
    edges_are_seen_and_judged,
    unnamed_and_hostile_clients_are_bounded,
    centers_on_one_database_share_the_fleet,
    labels_are_seen,
);
