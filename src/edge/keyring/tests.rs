use serde_json::json;

use super::*;
use crate::edge::protocol::{Item, Part};
use crate::sealing::generate;

fn ns(name: &str) -> Namespace {
    Namespace::parse(name.to_string()).unwrap()
}

fn pulled(parts: Vec<Part>) -> Pulled {
    Pulled {
        revision: Some(5),
        full: false,
        parts,
        gray: None,
    }
}

fn item(key: &str) -> Item {
    Item {
        key: key.into(),
        value: "1".into(),
        revision: 5,
        updated_at_us: 0,
        expires_at_us: None,
    }
}

#[test]
fn asks_the_unknown_the_closed_and_the_changed_secret_ones() {
    let (edge, ns_key) = (generate(), generate());
    let keyring = Keyring::new(Some(edge.clone()));
    let held = [ns("a"), ns("b")];
    assert_eq!(keyring.wanted(&pulled(vec![]), &held), held.to_vec());
    assert!(keyring.learn(&ns("a"), KeysReply::NotSecret));
    let wrapped = sealing::wrap(&edge.recipient(), "b", &ns_key);
    let keys =
        json!({"recipient": ns_key.recipient().to_string(), "grants": [{"wrapped": wrapped}]});
    assert!(keyring.learn(&ns("b"), KeysReply::Keys(keys.clone())));
    assert!(
        !keyring.learn(&ns("b"), KeysReply::Keys(keys)),
        "the same key"
    );
    assert!(matches!(
        keyring.sealing(&ns("b")),
        Some(Sealing::Opened { .. })
    ));
    // Known: only a change to the secret one is asked about.
    assert!(keyring.wanted(&pulled(vec![]), &held).is_empty());
    let changed = pulled(vec![
        Part::of(ns("a"), vec![item("k")], vec![]),
        Part::of(ns("b"), vec![item("k")], vec![]),
    ]);
    assert_eq!(keyring.wanted(&changed, &held), vec![ns("b")]);
}

#[test]
fn closed_says_why() {
    let ns_key = generate();
    let keys = json!({"recipient": ns_key.recipient().to_string(), "grants": []});
    let without = Keyring::new(None);
    without.learn(&ns("s"), KeysReply::Keys(keys.clone()));
    let Some(Sealing::Closed { why }) = without.sealing(&ns("s")) else {
        panic!()
    };
    assert!(why.contains("no client.identity_file"), "{why}");
    let ungranted = Keyring::new(Some(generate()));
    ungranted.learn(&ns("s"), KeysReply::Keys(keys));
    let Some(Sealing::Closed { why }) = ungranted.sealing(&ns("s")) else {
        panic!()
    };
    assert!(why.contains("not granted to age1"), "{why}");
    assert_eq!(ungranted.wanted(&pulled(vec![]), &[ns("s")]), vec![ns("s")]);
}

#[test]
fn replies_are_read_strictly() {
    let body = |v: serde_json::Value| v.to_string().into_bytes();
    let plain =
        body(json!({"jsonrpc": "2.0", "result": {"recipient": null, "grants": []}, "id": 1}));
    assert!(matches!(keys_reply(&plain), Some(KeysReply::NotSecret)));
    let old = body(json!({"jsonrpc": "2.0", "error": {"code": -32601, "message": "no"}, "id": 1}));
    assert!(matches!(keys_reply(&old), Some(KeysReply::NotSecret)));
    let denied =
        body(json!({"jsonrpc": "2.0", "error": {"code": -32004, "message": "no"}, "id": 1}));
    assert!(keys_reply(&denied).is_none());
    assert!(keys_reply(b"<html>").is_none());
}
