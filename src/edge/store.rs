//! `EdgeStore`: the edge's data, one `Table` per namespace it pulls, in a
//! byte-bounded moka cache keyed by namespace.
//!
//! Why shards and not one moka entry per record: measured here, moka costs
//! ~520 bytes per entry (100,000 entries of ~100 bytes: 50 MiB), which would
//! put an edge far above 3x its data. A table of 256 shards per namespace
//! keeps moka's bound at a few bytes of overhead per record.
//!
//! Change sets are atomic for readers: a pull's part for a namespace
//! becomes a new table, built off to the side, and one moka insert swaps it
//! in; a reader holds the `Arc<Table>` it looked up, so it sees the whole
//! change set or none of it (`tests/api/edge_namespaces.rs` races a reader
//! against a 10,000-key change set).
//!
//! Budgets: a namespace in `client.namespace_sizes` has its own; the others
//! share `client.cache_size`. A part that does not fit is refused (its
//! namespace keeps its data and revision) while the other namespaces of the
//! same pull are applied. Nothing over capacity is ever inserted, so moka
//! never has to evict (its admission policy would otherwise drop data
//! silently); evictions are still counted.
//!
//! HTTP handlers read through a shared handle (a moka lookup and a binary
//! search; no mailbox). Only the cache actor writes.

use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use moka::policy::EvictionPolicy;
use moka::sync::Cache;

use super::keyring::Keyring;
use super::opened::{Opened, SecretStatus};
use super::protocol::{Part, Pulled};
use super::shard::EntryRef;
pub use super::table::{ApplyError, Step, Table};
use super::table_view::{self, Generation};

mod apply;
mod build;
use crate::configuration::{ClientSettings, PullMode};
use crate::domain::{DigestReport, EdgeName, Namespace, ReleaseId, Selection};
use crate::signing::{self, VerifyKey};

/// One namespace as the page and `/api/status` show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamespaceStats {
    pub namespace: Namespace,
    pub entries: u64,
    pub bytes: u64,
    pub revision: i64,
    /// Its own budget, or `None` when it shares `client.cache_size`.
    pub own_budget: Option<u64>,
}

pub struct EdgeStore {
    tables: Cache<Namespace, Arc<Table>>,
    /// This store among the process's (`table_view`'s kept answers name it).
    id: u64,
    /// Moved after every change to what `table` answers (a table put in
    /// or taken out, a secret namespace reopened or forgotten).
    changes: Arc<AtomicU64>,
    /// The namespaces pulled, in order, each with its own budget if any.
    namespaces: RwLock<Vec<(Namespace, Option<u64>)>>,
    /// `client.namespaces = ["*"]`: namespaces join and leave with the
    /// pulls; these have budgets of their own when they join.
    every: Option<Vec<(Namespace, u64)>>,
    /// `client.cache_size`, shared by the namespaces without a budget.
    shared: u64,
    /// All budgets together: the cache's bound.
    capacity: u64,
    /// When the data last matched the upstream (µs since the epoch; 0: never).
    fresh_at_us: AtomicI64,
    evictions: Arc<AtomicU64>,
    /// Key lookups that found / did not find an entry (for `/metrics`).
    hits: AtomicU64,
    misses: AtomicU64,
    /// `client.verify_keys`: when not empty, every change is verified.
    verify_keys: Vec<VerifyKey>,
    /// This edge's name, which a signed view must be of.
    name: String,
    /// The last digest check: set when a pull is applied (sent to the
    /// centers for their fleet view).
    digest_failed: AtomicBool,
    /// The gray releases its data holds, as the center last said
    /// (`Syncdict-Gray` on the next pull).
    gray: RwLock<Vec<ReleaseId>>,
    /// Secret namespaces' sealing and their opened tables, served in
    /// place of the tables as sent.
    opened: Opened,
}

impl EdgeStore {
    pub fn keyring(&self) -> &Arc<Keyring> {
        self.opened.keyring()
    }

    /// Opens `namespace` again from its table as sent (its key changed).
    pub fn reopen(&self, namespace: &Namespace) {
        match self.sent_table(namespace) {
            Some(sent) => self.opened.reopen(namespace, &sent),
            None => self.opened.forget(namespace),
        }
        self.changed();
    }

    /// A secret namespace's status (`None`: not secret).
    pub fn secret_status(&self, namespace: &Namespace) -> Option<SecretStatus> {
        self.opened.status(namespace)
    }

    /// Verifies every change against these keys (`client.verify_keys`),
    /// as the edge named `name` (a signed view must be of it).
    pub fn verifying(self, keys: Vec<VerifyKey>, name: EdgeName) -> Self {
        EdgeStore {
            verify_keys: keys,
            name: name.to_string(),
            ..self
        }
    }

    fn held_list(&self) -> std::sync::RwLockReadGuard<'_, Vec<(Namespace, Option<u64>)>> {
        self.namespaces.read().unwrap_or_else(|p| p.into_inner())
    }

    /// The namespaces this store holds, in the configured order (with
    /// `["*"]`, by name).
    pub fn namespaces(&self) -> Vec<Namespace> {
        self.held_list().iter().map(|(ns, _)| ns.clone()).collect()
    }

    /// The current table of `namespace` as served (one snapshot of it): a
    /// secret namespace's opened table, or none if this edge cannot open it.
    pub fn table(&self, namespace: &Namespace) -> Option<Arc<Table>> {
        let at = Generation {
            store: self.id,
            changes: self.changes.load(Ordering::Acquire),
            keyring: self.keyring().changes(),
        };
        table_view::table(at, namespace, || {
            self.opened.served(namespace, self.tables.get(namespace))
        })
    }

    /// After a change to what `table` answers, made.
    fn changed(&self) {
        self.changes.fetch_add(1, Ordering::Release);
    }

    /// The current table of `namespace` as the center sent it (what its
    /// digest covers and the snapshot keeps).
    pub fn sent_table(&self, namespace: &Namespace) -> Option<Arc<Table>> {
        self.tables.get(namespace)
    }

    /// The entry under `key` in `namespace` as served at `now_us`, counted
    /// as a hit or a miss.
    pub fn get(&self, namespace: &Namespace, key: &str, now_us: i64) -> Option<EntryRef> {
        let found = self.table(namespace).and_then(|t| t.get(key, now_us));
        self.count_lookup(&found);
        found
    }

    /// Counts a key lookup made on a table taken with `table`: a hit if
    /// it found something.
    pub fn count_lookup<T>(&self, found: &Option<T>) {
        let counter = match found {
            Some(_) => &self.hits,
            None => &self.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }

    /// The namespace named `name` if this store holds it, unless it holds
    /// `default` alone (`/api/cache` then reads every path as a key): one
    /// look at the list, as every local read's path asks.
    pub fn path_namespace(&self, name: &str) -> Option<Namespace> {
        match self.held_list().as_slice() {
            [(ns, _)] if ns.is_default() => None,
            held => held
                .iter()
                .map(|(ns, _)| ns)
                .find(|ns| ns.as_str() == name)
                .cloned(),
        }
    }

    /// Key lookups since start: (hits, misses).
    pub fn lookups(&self) -> (u64, u64) {
        (
            self.hits.load(Ordering::Relaxed),
            self.misses.load(Ordering::Relaxed),
        )
    }

    /// Every entry of `namespace` served at `now_us`, sorted by key.
    pub fn sorted(&self, namespace: &Namespace, now_us: i64) -> Vec<EntryRef> {
        self.table(namespace)
            .map(|t| t.sorted(now_us))
            .unwrap_or_default()
    }

    /// The revision to ask for changes since: the oldest of the namespaces
    /// (a namespace behind, say refused, catches up; replaying a net change
    /// on a namespace that already has it changes nothing).
    pub fn revision(&self) -> i64 {
        self.held_list()
            .iter()
            .map(|(ns, _)| self.sent_table(ns).map_or(0, |t| t.revision()))
            .min()
            .unwrap_or(0)
    }

    /// Each namespace's counts.
    pub fn stats(&self) -> Vec<NamespaceStats> {
        self.held_list()
            .iter()
            .map(|(ns, budget)| {
                let t = self.sent_table(ns);
                NamespaceStats {
                    namespace: ns.clone(),
                    entries: t.as_ref().map_or(0, |t| t.entries()),
                    bytes: t.as_ref().map_or(0, |t| t.bytes()),
                    revision: t.as_ref().map_or(0, |t| t.revision()),
                    own_budget: *budget,
                }
            })
            .collect()
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
        self.stats().iter().map(|s| s.entries).sum()
    }

    pub fn bytes(&self) -> u64 {
        self.stats().iter().map(|s| s.bytes).sum()
    }

    /// All budgets together.
    pub fn capacity(&self) -> u64 {
        self.capacity
    }

    pub fn evictions(&self) -> u64 {
        self.evictions.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests;
