//! The center: `Center` runs store calls against the DB executor, with the
//! read cache in front of `records.list` and `records.changes`, counts
//! every call for `/metrics`, and checks credentials; `start` wires it.

mod credentials;
mod fleet;
mod held;
mod history;
mod legacy;
mod namespaces;
mod read_cache;
mod reads;
mod selection;
mod sessions;
mod signed;
pub mod start;
mod tokens;
mod users;
pub use sessions::{ConsoleUser, NewSession};
mod writes;

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;

use crate::auth::PasswordPool;
use crate::db::executor::{DbExecutor, GetRecord};
use crate::db::{DbError, DbPool};
use crate::domain::{ChangeSet, Namespace, Record, StoredRecord, WriteOrigin};
use crate::metrics::{Exposition, RpcMetrics};
use crate::rpc::registry::{Method, Protocol, StoreCall};
use crate::rpc::{CallError, Caller, Executor, RawJson};
use crate::signing::Signer;
pub use held::Holds;
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

/// What a center takes from `[server]`.
pub struct CenterOptions {
    pub rpc_path: String,
    pub keep_history: bool,
    pub remember_logins: Duration,
    /// `server.signing_key_file`, loaded.
    pub signer: Option<Arc<Signer>>,
    /// `server.max_hold` and `server.max_held`.
    pub max_hold: Duration,
    pub max_held: usize,
    /// `server.session_idle` and `server.session_lifetime`.
    pub sessions: crate::db::sessions::SessionLimits,
    /// The fleet view's bounds; `None` when `server.fleet_window` is `0s`.
    pub fleet: Option<crate::fleet::FleetOptions>,
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
    /// `server.keep_history`.
    keep_history: bool,
    /// `server.signing_key_file`: signs namespace digests (`signed.rs`).
    signer: Option<Arc<Signer>>,
    /// Tokens and remembered logins (`credentials.rs`).
    credentials: Arc<credentials::Credentials>,
    /// Single flight for the read cache: one request re-reads the revision,
    /// or fills one `records.changes` reply, while the others wait for it
    /// instead of each querying the database (`reads.rs`).
    flights: Arc<reads::Flights>,
    /// Held `records.changes` requests (`held.rs`).
    holds: Arc<Holds>,
    /// When console sessions end (`sessions.rs`).
    session_limits: crate::db::sessions::SessionLimits,
    /// The edges that pulled (`fleet.rs`); `None`: the fleet view is off.
    fleet: Option<Arc<crate::fleet::Fleet>>,
}

impl Center {
    pub fn new(
        db: Addr<DbExecutor>,
        pool: DbPool,
        cache: Arc<ReadCache>,
        passwords: PasswordPool,
        options: CenterOptions,
    ) -> Self {
        Center {
            db,
            cache,
            rpc_path: options.rpc_path.into(),
            metrics: Arc::default(),
            pool,
            passwords,
            keep_history: options.keep_history,
            credentials: Arc::new(credentials::Credentials::new(options.remember_logins)),
            signer: options.signer,
            flights: Arc::default(),
            holds: Arc::new(Holds::new(options.max_hold, options.max_held)),
            session_limits: options.sessions,
            fleet: options.fleet.map(|o| Arc::new(crate::fleet::Fleet::new(o))),
        }
    }

    pub fn metrics(&self) -> &RpcMetrics {
        &self.metrics
    }

    /// The center's part of `/metrics`: RPC counters and the pool gauges.
    pub fn render_metrics(&self, out: &mut Exposition) {
        self.metrics.render(out);
        self.holds.render(out);
        if let Some(fleet) = &self.fleet {
            fleet.render(out);
        }
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
            "syncdict_password_checks_total",
            "counter",
            "Password checks run (argon2id); logins remembered after one do not count.",
            self.passwords.checks(),
        );
        out.single(
            "syncdict_tokens",
            "gauge",
            "Tokens in the in-memory table (loaded when credentials change).",
            self.credentials.token_count(),
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

    async fn execute(
        &self,
        call: StoreCall,
        method: Method,
        caller: &Caller,
    ) -> Result<RawJson, CallError> {
        let origin = || WriteOrigin {
            author: caller
                .principal
                .as_ref()
                .map(|p| p.to_string())
                .unwrap_or_default(),
            address: caller.address.map(|a| a.to_string()).unwrap_or_default(),
            method: method.name().to_string(),
            comment: String::new(),
        };
        let needs_history = matches!(
            call,
            StoreCall::History { .. }
                | StoreCall::At { .. }
                | StoreCall::Rollback { .. }
                | StoreCall::Timeline { .. }
                | StoreCall::AuditList { .. }
        );
        if needs_history && !self.keep_history {
            return Err(CallError::Invalid(
                "history is off on this center (server.keep_history = false)".into(),
            ));
        }
        match call {
            StoreCall::List(ns) => {
                let list = self.list(&ns).await?;
                let pulled = std::slice::from_ref(&ns);
                self.note_pull(caller, pulled, None, list.revision, Duration::ZERO);
                Ok(list.json)
            }
            StoreCall::MyRpc => {
                let list = self.list(&Namespace::default()).await?;
                let legacy = list.legacy.get_or_init(|| legacy::rows(&list.json));
                let default = std::slice::from_ref(Namespace::default_ref());
                self.note_pull(caller, default, None, list.revision, Duration::ZERO);
                Ok(legacy.clone())
            }
            StoreCall::Get(ns, key) => match self
                .ask(GetRecord(ns, key.clone()))
                .await?
                .map_err(db_failure)?
            {
                Some(row) => Ok(RawJson::of(&to_record(&row)?)),
                None => Err(CallError::NotFound(key.into_string())),
            },
            StoreCall::Put(ns, key, value, expiry) => {
                let mut changes = ChangeSet::put(key.clone(), value);
                changes.expiries.extend(expiry.map(|e| (key, e)));
                let applied = self.write(ns, changes, None, origin()).await?;
                Ok(RawJson::of(&applied.revision))
            }
            StoreCall::Delete(ns, key) => {
                let applied = self
                    .write(ns, ChangeSet::delete(key), None, origin())
                    .await?;
                Ok(RawJson::of(&applied.revision.is_some()))
            }
            StoreCall::Apply {
                namespace,
                changes,
                if_revision,
                comment,
            } => {
                let origin = WriteOrigin {
                    comment,
                    ..origin()
                };
                let applied = self.write(namespace, changes, if_revision, origin).await?;
                Ok(RawJson::of(&applied))
            }
            StoreCall::Changes {
                since,
                namespaces,
                wait,
            } => {
                let wait = wait.unwrap_or_default();
                let (reply, pulled) = self.held_changes(since, &namespaces, caller, wait).await?;
                let default = std::slice::from_ref(Namespace::default_ref());
                let pulled = pulled.as_deref().unwrap_or(default);
                let hold = wait.min(self.holds.max_hold());
                self.note_pull(caller, pulled, Some(since), reply.revision, hold);
                Ok(reply.json)
            }
            StoreCall::FleetList {
                state,
                limit,
                offset,
            } => self.fleet_list(state, limit, offset).await,
            StoreCall::History {
                namespace,
                key,
                limit,
            } => self.history(namespace, key, limit).await,
            StoreCall::At {
                namespace,
                revision,
            } => self.at(namespace, revision).await,
            StoreCall::AuditList { since, limit } => self.audit(since, limit).await,
            StoreCall::Search { namespace, search } => self.search(namespace, search).await,
            StoreCall::TokensList => self.tokens_list().await,
            StoreCall::TokensAdd {
                name,
                write,
                scopes,
                expires_in,
            } => self.tokens_add(name, write, scopes, expires_in).await,
            StoreCall::TokensRevoke(name) => self.tokens_revoke(name).await,
            StoreCall::UsersList => self.users_list().await,
            StoreCall::UsersAdd {
                name,
                password,
                write,
                admin,
            } => self.users_add(name, password, write, admin).await,
            StoreCall::UsersUpdate {
                name,
                password,
                admin,
                grants,
            } => {
                let update = users::Update {
                    password,
                    admin,
                    grants,
                };
                self.users_update(caller, name, update).await
            }
            StoreCall::UsersRemove(name) => self.users_remove(caller, name).await,
            StoreCall::NamespacesList => self.namespaces().await,
            StoreCall::CreateNamespace {
                namespace,
                description,
            } => self.create_namespace(namespace, description).await,
            StoreCall::DeleteNamespace { namespace, force } => {
                self.delete_namespace(namespace, force, origin()).await
            }
            StoreCall::SetSchema { namespace, schema } => self.set_schema(namespace, schema).await,
            StoreCall::Rollback {
                namespace,
                revision,
                if_revision,
                dry_run,
            } => {
                self.rollback(namespace, revision, if_revision, dry_run, origin())
                    .await
            }
            StoreCall::Timeline {
                namespace,
                before,
                limit,
            } => self.timeline(namespace, before, limit).await,
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
