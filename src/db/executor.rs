//! `DbExecutor`: the only holder of database connections, one thread per
//! pooled connection, answering one message per store operation.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::{records, AnyConnection, DbError, DbPool};
use crate::domain::{now_us, RecordKey, StoredRecord, Username};

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
    pub fn start(pool: DbPool, threads: usize) -> (Addr<DbExecutor>, Arc<AtomicUsize>) {
        let health = Arc::new(DbHealth::new());
        let alive = Arc::new(AtomicUsize::new(0));
        let counter = alive.clone();
        let addr = SyncArbiter::start(threads, move || DbExecutor {
            pool: pool.clone(),
            health: health.clone(),
            alive: counter.clone(),
        });
        (addr, alive)
    }

    fn with_conn<T>(
        &self,
        f: impl FnOnce(&mut AnyConnection) -> diesel::QueryResult<T>,
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
        f(&mut conn).map_err(DbError::from)
    }
}

/// Lists every live record, ordered by key, with the store revision.
#[derive(Message)]
#[rtype(result = "Result<(i64, Vec<StoredRecord>), DbError>")]
pub struct ListRecords;

impl Handler<ListRecords> for DbExecutor {
    type Result = Result<(i64, Vec<StoredRecord>), DbError>;
    fn handle(&mut self, _: ListRecords, _: &mut Self::Context) -> Self::Result {
        self.with_conn(records::list)
    }
}

/// Reads the live record under a key.
#[derive(Message)]
#[rtype(result = "Result<Option<StoredRecord>, DbError>")]
pub struct GetRecord(pub RecordKey);

impl Handler<GetRecord> for DbExecutor {
    type Result = Result<Option<StoredRecord>, DbError>;
    fn handle(&mut self, msg: GetRecord, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c| records::get(c, msg.0.as_str()))
    }
}

/// Stores a JSON value (as text) under a key; answers the revision taken.
#[derive(Message)]
#[rtype(result = "Result<i64, DbError>")]
pub struct PutRecord {
    pub key: RecordKey,
    pub value_json: String,
}

impl Handler<PutRecord> for DbExecutor {
    type Result = Result<i64, DbError>;
    fn handle(&mut self, msg: PutRecord, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c| records::put(c, msg.key.as_str(), &msg.value_json, now_us()))
    }
}

/// Deletes the record under a key; answers the revision taken, if it existed.
#[derive(Message)]
#[rtype(result = "Result<Option<i64>, DbError>")]
pub struct DeleteRecord(pub RecordKey);

impl Handler<DeleteRecord> for DbExecutor {
    type Result = Result<Option<i64>, DbError>;
    fn handle(&mut self, msg: DeleteRecord, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c| records::delete(c, msg.0.as_str(), now_us()))
    }
}

/// Reads what changed after a revision (or a full snapshot).
#[derive(Message)]
#[rtype(result = "Result<records::ChangeRows, DbError>")]
pub struct GetChanges {
    pub since: i64,
}

impl Handler<GetChanges> for DbExecutor {
    type Result = Result<records::ChangeRows, DbError>;
    fn handle(&mut self, msg: GetChanges, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c| records::changes(c, msg.since))
    }
}

/// Reads the store's current revision (one row).
#[derive(Message)]
#[rtype(result = "Result<i64, DbError>")]
pub struct CurrentRevision;

impl Handler<CurrentRevision> for DbExecutor {
    type Result = Result<i64, DbError>;
    fn handle(&mut self, _: CurrentRevision, _: &mut Self::Context) -> Self::Result {
        self.with_conn(records::current_revision)
    }
}

/// Removes tombstones older than the retention; answers how many went.
#[derive(Message)]
#[rtype(result = "Result<usize, DbError>")]
pub struct PurgeTombstones {
    pub retention: Duration,
}

impl Handler<PurgeTombstones> for DbExecutor {
    type Result = Result<usize, DbError>;
    fn handle(&mut self, msg: PurgeTombstones, _: &mut Self::Context) -> Self::Result {
        let cutoff = now_us() - msg.retention.as_micros().min(i64::MAX as u128) as i64;
        self.with_conn(|c| records::purge_tombstones(c, cutoff))
    }
}

/// Reads a user's password hash and write permission (the password check
/// itself runs on the password pool, `auth::PasswordPool`).
#[derive(Message)]
#[rtype(result = "Result<Option<(String, bool)>, DbError>")]
pub struct FindUser(pub Username);

impl Handler<FindUser> for DbExecutor {
    type Result = Result<Option<(String, bool)>, DbError>;
    fn handle(&mut self, msg: FindUser, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c| super::users::find(c, &msg.0))
    }
}
