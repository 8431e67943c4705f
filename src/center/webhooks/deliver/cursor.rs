//! A webhook's delivery state in the database: its attempts logged, its
//! cursor and lease stepped.

use super::*;

impl Deliverer {
    pub(super) async fn log(
        &self,
        hook: &Hook,
        event: &EventRow,
        cursor: &Cursor,
        now_us: i64,
        (outcome, status, error): (&str, Option<u16>, String),
    ) -> Result<(), DbError> {
        let attempt = Attempt {
            webhook: hook.settings.name.clone(),
            event_id: event.id,
            attempt: cursor.attempts + 1,
            at_us: now_us,
            outcome: outcome.to_string(),
            status: status.map(i64::from),
            error,
        };
        self.ask(LogAttempt(attempt)).await
    }

    /// Writes `cursor` with its next attempt and lease; `false` if the
    /// lease was lost.
    pub(super) async fn step(
        &self,
        cursor: &Cursor,
        next_attempt_us: i64,
        lease_until_us: i64,
    ) -> Result<bool, DbError> {
        self.ask(StepWebhook {
            webhook: cursor.webhook.clone(),
            owner: self.owner.to_string(),
            last_event: cursor.last_event,
            attempts: cursor.attempts,
            next_attempt_us,
            failing_since_us: cursor.failing_since_us,
            lease_until_us,
        })
        .await
    }

    pub(super) async fn ask<M, T>(&self, msg: M) -> Result<T, DbError>
    where
        M: actix::Message<Result = Result<T, DbError>> + Send + 'static,
        T: Send + 'static,
        DbExecutor: actix::Handler<M>,
    {
        self.db
            .send(msg)
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?
    }
}
