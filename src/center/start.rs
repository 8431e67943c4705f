//! Starting the center (migrations, DB executors, the upkeep that purges
//! tombstones, history and audit entries past their retention) and
//! `CenterRole`, what the application keeps of it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::rt::task::JoinHandle;

use super::{Center, CenterOptions, ReadCache};
use crate::auth::PasswordPool;
use crate::center::webhooks::Deliverer;
use crate::configuration::Settings;
use crate::db::executor::{DbExecutor, ExpireDue, Purged, Upkeep};
use crate::db::sessions::SessionLimits;
use crate::db::{self, DbError};
use crate::domain::Pace;
use crate::signing::Signer;

/// The running center: the executor handed to the RPC endpoint, its upkeep,
/// and what must be stopped at shutdown.
pub struct CenterRole {
    pub center: Center,
    pub maintenance: Maintenance,
    purge: JoinHandle<()>,
    /// Saves when tokens were last used, once a minute.
    usage: JoinHandle<()>,
    /// Re-reads the revision while pulls are held (`Center::poll_for_held`).
    hold_poll: JoinHandle<()>,
    /// Deletes expired records every `server.expire_interval`.
    expirer: JoinHandle<()>,
    /// Writes the fleet view's sightings (`Center::flush_fleet`).
    fleet_flush: JoinHandle<()>,
    /// Delivers webhooks, when any is configured and not ticked.
    deliveries: Option<JoinHandle<()>>,
    /// DB executor threads still running (each holds pooled connections).
    executors: Arc<AtomicUsize>,
}

/// Periodic center upkeep, callable directly (tests drive it instead of waiting).
#[derive(Clone)]
pub struct Maintenance {
    db: Addr<DbExecutor>,
    sessions: SessionLimits,
    /// Told of the expirer's writes (so held pulls wake at once).
    cache: Arc<ReadCache>,
    tombstone_retention: Duration,
    history_retention: Duration,
    /// The webhooks' deliverer, when any is configured.
    webhooks: Option<Deliverer>,
}

impl Maintenance {
    /// Removes tombstones older than `server.tombstone_retention`, history
    /// and audit entries older than `server.history_retention`.
    pub async fn upkeep(&self) -> Result<Purged, DbError> {
        self.db
            .send(Upkeep {
                tombstone_retention: self.tombstone_retention,
                history_retention: self.history_retention,
                sessions: self.sessions,
            })
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?
    }

    /// One webhook round as of `now_us` (each webhook's cursor made
    /// first, if new); answers the events delivered.
    pub async fn deliver(&self, now_us: i64) -> Result<usize, DbError> {
        let Some(deliverer) = &self.webhooks else {
            return Ok(0);
        };
        deliverer.round(now_us).await
    }

    /// The webhooks' deliverer, when any is configured.
    pub fn webhooks(&self) -> Option<&Deliverer> {
        self.webhooks.as_ref()
    }

    /// Deletes every record whose expiry is at or before `now_us`, each
    /// namespace's as one change by the author `expired`, in rounds of
    /// `EXPIRE_ROUND` (at most `EXPIRE_ROUNDS` of them, the rest at the
    /// next call); returns how many records went.
    pub async fn expire(&self, now_us: i64) -> Result<usize, DbError> {
        let mut expired = 0;
        for _ in 0..EXPIRE_ROUNDS {
            let done = self
                .db
                .send(ExpireDue {
                    now_us,
                    limit: EXPIRE_ROUND,
                })
                .await
                .map_err(|e| DbError::Unavailable(e.to_string()))??;
            let mut round = 0;
            for (namespace, applied) in &done {
                if let Some(revision) = applied.revision {
                    self.cache.note_write(revision);
                    tracing::info!(namespace = %namespace, revision, records = applied.deletes, "records expired");
                }
                round += applied.deletes;
            }
            expired += round;
            if done.iter().map(|(_, a)| a.deletes).sum::<usize>() < EXPIRE_ROUND as usize {
                break;
            }
        }
        Ok(expired)
    }
}

/// Records one expirer round looks at (one query, then one write per
/// namespace).
const EXPIRE_ROUND: i64 = 1000;
/// Rounds per `expire` call: a bound on one call's work.
const EXPIRE_ROUNDS: usize = 10;

/// Migrates now, or logs why not (calls answer "database unavailable"
/// and migrate once it is back).
async fn migrate(settings: &Settings) {
    let database = settings.database.clone();
    let migrated = actix_web::rt::task::spawn_blocking(move || db::migrate_now(&database)).await;
    match migrated {
        Ok(Ok(())) => tracing::info!(database = %settings.database.url, "database ready"),
        Ok(Err(e)) => tracing::warn!(
            database = %settings.database.url, error = %e,
            "database not ready; serving anyway, calls answer \"database unavailable\" until it is"
        ),
        Err(e) => tracing::error!(error = %e, "migration task failed"),
    }
}

/// Migrates (or arranges to migrate once the database is back), starts the
/// DB executors and the tombstone purge.
pub async fn start(
    settings: &Settings,
    signer: Option<Arc<Signer>>,
    methods: &'static [crate::rpc::Declared<Center>],
    pace: Pace,
) -> CenterRole {
    migrate(settings).await;
    let s = &settings.server;
    let pool = db::build_pool(&settings.database);
    let outbox = crate::db::outbox::OutboxSwitch::default();
    outbox.set(settings.outbox());
    let (db, executors) = DbExecutor::start(
        pool.clone(),
        settings.database.pool_size as usize,
        crate::domain::History::from(s.keep_history),
        outbox.clone(),
    );
    let cache = Arc::new(ReadCache::new(
        settings.server.revision_check_interval.get(),
    ));
    let sessions = SessionLimits {
        idle_us: s.session_idle.get().as_micros() as i64,
        lifetime_us: s.session_lifetime.get().as_micros() as i64,
    };
    let (webhooks, deliveries) =
        super::deliveries::prepare(settings, &db, &cache, (pace, outbox.clone())).await;
    let maintenance = Maintenance {
        db: db.clone(),
        sessions,
        cache: cache.clone(),
        tombstone_retention: s.tombstone_retention.get(),
        history_retention: s.history_retention.get(),
        webhooks: webhooks.clone(),
    };
    let purge = spawn_purge(maintenance.clone());
    let expirer = spawn_expirer(maintenance.clone(), s.expire_interval.get());
    let center = Center::new(
        db,
        pool,
        cache,
        PasswordPool::start(s.password_threads, s.password_queue),
        CenterOptions {
            rpc_path: s.rpc_path.clone(),
            keep_history: s.keep_history,
            remember_logins: s.remember_logins.get(),
            signer,
            max_hold: s.max_hold.get(),
            max_held: s.max_held,
            sessions,
            fleet: (!s.fleet_window.get().is_zero()).then(|| {
                crate::center::fleet_view::FleetOptions {
                    window: s.fleet_window.get(),
                    silent: s.fleet_silent.get(),
                    lag: s.fleet_lag.get(),
                    max_edges: s.fleet_max_edges,
                }
            }),
            methods,
            webhooks,
        },
    );
    // Gray releases read before the first pull (later at most once per
    // revision check, as the known revision is).
    center.gray_releases().await;
    CenterRole {
        fleet_flush: super::fleet::spawn_flush(center.clone(), s.fleet_flush_interval.get()),
        usage: spawn_usage(center.clone()),
        hold_poll: spawn_hold_poll(center.clone(), s.hold_poll_interval.get()),
        deliveries,
        center,
        maintenance,
        purge,
        expirer,
        executors,
    }
}

impl CenterRole {
    /// Stops the purge task and waits (2 s at most) for the DB executors to
    /// stop once every address to them is gone; their pooled connections
    /// close as they do.
    pub async fn stop(self) {
        let CenterRole {
            center,
            maintenance,
            purge,
            usage,
            hold_poll,
            expirer,
            fleet_flush,
            deliveries,
            executors,
        } = self;
        if let Some(deliveries) = deliveries {
            deliveries.abort();
            let _ = deliveries.await;
        }
        fleet_flush.abort();
        let _ = fleet_flush.await;
        if let Err(e) = center.flush_fleet(crate::domain::now_us()).await {
            tracing::debug!(error = %e, "fleet view not written at shutdown");
        }
        expirer.abort();
        let _ = expirer.await;
        hold_poll.abort();
        let _ = hold_poll.await;
        purge.abort();
        let _ = purge.await;
        usage.abort();
        let _ = usage.await;
        if let Err(e) = center.save_token_usage().await {
            tracing::debug!(error = %e, "token usage not saved at shutdown");
        }
        drop((center, maintenance));
        let deadline = std::time::Instant::now() + Duration::from_secs(2);
        loop {
            let running = executors.load(Ordering::Acquire);
            if running == 0 {
                tracing::info!("database connections closed");
                return;
            }
            if std::time::Instant::now() > deadline {
                tracing::warn!(
                    executors = running,
                    "database executors still running; their connections close at exit"
                );
                return;
            }
            actix_web::rt::time::sleep(Duration::from_millis(10)).await;
        }
    }
}

/// How often token use is written (`token list` shows it this late at most).
const USAGE_EVERY: Duration = Duration::from_secs(60);

/// Writes when tokens were last used, in one batch a minute (never one
/// write per call).
fn spawn_usage(center: Center) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(USAGE_EVERY);
        loop {
            ticker.tick().await;
            if let Err(e) = center.save_token_usage().await {
                tracing::debug!(error = %e, "token usage not saved");
            }
        }
    })
}

/// Lets held pulls learn of writes made through other centers: a revision
/// check every `every` while anything is held, none otherwise.
fn spawn_hold_poll(center: Center, every: Duration) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if center.holds_handle().drained(std::time::Instant::now()) {
                let fleet = center.fleet().cloned();
                actix_web::rt::task::spawn_blocking(move || {
                    if let Some(fleet) = fleet {
                        fleet.compact();
                    }
                    crate::memory::release_freed_memory();
                });
            }
            if let Err(e) = center.poll_for_held().await {
                tracing::debug!(error = %e, "revision check for held pulls failed");
            }
        }
    })
}

/// Deletes expired records every `every` (`server.expire_interval`).
fn spawn_expirer(maintenance: Maintenance, every: Duration) -> JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = maintenance.expire(crate::domain::now_us()).await {
                tracing::debug!(error = %e, "expiry skipped");
            }
        }
    })
}

/// Runs the upkeep every hour (or twice per retention, if shorter).
fn spawn_purge(maintenance: Maintenance) -> JoinHandle<()> {
    let shortest = maintenance
        .tombstone_retention
        .min(maintenance.history_retention);
    let every = (shortest / 2).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        loop {
            ticker.tick().await;
            match maintenance.upkeep().await {
                Ok(Purged {
                    tombstones: 0,
                    history: 0,
                    sessions: 0,
                }) => {}
                Ok(purged) => tracing::info!(
                    tombstones = purged.tombstones,
                    history = purged.history,
                    sessions = purged.sessions,
                    "upkeep purged"
                ),
                Err(e) => tracing::debug!(error = %e, "upkeep skipped"),
            }
        }
    })
}
