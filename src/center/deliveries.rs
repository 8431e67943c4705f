//! Running the webhook deliverer on a center: a round at once after each
//! write through this center, and every second for events written
//! elsewhere (other centers, imports, namespace and review events);
//! deliveries and events older than a week are forgotten daily.

use std::time::Duration;

use actix::Addr;
use actix_web::rt::task::JoinHandle;

use super::ReadCache;
use crate::configuration::Settings;
use crate::db::executor::{DbExecutor, EnsureCursors, PruneOutbox};
use crate::domain::{now_us, Pace};
use crate::webhooks::Deliverer;

/// Rounds run at least this often.
const EVERY: Duration = Duration::from_secs(1);
/// The delivery log and delivered events are kept this long.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

/// The deliverer of `settings`' webhooks, if any are configured.
fn deliverer(settings: &Settings, db: &Addr<DbExecutor>) -> Option<Deliverer> {
    if settings.webhook.is_empty() {
        return None;
    }
    let tls = match crate::tls::client::config(&settings.client) {
        Ok(tls) => tls,
        Err(e) => {
            tracing::error!(error = %e, "webhooks off: no TLS client configuration");
            return None;
        }
    };
    match Deliverer::new(db.clone(), settings, tls) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::error!(error = %e, "webhooks off: no HTTP client");
            None
        }
    }
}

/// The deliverer of `settings`' webhooks, with its cursors made, and its
/// task unless `pace` leaves rounds to the caller.
pub async fn prepare(
    settings: &Settings,
    db: &Addr<DbExecutor>,
    cache: &ReadCache,
    pace: Pace,
) -> (Option<Deliverer>, Option<JoinHandle<()>>) {
    let Some(deliverer) = deliverer(settings, db) else {
        return (None, None);
    };
    if let Err(e) = ensure(db, &deliverer).await {
        tracing::warn!(error = %e, "webhook cursors not made yet");
    }
    let task = (pace == Pace::Timer).then(|| spawn(deliverer.clone(), db.clone(), cache));
    (Some(deliverer), task)
}

/// Gives every webhook its cursor (retried until the database answers),
/// then runs rounds after writes and on a timer.
fn spawn(deliverer: Deliverer, db: Addr<DbExecutor>, cache: &ReadCache) -> JoinHandle<()> {
    let mut writes = cache.subscribe();
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while let Err(e) = ensure(&db, &deliverer).await {
            tracing::debug!(error = %e, "webhook cursors not ready");
            ticker.tick().await;
        }
        let mut pruned_at = 0;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                Ok(()) = writes.changed() => {}
            }
            let now = now_us();
            if let Err(e) = deliverer.round(now).await {
                tracing::debug!(error = %e, "webhook round skipped");
            }
            if now - pruned_at > 24 * 3600 * 1_000_000 {
                let before_us = now - KEEP.as_micros() as i64;
                if db.send(PruneOutbox { before_us }).await.is_ok() {
                    pruned_at = now;
                }
            }
        }
    })
}

/// Gives each configured webhook a cursor, if it has none.
pub async fn ensure(
    db: &Addr<DbExecutor>,
    deliverer: &Deliverer,
) -> Result<(), crate::db::DbError> {
    db.send(EnsureCursors(deliverer.names()))
        .await
        .map_err(|e| crate::db::DbError::Unavailable(e.to_string()))?
}

/// What `/metrics` shows of webhooks and break-glass publishes.
pub struct Outcomes {
    webhooks: Option<Deliverer>,
    break_glass: std::sync::atomic::AtomicU64,
}

impl Outcomes {
    pub fn new(webhooks: Option<Deliverer>) -> Outcomes {
        Outcomes {
            webhooks,
            break_glass: Default::default(),
        }
    }

    /// Counts a change request published without its approvals.
    pub fn broke_glass(&self) {
        self.break_glass
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut crate::metrics::Exposition) {
        use std::sync::atomic::Ordering::Relaxed;
        out.single(
            "syncdict_break_glass_total",
            "counter",
            "Change requests an administrator published through this center without their approvals.",
            self.break_glass.load(Relaxed),
        );
        let Some(webhooks) = &self.webhooks else {
            return;
        };
        let name = "syncdict_webhook_deliveries_total";
        out.family(
            name,
            "counter",
            "Webhook deliveries by this center: delivered, retried (a failed attempt to be tried again) or failed (given up after 24 h).",
        );
        for (hook, counts) in webhooks.counts() {
            let outcomes = [
                ("delivered", &counts.delivered),
                ("retried", &counts.retried),
                ("failed", &counts.failed),
            ];
            for (outcome, n) in outcomes {
                let labels = format!(r#"webhook="{hook}",outcome="{outcome}""#);
                out.sample(name, &labels, n.load(Relaxed));
            }
        }
    }
}
