//! The center: `Center` runs store calls against the DB executor, with the
//! read cache in front of `records.list` and `records.changes`, counts
//! every call for `/metrics`, and checks credentials; `start` wires it.

mod legacy;
mod read_cache;
pub mod start;

use std::sync::Arc;
use std::time::{Duration, Instant};

use actix::Addr;
use serde::Serialize;

use crate::auth::PasswordPool;
use crate::db::executor::{
    CurrentRevision, DbExecutor, DeleteRecord, FindUser, GetChanges, GetRecord, ListRecords,
    PutRecord,
};
use crate::db::{DbError, DbPool};
use crate::domain::{net_change, NetChange, Record, StoredRecord, Username};
use crate::metrics::{Exposition, RpcMetrics};
use crate::rpc::registry::{Method, Protocol, StoreCall};
use crate::rpc::{CallError, Executor, RawJson};
pub use read_cache::{ListSnapshot, ReadCache};

/// Why credentials could not be checked.
#[derive(Debug, thiserror::Error)]
pub enum CheckFailed {
    #[error(transparent)]
    Call(#[from] CallError),
    /// The password pool's queue is full.
    #[error("password checks are busy")]
    Busy,
}

/// Executes store calls; cheap to clone (one per HTTP worker).
#[derive(Clone)]
pub struct Center {
    db: Addr<DbExecutor>,
    cache: Arc<ReadCache>,
    rpc_path: Arc<str>,
    metrics: Arc<RpcMetrics>,
    /// For the pool gauges of `/metrics` only; connections are the DB actor's.
    pool: DbPool,
    /// Where password checks run.
    passwords: PasswordPool,
}

#[derive(Serialize)]
struct Changes<'a> {
    revision: i64,
    full: bool,
    upserts: Vec<Record>,
    deletes: Vec<&'a str>,
}

impl Center {
    pub fn new(
        db: Addr<DbExecutor>,
        pool: DbPool,
        cache: Arc<ReadCache>,
        passwords: PasswordPool,
        rpc_path: &str,
    ) -> Self {
        Center {
            db,
            cache,
            rpc_path: rpc_path.into(),
            metrics: Arc::default(),
            pool,
            passwords,
        }
    }

    pub fn metrics(&self) -> &RpcMetrics {
        &self.metrics
    }

    /// The center's part of `/metrics`: RPC counters and the pool gauges.
    pub fn render_metrics(&self, out: &mut Exposition) {
        self.metrics.render(out);
        let state = self.pool.state();
        out.single(
            "syncdict_db_pool_connections",
            "gauge",
            "Open database connections (idle or in use).",
            state.connections,
        );
        out.single(
            "syncdict_db_pool_idle_connections",
            "gauge",
            "Open database connections not in use.",
            state.idle_connections,
        );
        out.single(
            "syncdict_db_pool_max_connections",
            "gauge",
            "database.pool_size.",
            self.pool.max_size(),
        );
        out.single(
            "syncdict_store_revision",
            "gauge",
            "Newest store revision this center knows of.",
            self.cache.known_revision(),
        );
    }

    /// Sends a message to the DB actor, mapping every failure once.
    async fn ask<M>(&self, msg: M) -> Result<M::Result, CallError>
    where
        M: actix::Message + Send + 'static,
        M::Result: Send,
        DbExecutor: actix::Handler<M>,
    {
        self.db.send(msg).await.map_err(|e| {
            tracing::error!(error = %e, "DB actor unreachable");
            CallError::Internal
        })
    }

    /// Checks Basic credentials: `Some(can_write)` if they are right.
    /// `user: None` is a name no user can have: checked against the dummy
    /// hash all the same, so it takes as long as a real check. The hash is
    /// read on a DB thread, the check runs on the password pool.
    pub async fn authenticate(
        &self,
        user: Option<Username>,
        password: String,
    ) -> Result<Option<bool>, CheckFailed> {
        let found = match user {
            Some(user) => self.ask(FindUser(user)).await?.map_err(db_failure)?,
            None => None,
        };
        let (phc, can_write) = match found {
            Some((phc, can_write)) => (Some(phc), can_write),
            None => (None, false),
        };
        let verified = self
            .passwords
            .verify(password, phc.clone())
            .await
            .map_err(|_| CheckFailed::Busy)?;
        Ok((verified && phc.is_some()).then_some(can_write))
    }

    /// The serialized `records.list`, from the cache when nothing changed.
    pub async fn list(&self) -> Result<ListSnapshot, CallError> {
        let now = Instant::now();
        if let Some(list) = self.cache.fresh_list(now) {
            return Ok(list);
        }
        if self.cache.fresh_revision(now).is_none() {
            let revision = self.ask(CurrentRevision).await?.map_err(db_failure)?;
            self.cache.confirm_revision(revision, Instant::now());
            if let Some(list) = self.cache.fresh_list(Instant::now()) {
                return Ok(list);
            }
        }
        let (revision, rows) = self.ask(ListRecords).await?.map_err(db_failure)?;
        let list = ListSnapshot::new(revision, RawJson::of(&to_records(&rows)?));
        self.cache.store_list(list.clone(), Instant::now());
        Ok(list)
    }

    async fn changes(&self, since: i64) -> Result<RawJson, CallError> {
        let now = Instant::now();
        if let Some(known) = self.cache.fresh_revision(now) {
            if since > 0 && since == known {
                return Ok(RawJson::of(&Changes {
                    revision: known,
                    full: false,
                    upserts: vec![],
                    deletes: vec![],
                }));
            }
            if since == 0 || since > known {
                if let Some(list) = self.cache.fresh_list(now) {
                    return Ok(full_changes(&list));
                }
            }
        }
        if let Some(delta) = self.cache.fresh_delta(since, now) {
            return Ok(delta);
        }
        let found = self.ask(GetChanges { since }).await?.map_err(db_failure)?;
        self.cache.confirm_revision(found.revision, Instant::now());
        if found.full {
            let list = ListSnapshot::new(found.revision, RawJson::of(&to_records(&found.rows)?));
            self.cache.store_list(list.clone(), Instant::now());
            return Ok(full_changes(&list));
        }
        let mut upserts = Vec::new();
        let mut deletes = Vec::new();
        for row in &found.rows {
            match net_change(since, row) {
                NetChange::Upsert => upserts.push(to_record(row)?),
                NetChange::Delete => deletes.push(row.key.as_str()),
                NetChange::Unchanged => {}
            }
        }
        let delta = RawJson::of(&Changes {
            revision: found.revision,
            full: false,
            upserts,
            deletes,
        });
        self.cache.store_delta(since, found.revision, delta.clone());
        Ok(delta)
    }
}

fn full_changes(list: &ListSnapshot) -> RawJson {
    RawJson::from_trusted(format!(
        r#"{{"revision":{},"full":true,"upserts":{},"deletes":[]}}"#,
        list.revision,
        list.json.as_str()
    ))
}

impl Executor for Center {
    fn rpc_path(&self) -> &str {
        &self.rpc_path
    }

    /// Counts the call, and logs it if it failed (one line; server-side
    /// failures were logged where they happened, so this is the client's view).
    fn observe(
        &self,
        protocol: Protocol,
        method: Option<Method>,
        code: Option<i64>,
        took: Duration,
    ) {
        self.metrics.observe_call(protocol, method, code, took);
        if let Some(code) = code {
            let method = method.map_or("other", Method::name);
            tracing::info!(
                method,
                protocol = protocol.label(),
                code,
                duration_ms = took.as_millis() as u64,
                "call failed"
            );
        }
    }

    async fn execute(&self, call: StoreCall) -> Result<RawJson, CallError> {
        match call {
            StoreCall::List => Ok(self.list().await?.json),
            StoreCall::MyRpc => {
                let list = self.list().await?;
                let legacy = list.legacy.get_or_init(|| legacy::rows(&list.json));
                Ok(legacy.clone())
            }
            StoreCall::Get(key) => match self
                .ask(GetRecord(key.clone()))
                .await?
                .map_err(db_failure)?
            {
                Some(row) => Ok(RawJson::of(&to_record(&row)?)),
                None => Err(CallError::NotFound(key.into_string())),
            },
            StoreCall::Put(key, value) => {
                let value_json = value.to_string();
                let revision = self
                    .ask(PutRecord { key, value_json })
                    .await?
                    .map_err(db_failure)?;
                self.cache.note_write(revision);
                Ok(RawJson::of(&revision))
            }
            StoreCall::Delete(key) => {
                let deleted = self.ask(DeleteRecord(key)).await?.map_err(db_failure)?;
                if let Some(revision) = deleted {
                    self.cache.note_write(revision);
                }
                Ok(RawJson::of(&deleted.is_some()))
            }
            StoreCall::Changes(since) => self.changes(since).await,
        }
    }
}

fn to_record(row: &StoredRecord) -> Result<Record, CallError> {
    row.to_record().ok_or_else(|| {
        tracing::error!(key = ?row.key.as_str(), "stored value is not valid JSON");
        CallError::Internal
    })
}

fn to_records(rows: &[StoredRecord]) -> Result<Vec<Record>, CallError> {
    rows.iter().map(to_record).collect()
}

/// Maps a DB failure to what the client may see; details go to the log once.
fn db_failure(e: DbError) -> CallError {
    match e {
        DbError::Unavailable(_) => CallError::Unavailable,
        other => {
            tracing::error!(error = ?other.to_string(), "database call failed");
            CallError::Internal
        }
    }
}
