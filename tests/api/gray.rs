//! Gray releases over RPC on every backend: create, list, get, widen,
//! abort, their history, who may do what, and their bounds.

use serde_json::{json, Value};

use crate::helpers::{TestApp, ADMIN, READER, WRITER};

const CREDENTIALS_REQUIRED: i64 = -32003;
const PERMISSION_DENIED: i64 = -32004;
const NO_SUCH_NAMESPACE: i64 = -32008;
const REVIEW_REQUIRED: i64 = -32013;
const NO_SUCH_RELEASE: i64 = -32016;
const RELEASE_REFUSED: i64 = -32017;
const CONFLICT: i64 = -32009;
const INVALID_PARAMS: i64 = -32602;

async fn ok(app: &TestApp, user: (&str, &str), method: &str, params: Value) -> Value {
    let (_, reply) = app.call_as(Some(user), method, params).await;
    reply
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method} failed: {reply}"))
}

async fn code(app: &TestApp, user: Option<(&str, &str)>, method: &str, params: Value) -> i64 {
    let (_, reply) = app.call_as(user, method, params).await;
    reply["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("{method} succeeded: {reply}"))
}

async fn geo(app: &TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["a", 1, "geo"])).await;
}

async fn create(app: &TestApp, target: Value) -> i64 {
    let params = json!(["geo", {"upserts": {"a": 2, "b": "new"}}, target, "try it on a few"]);
    ok(app, WRITER, "gray.create", params).await["id"]
        .as_i64()
        .expect("an id")
}

async fn a_release_from_create_to_abort(app: TestApp) {
    geo(&app).await;
    let id = create(&app, json!({"edges": ["edge-1", "edge-2"]})).await;
    let got = ok(&app, READER, "gray.get", json!([id])).await;
    assert_eq!(got["namespace"], "geo");
    assert_eq!(got["state"], "active");
    assert_eq!(got["author"], WRITER.0);
    assert_eq!(got["target"], json!({"edges": ["edge-1", "edge-2"]}));
    assert_eq!(got["changes"]["upserts"]["b"], "new");
    assert_eq!(got["version"], 1);
    assert_eq!(got["base_revision"], 1, "made on the namespace's revision");
    assert_eq!(got["members"], json!([]), "no edge has pulled geo");
    assert_eq!(got["steps"][0]["action"], "created");
    // The main line is untouched.
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        1
    );

    // Widened to a percentage, then aborted: each a step of its history.
    let widened = ok(
        &app,
        WRITER,
        "gray.update",
        json!([id, {"percent": 12.5}, "wider"]),
    )
    .await;
    assert_eq!(widened["target"], json!({"percent": 12.5}));
    assert_eq!(widened["version"], 2);
    let aborted = ok(&app, WRITER, "gray.abort", json!([id, "bad value"])).await;
    assert_eq!(aborted["state"], "aborted");
    assert_eq!(aborted["reason"], "bad value");
    assert_eq!(aborted["closed_by"], WRITER.0);
    let steps = ok(&app, ADMIN, "gray.get", json!([id])).await["steps"].clone();
    let actions: Vec<&str> = steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["created", "retargeted", "aborted"]);
    assert_eq!(steps[1]["reason"], "wider");
    // An ended release takes no more steps.
    for (method, params) in [
        ("gray.abort", json!([id])),
        ("gray.update", json!([id, {"percent": 50}])),
    ] {
        assert_eq!(
            code(&app, Some(WRITER), method, params).await,
            RELEASE_REFUSED
        );
    }
    let listed = ok(&app, READER, "gray.list", json!(["geo"])).await;
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(
        listed[0].get("steps").is_none(),
        "the list shows no history"
    );
    let active = ok(&app, READER, "gray.list", json!({"state": "active"})).await;
    assert_eq!(active, json!([]));
}

async fn who_may_do_what(app: TestApp) {
    geo(&app).await;
    let id = create(&app, json!({"labels": {"region": "eu"}})).await;
    let create_params = json!(["geo", {"upserts": {"a": 3}}, {"percent": 1}]);
    assert_eq!(
        code(&app, None, "gray.create", create_params.clone()).await,
        CREDENTIALS_REQUIRED
    );
    assert_eq!(
        code(&app, Some(READER), "gray.create", create_params).await,
        PERMISSION_DENIED
    );
    assert_eq!(
        code(&app, Some(READER), "gray.abort", json!([id])).await,
        PERMISSION_DENIED
    );
    assert_eq!(
        code(&app, None, "gray.get", json!([id])).await,
        CREDENTIALS_REQUIRED
    );
    assert_eq!(
        code(&app, None, "gray.list", json!([])).await,
        CREDENTIALS_REQUIRED
    );
    assert_eq!(
        code(&app, Some(READER), "gray.get", json!([id + 1])).await,
        NO_SUCH_RELEASE
    );
    // The release stayed as it was.
    assert_eq!(
        ok(&app, READER, "gray.get", json!([id])).await["state"],
        "active"
    );
}

async fn targets_and_bounds(app: TestApp) {
    geo(&app).await;
    for target in [
        json!({"percent": 101}),
        json!({"edges": []}),
        json!({"edges": ["not a name"]}),
        json!({"labels": {}}),
        json!({"percent": 5, "edges": ["x"]}),
        json!("everyone"),
    ] {
        let params = json!(["geo", {"upserts": {"a": 2}}, target.clone()]);
        assert_eq!(
            code(&app, Some(WRITER), "gray.create", params).await,
            INVALID_PARAMS,
            "{target}"
        );
    }
    let nothing = json!(["geo", {"upserts": {}}, {"percent": 5}]);
    assert_eq!(
        code(&app, Some(WRITER), "gray.create", nothing).await,
        INVALID_PARAMS
    );
    let elsewhere = json!(["nowhere", {"upserts": {"a": 2}}, {"percent": 5}]);
    assert_eq!(
        code(&app, Some(ADMIN), "gray.create", elsewhere).await,
        NO_SUCH_NAMESPACE
    );
    // Sixteen active releases on one namespace at most.
    for i in 0..16 {
        create(&app, json!({"edges": [format!("edge-{i}")]})).await;
    }
    let one_more = json!(["geo", {"upserts": {"a": 2}}, {"percent": 5}]);
    assert_eq!(
        code(&app, Some(WRITER), "gray.create", one_more).await,
        RELEASE_REFUSED
    );
    // A namespace that requires reviews takes no gray release.
    app.result("namespaces.create", json!(["reviewed"])).await;
    let policy = json!(["reviewed", {"reviews_required": 1}]);
    ok(&app, ADMIN, "namespaces.set_policy", policy).await;
    let params = json!(["reviewed", {"upserts": {"a": 2}}, {"percent": 5}]);
    assert_eq!(
        code(&app, Some(WRITER), "gray.create", params).await,
        REVIEW_REQUIRED
    );
    // A deleted namespace takes its releases with it.
    ok(&app, ADMIN, "namespaces.delete", json!(["geo", true])).await;
    assert_eq!(ok(&app, ADMIN, "gray.list", json!([])).await, json!([]));
}

async fn promote_makes_one_revision_or_names_the_conflict(app: TestApp) {
    geo(&app).await;
    let id = create(&app, json!({"percent": 10})).await;
    let before = app.result("namespaces.get", json!(["geo"])).await["revision"]
        .as_i64()
        .unwrap();
    let promoted = ok(&app, WRITER, "gray.promote", json!([id])).await;
    assert_eq!(promoted["revision"], before + 1, "one revision");
    assert_eq!(
        (promoted["upserts"].clone(), promoted["deletes"].clone()),
        (json!(2), json!(0))
    );
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        2
    );
    assert_eq!(
        app.result("records.get", json!(["b", "geo"])).await["value"],
        "new"
    );
    let got = ok(&app, READER, "gray.get", json!([id])).await;
    assert_eq!(got["state"], "promoted");
    assert_eq!(got["revision"], before + 1);
    assert_eq!(
        got["steps"].as_array().unwrap().last().unwrap()["action"],
        "promoted"
    );
    let audit = ok(&app, ADMIN, "audit.list", json!([before])).await;
    assert_eq!(audit[0]["method"], "gray.promote");
    assert_eq!(audit[0]["comment"], "try it on a few");
    // Once promoted, it takes no more steps.
    assert_eq!(
        code(&app, Some(WRITER), "gray.promote", json!([id])).await,
        RELEASE_REFUSED
    );
    assert_eq!(
        code(&app, Some(WRITER), "gray.abort", json!([id])).await,
        RELEASE_REFUSED
    );

    // A key it touches changed on the main line: refused, naming it, and
    // nothing is committed.
    let second = create(&app, json!({"percent": 10})).await;
    app.result("records.put", json!(["b", "main", "geo"])).await;
    let (_, reply) = app
        .call_as(Some(WRITER), "gray.promote", json!([second]))
        .await;
    assert_eq!(reply["error"]["code"], CONFLICT, "{reply}");
    assert!(
        reply["error"]["message"].as_str().unwrap().contains(": b;"),
        "{reply}"
    );
    assert_eq!(
        app.result("records.get", json!(["b", "geo"])).await["value"],
        "main"
    );
    assert_eq!(
        ok(&app, READER, "gray.get", json!([second])).await["state"],
        "active"
    );
    // A reader may not promote.
    assert_eq!(
        code(&app, Some(READER), "gray.promote", json!([second])).await,
        PERMISSION_DENIED
    );
}

crate::on_backends!(center:
    promote_makes_one_revision_or_names_the_conflict,
    a_release_from_create_to_abort,
    who_may_do_what,
    targets_and_bounds,
);
