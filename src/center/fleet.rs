//! The center's side of the fleet view: each successful pull noted in
//! memory (`note_pull`), the batch written every
//! `server.fleet_flush_interval` (`flush_fleet`, time passed in), and the
//! judged fleet of every center on this database (`judge_fleet`,
//! `fleet.list`).

use std::sync::Arc;
use std::time::Duration;

use super::fleet_view::{self as fleet, Fleet, FleetFacts, Judged, Totals};
use super::{db_failure, Center, ChangesReply};
use crate::db::executor::{FirstChanges, FlushFleet, LoadFleet};
use crate::domain::Namespace;
use crate::rpc::replay::PullNote;
use crate::rpc::{CallError, Caller, RawJson};

/// A pull as the fleet view notes it: the namespaces, the `since` it asked
/// from, the revision served and how long it was held.
type Pulled<'a> = (&'a [Namespace], Option<i64>, i64, Duration);

impl Center {
    /// The fleet view, when `server.fleet_window` is not `0s`.
    pub fn fleet(&self) -> Option<&Arc<Fleet>> {
        self.fleet.as_ref()
    }

    /// A `records.changes` reply to `caller`, its pull noted in the fleet
    /// view (`pulled`: the namespaces it covered, `None` for `default`).
    pub(crate) fn pulled(
        &self,
        caller: &Caller,
        reply: ChangesReply,
        pulled: Option<&[Namespace]>,
        since: i64,
        hold: Duration,
    ) -> RawJson {
        let default = std::slice::from_ref(Namespace::default_ref());
        let pulled = pulled.unwrap_or(default);
        self.note_pull(caller, pulled, Some(since), reply.revision, hold);
        reply.json
    }

    /// Notes a successful pull of `namespaces` that brought its caller to
    /// `served` (asked from `since`, for `records.changes`).
    pub(crate) fn note_pull(
        &self,
        caller: &Caller,
        namespaces: &[Namespace],
        since: Option<i64>,
        served: i64,
        hold: std::time::Duration,
    ) {
        if self.record_pull(caller, (namespaces, since, served, hold)) {
            // Kept for a replay of this reply (`rpc::replay`) to note too.
            let _ = caller.noted.set(PullNote {
                namespaces: namespaces.to_vec(),
                since,
                served,
                hold,
            });
        }
    }

    /// A pull noted again, as a replayed reply's (`rpc::replay`).
    pub(crate) fn note_again(&self, caller: &Caller, note: &PullNote) {
        let pulled = (&note.namespaces[..], note.since, note.served, note.hold);
        self.record_pull(caller, pulled);
    }

    /// Records a pull in the fleet view; answers whether it was (the view
    /// is on and the caller said who it is).
    fn record_pull(&self, caller: &Caller, (namespaces, since, served, hold): Pulled) -> bool {
        let (Some(fleet), Some(hello)) = (&self.fleet, &caller.hello) else {
            return false;
        };
        fleet.record(fleet::Pull {
            hello,
            address: caller.address,
            namespaces,
            since,
            served,
            hold_us: hold.as_micros() as i64,
            at_us: crate::domain::now_us(),
        });
        true
    }

    /// Writes the edges seen since the last flush (one batch), forgets
    /// those past the window, and judges the fleet for `/metrics`; answers
    /// the rows written. If the write fails, every edge is written by
    /// the next flush.
    pub async fn flush_fleet(&self, now_us: i64) -> Result<usize, CallError> {
        let Some(fleet) = &self.fleet else {
            return Ok(0);
        };
        let options = *fleet.options();
        let started = std::time::Instant::now();
        let rows = fleet.take_dirty(now_us);
        let flush = FlushFleet {
            rows,
            oldest_us: now_us - options.window.as_micros() as i64,
            max: options.max_edges,
        };
        let written = match self.ask(flush).await.and_then(|r| r.map_err(db_failure)) {
            Ok(n) => n,
            Err(e) => {
                fleet.flush_failed();
                return Err(e);
            }
        };
        let wrote = started.elapsed();
        let (_, totals) = self.judge_fleet(now_us).await?;
        fleet.set_totals(&totals);
        tracing::debug!(
            rows = written,
            write_ms = wrote.as_millis() as u64,
            judge_ms = (started.elapsed() - wrote).as_millis() as u64,
            "fleet view written and judged"
        );
        Ok(written)
    }

    /// Every edge the centers on this database saw within the window
    /// (what they wrote, and this center's newer sightings), judged at
    /// `now_us`.
    pub async fn judge_fleet(&self, now_us: i64) -> Result<(Vec<Judged>, Totals), CallError> {
        let Some(fleet) = &self.fleet else {
            return Err(CallError::Invalid(
                "the fleet view is off on this center (server.fleet_window = \"0s\")".into(),
            ));
        };
        let options = *fleet.options();
        let load = LoadFleet {
            max: options.max_edges,
        };
        let (stored, newest) = self.ask(load).await?.map_err(db_failure)?;
        let oldest = now_us - options.window.as_micros() as i64;
        let mut edges = fleet::merge(stored, fleet.snapshot());
        edges.retain(|e| e.last_pull_us >= oldest);
        let wanted = fleet::lookups(&edges, &newest);
        let first_missed = if wanted.is_empty() {
            Default::default()
        } else {
            self.ask(FirstChanges(wanted)).await?.map_err(db_failure)?
        };
        let facts = FleetFacts {
            newest,
            first_missed,
        };
        Ok(fleet::judge(edges, &facts, &options, now_us))
    }
}

/// Flushes the fleet view every `every` (`server.fleet_flush_interval`);
/// nothing to do while it is off.
pub(super) fn spawn_flush(
    center: Center,
    every: std::time::Duration,
) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        if center.fleet.is_none() {
            return;
        }
        let mut ticker = actix_web::rt::time::interval(every);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticker.tick().await;
            if let Err(e) = center.flush_fleet(crate::domain::now_us()).await {
                tracing::debug!(error = %e, "fleet view not written");
            }
        }
    })
}
