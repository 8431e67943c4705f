//! Queries on the record store. Every write first bumps the `revision` row of
//! `meta`, which locks it until commit: writers are serialized and revisions
//! are taken in commit order, so a reader that saw revision N has seen every
//! write up to N.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::schema::{meta, records};
use super::{with_conn, AnyConnection};
use crate::domain::{after_put, StoredRecord};

const REVISION: &str = "revision";
const PURGED_THROUGH: &str = "purged_through";

#[derive(Queryable, Selectable)]
#[diesel(table_name = records)]
struct RecordRow {
    key: String,
    value: String,
    revision: i64,
    updated_at_us: i64,
    deleted: bool,
    born: i64,
    gone: i64,
}

impl From<RecordRow> for StoredRecord {
    fn from(r: RecordRow) -> Self {
        StoredRecord {
            key: r.key,
            value: r.value,
            revision: r.revision,
            updated_at_us: r.updated_at_us,
            deleted: r.deleted,
            born: r.born,
            gone: r.gone,
        }
    }
}

/// The rows `records.changes` needs, read in one snapshot.
pub struct ChangeRows {
    /// The store's revision in that snapshot.
    pub revision: i64,
    /// True when the rows are all live records (a full snapshot).
    pub full: bool,
    /// Live rows, or every row changed after `since` (tombstones included).
    pub rows: Vec<StoredRecord>,
}

/// Runs `$body` in a write transaction (`BEGIN IMMEDIATE` on SQLite).
macro_rules! write_transaction {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            AnyConnection::Sqlite(conn) => conn.immediate_transaction(|$c| $body),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(conn) => conn.transaction(|$c| $body),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(conn) => conn.transaction(|$c| $body),
        }
    };
}

/// Runs `$body` in a read transaction that sees one snapshot (SQLite's
/// deferred transaction, MySQL's REPEATABLE READ default, PostgreSQL asked
/// for REPEATABLE READ).
macro_rules! read_transaction {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            AnyConnection::Sqlite(conn) => conn.transaction(|$c| $body),
            #[cfg(feature = "mysql")]
            AnyConnection::Mysql(conn) => conn.transaction(|$c| $body),
            #[cfg(feature = "postgres")]
            AnyConnection::Postgres(conn) => conn
                .build_transaction()
                .read_only()
                .repeatable_read()
                .run(|$c| $body),
        }
    };
}

/// Takes the next revision, holding the counter's row lock until commit.
macro_rules! take_revision {
    ($c:ident) => {{
        diesel::update(meta::table.find(REVISION))
            .set(meta::value.eq(meta::value + 1i64))
            .execute($c)?;
        meta::table
            .find(REVISION)
            .select(meta::value)
            .first::<i64>($c)
    }};
}

/// The last revision taken.
pub fn current_revision(conn: &mut AnyConnection) -> QueryResult<i64> {
    with_conn!(conn, |c| meta::table
        .find(REVISION)
        .select(meta::value)
        .first(c))
}

/// All live records ordered by key, with the revision they are consistent with.
pub fn list(conn: &mut AnyConnection) -> QueryResult<(i64, Vec<StoredRecord>)> {
    read_transaction!(conn, |c| {
        let revision = meta::table.find(REVISION).select(meta::value).first(c)?;
        let rows = records::table
            .filter(records::deleted.eq(false))
            .order(records::key.asc())
            .select(RecordRow::as_select())
            .load(c)?;
        Ok((revision, rows.into_iter().map(Into::into).collect()))
    })
}

/// The live record under `key`, if any.
pub fn get(conn: &mut AnyConnection, key: &str) -> QueryResult<Option<StoredRecord>> {
    with_conn!(conn, |c| records::table
        .find(key)
        .filter(records::deleted.eq(false))
        .select(RecordRow::as_select())
        .first(c)
        .optional())
    .map(|row| row.map(Into::into))
}

/// Stores `value` (JSON text) under `key`; returns the revision taken.
pub fn put(conn: &mut AnyConnection, key: &str, value: &str, now_us: i64) -> QueryResult<i64> {
    write_transaction!(conn, |c| {
        let revision = take_revision!(c)?;
        let existing: Option<StoredRecord> = records::table
            .find(key)
            .select(RecordRow::as_select())
            .first(c)
            .optional()?
            .map(Into::into);
        let (born, gone) = after_put(existing.as_ref(), revision);
        let fields = (
            records::value.eq(value),
            records::revision.eq(revision),
            records::updated_at_us.eq(now_us),
            records::deleted.eq(false),
            records::born.eq(born),
            records::gone.eq(gone),
        );
        if existing.is_some() {
            diesel::update(records::table.find(key))
                .set(fields)
                .execute(c)?;
        } else {
            diesel::insert_into(records::table)
                .values((records::key.eq(key), fields))
                .execute(c)?;
        }
        Ok(revision)
    })
}

/// Deletes the live record under `key`, leaving a tombstone. Returns the
/// revision taken, or `None` (and takes none) if there was no such record.
pub fn delete(conn: &mut AnyConnection, key: &str, now_us: i64) -> QueryResult<Option<i64>> {
    let outcome = write_transaction!(conn, |c| {
        let revision = take_revision!(c)?;
        let updated = diesel::update(records::table.find(key).filter(records::deleted.eq(false)))
            .set((
                records::value.eq("null"),
                records::revision.eq(revision),
                records::updated_at_us.eq(now_us),
                records::deleted.eq(true),
            ))
            .execute(c)?;
        if updated == 0 {
            // Nothing to delete: roll back so the revision is not taken.
            return Err(DieselError::RollbackTransaction);
        }
        Ok(revision)
    });
    match outcome {
        Ok(revision) => Ok(Some(revision)),
        Err(DieselError::RollbackTransaction) => Ok(None),
        Err(e) => Err(e),
    }
}

/// What changed after `since`, or every live record when `since` is 0, older
/// than the purged tombstones, or ahead of the store.
pub fn changes(conn: &mut AnyConnection, since: i64) -> QueryResult<ChangeRows> {
    read_transaction!(conn, |c| {
        let revision: i64 = meta::table.find(REVISION).select(meta::value).first(c)?;
        let purged: i64 = meta::table
            .find(PURGED_THROUGH)
            .select(meta::value)
            .first(c)?;
        let full = since <= 0 || since < purged || since > revision;
        let query = records::table
            .select(RecordRow::as_select())
            .order(records::key.asc());
        let rows: Vec<RecordRow> = if full {
            query.filter(records::deleted.eq(false)).load(c)?
        } else {
            query.filter(records::revision.gt(since)).load(c)?
        };
        Ok(ChangeRows {
            revision,
            full,
            rows: rows.into_iter().map(Into::into).collect(),
        })
    })
}

/// Removes tombstones last changed before `cutoff_us` and remembers the
/// newest revision removed; returns how many went.
pub fn purge_tombstones(conn: &mut AnyConnection, cutoff_us: i64) -> QueryResult<usize> {
    write_transaction!(conn, |c| {
        let old = records::table
            .filter(records::deleted.eq(true))
            .filter(records::updated_at_us.lt(cutoff_us));
        let newest: Option<i64> = old.select(diesel::dsl::max(records::revision)).first(c)?;
        let Some(newest) = newest else { return Ok(0) };
        diesel::update(meta::table.find(PURGED_THROUGH))
            .filter(meta::value.lt(newest))
            .set(meta::value.eq(newest))
            .execute(c)?;
        diesel::delete(
            records::table
                .filter(records::deleted.eq(true))
                .filter(records::revision.le(newest))
                .filter(records::updated_at_us.lt(cutoff_us)),
        )
        .execute(c)
    })
}
