//! Records that expire, on every backend: `records.put` and
//! `records.apply` take `expires_in` or `expires_at`; reads and history
//! show it; the center deletes a record at its time as an ordinary change
//! (its own revision, author `expired`), driven here by the time passed to
//! `Maintenance::expire`; an edge stops serving a record past its expiry
//! even while its center is unreachable, asked with the time passed in.

use serde_json::{json, Value};
use syncdict::domain::{format_timestamp, now_us, parse_rfc3339_us, Namespace};
use syncdict::edge::state::TickReport;

use crate::helpers::{Backend, TestApp};
use crate::proxy::Proxy;
use crate::signed::{signing_center, signing_key};

const HOUR: i64 = 3_600_000_000;

fn expiry_of(record: &Value) -> Option<i64> {
    let text = record.get("expires_at")?.as_str().expect("a string");
    Some(parse_rfc3339_us(text).expect("RFC 3339"))
}

async fn the_center_deletes_records_at_their_time(app: TestApp) {
    let before = now_us();
    let put = json!({"key": "soon", "value": 1, "expires_in": 3600});
    app.result("records.put", put).await;
    let later = before + 2 * HOUR;
    let put = json!({"key": "later", "value": 2, "expires_at": format_timestamp(later)});
    app.result("records.put", put).await;
    let since = app.put("kept", json!(3)).await;

    let soon = expiry_of(&app.result("records.get", json!(["soon"])).await).expect("an expiry");
    assert!(
        (before + HOUR..=now_us() + HOUR).contains(&soon),
        "an hour after the commit"
    );
    let got = app.result("records.get", json!(["later"])).await;
    assert_eq!(expiry_of(&got), Some(later), "expires_at kept to the µs");
    assert_eq!(
        expiry_of(&app.result("records.get", json!(["kept"])).await),
        None
    );
    let list = app.result("records.list", json!([])).await;
    let listed: Vec<Option<i64>> = list.as_array().unwrap().iter().map(expiry_of).collect();
    assert_eq!(listed, [None, Some(later), Some(soon)], "kept, later, soon");

    assert_eq!(
        app.maintenance().expire(soon - 1).await.unwrap(),
        0,
        "not due yet"
    );
    assert_eq!(
        app.maintenance().expire(soon).await.unwrap(),
        1,
        "due at its time"
    );
    assert_eq!(
        app.maintenance().expire(soon).await.unwrap(),
        0,
        "and gone once"
    );
    assert_eq!(app.error("records.get", json!(["soon"])).await.0, -32002);
    let changes = app.result("records.changes", json!([since])).await;
    assert_eq!(
        changes["deletes"],
        json!(["soon"]),
        "edges get a delete: {changes}"
    );
    assert_eq!(changes["revision"], json!(since + 1), "its own revision");
    let history = app.result("records.history", json!(["soon"])).await;
    assert_eq!(history[0]["deleted"], json!(true));
    assert_eq!(history[0]["author"], json!("expired"));
    assert_eq!(
        expiry_of(&history[1]),
        Some(soon),
        "history keeps the expiry"
    );
    let audit = app.result("audit.list", json!([since])).await;
    assert_eq!(audit[0]["author"], json!("expired"), "{audit}");
    assert_eq!(audit[0]["method"], json!("expire"));
    assert_eq!(audit[0]["keys"], json!(1));

    // A put without an expiry clears it: the expirer leaves the record.
    app.put("later", json!(22)).await;
    assert_eq!(app.maintenance().expire(later + HOUR).await.unwrap(), 0);
    assert_eq!(
        app.result("records.get", json!(["later"])).await["value"],
        json!(22)
    );
}

async fn bad_expiries_are_refused_and_change_nothing(app: TestApp) {
    let revision = app.put("x", json!(0)).await;
    let past = format_timestamp(now_us() - HOUR);
    let far = format_timestamp(now_us() + 11 * 365 * 24 * HOUR);
    let puts = [
        (json!({"expires_in": 0}), "above 0"),
        (json!({"expires_in": -5}), "above 0"),
        (json!({"expires_in": 4e8}), "ten years"),
        (json!({"expires_in": "soon"}), "number of seconds"),
        (json!({"expires_at": "tomorrow"}), "RFC 3339"),
        (json!({"expires_at": 12}), "expires_at"),
        (json!({"expires_at": past}), "in the past"),
        (json!({"expires_at": far}), "ten years"),
        (json!({"expires_in": 5, "expires_at": far}), "not both"),
    ];
    for (expiry, hint) in puts {
        let mut params = json!({"key": "k", "value": 1});
        params
            .as_object_mut()
            .unwrap()
            .extend(expiry.as_object().unwrap().clone());
        let (code, message) = app.error("records.put", params.clone()).await;
        assert_eq!(code, -32602, "{params}");
        assert!(message.contains(hint), "{params}: {message}");
    }
    let applies = [
        (
            json!({"upserts": {"a": 1}, "expires_in": {"b": 5}}),
            "not upserted",
        ),
        (
            json!({"upserts": {"a": 1}, "expires_in": {"a": 5}, "expires_at": {"a": far}}),
            "both",
        ),
        (
            json!({"upserts": {"a": 1}, "expires_in": [5]}),
            "object of key",
        ),
        (
            json!({"upserts": {"a": 1}, "expires_at": {"a": past}}),
            "in the past",
        ),
    ];
    for (changes, hint) in applies {
        let (code, message) = app.error("records.apply", json!([changes])).await;
        assert_eq!(code, -32602, "{changes}");
        assert!(message.contains(hint), "{changes}: {message}");
    }
    let changes = app.result("records.changes", json!([revision])).await;
    assert_eq!(changes["revision"], json!(revision), "nothing was written");
}

async fn apply_and_rollback_keep_expiries(app: TestApp) {
    let changes = json!({"upserts": {"a": 1, "b": 2}, "expires_in": {"a": 600}});
    let applied = app.result("records.apply", json!([changes])).await;
    let revision = applied["revision"].as_i64().unwrap();
    let a = expiry_of(&app.result("records.get", json!(["a"])).await).expect("a expires");
    assert_eq!(
        expiry_of(&app.result("records.get", json!(["b"])).await),
        None
    );
    app.put("a", json!(1)).await;
    assert_eq!(
        expiry_of(&app.result("records.get", json!(["a"])).await),
        None
    );
    let at = app.result("records.at", json!([revision])).await;
    assert_eq!(expiry_of(&at["records"][0]), Some(a), "{at}");

    let rolled = app
        .result("namespaces.rollback", json!(["default", revision]))
        .await;
    assert_eq!(
        rolled["upserts"],
        json!(1),
        "only a's expiry differs: {rolled}"
    );
    assert_eq!(
        expiry_of(&app.result("records.get", json!(["a"])).await),
        Some(a),
        "the rollback brings the expiry back"
    );
}

crate::on_backends!(center:
    the_center_deletes_records_at_their_time,
    bad_expiries_are_refused_and_change_nothing,
    apply_and_rollback_keep_expiries,
);

mod cut_off {
    use super::*;

    /// Through a signing center (so the expiry is part of the verified
    /// digest) and a proxy the test cuts.
    async fn an_edge_stops_serving_expired_records_while_cut_off(backend: Backend) {
        let (key, public) = signing_key();
        let center = signing_center(backend, key).await;
        let proxy = Proxy::start(crate::proxy::host_port(&center.address), true).await;
        let upstream = format!("http://127.0.0.1:{}/RPC", proxy.port);
        let edge = TestApp::builder()
            .edge(vec![upstream])
            .with(move |s| s.client.verify_keys = vec![public])
            .spawn()
            .await;
        let put = json!({"key": "ttl", "value": "v", "expires_in": 3600});
        center.result("records.put", put).await;
        center.put("plain", json!("p")).await;
        assert_eq!(edge.tick().await, TickReport::Applied);

        let store = &edge.edge().view.store;
        let ns = Namespace::default();
        let now = now_us();
        let ttl = store.get(&ns, "ttl", now).expect("served before its time");
        let at = ttl.expires_at_us().expect("the edge keeps the expiry");
        assert_eq!(edge.get("/api/cache/ttl").await.status(), 200);

        proxy.cut();
        assert!(matches!(edge.tick().await, TickReport::Failed(_)));
        assert!(store.get(&ns, "ttl", at - 1).is_some());
        assert!(
            store.get(&ns, "ttl", at).is_none(),
            "not served from its time on"
        );
        assert!(store.get(&ns, "plain", at + 100 * HOUR).is_some());
        let served: Vec<String> = store
            .sorted(&ns, at)
            .iter()
            .map(|e| e.key().to_string())
            .collect();
        assert_eq!(served, ["plain"]);

        // Back online, the center's delete arrives as an ordinary change.
        assert_eq!(center.maintenance().expire(at).await.unwrap(), 1);
        proxy.restore();
        assert_eq!(edge.tick().await, TickReport::Applied);
        assert_eq!(
            store.table(&ns).unwrap().entries(),
            1,
            "ttl is gone for good"
        );
    }

    crate::on_backends!(an_edge_stops_serving_expired_records_while_cut_off);
}
