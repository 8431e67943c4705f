//! `records.search`: pages of a namespace's records by key prefix or
//! case-insensitive substring, after a cursor, on every backend.

use serde_json::{json, Value};

use crate::helpers::TestApp;

fn keys_of(page: &Value) -> Vec<String> {
    page["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["key"].as_str().unwrap().to_string())
        .collect()
}

async fn pages_by_prefix_and_substring(app: TestApp) {
    let mut upserts = serde_json::Map::new();
    for i in 0..250 {
        upserts.insert(format!("k{i:03}"), json!(i));
    }
    for key in ["Apple", "apple-pie", "Banana", "k1\u{10FFFF}"] {
        upserts.insert(key.to_string(), json!(key));
    }
    let applied = app
        .result("records.apply", json!([{"upserts": upserts}]))
        .await;
    let revision = applied["revision"].clone();

    let first = app
        .result("records.search", json!({"prefix": "k1", "limit": 40}))
        .await;
    assert_eq!(first["total"], json!(254));
    assert_eq!(first["revision"], revision, "the namespace's last change");
    let keys = keys_of(&first);
    assert_eq!(keys.len(), 40);
    assert_eq!((keys[0].as_str(), keys[39].as_str()), ("k100", "k139"));
    assert_eq!(first["next"], json!("k139"));
    let mut all = keys;
    let mut after = first["next"].clone();
    while !after.is_null() {
        let page = app
            .result(
                "records.search",
                json!({"prefix": "k1", "after": after, "limit": 40}),
            )
            .await;
        all.extend(keys_of(&page));
        after = page["next"].clone();
    }
    let mut expected: Vec<String> = (100..200).map(|i| format!("k{i}")).collect();
    expected.push("k1\u{10FFFF}".to_string());
    assert_eq!(all, expected, "every key with the prefix, once, in order");

    let apples = app
        .result("records.search", json!({"contains": "APP"}))
        .await;
    assert_eq!(keys_of(&apples), ["Apple", "apple-pie"], "case-insensitive");
    assert_eq!(apples["next"], Value::Null);
    let nines = app
        .result("records.search", json!({"contains": "9", "limit": 3}))
        .await;
    assert_eq!(keys_of(&nines), ["k009", "k019", "k029"]);
    let more = app
        .result(
            "records.search",
            json!({"contains": "9", "limit": 3, "after": nines["next"]}),
        )
        .await;
    assert_eq!(keys_of(&more), ["k039", "k049", "k059"]);
    let both = app
        .result("records.search", json!({"prefix": "k2", "contains": "4"}))
        .await;
    assert_eq!(
        keys_of(&both).len(),
        14,
        "k204, k214, .., k240..k249: {both}"
    );

    for bad in [
        json!({"limit": 0}),
        json!({"limit": 1001}),
        json!({"prefix": 5}),
    ] {
        assert_eq!(app.error("records.search", bad).await.0, -32602);
    }
    let (code, _) = app
        .error("records.search", json!({"namespace": "nope"}))
        .await;
    assert_eq!(code, -32008);
}

crate::on_backends!(center: pages_by_prefix_and_substring);
