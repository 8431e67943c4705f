//! `Table`: one namespace's data on an edge, 256 immutable shards swapped
//! in as one value. A change set builds the next table off to the side
//! (rebuilding only the shards it touches, sharing the others) and the
//! store swaps it in whole, so a reader sees the namespace before a change
//! set or after it, never half of it.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use super::protocol::Part;
use super::shard::{shard_of, EntryRef, Row, Shard, SHARDS};
use crate::signing::{LtHash, Signed};

/// Why a pulled change was not applied to a namespace (its old data stays).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ApplyError {
    #[error("namespace {namespace}: data does not fit: {needed} bytes needed, {capacity} available (client.cache_size / client.namespace_sizes)")]
    Overflow {
        namespace: String,
        needed: u64,
        capacity: u64,
    },
    #[error(
        "namespace {namespace}: shrink guard: the answer keeps {kept} of {had} keys (more than {max_shrink}% dropped)"
    )]
    Shrink {
        namespace: String,
        had: u64,
        kept: u64,
        max_shrink: u8,
    },
    #[error("namespace {namespace}: signed digest refused: {why}")]
    Digest { namespace: String, why: String },
    #[error("namespace {namespace}: revision guard: a change to revision {got} while the data is at {had} (only a full dataset may go back)")]
    Revision {
        namespace: String,
        got: i64,
        had: i64,
    },
}

/// One namespace's data: shards by id, and what they add up to.
#[derive(Debug, Clone)]
pub struct Table {
    shards: Box<[Option<Arc<Shard>>]>,
    entries: u64,
    bytes: u64,
    revision: i64,
    /// The digest of what the table holds, followed as parts apply (the
    /// center keeps the same one; `signing::LtHash`).
    digest: LtHash,
    /// The center's signature of the digest, from the last part that
    /// changed the table (kept in the snapshot).
    signed: Option<Signed>,
}

/// How a pull's part is applied to a table.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// The pull's revision, if it has one (`method` pulls do not).
    pub revision: Option<i64>,
    /// The part is the whole namespace (keys it lacks go).
    pub full: bool,
    /// `client.max_shrink` for full parts (`None`: off).
    pub max_shrink: Option<u8>,
    /// Whether the table's digest follows the change (`client.verify_keys`).
    pub digests: bool,
}

impl Table {
    pub fn empty() -> Table {
        Table {
            shards: vec![None; SHARDS as usize].into_boxed_slice(),
            entries: 0,
            bytes: 0,
            revision: 0,
            digest: LtHash::empty(),
            signed: None,
        }
    }

    pub fn digest(&self) -> &LtHash {
        &self.digest
    }

    pub fn signed(&self) -> Option<&Signed> {
        self.signed.as_ref()
    }

    /// The entry under `key` as served at `now_us` (none once it expired).
    pub fn get(&self, key: &str, now_us: i64) -> Option<EntryRef> {
        self.entry(key).filter(|e| e.live_at(now_us))
    }

    /// The value (JSON text) under `key` as served at `now_us`, borrowed
    /// from the table: `/api/cache`'s read, which needs nothing else of
    /// the entry (an `EntryRef` shares its shard, an atomic count each way).
    pub fn value(&self, key: &str, now_us: i64) -> Option<&str> {
        let shard = self.shards[shard_of(key) as usize].as_ref()?;
        shard.live_value(shard.find(key)?, now_us)
    }

    /// The entry held under `key`, expired or not.
    fn entry(&self, key: &str) -> Option<EntryRef> {
        let shard = self.shards[shard_of(key) as usize].as_ref()?;
        let index = shard.find(key)?;
        Some(EntryRef::new(shard.clone(), index))
    }

    /// Every entry served at `now_us` (none past its expiry), sorted by key.
    pub fn sorted(&self, now_us: i64) -> Vec<EntryRef> {
        let mut all = self.held_sorted();
        all.retain(|e| e.live_at(now_us));
        all
    }

    /// Every entry held, expired or not (what the digest covers and the
    /// snapshot keeps), sorted by key.
    pub fn held_sorted(&self) -> Vec<EntryRef> {
        let mut all: Vec<EntryRef> = self
            .shards
            .iter()
            .flatten()
            .flat_map(|shard| (0..shard.len()).map(move |i| EntryRef::new(shard.clone(), i)))
            .collect();
        all.sort_unstable_by(|a, b| a.key().cmp(b.key()));
        all
    }

    /// The soonest expiry after `now_us`: when what the table serves next
    /// changes without a pull.
    pub fn next_expiry_after(&self, now_us: i64) -> Option<i64> {
        let shards = self.shards.iter().flatten();
        shards.filter_map(|s| s.next_expiry_after(now_us)).min()
    }

    pub fn entries(&self) -> u64 {
        self.entries
    }

    /// Bytes weighed (keys, values and a fixed overhead per entry).
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// The shards by id (`table_diff` compares two tables by them).
    pub(super) fn shards(&self) -> &[Option<Arc<Shard>>] {
        &self.shards
    }

    pub fn revision(&self) -> i64 {
        self.revision
    }

    /// The table after `part` of a pull (`step`): a full part replaces everything (keys it
    /// lacks go), a delta upserts and deletes. Guards, each refusing the
    /// part: a revision below 0, or below the table's without `full`;
    /// `max_shrink` (percent, below 100) for full parts that drop too many
    /// keys (`None` disables it). The byte budget is the store's to judge.
    /// With `digests`, the table's digest follows the change.
    pub fn after(&self, part: &Part, step: &Step) -> Result<Table, ApplyError> {
        let Step {
            revision,
            full,
            max_shrink,
            digests,
        } = *step;
        let namespace = || part.namespace.to_string();
        if let Some(got) = revision {
            if got < 0 || (got < self.revision && !full) {
                return Err(ApplyError::Revision {
                    namespace: namespace(),
                    got,
                    had: self.revision,
                });
            }
        }
        if let (true, Some(max)) = (full, max_shrink.filter(|m| *m < 100)) {
            let had = self.entries;
            let kept = part
                .upserts
                .iter()
                .map(|i| i.key.as_str())
                .collect::<HashSet<_>>()
                .len() as u64;
            if had > 0 && (kept == 0 || kept * 100 < had * (100 - max as u64)) {
                return Err(ApplyError::Shrink {
                    namespace: namespace(),
                    had,
                    kept,
                    max_shrink: max,
                });
            }
        }
        let mut next = self.clone();
        let rebuilt = if full {
            self.rebuild_all(part)
        } else {
            self.rebuild_touched(part)
        };
        for (id, shard) in rebuilt {
            let slot = &mut next.shards[id as usize];
            if let Some(old) = slot.as_ref() {
                next.bytes -= old.weight();
                next.entries -= old.len() as u64;
            }
            next.bytes += shard.weight();
            next.entries += shard.len() as u64;
            *slot = (!shard.is_empty()).then(|| Arc::new(shard));
        }
        let changed = full || !part.is_empty();
        next.revision = revision.unwrap_or(self.revision + u64::from(changed) as i64);
        // The digest is only followed by an edge that verifies: it costs
        // two 2 KB hashes per key changed, every entry after a full part.
        if changed && digests {
            next.digest = self.digest_after(&next, part, full);
            next.signed.clone_from(&part.signed);
        }
        Ok(next)
    }

    /// The digest of `next`, `self` after `part`: every entry hashed anew
    /// after a full part; after a delta, each key it touches taken out as
    /// it was and put in as it is (so a key named twice counts once).
    fn digest_after(&self, next: &Table, part: &Part, full: bool) -> LtHash {
        let ns = part.namespace.as_str();
        if full {
            let mut digest = LtHash::empty();
            for shard in next.shards.iter().flatten() {
                for row in shard.rows() {
                    digest.insert(ns, row.key, row.value, row.expires_at_us);
                }
            }
            return digest;
        }
        let touched: HashSet<&str> = part
            .upserts
            .iter()
            .map(|i| i.key.as_str())
            .chain(part.deletes.iter().map(String::as_str))
            .collect();
        let mut digest = self.digest.clone();
        for key in touched {
            if let Some(old) = self.entry(key) {
                digest.remove(ns, key, old.value(), old.expires_at_us());
            }
            if let Some(new) = next.entry(key) {
                digest.insert(ns, key, new.value(), new.expires_at_us());
            }
        }
        digest
    }

    /// Every shard anew from a full part (empty ones where data went).
    fn rebuild_all(&self, part: &Part) -> HashMap<u16, Shard> {
        let mut groups: HashMap<u16, Vec<Row<'_>>> = (0..SHARDS)
            .filter(|id| self.shards[*id as usize].is_some())
            .map(|id| (id, Vec::new()))
            .collect();
        for item in &part.upserts {
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
    fn rebuild_touched(&self, part: &Part) -> HashMap<u16, Shard> {
        let mut deletes: HashMap<u16, HashSet<&str>> = HashMap::new();
        for key in &part.deletes {
            deletes
                .entry(shard_of(key))
                .or_default()
                .insert(key.as_str());
        }
        let mut upserts: HashMap<u16, Vec<Row<'_>>> = HashMap::new();
        for item in &part.upserts {
            upserts
                .entry(shard_of(&item.key))
                .or_default()
                .push(item.row());
        }
        let touched: HashSet<u16> = deletes.keys().chain(upserts.keys()).copied().collect();
        let mut rebuilt = HashMap::new();
        for id in touched {
            let gone = deletes.remove(&id).unwrap_or_default();
            let mut rows: Vec<Row<'_>> = self.shards[id as usize]
                .as_deref()
                .map(|s| s.rows().filter(|r| !gone.contains(r.key)).collect())
                .unwrap_or_default();
            rows.extend(upserts.remove(&id).unwrap_or_default());
            rebuilt.insert(id, Shard::build(rows));
        }
        rebuilt
    }
}
