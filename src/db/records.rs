//! Reads of the record store, and the transaction macros every query file
//! shares. Every write (`writes.rs`) first bumps the `revision` row of
//! `meta`, which locks it until commit: writers are serialized and revisions
//! are taken in commit order, so a reader that saw revision N has seen every
//! write up to N.

use diesel::prelude::*;

use super::schema::{meta, namespaces, records};
use super::{with_conn, AnyConnection};
use crate::domain::{Namespace, StoredRecord};

pub(super) const REVISION: &str = "revision";
pub(super) const PURGED_THROUGH: &str = "purged_through";
/// Bumped by every change to users, grants and tokens (`tokens.rs`).
pub(super) const CREDENTIALS: &str = "credentials";

#[derive(Queryable, Selectable)]
#[diesel(table_name = records)]
pub(super) struct RecordRow {
    namespace: String,
    key: String,
    value: String,
    revision: i64,
    updated_at_us: i64,
    deleted: bool,
    born: i64,
    gone: i64,
    expires_at_us: Option<i64>,
}

impl From<RecordRow> for StoredRecord {
    fn from(r: RecordRow) -> Self {
        StoredRecord {
            namespace: r.namespace,
            key: r.key,
            value: r.value,
            revision: r.revision,
            updated_at_us: r.updated_at_us,
            deleted: r.deleted,
            born: r.born,
            gone: r.gone,
            expires_at_us: r.expires_at_us,
        }
    }
}

/// A namespace as of a read: the last revision that changed it and its
/// digest then (`None` until computed, see `digests.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digested {
    pub revision: i64,
    pub digest: Option<Vec<u8>>,
}

/// `records.list` as read: the store revision, the namespace's digest, its
/// live records by key.
pub type Listed = (i64, Digested, Vec<StoredRecord>);

/// The rows `records.changes` needs, read in one snapshot.
pub struct ChangeRows {
    /// Each namespace asked for that exists, by name, in the same snapshot.
    pub digests: Vec<(String, Digested)>,
    /// The store's revision in that snapshot.
    pub revision: i64,
    /// A namespace asked for that does not exist (then no rows are useful).
    pub missing: Option<String>,
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

/// Takes the next revision inside a write transaction, holding the
/// counter's row lock until commit (writers take turns here).
macro_rules! take_revision {
    ($c:ident) => {{
        diesel::update(meta::table.find(REVISION))
            .set(meta::value.eq(meta::value + 1i64))
            .execute($c)?;
        meta::table
            .find(REVISION)
            .select(meta::value)
            .first::<i64>($c)?
    }};
}

/// Inserts the audit row of `$revision`: what `$origin` did to `$keys`
/// keys of namespace `$ns` at `$now_us`.
macro_rules! insert_audit {
    ($c:ident, $revision:expr, $now_us:expr, $origin:expr, $ns:expr, $keys:expr, $review:expr) => {
        diesel::insert_into(audit::table)
            .values((
                audit::revision.eq($revision),
                audit::at_us.eq($now_us),
                audit::author.eq($origin.author.as_str()),
                audit::address.eq($origin.address.as_str()),
                audit::method.eq($origin.method.as_str()),
                audit::namespace.eq($ns),
                audit::keys_changed.eq($keys),
                audit::comment.eq($origin.comment.as_str()),
                audit::review.eq($review),
            ))
            .execute($c)?
    };
}

pub(super) use {insert_audit, read_transaction, take_revision, write_transaction};

/// The last revision taken.
pub fn current_revision(conn: &mut AnyConnection) -> QueryResult<i64> {
    with_conn!(conn, |c| meta::table
        .find(REVISION)
        .select(meta::value)
        .first(c))
}

/// What a center re-reads at each revision check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Heads {
    /// The last revision taken.
    pub revision: i64,
    /// Bumped by every change to users, grants and tokens.
    pub credentials: i64,
}

/// The revision and the credentials counter, in one query.
pub fn heads(conn: &mut AnyConnection) -> QueryResult<Heads> {
    let rows: Vec<(String, i64)> = with_conn!(conn, |c| meta::table
        .filter(meta::name.eq_any([REVISION, CREDENTIALS]))
        .select((meta::name, meta::value))
        .load(c))?;
    let value = |name: &str| rows.iter().find(|r| r.0 == name).map_or(0, |r| r.1);
    Ok(Heads {
        revision: value(REVISION),
        credentials: value(CREDENTIALS),
    })
}

/// All live records of `namespace` ordered by key, with the revision they
/// are consistent with; `None` if there is no such namespace.
pub fn list(conn: &mut AnyConnection, namespace: &Namespace) -> QueryResult<Option<Listed>> {
    let ns = namespace.as_str();
    read_transaction!(conn, |c| {
        let revision = meta::table.find(REVISION).select(meta::value).first(c)?;
        let found: Option<(i64, Option<Vec<u8>>)> = namespaces::table
            .find(ns)
            .select((namespaces::revision, namespaces::digest))
            .first(c)
            .optional()?;
        let Some((changed_at, digest)) = found else {
            return Ok(None);
        };
        let state = Digested {
            revision: changed_at,
            digest,
        };
        let rows = records::table
            .filter(records::namespace.eq(ns))
            .filter(records::deleted.eq(false))
            .order(records::key.asc())
            .select(RecordRow::as_select())
            .load(c)?;
        Ok(Some((
            revision,
            state,
            rows.into_iter().map(Into::into).collect(),
        )))
    })
}

/// The live record under `key` in `namespace`, if any.
pub fn get(
    conn: &mut AnyConnection,
    namespace: &Namespace,
    key: &str,
) -> QueryResult<Option<StoredRecord>> {
    let ns = namespace.as_str();
    with_conn!(conn, |c| records::table
        .find((ns, key))
        .filter(records::deleted.eq(false))
        .select(RecordRow::as_select())
        .first(c)
        .optional())
    .map(|row| row.map(Into::into))
}

/// What changed in `namespaces` after `since`, or every live record of them
/// when `since` is 0, older than the purged tombstones, or ahead of the
/// store. Rows come ordered by namespace, then key; the index on
/// `(namespace, revision)` keeps a delta's cost to the rows it returns.
pub fn changes(
    conn: &mut AnyConnection,
    since: i64,
    namespaces: &[Namespace],
) -> QueryResult<ChangeRows> {
    let names: Vec<&str> = namespaces.iter().map(Namespace::as_str).collect();
    read_transaction!(conn, |c| {
        let revision: i64 = meta::table.find(REVISION).select(meta::value).first(c)?;
        let purged: i64 = meta::table
            .find(PURGED_THROUGH)
            .select(meta::value)
            .first(c)?;
        let found: Vec<(String, i64, Option<Vec<u8>>)> = namespaces::table
            .filter(namespaces::name.eq_any(&names))
            .select((namespaces::name, namespaces::revision, namespaces::digest))
            .load(c)?;
        let missing = names
            .iter()
            .find(|n| !found.iter().any(|f| f.0 == **n))
            .map(|n| n.to_string());
        let digests = found
            .into_iter()
            .map(|(name, revision, digest)| (name, Digested { revision, digest }))
            .collect();
        let full = since <= 0 || since < purged || since > revision;
        let query = records::table
            .select(RecordRow::as_select())
            .filter(records::namespace.eq_any(&names));
        let mut rows: Vec<StoredRecord> = if full {
            query
                .filter(records::deleted.eq(false))
                .order((records::namespace.asc(), records::key.asc()))
                .load::<RecordRow>(c)?
                .into_iter()
                .map(Into::into)
                .collect()
        } else {
            // Unordered, so the (namespace, revision) index serves it on
            // every backend (MariaDB scans the primary key for an ORDER BY
            // key); a delta is small, sorted here.
            let mut rows: Vec<StoredRecord> = query
                .filter(records::revision.gt(since))
                .load::<RecordRow>(c)?
                .into_iter()
                .map(Into::into)
                .collect();
            rows.sort_unstable_by(|a, b| {
                (a.namespace.as_bytes(), a.key.as_bytes())
                    .cmp(&(b.namespace.as_bytes(), b.key.as_bytes()))
            });
            rows
        };
        rows.shrink_to_fit();
        Ok(ChangeRows {
            digests,
            revision,
            missing,
            full,
            rows,
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
