//! Replayed replies (`rpc::replay`): a repeated pull is answered from the
//! center's reply memo, and still does what the call does besides
//! answering (its fleet note, its metrics); anything that would change the
//! reply (a write, a grant taken away) is never answered from the memo.

use serde_json::{json, Value};
use syncdict::configuration::{HumanDuration, ReadAccess};

use crate::helpers::{Backend, TestApp, ADMIN, READER};

/// POSTs `body` as it is, with `headers`, anonymously: status and reply.
async fn send(app: &TestApp, body: &str, headers: &[(&str, &str)]) -> (u16, String) {
    let mut request = app
        .client
        .post(app.rpc_url())
        .header("Content-Type", "application/json")
        .body(body.to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    (response.status().as_u16(), response.text().await.unwrap())
}

/// The value of the `/metrics` sample `sample` (name and labels).
async fn counted(app: &TestApp, sample: &str) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = format!("{sample} ");
    text.lines()
        .find_map(|l| l.strip_prefix(&line))
        .map_or(0, |n| n.parse().unwrap())
}

async fn calls_counted(app: &TestApp, method: &str) -> u64 {
    let sample = format!(
        "syncdict_rpc_calls_total{{method=\"{method}\",protocol=\"jsonrpc\",outcome=\"ok\"}}"
    );
    counted(app, &sample).await
}

const REPLAYED: &str = "syncdict_rpc_replayed_total";

async fn a_write_is_never_answered_from_the_memo(app: TestApp) {
    let at = app.put("k", json!(1)).await;
    let pull =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at], "id": 7}).to_string();
    let list = r#"{"jsonrpc":"2.0","method":"records.list","id":8}"#;
    for _ in 0..3 {
        let (status, reply) = send(&app, &pull, &[]).await;
        assert_eq!(status, 200);
        let reply: Value = serde_json::from_str(&reply).unwrap();
        assert_eq!(reply["result"]["upserts"], json!([]), "{reply}");
        assert_eq!(reply["id"], 7);
        let (_, listed) = send(&app, list, &[]).await;
        assert!(listed.contains(r#""value":1"#), "{listed}");
    }
    app.put("k", json!(2)).await;
    let (_, reply) = send(&app, &pull, &[]).await;
    let reply: Value = serde_json::from_str(&reply).unwrap();
    assert_eq!(reply["result"]["upserts"][0]["value"], 2, "{reply}");
    let (_, listed) = send(&app, list, &[]).await;
    assert!(listed.contains(r#""value":2"#), "{listed}");
    // Same bytes over XML-RPC are another request.
    let xml =
        "<?xml version=\"1.0\"?><methodCall><methodName>records.list</methodName></methodCall>";
    for _ in 0..2 {
        let response = app.post_as(None, "text/xml", xml).await;
        let text = response.text().await.unwrap();
        let text: String = text.split_whitespace().collect();
        assert!(
            text.contains("<name>value</name><value><int>2</int></value>"),
            "{text}"
        );
    }
}

async fn replayed_pulls_are_noted_and_counted(app: TestApp) {
    let at = app.put("k", json!(1)).await;
    let pull =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at], "id": 1}).to_string();
    let before = calls_counted(&app, "records.changes").await;
    let replayed = counted(&app, REPLAYED).await;
    for edge in ["alpha", "beta", "gamma", "alpha"] {
        let (status, _) = send(&app, &pull, &[("Syncdict-Edge", edge)]).await;
        assert_eq!(status, 200);
    }
    assert_eq!(
        calls_counted(&app, "records.changes").await - before,
        4,
        "every replay is counted as the call it replays"
    );
    // The first pull may have confirmed the revision or read the gray
    // book (each trusted for a second); the rest are replays.
    assert!(counted(&app, REPLAYED).await - replayed >= 2);
    let (_, fleet) = app.call_as(Some(ADMIN), "fleet.list", json!([])).await;
    let names: Vec<&str> = fleet["result"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["name"].as_str())
        .collect();
    for edge in ["alpha", "beta", "gamma"] {
        assert!(names.contains(&edge), "{edge} was noted: {fleet}");
    }
}

/// With private reads, a reader whose grant is taken away is refused its
/// next pull, the same bytes it was just answered.
async fn a_grant_taken_away_is_refused_at_once(backend: Backend) {
    let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .with(|s| s.server.read_access = ReadAccess::Users)
        .try_spawn()
        .await
    else {
        return;
    };
    app.put("k", json!(1)).await;
    let list = r#"{"jsonrpc":"2.0","method":"records.list","id":1}"#;
    for _ in 0..3 {
        let response = app.post_as(Some(READER), "application/json", list).await;
        assert_eq!(response.status(), 200);
    }
    let grants = json!({"name": READER.0, "grants": {"*": null, "other": "read"}});
    let (status, reply) = app.call_as(Some(ADMIN), "users.update", grants).await;
    assert_eq!((status, &reply["result"]), (200, &json!(true)), "{reply}");
    let response = app.post_as(Some(READER), "application/json", list).await;
    assert_eq!(response.status(), 403, "refused, not replayed");
}

/// With the fleet view off, pulls say nothing of themselves and are
/// replayed all the same.
async fn replays_need_no_fleet_view(backend: Backend) {
    let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .with(|s| s.server.fleet_window = HumanDuration(std::time::Duration::ZERO))
        .try_spawn()
        .await
    else {
        return;
    };
    let at = app.put("k", json!(1)).await;
    let pull =
        json!({"jsonrpc": "2.0", "method": "records.changes", "params": [at], "id": 1}).to_string();
    let replayed = counted(&app, REPLAYED).await;
    for _ in 0..4 {
        assert_eq!(send(&app, &pull, &[]).await.0, 200);
    }
    assert!(counted(&app, REPLAYED).await - replayed >= 2);
}

crate::on_backends!(
    center: a_write_is_never_answered_from_the_memo,
    replayed_pulls_are_noted_and_counted
);

mod own_settings {
    use super::{a_grant_taken_away_is_refused_at_once, replays_need_no_fleet_view};
    crate::on_backends!(
        a_grant_taken_away_is_refused_at_once,
        replays_need_no_fleet_view
    );
}
