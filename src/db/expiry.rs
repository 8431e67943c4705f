//! Records that expire: the ones due, for the center's expirer. Each is
//! then deleted by an ordinary write (`writes.rs`, with `expired_by`), so
//! it takes a revision, a history entry and an audit entry like any delete.

use diesel::prelude::*;

use super::schema::records;
use super::{with_conn, AnyConnection};

/// Live records whose expiry is at or before `now_us`, soonest first, at
/// most `limit`: `(namespace, key)`. The index on `expires_at_us` keeps
/// this to the rows it returns.
pub fn due(
    conn: &mut AnyConnection,
    now_us: i64,
    limit: i64,
) -> QueryResult<Vec<(String, String)>> {
    with_conn!(conn, |c| records::table
        .filter(records::expires_at_us.le(now_us))
        .filter(records::deleted.eq(false))
        .order(records::expires_at_us.asc())
        .limit(limit)
        .select((records::namespace, records::key))
        .load(c))
}
