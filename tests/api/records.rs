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
    // testrpc.MyRPC: the same rows, each also under the original model's
    // field name for the key (`name`; `value` is already shared).
    let mut legacy = list.clone();
    for row in legacy.as_array_mut().unwrap() {
        row["name"] = row["key"].clone();
    }
    assert_eq!(app.result("testrpc.MyRPC", json!([])).await, legacy);

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

/// Keys differ when their bytes differ, on every backend: trailing spaces,
/// case, and the two Unicode normal forms of the same letter are five keys.
async fn keys_are_byte_exact(app: TestApp) {
    let variants = ["a", "a ", "A", "\u{e9}", "e\u{301}", " a"];
    for (i, key) in variants.iter().enumerate() {
        app.put(key, json!(i)).await;
    }
    for (i, key) in variants.iter().enumerate() {
        let record = app.result("records.get", json!([key])).await;
        assert_eq!(
            (record["key"].as_str(), &record["value"]),
            (Some(*key), &json!(i))
        );
    }
    let mut sorted: Vec<&str> = variants.to_vec();
    sorted.sort_unstable();
    let list = app.result("records.list", json!([])).await;
    assert_eq!(keys(&list), sorted, "ordered bytewise");
    assert_eq!(app.result("records.delete", json!(["a "])).await, true);
    let list = app.result("records.list", json!([])).await;
    assert_eq!(list.as_array().unwrap().len(), variants.len() - 1);
    assert_eq!(app.result("records.get", json!(["a"])).await["value"], 0);
    let delta = app.result("records.changes", json!([variants.len()])).await;
    assert_eq!(delta["deletes"], json!(["a "]));
}

crate::on_backends!(
    center:
    keys_are_byte_exact,
    put_get_list_delete,
    refused_writes_take_no_revision,
    values_and_keys_round_trip,
    named_params_work_too,
);

/// A MariaDB/MySQL database from before keys were byte-exact keeps its
/// records, byte for byte, through the migration that makes them so.
#[cfg(feature = "mysql")]
#[actix_web::test]
async fn mysql_keys_keep_their_bytes_through_the_migration() {
    use diesel::{Connection, RunQueryDsl};
    use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
    const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");

    let Some(db) = crate::helpers::TestDb::create_bare(crate::helpers::Backend::Mysql) else {
        return;
    };
    let mut conn = diesel::MysqlConnection::establish(db.url.connection_string()).unwrap();
    for _ in 0..2 {
        conn.run_next_migration(MIGRATIONS).unwrap(); // records, then users
    }
    diesel::sql_query(
        "INSERT INTO records (`key`, value, revision, updated_at_us, born) \
         VALUES ('a', '\"plain\"', 1, 0, 1), ('\u{e9}t\u{e9}', '\"accented\"', 2, 0, 2)",
    )
    .execute(&mut conn)
    .unwrap();
    diesel::sql_query("UPDATE meta SET value = 2 WHERE name = 'revision'")
        .execute(&mut conn)
        .unwrap();
    drop(conn);
    crate::helpers::add_test_users(&db.url); // migrates the rest
    let app = TestApp::builder()
        .center()
        .database(db.url.clone(), Some(db))
        .spawn()
        .await;
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        "plain"
    );
    assert_eq!(
        app.result("records.get", json!(["\u{e9}t\u{e9}"])).await["value"],
        "accented"
    );
    assert_eq!(app.put("a ", json!("spaced")).await, 3);
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        "plain"
    );
    assert_eq!(
        keys(&app.result("records.list", json!([])).await),
        ["a", "a ", "\u{e9}t\u{e9}"]
    );
}
