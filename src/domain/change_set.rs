//! Change sets: what one write commits at one revision, and who made it.

use std::collections::BTreeMap;

use serde_json::Value;

use super::{Expiry, Namespace, RecordKey};

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
    /// The expirer's writes: a delete applies only to a record whose expiry
    /// is at or before this instant (a put since may have moved or
    /// cleared it).
    pub expired_by: Option<i64>,
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
