//! `EdgeStore` tests: replace, patch, guards.

use super::*;
use crate::domain::Namespace;
use crate::edge::protocol::Item;
use crate::edge::shard::ENTRY_OVERHEAD;

fn item(key: &str, value: &str) -> Item {
    Item {
        key: key.into(),
        value: value.into(),
        revision: 1,
        updated_at_us: 0,
        expires_at_us: None,
    }
}

fn d() -> Namespace {
    Namespace::default()
}

fn full(items: &[(&str, &str)]) -> Pulled {
    let upserts = items.iter().map(|(k, v)| item(k, v)).collect();
    Pulled {
        revision: None,
        full: true,
        parts: vec![Part::of(d(), upserts, vec![])],
        gray: None,
    }
}

fn delta(revision: i64, upserts: Vec<Item>, deletes: Vec<String>) -> Pulled {
    Pulled {
        revision: Some(revision),
        full: false,
        parts: vec![Part::of(d(), upserts, deletes)],
        gray: None,
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
    store
        .sorted(&d(), 0)
        .iter()
        .map(|e| e.key().to_string())
        .collect()
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
    assert_eq!(store.get(&d(), "b", 0).unwrap().value(), "20");
    assert!(store.get(&d(), "a", 0).is_none());
    let change = delta(9, vec![item("e", "5")], vec!["b".into()]);
    store.apply(&change, Some(50)).unwrap();
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
    assert_eq!(store.sorted(&d(), 0).len(), 5000);
    let change = delta(
        2,
        vec![item("k17", "\"new\""), item("fresh", "1")],
        (0..100).map(|i| format!("k{}", i * 3)).collect(),
    );
    store.apply(&change, None).unwrap();
    assert_eq!(store.entries(), 5000 - 100 + 1);
    assert_eq!(store.get(&d(), "k17", 0).unwrap().value(), "\"new\"");
    assert!(store.get(&d(), "k3", 0).is_none() && store.get(&d(), "k4", 0).is_some());
    let total: u64 = store
        .sorted(&d(), 0)
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

fn ns(name: &str) -> Namespace {
    Namespace::parse(name).unwrap()
}

fn part(name: &str, items: &[(String, String)]) -> crate::edge::protocol::Part {
    crate::edge::protocol::Part {
        signed: None,
        namespace: ns(name),
        upserts: items.iter().map(|(k, v)| item(k, v)).collect(),
        deletes: vec![],
    }
}

/// One namespace over its budget is refused and stays behind; the others
/// of the same pull are applied, and the store asks from the oldest.
#[test]
fn each_namespace_fits_its_own_budget() {
    let one = ENTRY_OVERHEAD + 2 + 1;
    let store = EdgeStore::with_namespaces(
        vec![(ns("big"), Some(3 * one)), (ns("a"), None), (ns("b"), None)],
        4 * one,
    );
    let three = numbered(3, "1");
    let pulled = Pulled {
        revision: Some(5),
        full: true,
        parts: vec![part("big", &three), part("a", &three), part("b", &three)],
        gray: Some(vec![crate::domain::ReleaseId(3)]),
    };
    let refused = store.apply(&pulled, None).unwrap_err();
    assert_eq!(
        store.held_releases(),
        [],
        "a reply refused in part changes no view"
    );
    assert!(
        matches!(&refused, ApplyError::Overflow { namespace, capacity, .. } if namespace == "b" && *capacity == one),
        "{refused}"
    );
    let stats = store.stats();
    let counts: Vec<(&str, u64, i64)> = stats
        .iter()
        .map(|s| (s.namespace.as_str(), s.entries, s.revision))
        .collect();
    assert_eq!(counts, [("big", 3, 5), ("a", 3, 5), ("b", 0, 0)]);
    assert_eq!(store.revision(), 0, "b catches up from where it is");
    let pulled = Pulled {
        revision: Some(6),
        full: true,
        parts: vec![part("a", &three[..1]), part("b", &three)],
        gray: Some(vec![crate::domain::ReleaseId(3)]),
    };
    store.apply(&pulled, None).unwrap();
    assert_eq!(store.held_releases(), [crate::domain::ReleaseId(3)]);
    assert_eq!(store.revision(), 5, "big is still at 5");
    assert_eq!(store.get(&ns("b"), "k2", 0).unwrap().value(), "1");
    assert!(store.get(&ns("b"), "nope", 0).is_none());
    assert!(store.get(&d(), "k1", 0).is_none(), "default is not held");
}

/// A worker's kept table look-up (`table_view`) never outlives a change,
/// even while someone still holds the table it kept.
#[test]
fn a_held_old_table_is_not_served_after_a_change() {
    let store = EdgeStore::new(1 << 20);
    store.apply(&full(&[("k", "1")]), None).unwrap();
    let old = store.table(&d()).expect("a table");
    store
        .apply(&delta(2, vec![item("k", "2")], vec![]), None)
        .unwrap();
    let now = store.table(&d()).expect("a table");
    assert!(!Arc::ptr_eq(&old, &now), "the kept look-up was served");
    assert_eq!(
        now.get("k", 0).map(|e| e.value().to_string()),
        Some("2".into())
    );
    assert_eq!(
        old.get("k", 0).map(|e| e.value().to_string()),
        Some("1".into())
    );
}
