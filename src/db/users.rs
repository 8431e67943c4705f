//! Queries on users.

use diesel::prelude::*;

use super::schema::users;
use super::{with_conn, AnyConnection};

/// A user as `syncdict user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct UserInfo {
    pub username: String,
    pub can_write: bool,
    pub created_at_us: i64,
}

/// Adds a user; `false` if the name is taken.
pub fn add(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    can_write: bool,
    now_us: i64,
) -> QueryResult<bool> {
    let taken = find(conn, username)?.is_some();
    if taken {
        return Ok(false);
    }
    with_conn!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::password_hash.eq(hash),
            users::can_write.eq(can_write),
            users::created_at_us.eq(now_us),
        ))
        .execute(c))
    .map(|n| n == 1)
}

/// Replaces a user's password hash; `false` if there is no such user.
pub fn set_password(conn: &mut AnyConnection, username: &str, hash: &str) -> QueryResult<bool> {
    with_conn!(conn, |c| diesel::update(users::table.find(username))
        .set(users::password_hash.eq(hash))
        .execute(c))
    .map(|n| n > 0)
}

/// Removes a user; `false` if there was none.
pub fn remove(conn: &mut AnyConnection, username: &str) -> QueryResult<bool> {
    with_conn!(conn, |c| diesel::delete(users::table.find(username))
        .execute(c))
    .map(|n| n > 0)
}

pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<UserInfo>> {
    with_conn!(conn, |c| users::table
        .select((users::username, users::can_write, users::created_at_us))
        .order(users::username.asc())
        .load(c))
}

/// The password hash and write permission of `username`.
pub fn find(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<(String, bool)>> {
    with_conn!(conn, |c| users::table
        .find(username)
        .select((users::password_hash, users::can_write))
        .first(c)
        .optional())
}
