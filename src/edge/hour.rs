//! The last hour of pulls, a minute at a time (sans I/O; time passed in):
//! 60 buckets of counts by outcome and durations, whatever the pull rate
//! (a held-pull edge pulls far more often than every 6 s), for the page's
//! chart and `/api/status`.

use std::collections::VecDeque;

use serde::Serialize;

const MINUTE_US: i64 = 60_000_000;
/// How a pull ended, as the history, the page and `/metrics` label it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PullOutcome {
    /// Applied, or nothing had changed.
    Ok,
    /// No upstream answered.
    Failed,
    /// An upstream answered, but the data was not applied.
    Refused,
}

impl PullOutcome {
    pub const ALL: [PullOutcome; 3] = [PullOutcome::Ok, PullOutcome::Failed, PullOutcome::Refused];

    pub fn label(self) -> &'static str {
        match self {
            PullOutcome::Ok => "ok",
            PullOutcome::Failed => "failed",
            PullOutcome::Refused => "refused",
        }
    }
}

/// Minutes kept.
pub const MINUTES: usize = 60;

/// One minute of pulls.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Minute {
    /// Minutes since the epoch.
    pub minute: i64,
    pub ok: u32,
    pub failed: u32,
    pub refused: u32,
    /// The slowest pull's duration, and all of them added (ms).
    pub max_ms: u64,
    pub total_ms: u64,
}

impl Minute {
    pub fn pulls(&self) -> u32 {
        self.ok + self.failed + self.refused
    }
}

/// The buckets, oldest first; minutes without a pull are not stored.
#[derive(Debug, Default)]
pub struct PullHour {
    minutes: VecDeque<Minute>,
}

impl PullHour {
    /// A pull that ended at `now_us` with `outcome` after `ms`.
    pub fn record(&mut self, now_us: i64, outcome: PullOutcome, ms: u64) {
        let minute = now_us.div_euclid(MINUTE_US);
        if self.minutes.back().is_none_or(|m| m.minute != minute) {
            self.minutes.push_back(Minute {
                minute,
                ..Minute::default()
            });
        }
        while self
            .minutes
            .front()
            .is_some_and(|m| minute - m.minute >= MINUTES as i64)
        {
            self.minutes.pop_front();
        }
        let m = self.minutes.back_mut().expect("pushed above");
        match outcome {
            PullOutcome::Ok => m.ok += 1,
            PullOutcome::Failed => m.failed += 1,
            PullOutcome::Refused => m.refused += 1,
        }
        m.max_ms = m.max_ms.max(ms);
        m.total_ms += ms;
    }

    /// The 60 minutes up to `now_us`, oldest first (empty ones included).
    pub fn last_hour(&self, now_us: i64) -> Vec<Minute> {
        let now = now_us.div_euclid(MINUTE_US);
        (now - MINUTES as i64 + 1..=now)
            .map(|minute| {
                self.minutes
                    .iter()
                    .find(|m| m.minute == minute)
                    .copied()
                    .unwrap_or(Minute {
                        minute,
                        ..Minute::default()
                    })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: i64 = 1_700_000_000 * 1_000_000;

    #[test]
    fn pulls_fall_into_their_minute_and_an_hour_is_kept() {
        let mut hour = PullHour::default();
        hour.record(T0, PullOutcome::Ok, 10);
        hour.record(T0 + 1_000_000, PullOutcome::Failed, 700);
        hour.record(T0 + 61_000_000, PullOutcome::Refused, 5);
        let shown = hour.last_hour(T0 + 61_000_000);
        assert_eq!(shown.len(), MINUTES);
        let [.., before, last] = shown.as_slice() else {
            panic!()
        };
        assert_eq!(
            (before.ok, before.failed, before.max_ms, before.total_ms),
            (1, 1, 700, 710)
        );
        assert_eq!((last.refused, last.pulls()), (1, 1));
        // An hour later, the first minute has gone; empty minutes count 0.
        let later = T0 + 60 * MINUTE_US;
        hour.record(later, PullOutcome::Ok, 1);
        let shown = hour.last_hour(later);
        assert_eq!(
            shown.iter().map(Minute::pulls).sum::<u32>(),
            2,
            "the refused one and this one"
        );
        assert!(hour.minutes.len() <= MINUTES);
    }
}
