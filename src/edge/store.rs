//! `EdgeStore`: the edge's data in a byte-bounded moka cache.
//!
//! HTTP handlers read it directly through a shared handle (no mailbox: a
//! moka read is a lock-free hash lookup). Only the cache actor writes. A
//! change that would not fit is refused whole, so moka never has to evict
//! (its admission policy would otherwise drop data silently); evictions are
//! still counted, and should stay 0.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::protocol::{Item, Pulled};

/// Bytes counted per entry on top of key and value.
pub const ENTRY_OVERHEAD: u64 = 48;

/// A stored value.
#[derive(Debug)]
pub struct Cached {
    /// JSON text.
    pub value: Box<str>,
    pub revision: i64,
    pub updated_at_us: i64,
}

fn weight(key: &str, value: &str) -> u64 {
    key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
}

/// Why a pulled change was not applied (the old data stays).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("data does not fit: {needed} bytes needed, client.cache_size is {capacity}")]
    Overflow { needed: u64, capacity: u64 },
    #[error(
        "shrink guard: the answer keeps {kept} of {had} keys (more than {max_shrink}% dropped)"
    )]
    Shrink { had: u64, kept: u64, max_shrink: u8 },
}

pub struct EdgeStore {
    cache: Cache<String, Arc<Cached>>,
    capacity: u64,
    bytes: AtomicU64,
    entries: AtomicU64,
    revision: AtomicI64,
    evictions: Arc<AtomicU64>,
}

impl EdgeStore {
    pub fn new(capacity: u64) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let counter = evictions.clone();
        let cache = Cache::builder()
            .max_capacity(capacity)
            .weigher(|k: &String, v: &Arc<Cached>| weight(k, &v.value).min(u32::MAX as u64) as u32)
            .eviction_policy(EvictionPolicy::lru())
            .eviction_listener(move |_k, _v, cause| {
                if cause.was_evicted() {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        EdgeStore {
            cache,
            capacity,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            revision: AtomicI64::new(0),
            evictions,
        }
    }

    pub fn get(&self, key: &str) -> Option<Arc<Cached>> {
        self.cache.get(key)
    }

    /// Every entry, sorted by key.
    pub fn sorted(&self) -> Vec<(Arc<String>, Arc<Cached>)> {
        let mut all: Vec<_> = self.cache.iter().collect();
        all.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        all
    }

    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    pub fn entries(&self) -> u64 {
        self.entries.load(Ordering::Acquire)
    }

    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Acquire)
    }

    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }

    /// Applies a pull: a full dataset replaces everything (keys it lacks
    /// go), a delta upserts and deletes. `max_shrink` (percent) guards full
    /// datasets that drop too many keys; `None` disables the guard.
    /// Nothing changes unless the whole result fits.
    pub fn apply(&self, pulled: &Pulled, max_shrink: Option<u8>) -> Result<(), ApplyError> {
        let had = self.entries();
        if pulled.full {
            if let Some(max) = max_shrink.filter(|m| *m < 100) {
                let kept = pulled.upserts.len() as u64;
                if had > 0 && (kept == 0 || kept * 100 < had * (100 - max as u64)) {
                    return Err(ApplyError::Shrink {
                        had,
                        kept,
                        max_shrink: max,
                    });
                }
            }
        }
        let new_keys: HashSet<&str> = pulled.upserts.iter().map(|i| i.key.as_str()).collect();
        let removals: Vec<String> = if pulled.full {
            self.cache
                .iter()
                .map(|(k, _)| (*k).clone())
                .filter(|k| !new_keys.contains(k.as_str()))
                .collect()
        } else {
            pulled
                .deletes
                .iter()
                .filter(|k| !new_keys.contains(k.as_str()))
                .cloned()
                .collect()
        };
        let old_weight = |key: &str| self.cache.get(key).map_or(0, |c| weight(key, &c.value));
        let mut needed = self.bytes();
        for key in &removals {
            needed -= old_weight(key);
        }
        // Applied in this order so moka's running total never passes the end
        // result: removals, then shrinking upserts, then growing ones.
        let mut upserts: Vec<(&Item, i64)> = pulled
            .upserts
            .iter()
            .map(|i| {
                (
                    i,
                    weight(&i.key, &i.value) as i64 - old_weight(&i.key) as i64,
                )
            })
            .collect();
        for (_, delta) in &upserts {
            needed = needed.saturating_add_signed(*delta);
        }
        if needed > self.capacity {
            return Err(ApplyError::Overflow {
                needed,
                capacity: self.capacity,
            });
        }
        upserts.sort_by_key(|(_, delta)| *delta);
        for key in &removals {
            if self.cache.remove(key).is_some() {
                self.entries.fetch_sub(1, Ordering::AcqRel);
            }
        }
        for (item, _) in upserts {
            let value = Arc::new(Cached {
                value: item.value.clone().into_boxed_str(),
                revision: item.revision,
                updated_at_us: item.updated_at_us,
            });
            if !self.cache.contains_key(&item.key) {
                self.entries.fetch_add(1, Ordering::AcqRel);
            }
            self.cache.insert(item.key.clone(), value);
        }
        self.bytes.store(needed, Ordering::Release);
        let revision = pulled.revision.unwrap_or_else(|| self.revision() + 1);
        self.revision.store(revision, Ordering::Release);
        self.cache.run_pending_tasks();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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

    fn keys(store: &EdgeStore) -> Vec<String> {
        store
            .sorted()
            .into_iter()
            .map(|(k, _)| (*k).clone())
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
        assert_eq!(&*store.get("b").unwrap().value, "20");
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
    fn shrink_guard_refuses_empty_and_large_drops() {
        let store = EdgeStore::new(1 << 20);
        let ten: Vec<(String, String)> = (0..10)
            .map(|i| (format!("k{i}"), "1".to_string()))
            .collect();
        let as_refs = |n: usize| {
            ten[..n]
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect::<Vec<_>>()
        };
        store.apply(&full(&as_refs(10)), Some(50)).unwrap();
        assert!(matches!(
            store.apply(&full(&[]), Some(50)),
            Err(ApplyError::Shrink {
                had: 10,
                kept: 0,
                ..
            })
        ));
        assert!(
            store.apply(&full(&as_refs(4)), Some(50)).is_err(),
            "60% dropped"
        );
        assert_eq!(store.entries(), 10, "nothing was applied");
        store.apply(&full(&as_refs(5)), Some(50)).unwrap();
        assert_eq!(store.entries(), 5, "exactly 50% is allowed");
        store.apply(&full(&[]), None).unwrap();
        assert_eq!(store.entries(), 0, "the guard can be turned off");
    }

    #[test]
    fn data_that_does_not_fit_is_refused_whole() {
        let store = EdgeStore::new(4 * (ENTRY_OVERHEAD + 10));
        store
            .apply(&full(&[("a", "12345678"), ("b", "12345678")]), Some(50))
            .unwrap();
        let big: Vec<(String, String)> = (0..5)
            .map(|i| (format!("k{i}"), "12345678".into()))
            .collect();
        let refs: Vec<(&str, &str)> = big.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        assert!(matches!(
            store.apply(&full(&refs), Some(50)),
            Err(ApplyError::Overflow { .. })
        ));
        assert_eq!(keys(&store), ["a", "b"], "old data kept");
        store.apply(&full(&refs[..4]), Some(100)).unwrap();
        assert_eq!(store.entries(), 4);
        assert_eq!(store.evictions(), 0, "moka never had to evict");
    }
}
