//! When to pull, sans I/O: ticks, overlap, exponential backoff with full jitter.

use std::time::Duration;

/// What a tick should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    Pull,
    /// A pull is still running: this tick is skipped (and counted).
    Skip,
}

/// When to pull: one pull at a time, and how long to wait after one. The
/// failure count it backs off by is `EdgeState::consecutive_failures`,
/// passed in, so it is kept in one place. Time enters only as durations
/// returned to the caller, so tests drive it tick by tick.
#[derive(Debug)]
pub struct PullSchedule {
    interval: Duration,
    max_backoff: Duration,
    in_flight: bool,
    rng: u64,
}

impl PullSchedule {
    pub fn new(interval: Duration, max_backoff: Duration, seed: u64) -> Self {
        PullSchedule {
            interval,
            max_backoff,
            in_flight: false,
            // xorshift must not start from 0.
            rng: seed | 1,
        }
    }

    pub fn on_tick(&mut self) -> Tick {
        if self.in_flight {
            Tick::Skip
        } else {
            self.in_flight = true;
            Tick::Pull
        }
    }

    /// A pull ended, `failures` in a row having failed now (0: it did
    /// not fail); returns the wait before the next one.
    pub fn on_done(&mut self, failures: u32) -> Duration {
        self.in_flight = false;
        if failures == 0 {
            self.interval
        } else {
            self.backoff(failures)
        }
    }

    /// The ceiling after n failures is interval * 2^(n-1), capped at
    /// `max_backoff`; the wait is uniform in [interval/10, ceiling] ("full
    /// jitter", with a floor so a dead upstream is not hammered).
    fn backoff_ceiling(&self, failures: u32) -> Duration {
        // 2^20 intervals is past any sensible max_backoff; the cap avoids overflow.
        let doublings = failures.saturating_sub(1).min(20);
        self.interval
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }

    fn backoff(&mut self, failures: u32) -> Duration {
        let ceiling = self.backoff_ceiling(failures);
        let floor = (self.interval / 10).min(ceiling);
        let span = (ceiling - floor).as_micros() as u64;
        floor
            + Duration::from_micros(if span == 0 {
                0
            } else {
                self.next_random() % (span + 1)
            })
    }

    /// xorshift64: enough for jitter, and reproducible from the seed in tests.
    fn next_random(&mut self) -> u64 {
        let mut x = self.rng;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.rng = x;
        x
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIX: Duration = Duration::from_secs(6);

    #[test]
    fn a_tick_during_a_pull_is_skipped() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 1);
        assert_eq!(s.on_tick(), Tick::Pull);
        assert_eq!(s.on_tick(), Tick::Skip);
        assert_eq!(s.on_tick(), Tick::Skip);
        assert_eq!(s.on_done(0), SIX);
        assert_eq!(s.on_tick(), Tick::Pull);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap_then_reset() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 42);
        let mut ceilings = Vec::new();
        for failures in 1..=6 {
            s.on_tick();
            let wait = s.on_done(failures);
            let ceiling = s.backoff_ceiling(failures);
            assert!(
                wait <= ceiling && wait >= Duration::from_millis(600),
                "{wait:?} vs {ceiling:?}"
            );
            ceilings.push(ceiling.as_secs());
        }
        assert_eq!(ceilings, [6, 12, 24, 48, 60, 60]);
        s.on_tick();
        assert_eq!(s.on_done(0), SIX, "a success returns to the interval");
        assert_eq!(s.backoff_ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn jitter_spreads_retries() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 7);
        let waits: std::collections::BTreeSet<u128> = (0..50)
            .map(|_| {
                s.on_tick();
                s.on_done(4).as_millis()
            })
            .collect();
        assert!(waits.len() > 40, "waits should differ: {waits:?}");
        assert!(waits.iter().all(|&w| (600..=60_000).contains(&w)));
    }
}
