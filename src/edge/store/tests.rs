//! `EdgeStore` tests: replace, patch, guards.

use super::*;
use crate::edge::protocol::Item;
use crate::edge::shard::ENTRY_OVERHEAD;

fn item(key: &str, value: &str) -> Item {
    Item {
        key: key.into(),
        value: value.into(),
        revision: 1,
        updated_at_us: 0,
    }
}

fn full(items: &[(&str, &str)]) -> Pulled {
    Pulled {
        revision: None,
        full: true,
        upserts: items.iter().map(|(k, v)| item(k, v)).collect(),
        deletes: vec![],
    }
}

fn numbered(n: usize, value: &str) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("k{i}"), value.to_string()))
        .collect()
}

fn refs(items: &[(String, String)]) -> Vec<(&str, &str)> {
    items
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

fn keys(store: &EdgeStore) -> Vec<String> {
    store.sorted().iter().map(|e| e.key().to_string()).collect()
}

#[test]
fn full_replaces_delta_patches() {
    let store = EdgeStore::new(1 << 20);
    store
        .apply(&full(&[("a", "1"), ("b", "2"), ("c", "3")]), Some(50))
        .unwrap();
    store
        .apply(&full(&[("b", "20"), ("c", "3"), ("d", "4")]), Some(50))
        .unwrap();
    assert_eq!(keys(&store), ["b", "c", "d"]);
    assert_eq!(store.get("b").unwrap().value(), "20");
    assert!(store.get("a").is_none());
    let delta = Pulled {
        revision: Some(9),
        full: false,
        upserts: vec![item("e", "5")],
        deletes: vec!["b".into()],
    };
    store.apply(&delta, Some(50)).unwrap();
    assert_eq!(keys(&store), ["c", "d", "e"]);
    assert_eq!(store.revision(), 9);
    assert_eq!(store.entries(), 3);
    assert_eq!(store.bytes(), 3 * (1 + 1 + ENTRY_OVERHEAD));
}

#[test]
fn many_keys_across_shards() {
    let store = EdgeStore::new(1 << 24);
    let data = numbered(5000, "\"v\"");
    store.apply(&full(&refs(&data)), None).unwrap();
    assert_eq!(store.entries(), 5000);
    assert_eq!(store.sorted().len(), 5000);
    let delta = Pulled {
        revision: Some(2),
        full: false,
        upserts: vec![item("k17", "\"new\""), item("fresh", "1")],
        deletes: (0..100).map(|i| format!("k{}", i * 3)).collect(),
    };
    store.apply(&delta, None).unwrap();
    assert_eq!(store.entries(), 5000 - 100 + 1);
    assert_eq!(store.get("k17").unwrap().value(), "\"new\"");
    assert!(store.get("k3").is_none() && store.get("k4").is_some());
    let total: u64 = store
        .sorted()
        .iter()
        .map(|e| crate::edge::shard::weight(e.key(), e.value()))
        .sum();
    assert_eq!(store.bytes(), total);
}

#[test]
fn shrink_guard_refuses_empty_and_large_drops() {
    let store = EdgeStore::new(1 << 20);
    let ten = numbered(10, "1");
    store.apply(&full(&refs(&ten)), Some(50)).unwrap();
    assert!(matches!(
        store.apply(&full(&[]), Some(50)),
        Err(ApplyError::Shrink {
            had: 10,
            kept: 0,
            ..
        })
    ));
    assert!(
        store.apply(&full(&refs(&ten[..4])), Some(50)).is_err(),
        "60% dropped"
    );
    assert_eq!(store.entries(), 10, "nothing was applied");
    store.apply(&full(&refs(&ten[..5])), Some(50)).unwrap();
    assert_eq!(store.entries(), 5, "exactly 50% is allowed");
    store.apply(&full(&[]), Some(100)).unwrap();
    assert_eq!(store.entries(), 0, "100% turns the guard off");
}

#[test]
fn data_that_does_not_fit_is_refused_whole() {
    let store = EdgeStore::new(4 * (ENTRY_OVERHEAD + 10));
    store
        .apply(&full(&[("a", "12345678"), ("b", "12345678")]), Some(50))
        .unwrap();
    let big = numbered(5, "12345678");
    assert!(matches!(
        store.apply(&full(&refs(&big)), Some(50)),
        Err(ApplyError::Overflow { .. })
    ));
    assert_eq!(keys(&store), ["a", "b"], "old data kept");
    store.apply(&full(&refs(&big[..4])), None).unwrap();
    assert_eq!(store.entries(), 4);
    assert_eq!(store.evictions(), 0, "moka never had to evict");
}
