//! The center's read cache: the current revision, the serialized
//! `records.list` of each namespace read at it, and `records.changes`
//! replies, shared by all HTTP workers without a mailbox round trip. Any
//! write makes all of it stale (revisions are one global sequence).
//!
//! Local writes raise the known revision as they commit. Writes made through
//! another center on the same database are found by re-reading the revision
//! once `check_interval` has passed; until then the cache is trusted.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use crate::domain::Namespace;
use crate::rpc::RawJson;
use crate::signing::Signed;

/// `records.list` as JSON text, consistent with `revision`.
#[derive(Debug, Clone)]
pub struct ListSnapshot {
    pub revision: i64,
    pub json: RawJson,
    /// The same rows for `testrpc.MyRPC`, each also under the original
    /// model's `name`: made on first use, once per snapshot.
    pub legacy: std::sync::Arc<std::sync::OnceLock<RawJson>>,
    /// The namespace's signed digest at this revision (a signing center).
    pub signed: Option<Signed>,
}

impl ListSnapshot {
    pub fn new(revision: i64, json: RawJson) -> ListSnapshot {
        ListSnapshot {
            revision,
            json,
            legacy: Default::default(),
            signed: None,
        }
    }

    /// The snapshot with `namespace`'s signed digest, which its JSON also
    /// carries (for the `Syncdict-Signature` header of `records.list`).
    pub fn signed(self, namespace: &str, signed: Option<Signed>) -> ListSnapshot {
        let json = match &signed {
            Some(s) => self.json.vouched(namespace, s.clone()),
            None => self.json,
        };
        ListSnapshot {
            signed,
            json,
            ..self
        }
    }
}

/// A `records.changes` reply, and whether it carries anything (a full
/// dataset, an upsert or a delete): a held pull waits on one that does not.
#[derive(Debug, Clone)]
pub struct ChangesReply {
    pub json: RawJson,
    pub changed: bool,
    /// The revision the reply brings its reader to.
    pub revision: i64,
}

#[derive(Debug, Default)]
struct State {
    /// The newest revision known to be committed.
    known: i64,
    /// When `known` was last confirmed against the database.
    checked_at: Option<Instant>,
    /// Lists at `known`, by namespace (at most one per namespace: bounded
    /// by the dataset).
    lists: HashMap<Namespace, ListSnapshot>,
    /// Every namespace's name, read at a revision (for `["*"]`).
    names: Option<(i64, Arc<[Namespace]>)>,
}

/// What a `records.changes` reply answers: `since`, and the namespaces
/// asked for (`None`: the original form, `default` only).
pub type DeltaKey = (i64, Option<Vec<Namespace>>);

/// `records.changes(since)` replies computed at one revision, by `since`.
/// Edges ask with the few revisions they last saw, so a handful of entries
/// serve them all until the next write; then the map starts over.
#[derive(Debug, Default)]
struct Deltas {
    revision: i64,
    by_since: HashMap<DeltaKey, ChangesReply>,
    /// Bytes of the replies kept.
    bytes: usize,
}

/// Most `since` values remembered per revision.
const MAX_DELTAS: usize = 256;
/// Most bytes of replies kept per revision: edges close to the current
/// revision ask with the same few `since` values and get small replies;
/// a client far behind gets one close to the whole dataset, which is not
/// worth keeping (`MAX_DELTA_BYTES` for one reply), and clients asking with
/// many different old revisions cannot make the cache hold many copies.
const DELTA_BUDGET_BYTES: usize = 4 << 20;
/// Largest single reply kept.
const MAX_DELTA_BYTES: usize = DELTA_BUDGET_BYTES / 16;

#[derive(Debug)]
pub struct ReadCache {
    state: RwLock<State>,
    deltas: RwLock<Deltas>,
    check_interval: Duration,
    /// The known revision, for held pulls to wait on (woken from memory).
    newest: tokio::sync::watch::Sender<i64>,
}

impl ReadCache {
    pub fn new(check_interval: Duration) -> Self {
        ReadCache {
            state: RwLock::new(State::default()),
            deltas: RwLock::new(Deltas::default()),
            check_interval,
            newest: tokio::sync::watch::Sender::new(0),
        }
    }

    /// How long the known revision is trusted (`server.revision_check_interval`).
    pub fn check_interval(&self) -> Duration {
        self.check_interval
    }

    /// Told of every rise of the known revision (a write through this
    /// center, or one through another found by a revision check).
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<i64> {
        self.newest.subscribe()
    }

    /// Wakes the waiters if the known revision is newer than what they
    /// were told (called with the state's lock released).
    fn announce(&self) {
        let known = self.known_revision();
        self.newest.send_if_modified(|told| {
            let newer = known > *told;
            *told = (*told).max(known);
            newer
        });
    }

    /// Wakes every held pull to look again without a new revision (a gray
    /// release changed: the views of its edges did).
    pub fn wake_held(&self) {
        self.newest.send_modify(|_| {});
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|p| p.into_inner())
    }

    /// The known revision, if it was confirmed within the check interval
    /// before `now`.
    pub fn fresh_revision(&self, now: Instant) -> Option<i64> {
        let s = self.read();
        match s.checked_at {
            Some(at) if now.saturating_duration_since(at) < self.check_interval => Some(s.known),
            _ => None,
        }
    }

    /// The newest revision known to be committed (trusted or not).
    pub fn known_revision(&self) -> i64 {
        self.read().known
    }

    /// The cached list of `ns` if it matches the fresh known revision.
    pub fn fresh_list(&self, ns: &Namespace, now: Instant) -> Option<ListSnapshot> {
        let known = self.fresh_revision(now)?;
        self.read()
            .lists
            .get(ns)
            .filter(|l| l.revision == known)
            .cloned()
    }

    /// The cached `records.changes` reply for `key`, if it was computed at
    /// the fresh known revision.
    pub fn fresh_delta(&self, key: &DeltaKey, now: Instant) -> Option<ChangesReply> {
        let known = self.fresh_revision(now)?;
        let d = self.deltas.read().unwrap_or_else(|p| p.into_inner());
        (d.revision == known).then(|| d.by_since.get(key).cloned())?
    }

    /// Keeps a `records.changes` reply computed at `revision`, if that is
    /// still the newest known revision.
    pub fn store_delta(&self, since: DeltaKey, revision: i64, reply: ChangesReply) {
        if revision != self.read().known {
            return;
        }
        let mut d = self.deltas.write().unwrap_or_else(|p| p.into_inner());
        if d.revision != revision {
            d.revision = revision;
            d.by_since.clear();
            d.bytes = 0;
        }
        let size = reply.json.as_str().len();
        let fits = size <= MAX_DELTA_BYTES && d.bytes + size <= DELTA_BUDGET_BYTES;
        if fits && d.by_since.len() < MAX_DELTAS && !d.by_since.contains_key(&since) {
            d.bytes += size;
            d.by_since.insert(since, reply);
        }
    }

    /// Records the revision the database reported at `now`.
    pub fn confirm_revision(&self, revision: i64, now: Instant) {
        let mut s = self.write();
        s.known = s.known.max(revision);
        s.checked_at = Some(now);
        drop(s);
        self.announce();
    }

    /// Records a write this process committed.
    pub fn note_write(&self, revision: i64) {
        let mut s = self.write();
        s.known = s.known.max(revision);
        drop(s);
        self.announce();
    }

    /// Every namespace's name, if read at the fresh known revision.
    pub fn fresh_names(&self, now: Instant) -> Option<Arc<[Namespace]>> {
        let known = self.fresh_revision(now)?;
        let s = self.read();
        let (revision, names) = s.names.as_ref()?;
        (*revision == known).then(|| names.clone())
    }

    /// Keeps the names read at `revision` (and trusts that revision now).
    pub fn store_names(&self, revision: i64, names: Arc<[Namespace]>, now: Instant) {
        self.confirm_revision(revision, now);
        let mut s = self.write();
        if revision >= s.known {
            s.names = Some((revision, names));
        }
    }

    /// Stores the list of `ns` read at `now` in one snapshot at its
    /// revision, unless a newer write is known.
    pub fn store_list(&self, ns: Namespace, list: ListSnapshot, now: Instant) {
        let mut s = self.write();
        if list.revision > s.known {
            s.lists.clear();
        }
        if list.revision >= s.known {
            s.known = list.revision;
            s.checked_at = Some(now);
            s.lists.insert(ns, list);
        }
        drop(s);
        self.announce();
    }
}

#[cfg(test)]
mod tests;
