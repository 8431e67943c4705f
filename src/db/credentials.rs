//! The credentials counter: every change to users, grants or tokens
//! moves it, and every center reloads them when it sees it move.

use diesel::prelude::*;

use super::records::CREDENTIALS;
use super::schema::meta;
use super::{with_conn, AnyConnection};

/// Marks users, grants or tokens changed (inside the caller's statement
/// sequence; centers notice at their next revision check).
pub fn bump_credentials(conn: &mut AnyConnection) -> QueryResult<()> {
    with_conn!(conn, |c| diesel::update(meta::table.find(CREDENTIALS))
        .set(meta::value.eq(meta::value + 1i64))
        .execute(c))?;
    Ok(())
}
