//! Secret namespaces' keys: the recipient on the namespace's row and the
//! wrapped identities in `secret_grants` (`domain::SecretKeys`). The
//! center stores them as given; only grantees unwrap them.

use diesel::prelude::*;

use super::records::write_transaction;
use super::schema::{namespaces, secret_grants};
use super::{with_conn, AnyConnection};
use crate::domain::{Namespace, WrappedKey};

/// One grant as `secrets.keys` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct GrantRow {
    pub recipient: String,
    pub wrapped: String,
    pub granted_by: String,
    pub granted_at_us: i64,
}

/// A secret namespace's recipient and grants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeysRow {
    pub recipient: String,
    pub grants: Vec<GrantRow>,
}

/// What reading a namespace's keys found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keys {
    Secret(KeysRow),
    NotSecret,
    NotFound,
}

/// Inserts `$grants` (`&[WrappedKey]`) of namespace `$ns`, made by `$by`.
macro_rules! insert_grants {
    ($c:ident, $ns:expr, $grants:expr, $by:expr, $now_us:expr) => {
        for g in $grants {
            diesel::insert_into(secret_grants::table)
                .values((
                    secret_grants::namespace.eq($ns),
                    secret_grants::recipient.eq(g.recipient.as_str()),
                    secret_grants::wrapped.eq(g.wrapped.as_str()),
                    secret_grants::granted_by.eq($by),
                    secret_grants::granted_at_us.eq($now_us),
                ))
                .execute($c)?;
        }
    };
}
pub(super) use insert_grants;

/// In a write's transaction, for a key rotation (`Passage::Rekey`): makes
/// its keys the namespace's (recipient and grants, replacing the old
/// ones); refused if the change set left a live value sealed to the old
/// key. Evaluates to `Result<(), Refused>`.
macro_rules! replace_keys {
    ($c:ident, $ns:expr, $write:expr, $now_us:expr) => {{
        use $crate::db::schema::{namespaces, records, secret_grants};
        match &$write.passage {
            $crate::domain::Passage::Rekey(keys) => {
                diesel::update(namespaces::table.find($ns))
                    .set(namespaces::recipient.eq(Some(keys.recipient.as_str())))
                    .execute($c)?;
                diesel::delete(secret_grants::table.filter(secret_grants::namespace.eq($ns)))
                    .execute($c)?;
                let by = $write.origin.author.as_str();
                $crate::db::secrets::insert_grants!($c, $ns, &keys.grants, by, $now_us);
                let live: Vec<String> = records::table
                    .filter(records::namespace.eq($ns))
                    .filter(records::deleted.eq(false))
                    .select(records::key)
                    .load($c)?;
                let resealed: std::collections::HashSet<&str> = $write
                    .changes
                    .upserts
                    .iter()
                    .map(|(k, _)| k.as_str())
                    .collect();
                let left = live
                    .iter()
                    .filter(|k| !resealed.contains(k.as_str()))
                    .count();
                match left {
                    0 => Ok(()),
                    n => Err($crate::db::review_gate::Refused::NotResealed(n as i64)),
                }
            }
            _ => Ok(()),
        }
    }};
}
pub(super) use replace_keys;

/// A namespace's recipient and grants.
pub fn keys(conn: &mut AnyConnection, ns: &Namespace) -> QueryResult<Keys> {
    with_conn!(conn, |c| {
        let found: Option<Option<String>> = namespaces::table
            .find(ns.as_str())
            .select(namespaces::recipient)
            .first(c)
            .optional()?;
        let recipient = match found {
            None => return Ok(Keys::NotFound),
            Some(None) => return Ok(Keys::NotSecret),
            Some(Some(r)) => r,
        };
        let grants = secret_grants::table
            .filter(secret_grants::namespace.eq(ns.as_str()))
            .order(secret_grants::recipient.asc())
            .select((
                secret_grants::recipient,
                secret_grants::wrapped,
                secret_grants::granted_by,
                secret_grants::granted_at_us,
            ))
            .load(c)?;
        Ok(Keys::Secret(KeysRow { recipient, grants }))
    })
}

/// What `secrets.grant` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Granted {
    Done,
    NotFound,
    NotSecret,
    /// The key was wrapped for a recipient that is no longer the
    /// namespace's (rotated meanwhile): this one.
    Rotated(String),
    /// The namespace already has this many grants.
    Full(usize),
}

/// Grants `key` (the namespace's identity wrapped for one more recipient,
/// wrapped from the key whose recipient is `of`), replacing that
/// recipient's grant if it had one.
pub fn grant(
    conn: &mut AnyConnection,
    ns: &Namespace,
    of: &str,
    key: &WrappedKey,
    by: &str,
    now_us: i64,
) -> QueryResult<Granted> {
    let ns = ns.as_str();
    write_transaction!(conn, |c| {
        let found: Option<Option<String>> = namespaces::table
            .find(ns)
            .select(namespaces::recipient)
            .first(c)
            .optional()?;
        match found {
            None => return Ok(Granted::NotFound),
            Some(None) => return Ok(Granted::NotSecret),
            Some(Some(current)) if current != of => return Ok(Granted::Rotated(current)),
            Some(Some(_)) => {}
        }
        let mine = secret_grants::namespace.eq(ns);
        let held: i64 = secret_grants::table.filter(mine).count().get_result(c)?;
        if held as usize >= crate::domain::MAX_SECRET_GRANTS {
            return Ok(Granted::Full(held as usize));
        }
        let theirs = secret_grants::recipient.eq(key.recipient.as_str());
        diesel::delete(secret_grants::table.filter(mine).filter(theirs)).execute(c)?;
        insert_grants!(c, ns, std::slice::from_ref(key), by, now_us);
        Ok(Granted::Done)
    })
}
