//! `records.list` from a signing center: the reply stays the bare array the
//! original clients read, and a `Syncdict-Signature` header per namespace
//! listed carries the signed digest, which anyone holding the public key
//! can check against the rows (JSON-RPC, a batch, XML-RPC).

use serde_json::{json, Value};
use syncdict::signing::{verify, LtHash, Signed, VerifyError, VerifyKey};

use crate::helpers::{Backend, TestApp};
use crate::signed::{signing_center, signing_key};

const HEADER: &str = "Syncdict-Signature";

/// The `Syncdict-Signature` headers of a reply, parsed.
fn signatures(reply: &reqwest::Response) -> Vec<(String, Signed)> {
    reply
        .headers()
        .get_all(HEADER)
        .iter()
        .map(|v| {
            let v: Value = serde_json::from_slice(v.as_bytes()).expect("JSON header");
            let ns = v["namespace"].as_str().expect("namespace").to_string();
            (ns, serde_json::from_value(v).expect("a signature"))
        })
        .collect()
}

/// The digest of `rows` (a `records.list` result) in `namespace`.
fn digest_of(namespace: &str, rows: &Value) -> LtHash {
    let mut digest = LtHash::empty();
    for row in rows.as_array().expect("an array") {
        let value = serde_json::to_string(&row["value"]).unwrap();
        let expires = row["expires_at"]
            .as_str()
            .map(|t| syncdict::domain::parse_rfc3339_us(t).expect("an RFC 3339 expiry"));
        digest.insert(namespace, row["key"].as_str().unwrap(), &value, expires);
    }
    digest
}

async fn list(center: &TestApp, params: Value) -> (Vec<(String, Signed)>, Value) {
    let body = json!({"jsonrpc": "2.0", "method": "records.list", "params": params, "id": 1});
    let reply = center
        .post_as(None, "application/json", body.to_string())
        .await;
    let signed = signatures(&reply);
    let reply: Value = reply.json().await.unwrap();
    (signed, reply["result"].clone())
}

fn check(key: &VerifyKey, ns: &str, rows: &Value, signed: &Signed) -> Result<(), VerifyError> {
    verify(
        std::slice::from_ref(key),
        (ns, ""),
        &digest_of(ns, rows),
        Some(signed),
    )
}

async fn lists_carry_a_signature_header(backend: Backend) {
    let (key, public) = signing_key();
    let center = signing_center(backend, key).await;
    center.put("a", json!("hello")).await;
    center.put("b", json!({"x": [1, 2.5, null]})).await;
    center.result("namespaces.create", json!(["geo"])).await;
    center
        .result("records.put", json!(["fr", "Paris", "geo"]))
        .await;

    let (signed, rows) = list(&center, json!([])).await;
    assert_eq!(rows.as_array().unwrap().len(), 2, "the bare array: {rows}");
    assert_eq!(signed.len(), 1, "one header for one namespace");
    let (ns, sig) = &signed[0];
    assert_eq!(ns, "default");
    check(&public, ns, &rows, sig).expect("the list verifies");
    // The check can fail: one row missing, or another namespace's name.
    let fewer = json!([rows[0].clone()]);
    assert_eq!(check(&public, ns, &fewer, sig), Err(VerifyError::Mismatch));
    assert_eq!(
        check(&public, "geo", &rows, sig),
        Err(VerifyError::Mismatch)
    );

    // A write: the next list carries the new revision's signature.
    center.put("a", json!("hello again")).await;
    let (after, rows) = list(&center, json!(["default"])).await;
    assert!(
        after[0].1.revision > sig.revision,
        "{after:?} after {sig:?}"
    );
    check(&public, "default", &rows, &after[0].1).expect("the new list verifies");

    // A batch of two lists: one header per namespace, each verifying.
    let batch = json!([
        {"jsonrpc": "2.0", "method": "records.list", "params": ["default"], "id": 1},
        {"jsonrpc": "2.0", "method": "records.list", "params": ["geo"], "id": 2},
        {"jsonrpc": "2.0", "method": "records.list", "params": ["default"], "id": 3},
    ]);
    let reply = center
        .post_as(None, "application/json", batch.to_string())
        .await;
    let signed = signatures(&reply);
    let replies: Value = reply.json().await.unwrap();
    assert_eq!(signed.len(), 2, "{signed:?}");
    for (ns, sig) in &signed {
        let rows = &replies
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["id"] == if ns == "geo" { 2 } else { 1 })
            .unwrap()["result"];
        check(&public, ns, rows, sig).expect("each list verifies");
    }

    // XML-RPC: the same header as JSON's.
    let xml = "<?xml version=\"1.0\"?><methodCall><methodName>records.list</methodName>\
               <params><param><value><string>geo</string></value></param></params></methodCall>";
    let reply = center.post_as(None, "text/xml", xml).await;
    let from_xml = signatures(&reply);
    let (from_json, _) = list(&center, json!(["geo"])).await;
    assert_eq!(from_xml, from_json);

    // Other methods carry none.
    let body = json!({"jsonrpc": "2.0", "method": "records.get", "params": ["a"], "id": 1});
    let reply = center
        .post_as(None, "application/json", body.to_string())
        .await;
    assert!(signatures(&reply).is_empty());
}
crate::on_backends!(lists_carry_a_signature_header);

#[actix_web::test]
async fn an_unsigned_center_sends_no_signature_header() {
    let center = TestApp::builder().center().spawn().await;
    center.put("a", json!(1)).await;
    let (signed, rows) = list(&center, json!([])).await;
    assert_eq!(rows.as_array().unwrap().len(), 1);
    assert!(signed.is_empty(), "{signed:?}");
}
