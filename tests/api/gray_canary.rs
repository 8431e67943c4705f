//! The automatic canary: edges report their health with each pull
//! (`Syncdict-Health`), and a center's schedule check (`gray::auto::tick`,
//! driven here with a test clock) widens a release after each bake with
//! healthy members, aborts it when a member holding it is unhealthy, and
//! promotes it after its last step. On every backend with edges speaking
//! the protocol over HTTP, and end to end with syncdict edges whose output
//! check refuses the release's value.

use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{HumanDuration, OutputFormat, OutputSettings};
use syncdict::domain::{bucket, now_us, Decision, Namespace, ReleaseId, Selection};
use syncdict::edge::state::TickReport;
use syncdict::gray::auto::tick;

use crate::helpers::{eventually, Backend, Scratch, TestApp, ADMIN, WRITER};

const MINUTE: i64 = 60_000_000;

/// A center whose fleet view keeps edges current for an hour, so the test
/// clock can run ahead of the pulls.
async fn center(backend: Backend) -> Option<TestApp> {
    TestApp::builder()
        .center()
        .backend(backend)
        .with(|s| s.server.fleet_silent = HumanDuration(Duration::from_secs(3600)))
        .try_spawn()
        .await
}

/// A full pull of `geo` as edge `name`, holding `held`, reporting `health`.
async fn pull(app: &TestApp, name: &str, held: &[i64], health: Option<&str>) -> Value {
    crate::gray_views::pull_reporting(app, (Some(name), held), 0, health).await
}

/// The value of `key` in a full pull's `geo`.
fn value(reply: &Value, key: &str) -> Value {
    let upserts = reply["namespaces"]["geo"]["upserts"].as_array().unwrap();
    upserts.iter().find(|r| r["key"] == key).unwrap()["value"].clone()
}

/// Names `edge-0`, `edge-1`, … in release `id` at `percent` (`inside`)
/// or out of it.
fn edge_name(id: i64, percent: u32, inside: bool) -> String {
    (0..1000)
        .map(|i| format!("edge-{i}"))
        .find(|n| (bucket(n, ReleaseId(id)) < percent * 100) == inside)
        .unwrap()
}

async fn get(app: &TestApp, id: i64) -> Value {
    app.call_as(Some(WRITER), "gray.get", json!([id])).await.1["result"].clone()
}

async fn canary(app: &TestApp, auto: Value) -> i64 {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["mode", "old", "geo"]))
        .await;
    let params = json!(["geo", {"upserts": {"mode": "new"}}, {"percent": 50}, "canary", auto]);
    let (_, created) = app.call_as(Some(WRITER), "gray.create", params).await;
    created["result"]["id"].as_i64().expect("created")
}

async fn a_healthy_canary_widens_after_each_bake_and_is_promoted(backend: Backend) {
    let Some(app) = center(backend).await else {
        return;
    };
    let auto = json!({"steps": [50, 100], "bake": "10m", "min_edges": 1});
    let id = canary(&app, auto).await;
    let (inside, outside) = (edge_name(id, 50, true), edge_name(id, 50, false));
    assert_eq!(value(&pull(&app, &inside, &[], None).await, "mode"), "new");
    assert_eq!(value(&pull(&app, &outside, &[], None).await, "mode"), "old");
    // Baking: nothing moves before its time, or without a healthy member.
    let t0 = now_us();
    let early = tick(app.center(), t0 + 11 * MINUTE).await.unwrap();
    assert!(matches!(early[..], [(_, Decision::Wait(_))]), "{early:?}");
    pull(&app, &inside, &[id], Some("ok")).await;
    let waiting = tick(app.center(), t0 + MINUTE).await.unwrap();
    assert!(
        matches!(waiting[..], [(_, Decision::Wait(_))]),
        "{waiting:?}"
    );
    let shown = get(&app, id).await;
    assert_eq!(shown["health"], json!({"healthy": 1, "unhealthy": 0}));
    assert!(
        shown["next"].as_str().unwrap().starts_with("baking until"),
        "{shown}"
    );
    // Baked with a healthy member: widened to the next step.
    let widened = tick(app.center(), t0 + 11 * MINUTE).await.unwrap();
    assert_eq!(widened, vec![(ReleaseId(id), Decision::Widen(10_000))]);
    let shown = get(&app, id).await;
    assert_eq!(shown["target"], json!({"percent": 100.0}));
    assert_eq!(value(&pull(&app, &outside, &[], None).await, "mode"), "new");
    // The last step baked: promoted, one ordinary revision.
    let promoted = tick(app.center(), t0 + 22 * MINUTE).await.unwrap();
    assert_eq!(promoted, vec![(ReleaseId(id), Decision::Promote)]);
    let shown = get(&app, id).await;
    assert_eq!(shown["state"], "promoted");
    assert_eq!(shown["closed_by"], "auto");
    let actions: Vec<&str> = shown["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "retargeted", "promoted"]);
    let record = app.result("records.get", json!(["mode", "geo"])).await;
    assert_eq!(record["value"], "new");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"syncdict_gray_steps_total{action="promoted",by="schedule"} 1"#),
        "{metrics}"
    );
}

async fn an_unhealthy_member_aborts_its_release_at_once(backend: Backend) {
    let Some(app) = center(backend).await else {
        return;
    };
    let id = canary(&app, json!({"steps": [50, 100], "max_unhealthy": 0})).await;
    let (inside, outside) = (edge_name(id, 50, true), edge_name(id, 50, false));
    pull(&app, &inside, &[], None).await;
    // Unhealthy on the main line only: not a member holding it.
    pull(&app, &outside, &[], Some("unhealthy disk full")).await;
    let fine = tick(app.center(), now_us()).await.unwrap();
    assert!(matches!(fine[..], [(_, Decision::Wait(_))]), "{fine:?}");
    pull(
        &app,
        &inside,
        &[id],
        Some("unhealthy health_command: exit status: 1: boom"),
    )
    .await;
    let aborted = tick(app.center(), now_us()).await.unwrap();
    let [(_, Decision::Abort(why))] = &aborted[..] else {
        panic!("not aborted: {aborted:?}");
    };
    assert!(
        why.contains(&format!("{inside}: health_command: exit status: 1: boom")),
        "{why}"
    );
    let shown = get(&app, id).await;
    assert_eq!(
        (shown["state"].as_str(), shown["closed_by"].as_str()),
        (Some("aborted"), Some("auto"))
    );
    assert_eq!(shown["reason"].as_str(), Some(why.as_str()));
    // Within one pull the canary is back on the main line.
    assert_eq!(
        value(&pull(&app, &inside, &[id], None).await, "mode"),
        "old"
    );
    // Checked again: nothing left to do.
    assert!(tick(app.center(), now_us()).await.unwrap().is_empty());
}

async fn a_schedule_is_refused_unless_it_is_well_formed(backend: Backend) {
    let Some(app) = center(backend).await else {
        return;
    };
    app.result("namespaces.create", json!(["geo"])).await;
    for (target, auto) in [
        (json!({"percent": 10}), json!({"steps": [50, 100]})),
        (json!({"edges": ["e1"]}), json!({"steps": [50]})),
        (json!({"percent": 50}), json!({"steps": [50, 40]})),
        (
            json!({"percent": 50}),
            json!({"steps": [50], "bake": "forever"}),
        ),
    ] {
        let params = json!(["geo", {"upserts": {"a": 1}}, target, "", auto]);
        let (_, reply) = app.call_as(Some(WRITER), "gray.create", params).await;
        assert_eq!(reply["error"]["code"], -32602, "{reply}");
    }
}

crate::on_backends!(
    a_healthy_canary_widens_after_each_bake_and_is_promoted,
    an_unhealthy_member_aborts_its_release_at_once,
    a_schedule_is_refused_unless_it_is_well_formed,
);

/// A syncdict edge named `name` pulling `geo`, whose JSON output's check
/// refuses any file with "bad" in it, and whose health command passes.
async fn edge_of(center: &TestApp, name: &str, dir: &std::path::Path) -> TestApp {
    let name = name.to_string();
    let output = OutputSettings {
        path: dir.join(format!("{name}.json")),
        format: OutputFormat::Json,
        namespaces: vec![Namespace::parse("geo").unwrap()],
        template: None,
        mode: "0644".into(),
        check_command: Some("! grep -q bad {tmp}".into()),
        command: None,
        command_timeout: HumanDuration(Duration::from_secs(30)),
    };
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.name = name;
            s.client.namespaces = Selection::Listed(vec![Namespace::parse("geo").unwrap()]);
            s.client.health_command = Some("true".into());
            s.output = vec![output];
        })
        .spawn()
        .await
}

/// The health `fleet.list` shows for edge `name`.
async fn health_of(center: &TestApp, name: &str) -> Value {
    let listed = center.call_as(Some(ADMIN), "fleet.list", json!([])).await.1;
    let edges = listed["result"]["edges"].as_array().unwrap().clone();
    let edge = edges
        .into_iter()
        .find(|e| e["name"] == name)
        .unwrap_or_default();
    json!([edge["health"], edge["health_reason"]])
}

#[actix_web::test]
async fn syncdict_edges_report_their_health_and_a_failing_check_aborts_the_canary() {
    let app = center(Backend::Sqlite).await.unwrap();
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["mode", "good", "geo"]))
        .await;
    let params =
        json!(["geo", {"upserts": {"mode": "bad"}}, {"percent": 50}, "", {"steps": [50, 100]}]);
    let id = app.call_as(Some(WRITER), "gray.create", params).await.1["result"]["id"]
        .as_i64()
        .unwrap();
    let dir = Scratch::new();
    let (canary_name, other_name) = (edge_name(id, 50, true), edge_name(id, 50, false));
    let canary = edge_of(&app, &canary_name, dir.as_ref()).await;
    let other = edge_of(&app, &other_name, dir.as_ref()).await;
    for edge in [&canary, &other] {
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    assert_eq!(canary.json("/api/cache/geo/mode").await, json!("bad"));
    // Its output check refuses the release's file: the next pull says so.
    eventually(
        Duration::from_secs(30),
        "the check refused the file",
        async || canary.status().await["outputs"][0]["check_failures"].as_u64() >= Some(1),
    )
    .await;
    eventually(
        Duration::from_secs(30),
        "the health command ran",
        async || {
            other.tick().await;
            health_of(&app, &other_name).await[0] == "healthy"
        },
    )
    .await;
    canary.tick().await;
    let said = health_of(&app, &canary_name).await;
    assert_eq!(said[0], "unhealthy", "{said}");
    assert!(said[1].as_str().unwrap().starts_with("output "), "{said}");
    let aborted = tick(app.center(), now_us()).await.unwrap();
    assert!(
        matches!(aborted[..], [(_, Decision::Abort(_))]),
        "{aborted:?}"
    );
    // The canary is back on the main line, and healthy again.
    assert_eq!(canary.tick().await, TickReport::Applied);
    assert_eq!(canary.json("/api/cache/geo/mode").await, json!("good"));
    eventually(Duration::from_secs(30), "healthy again", async || {
        canary.tick().await;
        health_of(&app, &canary_name).await[0] == "healthy"
    })
    .await;
}
