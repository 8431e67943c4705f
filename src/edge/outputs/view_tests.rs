//! The outputs' view of the store: expired records left out, and the
//! next expiry a task wakes for.

use super::*;
use crate::domain::Namespace;
use crate::edge::protocol::{Item, Pulled};

#[test]
fn an_output_leaves_out_expired_records_and_wakes_at_the_next_expiry() {
    let item = |key: &str, expires_at_us| Item {
        key: key.into(),
        value: "1".into(),
        revision: 1,
        updated_at_us: 0,
        expires_at_us,
    };
    let store = EdgeStore::new(1 << 20);
    let items = vec![
        item("ttl", Some(100)),
        item("later", Some(200)),
        item("plain", None),
    ];
    let pulled = Pulled {
        revision: Some(1),
        full: true,
        parts: vec![crate::edge::protocol::Part::of(
            Namespace::default(),
            items,
            vec![],
        )],
        gray: None,
    };
    store.apply(&pulled, None).unwrap();
    let o: OutputSettings = serde_json::from_value(
        serde_json::json!({"path": "/nonexistent/out.json", "format": "json"}),
    )
    .unwrap();
    let keys = |now| -> Vec<String> {
        view(&o, &store, now).namespaces[&Namespace::default()]
            .keys()
            .cloned()
            .collect()
    };
    assert_eq!(keys(99), ["later", "plain", "ttl"]);
    assert_eq!(keys(100), ["later", "plain"], "gone at its time");
    assert_eq!(keys(200), ["plain"]);
    assert_eq!(next_expiry(&o, &store, 0), Some(100));
    assert_eq!(next_expiry(&o, &store, 100), Some(200));
    assert_eq!(
        next_expiry(&o, &store, 200),
        None,
        "nothing more to wake for"
    );
}
