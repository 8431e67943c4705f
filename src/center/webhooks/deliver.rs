//! Delivering the outbox. Each round (`Deliverer::round`, time passed in)
//! takes, per webhook, its lease on the database (so one center delivers
//! a webhook at a time and each event goes out once), posts the events
//! after its cursor in order, and moves the cursor past each one answered
//! 2xx. A failure stops that webhook's round and is retried with
//! exponential backoff and jitter; once a webhook has failed for 24 hours,
//! the event is logged as failed and passed, and each later event gets one
//! attempt until a delivery succeeds again. Delivery is at least
//! once (a center stopped between a POST and its cursor's move sends it
//! again, with the same `webhook-id`), in order per webhook and so per
//! namespace. Writes never wait for any of this.

use std::collections::HashSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::Addr;

use super::guard::{is_public, literal_host, GuardedResolver};
use super::hooks::{merged, Counts, Hook, HookCounts};
use super::retry::{backoff, RETRY_FOR};
use super::sign::signature;
use crate::configuration::{Settings, WebhookSettings};
use crate::db::executor::{
    ClaimWebhook, DbExecutor, EnsureCursors, EventsAfter, FindEvent, ListHooks, LogAttempt,
    StepWebhook,
};
use crate::db::outbox::{Attempt, Cursor, EventRow, OutboxSwitch};
use crate::db::DbError;
use crate::domain::{now_us, Outbox};

mod cursor;
mod post;

/// How long a center holds a webhook's lease past each step: twice what
/// one POST may take. A center stopped mid-delivery holds its webhooks
/// this long at most; then another center (or itself, restarted) takes
/// them over.
const LEASE: Duration = Duration::from_secs(20);
/// Longest a POST may take.
const TIMEOUT: Duration = Duration::from_secs(10);
/// Events read per webhook and round.
const BATCH: i64 = 100;

/// Delivers every webhook; cheap to clone.
#[derive(Clone)]
pub struct Deliverer {
    db: Addr<DbExecutor>,
    /// `[[webhook]]`; those added over RPC are read each round.
    fixed: Arc<[Hook]>,
    counts: Arc<Counts>,
    /// The webhooks whose cursors are known to exist.
    ensured: Arc<Mutex<HashSet<String>>>,
    /// Turned on while any webhook exists.
    switch: OutboxSwitch,
    http: reqwest::Client,
    /// This center, as a lease holder.
    owner: Arc<str>,
    allow_private: bool,
}

/// What `redeliver` did.
#[derive(Debug, serde::Serialize)]
pub struct Redelivered {
    pub delivered: bool,
    pub status: Option<u16>,
    pub error: String,
}

/// How one webhook's attempt at one event ended.
enum Sent {
    Delivered(u16),
    Failed { status: Option<u16>, why: String },
}

impl Deliverer {
    /// The deliverer of `settings`' webhooks (`[[webhook]]`,
    /// `server.webhook_allow_private`).
    pub fn new(
        db: Addr<DbExecutor>,
        settings: &Settings,
        tls: rustls::ClientConfig,
        switch: OutboxSwitch,
    ) -> Result<Deliverer, reqwest::Error> {
        let allow_private = settings.server.webhook_allow_private;
        let fixed: Vec<Hook> = settings.webhook.iter().filter_map(Hook::of).collect();
        let mut builder = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .user_agent(concat!("syncdict/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(GuardedResolver));
        }
        Ok(Deliverer {
            db,
            counts: Arc::default(),
            ensured: Arc::default(),
            switch,
            fixed: fixed.into(),
            http: builder.build()?,
            owner: format!(
                "{:016x}",
                rand_core::RngCore::next_u64(&mut rand_core::OsRng)
            )
            .into(),
            allow_private,
        })
    }

    /// The webhooks of `[[webhook]]`.
    pub fn configured(&self) -> Vec<WebhookSettings> {
        self.fixed.iter().map(|h| h.settings.clone()).collect()
    }

    /// Sends event `id` to webhook `name` again, now (its cursor does not
    /// move); logs the attempt. `None` if there is no such webhook or the
    /// event is no longer kept.
    pub async fn redeliver(
        &self,
        name: &str,
        id: i64,
        now_us: i64,
    ) -> Result<Option<Redelivered>, DbError> {
        let hooks = self.hooks().await?;
        let Some(hook) = hooks.iter().find(|h| h.settings.name == name) else {
            return Ok(None);
        };
        let Some(event) = self.ask(FindEvent(id)).await? else {
            return Ok(None);
        };
        let (outcome, status, error) = match self.send(hook, &event).await {
            Sent::Delivered(status) => ("redelivered", Some(status), String::new()),
            Sent::Failed { status, why } => ("redelivery_failed", status, why),
        };
        let attempt = Attempt {
            webhook: name.to_string(),
            event_id: id,
            // Apart from the cursor's attempts, so never a clash with them.
            attempt: -now_us,
            at_us: now_us,
            outcome: outcome.to_string(),
            status: status.map(i64::from),
            error: error.clone(),
        };
        self.ask(LogAttempt(attempt)).await?;
        Ok(Some(Redelivered {
            delivered: outcome == "redelivered",
            status,
            error,
        }))
    }

    /// Counts per webhook since start.
    pub fn counts(&self) -> Vec<(String, Arc<HookCounts>)> {
        self.counts.all()
    }

    /// Reads the webhooks now (switching the outbox on while there is
    /// any, and giving new ones their cursor); answers how many there are.
    pub async fn refresh(&self) -> Result<usize, DbError> {
        Ok(self.hooks().await?.len())
    }

    /// Every webhook now: `[[webhook]]` and those added over RPC. Switches
    /// the outbox on while there is any, and gives new ones their cursor.
    async fn hooks(&self) -> Result<Vec<Hook>, DbError> {
        let hooks = merged(&self.fixed, self.ask(ListHooks).await?);
        self.switch.set(match hooks.is_empty() {
            true => Outbox::Off,
            false => Outbox::Kept,
        });
        let new: Vec<String> = {
            let ensured = self.ensured.lock().unwrap_or_else(|p| p.into_inner());
            hooks
                .iter()
                .map(|h| h.settings.name.clone())
                .filter(|n| !ensured.contains(n))
                .collect()
        };
        if !new.is_empty() {
            self.ask(EnsureCursors(new.clone())).await?;
            let mut ensured = self.ensured.lock().unwrap_or_else(|p| p.into_inner());
            ensured.extend(new);
        }
        Ok(hooks)
    }

    /// One round over every webhook as of `now_us`; answers the events
    /// delivered.
    pub async fn round(&self, now_us: i64) -> Result<usize, DbError> {
        let mut delivered = 0;
        for hook in self.hooks().await? {
            delivered += self.deliver(&hook, now_us).await?;
        }
        Ok(delivered)
    }

    /// Takes `hook`'s lease if due and sends what follows its cursor.
    async fn deliver(&self, hook: &Hook, now_us: i64) -> Result<usize, DbError> {
        // Leases are renewed from the round's time plus what it has taken
        // so far: a slow receiver never lets a lease lapse under a round.
        let started = std::time::Instant::now();
        let lease = || now_us + micros(started.elapsed()) + micros(LEASE);
        let counts = self.counts.of(&hook.settings.name);
        let until_us = now_us + micros(LEASE);
        let claim = ClaimWebhook {
            webhook: hook.settings.name.clone(),
            owner: self.owner.to_string(),
            now_us,
            until_us,
        };
        let Some(mut cursor) = self.ask(claim).await? else {
            return Ok(0);
        };
        let events = self
            .ask(EventsAfter {
                after: cursor.last_event,
                limit: BATCH,
            })
            .await?;
        let mut delivered = 0;
        for event in events {
            if !hook.settings.wants(&event.kind, &event.namespace) {
                cursor.last_event = event.id;
                continue;
            }
            match self.send(hook, &event).await {
                Sent::Delivered(status) => {
                    self.log(
                        hook,
                        &event,
                        &cursor,
                        now_us,
                        ("delivered", Some(status), String::new()),
                    )
                    .await?;
                    counts.delivered.fetch_add(1, Ordering::Relaxed);
                    cursor.last_event = event.id;
                    (cursor.attempts, cursor.failing_since_us) = (0, None);
                    delivered += 1;
                    if !self.step(&cursor, 0, lease()).await? {
                        return Ok(delivered);
                    }
                }
                Sent::Failed { status, why } => {
                    let since = cursor.failing_since_us.unwrap_or(now_us);
                    if now_us - since >= micros(RETRY_FOR) {
                        self.log(hook, &event, &cursor, now_us, ("failed", status, why))
                            .await?;
                        counts.failed.fetch_add(1, Ordering::Relaxed);
                        cursor.last_event = event.id;
                        // Still failing since `since`: the next event gets
                        // one attempt, not another day (a receiver gone for
                        // good cannot hold the outbox forever).
                        (cursor.attempts, cursor.failing_since_us) = (0, Some(since));
                        continue;
                    }
                    self.log(hook, &event, &cursor, now_us, ("retrying", status, why))
                        .await?;
                    counts.retried.fetch_add(1, Ordering::Relaxed);
                    cursor.attempts += 1;
                    cursor.failing_since_us = Some(since);
                    let next = now_us + micros(backoff(cursor.attempts, event.id));
                    self.step(&cursor, next, 0).await?;
                    return Ok(delivered);
                }
            }
        }
        self.step(&cursor, 0, 0).await?;
        Ok(delivered)
    }
}

fn micros(d: Duration) -> i64 {
    d.as_micros().min(i64::MAX as u128) as i64
}
