//! `EdgeState`: the edge's running record of its pulls, sans I/O. The
//! scheduler writes it once per pull (`record`) and per skipped tick; the
//! status page, `/api/status` and `/metrics` read it.

use std::collections::VecDeque;
use std::time::Duration;

use serde::Serialize;

pub use super::hour::PullOutcome;
use super::store::ApplyError;
use super::PullError;
use crate::domain::format_timestamp;
use crate::metrics::Histogram;

/// Pulls remembered for the status page chart.
pub const HISTORY: usize = 40;

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

/// What a pull brought, for the log line and the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullSummary {
    pub upstream: String,
    /// `url: reason` of each upstream that failed before this one answered.
    pub failed_over: Vec<String>,
    pub full: bool,
    pub upserts: usize,
    pub deletes: usize,
    /// The revision the upstream refused, when the pull started over from 0.
    pub restarted_from: Option<i64>,
}

/// One pull in the history.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PullRecord {
    pub at: String,
    #[serde(skip)]
    pub at_us: i64,
    pub duration_ms: u64,
    pub outcome: PullOutcome,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The scheduler's running record.
#[derive(Debug, Default)]
pub struct EdgeState {
    pub upstream_in_use: Option<String>,
    pub last_attempt_us: Option<i64>,
    pub next_pull_us: Option<i64>,
    /// Failed pulls since the last one that did not fail (refused pulls
    /// reached an upstream, so they reset it); drives the backoff.
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub skipped_ticks: u64,
    /// With `client.hold`: how the last pull went with respect to holding.
    pub held: Option<crate::edge::schedule::Held>,
    pub shrink_refusals: u64,
    pub overflow_refusals: u64,
    pub revision_refusals: u64,
    /// Parts whose data did not match the center's signed digest.
    pub digest_refusals: u64,
    /// After a digest mismatch: the next pull asks for everything (since
    /// 0), until one is applied.
    pub full_next: bool,
    /// Pulls started over from revision 0 because an upstream refused the
    /// edge's revision as invalid.
    pub restarts: u64,
    pub snapshot_writes: u64,
    pub snapshot_failures: u64,
    pub snapshot_error: Option<String>,
    pub history: VecDeque<PullRecord>,
    /// The last hour of pulls, a minute at a time.
    pub hour: crate::edge::hour::PullHour,
    /// Pulls since start that were applied or failed (refused ones are the
    /// refusals above), and the durations of all (for `/metrics`).
    pub pulls_ok: u64,
    pub pulls_failed: u64,
    pub pull_seconds: Histogram,
}

impl EdgeState {
    /// Pulls since start that ended with `outcome`.
    pub fn pulls(&self, outcome: PullOutcome) -> u64 {
        match outcome {
            PullOutcome::Ok => self.pulls_ok,
            PullOutcome::Failed => self.pulls_failed,
            PullOutcome::Refused => {
                self.shrink_refusals
                    + self.overflow_refusals
                    + self.revision_refusals
                    + self.digest_refusals
            }
        }
    }

    /// A pull starts at `now_us`.
    pub fn start(&mut self, now_us: i64) {
        self.last_attempt_us = Some(now_us);
    }

    /// A tick found a pull still running.
    pub fn skip(&mut self) {
        self.skipped_ticks += 1;
    }

    /// A pull ended at `now_us` after `took`, as `report` says; `pulled` is
    /// what it brought, if an upstream answered.
    pub fn record(
        &mut self,
        report: &TickReport,
        pulled: Option<&PullSummary>,
        took: Duration,
        now_us: i64,
    ) {
        let (outcome, error) = match report {
            TickReport::Skipped => return self.skip(),
            TickReport::Applied => {
                self.pulls_ok += 1;
                self.full_next = false;
                self.consecutive_failures = 0;
                (PullOutcome::Ok, None)
            }
            TickReport::Failed(e) => {
                self.pulls_failed += 1;
                self.consecutive_failures = self.consecutive_failures.saturating_add(1);
                (PullOutcome::Failed, Some(e.to_string()))
            }
            TickReport::Refused(e) => {
                match e {
                    ApplyError::Shrink { .. } => self.shrink_refusals += 1,
                    ApplyError::Overflow { .. } => self.overflow_refusals += 1,
                    ApplyError::Revision { .. } => self.revision_refusals += 1,
                    ApplyError::Digest { .. } => {
                        self.digest_refusals += 1;
                        self.full_next = true;
                    }
                }
                self.consecutive_failures = 0;
                (PullOutcome::Refused, Some(e.to_string()))
            }
        };
        self.pull_seconds.observe(took);
        if let Some(p) = pulled {
            self.upstream_in_use = Some(p.upstream.clone());
            self.restarts += u64::from(p.restarted_from.is_some());
        }
        self.last_error.clone_from(&error);
        self.hour.record(now_us, outcome, took.as_millis() as u64);
        if self.history.len() == HISTORY {
            self.history.pop_front();
        }
        self.history.push_back(PullRecord {
            at: format_timestamp(now_us),
            at_us: now_us,
            duration_ms: took.as_millis() as u64,
            outcome,
            error,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000_000_000;

    fn summary(upstream: &str) -> PullSummary {
        PullSummary {
            upstream: upstream.into(),
            failed_over: vec![],
            full: false,
            upserts: 1,
            deletes: 0,
            restarted_from: None,
        }
    }

    #[test]
    fn each_outcome_is_counted_once_with_its_error() {
        let mut s = EdgeState::default();
        let ms = Duration::from_millis(3);
        s.record(&TickReport::Applied, Some(&summary("a")), ms, T0);
        let down = TickReport::Failed(PullError::Timeout);
        s.record(&down, None, ms, T0 + 1);
        s.record(&down, None, ms, T0 + 2);
        assert_eq!(
            (s.pulls_ok, s.pulls_failed, s.consecutive_failures),
            (1, 2, 2)
        );
        assert_eq!(s.last_error.as_deref(), Some("timed out"));
        assert_eq!(
            s.upstream_in_use.as_deref(),
            Some("a"),
            "kept from the last answer"
        );

        let overflow = ApplyError::Overflow {
            namespace: "default".into(),
            needed: 10,
            capacity: 5,
        };
        s.record(
            &TickReport::Refused(overflow),
            Some(&summary("b")),
            ms,
            T0 + 3,
        );
        let shrink = ApplyError::Shrink {
            namespace: "default".into(),
            had: 10,
            kept: 1,
            max_shrink: 50,
        };
        s.record(
            &TickReport::Refused(shrink),
            Some(&summary("b")),
            ms,
            T0 + 4,
        );
        assert_eq!((s.overflow_refusals, s.shrink_refusals), (1, 1));
        assert_eq!(s.consecutive_failures, 0, "an upstream answered");
        assert!(s.last_error.as_deref().unwrap().contains("shrink guard"));
        assert_eq!(s.upstream_in_use.as_deref(), Some("b"));

        s.record(&TickReport::Skipped, None, ms, T0 + 5);
        assert_eq!(s.skipped_ticks, 1);
        s.record(&TickReport::Applied, Some(&summary("a")), ms, T0 + 6);
        assert_eq!(s.last_error, None);
        let outcomes: Vec<_> = s.history.iter().map(|p| (p.outcome, p.at_us)).collect();
        assert_eq!(
            outcomes,
            [
                (PullOutcome::Ok, T0),
                (PullOutcome::Failed, T0 + 1),
                (PullOutcome::Failed, T0 + 2),
                (PullOutcome::Refused, T0 + 3),
                (PullOutcome::Refused, T0 + 4),
                (PullOutcome::Ok, T0 + 6)
            ],
            "a skipped tick is no pull"
        );
        assert_eq!(s.pull_seconds.count(), 6);
        let counted: Vec<u64> = PullOutcome::ALL.iter().map(|o| s.pulls(*o)).collect();
        assert_eq!(counted, [2, 2, 2]);
        let labels: Vec<_> = PullOutcome::ALL.iter().map(|o| o.label()).collect();
        assert_eq!(labels, ["ok", "failed", "refused"]);
    }

    #[test]
    fn the_history_keeps_the_latest_pulls() {
        let mut s = EdgeState::default();
        for i in 0..HISTORY as i64 + 5 {
            s.record(&TickReport::Applied, None, Duration::ZERO, T0 + i);
        }
        assert_eq!(s.history.len(), HISTORY);
        assert_eq!(s.history.front().unwrap().at_us, T0 + 5);
        assert_eq!(s.history.back().unwrap().at_us, T0 + HISTORY as i64 + 4);
    }
}
