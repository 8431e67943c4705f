//! Each namespace's digest (`namespaces.digest`, an `LtHash` of its live
//! `(namespace, key, value)` tuples), kept by every write in its own
//! transaction (`writes.rs`) so every center on the database agrees on it;
//! computed here once for namespaces that have none (after the migration
//! that added the column), under the revision lock so no write slips
//! between the read and the update.

use diesel::prelude::*;

use super::records::{write_transaction, REVISION};
use super::schema::{meta, namespaces, records};
use super::{with_conn, AnyConnection};
use crate::signing::LtHash;

/// Computes the digest of every namespace that has none; answers how many.
pub fn backfill(conn: &mut AnyConnection) -> QueryResult<usize> {
    let missing: Vec<String> = with_conn!(conn, |c| namespaces::table
        .filter(namespaces::digest.is_null())
        .select(namespaces::name)
        .load(c))?;
    let mut done = 0;
    for name in missing {
        let computed = write_transaction!(conn, |c| {
            // Writers wait here until the digest is in place.
            diesel::update(meta::table.find(REVISION))
                .set(meta::value.eq(meta::value))
                .execute(c)?;
            let still_missing = namespaces::table
                .find(&name)
                .select(namespaces::digest)
                .first::<Option<Vec<u8>>>(c)
                .optional()?
                .is_some_and(|d| d.is_none());
            if !still_missing {
                return Ok::<bool, diesel::result::Error>(false);
            }
            let rows: Vec<(String, String, Option<i64>)> = records::table
                .filter(records::namespace.eq(&name))
                .filter(records::deleted.eq(false))
                .select((records::key, records::value, records::expires_at_us))
                .load(c)?;
            let mut digest = LtHash::empty();
            for (key, value, expires) in &rows {
                digest.insert(&name, key, value, *expires);
            }
            diesel::update(namespaces::table.find(&name))
                .set(namespaces::digest.eq(Some(digest.to_bytes())))
                .execute(c)?;
            Ok(true)
        })?;
        done += usize::from(computed);
    }
    if done > 0 {
        tracing::info!(namespaces = done, "namespace digests computed");
    }
    Ok(done)
}
