//! `Scheduler`: fires every `client.interval`, one pull at a time, backing
//! off after failures. One per process, however many HTTP workers run. It
//! orchestrates a pull (`Pull` to the RPC client, then `Apply` to the cache
//! actor) and owns what a pull needs to remember: the hash of the last
//! applied reply, and the state the status reports.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;

pub use crate::domain::Pace;

use super::cache::{Apply, CacheActor, Flush};
use super::rpc_client::{Fetched, Pull, RpcClient};
use crate::configuration::{ClientSettings, PullMode};
use crate::domain::now_us;
use crate::edge::health::HealthWatch;
use crate::edge::schedule::{Brought, Held, PullSchedule, Tick};
use crate::edge::state::{EdgeState, PullSummary, TickReport};
use crate::edge::store::EdgeStore;
use crate::edge::PullError;

pub struct Scheduler {
    schedule: PullSchedule,
    client: Addr<RpcClient>,
    cache: Addr<CacheActor>,
    /// Read only: the revision to ask changes since.
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    settings: ClientSettings,
    /// `method` mode: the hash of the last reply applied, so an identical
    /// reply is not parsed again.
    applied_hash: Option<u64>,
    /// Timer chains from before the last finished pull are ignored.
    generation: u64,
    /// `Ticked` in tests that drive ticks themselves.
    pace: Pace,
    /// What each pull reports of the edge's health.
    health: HealthWatch,
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        self.arm(ctx, Duration::ZERO);
    }
}

impl Scheduler {
    pub fn new(
        client: Addr<RpcClient>,
        cache: Addr<CacheActor>,
        store: Arc<EdgeStore>,
        state: Arc<Mutex<EdgeState>>,
        settings: ClientSettings,
        pace: Pace,
        health: HealthWatch,
    ) -> Self {
        // Jitter differs between edges started at the same moment.
        let seed = now_us() as u64 ^ u64::from(std::process::id());
        let schedule = PullSchedule::new(settings.interval.get(), settings.max_backoff.get(), seed);
        Scheduler {
            schedule,
            client,
            cache,
            store,
            state,
            settings,
            applied_hash: None,
            generation: 0,
            pace,
            health,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, EdgeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Schedules the next timer tick of the current generation.
    fn arm(&mut self, ctx: &mut Context<Self>, delay: Duration) {
        if self.pace == Pace::Ticked {
            return;
        }
        self.state().next_pull_us = Some(now_us() + delay.as_micros() as i64);
        let generation = self.generation;
        ctx.run_later(delay, move |act, ctx| {
            if act.generation == generation {
                if let Some(pull) = act.tick(Instant::now()) {
                    ctx.spawn(pull.map(|_, _, _| ()));
                }
                // Keeps ticking while the pull runs, so overlapping ticks
                // are counted; a held pull is long by design, and its end
                // arms the next one.
                if act.hold().is_none() {
                    let interval = act.settings.interval.get();
                    act.arm(ctx, interval);
                }
            }
        });
    }

    /// `client.hold`, if pulls are held.
    fn hold(&self) -> Option<Duration> {
        let hold = self.settings.hold.get();
        (!hold.is_zero() && self.settings.mode == PullMode::Changes).then_some(hold)
    }

    /// One tick at `at`: starts a pull, or counts a skip.
    fn tick(&mut self, at: Instant) -> Option<impl ActorFuture<Self, Output = TickReport>> {
        match self.schedule.on_tick() {
            Tick::Skip => {
                self.state().skip();
                tracing::debug!("tick skipped: a pull is in flight");
                None
            }
            Tick::Pull => Some(self.pull(at)),
        }
    }

    fn pull(&mut self, at: Instant) -> impl ActorFuture<Self, Output = TickReport> {
        self.state().start(now_us());
        let client = self.client.clone();
        let cache = self.cache.clone();
        let max_shrink = Some(self.settings.max_shrink.0);
        let (since, applied_hash) = match self.settings.mode {
            // After a digest mismatch, everything again.
            PullMode::Changes if self.state().full_next => (0, None),
            PullMode::Changes => (self.store.revision(), None),
            PullMode::Method => (0, self.applied_hash),
        };
        let hold = self.hold();
        let (store, secrets) = (self.store.clone(), self.settings.mode == PullMode::Changes);
        let pull = Pull {
            since,
            at,
            applied_hash,
            wait: hold,
            digest: self.store.digest_report(),
            releases: self.store.held_releases(),
            health: self.health.report(),
        };
        async move {
            let fetched = match client.send(pull).await {
                Ok(Ok(fetched)) => fetched,
                Ok(Err(e)) => return (TickReport::Failed(e), None, None, false),
                Err(e) => {
                    let e = PullError::Internal(e.to_string());
                    return (TickReport::Failed(e), None, None, false);
                }
            };
            let held = fetched.held;
            let rekeyed = match secrets {
                true => super::keys::learn_keys(&client, &store, &fetched.pulled).await,
                false => Vec::new(),
            };
            let summary = summary_of(&fetched);
            let apply = Apply {
                pulled: fetched.pulled,
                max_shrink,
                fresh_us: now_us(),
                reply_bytes: fetched.reply_bytes,
                rekeyed,
            };
            let report = match cache.send(apply).await {
                Ok(Ok(())) => TickReport::Applied,
                Ok(Err(refused)) => TickReport::Refused(refused),
                Err(e) => TickReport::Failed(PullError::Internal(e.to_string())),
            };
            (report, Some(summary), fetched.body_hash, held)
        }
        .into_actor(self)
        .map(move |(report, summary, body_hash, asked), act, ctx| {
            if report == TickReport::Applied && body_hash.is_some() {
                act.applied_hash = body_hash;
            }
            let took = at.elapsed();
            let brought = match &summary {
                Some(s) if s.full || s.upserts + s.deletes > 0 => Brought::Changes,
                _ => Brought::Nothing,
            };
            let held = match hold {
                Some(hold) if asked => Held::judge(hold, brought, took),
                _ => Held::NotAsked,
            };
            if hold.is_some() && summary.is_some() {
                act.state().held = Some(held);
            }
            // A refused change would come back at once: refused pulls wait
            // the interval, held or not.
            let held = match report {
                TickReport::Applied => held,
                _ => Held::NotAsked,
            };
            let failures = act.finish(&report, summary, took);
            let delay = act.schedule.on_done(failures, held);
            act.generation += 1;
            act.arm(ctx, delay);
            report
        })
    }

    /// Records the pull's outcome in the state and logs it, one line per
    /// pull (`info` when applied, `warn`/`error` otherwise); answers the
    /// failures in a row.
    fn finish(&mut self, report: &TickReport, pulled: Option<PullSummary>, took: Duration) -> u32 {
        let took_ms = took.as_millis() as u64;
        let revision = self.store.revision();
        let entries = self.store.entries();
        let failures = {
            let mut state = self.state();
            state.record(report, pulled.as_ref(), took, now_us());
            state.consecutive_failures
        };
        let upstream = pulled.as_ref().map(|p| p.upstream.as_str());
        let (full, upserts, deletes) = pulled
            .as_ref()
            .map_or((false, 0, 0), |p| (p.full, p.upserts, p.deletes));
        let failed_over = pulled
            .as_ref()
            .filter(|p| !p.failed_over.is_empty())
            .map(|p| p.failed_over.join("; "));
        if let Some(since) = pulled.as_ref().and_then(|p| p.restarted_from) {
            tracing::warn!(
                upstream,
                since,
                "the upstream refused the edge's revision; pulled everything from 0"
            );
        }
        match report {
            TickReport::Applied => tracing::info!(
                upstream,
                duration_ms = took_ms,
                revision,
                entries,
                full,
                upserts,
                deletes,
                failed_over,
                "pull applied"
            ),
            TickReport::Failed(e) => tracing::warn!(
                error = ?e.to_string(), duration_ms = took_ms, revision,
                "pull failed; keeping the last good data"
            ),
            TickReport::Refused(e) => tracing::error!(
                upstream, error = ?e.to_string(), duration_ms = took_ms, revision, full, upserts, deletes,
                "pulled data refused; keeping the last good data"
            ),
            TickReport::Skipped => {}
        }
        failures
    }
}

/// Runs one tick as of `at` and answers when its pull has finished and its
/// snapshot is written (tests drive the scheduler with this instead of
/// waiting for the timer, and pass a later `at` instead of sleeping through
/// an upstream's cooldown).
#[derive(Message)]
#[rtype(result = "TickReport")]
pub struct TickNow {
    pub at: Instant,
}

impl Handler<TickNow> for Scheduler {
    type Result = ResponseActFuture<Self, TickReport>;

    fn handle(&mut self, msg: TickNow, _: &mut Self::Context) -> Self::Result {
        let Some(pull) = self.tick(msg.at) else {
            return Box::pin(actix::fut::ready(TickReport::Skipped));
        };
        let cache = self.cache.clone();
        Box::pin(pull.then(move |report, act, _| {
            async move {
                let _ = cache.send(Flush).await;
                report
            }
            .into_actor(act)
        }))
    }
}

/// What the state records of a fetched pull.
fn summary_of(fetched: &Fetched) -> PullSummary {
    PullSummary {
        upstream: fetched.upstream.clone(),
        failed_over: fetched.failed_over.clone(),
        full: fetched.pulled.full,
        upserts: fetched.pulled.upserts(),
        deletes: fetched.pulled.deletes(),
        restarted_from: fetched.restarted_from,
    }
}
