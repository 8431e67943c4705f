//! Slows password guessing: after `MAX_FAILURES` failed logins from one
//! address within `WINDOW`, that address is refused until the window ends.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub const MAX_FAILURES: u32 = 5;
pub const WINDOW: Duration = Duration::from_secs(60);

#[derive(Default)]
pub struct FailureLimiter {
    failures: Mutex<HashMap<IpAddr, (u32, Instant)>>,
}

impl FailureLimiter {
    /// Whether `addr` is currently locked out (as of `now`).
    pub fn blocked(&self, addr: IpAddr, now: Instant) -> bool {
        let map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        map.get(&addr)
            .is_some_and(|(n, since)| *n >= MAX_FAILURES && now.duration_since(*since) < WINDOW)
    }

    pub fn record_failure(&self, addr: IpAddr, now: Instant) {
        let mut map = self.failures.lock().unwrap_or_else(|p| p.into_inner());
        if map.len() > 100_000 {
            map.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
        }
        let entry = map.entry(addr).or_insert((0, now));
        if now.duration_since(entry.1) >= WINDOW {
            *entry = (0, now);
        }
        entry.0 += 1;
    }

    pub fn record_success(&self, addr: IpAddr) {
        self.failures
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&addr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locks_out_after_repeated_failures_then_forgives() {
        let limiter = FailureLimiter::default();
        let (addr, t0) = ("10.0.0.1".parse().unwrap(), Instant::now());
        for _ in 0..MAX_FAILURES - 1 {
            limiter.record_failure(addr, t0);
        }
        assert!(!limiter.blocked(addr, t0));
        limiter.record_failure(addr, t0);
        assert!(limiter.blocked(addr, t0));
        assert!(
            !limiter.blocked("10.0.0.2".parse().unwrap(), t0),
            "per address"
        );
        assert!(!limiter.blocked(addr, t0 + WINDOW), "the window ends");
    }
}
