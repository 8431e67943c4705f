//! Queries on namespaces: list, create, delete, set a value schema.

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::outbox::record_events;
use super::records::{insert_audit, read_transaction, take_revision, write_transaction, REVISION};
use super::schema::{
    audit, change_requests, change_reviews, grants, gray_releases, gray_steps, history, meta,
    namespaces, records, secret_grants,
};
use super::secrets::insert_grants;
use super::{with_conn, AnyConnection};
use crate::domain::{Event, Namespace, SecretKeys, ValueSchema, WriteOrigin, MAX_VIOLATIONS};
use crate::signing::LtHash;

/// A namespace as `namespaces.list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = namespaces)]
pub struct NamespaceInfo {
    pub name: String,
    pub description: String,
    pub value_schema: Option<String>,
    /// The last revision that changed its records.
    pub revision: i64,
    #[diesel(column_name = live_records)]
    pub records: i64,
    /// Bytes of keys and values of its live records.
    #[diesel(column_name = live_bytes)]
    pub bytes: i64,
    pub created_at_us: i64,
    /// Approving reviews a change needs before it is published.
    pub reviews_required: i64,
    /// A secret namespace's age recipient (`age1...`).
    pub recipient: Option<String>,
}

/// Every namespace, by name.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<NamespaceInfo>> {
    with_conn!(conn, |c| namespaces::table
        .select(NamespaceInfo::as_select())
        .order(namespaces::name.asc())
        .load(c))
}

/// Who made each of `revisions` and when (`(revision, author, at_us)`),
/// for those the audit log still keeps.
pub fn authors(
    conn: &mut AnyConnection,
    revisions: &[i64],
) -> QueryResult<Vec<(i64, String, i64)>> {
    let mut out = Vec::with_capacity(revisions.len());
    for chunk in revisions.chunks(500) {
        let rows: Vec<(i64, String, i64)> = with_conn!(conn, |c| audit::table
            .filter(audit::revision.eq_any(chunk))
            .select((audit::revision, audit::author, audit::at_us))
            .load(c))?;
        out.extend(rows);
    }
    Ok(out)
}

/// One namespace, if it exists.
pub fn find(conn: &mut AnyConnection, ns: &Namespace) -> QueryResult<Option<NamespaceInfo>> {
    with_conn!(conn, |c| namespaces::table
        .find(ns.as_str())
        .select(NamespaceInfo::as_select())
        .first(c)
        .optional())
}

/// Every namespace's name, sorted, and the revision they were read at
/// (one snapshot: a namespace made later has only later records).
pub fn names(conn: &mut AnyConnection) -> QueryResult<(i64, Vec<Namespace>)> {
    read_transaction!(conn, |c| {
        let revision: i64 = meta::table.find(REVISION).select(meta::value).first(c)?;
        let names: Vec<String> = namespaces::table
            .select(namespaces::name)
            .order(namespaces::name.asc())
            .load(c)?;
        // Names in the table were checked when made.
        let names = names
            .into_iter()
            .filter_map(|n| Namespace::parse(n).ok())
            .collect();
        Ok((revision, names))
    })
}

/// Creates a namespace (a secret one with `secret`'s key, granted by
/// `author`); `false` if the name is taken.
pub fn create(
    conn: &mut AnyConnection,
    ns: &Namespace,
    description: &str,
    secret: Option<&SecretKeys>,
    author: &str,
    now_us: i64,
    event: Option<&Event>,
) -> QueryResult<bool> {
    if find(conn, ns)?.is_some() {
        return Ok(false);
    }
    let inserted = write_transaction!(conn, |c| {
        let n = diesel::insert_into(namespaces::table)
            .values((
                namespaces::name.eq(ns.as_str()),
                namespaces::description.eq(description),
                namespaces::created_at_us.eq(now_us),
                namespaces::digest.eq(Some(LtHash::empty().to_bytes())),
                namespaces::recipient.eq(secret.map(|k| k.recipient.as_str())),
            ))
            .execute(c)?;
        if let Some(keys) = secret {
            insert_grants!(c, ns.as_str(), &keys.grants, author, now_us);
        }
        if let Some(e) = event {
            record_events!(c, &[e.kind], &e.data, now_us);
        }
        Ok::<usize, DieselError>(n)
    });
    match inserted {
        Ok(n) => Ok(n == 1),
        // Created by someone else in between.
        Err(DieselError::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)) => {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

/// What `namespaces.delete` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deleted {
    /// Gone, with this many live records; the revision taken.
    Done {
        records: i64,
        revision: i64,
    },
    NotFound,
    /// It has records and `force` was not given.
    NotEmpty {
        records: i64,
    },
}

enum Abort {
    Db(DieselError),
    Stop(Deleted),
}

impl From<DieselError> for Abort {
    fn from(e: DieselError) -> Self {
        Abort::Db(e)
    }
}

/// Deletes a namespace with its records, history and grants, at one new
/// revision (so caches everywhere notice). Refused while it has records
/// unless `force`. `default` is never deleted (the caller refuses it).
pub fn delete(
    conn: &mut AnyConnection,
    ns: &Namespace,
    force: crate::domain::Force,
    origin: &WriteOrigin,
    now_us: i64,
    event: Option<&Event>,
) -> QueryResult<Deleted> {
    let name = ns.as_str();
    let outcome = write_transaction!(conn, |c| {
        let revision: i64 = take_revision!(c);
        let live: Option<i64> = namespaces::table
            .find(name)
            .select(namespaces::live_records)
            .first(c)
            .optional()?;
        let Some(records) = live else {
            return Err(Abort::Stop(Deleted::NotFound));
        };
        if records > 0 && force == crate::domain::Force::IfEmpty {
            return Err(Abort::Stop(Deleted::NotEmpty { records }));
        }
        diesel::delete(records::table.filter(records::namespace.eq(name))).execute(c)?;
        diesel::delete(history::table.filter(history::namespace.eq(name))).execute(c)?;
        diesel::delete(grants::table.filter(grants::namespace.eq(name))).execute(c)?;
        diesel::delete(secret_grants::table.filter(secret_grants::namespace.eq(name)))
            .execute(c)?;
        let requests = change_requests::table
            .filter(change_requests::namespace.eq(name))
            .select(change_requests::id);
        diesel::delete(change_reviews::table.filter(change_reviews::request_id.eq_any(requests)))
            .execute(c)?;
        diesel::delete(change_requests::table.filter(change_requests::namespace.eq(name)))
            .execute(c)?;
        let releases = gray_releases::table
            .filter(gray_releases::namespace.eq(name))
            .select(gray_releases::id);
        diesel::delete(gray_steps::table.filter(gray_steps::release_id.eq_any(releases)))
            .execute(c)?;
        diesel::delete(gray_releases::table.filter(gray_releases::namespace.eq(name)))
            .execute(c)?;
        diesel::delete(namespaces::table.find(name)).execute(c)?;
        insert_audit!(c, revision, now_us, origin, name, records, None::<&str>);
        if let Some(e) = event {
            record_events!(c, &[e.kind], &e.data, now_us);
        }
        Ok(Deleted::Done { records, revision })
    });
    match outcome {
        Ok(done) => Ok(done),
        Err(Abort::Stop(stop)) => Ok(stop),
        Err(Abort::Db(e)) => Err(e),
    }
}

/// What `namespaces.set_schema` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSet {
    Done,
    NotFound,
    /// Existing records that violate it (the first few); nothing changed.
    Violations(Vec<String>),
    /// A secret namespace: its values are ciphertexts a schema cannot see.
    Secret,
}

/// Sets (or with `None` clears) a namespace's value schema, after checking
/// every live record of it against the schema in the same transaction.
pub fn set_schema(
    conn: &mut AnyConnection,
    ns: &Namespace,
    schema: Option<(&str, &ValueSchema)>,
    event: Option<&Event>,
) -> QueryResult<SchemaSet> {
    let name = ns.as_str();
    write_transaction!(conn, |c| {
        // Lock writers out while the records are checked.
        diesel::update(meta::table.find(REVISION))
            .set(meta::value.eq(meta::value))
            .execute(c)?;
        let found: Option<Option<String>> = namespaces::table
            .find(name)
            .select(namespaces::recipient)
            .first(c)
            .optional()?;
        match found {
            None => return Ok(SchemaSet::NotFound),
            Some(Some(_)) if schema.is_some() => return Ok(SchemaSet::Secret),
            Some(_) => {}
        }
        if let Some((_, compiled)) = schema {
            let rows: Vec<(String, String)> = records::table
                .filter(records::namespace.eq(name))
                .filter(records::deleted.eq(false))
                .order(records::key.asc())
                .select((records::key, records::value))
                .load(c)?;
            let mut violations = Vec::new();
            for (key, value) in rows {
                let Ok(value) = serde_json::from_str::<serde_json::Value>(&value) else {
                    continue;
                };
                compiled.check(&key, &value, &mut violations);
                if violations.len() >= MAX_VIOLATIONS {
                    break;
                }
            }
            if !violations.is_empty() {
                return Ok(SchemaSet::Violations(violations));
            }
        }
        diesel::update(namespaces::table.find(name))
            .set(namespaces::value_schema.eq(schema.map(|(text, _)| text)))
            .execute(c)?;
        if let Some(e) = event {
            record_events!(c, &[e.kind], &e.data, crate::domain::now_us());
        }
        Ok(SchemaSet::Done)
    })
}

/// Sets how many approving reviews `ns` requires; `false` if there is no
/// such namespace.
pub fn set_policy(conn: &mut AnyConnection, ns: &Namespace, required: i64) -> QueryResult<bool> {
    let updated = with_conn!(conn, |c| diesel::update(
        namespaces::table.find(ns.as_str())
    )
    .set(namespaces::reviews_required.eq(required))
    .execute(c))?;
    Ok(updated == 1)
}
