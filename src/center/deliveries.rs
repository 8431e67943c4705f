//! Running the webhook deliverer on a center: a round at once after each
//! write through this center, and every second for events written
//! elsewhere (other centers, imports, namespace and review events);
//! deliveries and events older than a week are forgotten daily.

use std::time::Duration;

use actix::Addr;
use actix_web::rt::task::JoinHandle;

use super::ReadCache;
use crate::center::webhooks::Deliverer;
use crate::configuration::Settings;
use crate::db::executor::{DbExecutor, PruneOutbox};
use crate::db::outbox::OutboxSwitch;
use crate::domain::{now_us, Pace};

/// Rounds run at least this often.
const EVERY: Duration = Duration::from_secs(1);
/// The delivery log and delivered events are kept this long.
const KEEP: Duration = Duration::from_secs(7 * 24 * 3600);

/// The deliverer of `settings`' webhooks and those added over RPC.
fn deliverer(
    settings: &Settings,
    db: &Addr<DbExecutor>,
    switch: OutboxSwitch,
) -> Option<Deliverer> {
    let tls = match crate::tls::client::config(&settings.client) {
        Ok(tls) => tls,
        Err(e) => {
            tracing::error!(error = %e, "webhooks off: no TLS client configuration");
            return None;
        }
    };
    match Deliverer::new(db.clone(), settings, tls, switch) {
        Ok(d) => Some(d),
        Err(e) => {
            tracing::error!(error = %e, "webhooks off: no HTTP client");
            None
        }
    }
}

/// The deliverer, with the webhooks' cursors made and the outbox switched
/// on if there is any, and its task unless `pace` leaves rounds to the
/// caller.
pub async fn prepare(
    settings: &Settings,
    db: &Addr<DbExecutor>,
    cache: &ReadCache,
    (pace, switch): (Pace, OutboxSwitch),
) -> (Option<Deliverer>, Option<JoinHandle<()>>) {
    let Some(deliverer) = deliverer(settings, db, switch) else {
        return (None, None);
    };
    if let Err(e) = deliverer.refresh().await {
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
        while let Err(e) = deliverer.refresh().await {
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

/// What `/metrics` shows of webhooks and break-glass publishes.
pub struct Outcomes {
    pub(crate) webhooks: Option<Deliverer>,
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
        for (hook, counts) in &webhooks.counts() {
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

impl super::Center {
    /// The webhooks of `[[webhook]]`.
    pub(crate) fn configured_webhooks(&self) -> Vec<crate::configuration::WebhookSettings> {
        self.outcomes
            .webhooks
            .as_ref()
            .map(Deliverer::configured)
            .unwrap_or_default()
    }

    /// After a webhook was added or removed here: the deliverer reads them
    /// again at once (the outbox is switched on before the next write).
    pub(crate) async fn webhooks_changed(&self) {
        if let Some(d) = &self.outcomes.webhooks {
            if let Err(e) = d.refresh().await {
                tracing::debug!(error = %e, "webhooks not read again");
            }
        }
    }

    /// `webhooks.redeliver`.
    pub(crate) async fn redeliver(
        &self,
        name: &str,
        event: i64,
        now_us: i64,
    ) -> Result<crate::center::webhooks::Redelivered, crate::rpc::CallError> {
        let Some(d) = &self.outcomes.webhooks else {
            return Err(crate::rpc::CallError::Invalid(
                "webhooks are off on this center".into(),
            ));
        };
        match d
            .redeliver(name, event, now_us)
            .await
            .map_err(super::db_failure)?
        {
            Some(done) => Ok(done),
            None => Err(crate::rpc::CallError::Invalid(format!(
                "no webhook {name:?}, or event {event} is no longer kept"
            ))),
        }
    }
}
