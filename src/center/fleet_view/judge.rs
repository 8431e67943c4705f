//! Judging the fleet, sans I/O: each edge current, lagging or silent, with
//! how far behind it is, from the rows, the newest revision of each
//! namespace and when the first change an edge lacks was made.

use std::collections::HashMap;

use super::FleetOptions;
use crate::domain::{DigestReport, EdgeSeen, EdgeState};

/// Most "when was the first change after revision r" lookups one
/// judgement makes (one indexed query each); edges past it that are
/// behind count as lagging, their lag in seconds unknown.
pub const MAX_LOOKUPS: usize = 256;

/// What the database tells about the data the edges follow.
#[derive(Debug, Default, Clone)]
pub struct FleetFacts {
    /// Each namespace's newest revision (that of its last change).
    pub newest: HashMap<String, i64>,
    /// When the first change after a revision was made in a set of
    /// namespaces (as `EdgeSeen::namespaces`), for the lookups asked.
    pub first_missed: HashMap<(String, i64), i64>,
}

impl FleetFacts {
    /// The newest revision among `namespaces` (comma-separated).
    pub fn newest_of(&self, namespaces: &str) -> i64 {
        newest_of(&self.newest, namespaces)
    }
}

fn newest_of(newest: &HashMap<String, i64>, namespaces: &str) -> i64 {
    namespaces
        .split(',')
        .filter_map(|ns| newest.get(ns))
        .copied()
        .max()
        .unwrap_or(0)
}

/// The lookups a judgement needs: each (namespaces, revision) of an edge
/// behind its namespaces' newest revision, at most `MAX_LOOKUPS`.
pub fn lookups(edges: &[EdgeSeen], newest: &HashMap<String, i64>) -> Vec<(String, i64)> {
    let mut wanted: Vec<(String, i64)> = edges
        .iter()
        .filter(|e| newest_of(newest, &e.namespaces) > e.revision)
        .map(|e| (e.namespaces.clone(), e.revision))
        .collect();
    wanted.sort_unstable();
    wanted.dedup();
    wanted.truncate(MAX_LOOKUPS);
    wanted
}

/// An edge, judged.
#[derive(Debug, Clone, PartialEq)]
pub struct Judged {
    pub edge: EdgeSeen,
    pub state: EdgeState,
    /// The newest revision of its namespaces.
    pub newest: i64,
    /// How many revisions it is behind that (0: it has it).
    pub lag_revisions: i64,
    /// Since when it misses a change, in seconds (0: it misses none;
    /// `None`: behind, but when the change was made is not known).
    pub lag_seconds: Option<f64>,
}

/// How many edges are in each state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub current: usize,
    pub lagging: usize,
    pub silent: usize,
}

impl Totals {
    /// In the order of `EdgeState::ALL`.
    pub fn by_state(&self) -> [usize; 3] {
        [self.current, self.lagging, self.silent]
    }
}

/// Judges every edge at `now_us`; lagging ones first, then silent, then
/// current, each by name and address.
pub fn judge(
    edges: Vec<EdgeSeen>,
    facts: &FleetFacts,
    options: &FleetOptions,
    now_us: i64,
) -> (Vec<Judged>, Totals) {
    let silent_us = options.silent.as_micros() as i64;
    let lag_s = options.lag.as_secs_f64();
    let mut totals = Totals::default();
    let mut judged: Vec<Judged> = edges
        .into_iter()
        .map(|edge| {
            let newest = facts.newest_of(&edge.namespaces);
            let lag_revisions = (newest - edge.revision).max(0);
            let lag_seconds = if lag_revisions == 0 {
                Some(0.0)
            } else {
                facts
                    .first_missed
                    .get(&(edge.namespaces.clone(), edge.revision))
                    .map(|at| ((now_us - at).max(0) as f64) / 1e6)
            };
            let state = if now_us - edge.last_pull_us > silent_us + edge.hold_us {
                EdgeState::Silent
            } else if edge.digest == Some(DigestReport::Failed)
                || (lag_revisions > 0 && lag_seconds.is_none_or(|s| s > lag_s))
            {
                EdgeState::Lagging
            } else {
                EdgeState::Current
            };
            match state {
                EdgeState::Current => totals.current += 1,
                EdgeState::Lagging => totals.lagging += 1,
                EdgeState::Silent => totals.silent += 1,
            }
            Judged {
                edge,
                state,
                newest,
                lag_revisions,
                lag_seconds,
            }
        })
        .collect();
    judged.sort_by(|a, b| {
        (a.state, &a.edge.name, &a.edge.address).cmp(&(b.state, &b.edge.name, &b.edge.address))
    });
    (judged, totals)
}

/// The rows of several centers and this one's memory as one list: per
/// name and address, the row with the latest pull (the earliest first
/// sighting kept).
pub fn merge(stored: Vec<EdgeSeen>, memory: Vec<EdgeSeen>) -> Vec<EdgeSeen> {
    let mut by_key: HashMap<(String, String), EdgeSeen> = HashMap::new();
    for row in stored.into_iter().chain(memory) {
        match by_key.entry(row.key()) {
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(row);
            }
            std::collections::hash_map::Entry::Occupied(mut o) => {
                let first = o.get().first_seen_us.min(row.first_seen_us);
                if row.last_pull_us >= o.get().last_pull_us {
                    o.insert(row);
                }
                o.get_mut().first_seen_us = first;
            }
        }
    }
    by_key.into_values().collect()
}
