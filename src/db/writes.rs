//! Writes: one change set in one namespace, committed at one revision with
//! a history entry per key and one audit entry, or refused whole.
//!
//! Cost per write, beyond the record rows themselves: one history row per
//! key changed (batched, 500 a statement), one audit row, and the
//! namespace's row updated: its revision, live records and bytes, and its
//! digest (two BLAKE3 XOF hashes of 2 KB per key changed: the old tuple out,
//! the new one in) (BENCHMARKS.md measures it).

use std::collections::HashMap;

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::records::{insert_audit, take_revision, write_transaction, RecordRow, REVISION};
use super::schema::{audit, history, meta, namespaces, records};
pub use super::schema_cache::SchemaCache;
use super::AnyConnection;
use crate::domain::{
    after_put, Applied, History, InvalidExpiry, StoredRecord, Write, MAX_VIOLATIONS,
};
use crate::signing::LtHash;

/// Rows per multi-row statement (the bound parameters stay far below every
/// backend's limit).
const CHUNK: usize = 500;

/// Why a write was refused; nothing was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NoSuchNamespace,
    /// The namespace changed at `changed_at`, after the `if_revision` given.
    Conflict {
        changed_at: i64,
    },
    /// Values that violate the namespace's schema (the first few).
    Schema(Vec<String>),
    /// An expiry that is not ahead of the commit (or too far ahead).
    Expiry {
        key: String,
        why: InvalidExpiry,
    },
}

/// How a write transaction ends early.
enum Abort {
    Db(DieselError),
    Refused(Refused),
    /// Nothing to change: roll back so no revision is taken.
    Nothing,
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Self {
        Abort::Db(e)
    }
}

#[derive(Insertable)]
#[diesel(table_name = history)]
struct NewHistory<'a> {
    namespace: &'a str,
    record_key: &'a str,
    revision: i64,
    value: Option<&'a str>,
    author: &'a str,
    at_us: i64,
    expires_at_us: Option<i64>,
}

#[derive(Insertable)]
#[diesel(table_name = records)]
struct NewRecord<'a> {
    namespace: &'a str,
    key: &'a str,
    value: &'a str,
    revision: i64,
    updated_at_us: i64,
    deleted: bool,
    born: i64,
    gone: i64,
    expires_at_us: Option<i64>,
}

/// Commits `write` whole at one new revision, or refuses it whole; with
/// `history`, with its history rows and audit row.
pub fn apply(
    conn: &mut AnyConnection,
    write: &Write,
    schemas: &mut SchemaCache,
    now_us: i64,
    history: History,
) -> QueryResult<Result<Applied, Refused>> {
    let ns = write.namespace.as_str();
    let values: Vec<String> = write
        .changes
        .upserts
        .iter()
        .map(|(_, v)| v.to_string())
        .collect();
    let mut expiries = Vec::with_capacity(values.len());
    for (key, _) in &write.changes.upserts {
        let expiry = write.changes.expiries.get(key).map(|e| e.resolve(now_us));
        match expiry.transpose() {
            Ok(at) => expiries.push(at),
            Err(why) => {
                let key = key.to_string();
                return Ok(Err(Refused::Expiry { key, why }));
            }
        }
    }
    let outcome = write_transaction!(conn, |c| {
        let revision: i64 = take_revision!(c);
        type Found = (Option<String>, i64, Option<Vec<u8>>);
        let found: Option<Found> = namespaces::table
            .find(ns)
            .select((
                namespaces::value_schema,
                namespaces::revision,
                namespaces::digest,
            ))
            .first(c)
            .optional()?;
        let Some((schema, changed_at, digest)) = found else {
            return Err(Abort::Refused(Refused::NoSuchNamespace));
        };
        if write.if_revision.is_some_and(|r| changed_at > r) {
            return Err(Abort::Refused(Refused::Conflict { changed_at }));
        }
        if let Some(schema) = schema.as_deref().and_then(|t| schemas.get(t)) {
            let mut violations = Vec::new();
            for (key, value) in &write.changes.upserts {
                schema.check(key.as_str(), value, &mut violations);
                if violations.len() >= MAX_VIOLATIONS {
                    break;
                }
            }
            if !violations.is_empty() {
                return Err(Abort::Refused(Refused::Schema(violations)));
            }
        }
        let keys: Vec<&str> = write
            .changes
            .upserts
            .iter()
            .map(|(k, _)| k.as_str())
            .chain(write.changes.deletes.iter().map(|k| k.as_str()))
            .collect();
        let mut existing: HashMap<String, StoredRecord> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let rows: Vec<RecordRow> = records::table
                .filter(records::namespace.eq(ns))
                .filter(records::key.eq_any(chunk))
                .select(RecordRow::as_select())
                .load(c)?;
            for row in rows {
                let row = StoredRecord::from(row);
                existing.insert(row.key.clone(), row);
            }
        }
        let author = write.origin.author.as_str();
        let mut entries = Vec::with_capacity(keys.len());
        let mut inserts = Vec::new();
        // Change of the namespace's live_records and live_bytes.
        let (mut d_records, mut d_bytes) = (0i64, 0i64);
        // The namespace's digest, followed key by key (none yet: it is
        // computed whole at the next start, `digests::backfill`).
        let mut digest = digest.as_deref().and_then(LtHash::from_bytes);
        for (((key, _), value), &expires) in
            write.changes.upserts.iter().zip(&values).zip(&expiries)
        {
            let (key, value) = (key.as_str(), value.as_str());
            let before = existing.get(key);
            let (born, gone) = after_put(before, revision);
            if let Some(digest) = &mut digest {
                if let Some(live) = before.filter(|r| !r.deleted) {
                    digest.remove(ns, key, &live.value, live.expires_at_us);
                }
                digest.insert(ns, key, value, expires);
            }
            match before.filter(|r| !r.deleted) {
                Some(live) => d_bytes += value.len() as i64 - live.value.len() as i64,
                None => {
                    d_records += 1;
                    d_bytes += (key.len() + value.len()) as i64;
                }
            }
            if before.is_some() {
                diesel::update(records::table.find((ns, key)))
                    .set((
                        records::value.eq(value),
                        records::revision.eq(revision),
                        records::updated_at_us.eq(now_us),
                        records::deleted.eq(false),
                        records::born.eq(born),
                        records::gone.eq(gone),
                        records::expires_at_us.eq(expires),
                    ))
                    .execute(c)?;
            } else {
                inserts.push(NewRecord {
                    namespace: ns,
                    key,
                    value,
                    revision,
                    updated_at_us: now_us,
                    deleted: false,
                    born,
                    gone,
                    expires_at_us: expires,
                });
            }
            entries.push(NewHistory {
                namespace: ns,
                record_key: key,
                revision,
                value: Some(value),
                author,
                at_us: now_us,
                expires_at_us: expires,
            });
        }
        let upserts = entries.len();
        for key in &write.changes.deletes {
            let key = key.as_str();
            let Some(live) = existing.get(key).filter(|r| !r.deleted) else {
                continue;
            };
            // The expirer deletes only what is still due: a put since it
            // looked may have moved or cleared the expiry.
            if let Some(by) = write.expired_by {
                if live.expires_at_us.is_none_or(|at| at > by) {
                    continue;
                }
            }
            d_records -= 1;
            d_bytes -= (key.len() + live.value.len()) as i64;
            if let Some(digest) = &mut digest {
                digest.remove(ns, key, &live.value, live.expires_at_us);
            }
            diesel::update(records::table.find((ns, key)))
                .set((
                    records::value.eq("null"),
                    records::revision.eq(revision),
                    records::updated_at_us.eq(now_us),
                    records::deleted.eq(true),
                    records::expires_at_us.eq(None::<i64>),
                ))
                .execute(c)?;
            entries.push(NewHistory {
                namespace: ns,
                record_key: key,
                revision,
                value: None,
                author,
                at_us: now_us,
                expires_at_us: None,
            });
        }
        if entries.is_empty() {
            return Err(Abort::Nothing);
        }
        for chunk in inserts.chunks(CHUNK) {
            diesel::insert_into(records::table)
                .values(chunk)
                .execute(c)?;
        }
        for chunk in entries.chunks(CHUNK) {
            diesel::insert_into(history::table)
                .values(chunk)
                .execute(c)?;
        }
        diesel::update(namespaces::table.find(ns))
            .set((
                namespaces::revision.eq(revision),
                namespaces::live_records.eq(namespaces::live_records + d_records),
                namespaces::live_bytes.eq(namespaces::live_bytes + d_bytes),
                namespaces::digest.eq(digest.map(|d| d.to_bytes())),
            ))
            .execute(c)?;
        if history == History::Kept {
            insert_audit!(c, revision, now_us, write.origin, ns, entries.len() as i64);
        }
        Ok(Applied {
            revision: Some(revision),
            upserts,
            deletes: entries.len() - upserts,
        })
    });
    match outcome {
        Ok(applied) => Ok(Ok(applied)),
        Err(Abort::Nothing) => Ok(Ok(Applied {
            revision: None,
            upserts: 0,
            deletes: 0,
        })),
        Err(Abort::Refused(why)) => Ok(Err(why)),
        Err(Abort::Db(e)) => Err(e),
    }
}
