//! The fleet view: every edge that pulled from this center, remembered in
//! memory (`Fleet`, bounded by `server.fleet_max_edges`), written to
//! `fleet_edges` in batches every `server.fleet_flush_interval` so that
//! centers on one database see each other's edges, and judged current,
//! lagging or silent (`judge.rs`, sans I/O) for `fleet.list`, the
//! console's fleet page and `/metrics`.
//!
//! A pull costs one short lock and one map update; nothing on the pull
//! path touches the database.

mod judge;

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub use judge::{judge, lookups, merge, FleetFacts, Judged, Totals, MAX_LOOKUPS};

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
    pub address: Option<std::net::IpAddr>,
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

/// An edge in memory: its row, and whether it changed since the last flush.
struct Entry {
    seen: EdgeSeen,
    /// The revision its last reply carried, to tell on the next pull
    /// whether it applied it.
    served: i64,
    dirty: bool,
}

/// The edges this center has seen, bounded, and the latest totals.
pub struct Fleet {
    options: FleetOptions,
    edges: Mutex<HashMap<(String, String), Entry>>,
    /// Edges forgotten to stay within `max_edges`.
    evicted: AtomicU64,
    /// The totals of the last judgement (`/metrics`), current, lagging, silent.
    totals: [AtomicU64; 3],
}

impl Fleet {
    pub fn new(options: FleetOptions) -> Fleet {
        Fleet {
            options,
            edges: Mutex::default(),
            evicted: AtomicU64::new(0),
            totals: Default::default(),
        }
    }

    pub fn options(&self) -> &FleetOptions {
        &self.options
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Entry>> {
        self.edges.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Notes a successful pull. At `max_edges`, the tenth of the edges
    /// that pulled longest ago are forgotten first (amortized: one sort
    /// per `max_edges / 10` new edges, so a flood of invented names costs
    /// a bounded amount per request).
    pub fn record(&self, pull: Pull<'_>) {
        let name = pull.hello.name.as_ref().map_or("", |n| n.as_str());
        let address = pull.address.map(|a| a.to_string()).unwrap_or_default();
        let mut edges = self.lock();
        let key = (name.to_string(), address);
        if !edges.contains_key(&key) && edges.len() >= self.options.max_edges {
            self.evict(&mut edges);
        }
        let entry = edges
            .entry(key)
            .or_insert_with_key(|(name, address)| Entry {
                seen: EdgeSeen {
                    name: name.clone(),
                    address: address.clone(),
                    version: String::new(),
                    namespaces: String::new(),
                    revision: 0,
                    in_step: true,
                    digest: None,
                    hold_us: 0,
                    first_seen_us: pull.at_us,
                    last_pull_us: pull.at_us,
                },
                served: 0,
                dirty: true,
            });
        // It applied the last reply if it asks from there (or from 0: a
        // full pull brings everything whatever it holds).
        let in_step = match pull.since {
            Some(since) => since == 0 || since >= entry.served,
            None => true,
        };
        let seen = &mut entry.seen;
        seen.revision = match pull.since {
            Some(since) if !in_step => since,
            _ => pull.served,
        };
        seen.in_step = in_step;
        if seen.version != pull.hello.version {
            seen.version = pull.hello.version.clone();
        }
        let namespaces = join(pull.namespaces);
        if seen.namespaces != namespaces {
            seen.namespaces = namespaces;
        }
        seen.digest = pull.hello.digest;
        seen.hold_us = pull.hold_us;
        seen.last_pull_us = seen.last_pull_us.max(pull.at_us);
        entry.served = pull.served;
        entry.dirty = true;
    }

    fn evict(&self, edges: &mut HashMap<(String, String), Entry>) {
        let mut by_age: Vec<(i64, (String, String))> = edges
            .iter()
            .map(|(k, e)| (e.seen.last_pull_us, k.clone()))
            .collect();
        by_age.sort_unstable();
        let drop = (self.options.max_edges / 10).max(1);
        for (_, key) in by_age.into_iter().take(drop) {
            edges.remove(&key);
            self.evicted.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The edges changed since the last call, marked clean (the flush
    /// writes them); edges silent past the window at `now_us` are forgotten.
    pub fn take_dirty(&self, now_us: i64) -> Vec<EdgeSeen> {
        let oldest = now_us - self.options.window.as_micros() as i64;
        let mut edges = self.lock();
        edges.retain(|_, e| e.seen.last_pull_us >= oldest);
        edges
            .values_mut()
            .filter_map(|e| std::mem::take(&mut e.dirty).then(|| e.seen.clone()))
            .collect()
    }

    /// Puts back rows a flush could not write, so the next one tries again.
    pub fn mark_dirty(&self, rows: &[EdgeSeen]) {
        let mut edges = self.lock();
        for row in rows {
            if let Some(e) = edges.get_mut(&row.key()) {
                e.dirty = true;
            }
        }
    }

    /// Every edge in memory.
    pub fn snapshot(&self) -> Vec<EdgeSeen> {
        self.lock().values().map(|e| e.seen.clone()).collect()
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

/// Namespaces as stored: comma-separated, in the order given (sorted by
/// the binding).
pub fn join(namespaces: &[Namespace]) -> String {
    let mut out = String::new();
    for (i, ns) in namespaces.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(ns.as_str());
    }
    out
}

#[cfg(test)]
mod tests;
