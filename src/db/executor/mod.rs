//! `DbExecutor`: the only holder of database connections, one thread per
//! pooled connection, answering one message per store operation. The
//! messages live by role: `records.rs` (reads and writes of records),
//! `namespaces.rs`, `history.rs` (history, audit, upkeep), `users.rs`,
//! `sessions.rs` (console sessions), `fleet.rs` (the fleet view),
//! `change_requests.rs`, `gray.rs` (gray releases), `webhooks.rs`.

mod change_requests;
mod fleet;
mod gray;
mod history;
mod namespaces;
mod records;
mod secrets;
mod sessions;
mod users;
mod webhooks;

pub use change_requests::*;
pub use fleet::*;
pub use gray::*;
pub use history::*;
pub use namespaces::*;
pub use records::*;
pub use secrets::*;
pub use sessions::*;
pub use users::*;
pub use webhooks::*;

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::writes::SchemaCache;
use super::{AnyConnection, DbError, DbPool};

/// Microseconds in `d`, saturating.
fn micros(d: Duration) -> i64 {
    d.as_micros().min(i64::MAX as u128) as i64
}

/// After a failed connection attempt, calls fail at once for this long
/// instead of each waiting `connect_timeout`; then one call probes again.
const RETRY_AFTER: Duration = Duration::from_millis(500);

/// Shared by the executor threads: is the database known to be down?
#[derive(Debug)]
pub struct DbHealth {
    started: Instant,
    /// Milliseconds since `started` before which calls fail fast; 0 = healthy.
    retry_at_ms: AtomicU64,
    last_error: Mutex<String>,
}

impl DbHealth {
    fn new() -> Self {
        DbHealth {
            started: Instant::now(),
            retry_at_ms: AtomicU64::new(0),
            last_error: Mutex::new(String::new()),
        }
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    /// `Some(cause)` while calls should fail without trying.
    fn fail_fast(&self) -> Option<String> {
        let retry_at = self.retry_at_ms.load(Ordering::Acquire);
        if retry_at == 0 || self.now_ms() >= retry_at {
            return None;
        }
        Some(
            self.last_error
                .lock()
                .map(|e| e.clone())
                .unwrap_or_default(),
        )
    }

    fn record_failure(&self, cause: &str) {
        if let Ok(mut e) = self.last_error.lock() {
            e.clone_from(&cause.to_string());
        }
        let was_healthy = self.retry_at_ms.swap(
            self.now_ms() + RETRY_AFTER.as_millis() as u64,
            Ordering::AcqRel,
        ) == 0;
        if was_healthy {
            tracing::error!(error = cause, "database unavailable");
        }
    }

    fn record_success(&self) {
        if self.retry_at_ms.swap(0, Ordering::AcqRel) != 0 {
            tracing::info!("database available again");
        }
    }
}

/// Runs store operations on pooled connections.
pub struct DbExecutor {
    pool: DbPool,
    health: Arc<DbHealth>,
    /// Executor threads running; each holds the pool until it stops.
    alive: Arc<AtomicUsize>,
    /// This thread's compiled namespace schemas.
    schemas: SchemaCache,
    /// `server.keep_history`.
    history: crate::domain::History,
    /// Whether writes leave webhook events (a webhook exists).
    outbox: crate::db::outbox::OutboxSwitch,
}

impl Actor for DbExecutor {
    type Context = SyncContext<Self>;

    fn started(&mut self, _: &mut Self::Context) {
        self.alive.fetch_add(1, Ordering::AcqRel);
    }

    fn stopped(&mut self, _: &mut Self::Context) {
        self.alive.fetch_sub(1, Ordering::AcqRel);
    }
}

impl DbExecutor {
    /// Starts `threads` executors sharing `pool` (size the pool the same, so
    /// no thread waits for another's connection). The executors stop, and
    /// drop their connections, once every address is gone; the counter
    /// returned says how many still run.
    pub fn start(
        pool: DbPool,
        threads: usize,
        history: crate::domain::History,
        outbox: crate::db::outbox::OutboxSwitch,
    ) -> (Addr<DbExecutor>, Arc<AtomicUsize>) {
        let health = Arc::new(DbHealth::new());
        let alive = Arc::new(AtomicUsize::new(0));
        let counter = alive.clone();
        let addr = SyncArbiter::start(threads, move || DbExecutor {
            pool: pool.clone(),
            health: health.clone(),
            alive: counter.clone(),
            schemas: SchemaCache::default(),
            history,
            outbox: outbox.clone(),
        });
        (addr, alive)
    }

    /// `kind` in `namespace` by `author`, to record with the change, if
    /// the outbox is kept.
    pub(crate) fn event(
        &self,
        kind: crate::domain::EventKind,
        namespace: &str,
        author: &str,
    ) -> Option<crate::domain::Event> {
        (self.outbox.get() == crate::domain::Outbox::Kept)
            .then(|| crate::domain::Event::plain(kind, namespace, author))
    }

    fn with_conn<T>(
        &mut self,
        f: impl FnOnce(&mut AnyConnection, &mut SchemaCache) -> diesel::QueryResult<T>,
    ) -> Result<T, DbError> {
        if let Some(cause) = self.health.fail_fast() {
            return Err(DbError::Unavailable(cause));
        }
        let mut conn = match self.pool.get() {
            Ok(conn) => conn,
            Err(e) => {
                self.health.record_failure(&e.to_string());
                return Err(e.into());
            }
        };
        self.health.record_success();
        f(&mut conn, &mut self.schemas).map_err(DbError::from)
    }
}
