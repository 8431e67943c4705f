//! The fleet view: every edge that pulled from this center, remembered in
//! memory (`Fleet`, bounded by `server.fleet_max_edges`), written to
//! `fleet_edges` in batches every `server.fleet_flush_interval` so that
//! centers on one database see each other's edges, and judged current,
//! lagging or silent (`judge.rs`, sans I/O) for `fleet.list`, the
//! console's fleet page and `/metrics`.
//!
//! A pull costs one short lock and one map update; nothing on the pull
//! path touches the database.

mod entry;
mod judge;

use std::collections::HashMap;
use std::hash::{BuildHasher, BuildHasherDefault, Hasher, RandomState};
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub use judge::{judge, lookups, merge, FleetFacts, Judged, Totals, MAX_LOOKUPS};

use entry::{gray_ids, join, shape, Entry};

use crate::domain::{EdgeHello, EdgeSeen, EdgeState, Namespace};
use crate::metrics::Exposition;

/// What a center takes from `[server]` for the fleet view.
#[derive(Debug, Clone, Copy)]
pub struct FleetOptions {
    /// `server.fleet_window`: edges silent longer are forgotten.
    pub window: Duration,
    /// `server.fleet_silent`: no pull for this long makes an edge silent.
    pub silent: Duration,
    /// `server.fleet_lag`: missing a change older than this makes it lagging.
    pub lag: Duration,
    /// `server.fleet_max_edges`: most edges remembered, in memory and in the database.
    pub max_edges: usize,
}

/// One successful pull, as the center answered it.
#[derive(Debug)]
pub struct Pull<'a> {
    pub hello: &'a EdgeHello,
    pub address: Option<IpAddr>,
    /// The namespaces pulled.
    pub namespaces: &'a [Namespace],
    /// The revision it asked from (`records.changes`), if any.
    pub since: Option<i64>,
    /// The revision the reply carried.
    pub served: i64,
    /// How long the request could be held (µs; 0 unless a held pull).
    pub hold_us: i64,
    pub at_us: i64,
}

/// The map's key: a keyed hash of (name, address), so a pull of a known
/// edge looks it up without allocating or reading a string. The hash key
/// is random per process; two edges sharing a 64-bit hash (not something
/// a client can aim at) would share a row.
type Key = u64;

/// The map's own hasher: its keys are hashes already.
#[derive(Default)]
struct KeyHasher(u64);

impl Hasher for KeyHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

type Edges = HashMap<Key, Entry, BuildHasherDefault<KeyHasher>>;

/// The edges this center has seen, bounded, and the latest totals.
pub struct Fleet {
    options: FleetOptions,
    keys: RandomState,
    edges: Mutex<Edges>,
    /// Edges forgotten to stay within `max_edges`.
    evicted: AtomicU64,
    /// The totals of the last judgement (`/metrics`), current, lagging, silent.
    totals: [AtomicU64; 3],
}

impl Fleet {
    pub fn new(options: FleetOptions) -> Fleet {
        Fleet {
            options,
            keys: RandomState::new(),
            edges: Mutex::default(),
            evicted: AtomicU64::new(0),
            totals: Default::default(),
        }
    }

    /// Moves every entry to new allocations, made together. Entries made
    /// while many held pulls were answered sit one per heap page among
    /// the pulls' freed memory, and keep those pages from going back to
    /// the system; made again after that memory is free, they fill few
    /// pages (`center::Holds::drained` calls this before handing memory
    /// back).
    pub fn compact(&self) {
        let mut edges = self.lock();
        let mut fresh = Edges::with_capacity_and_hasher(edges.len(), Default::default());
        fresh.extend(edges.iter().map(|(key, entry)| (*key, entry.compacted())));
        *edges = fresh;
    }

    pub fn options(&self) -> &FleetOptions {
        &self.options
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Edges> {
        self.edges.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a successful pull: for a known edge, one lookup and a few
    /// stores under the lock, nothing allocated unless its version or
    /// namespaces changed. At `max_edges`, the tenth of the edges that
    /// pulled longest ago are forgotten first (amortized: one sort per
    /// `max_edges / 10` new edges, so a flood of invented names costs a
    /// bounded amount per request).
    pub fn record(&self, pull: Pull<'_>) {
        let name = pull.hello.name.as_ref().map_or("", |n| n.as_str());
        let key = self.keys.hash_one((name, pull.address));
        let mut edges = self.lock();
        if edges.len() >= self.options.max_edges && !edges.contains_key(&key) {
            self.evict(&mut edges);
        }
        let entry = edges
            .entry(key)
            .or_insert_with(|| Entry::new(name, pull.address, pull.at_us));
        // Version, namespaces and labels rarely change: compared by a
        // hash, so a pull reads no text of the row.
        let hello = pull.hello;
        let shape = shape(hello, pull.namespaces);
        if entry.shape != shape {
            entry.shape = shape;
            let t = &mut entry.texts;
            t.version = hello.version.as_str().to_string();
            t.namespaces = join(pull.namespaces);
            t.labels = hello.labels.as_str().to_string();
            t.health_reason = hello
                .health
                .map(|r| r.reason.as_str().to_string())
                .unwrap_or_default();
            t.gray = gray_ids(hello);
            entry.dirty = true;
        }
        // It applied the last reply if it asks from there (or from 0: a
        // full pull brings everything whatever it holds).
        let in_step = match pull.since {
            Some(since) => since == 0 || since >= entry.served,
            None => true,
        };
        let revision = match pull.since {
            Some(since) if !in_step => since,
            _ => pull.served,
        };
        let health = hello.health.map(|r| r.health);
        let state = (revision, in_step, hello.digest, pull.hold_us, health);
        if (
            entry.revision,
            entry.in_step,
            entry.digest,
            entry.hold_us,
            entry.health,
        ) != state
        {
            (
                entry.revision,
                entry.in_step,
                entry.digest,
                entry.hold_us,
                entry.health,
            ) = state;
            entry.dirty = true;
        }
        entry.last_pull_us = entry.last_pull_us.max(pull.at_us);
        entry.served = pull.served;
    }

    fn evict(&self, edges: &mut Edges) {
        let mut by_age: Vec<(i64, Key)> = edges.iter().map(|(k, e)| (e.last_pull_us, *k)).collect();
        by_age.sort_unstable();
        let drop = (self.options.max_edges / 10).max(1);
        for (_, key) in by_age.into_iter().take(drop) {
            edges.remove(&key);
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The rows the flush writes, marked written: edges whose state
    /// changed since the last call, and those whose last pull as written
    /// is `server.fleet_silent / 2` old (so another center never judges a
    /// pulling edge silent from a stale row, and a steady edge costs a
    /// write per half that, not one per flush). Edges silent past the
    /// window at `now_us` are forgotten.
    pub fn take_dirty(&self, now_us: i64) -> Vec<EdgeSeen> {
        let oldest = now_us - self.options.window.as_micros() as i64;
        let refresh = (self.options.silent.as_micros() / 2) as i64;
        let mut edges = self.lock();
        edges.retain(|_, e| e.last_pull_us >= oldest);
        edges
            .values_mut()
            .filter(|e| e.dirty || e.last_pull_us - e.written_pull_us >= refresh)
            .map(|e| {
                e.dirty = false;
                e.written_pull_us = e.last_pull_us;
                e.seen()
            })
            .collect()
    }

    /// After a flush that could not write: every edge is taken again by
    /// the next one (rewriting the rows that were not lost costs nothing
    /// but the writes, and no copy of the batch is kept meanwhile).
    pub fn flush_failed(&self) {
        for e in self.lock().values_mut() {
            e.dirty = true;
        }
    }

    /// Every edge in memory.
    pub fn snapshot(&self) -> Vec<EdgeSeen> {
        self.lock().values().map(Entry::seen).collect()
    }

    /// Keeps the totals of a judgement for `/metrics`.
    pub fn set_totals(&self, totals: &Totals) {
        for (slot, n) in self.totals.iter().zip(totals.by_state()) {
            slot.store(n as u64, Ordering::Relaxed);
        }
    }

    /// The fleet's part of `/metrics`.
    pub fn render(&self, out: &mut Exposition) {
        out.family(
            "syncdict_fleet_edges",
            "gauge",
            "Edges that pulled within server.fleet_window, by state (judged every server.fleet_flush_interval, across the centers on this database).",
        );
        for (state, n) in EdgeState::ALL.iter().zip(&self.totals) {
            out.sample(
                "syncdict_fleet_edges",
                &format!("state=\"{}\"", state.label()),
                n.load(Ordering::Relaxed),
            );
        }
        out.single(
            "syncdict_fleet_evicted_total",
            "counter",
            "Edges this center forgot to stay within server.fleet_max_edges.",
            self.evicted.load(Ordering::Relaxed),
        );
    }
}

#[cfg(test)]
mod tests;
