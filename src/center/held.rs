//! Held pulls: `records.changes(since, namespaces, wait)` that would change
//! nothing waits for a change instead of answering at once. A held request
//! is a future waiting on the read cache's revision channel: no thread, no
//! pooled connection, no query. A write through this center wakes it as
//! the write commits; a write through another center on the same database
//! is found by one revision check per `server.hold_poll_interval` while
//! anything is held (`poll_for_held`), once per center, not per request.
//! Woken requests take the reply from the read cache, filled by one of them
//! (single flight), so thousands woken at once cost one query. At shutdown
//! (`Holds::release_all`) every held request answers at once.

use std::pin::pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::Either;
use tokio::time::Instant;

use super::read_cache::ChangesReply;
use super::Center;
use crate::domain::{Namespace, Selection};
use crate::metrics::Exposition;
use crate::rpc::{CallError, Caller, RawJson};

/// Held requests now, how they ended, and the bounds.
#[derive(Debug)]
pub struct Holds {
    /// `server.max_hold`: the longest a request is held, whatever it asks.
    max_hold: Duration,
    /// `server.max_held`: past this many held at once, requests answer at
    /// once (as without `wait`).
    max_held: usize,
    held: AtomicUsize,
    by_change: AtomicU64,
    by_wait: AtomicU64,
    over_limit: AtomicU64,
    by_shutdown: AtomicU64,
    /// Set when the process stops: held requests answer at once, and new
    /// ones are not held, so a stop does not wait for `max_hold`.
    closing: tokio::sync::watch::Sender<bool>,
    drain: std::sync::Mutex<Drain>,
}

/// Held pulls that end free their connections' memory into glibc's heaps,
/// which keep it (measured: 240 MB stayed after 10,000 held pulls ended).
/// Once the held count has fallen to half its peak, and by at least
/// `RELEASE_AFTER`, and stayed there `RELEASE_DELAY` (the connections
/// close just after their replies), the free heap pages go back to the
/// system (`memory::release_freed_memory`). Time is passed in.
#[derive(Debug, Default)]
struct Drain {
    peak: usize,
    due: Option<std::time::Instant>,
}

/// Fewer ended held pulls are not worth a trim.
const RELEASE_AFTER: usize = 500;
const RELEASE_DELAY: Duration = Duration::from_secs(2);

impl Drain {
    /// Sees `held` at `now`; true when the memory should go back now.
    fn tick(&mut self, held: usize, now: std::time::Instant) -> bool {
        self.peak = self.peak.max(held);
        let drained = self.peak >= held + RELEASE_AFTER && held <= self.peak / 2;
        match (drained, self.due) {
            (false, _) => {
                self.due = None;
                false
            }
            (true, None) => {
                self.due = Some(now + RELEASE_DELAY);
                false
            }
            (true, Some(due)) if now >= due => {
                self.peak = held;
                self.due = None;
                true
            }
            (true, Some(_)) => false,
        }
    }
}

impl Holds {
    pub fn new(max_hold: Duration, max_held: usize) -> Holds {
        Holds {
            max_hold,
            max_held,
            held: AtomicUsize::new(0),
            by_change: AtomicU64::new(0),
            by_wait: AtomicU64::new(0),
            over_limit: AtomicU64::new(0),
            by_shutdown: AtomicU64::new(0),
            closing: tokio::sync::watch::Sender::new(false),
            drain: std::sync::Mutex::new(Drain::default()),
        }
    }

    /// Called by the hold poller every `server.hold_poll_interval`: true
    /// when the memory of ended held pulls should go back now (`Drain`).
    pub fn drained(&self, now: std::time::Instant) -> bool {
        let held = self.held();
        let mut drain = self.drain.lock().unwrap_or_else(|p| p.into_inner());
        drain.tick(held, now)
    }

    /// `server.max_hold`.
    pub fn max_hold(&self) -> Duration {
        self.max_hold
    }

    /// Answers every held request now and holds no more (shutdown).
    pub fn release_all(&self) {
        self.closing.send_replace(true);
    }

    /// Requests held now.
    pub fn held(&self) -> usize {
        self.held.load(Ordering::Relaxed)
    }

    /// A place among the held, if one is left.
    fn enter(self: &Arc<Self>) -> Option<HeldGuard> {
        if *self.closing.borrow() {
            return None;
        }
        let taken = self
            .held
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.max_held).then_some(n + 1)
            });
        match taken {
            Ok(_) => Some(HeldGuard(self.clone())),
            Err(_) => {
                self.over_limit.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    pub fn render(&self, out: &mut Exposition) {
        out.single(
            "syncdict_held_requests",
            "gauge",
            "records.changes requests held now, waiting for a change.",
            self.held(),
        );
        out.family(
            "syncdict_held_answers_total",
            "counter",
            "Held records.changes answered: by a change, by the wait passing, at once because server.max_held were held, or at shutdown.",
        );
        let ended = [
            ("change", &self.by_change),
            ("wait", &self.by_wait),
            ("limit", &self.over_limit),
            ("shutdown", &self.by_shutdown),
        ];
        for (label, n) in ended {
            out.sample(
                "syncdict_held_answers_total",
                &format!(r#"by="{label}""#),
                n.load(Ordering::Relaxed),
            );
        }
    }
}

/// One held request; leaving (answered, or the client gone) gives the place back.
struct HeldGuard(Arc<Holds>);

impl Drop for HeldGuard {
    fn drop(&mut self) {
        self.0.held.fetch_sub(1, Ordering::AcqRel);
    }
}

/// What `records.changes` found at its first look: the reply now, or a
/// place among the held to wait in. Returned once per pull and never
/// stored, so its size costs nothing; boxing `Held` would cost each held
/// pull an allocation.
#[allow(clippy::large_enum_variant)]
pub(crate) enum Look {
    Now(ChangesReply, Option<Vec<Namespace>>),
    Held(Held),
}

/// A held `records.changes`: all it waits with, owned, so the request's
/// own state is freed while it waits (`rpc::Later`). Small on purpose: a
/// center holds up to `server.max_held` of these.
pub(crate) struct Held {
    center: Center,
    caller: Caller,
    since: i64,
    asked: Option<Selection>,
    /// The namespaces `asked` stood for at the first look.
    namespaces: Option<Vec<Namespace>>,
    deadline: Instant,
    newer: tokio::sync::watch::Receiver<i64>,
    closing: tokio::sync::watch::Receiver<bool>,
    _place: HeldGuard,
}

impl Center {
    /// `records.changes`' first look: the reply now, or, when it would
    /// change nothing in the namespaces `asked` stands for (nor which those
    /// are, for `["*"]`) and `wait` is not zero, a place among the held
    /// (up to `wait`, at most `server.max_hold`). A `since` of 0 and a full
    /// reply are never held; past `server.max_held`, it answers now.
    pub(crate) async fn first_look(
        &self,
        since: i64,
        asked: &Option<Selection>,
        caller: &Caller,
        wait: Duration,
    ) -> Result<Look, CallError> {
        let holds = &self.holds;
        let deadline = Instant::now() + wait.min(holds.max_hold);
        // Subscribed before the first look, so a change between the look
        // and the wait still wakes it.
        let newer = self.cache.subscribe();
        let namespaces = self.resolve(asked, caller).await?;
        let reply = self.changes(since, namespaces.clone()).await?;
        let reply = self.viewed(reply, namespaces.as_deref(), caller).await?;
        // A full reply (`since` 0 among them) carries everything: never held.
        if reply.changed || wait.is_zero() {
            return Ok(Look::Now(reply, namespaces));
        }
        let closing = holds.closing.subscribe();
        let Some(place) = holds.enter() else {
            return Ok(Look::Now(reply, namespaces));
        };
        Ok(Look::Held(Held {
            center: self.clone(),
            caller: caller.clone(),
            since,
            asked: asked.clone(),
            namespaces,
            deadline,
            newer,
            closing,
            _place: place,
        }))
    }
}

impl Held {
    /// Waits for a change in its namespaces (or in which those are), the
    /// deadline or shutdown, and answers the reply then. `hold` is what
    /// the fleet view notes of the pull.
    pub(crate) async fn answer(mut self, hold: Duration) -> Result<RawJson, CallError> {
        let holds = self.center.holds.clone();
        loop {
            // `changed` marks what it saw; a rise since the subscription
            // (even before the first look) answers it at once.
            let change = tokio::time::timeout_at(self.deadline, self.newer.changed());
            let stop = self.closing.wait_for(|closing| *closing);
            let ended = match futures_util::future::select(pin!(change), pin!(stop)).await {
                Either::Left((Ok(Ok(())), _)) => None,
                // The wait passed (or the cache is gone): nothing changed.
                Either::Left(_) => Some(&holds.by_wait),
                Either::Right(_) => Some(&holds.by_shutdown),
            };
            // The look is boxed: only what waits stays while it waits.
            let (reply, now) = Box::pin(self.look()).await?;
            let changed = reply.changed || now != self.namespaces;
            if ended.is_some() || changed {
                ended
                    .unwrap_or(&holds.by_change)
                    .fetch_add(1, Ordering::Relaxed);
                let pulled = now.as_deref();
                return Ok(self
                    .center
                    .pulled(&self.caller, reply, pulled, self.since, hold));
            }
            // A change in other namespaces: the wait goes on.
        }
    }

    async fn look(&self) -> Result<(ChangesReply, Option<Vec<Namespace>>), CallError> {
        let now = self.center.resolve(&self.asked, &self.caller).await?;
        let reply = self.center.changes(self.since, now.clone()).await?;
        let reply = self
            .center
            .viewed(reply, now.as_deref(), &self.caller)
            .await?;
        Ok((reply, now))
    }
}

impl Center {
    /// Re-reads the revision if anything is held, so held requests learn
    /// of writes made through other centers, and the gray releases once
    /// they are stale (a change wakes the held pulls: `read_releases`);
    /// answers whether it read. The center's poller calls it every
    /// `server.hold_poll_interval`.
    pub async fn poll_for_held(&self) -> Result<bool, CallError> {
        if self.holds.held() == 0 {
            return Ok(false);
        }
        self.gray_releases().await;
        self.recheck().await.map(|_| true)
    }

    /// The held requests, shared (to release them at shutdown).
    pub fn holds_handle(&self) -> std::sync::Arc<Holds> {
        self.holds.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The memory goes back once most held pulls ended and stayed ended a
    /// moment, once per drain; small dips and busy plateaus cost nothing.
    #[test]
    fn memory_goes_back_after_held_pulls_end() {
        let t0 = std::time::Instant::now();
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        let mut d = Drain::default();
        for (i, held) in [0, 4000, 10_000, 10_000, 9_800].into_iter().enumerate() {
            assert!(!d.tick(held, at(i as u64 * 250)), "rising or a small dip");
        }
        assert!(!d.tick(100, at(2000)), "ended: not yet, connections close");
        assert!(!d.tick(50, at(3000)));
        assert!(d.tick(0, at(4000)), "2 s after the drain");
        assert!(!d.tick(0, at(5000)), "once");
        assert!(!d.tick(400, at(6000)));
        assert!(!d.tick(0, at(9000)), "fewer than RELEASE_AFTER since");
        // Back up, then half ends: released; a rise in between cancels.
        d.tick(3000, at(10_000));
        assert!(!d.tick(1000, at(10_250)));
        assert!(!d.tick(2900, at(12_500)), "back up: cancelled");
        assert!(!d.tick(1000, at(12_750)));
        assert!(d.tick(1000, at(14_750)));
    }
}
