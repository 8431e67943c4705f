//! Upgrading a database made before namespaces: every record lands in
//! `default` with its revision, history starts from the live records, and
//! every user keeps what it could do, and the namespace's digest is computed
//! at the first start, on every backend.

use serde_json::json;
use syncdict::edge::state::TickReport;

use crate::helpers::{Backend, TestApp, TestDb};

async fn records_and_users_survive_the_namespace_migration(backend: Backend) {
    let Some(db) = TestDb::create_bare(backend) else {
        return;
    };
    let settings = syncdict::configuration::DatabaseSettings {
        url: db.url.clone(),
        ..Default::default()
    };
    syncdict::db::upgrade::migrate_through(&settings, "2026-11-29-000003").unwrap();
    let key = if backend == Backend::Mysql {
        "`key`"
    } else {
        "key"
    };
    let yes = if backend == Backend::Sqlite {
        "1"
    } else {
        "TRUE"
    };
    let no = if backend == Backend::Sqlite {
        "0"
    } else {
        "FALSE"
    };
    // Recent, so the upkeep at start keeps the tombstone.
    let t = syncdict::domain::now_us();
    for sql in [
        format!(
            "INSERT INTO records ({key}, value, revision, updated_at_us, deleted, born, gone) VALUES \
             ('a', '1', 1, {t}, {no}, 1, 0), ('b', '\"x\"', 3, {t}, {no}, 2, 0), ('gone', 'null', 4, {t}, {yes}, 2, 0)"
        ),
        "UPDATE meta SET value = 4 WHERE name = 'revision'".to_string(),
        format!(
            "INSERT INTO users (username, password_hash, can_write, created_at_us) VALUES \
             ('tester', '{}', {yes}, 0), ('reader', '{}', {no}, 0)",
            syncdict::auth::password::hash(crate::helpers::WRITER.1).unwrap(),
            syncdict::auth::password::hash(crate::helpers::READER.1).unwrap(),
        ),
    ] {
        syncdict::db::upgrade::execute(&settings, &sql).unwrap();
    }
    let (signing_key, public) = crate::signed::signing_key();
    let app = TestApp::builder()
        .center()
        .database(db.url.clone(), Some(db))
        .with(move |s| s.server.signing_key_file = Some(signing_key))
        .spawn()
        .await;
    let list = app.result("records.list", json!(["default"])).await;
    assert_eq!(
        list.as_array()
            .unwrap()
            .iter()
            .map(|r| (r["key"].clone(), r["value"].clone(), r["revision"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!("a"), json!(1), json!(1)),
            (json!("b"), json!("x"), json!(3))
        ]
    );
    let namespaces = app.result("namespaces.list", json!([])).await;
    assert_eq!(namespaces[0]["name"], "default");
    assert_eq!(namespaces[0]["records"], 2);
    assert_eq!(namespaces[0]["bytes"], 1 + 1 + 1 + 3);
    assert_eq!(namespaces[0]["revision"], 4);
    // History starts at the upgrade: the state then can be rebuilt.
    let at = app.result("records.at", json!([4])).await;
    assert_eq!(
        at["records"],
        json!([{"key": "a", "value": 1}, {"key": "b", "value": "x"}])
    );
    assert_eq!(app.error("records.at", json!([3])).await.0, -32010);
    // A delta from before the upgrade still reports the tombstone.
    let delta = app.result("records.changes", json!([3])).await;
    assert_eq!(delta["deletes"], json!(["gone"]), "{delta}");
    // The writer still writes (WRITER), the reader still may not.
    assert_eq!(app.put("c", json!(2)).await, 5);
    let (status, _) = app
        .call_as(Some(crate::helpers::READER), "records.put", json!(["d", 1]))
        .await;
    assert_eq!(status, 403);
    let history = app.result("records.history", json!(["c"])).await;
    assert_eq!(history[0]["author"], "tester");
    // The digest of the upgraded records was computed at start and kept
    // by the write since: an edge verifies the center's signature of it.
    let edge = TestApp::builder()
        .edge(vec![app.rpc_url()])
        .with(move |s| s.client.verify_keys = vec![public])
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/c").await, json!(2));
}

crate::on_backends!(records_and_users_survive_the_namespace_migration);
