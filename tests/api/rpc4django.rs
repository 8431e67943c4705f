//! Interoperation with the original design's center: Django + rpc4django
//! 0.6.3 from PyPI (installed by `tests/interop/setup.sh`, whose python
//! `SYNCDICT_RPC4DJANGO_PYTHON` names), pulled by an edge in `method` mode.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{JsonRpcVersion, PullMode};
use syncdict::edge::state::TickReport;

use crate::helpers::unique_name;
use crate::helpers::{eventually, TestApp};

struct Django(Child);

impl Drop for Django {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn python() -> Option<String> {
    crate::helpers::peer("SYNCDICT_RPC4DJANGO_PYTHON")
}

async fn rpc(url: &str, method: &str, params: Value) -> Value {
    let body = json!({"method": method, "params": params, "id": 1});
    let reply: Value = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(reply.get("error").is_none_or(Value::is_null), "{reply}");
    reply["result"].clone()
}

#[actix_web::test]
async fn an_edge_pulls_from_rpc4django() {
    let Some(python) = python() else { return };
    let port = crate::helpers::free_port();
    let db = std::env::temp_dir().join(format!("{}.sqlite3", unique_name()));
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/interop/rpc4django_server.py"
    );
    let _django = Django(
        Command::new(python)
            .args([script, &port.to_string(), &db.display().to_string()])
            .stdout(Stdio::null())
            .stderr(if std::env::var("TEST_LOG").is_ok() {
                Stdio::inherit()
            } else {
                Stdio::null()
            })
            .spawn()
            .expect("python starts"),
    );
    let url = format!("http://127.0.0.1:{port}/RPC");
    eventually(Duration::from_secs(30), "rpc4django up", async || {
        let probe = reqwest::Client::new().post(&url).body("{}").send().await;
        probe.is_ok()
    })
    .await;
    for (name, action, hits) in [
        ("10.0.0.1", "deny", 3),
        ("10.0.0.2", "allow", 0),
        ("bad-bot", "deny", 7),
    ] {
        assert_eq!(
            rpc(&url, "testrpc.setRule", json!([name, action, hits])).await,
            true
        );
    }

    let edge = TestApp::builder()
        .edge(vec![url.clone()])
        .with(|s| {
            s.client.mode = PullMode::Method;
            s.client.jsonrpc_version = JsonRpcVersion::V1;
        })
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let rows = rpc(&url, "testrpc.MyRPC", json!([])).await;
    let expected: serde_json::Map<String, Value> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["name"].as_str().unwrap().to_string(), r.clone()))
        .collect();
    assert_eq!(edge.json("/api/cache").await, Value::Object(expected));
    assert_eq!(
        edge.json("/api/cache/bad-bot").await,
        json!({"name": "bad-bot", "action": "deny", "hits": 7})
    );
    let page = edge.get("/").await.text().await.unwrap();
    assert!(page.contains("bad-bot") && page.contains("10.0.0.2"));

    rpc(&url, "testrpc.deleteRule", json!(["10.0.0.2"])).await;
    rpc(&url, "testrpc.setRule", json!(["bad-bot", "deny", 8])).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.get("/api/cache/10.0.0.2").await.status(), 404);
    assert_eq!(edge.json("/api/cache/bad-bot").await["hits"], 8);
    let status = edge.status().await;
    assert_eq!(
        (status["mode"].clone(), status["entries"].clone()),
        (json!("method"), json!(2))
    );
    let _ = std::fs::remove_file(db);
}
