//! Gray releases' targets: which edges a release reaches. By name, by
//! labels (all must match), or by a sticky percentage: an edge's bucket is
//! a hash of its name and the release's id onto 0..10,000 (hundredths of a
//! percent), the same on every center, after every restart and in every
//! version (BLAKE3, no per-process key), so widening a release keeps every
//! edge that was in, and releases spread independently of each other.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{json, Value};

use super::{EdgeName, InvalidLabels, Labels};

/// Hundredths of a percent: 0 (none) to 10,000 (every edge).
pub const ALL_BUCKETS: u32 = 10_000;

/// The most active releases one namespace holds at once (each costs every
/// pull of the namespace one target check).
pub const MAX_ACTIVE_RELEASES: i64 = 16;

/// The most edges a target names.
pub const MAX_TARGET_EDGES: usize = 1_000;

/// A gray release's id, unique on the database (every center shares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct ReleaseId(pub i64);

impl std::fmt::Display for ReleaseId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a gray release stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReleaseState {
    /// Served to the edges its target reaches.
    Active,
    /// Merged into the namespace as one revision.
    Promoted,
    /// Stopped: its edges are back on the main line.
    Aborted,
}

impl ReleaseState {
    pub const ALL: [ReleaseState; 3] = [
        ReleaseState::Active,
        ReleaseState::Promoted,
        ReleaseState::Aborted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReleaseState::Active => "active",
            ReleaseState::Promoted => "promoted",
            ReleaseState::Aborted => "aborted",
        }
    }

    pub fn parse(text: &str) -> Option<ReleaseState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// Which edges a release reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// These edges, by `client.name`.
    Edges(Vec<EdgeName>),
    /// Edges with every one of these labels.
    Labels(Labels),
    /// Edges whose bucket is below this many hundredths of a percent.
    Percent(u32),
}

/// Why a target is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidTarget {
    #[error("a percentage is a number from 0 to 100")]
    Percent,
    #[error(
        r#"a target is one of {{"edges": [names]}}, {{"labels": {{key: value}}}} or {{"percent": p}}"#
    )]
    Shape,
    #[error("{0:?} is not an edge name (letters, digits, '.', '_' and '-', at most 64)")]
    Edge(String),
    #[error("a target names 1 to {MAX_TARGET_EDGES} edges")]
    EdgeCount,
    #[error("a target's labels are 1 to 8 pairs of keys and values as client.labels takes them")]
    Labels,
}

impl From<InvalidLabels> for InvalidTarget {
    fn from(_: InvalidLabels) -> Self {
        InvalidTarget::Labels
    }
}

impl Target {
    /// `percent` (0 to 100, two decimals kept) as a target.
    pub fn percent(percent: f64) -> Result<Target, InvalidTarget> {
        if !(0.0..=100.0).contains(&percent) {
            return Err(InvalidTarget::Percent);
        }
        Ok(Target::Percent((percent * 100.0).round() as u32))
    }

    /// The target from its JSON form (as `to_json` writes it, and as
    /// `gray.create` and `gray.update` take it).
    pub fn from_json(value: &Value) -> Result<Target, InvalidTarget> {
        let Some(object) = value.as_object().filter(|o| o.len() == 1) else {
            return Err(InvalidTarget::Shape);
        };
        match object.iter().next() {
            Some((kind, Value::Array(names))) if kind == "edges" => {
                if names.is_empty() || names.len() > MAX_TARGET_EDGES {
                    return Err(InvalidTarget::EdgeCount);
                }
                let mut edges = Vec::with_capacity(names.len());
                for name in names {
                    let text = name.as_str().ok_or(InvalidTarget::Shape)?;
                    let edge = EdgeName::parse(text)
                        .map_err(|_| InvalidTarget::Edge(text.chars().take(80).collect()))?;
                    if !edges.contains(&edge) {
                        edges.push(edge);
                    }
                }
                Ok(Target::Edges(edges))
            }
            Some((kind, Value::Object(pairs))) if kind == "labels" => {
                let mut map = BTreeMap::new();
                for (k, v) in pairs {
                    map.insert(
                        k.clone(),
                        v.as_str().ok_or(InvalidTarget::Labels)?.to_string(),
                    );
                }
                let labels = Labels::from_map(&map)?;
                if labels.is_empty() {
                    return Err(InvalidTarget::Labels);
                }
                Ok(Target::Labels(labels))
            }
            Some((kind, Value::Number(p))) if kind == "percent" => {
                Target::percent(p.as_f64().ok_or(InvalidTarget::Percent)?)
            }
            _ => Err(InvalidTarget::Shape),
        }
    }

    /// Its JSON form: `{"edges": [...]}`, `{"labels": {...}}` or
    /// `{"percent": p}`.
    pub fn to_json(&self) -> Value {
        match self {
            Target::Edges(names) => {
                json!({ "edges": names.iter().map(EdgeName::as_str).collect::<Vec<_>>() })
            }
            Target::Labels(labels) => {
                let pairs: serde_json::Map<String, Value> = labels
                    .pairs()
                    .map(|(k, v)| (k.to_string(), Value::from(v)))
                    .collect();
                json!({ "labels": pairs })
            }
            Target::Percent(buckets) => json!({ "percent": f64::from(*buckets) / 100.0 }),
        }
    }

    /// Whether the edge named `name`, with `labels`, is in release
    /// `release` (an edge without a name is in none).
    pub fn reaches(&self, release: ReleaseId, name: Option<&EdgeName>, labels: &Labels) -> bool {
        let Some(name) = name else {
            return false;
        };
        match self {
            Target::Edges(names) => names.contains(name),
            Target::Labels(wanted) => wanted.pairs().all(|(k, v)| labels.get(k) == Some(v)),
            Target::Percent(buckets) => bucket(name.as_str(), release) < *buckets,
        }
    }
}

/// The bucket of edge `name` in release `release`: 0..`ALL_BUCKETS`. The
/// BLAKE3 hash of a label, the id and the name, hashed in one call from a
/// buffer on the stack (a name is at most 64 bytes): a pull checks one per
/// active release.
pub fn bucket(name: &str, release: ReleaseId) -> u32 {
    const LABEL: &[u8] = b"syncdict gray bucket\0";
    let mut buf = [0u8; LABEL.len() + 8 + 64];
    let name = &name.as_bytes()[..name.len().min(64)];
    buf[..LABEL.len()].copy_from_slice(LABEL);
    buf[LABEL.len()..LABEL.len() + 8].copy_from_slice(&release.0.to_le_bytes());
    let end = LABEL.len() + 8 + name.len();
    buf[LABEL.len() + 8..end].copy_from_slice(name);
    let hash = blake3::hash(&buf[..end]);
    let head = u64::from_le_bytes(hash.as_bytes()[..8].try_into().expect("8 bytes"));
    (head % u64::from(ALL_BUCKETS)) as u32
}

/// The header in which an edge lists the gray releases its data holds:
/// their ids, comma-separated (lower case, as header names are stored).
pub const GRAY_HEADER: &str = "syncdict-gray";

/// Most release ids read from an edge's header.
pub const MAX_HELD_RELEASES: usize = 64;

/// The releases a `Syncdict-Gray` header lists, as `held_ids` keeps them;
/// anything unreadable reads as none.
pub fn held_releases(header: Option<&[u8]>) -> Vec<ReleaseId> {
    let Some(text) = header.and_then(|h| std::str::from_utf8(h).ok()) else {
        return Vec::new();
    };
    held_ids(text.split(',').map(|id| id.trim().parse::<i64>().ok()))
}

/// Release ids as an edge holds them: the first `MAX_HELD_RELEASES`, up
/// to the first that is not a positive id, sorted, each once.
pub fn held_ids(ids: impl IntoIterator<Item = Option<i64>>) -> Vec<ReleaseId> {
    let mut ids: Vec<ReleaseId> = ids
        .into_iter()
        .take(MAX_HELD_RELEASES)
        .map_while(|id| id.filter(|n| *n > 0))
        .map(ReleaseId)
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

#[cfg(test)]
#[path = "gray_tests.rs"]
mod tests;
