//! Change sets: what one write commits at one revision, and who made it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::review::Passage;
use super::{format_timestamp, Expiry, Namespace, RecordKey};

/// Upserts and deletes committed together at one revision, or not at all.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChangeSet {
    pub upserts: Vec<(RecordKey, Value)>,
    pub deletes: Vec<RecordKey>,
    /// The expiry of upserted keys that have one; an upsert without one
    /// never expires (a put replaces the expiry with its own).
    pub expiries: BTreeMap<RecordKey, Expiry>,
}

impl ChangeSet {
    pub fn put(key: RecordKey, value: Value) -> ChangeSet {
        ChangeSet {
            upserts: vec![(key, value)],
            ..ChangeSet::default()
        }
    }

    pub fn delete(key: RecordKey) -> ChangeSet {
        ChangeSet {
            deletes: vec![key],
            ..ChangeSet::default()
        }
    }

    pub fn len(&self) -> usize {
        self.upserts.len() + self.deletes.len()
    }

    /// As `records.apply` takes it: `{upserts, deletes, expires_in,
    /// expires_at}` (an expiry after the write stays one).
    pub fn to_json(&self) -> Value {
        let upserts: serde_json::Map<String, Value> = self
            .upserts
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        let deletes: Vec<&str> = self.deletes.iter().map(|k| k.as_str()).collect();
        let (mut expires_in, mut expires_at) = (serde_json::Map::new(), serde_json::Map::new());
        for (key, expiry) in &self.expiries {
            match expiry {
                Expiry::In(after) => expires_in.insert(key.to_string(), after.as_secs_f64().into()),
                Expiry::At(at) => expires_at.insert(key.to_string(), format_timestamp(*at).into()),
            };
        }
        serde_json::json!({
            "upserts": upserts,
            "deletes": deletes,
            "expires_in": expires_in,
            "expires_at": expires_at,
        })
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Who wrote, from where, through which method: kept in the audit log and,
/// for the author, in every history entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WriteOrigin {
    /// The user (or token) name; empty when unknown (the data that was
    /// there before history was kept).
    pub author: String,
    /// The client address as `server.trusted_proxies` resolved it.
    pub address: String,
    /// The RPC method, or the command (`import`, `upkeep`).
    pub method: String,
    /// A free-text comment (the console's publish comment).
    pub comment: String,
}

/// A change set to commit in a namespace, and its optimistic-concurrency
/// condition.
#[derive(Debug, Clone, PartialEq)]
pub struct Write {
    pub namespace: Namespace,
    pub changes: ChangeSet,
    /// Refuse if the namespace changed after this revision.
    pub if_revision: Option<i64>,
    pub origin: WriteOrigin,
    /// How it passes the namespace's review policy.
    pub passage: Passage,
    pub kind: WriteKind,
}

/// What a write is, for the events it raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WriteKind {
    /// Records changed (`records.*`, import, expiry, a change request).
    Change,
    /// A namespace made equal to its past.
    Rollback,
}

/// Whether committed changes leave webhook events in the outbox (only
/// while a webhook is configured).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outbox {
    Kept,
    Off,
}

/// What a committed write did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Applied {
    /// The revision taken; `None` when nothing changed (deletes of keys
    /// that were not there), and no revision was taken.
    pub revision: Option<i64>,
    pub upserts: usize,
    pub deletes: usize,
}

/// Whether writes keep history and audit rows (`server.keep_history`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    Kept,
    Off,
}

impl From<bool> for History {
    fn from(keep: bool) -> History {
        match keep {
            true => History::Kept,
            false => History::Off,
        }
    }
}

/// Whether deleting a namespace that has records deletes them with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Force {
    /// Refuse while it has records.
    IfEmpty,
    /// Delete its records with it.
    WithRecords,
}

/// Whether timed work (an edge's pulls, a center's webhook deliveries) runs
/// on its own timer or only when ticked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pace {
    /// On its timer (an edge every `client.interval`).
    Timer,
    /// Only when a test ticks it (`EdgeHandle::tick`, `Maintenance::deliver`).
    Ticked,
}
