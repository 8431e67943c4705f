//! The webhook outbox: events written in the transaction of the change
//! they report (`record_events!`), and what the deliverer needs: each
//! webhook's cursor and lease (one center delivers a webhook at a time,
//! so each event goes out once), its retries, and the delivery log.

use diesel::prelude::*;

use super::records::write_transaction;
use super::schema::{meta, webhook_cursors, webhook_deliveries, webhook_events};
use super::{with_conn, AnyConnection};

/// Whether writes leave events, switched on while any webhook exists
/// (`[[webhook]]` or added over RPC): shared by the executors and the
/// deliverer, which looks each round.
#[derive(Debug, Clone, Default)]
pub struct OutboxSwitch(std::sync::Arc<std::sync::atomic::AtomicBool>);

impl OutboxSwitch {
    pub fn get(&self) -> crate::domain::Outbox {
        match self.0.load(std::sync::atomic::Ordering::Acquire) {
            true => crate::domain::Outbox::Kept,
            false => crate::domain::Outbox::Off,
        }
    }

    pub fn set(&self, outbox: crate::domain::Outbox) {
        let on = outbox == crate::domain::Outbox::Kept;
        self.0.store(on, std::sync::atomic::Ordering::Release);
    }
}

/// The counter event ids are taken from.
pub(super) const EVENT_COUNTER: &str = "webhook_event";

/// Writes one event per kind of `$kinds` for `$data` in namespace `$ns`,
/// inside the caller's transaction.
macro_rules! record_events {
    ($c:ident, $kinds:expr, $data:expr, $now_us:expr) => {{
        use $crate::db::schema::{meta, webhook_events};
        for kind in $kinds {
            diesel::update(meta::table.find($crate::db::outbox::EVENT_COUNTER))
                .set(meta::value.eq(meta::value + 1i64))
                .execute($c)?;
            let id: i64 = meta::table
                .find($crate::db::outbox::EVENT_COUNTER)
                .select(meta::value)
                .first($c)?;
            diesel::insert_into(webhook_events::table)
                .values((
                    webhook_events::id.eq(id),
                    webhook_events::kind.eq(kind.as_str()),
                    webhook_events::namespace.eq($data.namespace.as_str()),
                    webhook_events::payload.eq($crate::domain::payload(*kind, $now_us, $data)),
                    webhook_events::at_us.eq($now_us),
                ))
                .execute($c)?;
        }
    }};
}
pub(super) use record_events;

/// An event as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = webhook_events)]
pub struct EventRow {
    pub id: i64,
    pub kind: String,
    pub namespace: String,
    pub payload: String,
    pub at_us: i64,
}

/// A webhook's cursor as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = webhook_cursors)]
pub struct Cursor {
    pub webhook: String,
    pub last_event: i64,
    pub owner: String,
    pub lease_until_us: i64,
    pub attempts: i64,
    pub next_attempt_us: i64,
    pub failing_since_us: Option<i64>,
}

/// Inserts webhook `$name`'s cursor after event `$at`, free and due.
macro_rules! new_cursor {
    ($c:ident, $name:expr, $at:expr) => {
        diesel::insert_into($crate::db::schema::webhook_cursors::table)
            .values((
                webhook_cursors::webhook.eq($name),
                webhook_cursors::last_event.eq($at),
                webhook_cursors::owner.eq(""),
                webhook_cursors::lease_until_us.eq(0i64),
                webhook_cursors::attempts.eq(0i64),
                webhook_cursors::next_attempt_us.eq(0i64),
            ))
            .execute($c)?
    };
}
pub(super) use new_cursor;

/// Gives each of `webhooks` a cursor at the newest event, if it has none
/// (a new webhook gets what happens from now on).
pub fn ensure_cursors(conn: &mut AnyConnection, webhooks: &[String]) -> QueryResult<()> {
    write_transaction!(conn, |c| {
        let newest: i64 = meta::table
            .find(EVENT_COUNTER)
            .select(meta::value)
            .first(c)?;
        for name in webhooks {
            let found: i64 = webhook_cursors::table
                .filter(webhook_cursors::webhook.eq(name))
                .count()
                .get_result(c)?;
            if found == 0 {
                new_cursor!(c, name, newest);
            }
        }
        Ok(())
    })
}

/// Takes `webhook`'s lease for `owner` until `until_us` if no other
/// center holds it and its next attempt is due at `now_us`; answers its
/// cursor when taken.
pub fn claim(
    conn: &mut AnyConnection,
    webhook: &str,
    owner: &str,
    now_us: i64,
    until_us: i64,
) -> QueryResult<Option<Cursor>> {
    write_transaction!(conn, |c| {
        let taken = diesel::update(webhook_cursors::table.find(webhook))
            .filter(
                webhook_cursors::lease_until_us
                    .lt(now_us)
                    .or(webhook_cursors::owner.eq(owner)),
            )
            .filter(webhook_cursors::next_attempt_us.le(now_us))
            .set((
                webhook_cursors::owner.eq(owner),
                webhook_cursors::lease_until_us.eq(until_us),
            ))
            .execute(c)?;
        if taken == 0 {
            return Ok(None);
        }
        webhook_cursors::table
            .find(webhook)
            .select(Cursor::as_select())
            .first(c)
            .optional()
    })
}

/// Up to `limit` events after `after`, oldest first.
pub fn events_after(
    conn: &mut AnyConnection,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<EventRow>> {
    with_conn!(conn, |c| webhook_events::table
        .filter(webhook_events::id.gt(after))
        .order(webhook_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(c))
}

/// One event, if still kept.
pub fn event(conn: &mut AnyConnection, id: i64) -> QueryResult<Option<EventRow>> {
    with_conn!(conn, |c| webhook_events::table
        .find(id)
        .select(EventRow::as_select())
        .first(c)
        .optional())
}

/// What an attempt left on a webhook's cursor (only while `owner` holds
/// its lease): the event done with, and its retry state.
pub struct Step<'a> {
    pub webhook: &'a str,
    pub owner: &'a str,
    pub last_event: i64,
    pub attempts: i64,
    pub next_attempt_us: i64,
    pub failing_since_us: Option<i64>,
    pub lease_until_us: i64,
}

/// Writes `step`; `false` if the lease was lost meanwhile.
pub fn step(conn: &mut AnyConnection, step: &Step) -> QueryResult<bool> {
    let updated = with_conn!(conn, |c| diesel::update(
        webhook_cursors::table.find(step.webhook)
    )
    .filter(webhook_cursors::owner.eq(step.owner))
    .set((
        webhook_cursors::last_event.eq(step.last_event),
        webhook_cursors::attempts.eq(step.attempts),
        webhook_cursors::next_attempt_us.eq(step.next_attempt_us),
        webhook_cursors::failing_since_us.eq(step.failing_since_us),
        webhook_cursors::lease_until_us.eq(step.lease_until_us),
    ))
    .execute(c))?;
    Ok(updated == 1)
}

/// One attempt, for the delivery log.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Attempt {
    pub webhook: String,
    pub event_id: i64,
    pub attempt: i64,
    pub at_us: i64,
    /// `delivered`, `retrying` or `failed`.
    pub outcome: String,
    pub status: Option<i64>,
    pub error: String,
}

/// Logs `attempt`; one already logged (a center stopped after logging it
/// and before moving the cursor, then sending it again) is kept as it is.
pub fn log(conn: &mut AnyConnection, attempt: &Attempt) -> QueryResult<()> {
    let logged = with_conn!(conn, |c| diesel::insert_into(webhook_deliveries::table)
        .values(attempt)
        .execute(c));
    match logged {
        Ok(_) => Ok(()),
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => Ok(()),
        Err(e) => Err(e),
    }
}

/// The newest `limit` attempts of `webhook`.
pub fn attempts(conn: &mut AnyConnection, webhook: &str, limit: i64) -> QueryResult<Vec<Attempt>> {
    with_conn!(conn, |c| webhook_deliveries::table
        .filter(webhook_deliveries::webhook.eq(webhook))
        .order((
            webhook_deliveries::at_us.desc(),
            webhook_deliveries::event_id.desc()
        ))
        .limit(limit)
        .select(Attempt::as_select())
        .load(c))
}

/// Forgets events and attempts older than `before_us` (events only once
/// every cursor is past them).
pub fn prune(conn: &mut AnyConnection, before_us: i64) -> QueryResult<usize> {
    with_conn!(conn, |c| {
        let oldest_cursor: Option<i64> = webhook_cursors::table
            .select(diesel::dsl::min(webhook_cursors::last_event))
            .first(c)?;
        let mut gone = diesel::delete(
            webhook_deliveries::table.filter(webhook_deliveries::at_us.lt(before_us)),
        )
        .execute(c)?;
        gone += diesel::delete(
            webhook_events::table
                .filter(webhook_events::at_us.lt(before_us))
                .filter(webhook_events::id.le(oldest_cursor.unwrap_or(i64::MAX))),
        )
        .execute(c)?;
        Ok(gone)
    })
}
