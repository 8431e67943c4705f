//! `EdgeStore`: the edge's data in a byte-bounded moka cache of immutable
//! shards (see `shard.rs`).
//!
//! Why shards and not one moka entry per record: measured here, moka costs
//! ~520 bytes per entry (100,000 entries of ~100 bytes: 50 MiB), which would
//! put an edge far above 3x its data. 256 shards keep moka's bound and
//! concurrency at a few bytes of overhead per record.
//!
//! HTTP handlers read through a shared handle (a moka lookup and a binary
//! search; no mailbox). Only the cache actor writes. A change that would not
//! fit is refused whole, so moka never has to evict (its admission policy
//! would otherwise drop data silently); evictions are still counted.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Arc;

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::protocol::Pulled;
use super::shard::{shard_of, EntryRef, Row, Shard};

/// Why a pulled change was not applied (the old data stays).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("data does not fit: {needed} bytes needed, client.cache_size is {capacity}")]
    Overflow { needed: u64, capacity: u64 },
    #[error(
        "shrink guard: the answer keeps {kept} of {had} keys (more than {max_shrink}% dropped)"
    )]
    Shrink { had: u64, kept: u64, max_shrink: u8 },
    #[error("revision guard: a change to revision {got} while the data is at {had} (only a full dataset may go back)")]
    Revision { got: i64, had: i64 },
}

pub struct EdgeStore {
    shards: Cache<u16, Arc<Shard>>,
    capacity: u64,
    bytes: AtomicU64,
    entries: AtomicU64,
    revision: AtomicI64,
    /// When the data last matched the upstream (µs since the epoch; 0: never).
    fresh_at_us: AtomicI64,
    evictions: Arc<AtomicU64>,
    /// Key lookups that found / did not find an entry (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
}

impl EdgeStore {
    pub fn new(capacity: u64) -> Self {
        let evictions = Arc::new(AtomicU64::new(0));
        let counter = evictions.clone();
        let shards = Cache::builder()
            .max_capacity(capacity)
            .weigher(|_: &u16, s: &Arc<Shard>| s.weight().min(u32::MAX as u64) as u32)
            .eviction_policy(EvictionPolicy::lru())
            .eviction_listener(move |_k, _v, cause| {
                if cause.was_evicted() {
                    counter.fetch_add(1, Ordering::Relaxed);
                }
            })
            .build();
        EdgeStore {
            shards,
            capacity,
            bytes: AtomicU64::new(0),
            entries: AtomicU64::new(0),
            revision: AtomicI64::new(0),
            fresh_at_us: AtomicI64::new(0),
            evictions,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
        }
    }

    /// The entry under `key`, counted as a hit or a miss.
    pub fn get(&self, key: &str) -> Option<EntryRef> {
        let found = self.shards.get(&shard_of(key)).and_then(|shard| {
            let index = shard.find(key)?;
            Some(EntryRef::new(shard, index))
        });
        let counter = if found.is_some() {
            &self.hits
        } else {
            &self.misses
        };
        counter.fetch_add(1, Ordering::Relaxed);
        found
    }

    /// Key lookups since start: (hits, misses).
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Every entry, sorted by key.
    pub fn sorted(&self) -> Vec<EntryRef> {
        let mut all: Vec<EntryRef> = self
            .shards
            .iter()
            .flat_map(|(_, shard)| (0..shard.len()).map(move |i| EntryRef::new(shard.clone(), i)))
            .collect();
        all.sort_unstable_by(|a, b| a.key().cmp(b.key()));
        all
    }

    pub fn revision(&self) -> i64 {
        self.revision.load(Ordering::Acquire)
    }

    /// Records that the data matched the upstream at `at_us`.
    pub fn mark_fresh(&self, at_us: i64) {
        self.fresh_at_us.store(at_us, Ordering::Release);
    }

    /// When the data last matched the upstream, if ever (read lock-free by
    /// every cache read for `X-Data-Age`).
    pub fn fresh_at_us(&self) -> Option<i64> {
        Some(self.fresh_at_us.load(Ordering::Acquire)).filter(|&t| t > 0)
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
    /// go), a delta upserts and deletes. Guards, each refusing the whole
    /// pull: a revision below 0, or below the data's without `full`;
    /// `max_shrink` (percent, below 100) for full datasets that drop too
    /// many keys (`None` disables it); the capacity. Nothing changes unless
    /// every guard passes.
    pub fn apply(&self, pulled: &Pulled, max_shrink: Option<u8>) -> Result<(), ApplyError> {
        if let Some(got) = pulled.revision {
            let at = self.revision();
            if got < 0 || (got < at && !pulled.full) {
                return Err(ApplyError::Revision { got, had: at });
            }
        }
        let had = self.entries();
        if let (true, Some(max)) = (pulled.full, max_shrink.filter(|m| *m < 100)) {
            let kept = pulled
                .upserts
                .iter()
                .map(|i| i.key.as_str())
                .collect::<HashSet<_>>()
                .len() as u64;
            if had > 0 && (kept == 0 || kept * 100 < had * (100 - max as u64)) {
                return Err(ApplyError::Shrink {
                    had,
                    kept,
                    max_shrink: max,
                });
            }
        }
        let rebuilt = if pulled.full {
            self.rebuild_all(pulled)
        } else {
            self.rebuild_touched(pulled)
        };
        let old: HashMap<u16, Arc<Shard>> = self.shards.iter().map(|(k, s)| (*k, s)).collect();
        let (mut bytes, mut entries) = (self.bytes(), self.entries());
        for (id, shard) in &rebuilt {
            let before = old.get(id);
            bytes = bytes - before.map_or(0, |s| s.weight()) + shard.weight();
            entries = entries - before.map_or(0, |s| s.len() as u64) + shard.len() as u64;
        }
        if bytes > self.capacity {
            return Err(ApplyError::Overflow {
                needed: bytes,
                capacity: self.capacity,
            });
        }
        // Shrinking shards first, so moka's running total never passes the end result.
        let mut order: Vec<(u16, Shard)> = rebuilt.into_iter().collect();
        order.sort_by_key(|(id, s)| {
            s.weight() as i64 - old.get(id).map_or(0, |o| o.weight() as i64)
        });
        for (id, shard) in order {
            if shard.is_empty() {
                self.shards.invalidate(&id);
            } else {
                self.shards.insert(id, Arc::new(shard));
            }
        }
        self.bytes.store(bytes, Ordering::Release);
        self.entries.store(entries, Ordering::Release);
        let bump = if pulled.is_empty_delta() { 0 } else { 1 };
        let revision = pulled.revision.unwrap_or_else(|| self.revision() + bump);
        self.revision.store(revision, Ordering::Release);
        self.shards.run_pending_tasks();
        Ok(())
    }

    /// Every shard anew from a full dataset (empty ones where data went).
    fn rebuild_all(&self, pulled: &Pulled) -> BTreeMap<u16, Shard> {
        let mut groups: BTreeMap<u16, Vec<Row<'_>>> = self
            .shards
            .iter()
            .map(|(id, _)| (*id, Vec::new()))
            .collect();
        for item in &pulled.upserts {
            groups
                .entry(shard_of(&item.key))
                .or_default()
                .push(item.row());
        }
        groups
            .into_iter()
            .map(|(id, rows)| (id, Shard::build(rows)))
            .collect()
    }

    /// The shards a delta touches, with its upserts and deletes applied.
    fn rebuild_touched(&self, pulled: &Pulled) -> BTreeMap<u16, Shard> {
        let mut deletes: HashMap<u16, HashSet<&str>> = HashMap::new();
        for key in &pulled.deletes {
            deletes
                .entry(shard_of(key))
                .or_default()
                .insert(key.as_str());
        }
        let mut upserts: HashMap<u16, Vec<Row<'_>>> = HashMap::new();
        for item in &pulled.upserts {
            upserts
                .entry(shard_of(&item.key))
                .or_default()
                .push(item.row());
        }
        let touched: HashSet<u16> = deletes.keys().chain(upserts.keys()).copied().collect();
        let mut rebuilt = BTreeMap::new();
        for id in touched {
            let current = self.shards.get(&id);
            let gone = deletes.remove(&id).unwrap_or_default();
            let mut rows: Vec<Row<'_>> = current
                .as_deref()
                .map(|s| s.rows().filter(|r| !gone.contains(r.key)).collect())
                .unwrap_or_default();
            rows.extend(upserts.remove(&id).unwrap_or_default());
            rebuilt.insert(id, Shard::build(rows));
        }
        rebuilt
    }
}

#[cfg(test)]
mod tests;
