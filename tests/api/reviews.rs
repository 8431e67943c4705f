//! Review before publish on every backend: a namespace's policy refuses
//! every direct write path, and change requests go from proposal through
//! reviews to one published revision (or a conflict, a rejection, a
//! withdrawal, a break-glass publish).

use serde_json::{json, Value};
use syncdict::center::Center;
use syncdict::changes::Propose;
use syncdict::domain::Level;
use syncdict::rpc::method::RpcMethod;

use crate::helpers::{add_user, TestApp, ADMIN, READER, WRITER};

const CREDENTIALS_REQUIRED: i64 = -32003;
const PERMISSION_DENIED: i64 = -32004;
const CONFLICT: i64 = -32009;
const REVIEW_REQUIRED: i64 = -32013;
const NO_SUCH_REQUEST: i64 = -32014;
const REQUEST_REFUSED: i64 = -32015;
const INVALID_PARAMS: i64 = -32602;

/// A second writer of `geo`, to review what `WRITER` proposes.
pub(crate) const CAROL: (&str, &str) = ("carol", "carol-password");

/// The reply of `method` as `user`.
async fn as_user(app: &TestApp, user: (&str, &str), method: &str, params: Value) -> Value {
    let (_, reply) = app.call_as(Some(user), method, params).await;
    reply
}

pub(crate) async fn ok(app: &TestApp, user: (&str, &str), method: &str, params: Value) -> Value {
    let reply = as_user(app, user, method, params).await;
    reply
        .get("result")
        .cloned()
        .unwrap_or_else(|| panic!("{method} failed: {reply}"))
}

pub(crate) async fn refused(
    app: &TestApp,
    user: (&str, &str),
    method: &str,
    params: Value,
) -> (i64, String) {
    let reply = as_user(app, user, method, params).await;
    let error = reply
        .get("error")
        .unwrap_or_else(|| panic!("{method} succeeded: {reply}"));
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_string(),
    )
}

/// `geo` with `a = 1`, a policy of `required` reviews, and `CAROL`.
pub(crate) async fn reviewed_geo(app: &TestApp, required: i64) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["a", 1, "geo"])).await;
    let policy = json!(["geo", {"reviews_required": required}]);
    assert_eq!(ok(app, ADMIN, "namespaces.set_policy", policy).await, true);
    let url = app.database_url().expect("own database").clone();
    add_user(&url, CAROL, &[("geo", Level::Write)]);
}

pub(crate) async fn propose(app: &TestApp, changes: Value, comment: &str) -> i64 {
    let params = json!(["geo", changes, comment]);
    let proposed = ok(app, WRITER, "changes.propose", params).await;
    proposed["id"].as_i64().expect("an id")
}

async fn every_write_path_honours_the_policy(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    let first = app.result("records.put", json!(["a", 1, "geo"])).await;
    // Only administrators set a policy, and only a sound one.
    let set = |policy: Value| json!(["geo", policy]);
    let (code, _) = refused(
        &app,
        WRITER,
        "namespaces.set_policy",
        set(json!({"reviews_required": 1})),
    )
    .await;
    assert_eq!(code, PERMISSION_DENIED);
    for bad in [
        json!({"reviews_required": 4}),
        json!({"reviews_required": -1}),
        json!({"reviews": 1}),
        json!(1),
    ] {
        let (code, _) = refused(&app, ADMIN, "namespaces.set_policy", set(bad.clone())).await;
        assert_eq!(code, INVALID_PARAMS, "{bad}");
    }
    let (code, _) = refused(
        &app,
        ADMIN,
        "namespaces.set_policy",
        json!(["nowhere", {"reviews_required": 1}]),
    )
    .await;
    assert_eq!(code, -32008);
    ok(
        &app,
        ADMIN,
        "namespaces.set_policy",
        set(json!({"reviews_required": 1})),
    )
    .await;
    assert_eq!(
        app.result("namespaces.get", json!(["geo"])).await["reviews_required"],
        1
    );
    let listed = app.result("namespaces.list", json!([])).await;
    let geo = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "geo")
        .unwrap();
    assert_eq!(geo["reviews_required"], 1);

    let writes = [
        ("records.put", json!(["b", 2, "geo"])),
        (
            "records.put",
            json!({"key": "a", "value": 1, "namespace": "geo", "expires_in": 60}),
        ),
        ("records.apply", json!([{"upserts": {"b": 2}}, "geo"])),
        ("records.delete", json!(["a", "geo"])),
        (
            "namespaces.rollback",
            json!(["geo", first.as_i64().unwrap() - 1]),
        ),
    ];
    let propose_name = <Propose as RpcMethod<Center>>::SPEC.name;
    for (method, params) in writes {
        for user in [WRITER, ADMIN] {
            let (code, message) = refused(&app, user, method, params.clone()).await;
            assert_eq!(code, REVIEW_REQUIRED, "{method} as {}: {message}", user.0);
            assert!(
                message.contains(propose_name) && message.contains("1 approving"),
                "{message}"
            );
        }
    }
    // Nothing changed, and other namespaces take direct writes as before.
    assert_eq!(
        app.result("namespaces.get", json!(["geo"])).await["revision"],
        first
    );
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        1
    );
    app.put("elsewhere", json!(true)).await;
    // Back to 0: direct writes pass again.
    ok(
        &app,
        ADMIN,
        "namespaces.set_policy",
        set(json!({"reviews_required": 0})),
    )
    .await;
    app.result("records.put", json!(["b", 2, "geo"])).await;
}

async fn the_expirer_is_not_held_back(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result(
        "records.put",
        json!({"key": "t", "value": 1, "namespace": "geo", "expires_in": 60}),
    )
    .await;
    ok(
        &app,
        ADMIN,
        "namespaces.set_policy",
        json!(["geo", {"reviews_required": 2}]),
    )
    .await;
    let later = syncdict::domain::now_us() + 120_000_000;
    assert_eq!(
        app.maintenance().expire(later).await.unwrap(),
        1,
        "the expiry was reviewed with its record"
    );
    assert_eq!(
        app.error("records.get", json!(["t", "geo"])).await.0,
        -32002
    );
}

async fn a_change_request_from_proposal_to_publish(app: TestApp) {
    reviewed_geo(&app, 2).await;
    let id = propose(
        &app,
        json!({"upserts": {"a": 10, "b": 2}}),
        "raise a, add b",
    )
    .await;
    let shown = app.result("changes.get", json!([id])).await;
    assert_eq!(shown["state"], "open");
    assert_eq!(
        (shown["author"].clone(), shown["comment"].clone()),
        (json!("tester"), json!("raise a, add b"))
    );
    assert_eq!(shown["reviews_required"], 2);
    assert_eq!(shown["changes"]["upserts"], json!({"a": 10, "b": 2}));
    assert_eq!(
        shown["diff"],
        json!([
            {"key": "a", "old": 1, "new": 10, "change": "changed", "changed_since": false},
            {"key": "b", "old": null, "new": 2, "change": "added", "changed_since": false},
        ])
    );
    assert_eq!(shown["conflicts"], json!([]));
    // Who may see and review it.
    let (code, _) = app.call_as(None, "changes.get", json!([id])).await;
    assert_eq!(code, 401);
    assert_eq!(ok(&app, READER, "changes.get", json!([id])).await["id"], id);
    let (code, _) = refused(&app, READER, "changes.review", json!([id, "approve"])).await;
    assert_eq!(code, PERMISSION_DENIED);
    let (code, message) = refused(&app, WRITER, "changes.review", json!([id, "approve"])).await;
    assert_eq!(code, REQUEST_REFUSED, "{message}");
    let (code, _) = refused(&app, CAROL, "changes.review", json!([id, "lgtm"])).await;
    assert_eq!(code, INVALID_PARAMS);
    let (code, _) = refused(&app, CAROL, "changes.get", json!([id + 100])).await;
    assert_eq!(code, NO_SUCH_REQUEST);

    ok(
        &app,
        CAROL,
        "changes.review",
        json!([id, "approve", "looks right"]),
    )
    .await;
    let (code, message) = refused(&app, WRITER, "changes.publish", json!([id])).await;
    assert_eq!(code, REQUEST_REFUSED);
    assert!(message.contains("1 of the 2"), "{message}");
    ok(
        &app,
        ADMIN,
        "changes.review",
        json!([id, "approve", "ok by me"]),
    )
    .await;
    let published = ok(&app, WRITER, "changes.publish", json!([id])).await;
    assert_eq!(
        (published["upserts"].clone(), published["deletes"].clone()),
        (json!(2), json!(0))
    );
    let revision = published["revision"].clone();
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        10
    );
    assert_eq!(
        app.result("records.get", json!(["b", "geo"])).await["value"],
        2
    );

    let shown = app.result("changes.get", json!([id])).await;
    assert_eq!(
        (shown["state"].clone(), shown["revision"].clone()),
        (json!("published"), revision.clone())
    );
    assert_eq!(shown["approvals"], 2);
    let audit = ok(&app, ADMIN, "audit.list", json!([])).await;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["revision"] == revision)
        .unwrap()
        .clone();
    assert_eq!(
        (entry["author"].clone(), entry["comment"].clone()),
        (json!("tester"), json!("raise a, add b"))
    );
    assert_eq!(
        entry["review"],
        json!({"request": id, "proposer": "tester", "published_by": "tester", "approvals": [
            {"by": "carol", "comment": "looks right"}, {"by": "admin", "comment": "ok by me"}]})
    );
    let (code, message) = refused(&app, WRITER, "changes.publish", json!([id])).await;
    assert_eq!(code, REQUEST_REFUSED);
    assert!(message.contains("published"), "{message}");

    let open = app.result("changes.list", json!(["geo", "open"])).await;
    assert_eq!(open, json!([]));
    let all = ok(&app, READER, "changes.list", json!([])).await;
    assert_eq!(all.as_array().unwrap().len(), 1);
    assert_eq!(all[0]["id"], id);
}

async fn a_publish_that_conflicts(app: TestApp) {
    reviewed_geo(&app, 1).await;
    let stale = propose(&app, json!({"upserts": {"a": 2, "c": 3}}), "a and c").await;
    let untouched = propose(&app, json!({"upserts": {"d": 4}}), "d only").await;
    let first = propose(&app, json!({"upserts": {"a": 5}, "deletes": []}), "a first").await;
    for id in [stale, untouched, first] {
        ok(&app, CAROL, "changes.review", json!([id, "approve"])).await;
    }
    ok(&app, WRITER, "changes.publish", json!([first])).await;
    let shown = app.result("changes.get", json!([stale])).await;
    assert_eq!(shown["conflicts"], json!(["a"]));
    assert_eq!(
        shown["diff"][0],
        json!({"key": "a", "old": 5, "new": 2, "change": "changed", "changed_since": true})
    );
    let (code, message) = refused(&app, WRITER, "changes.publish", json!([stale])).await;
    assert_eq!(code, CONFLICT);
    assert!(
        message.contains("proposed: a;"),
        "only the key that changed: {message}"
    );
    assert_eq!(
        app.result("changes.get", json!([stale])).await["state"],
        "open"
    );
    assert_eq!(
        app.error("records.get", json!(["c", "geo"])).await.0,
        -32002,
        "refused whole"
    );
    // A key that did not change never blocks a publish.
    let d = ok(&app, WRITER, "changes.publish", json!([untouched])).await;
    assert_eq!(
        app.result("records.get", json!(["d", "geo"])).await["value"],
        4
    );
    // A request that changes nothing is closed without taking a revision.
    let same = propose(&app, json!({"deletes": ["never-there"]}), "nothing").await;
    ok(&app, CAROL, "changes.review", json!([same, "approve"])).await;
    let nothing = ok(&app, WRITER, "changes.publish", json!([same])).await;
    assert_eq!(nothing["revision"], Value::Null);
    let shown = app.result("changes.get", json!([same])).await;
    assert_eq!(
        (shown["state"].clone(), shown["revision"].clone()),
        (json!("published"), Value::Null)
    );
    let next = app.put("elsewhere", json!(1)).await;
    assert_eq!(
        next,
        d["revision"].as_i64().unwrap() + 1,
        "no revision was skipped"
    );
}

async fn rejected_withdrawn_and_break_glass(app: TestApp) {
    reviewed_geo(&app, 1).await;
    let rejected = propose(&app, json!({"deletes": ["a"]}), "drop a").await;
    ok(
        &app,
        CAROL,
        "changes.review",
        json!([rejected, "reject", "a is still used"]),
    )
    .await;
    let shown = app.result("changes.get", json!([rejected])).await;
    assert_eq!(
        (shown["state"].clone(), shown["closed_by"].clone()),
        (json!("rejected"), json!("carol"))
    );
    assert_eq!(shown["reviews"][0]["comment"], "a is still used");
    let (code, _) = refused(&app, WRITER, "changes.publish", json!([rejected])).await;
    assert_eq!(code, REQUEST_REFUSED);

    let withdrawn = propose(&app, json!({"upserts": {"x": 1}}), "").await;
    let (code, _) = refused(&app, CAROL, "changes.withdraw", json!([withdrawn])).await;
    assert_eq!(
        code, PERMISSION_DENIED,
        "only its author or an administrator"
    );
    assert_eq!(
        ok(&app, WRITER, "changes.withdraw", json!([withdrawn])).await,
        true
    );
    assert_eq!(
        app.result("changes.get", json!([withdrawn])).await["state"],
        "withdrawn"
    );

    let urgent = propose(&app, json!({"upserts": {"a": 99}}), "outage").await;
    let (code, _) = refused(
        &app,
        WRITER,
        "changes.publish",
        json!([urgent, "it is urgent"]),
    )
    .await;
    assert_eq!(
        code, PERMISSION_DENIED,
        "only administrators break the glass"
    );
    let (code, _) = refused(&app, ADMIN, "changes.publish", json!([urgent, "  "])).await;
    assert_eq!(code, INVALID_PARAMS, "a reason is stated");
    let published = ok(
        &app,
        ADMIN,
        "changes.publish",
        json!([urgent, "pager: eu down"]),
    )
    .await;
    let audit = ok(&app, ADMIN, "audit.list", json!([])).await;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["revision"] == published["revision"])
        .unwrap()
        .clone();
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains("syncdict_break_glass_total 1\n"),
        "{metrics}"
    );
    assert_eq!(entry["review"]["break_glass"], "pager: eu down");
    assert_eq!(entry["review"]["published_by"], "admin");
    assert_eq!(entry["review"]["approvals"], json!([]));

    // Empty change sets and anonymous proposals are refused.
    let (code, _) = refused(&app, WRITER, "changes.propose", json!(["geo", {}])).await;
    assert_eq!(code, INVALID_PARAMS);
    let (status, reply) = app
        .call_as(
            None,
            "changes.propose",
            json!(["geo", {"upserts": {"z": 1}}]),
        )
        .await;
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (401, json!(CREDENTIALS_REQUIRED))
    );
    // A deleted namespace takes its requests with it.
    ok(&app, ADMIN, "namespaces.delete", json!(["geo", true])).await;
    let (code, _) = refused(&app, ADMIN, "changes.get", json!([urgent])).await;
    assert_eq!(code, NO_SUCH_REQUEST);
}

crate::on_backends!(center:
    every_write_path_honours_the_policy,
    the_expirer_is_not_held_back,
    a_change_request_from_proposal_to_publish,
    a_publish_that_conflicts,
    rejected_withdrawn_and_break_glass,
);
