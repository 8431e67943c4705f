//! The center: `Center` runs store calls against the DB executor, with the
//! read cache in front of `records.list` and `records.changes`, counts
//! every call for `/metrics`, and checks credentials; `start` wires it.

mod credentials;
mod deliveries;
mod fleet;
pub mod fleet_view;
mod gray_book;
mod gray_restore;
mod gray_view;
mod held;
mod read_cache;
mod reads;
mod replies;
mod sealed;
mod selection;
mod sessions;
mod signed;
pub mod start;
mod unchanged;
pub mod webhooks;
pub use sessions::{ConsoleUser, NewSession};
mod writes;

use std::sync::Arc;
use std::time::Duration;

use actix::Addr;

use crate::auth::PasswordPool;
use crate::db::executor::DbExecutor;
use crate::db::{DbError, DbPool};
use crate::domain::{Record, StoredRecord, WriteOrigin};
use crate::metrics::{Exposition, RpcMetrics};
use crate::rpc::method::{Ctx, Method};
use crate::rpc::registry::Protocol;
use crate::rpc::{CallError, Declared, Executor};
use crate::signing::Signer;
pub use gray_book::{GrayStep, StepBy};
pub use held::Holds;
pub(crate) use held::Look;
pub use read_cache::{ChangesReply, ListSnapshot, ReadCache};
pub use writes::RollbackPlan;

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
    pub fleet: Option<crate::center::fleet_view::FleetOptions>,
    /// The methods it serves (`crate::methods::TABLE`).
    pub methods: &'static [Declared<Center>],
    /// The webhooks' deliverer, for `/metrics`.
    pub webhooks: Option<crate::center::webhooks::Deliverer>,
}

/// Executes store calls; one pointer, cheap to clone (each HTTP worker and
/// each held pull keeps one).
#[derive(Clone)]
pub struct Center(Arc<CenterInner>);

impl std::ops::Deref for Center {
    type Target = CenterInner;

    fn deref(&self) -> &CenterInner {
        &self.0
    }
}

/// What a `Center` shares.
pub struct CenterInner {
    pub(crate) db: Addr<DbExecutor>,
    pub(crate) cache: Arc<ReadCache>,
    rpc_path: Arc<str>,
    metrics: Arc<RpcMetrics>,
    /// For the pool gauges of `/metrics` only; connections are the DB actor's.
    pool: DbPool,
    /// Where password checks run.
    pub(crate) passwords: PasswordPool,
    /// `server.keep_history`.
    pub(crate) keep_history: bool,
    /// `server.signing_key_file`: signs namespace digests (`signed.rs`).
    signer: Option<Arc<Signer>>,
    /// Tokens and remembered logins (`credentials.rs`).
    credentials: Arc<credentials::Credentials>,
    /// Single flight for the read cache: one request re-reads the revision,
    /// or fills one `records.changes` reply, while the others wait for it
    /// instead of each querying the database (`reads.rs`).
    flights: Arc<reads::Flights>,
    /// The current edges' reply (`unchanged.rs`).
    unchanged: unchanged::Unchanged,
    /// The gray releases edges' views are made from (`gray_book.rs`).
    pub(crate) gray: gray_book::GrayBook,
    /// The main line's records views give back (`gray_restore.rs`).
    gray_restored: Arc<gray_restore::RestoreMemo>,
    /// Held `records.changes` requests (`held.rs`).
    pub(crate) holds: Arc<Holds>,
    /// When console sessions end (`sessions.rs`).
    session_limits: crate::db::sessions::SessionLimits,
    /// The edges that pulled (`fleet.rs`); `None`: the fleet view is off.
    pub(crate) fleet: Option<Arc<crate::center::fleet_view::Fleet>>,
    methods: &'static [Declared<Center>],
    /// Webhook and break-glass counts (`deliveries.rs`).
    pub(crate) outcomes: Arc<deliveries::Outcomes>,
    /// Replies of repeated pulls (`replies.rs`).
    replies: crate::rpc::replay::ReplyMemo,
}

impl Center {
    pub fn new(
        db: Addr<DbExecutor>,
        pool: DbPool,
        cache: Arc<ReadCache>,
        passwords: PasswordPool,
        options: CenterOptions,
    ) -> Self {
        let check_interval = cache.check_interval();
        Center(Arc::new(CenterInner {
            db,
            cache,
            rpc_path: options.rpc_path.into(),
            metrics: Arc::new(RpcMetrics::new(
                options.methods.iter().map(|d| d.spec.name).collect(),
            )),
            methods: options.methods,
            pool,
            passwords,
            keep_history: options.keep_history,
            credentials: Arc::new(credentials::Credentials::new(options.remember_logins)),
            signer: options.signer,
            flights: Arc::default(),
            unchanged: unchanged::Unchanged::default(),
            gray: gray_book::GrayBook::new(check_interval),
            gray_restored: Arc::default(),
            holds: Arc::new(Holds::new(options.max_hold, options.max_held)),
            session_limits: options.sessions,
            fleet: options
                .fleet
                .map(|o| Arc::new(crate::center::fleet_view::Fleet::new(o))),
            outcomes: Arc::new(deliveries::Outcomes::new(options.webhooks)),
            replies: Default::default(),
        }))
    }

    pub fn metrics(&self) -> &Arc<RpcMetrics> {
        &self.metrics
    }

    /// Tells every center that users or tokens changed (they reload them).
    pub(crate) fn credentials_changed(&self) {
        self.credentials.changed_here();
    }

    /// The history methods' refusal when `server.keep_history` is off.
    pub(crate) fn history_on(&self) -> Result<(), CallError> {
        match self.keep_history {
            true => Ok(()),
            false => Err(CallError::Invalid(
                "history is off on this center (server.keep_history = false)".into(),
            )),
        }
    }

    /// The center's part of `/metrics`: RPC counters and the pool gauges.
    pub fn render_metrics(&self, out: &mut Exposition) {
        self.metrics.render(out);
        self.holds.render(out);
        self.outcomes.render(out);
        self.gray.render(out);
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
    pub(crate) async fn ask<M>(&self, msg: M) -> Result<M::Result, CallError>
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
    fn methods(&self) -> &'static [Declared<Center>] {
        self.methods
    }

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
}

pub(crate) fn to_record(row: &StoredRecord) -> Result<Record, CallError> {
    row.to_record().ok_or_else(|| {
        tracing::error!(key = ?row.key.as_str(), "stored value is not valid JSON");
        CallError::Internal
    })
}

pub(crate) fn to_records(rows: &[StoredRecord]) -> Result<Vec<Record>, CallError> {
    rows.iter().map(to_record).collect()
}

/// Maps a DB failure to what the client may see; details go to the log once.
pub(crate) fn db_failure(e: DbError) -> CallError {
    match e {
        DbError::Unavailable(_) => CallError::Unavailable,
        other => {
            tracing::error!(error = ?other.to_string(), "database call failed");
            CallError::Internal
        }
    }
}

/// Who wrote, from where and by which method: for the audit log.
pub(crate) fn origin(ctx: &Ctx<'_, Center>) -> WriteOrigin {
    let caller = ctx.caller;
    WriteOrigin {
        author: caller
            .principal
            .as_ref()
            .map(|p| p.to_string())
            .unwrap_or_default(),
        address: caller.address.map(|a| a.to_string()).unwrap_or_default(),
        method: ctx.method.name().to_string(),
        comment: String::new(),
    }
}
