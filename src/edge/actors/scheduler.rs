//! `Scheduler`: fires every `client.interval`, one pull at a time, backing
//! off after failures. One per process, however many HTTP workers run.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;

use super::cache::{Apply, CacheActor};
use super::rpc_client::{Pull, RpcClient};
use crate::configuration::{ClientSettings, PullMode};
use crate::domain::now_us;
use crate::edge::schedule::{PullSchedule, Tick};
use crate::edge::start::Pace;
use crate::edge::status::EdgeState;
use crate::edge::store::{ApplyError, EdgeStore};
use crate::edge::upstreams::display_url;
use crate::edge::PullError;

pub struct Scheduler {
    schedule: PullSchedule,
    client: Addr<RpcClient>,
    cache: Addr<CacheActor>,
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    settings: ClientSettings,
    /// Timer chains from before the last finished pull are ignored.
    generation: u64,
    /// `Ticked` in tests that drive ticks themselves.
    pace: Pace,
}

/// How one tick ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TickReport {
    /// Pulled and applied (or nothing had changed).
    Applied,
    /// A pull was still running.
    Skipped,
    Failed(PullError),
    /// Pulled, but not applied.
    Refused(ApplyError),
}

impl Actor for Scheduler {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        if self.pace == Pace::Timer {
            self.arm(ctx, Duration::ZERO);
        }
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
    ) -> Self {
        let seed = now_us() as u64 ^ u64::from(std::process::id());
        let schedule = PullSchedule::new(settings.interval.get(), settings.max_backoff.get(), seed);
        Scheduler {
            schedule,
            client,
            cache,
            store,
            state,
            settings,
            generation: 0,
            pace,
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
                if let Some(pull) = act.tick() {
                    ctx.spawn(pull.map(|_, _, _| ()));
                }
                // Keeps ticking while the pull runs, so overlapping ticks are counted.
                let interval = act.settings.interval.get();
                act.arm(ctx, interval);
            }
        });
    }

    /// One tick: starts a pull, or counts a skip.
    fn tick(&mut self) -> Option<impl ActorFuture<Self, Output = TickReport>> {
        match self.schedule.on_tick() {
            Tick::Skip => {
                self.state().skipped_ticks = self.schedule.skipped_ticks;
                tracing::debug!("tick skipped: a pull is in flight");
                None
            }
            Tick::Pull => Some(self.pull()),
        }
    }

    fn pull(&mut self) -> impl ActorFuture<Self, Output = TickReport> {
        let started = Instant::now();
        self.state().last_attempt_us = Some(now_us());
        let client = self.client.clone();
        let cache = self.cache.clone();
        let since = match self.settings.mode {
            PullMode::Changes => self.store.revision(),
            PullMode::Method => 0,
        };
        let max_shrink = match self.settings.mode {
            PullMode::Changes => None,
            PullMode::Method => Some(self.settings.max_shrink.0),
        };
        async move {
            let fetched = match client.send(Pull { since }).await {
                Ok(Ok(fetched)) => fetched,
                Ok(Err(e)) => return (TickReport::Failed(e), None),
                Err(e) => return (TickReport::Failed(PullError::Internal(e.to_string())), None),
            };
            let summary = PullSummary {
                upstream: fetched.upstream,
                failed_over: fetched.failed_over,
                full: fetched.pulled.full,
                upserts: fetched.pulled.upserts.len(),
                deletes: fetched.pulled.deletes.len(),
            };
            let report = match cache
                .send(Apply {
                    pulled: fetched.pulled,
                    max_shrink,
                    body_hash: fetched.body_hash,
                })
                .await
            {
                Ok(Ok(())) => TickReport::Applied,
                Ok(Err(refused)) => TickReport::Refused(refused),
                Err(e) => TickReport::Failed(PullError::Internal(e.to_string())),
            };
            (report, Some(summary))
        }
        .into_actor(self)
        .map(move |(report, summary), act, ctx| {
            act.finish(&report, summary, started.elapsed());
            let pulled_ok = !matches!(report, TickReport::Failed(_));
            let delay = act.schedule.on_done(pulled_ok);
            act.state().consecutive_failures = act.schedule.consecutive_failures;
            act.generation += 1;
            act.arm(ctx, delay);
            report
        })
    }

    /// Records the pull's outcome in the status and metrics and logs it:
    /// one line per pull (`info` when applied, `warn`/`error` otherwise).
    fn finish(&mut self, report: &TickReport, pulled: Option<PullSummary>, took: Duration) {
        let now = now_us();
        let took_ms = took.as_millis() as u64;
        let revision = self.store.revision();
        let entries = self.store.entries();
        let mut s = self.state();
        s.pull_seconds.observe(took);
        if let Some(p) = &pulled {
            s.upstream_in_use = Some(p.upstream.clone());
        }
        let upstream = pulled.as_ref().map(|p| display_url(&p.upstream));
        let (full, upserts, deletes) = pulled
            .as_ref()
            .map_or((false, 0, 0), |p| (p.full, p.upserts, p.deletes));
        let failed_over = pulled
            .as_ref()
            .filter(|p| !p.failed_over.is_empty())
            .map(|p| p.failed_over.join("; "));
        match report {
            TickReport::Applied => {
                s.pulls_ok += 1;
                self.store.mark_fresh(now);
                s.last_error = None;
                s.record(now, took_ms, "ok", None);
                tracing::info!(
                    upstream,
                    duration_ms = took_ms,
                    revision,
                    entries,
                    full,
                    upserts,
                    deletes,
                    failed_over,
                    "pull applied"
                );
            }
            TickReport::Failed(e) => {
                s.pulls_failed += 1;
                s.last_error = Some(e.to_string());
                s.record(now, took_ms, "failed", Some(e.to_string()));
                tracing::warn!(
                    error = %e, duration_ms = took_ms, revision,
                    "pull failed; keeping the last good data"
                );
            }
            TickReport::Refused(e) => {
                match e {
                    ApplyError::Shrink { .. } => s.shrink_refusals += 1,
                    ApplyError::Overflow { .. } => s.overflow_refusals += 1,
                }
                s.last_error = Some(e.to_string());
                s.record(now, took_ms, "refused", Some(e.to_string()));
                tracing::error!(
                    upstream, error = %e, duration_ms = took_ms, revision, full, upserts, deletes,
                    "pulled data refused; keeping the last good data"
                );
            }
            TickReport::Skipped => {}
        }
    }
}

/// What a pull brought, for the log line and the status.
struct PullSummary {
    upstream: String,
    failed_over: Vec<String>,
    full: bool,
    upserts: usize,
    deletes: usize,
}

/// Runs one tick now and answers when its pull has finished (tests drive the
/// scheduler with this instead of waiting for the timer).
#[derive(Message)]
#[rtype(result = "TickReport")]
pub struct TickNow;

impl Handler<TickNow> for Scheduler {
    type Result = ResponseActFuture<Self, TickReport>;

    fn handle(&mut self, _: TickNow, _: &mut Self::Context) -> Self::Result {
        match self.tick() {
            Some(pull) => Box::pin(pull),
            None => Box::pin(actix::fut::ready(TickReport::Skipped)),
        }
    }
}
