//! Gray releases on a namespace that requires reviews, on every backend:
//! `gray.create` is refused there, and an approved change request is
//! released with `changes.release`. The release carries the request:
//! promoting it (by hand or by its schedule) publishes the request in the
//! same revision, publishing the request promotes it, and rejecting or
//! withdrawing the request aborts it; a policy raised meanwhile holds the
//! promotion back until the approvals reach it.

use serde_json::{json, Value};
use syncdict::domain::{now_us, Decision, ReleaseId};
use syncdict::gray::auto::tick;

use crate::gray_views::pull_reporting;
use crate::helpers::{Backend, TestApp, ADMIN, WRITER};
use crate::reviews::{ok, propose, refused, reviewed_geo, CAROL};

const REVIEW_REQUIRED: i64 = -32013;
const REQUEST_REFUSED: i64 = -32015;

/// `geo` as edge `name` sees it, holding `held`: {key: value}.
async fn seen(app: &TestApp, name: &str, held: &[i64]) -> Value {
    let reply = pull_reporting(app, (Some(name), held), 0, Some("ok")).await;
    let upserts = reply["namespaces"]["geo"]["upserts"].as_array().unwrap();
    upserts
        .iter()
        .map(|r| (r["key"].as_str().unwrap().to_string(), r["value"].clone()))
        .collect::<serde_json::Map<_, _>>()
        .into()
}

/// A request for `changes`, approved by `CAROL`.
async fn approved(app: &TestApp, changes: Value) -> i64 {
    let id = propose(app, changes, "reviewed").await;
    ok(app, CAROL, "changes.review", json!([id, "approve", "fine"])).await;
    id
}

/// Releases request `id` to edge `e1`.
async fn release(app: &TestApp, id: i64) -> i64 {
    let params = json!([id, {"edges": ["e1"]}]);
    ok(app, WRITER, "changes.release", params).await["id"]
        .as_i64()
        .unwrap()
}

/// Sets `ns`'s review policy to `required` approvals.
async fn policy(app: &TestApp, ns: &str, required: i64) {
    let params = json!([ns, {"reviews_required": required}]);
    ok(app, ADMIN, "namespaces.set_policy", params).await;
}

async fn get(app: &TestApp, method: &str, id: i64) -> Value {
    ok(app, WRITER, method, json!([id])).await
}

async fn a_released_request_is_published_by_its_promotion(app: TestApp) {
    reviewed_geo(&app, 1).await;
    let base = app.result("namespaces.get", json!(["geo"])).await["revision"].clone();
    let direct = json!(["geo", {"upserts": {"a": 2}}, {"edges": ["e1"]}]);
    let (code, message) = refused(&app, WRITER, "gray.create", direct).await;
    assert_eq!(code, REVIEW_REQUIRED);
    assert!(message.contains("changes.release"), "{message}");

    let id = propose(&app, json!({"upserts": {"a": 10}}), "raise a").await;
    let early = json!([id, {"edges": ["e1"]}]);
    let (code, message) = refused(&app, WRITER, "changes.release", early).await;
    assert_eq!(code, REQUEST_REFUSED);
    assert!(message.contains("0 of the 1"), "{message}");
    ok(&app, CAROL, "changes.review", json!([id, "approve", "ok"])).await;
    let rid = release(&app, id).await;
    let (code, message) =
        refused(&app, WRITER, "changes.release", json!([id, {"percent": 5}])).await;
    assert_eq!(code, REQUEST_REFUSED);
    assert!(message.contains(&format!("release {rid}")), "{message}");
    let shown = get(&app, "gray.get", rid).await;
    assert_eq!(
        (shown["request"].clone(), shown["base_revision"].clone()),
        (json!(id), base.clone())
    );
    assert_eq!(shown["comment"], "raise a");
    let request = get(&app, "changes.get", id).await;
    assert_eq!(request["release"], json!({"id": rid, "state": "active"}));

    // Only the edges it reaches see it.
    assert_eq!(seen(&app, "e1", &[]).await["a"], 10);
    assert_eq!(seen(&app, "e2", &[]).await["a"], 1);

    // Promoted: the request published at the same, one revision.
    let promoted = ok(&app, WRITER, "gray.promote", json!([rid])).await;
    let revision = promoted["revision"].clone();
    assert_eq!(revision, json!(base.as_i64().unwrap() + 1));
    let request = get(&app, "changes.get", id).await;
    assert_eq!(
        (request["state"].clone(), request["revision"].clone()),
        (json!("published"), revision.clone())
    );
    assert_eq!(request["release"]["state"], "promoted");
    let shown = get(&app, "gray.get", rid).await;
    assert_eq!(
        (shown["state"].clone(), shown["revision"].clone()),
        (json!("promoted"), revision.clone())
    );
    assert_eq!(
        app.result("records.get", json!(["a", "geo"])).await["value"],
        10
    );
    assert_eq!(
        app.result("namespaces.get", json!(["geo"])).await["revision"],
        revision
    );
    let audit = ok(&app, ADMIN, "audit.list", json!([])).await;
    let entry = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["revision"] == revision)
        .unwrap();
    assert_eq!(
        entry["review"],
        json!({"request": id, "proposer": "tester", "published_by": "tester",
               "approvals": [{"by": "carol", "comment": "ok"}]})
    );
    let (code, _) = refused(&app, WRITER, "changes.publish", json!([id])).await;
    assert_eq!(code, REQUEST_REFUSED);
}

async fn publishing_rejecting_or_withdrawing_ends_its_release(app: TestApp) {
    reviewed_geo(&app, 1).await;
    // Publishing the request promotes its release.
    let id = approved(&app, json!({"upserts": {"a": 20}})).await;
    let rid = release(&app, id).await;
    let published = ok(&app, WRITER, "changes.publish", json!([id])).await;
    let shown = get(&app, "gray.get", rid).await;
    assert_eq!(
        (shown["state"].clone(), shown["revision"].clone()),
        (json!("promoted"), published["revision"].clone())
    );

    // A rejection aborts it, and its edge is back on the main line.
    let id = approved(&app, json!({"upserts": {"b": 1}})).await;
    let rid = release(&app, id).await;
    assert_eq!(seen(&app, "e1", &[]).await["b"], 1);
    ok(&app, CAROL, "changes.review", json!([id, "reject", "no"])).await;
    let shown = get(&app, "gray.get", rid).await;
    assert_eq!(shown["state"], "aborted");
    assert_eq!(shown["reason"], format!("change request {id} rejected"));
    assert_eq!(seen(&app, "e1", &[rid]).await.get("b"), None);

    // So does a withdrawal.
    let id = approved(&app, json!({"upserts": {"c": 1}})).await;
    let rid = release(&app, id).await;
    ok(&app, WRITER, "changes.withdraw", json!([id])).await;
    let shown = get(&app, "gray.get", rid).await;
    assert_eq!(
        (shown["state"].clone(), shown["closed_by"].clone()),
        (json!("aborted"), json!("tester"))
    );

    // A policy raised meanwhile holds the promotion back; nothing changes.
    let id = approved(&app, json!({"upserts": {"d": 1}})).await;
    let rid = release(&app, id).await;
    let before = app.result("namespaces.get", json!(["geo"])).await["revision"].clone();
    policy(&app, "geo", 2).await;
    let (code, message) = refused(&app, WRITER, "gray.promote", json!([rid])).await;
    assert_eq!(code, REQUEST_REFUSED);
    assert!(
        message.contains(&format!("change request {id} has 1 of the 2")),
        "{message}"
    );
    assert_eq!(get(&app, "gray.get", rid).await["state"], "active");
    assert_eq!(
        app.result("namespaces.get", json!(["geo"])).await["revision"],
        before
    );
    ok(
        &app,
        ADMIN,
        "changes.review",
        json!([id, "approve", "me too"]),
    )
    .await;
    ok(&app, WRITER, "gray.promote", json!([rid])).await;
    assert_eq!(get(&app, "changes.get", id).await["state"], "published");

    // A release started before the policy is not promoted past it.
    app.result("namespaces.create", json!(["open"])).await;
    let params = json!(["open", {"upserts": {"x": 1}}, {"edges": ["e1"]}]);
    let plain = ok(&app, WRITER, "gray.create", params).await["id"].clone();
    policy(&app, "open", 1).await;
    let (code, _) = refused(&app, WRITER, "gray.promote", json!([plain])).await;
    assert_eq!(code, REVIEW_REQUIRED);
}

crate::on_backends!(center:
    a_released_request_is_published_by_its_promotion,
    publishing_rejecting_or_withdrawing_ends_its_release,
);

mod canary {
    use super::*;

    /// An automatic canary of a request: promoted by its schedule, which
    /// publishes the request.
    async fn a_canary_of_a_request_publishes_it(backend: Backend) {
        let Some(app) = TestApp::builder()
            .center()
            .backend(backend)
            .with(|s| {
                s.server.fleet_silent =
                    syncdict::configuration::HumanDuration(std::time::Duration::from_secs(3600))
            })
            .try_spawn()
            .await
        else {
            return;
        };
        reviewed_geo(&app, 1).await;
        let id = approved(&app, json!({"upserts": {"a": 30}})).await;
        let auto = json!({"steps": [100], "bake": "10m", "min_edges": 1});
        let params = json!([id, {"percent": 100}, "", auto]);
        let rid = ok(&app, WRITER, "changes.release", params).await["id"]
            .as_i64()
            .unwrap();
        seen(&app, "edge-0", &[rid]).await;
        let t0 = now_us();
        let done = tick(app.center(), t0 + 11 * 60_000_000).await.unwrap();
        assert_eq!(done, vec![(ReleaseId(rid), Decision::Promote)]);
        let request = get(&app, "changes.get", id).await;
        assert_eq!(
            (request["state"].clone(), request["closed_by"].clone()),
            (json!("published"), json!("auto"))
        );
        assert_eq!(
            app.result("records.get", json!(["a", "geo"])).await["value"],
            30
        );
    }

    crate::on_backends!(a_canary_of_a_request_publishes_it);
}
