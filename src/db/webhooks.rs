//! Webhooks added over RPC (`webhooks.add`): list, add, remove.

use diesel::prelude::*;

use super::outbox::new_cursor;
use super::records::write_transaction;
use super::schema::{meta, webhook_cursors, webhooks};
use super::{with_conn, AnyConnection};

/// A webhook as stored; `events` and `namespaces` are JSON arrays.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhooks)]
pub struct HookRow {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub events: String,
    pub namespaces: String,
    pub created_by: String,
    pub created_at_us: i64,
}

/// Every stored webhook, by name.
pub fn list(conn: &mut AnyConnection) -> QueryResult<Vec<HookRow>> {
    with_conn!(conn, |c| webhooks::table
        .order(webhooks::name.asc())
        .select(HookRow::as_select())
        .load(c))
}

/// Stores `row` with its cursor at the newest event (it gets what happens
/// from now on); `false` if the name is taken.
pub fn add(conn: &mut AnyConnection, row: &HookRow) -> QueryResult<bool> {
    let inserted = write_transaction!(conn, |c| {
        let n = diesel::insert_into(webhooks::table)
            .values(row)
            .execute(c)?;
        let newest: i64 = meta::table
            .find(super::outbox::EVENT_COUNTER)
            .select(meta::value)
            .first(c)?;
        diesel::delete(webhook_cursors::table.find(&row.name)).execute(c)?;
        new_cursor!(c, &row.name, newest);
        Ok::<usize, diesel::result::Error>(n)
    });
    match inserted {
        Ok(n) => Ok(n == 1),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Removes a stored webhook and its cursor; `false` if there was none.
pub fn remove(conn: &mut AnyConnection, name: &str) -> QueryResult<bool> {
    let removed = with_conn!(conn, |c| {
        diesel::delete(webhook_cursors::table.find(name)).execute(c)?;
        diesel::delete(webhooks::table.find(name)).execute(c)
    })?;
    Ok(removed == 1)
}
