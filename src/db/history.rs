//! History and audit: what every write replaced, a namespace as it was at a
//! revision, the audit log, and the upkeep that bounds both by
//! `server.history_retention`.
//!
//! History keeps every write made after `history_from` plus, per key, the
//! newest write at or before it (the base), so a namespace can be rebuilt
//! at any revision from `history_from` on.

use std::collections::{BTreeMap, HashSet};

use diesel::prelude::*;

use super::records::{read_transaction, write_transaction, REVISION};
use super::schema::{audit, history, meta, records};
use super::{with_conn, AnyConnection};
use crate::domain::Namespace;

/// The revision from which `records.at` and rollbacks can answer.
const HISTORY_FROM: &str = "history_from";
/// Keys per `IN (...)` list.
const CHUNK: usize = 500;

/// One write of one key, as `records.history` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct HistoryEntry {
    pub revision: i64,
    /// The value written (JSON text), or `None` for a delete.
    pub value: Option<String>,
    pub author: String,
    pub at_us: i64,
    /// The expiry the write set, if any.
    pub expires_at_us: Option<i64>,
}

/// The columns of an `AuditEntry`, in its order.
const AUDIT_COLUMNS: (
    audit::revision,
    audit::at_us,
    audit::author,
    audit::address,
    audit::method,
    audit::namespace,
    audit::keys_changed,
    audit::comment,
    audit::review,
) = (
    audit::revision,
    audit::at_us,
    audit::author,
    audit::address,
    audit::method,
    audit::namespace,
    audit::keys_changed,
    audit::comment,
    audit::review,
);

/// One committed revision, as `audit.list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct AuditEntry {
    pub revision: i64,
    pub at_us: i64,
    pub author: String,
    pub address: String,
    pub method: String,
    pub namespace: String,
    pub keys_changed: i64,
    pub comment: String,
    /// How it passed the review policy (JSON), if through a change request.
    pub review: Option<String>,
}

/// The writes of `key` in `ns`, newest first.
pub fn of_key(
    conn: &mut AnyConnection,
    ns: &Namespace,
    key: &str,
    limit: i64,
) -> QueryResult<Vec<HistoryEntry>> {
    with_conn!(conn, |c| history::table
        .filter(history::namespace.eq(ns.as_str()))
        .filter(history::record_key.eq(key))
        .order(history::revision.desc())
        .limit(limit)
        .select((
            history::revision,
            history::value,
            history::author,
            history::at_us,
            history::expires_at_us
        ))
        .load(c))
}

/// A namespace at a revision: its live records then, by key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AtRevision {
    pub revision: i64,
    pub records: Vec<(String, String)>,
    /// The expiry of those records that had one then, by key.
    pub expiries: BTreeMap<String, i64>,
}

/// Why a revision cannot be rebuilt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfRange {
    /// The oldest revision that can be.
    pub from: i64,
    /// The newest.
    pub current: i64,
}

/// The live records of `ns` at `revision`, read in one snapshot.
pub fn at(
    conn: &mut AnyConnection,
    ns: &Namespace,
    revision: i64,
) -> QueryResult<Result<AtRevision, OutOfRange>> {
    let name = ns.as_str();
    read_transaction!(conn, |c| {
        let current: i64 = meta::table.find(REVISION).select(meta::value).first(c)?;
        let from: i64 = meta::table
            .find(HISTORY_FROM)
            .select(meta::value)
            .first(c)?;
        if revision < from || revision > current {
            return Ok(Err(OutOfRange { from, current }));
        }
        // Unchanged since: the current row is the value then.
        let mut expiries = BTreeMap::new();
        let current_rows: Vec<(String, String, Option<i64>)> = records::table
            .filter(records::namespace.eq(name))
            .filter(records::revision.le(revision))
            .filter(records::deleted.eq(false))
            .select((records::key, records::value, records::expires_at_us))
            .load(c)?;
        let mut out: Vec<(String, String)> = Vec::with_capacity(current_rows.len());
        for (key, value, expires) in current_rows {
            if let Some(at) = expires {
                expiries.insert(key.clone(), at);
            }
            out.push((key, value));
        }
        // Changed since: the newest write at or before `revision`.
        let changed: HashSet<String> = history::table
            .filter(history::namespace.eq(name))
            .filter(history::revision.gt(revision))
            .select(history::record_key)
            .load::<String>(c)?
            .into_iter()
            .collect();
        let changed: Vec<String> = changed.into_iter().collect();
        for chunk in changed.chunks(CHUNK) {
            let rows: Vec<(String, Option<String>, Option<i64>)> = history::table
                .filter(history::namespace.eq(name))
                .filter(history::record_key.eq_any(chunk))
                .filter(history::revision.le(revision))
                .order((history::record_key.asc(), history::revision.desc()))
                .select((history::record_key, history::value, history::expires_at_us))
                .load(c)?;
            let mut last: Option<String> = None;
            for (key, value, expires) in rows {
                if last.as_deref() == Some(key.as_str()) {
                    continue;
                }
                last = Some(key.clone());
                if let Some(value) = value {
                    if let Some(at) = expires {
                        expiries.insert(key.clone(), at);
                    }
                    out.push((key, value));
                }
            }
        }
        out.sort_unstable_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        Ok(Ok(AtRevision {
            revision,
            records: out,
            expiries,
        }))
    })
}

/// The change sets of `ns` before revision `before` (or the newest),
/// newest first, at most `limit`.
pub fn timeline(
    conn: &mut AnyConnection,
    ns: &Namespace,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let before = before.unwrap_or(i64::MAX);
    with_conn!(conn, |c| audit::table
        .filter(audit::namespace.eq(ns.as_str()))
        .filter(audit::revision.lt(before))
        .order(audit::revision.desc())
        .limit(limit)
        .select(AUDIT_COLUMNS)
        .load(c))
}

/// Audit entries after `since` (oldest first), at most `limit`; with no
/// `since`, the newest `limit` entries.
pub fn audit_list(
    conn: &mut AnyConnection,
    since: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let columns = AUDIT_COLUMNS;
    let mut rows: Vec<AuditEntry> = match since {
        Some(since) => with_conn!(conn, |c| audit::table
            .filter(audit::revision.gt(since))
            .order(audit::revision.asc())
            .limit(limit)
            .select(columns)
            .load(c))?,
        None => with_conn!(conn, |c| audit::table
            .order(audit::revision.desc())
            .limit(limit)
            .select(columns)
            .load(c))?,
    };
    rows.sort_by_key(|r| r.revision);
    Ok(rows)
}

/// Forgets history and audit entries older than `cutoff_us`, keeping per
/// key the newest write at or before the cutoff revision (unless it was a
/// delete), and moves `history_from` up to that revision. Returns how many
/// history entries went.
pub fn purge(conn: &mut AnyConnection, cutoff_us: i64) -> QueryResult<usize> {
    write_transaction!(conn, |c| {
        let cutoff: Option<i64> = audit::table
            .filter(audit::at_us.lt(cutoff_us))
            .select(diesel::dsl::max(audit::revision))
            .first(c)?;
        let Some(cutoff) = cutoff else { return Ok(0) };
        let from: i64 = meta::table
            .find(HISTORY_FROM)
            .select(meta::value)
            .first(c)?;
        if cutoff <= from {
            return Ok(0);
        }
        let superseded: Vec<(String, String, Option<i64>)> = history::table
            .filter(history::revision.le(cutoff))
            .group_by((history::namespace, history::record_key))
            .having(diesel::dsl::count_star().gt(1))
            .select((
                history::namespace,
                history::record_key,
                diesel::dsl::max(history::revision),
            ))
            .load(c)?;
        let mut gone = 0;
        for (ns, key, newest) in superseded {
            let Some(newest) = newest else { continue };
            gone += diesel::delete(
                history::table
                    .filter(history::namespace.eq(&ns))
                    .filter(history::record_key.eq(&key))
                    .filter(history::revision.lt(newest)),
            )
            .execute(c)?;
        }
        gone += diesel::delete(
            history::table
                .filter(history::revision.le(cutoff))
                .filter(history::value.is_null()),
        )
        .execute(c)?;
        diesel::delete(audit::table.filter(audit::revision.le(cutoff))).execute(c)?;
        diesel::update(meta::table.find(HISTORY_FROM))
            .set(meta::value.eq(cutoff))
            .execute(c)?;
        Ok(gone)
    })
}
