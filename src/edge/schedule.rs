//! When to pull, sans I/O: ticks, overlap, exponential backoff with full jitter.

use std::time::Duration;

/// What a tick should do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tick {
    Pull,
    /// A pull is still running: this tick is skipped (and counted).
    Skip,
}

/// How a pull went with respect to holding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Held {
    /// Not a held pull (`client.hold` off, or an upstream that refused `wait`).
    NotAsked,
    /// The upstream held it: it brought a change, or came back after
    /// waiting. The next pull goes at once.
    Held,
    /// Asked, but it came back at once with nothing: the upstream does not
    /// hold (its `server.max_hold` is 0, or held pulls are at its limit).
    NotHeld,
}

/// Whether a pull brought anything (a full reply counts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Brought {
    Changes,
    Nothing,
}

impl Held {
    /// How a pull asked to hold up to `hold` went: what it `brought`,
    /// `took` how long it took. A reply with nothing faster than half the
    /// hold (and than a second) was not held.
    pub fn judge(hold: Duration, brought: Brought, took: Duration) -> Held {
        if brought == Brought::Changes || took >= (hold / 2).min(Duration::from_secs(1)) {
            Held::Held
        } else {
            Held::NotHeld
        }
    }

    /// As the page shows it.
    pub fn label(self) -> &'static str {
        match self {
            Held::Held => "held by the upstream",
            Held::NotHeld => "not held: the upstream answers at once; every interval",
            Held::NotAsked => "the upstream refused wait; every interval",
        }
    }
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
    /// not fail); returns the wait before the next one: none after a held
    /// pull the upstream held (`Held::Held`), the interval after others.
    pub fn on_done(&mut self, failures: u32, held: Held) -> Duration {
        self.in_flight = false;
        match (failures, held) {
            (0, Held::Held) => Duration::ZERO,
            (0, _) => self.interval,
            _ => self.backoff(failures),
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
        assert_eq!(s.on_done(0, Held::NotAsked), SIX);
        assert_eq!(s.on_tick(), Tick::Pull);
    }

    #[test]
    fn failures_back_off_exponentially_up_to_the_cap_then_reset() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 42);
        let mut ceilings = Vec::new();
        for failures in 1..=6 {
            s.on_tick();
            let wait = s.on_done(failures, Held::NotAsked);
            let ceiling = s.backoff_ceiling(failures);
            assert!(
                wait <= ceiling && wait >= Duration::from_millis(600),
                "{wait:?} vs {ceiling:?}"
            );
            ceilings.push(ceiling.as_secs());
        }
        assert_eq!(ceilings, [6, 12, 24, 48, 60, 60]);
        s.on_tick();
        assert_eq!(
            s.on_done(0, Held::NotAsked),
            SIX,
            "a success returns to the interval"
        );
        assert_eq!(s.backoff_ceiling(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn a_held_pull_is_followed_at_once_unless_it_failed_or_was_not_held() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 3);
        s.on_tick();
        assert_eq!(s.on_done(0, Held::Held), Duration::ZERO);
        s.on_tick();
        assert_eq!(s.on_done(0, Held::NotHeld), SIX, "the interval");
        s.on_tick();
        let after_failure = s.on_done(1, Held::Held);
        assert!(
            after_failure >= Duration::from_millis(600),
            "{after_failure:?}"
        );
    }

    #[test]
    fn a_pull_is_judged_held_by_its_change_or_its_time() {
        let hold = Duration::from_secs(30);
        let ms = Duration::from_millis;
        assert_eq!(Held::judge(hold, Brought::Changes, ms(3)), Held::Held);
        assert_eq!(Held::judge(hold, Brought::Nothing, ms(3)), Held::NotHeld);
        assert_eq!(Held::judge(hold, Brought::Nothing, ms(1000)), Held::Held);
        // A short hold: half of it is enough.
        assert_eq!(Held::judge(ms(400), Brought::Nothing, ms(200)), Held::Held);
        assert_eq!(
            Held::judge(ms(400), Brought::Nothing, ms(150)),
            Held::NotHeld
        );
    }

    #[test]
    fn jitter_spreads_retries() {
        let mut s = PullSchedule::new(SIX, Duration::from_secs(60), 7);
        let waits: std::collections::BTreeSet<u128> = (0..50)
            .map(|_| {
                s.on_tick();
                s.on_done(4, Held::NotAsked).as_millis()
            })
            .collect();
        assert!(waits.len() > 40, "waits should differ: {waits:?}");
        assert!(waits.iter().all(|&w| (600..=60_000).contains(&w)));
    }
}
