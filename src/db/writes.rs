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

use super::outbox::record_events;
use super::records::{insert_audit, take_revision, write_transaction, RecordRow, REVISION};
use super::review_close::close_gated;
pub use super::review_gate::Refused;
use super::review_gate::{changed_since, publisher, review_gate};
use super::schema::{audit, history, meta, namespaces, records};
pub use super::schema_cache::SchemaCache;
use super::secrets::replace_keys;
use super::write_events;
use super::write_plan::{plan, At, Update};
use super::AnyConnection;
use crate::domain::{
    Applied, History, Outbox, Passage, StoredRecord, ValueSchema, Write, MAX_VIOLATIONS,
};
use crate::signing::LtHash;

/// Rows per multi-row statement (the bound parameters stay far below every
/// backend's limit).
const CHUNK: usize = 500;

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

/// Each upserted value's JSON text, in upsert order.
fn value_texts(write: &Write) -> Vec<String> {
    let upserts = write.changes.upserts.iter();
    upserts.map(|(_, v)| v.to_string()).collect()
}

/// Each upserted key's expiry as a time, in upsert order; refused if one
/// is not ahead of `now_us` (or too far ahead).
fn resolve_expiries(write: &Write, now_us: i64) -> Result<Vec<Option<i64>>, Refused> {
    write
        .changes
        .upserts
        .iter()
        .map(|(key, _)| {
            let expiry = write.changes.expiries.get(key).map(|e| e.resolve(now_us));
            expiry.transpose().map_err(|why| Refused::Expiry {
                key: key.to_string(),
                why,
            })
        })
        .collect()
}

/// On a secret namespace, the first few upserted values that are not age
/// ciphertexts; elsewhere, a key rotation.
fn check_sealed(secret: bool, write: &Write) -> Result<(), Refused> {
    if !secret {
        return match write.passage {
            Passage::Rekey(_) => Err(Refused::NotSecret),
            _ => Ok(()),
        };
    }
    let upserts = write.changes.upserts.iter();
    let refused = crate::sealing::unsealed(upserts.map(|(k, v)| (k.as_str(), v)));
    match refused.is_empty() {
        true => Ok(()),
        false => Err(Refused::NotSealed(refused)),
    }
}

/// The first few upserted values `schema` refuses, if any.
fn check_schema(schema: Option<&ValueSchema>, write: &Write) -> Result<(), Refused> {
    let Some(schema) = schema else {
        return Ok(());
    };
    let mut violations = Vec::new();
    for (key, value) in &write.changes.upserts {
        schema.check(key.as_str(), value, &mut violations);
        if violations.len() >= MAX_VIOLATIONS {
            break;
        }
    }
    match violations.is_empty() {
        true => Ok(()),
        false => Err(Refused::Schema(violations)),
    }
}

/// The rows of namespace `$ns` that `$write` touches, by key.
macro_rules! load_existing {
    ($c:ident, $ns:expr, $write:expr) => {{
        let keys: Vec<&str> = $write
            .changes
            .upserts
            .iter()
            .map(|(k, _)| k.as_str())
            .chain($write.changes.deletes.iter().map(|k| k.as_str()))
            .collect();
        let mut existing: HashMap<String, StoredRecord> = HashMap::with_capacity(keys.len());
        for chunk in keys.chunks(CHUNK) {
            let rows: Vec<RecordRow> = records::table
                .filter(records::namespace.eq($ns))
                .filter(records::key.eq_any(chunk))
                .select(RecordRow::as_select())
                .load($c)?;
            for row in rows {
                let row = StoredRecord::from(row);
                existing.insert(row.key.clone(), row);
            }
        }
        existing
    }};
}

/// Writes a `Plan`'s rows, history and the namespace's row.
macro_rules! write_plan {
    ($c:ident, $ns:expr, $revision:expr, $now_us:expr, $plan:expr) => {{
        for update in &$plan.updates {
            match update {
                Update::Put {
                    key,
                    value,
                    born,
                    gone,
                    expires_at_us,
                } => diesel::update(records::table.find(($ns, *key)))
                    .set((
                        records::value.eq(*value),
                        records::revision.eq($revision),
                        records::updated_at_us.eq($now_us),
                        records::deleted.eq(false),
                        records::born.eq(*born),
                        records::gone.eq(*gone),
                        records::expires_at_us.eq(*expires_at_us),
                    ))
                    .execute($c)?,
                Update::Delete { key } => diesel::update(records::table.find(($ns, *key)))
                    .set((
                        records::value.eq("null"),
                        records::revision.eq($revision),
                        records::updated_at_us.eq($now_us),
                        records::deleted.eq(true),
                        records::expires_at_us.eq(None::<i64>),
                    ))
                    .execute($c)?,
            };
        }
        for chunk in $plan.inserts.chunks(CHUNK) {
            diesel::insert_into(records::table)
                .values(chunk)
                .execute($c)?;
        }
        for chunk in $plan.entries.chunks(CHUNK) {
            diesel::insert_into(history::table)
                .values(chunk)
                .execute($c)?;
        }
        diesel::update(namespaces::table.find($ns))
            .set((
                namespaces::revision.eq($revision),
                namespaces::live_records.eq(namespaces::live_records + $plan.d_records),
                namespaces::live_bytes.eq(namespaces::live_bytes + $plan.d_bytes),
                namespaces::digest.eq($plan.digest.as_ref().map(|d| d.to_bytes())),
            ))
            .execute($c)?;
    }};
}

/// Commits `write` whole at one new revision, or refuses it whole; with
/// `history`, with its history rows and audit row.
pub fn apply(
    conn: &mut AnyConnection,
    write: &Write,
    schemas: &mut SchemaCache,
    now_us: i64,
    history: History,
    outbox: Outbox,
) -> QueryResult<Result<Applied, Refused>> {
    let ns = write.namespace.as_str();
    let values = value_texts(write);
    let expiries = match resolve_expiries(write, now_us) {
        Ok(expiries) => expiries,
        Err(refused) => return Ok(Err(refused)),
    };
    let outcome = write_transaction!(conn, |c| {
        let revision: i64 = take_revision!(c);
        type Found = (Option<String>, i64, Option<Vec<u8>>, i64, Option<String>);
        let found: Option<Found> = namespaces::table
            .find(ns)
            .select((
                namespaces::value_schema,
                namespaces::revision,
                namespaces::digest,
                namespaces::reviews_required,
                namespaces::recipient,
            ))
            .first(c)
            .optional()?;
        let Some((schema, changed_at, digest, required, recipient)) = found else {
            return Err(Abort::Refused(Refused::NoSuchNamespace));
        };
        check_sealed(recipient.is_some(), write).map_err(Abort::Refused)?;
        let gate = review_gate!(c, write, ns, required).map_err(Abort::Refused)?;
        if write.if_revision.is_some_and(|r| changed_at > r) {
            return Err(Abort::Refused(Refused::Conflict { changed_at }));
        }
        let schema = schema.as_deref().and_then(|t| schemas.get(t));
        check_schema(schema.as_deref(), write).map_err(Abort::Refused)?;
        let existing = load_existing!(c, ns, write);
        changed_since(&existing, gate.base_revision)
            .map_err(|keys| Abort::Refused(Refused::KeysChanged(keys)))?;
        let digest = digest.as_deref().and_then(LtHash::from_bytes);
        let at = At { revision, now_us };
        let plan = plan(write, &values, &expiries, &existing, at, digest);
        let changes = !plan.entries.is_empty();
        if close_gated!(c, gate, write, changes.then_some(revision), now_us) {
            return Ok(UNCHANGED);
        }
        if plan.entries.is_empty() && !matches!(write.passage, Passage::Rekey(_)) {
            return Err(Abort::Nothing);
        }
        write_plan!(c, ns, revision, now_us, plan);
        replace_keys!(c, ns, write, now_us).map_err(Abort::Refused)?;
        if outbox == Outbox::Kept {
            let data = write_events::data(write, &gate, revision, &plan.entries, &existing);
            record_events!(c, &write_events::kinds(write, &gate), &data, now_us);
        }
        if history == History::Kept {
            insert_audit!(
                c,
                revision,
                now_us,
                write.origin,
                ns,
                plan.entries.len() as i64,
                gate.review.as_deref()
            );
        }
        Ok(Applied {
            revision: Some(revision),
            upserts: plan.upserts,
            deletes: plan.entries.len() - plan.upserts,
        })
    });
    finish(outcome)
}

/// What a write transaction's end answers.
fn finish(outcome: Result<Applied, Abort>) -> QueryResult<Result<Applied, Refused>> {
    match outcome {
        Ok(applied) => Ok(Ok(applied)),
        Err(Abort::Nothing) => Ok(Ok(UNCHANGED)),
        Err(Abort::Refused(why)) => Ok(Err(why)),
        Err(Abort::Db(e)) => Err(e),
    }
}

/// A write that changed nothing and took no revision.
const UNCHANGED: Applied = Applied {
    revision: None,
    upserts: 0,
    deletes: 0,
};
