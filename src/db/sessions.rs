//! Console sessions: one row per signed-in browser, keyed by the hash of
//! its cookie. Bounded: `MAX_PER_USER` sessions a user (a new one ends the
//! oldest), and the upkeep removes those past their idle or absolute
//! expiry.

use diesel::prelude::*;

use super::schema::console_sessions;
use super::{with_conn, AnyConnection};

/// Sessions one user may hold; signing in once more ends the oldest.
pub const MAX_PER_USER: i64 = 20;
/// `seen_at_us` is written at most this often per session (µs), so a busy
/// console costs one write a minute, not one per page.
pub const TOUCH_EVERY_US: i64 = 60_000_000;

/// A session as read back.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct SessionRow {
    pub username: String,
    pub csrf: String,
    pub created_at_us: i64,
    pub seen_at_us: i64,
}

/// When sessions end: idle for `idle_us`, or `lifetime_us` after sign-in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionLimits {
    pub idle_us: i64,
    pub lifetime_us: i64,
}

impl SessionLimits {
    /// Still valid at `now_us`.
    pub fn valid(&self, row: &SessionRow, now_us: i64) -> bool {
        now_us - row.seen_at_us < self.idle_us && now_us - row.created_at_us < self.lifetime_us
    }
}

/// Opens a session; past `MAX_PER_USER`, the user's oldest go.
pub fn open(
    conn: &mut AnyConnection,
    id_hash: &str,
    username: &str,
    csrf: &str,
    now_us: i64,
) -> QueryResult<()> {
    with_conn!(conn, |c| {
        diesel::insert_into(console_sessions::table)
            .values((
                console_sessions::id_hash.eq(id_hash),
                console_sessions::username.eq(username),
                console_sessions::csrf.eq(csrf),
                console_sessions::created_at_us.eq(now_us),
                console_sessions::seen_at_us.eq(now_us),
            ))
            .execute(c)?;
        let mine: Vec<(String, i64)> = console_sessions::table
            .filter(console_sessions::username.eq(username))
            .select((console_sessions::id_hash, console_sessions::created_at_us))
            .order(console_sessions::created_at_us.desc())
            .load(c)?;
        let old: Vec<&str> = mine
            .iter()
            .skip(MAX_PER_USER as usize)
            .map(|(h, _)| h.as_str())
            .collect();
        if !old.is_empty() {
            diesel::delete(console_sessions::table.filter(console_sessions::id_hash.eq_any(old)))
                .execute(c)?;
        }
        Ok(())
    })
}

/// The session under `id_hash` if it is still valid at `now_us` (marking
/// it used); an expired one is removed.
pub fn find(
    conn: &mut AnyConnection,
    id_hash: &str,
    limits: SessionLimits,
    now_us: i64,
) -> QueryResult<Option<SessionRow>> {
    with_conn!(conn, |c| {
        let row: Option<SessionRow> = console_sessions::table
            .find(id_hash)
            .select((
                console_sessions::username,
                console_sessions::csrf,
                console_sessions::created_at_us,
                console_sessions::seen_at_us,
            ))
            .first(c)
            .optional()?;
        let Some(row) = row else { return Ok(None) };
        if !limits.valid(&row, now_us) {
            diesel::delete(console_sessions::table.find(id_hash)).execute(c)?;
            return Ok(None);
        }
        if now_us - row.seen_at_us >= TOUCH_EVERY_US {
            diesel::update(console_sessions::table.find(id_hash))
                .set(console_sessions::seen_at_us.eq(now_us))
                .execute(c)?;
        }
        Ok(Some(row))
    })
}

/// Ends one session (sign out); `false` if there was none.
pub fn close(conn: &mut AnyConnection, id_hash: &str) -> QueryResult<bool> {
    with_conn!(conn, |c| diesel::delete(
        console_sessions::table.find(id_hash)
    )
    .execute(c)
    .map(|n| n > 0))
}

/// Ends every session of `username` (removed, or its password reset).
pub fn close_all_of(conn: &mut AnyConnection, username: &str) -> QueryResult<usize> {
    with_conn!(conn, |c| diesel::delete(
        console_sessions::table.filter(console_sessions::username.eq(username))
    )
    .execute(c))
}

/// Removes sessions past their idle or absolute expiry at `now_us`.
pub fn purge(conn: &mut AnyConnection, limits: SessionLimits, now_us: i64) -> QueryResult<usize> {
    with_conn!(conn, |c| diesel::delete(
        console_sessions::table.filter(
            console_sessions::seen_at_us
                .le(now_us - limits.idle_us)
                .or(console_sessions::created_at_us.le(now_us - limits.lifetime_us))
        )
    )
    .execute(c))
}
