//! The center's read cache: the current revision and the serialized
//! `records.list`, shared by all HTTP workers without a mailbox round trip.
//!
//! Local writes raise the known revision as they commit. Writes made through
//! another center on the same database are found by re-reading the revision
//! once `check_interval` has passed; until then the cache is trusted.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use crate::rpc::RawJson;

/// `records.list` as JSON text, consistent with `revision`.
#[derive(Debug, Clone)]
pub struct ListSnapshot {
    pub revision: i64,
    pub json: RawJson,
}

#[derive(Debug, Default)]
struct State {
    /// The newest revision known to be committed.
    known: i64,
    /// When `known` was last confirmed against the database.
    checked_at: Option<Instant>,
    list: Option<ListSnapshot>,
}

/// `records.changes(since)` replies computed at one revision, by `since`.
/// Edges ask with the few revisions they last saw, so a handful of entries
/// serve them all until the next write; then the map starts over.
#[derive(Debug, Default)]
struct Deltas {
    revision: i64,
    by_since: HashMap<i64, RawJson>,
}

/// Most `since` values remembered per revision.
const MAX_DELTAS: usize = 256;

#[derive(Debug)]
pub struct ReadCache {
    state: RwLock<State>,
    deltas: RwLock<Deltas>,
    check_interval: Duration,
}

impl ReadCache {
    pub fn new(check_interval: Duration) -> Self {
        ReadCache {
            state: RwLock::new(State::default()),
            deltas: RwLock::new(Deltas::default()),
            check_interval,
        }
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The known revision, if it was confirmed within the check interval.
    pub fn fresh_revision(&self) -> Option<i64> {
        let s = self.read();
        match s.checked_at {
            Some(at) if at.elapsed() < self.check_interval => Some(s.known),
            _ => None,
        }
    }

    /// The newest revision known to be committed (trusted or not).
    pub fn known_revision(&self) -> i64 {
        self.read().known
    }

    /// The cached list if it matches the fresh known revision.
    pub fn fresh_list(&self) -> Option<ListSnapshot> {
        let known = self.fresh_revision()?;
        self.read()
            .list
            .as_ref()
            .filter(|l| l.revision == known)
            .cloned()
    }

    /// The cached `records.changes(since)` reply, if it was computed at the
    /// fresh known revision.
    pub fn fresh_delta(&self, since: i64) -> Option<RawJson> {
        let known = self.fresh_revision()?;
        let d = self.deltas.read().unwrap_or_else(|p| p.into_inner());
        (d.revision == known).then(|| d.by_since.get(&since).cloned())?
    }

    /// Keeps a `records.changes(since)` reply computed at `revision`, if
    /// that is still the newest known revision.
    pub fn store_delta(&self, since: i64, revision: i64, json: RawJson) {
        if revision != self.read().known {
            return;
        }
        let mut d = self.deltas.write().unwrap_or_else(|p| p.into_inner());
        if d.revision != revision {
            d.revision = revision;
            d.by_since.clear();
        }
        if d.by_since.len() < MAX_DELTAS {
            d.by_since.insert(since, json);
        }
    }

    /// Records the revision the database reported just now.
    pub fn confirm_revision(&self, revision: i64) {
        let mut s = self.write();
        s.known = s.known.max(revision);
        s.checked_at = Some(Instant::now());
    }

    /// Records a write this process committed.
    pub fn note_write(&self, revision: i64) {
        let mut s = self.write();
        s.known = s.known.max(revision);
    }

    /// Stores a list read in one snapshot at `revision`, unless a newer write is known.
    pub fn store_list(&self, list: ListSnapshot) {
        let mut s = self.write();
        if list.revision >= s.known {
            s.known = list.revision;
            s.checked_at = Some(Instant::now());
            s.list = Some(list);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(revision: i64) -> ListSnapshot {
        ListSnapshot {
            revision,
            json: RawJson::from_trusted("[]"),
        }
    }

    #[test]
    fn a_local_write_invalidates_the_list() {
        let cache = ReadCache::new(Duration::from_secs(60));
        assert!(cache.fresh_list().is_none());
        cache.store_list(snapshot(3));
        assert_eq!(cache.fresh_list().unwrap().revision, 3);
        cache.note_write(4);
        assert!(cache.fresh_list().is_none());
        assert_eq!(cache.fresh_revision(), Some(4));
    }

    #[test]
    fn a_stale_list_is_not_stored() {
        let cache = ReadCache::new(Duration::from_secs(60));
        cache.note_write(5);
        cache.store_list(snapshot(4));
        assert!(cache.fresh_list().is_none());
        cache.store_list(snapshot(5));
        assert!(cache.fresh_list().is_some());
    }

    #[test]
    fn deltas_serve_only_their_revision() {
        let cache = ReadCache::new(Duration::from_secs(60));
        cache.confirm_revision(7);
        cache.store_delta(5, 7, RawJson::from_trusted("{}"));
        assert!(cache.fresh_delta(5).is_some());
        assert!(cache.fresh_delta(6).is_none());
        cache.note_write(8);
        assert!(
            cache.fresh_delta(5).is_none(),
            "a newer write makes it stale"
        );
        cache.store_delta(5, 7, RawJson::from_trusted("{}"));
        assert!(
            cache.fresh_delta(5).is_none(),
            "computed before the newest write"
        );
    }

    #[test]
    fn trust_expires_after_the_check_interval() {
        let cache = ReadCache::new(Duration::ZERO);
        cache.store_list(snapshot(1));
        assert!(cache.fresh_list().is_none());
        assert!(cache.fresh_revision().is_none());
    }
}
