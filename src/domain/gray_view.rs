//! An edge's view of one namespace under gray releases, sans I/O: which
//! active releases reach it, what its next reply carries on top of the
//! main line, and which keys go back to the main line when it leaves one.
//!
//! The edge reports the releases its data holds (`held`); the center
//! answers with those that reach it now (`Overlay::releases`), which the
//! edge keeps and reports on its next pull. A release's change set never
//! changes after it is created, so its id names its keys for good.
//!
//! When releases that reach one edge touch the same key, the newest
//! (highest id) wins.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::{ChangeSet, EdgeName, Labels, ReleaseId, Target};

/// A release as the view needs it (active, or ended but still known so
/// that edges holding it can be brought back).
#[derive(Debug, Clone, Copy)]
pub struct Release<'a> {
    pub id: ReleaseId,
    pub active: bool,
    pub target: &'a Target,
    pub changes: &'a ChangeSet,
}

/// The edge asking.
#[derive(Debug, Clone, Copy)]
pub struct Edge<'a> {
    pub name: Option<&'a EdgeName>,
    pub labels: &'a Labels,
}

/// What one key holds in the view.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Pick<'a> {
    Put(&'a Value),
    Delete,
}

/// The edge's view of a namespace against the main line.
#[derive(Debug, PartialEq)]
pub struct Overlay<'a> {
    /// The active releases that reach the edge, by id, ascending: what it
    /// holds once it applies the reply.
    pub releases: Vec<ReleaseId>,
    /// Each key a reaching release touches, with the newest one's value.
    pub picks: BTreeMap<&'a str, Pick<'a>>,
    /// Keys of releases the edge held and no longer is in, that no
    /// reaching release touches: they go back to the main line.
    pub restore: BTreeSet<&'a str>,
    /// The edge held a release that is not known: only a whole list of the
    /// namespace can bring it back to a known view.
    pub unknown: bool,
}

impl Overlay<'_> {
    /// Whether the reply must change what the edge holds beyond the main
    /// line's own changes.
    pub fn changed(&self, held: &[ReleaseId]) -> bool {
        let mut held = held.to_vec();
        held.sort();
        held.dedup();
        held != self.releases || self.unknown
    }
}

/// The view of an edge that holds `held`, given `releases` (of this
/// namespace, any order).
pub fn overlay<'a>(releases: &[Release<'a>], held: &[ReleaseId], edge: Edge<'_>) -> Overlay<'a> {
    let mut reaching: Vec<&Release<'a>> = releases
        .iter()
        .filter(|r| r.active && r.target.reaches(r.id, edge.name, edge.labels))
        .collect();
    reaching.sort_by_key(|r| r.id);
    let mut picks = BTreeMap::new();
    // Oldest first, so the newest release's value is the one left.
    for release in &reaching {
        for (key, value) in &release.changes.upserts {
            picks.insert(key.as_str(), Pick::Put(value));
        }
        for key in &release.changes.deletes {
            picks.insert(key.as_str(), Pick::Delete);
        }
    }
    let ids: Vec<ReleaseId> = reaching.iter().map(|r| r.id).collect();
    let mut restore = BTreeSet::new();
    let mut unknown = false;
    for id in held.iter().filter(|id| !ids.contains(id)) {
        let Some(left) = releases.iter().find(|r| r.id == *id) else {
            unknown = true;
            continue;
        };
        let keys = left.changes.upserts.iter().map(|(k, _)| k);
        for key in keys.chain(&left.changes.deletes) {
            if !picks.contains_key(key.as_str()) {
                restore.insert(key.as_str());
            }
        }
    }
    Overlay {
        releases: ids,
        picks,
        restore,
        unknown,
    }
}

/// A namespace's part of a reply: upserts as (key, value) and deletes.
#[derive(Debug, Default, PartialEq)]
pub struct Delta {
    pub upserts: Vec<(String, Value)>,
    pub deletes: Vec<String>,
}

impl Overlay<'_> {
    /// The part an edge that holds `held` gets: `main` (the main line's
    /// part) without the keys a reaching release decides, and, when its
    /// view changed, every pick and every restored key at its main-line
    /// value now (`main_now`; `None`: the key is not on the main line).
    pub fn apply(
        &self,
        main: Delta,
        held: &[ReleaseId],
        main_now: impl Fn(&str) -> Option<Value>,
    ) -> Delta {
        let decided = |key: &str| self.picks.contains_key(key);
        let mut out = Delta {
            upserts: main
                .upserts
                .into_iter()
                .filter(|(k, _)| !decided(k))
                .collect(),
            deletes: main.deletes.into_iter().filter(|k| !decided(k)).collect(),
        };
        if !self.changed(held) {
            return out;
        }
        for (key, pick) in &self.picks {
            match pick {
                Pick::Put(value) => out.upserts.push((key.to_string(), (*value).clone())),
                Pick::Delete => out.deletes.push(key.to_string()),
            }
        }
        for key in &self.restore {
            if out.upserts.iter().any(|(k, _)| k == key) || out.deletes.iter().any(|k| k == key) {
                continue;
            }
            match main_now(key) {
                Some(value) => out.upserts.push((key.to_string(), value)),
                None => out.deletes.push(key.to_string()),
            }
        }
        out
    }
}

#[cfg(test)]
#[path = "gray_view_tests.rs"]
mod tests;
