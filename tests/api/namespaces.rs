//! Namespaces, change sets, history, rollback, audit, schemas and
//! per-namespace grants, on every backend.

use serde_json::{json, Value};
use syncdict::configuration::HumanDuration;
use syncdict::domain::Level;

use crate::helpers::{add_user, keys, TestApp, READER, WRITER};

const NO_SUCH_NAMESPACE: i64 = -32008;
const CONFLICT: i64 = -32009;
const OUT_OF_RANGE: i64 = -32010;
const NOT_EMPTY: i64 = -32011;
const EXISTS: i64 = -32012;
const INVALID_PARAMS: i64 = -32602;

async fn namespace(app: &TestApp, name: &str) -> Value {
    let all = app.result("namespaces.list", json!([])).await;
    all.as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == name)
        .cloned()
        .unwrap_or_else(|| panic!("no namespace {name} in {all}"))
}

async fn namespaces_keep_records_apart(app: TestApp) {
    assert_eq!(namespace(&app, "default").await["records"], 0);
    assert_eq!(
        app.result("namespaces.create", json!(["geo", "countries"]))
            .await,
        true
    );
    assert_eq!(
        app.error("namespaces.create", json!(["geo"])).await.0,
        EXISTS
    );
    assert_eq!(
        app.error("namespaces.create", json!(["Geo"])).await.0,
        INVALID_PARAMS
    );
    // One namespace alone: its namespaces.list row, without who changed it.
    let one = app.result("namespaces.get", json!(["geo"])).await;
    let mut listed = namespace(&app, "geo").await;
    let listed = listed.as_object_mut().unwrap();
    listed.remove("changed_by");
    listed.remove("changed_at");
    assert_eq!(one, json!(listed), "namespaces.get is its list row");
    assert_eq!(one["description"], "countries");
    for (name, code) in [("nowhere", NO_SUCH_NAMESPACE), ("Geo", INVALID_PARAMS)] {
        assert_eq!(app.error("namespaces.get", json!([name])).await.0, code);
    }

    app.put("a", json!(1)).await; // 1, default
    let r2 = app
        .result("records.put", json!(["a", {"x": 2}, "geo"]))
        .await;
    assert_eq!(r2, 2);
    app.result(
        "records.put",
        json!({"key": "b", "value": 3, "namespace": "geo"}),
    )
    .await; // 3

    assert_eq!(keys(&app.result("records.list", json!([])).await), ["a"]);
    assert_eq!(
        keys(&app.result("records.list", json!(["geo"])).await),
        ["a", "b"]
    );
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        json!({"x": 2})
    );
    assert_eq!(app.result("records.get", json!(["a"])).await["value"], 1);
    let geo = namespace(&app, "geo").await;
    assert_eq!(
        (
            geo["records"].clone(),
            geo["bytes"].clone(),
            geo["revision"].clone()
        ),
        (json!(2), json!(1 + 7 + 1 + 1), json!(3)),
        "{geo}"
    );
    assert_eq!(geo["description"], "countries");
    assert_eq!(geo["schema"], Value::Null);

    // The original form is the default namespace alone, deletes as keys.
    let original = app.result("records.changes", json!([0])).await;
    assert_eq!(keys(&original["upserts"]), ["a"]);
    let both = app
        .result("records.changes", json!([0, ["geo", "default"]]))
        .await;
    assert_eq!(both["full"], true);
    assert_eq!(keys(&both["namespaces"]["default"]["upserts"]), ["a"]);
    assert_eq!(keys(&both["namespaces"]["geo"]["upserts"]), ["a", "b"]);

    app.result("records.delete", json!(["b", "geo"])).await; // 4
    app.put("c", json!(4)).await; // 5
    let delta = app.result("records.changes", json!([3, ["geo"]])).await;
    assert_eq!(
        delta,
        json!({"revision": 5, "full": false, "namespaces": {"geo": {"upserts": [], "deletes": ["b"]}}})
    );
    let original = app.result("records.changes", json!([3])).await;
    assert_eq!(keys(&original["upserts"]), ["c"]);
    assert_eq!(
        original["deletes"],
        json!([]),
        "geo's delete is not default's"
    );

    let (code, message) = app.error("records.changes", json!([0, ["nope"]])).await;
    assert_eq!(code, NO_SUCH_NAMESPACE, "{message}");
    assert_eq!(
        app.error("records.list", json!(["nope"])).await.0,
        NO_SUCH_NAMESPACE
    );
    assert_eq!(
        app.error("records.put", json!(["k", 1, "nope"])).await.0,
        NO_SUCH_NAMESPACE
    );

    assert_eq!(
        app.error("namespaces.delete", json!(["geo"])).await.0,
        NOT_EMPTY
    );
    assert_eq!(
        app.error("namespaces.delete", json!(["default", true]))
            .await
            .0,
        INVALID_PARAMS
    );
    let gone = app.result("namespaces.delete", json!(["geo", true])).await;
    assert_eq!(gone, json!({"revision": 6, "records": 1}));
    assert_eq!(
        app.error("records.list", json!(["geo"])).await.0,
        NO_SUCH_NAMESPACE
    );
    assert_eq!(
        app.result("namespaces.create", json!(["empty"])).await,
        true
    );
    assert_eq!(
        app.result("namespaces.delete", json!(["empty"])).await["records"],
        0
    );
}

async fn change_sets_commit_whole_or_not_at_all(app: TestApp) {
    app.put("old", json!(0)).await; // 1
    let applied = app
        .result(
            "records.apply",
            json!([{"upserts": {"a": 1, "b": [2]}, "deletes": ["old", "never-was"]}]),
        )
        .await;
    assert_eq!(applied, json!({"revision": 2, "upserts": 2, "deletes": 1}));
    let list = app.result("records.list", json!([])).await;
    assert_eq!(keys(&list), ["a", "b"]);
    assert!(list.as_array().unwrap().iter().all(|r| r["revision"] == 2));

    // Optimistic concurrency: refused once the namespace moved on.
    let stale = app
        .error(
            "records.apply",
            json!({"changes": {"upserts": {"a": 9}}, "if_revision": 1}),
        )
        .await;
    assert_eq!(stale.0, CONFLICT, "{}", stale.1);
    assert!(stale.1.contains("revision 2"), "{}", stale.1);
    let fresh = app
        .result(
            "records.apply",
            json!({"changes": {"upserts": {"a": 9}}, "if_revision": 2}),
        )
        .await;
    assert_eq!(fresh["revision"], 3);

    // Nothing to change takes no revision.
    let nothing = app
        .result("records.apply", json!([{"deletes": ["never-was"]}]))
        .await;
    assert_eq!(
        nothing,
        json!({"revision": null, "upserts": 0, "deletes": 0})
    );

    for bad in [
        json!([{"upserts": {"a": 1}, "deletes": ["a"]}]),
        json!([{"upserts": [1]}]),
        json!([{"upserts": {"": 1}}]),
        json!([{"other": 1}]),
        json!([[]]),
    ] {
        assert_eq!(
            app.error("records.apply", bad.clone()).await.0,
            INVALID_PARAMS,
            "{bad}"
        );
    }
    assert_eq!(
        app.result("records.changes", json!([0])).await["revision"],
        3
    );
}

async fn schemas_refuse_bad_values(app: TestApp) {
    app.result("namespaces.create", json!(["ports"])).await;
    app.result("records.put", json!(["web", {"port": 80}, "ports"]))
        .await;
    app.result("records.put", json!(["odd", {"port": "x"}, "ports"]))
        .await;
    let schema = json!({
        "type": "object",
        "properties": {"port": {"type": "integer", "minimum": 1, "maximum": 65535}},
        "required": ["port"]
    });
    let (code, message) = app
        .error("namespaces.set_schema", json!(["ports", schema]))
        .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(message.contains("\"odd\" at /port"), "{message}");
    assert_eq!(
        namespace(&app, "ports").await["schema"],
        Value::Null,
        "nothing set"
    );

    let (code, message) = app
        .error(
            "namespaces.set_schema",
            json!(["ports", {"type": "no-such-type"}]),
        )
        .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(message.contains("invalid JSON Schema"), "{message}");

    app.result("records.delete", json!(["odd", "ports"])).await;
    assert_eq!(
        app.result("namespaces.set_schema", json!(["ports", schema]))
            .await,
        true
    );
    assert_eq!(namespace(&app, "ports").await["schema"], schema);

    let (code, message) = app
        .error("records.put", json!(["ssh", {"port": 70000}, "ports"]))
        .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(
        message.contains("\"ssh\" at /port") && message.contains("65535"),
        "{message}"
    );
    let before = namespace(&app, "ports").await["revision"].clone();
    let (code, message) = app
        .error(
            "records.apply",
            json!({"changes": {"upserts": {"ok": {"port": 22}, "bad": {}}}, "namespace": "ports"}),
        )
        .await;
    assert_eq!(code, INVALID_PARAMS);
    assert!(message.contains("\"bad\""), "{message}");
    assert_eq!(
        namespace(&app, "ports").await["revision"],
        before,
        "none of it committed"
    );
    assert_eq!(
        app.error("records.get", json!(["ok", "ports"])).await.0,
        -32002
    );

    // Other namespaces are not bound by it; clearing it lifts it.
    app.put("free", json!({"port": "any"})).await;
    assert_eq!(
        app.result("namespaces.set_schema", json!(["ports", null]))
            .await,
        true
    );
    app.result("records.put", json!(["ssh", {"port": 70000}, "ports"]))
        .await;
}

async fn history_rollback_and_audit(app: TestApp) {
    app.put("a", json!(1)).await; // 1
    app.put("b", json!(1)).await; // 2
    app.put("a", json!(2)).await; // 3
    app.result("records.delete", json!(["b"])).await; // 4
    app.put("c", json!(3)).await; // 5

    let history = app.result("records.history", json!(["a"])).await;
    let revisions: Vec<i64> = history
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["revision"].as_i64().unwrap())
        .collect();
    assert_eq!(revisions, [3, 1], "newest first");
    assert_eq!(history[0]["value"], 2);
    assert_eq!(history[0]["author"], WRITER.0);
    assert!(history[0]["at"].as_str().unwrap().ends_with('Z'));
    let b = app
        .result("records.history", json!({"key": "b", "limit": 1}))
        .await;
    assert_eq!(
        b,
        json!([{"revision": 4, "value": null, "deleted": true, "author": WRITER.0, "at": b[0]["at"]}])
    );

    let then = app.result("records.at", json!([2])).await;
    assert_eq!(
        then["records"],
        json!([{"key": "a", "value": 1}, {"key": "b", "value": 1}])
    );
    assert_eq!(
        app.result("records.at", json!([0])).await["records"],
        json!([])
    );
    assert_eq!(app.error("records.at", json!([99])).await.0, OUT_OF_RANGE);

    // A dry run answers the change set and commits nothing; a rollback
    // told the namespace's revision is refused once it moved.
    let plan = app
        .result(
            "namespaces.rollback",
            json!({"namespace": "default", "revision": 2, "dry_run": true}),
        )
        .await;
    assert_eq!(
        plan,
        json!({"dry_run": true, "upserts": {"a": 1, "b": 1}, "deletes": ["c"], "expires_at": {}})
    );
    assert_eq!(
        app.result("records.changes", json!([5])).await["revision"],
        5
    );
    let (code, _) = app
        .error("namespaces.rollback", json!(["default", 2, 4]))
        .await;
    assert_eq!(code, -32009, "changed at 5, after the 4 given");
    let timeline = app
        .result(
            "namespaces.timeline",
            json!({"namespace": "default", "limit": 2}),
        )
        .await;
    let revisions: Vec<&Value> = timeline
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["revision"])
        .collect();
    assert_eq!(revisions, [&json!(5), &json!(4)], "newest first");
    let older = app
        .result(
            "namespaces.timeline",
            json!({"namespace": "default", "before": 4}),
        )
        .await;
    assert_eq!(older.as_array().unwrap().len(), 3);
    assert_eq!(older[0]["method"], "records.put");

    // Rollback to revision 2: one new revision; edges see an ordinary change.
    let rolled = app
        .result("namespaces.rollback", json!(["default", 2, 5]))
        .await;
    assert_eq!(rolled, json!({"revision": 6, "upserts": 2, "deletes": 1}));
    let now = app.result("records.list", json!([])).await;
    let pairs: Vec<(String, Value)> = now
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect();
    assert_eq!(
        pairs,
        [("a".to_string(), json!(1)), ("b".to_string(), json!(1))]
    );
    let delta = app.result("records.changes", json!([5])).await;
    assert_eq!(keys(&delta["upserts"]), ["a", "b"]);
    assert_eq!(delta["deletes"], json!(["c"]));
    // Rolling forward again, to before the rollback.
    let forward = app
        .result("namespaces.rollback", json!(["default", 5]))
        .await;
    assert_eq!(forward["revision"], 7);
    assert_eq!(
        keys(&app.result("records.list", json!([])).await),
        ["a", "c"]
    );

    let audit = app.result("audit.list", json!([5])).await;
    assert_eq!(audit.as_array().unwrap().len(), 2);
    assert_eq!(audit[0]["revision"], 6);
    assert_eq!(audit[0]["method"], "namespaces.rollback");
    assert_eq!(audit[0]["namespace"], "default");
    assert_eq!(audit[0]["keys"], 3);
    assert_eq!(audit[0]["author"], WRITER.0);
    assert_eq!(audit[0]["address"], "127.0.0.1");
    let newest = app.result("audit.list", json!({"limit": 3})).await;
    let revisions: Vec<&Value> = newest
        .as_array()
        .unwrap()
        .iter()
        .map(|e| &e["revision"])
        .collect();
    assert_eq!(revisions, [&json!(5), &json!(6), &json!(7)]);
    let (status, _) = app.call_as(None, "audit.list", json!([])).await;
    assert_eq!(status, 401, "the audit log needs a user");
    let (status, reply) = app.call_as(Some(READER), "audit.list", json!([])).await;
    assert_eq!(status, 200, "{reply}");
}

async fn upkeep_forgets_history_past_its_retention(app: TestApp) {
    app.put("a", json!(1)).await; // 1
    app.put("a", json!(2)).await; // 2
    app.put("b", json!(1)).await; // 3
    app.result("records.delete", json!(["b"])).await; // 4
                                                      // A zero retention: everything committed so far is old.
    let purged = app.maintenance().upkeep().await.unwrap();
    assert_eq!(purged.history, 3, "a's first write, b's write and delete");
    let history = app.result("records.history", json!(["a"])).await;
    assert_eq!(history.as_array().unwrap().len(), 1, "the base is kept");
    assert_eq!(app.error("records.at", json!([3])).await.0, OUT_OF_RANGE);
    let at = app.result("records.at", json!([4])).await;
    assert_eq!(at["records"], json!([{"key": "a", "value": 2}]));
    app.put("c", json!(1)).await; // 5
    assert_eq!(app.result("records.at", json!([4])).await, at);
    assert_eq!(
        app.result("audit.list", json!([]))
            .await
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

async fn grants_are_per_namespace(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    let url = app.database_url().expect("own database").clone();
    let geo_writer = ("geowriter", "geowriter-password");
    add_user(&url, geo_writer, &[("geo", Level::Write)]);
    let as_geo = |method: &'static str, params: Value| {
        let app = &app;
        async move { app.call_as(Some(geo_writer), method, params).await }
    };
    let (status, reply) = as_geo("records.put", json!(["k", 1, "geo"])).await;
    assert_eq!(
        (status, reply["result"].clone()),
        (200, json!(1)),
        "{reply}"
    );
    let (status, reply) = as_geo("records.put", json!(["k", 1])).await;
    assert_eq!(status, 403, "{reply}");
    assert!(
        reply["error"]["message"]
            .as_str()
            .unwrap()
            .contains("namespace \"default\""),
        "{reply}"
    );
    let (status, _) = as_geo("namespaces.create", json!(["more"])).await;
    assert_eq!(status, 403, "creating namespaces needs '*' write");
    // In a batch, each element is judged on its own namespace.
    let batch = json!([
        {"jsonrpc": "2.0", "method": "records.put", "params": ["x", 1, "geo"], "id": 1},
        {"jsonrpc": "2.0", "method": "records.apply", "params": [{"upserts": {"x": 1}}], "id": 2}
    ]);
    let response = app
        .post_as(Some(geo_writer), "application/json", batch.to_string())
        .await;
    let replies: Value = response.json().await.unwrap();
    assert!(replies[0]["result"].is_i64(), "{replies}");
    assert_eq!(replies[1]["error"]["code"], -32004, "{replies}");
    // Reads are public by default, so a geo-only user reads default too.
    let (status, _) = as_geo("records.list", json!([])).await;
    assert_eq!(status, 200);
}

async fn private_reads_follow_grants(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    let url = app.database_url().expect("own database").clone();
    let geo_reader = ("georeader", "georeader-password");
    add_user(&url, geo_reader, &[("geo", Level::Read)]);
    let (status, _) = app
        .call_as(Some(geo_reader), "records.list", json!(["geo"]))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .call_as(Some(geo_reader), "records.list", json!([]))
        .await;
    assert_eq!(status, 403);
    let (status, _) = app
        .call_as(
            Some(geo_reader),
            "records.changes",
            json!([0, ["geo", "default"]]),
        )
        .await;
    assert_eq!(status, 403, "every namespace asked for must be readable");
    let get = async |name: &str| {
        let asked = app.call_as(Some(geo_reader), "namespaces.get", json!([name]));
        asked.await.0
    };
    assert_eq!((get("geo").await, get("default").await), (200, 403));
    let (status, _) = app
        .call_as(Some(READER), "records.list", json!(["geo"]))
        .await;
    assert_eq!(status, 200, "a '*' reader reads every namespace");
}

crate::on_backends!(
    center:
    namespaces_keep_records_apart,
    change_sets_commit_whole_or_not_at_all,
    schemas_refuse_bad_values,
    history_rollback_and_audit,
    grants_are_per_namespace,
);

mod tuned {
    use super::*;
    use syncdict::configuration::Settings;

    /// A fresh center of `backend` with `tweak` applied, if that backend is
    /// configured.
    async fn center(
        backend: crate::helpers::Backend,
        tweak: impl FnOnce(&mut Settings) + 'static,
    ) -> Option<TestApp> {
        TestApp::builder()
            .center()
            .backend(backend)
            .with(tweak)
            .try_spawn()
            .await
    }

    async fn with_zero_retention(backend: crate::helpers::Backend) {
        let Some(app) = center(backend, |s| {
            s.server.history_retention = HumanDuration(std::time::Duration::ZERO)
        })
        .await
        else {
            return;
        };
        upkeep_forgets_history_past_its_retention(app).await;
    }

    async fn with_private_reads(backend: crate::helpers::Backend) {
        let Some(app) = center(backend, |s| {
            s.server.read_access = syncdict::configuration::ReadAccess::Users
        })
        .await
        else {
            return;
        };
        private_reads_follow_grants(app).await;
    }

    async fn without_history(backend: crate::helpers::Backend) {
        let Some(app) = center(backend, |s| s.server.keep_history = false).await else {
            return;
        };
        app.put("a", json!(1)).await;
        let applied = app
            .result("records.apply", json!([{"upserts": {"b": 2}}]))
            .await;
        assert_eq!(applied["revision"], 2);
        for (method, params) in [
            ("records.history", json!(["a"])),
            ("records.at", json!([1])),
            ("namespaces.rollback", json!(["default", 1])),
            ("audit.list", json!([])),
        ] {
            let (code, message) = app.error(method, params).await;
            assert_eq!(code, INVALID_PARAMS, "{method}");
            assert!(message.contains("server.keep_history"), "{message}");
        }
    }

    crate::on_backends!(with_zero_retention, with_private_reads, without_history);
}
