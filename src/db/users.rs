//! Queries on users and their grants.

use diesel::prelude::*;

use super::credentials::bump_credentials;
use super::schema::{grants, users};
use super::sessions;
use super::{with_conn, AnyConnection};
use crate::domain::{Admin, Grants, Level, Role, Scope};

/// A user as `syncdict user list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    pub username: String,
    pub grants: Grants,
    pub created_at_us: i64,
}

/// Grants from `(namespace or '*', can_write)` rows; a row the migration
/// or this code did not write is ignored.
pub(super) fn grants_of<'a>(rows: impl Iterator<Item = (&'a str, bool)>) -> Grants {
    let mut grants = Grants::default();
    for (namespace, can_write) in rows {
        let level = if can_write { Level::Write } else { Level::Read };
        if let Ok(scope) = Scope::parse(namespace) {
            grants.add(scope, level);
        }
    }
    grants
}

/// Adds a user with `level` on every namespace; `false` if the name is taken.
pub fn add(
    conn: &mut AnyConnection,
    username: &str,
    hash: &str,
    role: Role,
    now_us: i64,
) -> QueryResult<bool> {
    if find(conn, username)?.is_some() {
        return Ok(false);
    }
    with_conn!(conn, |c| diesel::insert_into(users::table)
        .values((
            users::username.eq(username),
            users::password_hash.eq(hash),
            users::created_at_us.eq(now_us),
            users::admin.eq(role.admin() == Admin::Yes),
        ))
        .execute(c))?;
    grant(conn, username, &Scope::All, role.level())?;
    Ok(true)
}

/// Gives `username` `level` on `scope` (replacing what it had there);
/// `false` if there is no such user.
pub fn grant(
    conn: &mut AnyConnection,
    username: &str,
    scope: &Scope,
    level: Level,
) -> QueryResult<bool> {
    let exists = with_conn!(conn, |c| users::table
        .find(username)
        .select(users::username)
        .first::<String>(c)
        .optional())?
    .is_some();
    if !exists {
        return Ok(false);
    }
    revoke(conn, username, scope)?;
    with_conn!(conn, |c| diesel::insert_into(grants::table)
        .values((
            grants::username.eq(username),
            grants::namespace.eq(scope.as_str()),
            grants::can_write.eq(level == Level::Write),
        ))
        .execute(c))?;
    bump_credentials(conn)?;
    Ok(true)
}

/// Takes `username`'s grant on `scope` away; `false` if it had none.
pub fn revoke(conn: &mut AnyConnection, username: &str, scope: &Scope) -> QueryResult<bool> {
    let gone = with_conn!(conn, |c| diesel::delete(
        grants::table.find((username, scope.as_str()))
    )
    .execute(c))?;
    bump_credentials(conn)?;
    Ok(gone > 0)
}

/// Replaces a user's password hash and ends its console sessions; `false`
/// if there is no such user.
pub fn set_password(conn: &mut AnyConnection, username: &str, hash: &str) -> QueryResult<bool> {
    sessions::close_all_of(conn, username)?;
    let changed = with_conn!(conn, |c| diesel::update(users::table.find(username))
        .set(users::password_hash.eq(hash))
        .execute(c))?;
    bump_credentials(conn)?;
    Ok(changed > 0)
}

/// Makes `username` an administrator or not; `false` if there is no such user.
pub fn set_admin(conn: &mut AnyConnection, username: &str, admin: Admin) -> QueryResult<bool> {
    let changed = with_conn!(conn, |c| diesel::update(users::table.find(username))
        .set(users::admin.eq(admin == Admin::Yes))
        .execute(c))?;
    bump_credentials(conn)?;
    Ok(changed > 0)
}

/// Removes a user, its grants and its console sessions; `false` if there
/// was none.
pub fn remove(conn: &mut AnyConnection, username: &str) -> QueryResult<bool> {
    sessions::close_all_of(conn, username)?;
    with_conn!(conn, |c| diesel::delete(
        grants::table.filter(grants::username.eq(username))
    )
    .execute(c))?;
    let gone = with_conn!(conn, |c| diesel::delete(users::table.find(username))
        .execute(c))?;
    bump_credentials(conn)?;
    Ok(gone > 0)
}

pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<UserInfo>> {
    let users: Vec<(String, i64, bool)> = with_conn!(conn, |c| users::table
        .select((users::username, users::created_at_us, users::admin))
        .order(users::username.asc())
        .load(c))?;
    let rows: Vec<(String, String, bool)> = with_conn!(conn, |c| grants::table
        .select((grants::username, grants::namespace, grants::can_write))
        .load(c))?;
    Ok(users
        .into_iter()
        .map(|(username, created_at_us, admin)| {
            let mine = rows.iter().filter(|r| r.0 == username);
            let grants =
                grants_of(mine.map(|(_, ns, w)| (ns.as_str(), *w))).with_admin(Admin::from(admin));
            UserInfo {
                username,
                grants,
                created_at_us,
            }
        })
        .collect())
}

/// The password hash and grants of `username`.
pub fn find(conn: &mut AnyConnection, username: &str) -> QueryResult<Option<(String, Grants)>> {
    let found: Option<(String, bool)> = with_conn!(conn, |c| users::table
        .find(username)
        .select((users::password_hash, users::admin))
        .first(c)
        .optional())?;
    let Some((hash, admin)) = found else {
        return Ok(None);
    };
    let rows: Vec<(String, bool)> = with_conn!(conn, |c| grants::table
        .filter(grants::username.eq(username))
        .select((grants::namespace, grants::can_write))
        .load(c))?;
    let grants =
        grants_of(rows.iter().map(|(ns, w)| (ns.as_str(), *w))).with_admin(Admin::from(admin));
    Ok(Some((hash, grants)))
}
