//! `records.changes`: net changes, full snapshots, tombstone retention.

use serde_json::{json, Value};

use syncdict::configuration::HumanDuration;

use crate::helpers::{keys, TestApp};

async fn changes(app: &TestApp, since: i64) -> Value {
    app.result("records.changes", json!([since])).await
}

async fn net_changes_since_a_revision(app: TestApp) {
    let empty = changes(&app, 0).await;
    assert_eq!(
        empty,
        json!({"revision": 0, "full": true, "upserts": [], "deletes": []})
    );

    app.put("stays", json!(1)).await; // 1
    app.put("goes", json!(1)).await; // 2
    app.put("comes_back", json!(1)).await; // 3
    let since = 3;
    app.put("brief", json!(1)).await; // 4
    app.result("records.delete", json!(["brief"])).await; // 5
    app.result("records.delete", json!(["goes"])).await; // 6
    app.result("records.delete", json!(["comes_back"])).await; // 7
    app.put("comes_back", json!(2)).await; // 8
    app.put("stays", json!(2)).await; // 9

    let delta = changes(&app, since).await;
    assert_eq!(delta["revision"], 9);
    assert_eq!(delta["full"], false);
    assert_eq!(keys(&delta["upserts"]), ["comes_back", "stays"]);
    assert_eq!(
        keys(&delta["deletes"]),
        ["goes"],
        "created-then-deleted appears nowhere"
    );
    assert_eq!(delta["upserts"][1]["value"], 2);

    let full = changes(&app, 0).await;
    assert_eq!(full["full"], true);
    assert_eq!(keys(&full["upserts"]), ["comes_back", "stays"]);
    assert_eq!(full["upserts"], app.result("records.list", json!([])).await);

    let nothing = changes(&app, 9).await;
    assert_eq!(
        nothing,
        json!({"revision": 9, "full": false, "upserts": [], "deletes": []})
    );
    let ahead = changes(&app, 50).await;
    assert_eq!(
        ahead["full"], true,
        "a client ahead of the store gets everything"
    );
    assert_eq!(ahead["revision"], 9);
}

async fn purged_tombstones_force_a_full_snapshot(app: TestApp) {
    app.put("a", json!(1)).await; // 1
    app.put("b", json!(1)).await; // 2
    app.result("records.delete", json!(["a"])).await; // 3
    app.put("c", json!(1)).await; // 4
    assert_eq!(keys(&changes(&app, 2).await["deletes"]), ["a"]);

    // Nothing is old enough under the default retention.
    assert_eq!(app.maintenance().upkeep().await.unwrap().tombstones, 0);
    assert_eq!(changes(&app, 2).await["full"], false);
    assert_eq!(changes(&app, 2).await["deletes"], json!(["a"]));
}

async fn a_delta_replayed_on_a_copy_converges(app: TestApp) {
    // A client applying each delta in turn ends with exactly records.list.
    let mut copy = std::collections::BTreeMap::new();
    let mut since = 0;
    for round in 0..5 {
        for i in 0..6 {
            let key = format!("k{}", (i * 7 + round * 3) % 10);
            if (i + round) % 3 == 0 {
                app.result("records.delete", json!([key])).await;
            } else {
                app.put(&key, json!(round * 10 + i)).await;
            }
        }
        let delta = changes(&app, since).await;
        if delta["full"] == true {
            copy.clear();
        }
        for record in delta["upserts"].as_array().unwrap() {
            copy.insert(record["key"].as_str().unwrap().to_string(), record.clone());
        }
        for key in delta["deletes"].as_array().unwrap() {
            copy.remove(key.as_str().unwrap());
        }
        since = delta["revision"].as_i64().unwrap();
        let list = app.result("records.list", json!([])).await;
        assert_eq!(
            Value::Array(copy.values().cloned().collect()),
            list,
            "round {round}"
        );
    }
}

crate::on_backends!(
    center:
    net_changes_since_a_revision,
    purged_tombstones_force_a_full_snapshot,
    a_delta_replayed_on_a_copy_converges,
);

/// With a retention of one nanosecond every tombstone is old: a client from
/// before the purge must get a full snapshot.
#[actix_web::test]
async fn clients_behind_the_purge_get_everything() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.tombstone_retention = HumanDuration::parse("1ns").unwrap())
        .spawn()
        .await;
    app.put("a", json!(1)).await; // 1
    app.put("b", json!(1)).await; // 2
    app.result("records.delete", json!(["a"])).await; // 3
    app.put("c", json!(1)).await; // 4
    let _ = app.maintenance().upkeep().await.unwrap();
    let behind = changes(&app, 2).await;
    assert_eq!(behind["full"], true);
    assert_eq!(keys(&behind["upserts"]), ["b", "c"]);
    let after = changes(&app, 3).await;
    assert_eq!(after["full"], false);
    assert_eq!(keys(&after["upserts"]), ["c"]);
}
