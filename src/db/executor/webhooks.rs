//! Webhook messages: cursors and leases, events after a cursor, the
//! delivery log, pruning.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::outbox::{self, Attempt, Cursor, EventRow, Step};
use crate::db::webhooks::HookRow;
use crate::db::DbError;

/// Gives each named webhook a cursor at the newest event, if it has none.
#[derive(Message)]
#[rtype(result = "Result<(), DbError>")]
pub struct EnsureCursors(pub Vec<String>);

impl Handler<EnsureCursors> for DbExecutor {
    type Result = Result<(), DbError>;
    fn handle(&mut self, m: EnsureCursors, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::ensure_cursors(c, &m.0))
    }
}

/// Takes a webhook's lease if it is free and due (`outbox::claim`).
#[derive(Message)]
#[rtype(result = "Result<Option<Cursor>, DbError>")]
pub struct ClaimWebhook {
    pub webhook: String,
    pub owner: String,
    pub now_us: i64,
    pub until_us: i64,
}

impl Handler<ClaimWebhook> for DbExecutor {
    type Result = Result<Option<Cursor>, DbError>;
    fn handle(&mut self, m: ClaimWebhook, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::claim(c, &m.webhook, &m.owner, m.now_us, m.until_us))
    }
}

/// Up to `limit` events after `after`, oldest first.
#[derive(Message)]
#[rtype(result = "Result<Vec<EventRow>, DbError>")]
pub struct EventsAfter {
    pub after: i64,
    pub limit: i64,
}

impl Handler<EventsAfter> for DbExecutor {
    type Result = Result<Vec<EventRow>, DbError>;
    fn handle(&mut self, m: EventsAfter, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::events_after(c, m.after, m.limit))
    }
}

/// One event, if still kept.
#[derive(Message)]
#[rtype(result = "Result<Option<EventRow>, DbError>")]
pub struct FindEvent(pub i64);

impl Handler<FindEvent> for DbExecutor {
    type Result = Result<Option<EventRow>, DbError>;
    fn handle(&mut self, m: FindEvent, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::event(c, m.0))
    }
}

/// Moves a webhook's cursor (while its owner holds the lease); `false`
/// if the lease was lost.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct StepWebhook {
    pub webhook: String,
    pub owner: String,
    pub last_event: i64,
    pub attempts: i64,
    pub next_attempt_us: i64,
    pub failing_since_us: Option<i64>,
    pub lease_until_us: i64,
}

impl Handler<StepWebhook> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: StepWebhook, _: &mut Self::Context) -> Self::Result {
        let step = Step {
            webhook: &m.webhook,
            owner: &m.owner,
            last_event: m.last_event,
            attempts: m.attempts,
            next_attempt_us: m.next_attempt_us,
            failing_since_us: m.failing_since_us,
            lease_until_us: m.lease_until_us,
        };
        self.with_conn(|c, _| outbox::step(c, &step))
    }
}

/// Writes one attempt to the delivery log.
#[derive(Message)]
#[rtype(result = "Result<(), DbError>")]
pub struct LogAttempt(pub Attempt);

impl Handler<LogAttempt> for DbExecutor {
    type Result = Result<(), DbError>;
    fn handle(&mut self, m: LogAttempt, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::log(c, &m.0))
    }
}

/// The newest attempts of a webhook.
#[derive(Message)]
#[rtype(result = "Result<Vec<Attempt>, DbError>")]
pub struct Attempts {
    pub webhook: String,
    pub limit: i64,
}

impl Handler<Attempts> for DbExecutor {
    type Result = Result<Vec<Attempt>, DbError>;
    fn handle(&mut self, m: Attempts, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::attempts(c, &m.webhook, m.limit))
    }
}

/// Forgets events and attempts older than `before_us`.
#[derive(Message)]
#[rtype(result = "Result<usize, DbError>")]
pub struct PruneOutbox {
    pub before_us: i64,
}

impl Handler<PruneOutbox> for DbExecutor {
    type Result = Result<usize, DbError>;
    fn handle(&mut self, m: PruneOutbox, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| outbox::prune(c, m.before_us))
    }
}

/// Every webhook added over RPC.
#[derive(Message)]
#[rtype(result = "Result<Vec<HookRow>, DbError>")]
pub struct ListHooks;

impl Handler<ListHooks> for DbExecutor {
    type Result = Result<Vec<HookRow>, DbError>;
    fn handle(&mut self, _: ListHooks, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::webhooks::list(c))
    }
}

/// Stores a webhook; `false` if its name is taken.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct AddHook(pub HookRow);

impl Handler<AddHook> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: AddHook, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::webhooks::add(c, &m.0))
    }
}

/// Removes a stored webhook; `false` if there was none.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct RemoveHook(pub String);

impl Handler<RemoveHook> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: RemoveHook, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::webhooks::remove(c, &m.0))
    }
}
