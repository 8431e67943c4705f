//! The record store's contract, on every backend.

use serde_json::json;

use crate::helpers::{keys, TestApp};

async fn put_get_list_delete(app: TestApp) {
    assert_eq!(app.put("b", json!({"x": [1, 2.5, null]})).await, 1);
    assert_eq!(app.put("a", json!("hello")).await, 2);
    assert_eq!(app.put("b", json!(true)).await, 3);

    let record = app.result("records.get", json!(["b"])).await;
    assert_eq!(record["key"], "b");
    assert_eq!(record["value"], true);
    assert_eq!(record["revision"], 3);
    let updated = record["updated_at"].as_str().unwrap();
    assert!(updated.ends_with('Z') && updated.contains('T'), "{updated}");

    let list = app.result("records.list", json!([])).await;
    assert_eq!(keys(&list), ["a", "b"]);
    assert_eq!(app.result("testrpc.MyRPC", json!([])).await, list);

    assert_eq!(app.result("records.delete", json!(["a"])).await, true);
    assert_eq!(app.result("records.delete", json!(["a"])).await, false);
    let (code, message) = app.error("records.get", json!(["a"])).await;
    assert_eq!(code, -32002);
    assert!(message.contains("\"a\""), "{message}");
    // The refused delete took no revision.
    assert_eq!(app.put("c", json!(1)).await, 5);
}

async fn refused_writes_take_no_revision(app: TestApp) {
    assert_eq!(app.put("k", json!(1)).await, 1);
    let too_long = "k".repeat(256);
    for params in [
        json!([too_long, 1]),
        json!(["", 1]),
        json!([7, 1]),
        json!(["k"]),
    ] {
        assert_eq!(app.error("records.put", params).await.0, -32602);
    }
    assert_eq!(app.put("k", json!(2)).await, 2);
}

async fn values_and_keys_round_trip(app: TestApp) {
    let long_key = "é".repeat(127) + "x"; // 255 bytes
    let values = [
        ("null", json!(null)),
        ("false", json!(false)),
        ("int", json!(-9007199254740993i64)),
        ("float", json!(0.1)),
        ("text", json!("ünïcødé \"quoted\" \n 😀")),
        ("nested", json!({"a": [1, {"b": null}], "c": {}})),
        ("Case", json!("upper")),
        ("case", json!("lower")),
        (long_key.as_str(), json!([])),
    ];
    for (key, value) in &values {
        app.put(key, value.clone()).await;
    }
    for (key, value) in &values {
        let record = app.result("records.get", json!([key])).await;
        assert_eq!(&record["value"], value, "{key}");
    }
    let list = app.result("records.list", json!([])).await;
    let listed = keys(&list);
    let mut sorted = listed.clone();
    sorted.sort(); // bytewise, the same on every backend
    assert_eq!(listed, sorted);
    assert_eq!(
        listed.len(),
        values.len(),
        "keys differing only in case are distinct"
    );
}

async fn named_params_work_too(app: TestApp) {
    let revision = app
        .result("records.put", json!({"value": 42, "key": "answer"}))
        .await;
    assert_eq!(revision, 1);
    assert_eq!(
        app.result("records.get", json!({"key": "answer"})).await["value"],
        42
    );
}

crate::on_backends!(
    center:
    put_get_list_delete,
    refused_writes_take_no_revision,
    values_and_keys_round_trip,
    named_params_work_too,
);
