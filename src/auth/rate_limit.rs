//! Slows password guessing. Every login attempt is counted before its
//! password is checked (so concurrent guesses cannot all run), per address
//! and per user name: after `MAX_PER_ADDRESS` failures from one address, or
//! `MAX_PER_USER` failures for one user name from anywhere, within
//! `WINDOW`, further attempts are refused until the window ends. A success
//! clears only that user's failures from that address. The map is bounded:
//! `MAX_ENTRIES` (address, user) pairs, the oldest dropped first.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures from one address (any user) that lock it out.
pub const MAX_PER_ADDRESS: u32 = 5;
/// Failures for one user name (any address) that lock it out.
pub const MAX_PER_USER: u32 = 10;
pub const WINDOW: Duration = Duration::from_secs(60);
/// (address, user) pairs remembered at most: ~100 bytes each, so ~1 MB.
pub const MAX_ENTRIES: usize = 10_000;
/// Longest user name kept as a key (longer ones are cut).
const MAX_NAME: usize = 64;

/// Password checks in flight from one address at once: above what a
/// client sending concurrent requests needs, and what bounds a burst of
/// guesses sent before any has failed.
pub const MAX_IN_FLIGHT: u32 = 8;

/// Attempts that are refused without a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locked {
    Address,
    User,
    Busy,
}

#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    in_flight: u32,
    since: Instant,
}

#[derive(Default)]
pub struct FailureLimiter {
    pairs: Mutex<HashMap<(IpAddr, String), Failures>>,
}

/// One admitted attempt: its check is in flight until it is settled
/// (`succeeded`, `failed`) or dropped (the check could not be made, or the
/// client went away), which then counts against no one.
pub struct Attempt<'a> {
    limiter: &'a FailureLimiter,
    key: Option<(IpAddr, String)>,
}

impl Attempt<'_> {
    /// The password was right: that user's failures from that address go.
    pub fn succeeded(mut self) {
        if let Some(key) = self.key.take() {
            self.limiter.settle(key, Settled::Success);
        }
    }

    /// The password was wrong: one more failure.
    pub fn failed(mut self) {
        if let Some(key) = self.key.take() {
            self.limiter.settle(key, Settled::Failure);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Some(key) = self.key.take() {
            self.limiter.settle(key, Settled::Unjudged);
        }
    }
}

enum Settled {
    Success,
    Failure,
    Unjudged,
}

impl FailureLimiter {
    /// Admits an attempt by `user` from `addr` at `now` before its password
    /// is checked, or refuses it: while the address or the user name has
    /// too many recent failures, or the address has `MAX_IN_FLIGHT` checks
    /// running.
    pub fn attempt(&self, addr: IpAddr, user: &str, now: Instant) -> Result<Attempt<'_>, Locked> {
        let user: String = user.chars().take(MAX_NAME).collect();
        let mut pairs = self.lock();
        let live = |f: &Failures| f.in_flight > 0 || now.duration_since(f.since) < WINDOW;
        if pairs.len() >= MAX_ENTRIES {
            pairs.retain(|_, f| live(f));
        }
        let key = (addr, user);
        if pairs.len() >= MAX_ENTRIES && !pairs.contains_key(&key) {
            let oldest = pairs
                .iter()
                .min_by_key(|(_, f)| f.since)
                .map(|(k, _)| k.clone());
            if let Some(oldest) = oldest {
                pairs.remove(&oldest);
            }
        }
        let (mut by_address, mut by_user, mut in_flight) = (0u32, 0u32, 0u32);
        for ((a, u), f) in pairs.iter() {
            let failures = if now.duration_since(f.since) < WINDOW {
                f.count
            } else {
                0
            };
            if *a == addr {
                by_address += failures;
                in_flight += f.in_flight;
            }
            by_user += if *u == key.1 { failures } else { 0 };
        }
        if by_address >= MAX_PER_ADDRESS {
            return Err(Locked::Address);
        }
        if by_user >= MAX_PER_USER {
            return Err(Locked::User);
        }
        if in_flight >= MAX_IN_FLIGHT {
            return Err(Locked::Busy);
        }
        let entry = pairs.entry(key.clone()).or_insert(Failures {
            count: 0,
            in_flight: 0,
            since: now,
        });
        if now.duration_since(entry.since) >= WINDOW {
            entry.count = 0;
            entry.since = now;
        }
        entry.in_flight += 1;
        Ok(Attempt {
            limiter: self,
            key: Some(key),
        })
    }

    fn settle(&self, key: (IpAddr, String), how: Settled) {
        let mut pairs = self.lock();
        let Some(f) = pairs.get_mut(&key) else {
            return;
        };
        f.in_flight = f.in_flight.saturating_sub(1);
        match how {
            Settled::Success => f.count = 0,
            Settled::Failure => f.count += 1,
            Settled::Unjudged => {}
        }
        if f.count == 0 && f.in_flight == 0 {
            pairs.remove(&key);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(IpAddr, String), Failures>> {
        self.pairs.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Pairs remembered now (for tests of the bound).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    fn fail(limiter: &FailureLimiter, addr: IpAddr, user: &str, at: Instant) {
        limiter.attempt(addr, user, at).unwrap().failed();
    }

    #[test]
    fn an_address_is_locked_after_its_failures_and_forgiven_after_the_window() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_PER_ADDRESS {
            fail(&limiter, ip(1), "alice", t0);
        }
        assert_eq!(
            limiter.attempt(ip(1), "bob", t0).err(),
            Some(Locked::Address),
            "any user"
        );
        assert!(limiter.attempt(ip(2), "bob", t0).is_ok(), "per address");
        assert!(
            limiter.attempt(ip(1), "bob", t0 + WINDOW).is_ok(),
            "the window ends"
        );
    }

    /// A burst of guesses sent before any has failed runs at most
    /// `MAX_IN_FLIGHT` checks; honest concurrent logins up to that pass.
    #[test]
    fn checks_in_flight_are_bounded_per_address() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        let admitted: Vec<_> = (0..20)
            .filter_map(|_| limiter.attempt(ip(1), "alice", t0).ok())
            .collect();
        assert_eq!(admitted.len(), MAX_IN_FLIGHT as usize);
        assert_eq!(limiter.attempt(ip(1), "bob", t0).err(), Some(Locked::Busy));
        for attempt in admitted {
            attempt.failed();
        }
        assert_eq!(
            limiter.attempt(ip(1), "alice", t0).err(),
            Some(Locked::Address)
        );
        let fresh = FailureLimiter::default();
        let honest: Vec<_> = (0..MAX_IN_FLIGHT)
            .map(|_| fresh.attempt(ip(1), "alice", t0).unwrap())
            .collect();
        honest.into_iter().for_each(Attempt::succeeded);
        assert!(fresh.is_empty(), "successes leave nothing behind");
    }

    #[test]
    fn an_unjudged_attempt_counts_against_no_one() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        for _ in 0..20 {
            drop(limiter.attempt(ip(1), "alice", t0).unwrap());
        }
        assert!(limiter.is_empty());
    }

    #[test]
    fn a_user_is_locked_after_failures_from_many_addresses() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_PER_USER as u8 {
            fail(&limiter, ip(i), "alice", t0);
        }
        assert_eq!(
            limiter.attempt(ip(200), "alice", t0).err(),
            Some(Locked::User)
        );
        assert!(limiter.attempt(ip(200), "bob", t0).is_ok());
    }

    /// A read-only account's success does not clear another user's failures.
    #[test]
    fn a_success_clears_only_that_users_failures_from_that_address() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        for _ in 0..MAX_PER_ADDRESS - 1 {
            fail(&limiter, ip(1), "admin", t0);
        }
        limiter.attempt(ip(1), "reader", t0).unwrap().succeeded();
        fail(&limiter, ip(1), "admin", t0);
        assert_eq!(
            limiter.attempt(ip(1), "admin", t0).err(),
            Some(Locked::Address),
            "the reader's login did not wipe the guesses at admin"
        );
    }

    #[test]
    fn the_map_is_bounded() {
        let limiter = FailureLimiter::default();
        let t0 = Instant::now();
        for i in 0..MAX_ENTRIES + 500 {
            let addr = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            if let Ok(attempt) = limiter.attempt(addr, "x", t0 + Duration::from_micros(i as u64)) {
                attempt.failed();
            }
        }
        assert!(limiter.len() <= MAX_ENTRIES, "{}", limiter.len());
    }
}
