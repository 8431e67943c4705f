//! What one change set does to a namespace's rows, worked out from the
//! rows it touches before any is written (sans I/O): the rows to update
//! and insert, the history entries, the change of the namespace's counts
//! and its digest followed key by key.

use std::collections::HashMap;

use diesel::prelude::*;

use super::schema::{history, records};
use crate::domain::{after_put, Passage, StoredRecord, Write};
use crate::signing::LtHash;

#[derive(Insertable)]
#[diesel(table_name = history)]
pub(super) struct NewHistory<'a> {
    pub namespace: &'a str,
    pub record_key: &'a str,
    pub revision: i64,
    pub value: Option<&'a str>,
    pub author: &'a str,
    pub at_us: i64,
    pub expires_at_us: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = records)]
pub(super) struct NewRecord<'a> {
    pub namespace: &'a str,
    pub key: &'a str,
    pub value: &'a str,
    pub revision: i64,
    pub updated_at_us: i64,
    pub deleted: bool,
    pub born: i64,
    pub gone: i64,
    pub expires_at_us: Option<i64>,
}

/// A row that exists (live or a tombstone) and changes.
pub(super) enum Update<'a> {
    Put {
        key: &'a str,
        value: &'a str,
        born: i64,
        gone: i64,
        expires_at_us: Option<i64>,
    },
    /// Becomes a tombstone.
    Delete { key: &'a str },
}

/// The rows a change set writes, and what it does to the namespace.
pub(super) struct Plan<'a> {
    pub updates: Vec<Update<'a>>,
    pub inserts: Vec<NewRecord<'a>>,
    /// One per key changed, upserts first.
    pub entries: Vec<NewHistory<'a>>,
    pub upserts: usize,
    /// Change of the namespace's live records and live bytes.
    pub d_records: i64,
    pub d_bytes: i64,
    /// The namespace's digest after the write (none yet: it is computed
    /// whole at the next start, `digests::backfill`).
    pub digest: Option<LtHash>,
}

/// What the write does, at `revision` and `now_us`.
pub(super) struct At {
    pub revision: i64,
    pub now_us: i64,
}

/// Plans `write` (its upserted values as JSON text in `values`, their
/// expiries resolved in `expiries`) over the `existing` rows it touches.
pub(super) fn plan<'a>(
    write: &'a Write,
    values: &'a [String],
    expiries: &[Option<i64>],
    existing: &HashMap<String, StoredRecord>,
    at: At,
    digest: Option<LtHash>,
) -> Plan<'a> {
    let ns = write.namespace.as_str();
    let mut plan = Plan {
        updates: Vec::new(),
        inserts: Vec::new(),
        entries: Vec::new(),
        upserts: 0,
        d_records: 0,
        d_bytes: 0,
        digest,
    };
    let upserts = write.changes.upserts.iter().zip(values).zip(expiries);
    for (((key, _), value), &expires) in upserts {
        plan.put(
            ns,
            key.as_str(),
            value,
            expires,
            existing.get(key.as_str()),
            &at,
        );
    }
    plan.upserts = plan.entries.len();
    for key in &write.changes.deletes {
        let Some(live) = existing.get(key.as_str()).filter(|r| !r.deleted) else {
            continue;
        };
        // The expirer deletes only what is still due: a put since it
        // looked may have moved or cleared the expiry.
        if let Passage::Expiry { by_us: by } = write.passage {
            if live.expires_at_us.is_none_or(|at| at > by) {
                continue;
            }
        }
        plan.delete(ns, key.as_str(), live, &at);
    }
    let author = write.origin.author.as_str();
    for entry in &mut plan.entries {
        entry.author = author;
    }
    plan
}

impl<'a> Plan<'a> {
    fn put(
        &mut self,
        ns: &'a str,
        key: &'a str,
        value: &'a str,
        expires: Option<i64>,
        before: Option<&StoredRecord>,
        at: &At,
    ) {
        let (born, gone) = after_put(before, at.revision);
        let live = before.filter(|r| !r.deleted);
        if let Some(digest) = &mut self.digest {
            if let Some(live) = live {
                digest.remove(ns, key, &live.value, live.expires_at_us);
            }
            digest.insert(ns, key, value, expires);
        }
        match live {
            Some(live) => self.d_bytes += value.len() as i64 - live.value.len() as i64,
            None => {
                self.d_records += 1;
                self.d_bytes += (key.len() + value.len()) as i64;
            }
        }
        match before {
            Some(_) => self.updates.push(Update::Put {
                key,
                value,
                born,
                gone,
                expires_at_us: expires,
            }),
            None => self.inserts.push(NewRecord {
                namespace: ns,
                key,
                value,
                revision: at.revision,
                updated_at_us: at.now_us,
                deleted: false,
                born,
                gone,
                expires_at_us: expires,
            }),
        }
        self.entries.push(entry(ns, key, Some(value), expires, at));
    }

    fn delete(&mut self, ns: &'a str, key: &'a str, live: &StoredRecord, at: &At) {
        self.d_records -= 1;
        self.d_bytes -= (key.len() + live.value.len()) as i64;
        if let Some(digest) = &mut self.digest {
            digest.remove(ns, key, &live.value, live.expires_at_us);
        }
        self.updates.push(Update::Delete { key });
        self.entries.push(entry(ns, key, None, None, at));
    }
}

/// A history entry (its author set once the plan is done).
fn entry<'a>(
    ns: &'a str,
    key: &'a str,
    value: Option<&'a str>,
    expires_at_us: Option<i64>,
    at: &At,
) -> NewHistory<'a> {
    NewHistory {
        namespace: ns,
        record_key: key,
        revision: at.revision,
        value,
        author: "",
        at_us: at.now_us,
        expires_at_us,
    }
}
