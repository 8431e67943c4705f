//! Which upstream to try first, sans I/O: the configured order, except that
//! an upstream that just failed goes to the back of the line for
//! `client.upstream_cooldown`, then is preferred again.
//!
//! So an edge whose first center dies keeps pulling from the next one
//! without paying the dead one's timeout on every pull, and returns to its
//! first center once the cooldown has passed and it answers again.
//!
//! An upstream that refused a held pull's `wait` (a center from before held
//! pulls) is asked without it for `NO_HOLD_FOR`, then asked again.
//!
//! Credentials written in an upstream URL were split out when the settings
//! were read (`UpstreamUrl`), so the URL shown, logged and counted has none.

use std::time::{Duration, Instant};

use crate::configuration::UpstreamUrl;

#[derive(Debug, Clone)]
pub struct Upstreams {
    list: Vec<UpstreamUrl>,
    benched_until: Vec<Option<Instant>>,
    failures: Vec<u64>,
    cooldown: Duration,
    /// When each upstream last refused `wait`.
    refused_wait: Vec<Option<Instant>>,
    /// When each last answered, and its last error with when (µs since
    /// the epoch), for the page.
    last_success_us: Vec<Option<i64>>,
    last_error: Vec<Option<(i64, String)>>,
}

/// One upstream as the page and `/api/status` show it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UpstreamHealth {
    pub url: String,
    pub last_success: Option<String>,
    pub last_error: Option<String>,
    pub last_error_at: Option<String>,
    /// Tried last for now, after failing (`client.upstream_cooldown`).
    pub cooling_down: bool,
    pub failures: u64,
}

/// How long an upstream that refused `wait` is pulled without it.
pub const NO_HOLD_FOR: Duration = Duration::from_secs(600);

impl Upstreams {
    pub fn new(list: Vec<UpstreamUrl>, cooldown: Duration) -> Self {
        let n = list.len();
        Upstreams {
            list,
            benched_until: vec![None; n],
            failures: vec![0; n],
            cooldown,
            refused_wait: vec![None; n],
            last_success_us: vec![None; n],
            last_error: vec![None; n],
        }
    }

    pub fn list(&self) -> &[UpstreamUrl] {
        &self.list
    }

    /// Indices to try at `now`: upstreams not cooling down in configured
    /// order, then the ones cooling down (soonest back first). Every
    /// upstream is in the list, so a pull fails only when all of them do.
    pub fn order(&self, now: Instant) -> Vec<usize> {
        let (mut ready, mut benched): (Vec<usize>, Vec<usize>) = (0..self.list.len())
            .partition(|&i| self.benched_until[i].is_none_or(|until| until <= now));
        benched.sort_by_key(|&i| self.benched_until[i]);
        ready.extend(benched);
        ready
    }

    /// Upstream `i` failed at `now` (`at_us` on the wall clock) with
    /// `why`: it cools down.
    pub fn failed(&mut self, i: usize, now: Instant, at_us: i64, why: String) {
        self.failures[i] += 1;
        self.benched_until[i] = Some(now + self.cooldown);
        self.last_error[i] = Some((at_us, why));
    }

    /// Upstream `i` answered at `at_us`: it is no longer cooling down.
    pub fn succeeded(&mut self, i: usize, at_us: i64) {
        self.benched_until[i] = None;
        self.last_success_us[i] = Some(at_us);
    }

    /// Each upstream's health at `now`, in configured order.
    pub fn health(&self, now: Instant) -> Vec<UpstreamHealth> {
        let time = crate::domain::format_timestamp;
        (0..self.list.len())
            .map(|i| UpstreamHealth {
                url: self.list[i].url.clone(),
                last_success: self.last_success_us[i].map(time),
                last_error: self.last_error[i].as_ref().map(|e| e.1.clone()),
                last_error_at: self.last_error[i].as_ref().map(|e| time(e.0)),
                cooling_down: self.benched_until[i].is_some_and(|until| until > now),
                failures: self.failures[i],
            })
            .collect()
    }

    /// Upstream `i` refused `wait` at `now`.
    pub fn refused_wait(&mut self, i: usize, now: Instant) {
        self.refused_wait[i] = Some(now);
    }

    /// Whether to ask upstream `i` to hold at `now`.
    pub fn may_hold(&self, i: usize, now: Instant) -> bool {
        self.refused_wait[i].is_none_or(|at| now.saturating_duration_since(at) >= NO_HOLD_FOR)
    }

    /// Failed requests per upstream since start, in configured order.
    pub fn failures(&self) -> impl Iterator<Item = (&str, u64)> {
        self.list
            .iter()
            .map(|u| u.url.as_str())
            .zip(self.failures.iter().copied())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn three() -> Upstreams {
        let list = ["a", "b", "c"].map(UpstreamUrl::parse).to_vec();
        Upstreams::new(list, Duration::from_secs(30))
    }

    #[test]
    fn configured_order_while_healthy() {
        assert_eq!(three().order(Instant::now()), vec![0, 1, 2]);
    }

    #[test]
    fn a_failed_upstream_waits_at_the_back_then_is_preferred_again() {
        let mut u = three();
        let t0 = Instant::now();
        u.failed(0, t0, 5, "timed out".into());
        assert_eq!(u.order(t0 + Duration::from_secs(1)), vec![1, 2, 0]);
        let health = u.health(t0 + Duration::from_secs(1));
        assert!(health[0].cooling_down && !health[1].cooling_down);
        assert_eq!(health[0].last_error.as_deref(), Some("timed out"));
        assert!(
            !u.health(t0 + Duration::from_secs(30))[0].cooling_down,
            "cooled down"
        );
        assert_eq!(u.order(t0 + Duration::from_secs(30)), vec![0, 1, 2]);
        u.failed(1, t0 + Duration::from_secs(2), 6, "refused".into());
        assert_eq!(
            u.order(t0 + Duration::from_secs(10)),
            vec![2, 0, 1],
            "soonest back first"
        );
        u.succeeded(0, 7);
        assert_eq!(u.order(t0 + Duration::from_secs(10)), vec![0, 2, 1]);
        assert!(u.health(t0)[0].last_success.is_some() && !u.health(t0)[0].cooling_down);
        let failures: Vec<_> = u.failures().collect();
        assert_eq!(failures, vec![("a", 1), ("b", 1), ("c", 0)]);
    }

    #[test]
    fn an_upstream_that_refused_wait_is_asked_again_later() {
        let mut u = three();
        let t0 = Instant::now();
        assert!(u.may_hold(1, t0));
        u.refused_wait(1, t0);
        assert!(!u.may_hold(1, t0 + NO_HOLD_FOR / 2));
        assert!(u.may_hold(0, t0 + NO_HOLD_FOR / 2));
        assert!(u.may_hold(1, t0 + NO_HOLD_FOR));
    }
}
