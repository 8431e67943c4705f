//! Slows password guessing without letting anyone lock a user out (the
//! design and its figures are in ARCHITECTURE.md, "Logins").
//!
//! Every attempt is judged before its password is checked, from three
//! sliding-window counts of failures (`Windowed`, O(1) each): per (address,
//! user), per address, per user. An address is an IPv4 address or an IPv6
//! /64. Past a count's limit its key is *slowed*, never locked: one check
//! per `login.trickle` still runs, so the right password gets in after a
//! short wait while a guesser gets a few guesses a minute.
//!
//! - (address, user) past `pair_failures`: that pair is slowed.
//! - address past `address_failures`: the address is slowed, except for
//!   users known there (who signed in from it within `known_for`).
//! - user past `user_failures` (under attack from many addresses): an
//!   address that has not failed for that user lately gets its check at
//!   once, so the owner signing in from a new place is not refused; the
//!   addresses that have failed share one trickle for that user.
//!
//! Also at most `max_in_flight` checks run per address at once, so a burst
//! sent before any has failed cannot run in full.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::window::Windowed;
use crate::configuration::LoginSettings;

/// Longest user name kept as a key (longer ones are cut).
const MAX_NAME: usize = 64;
/// Known (address, user) pairs remembered at most (about 100 bytes each).
const MAX_KNOWN: u64 = 100_000;

/// An attempt refused without a password check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    /// Slowed: the next check may run after this long.
    Slowed(Duration),
    /// `max_in_flight` checks from this address are running.
    Busy,
}

/// The address a limit counts: IPv4 as is, IPv6 by its /64 (one host
/// usually holds a whole /64, so its addresses are one source).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Source(IpAddr);

impl Source {
    pub fn of(addr: IpAddr) -> Source {
        match addr {
            IpAddr::V4(_) => Source(addr),
            IpAddr::V6(v6) => {
                let bits = u128::from(v6) & !((1u128 << 64) - 1);
                Source(IpAddr::from(bits.to_be_bytes()))
            }
        }
    }
}

type Pair = (Source, String);

struct Counts {
    pairs: Windowed<Pair>,
    addresses: Windowed<Source>,
    users: Windowed<String>,
    in_flight: HashMap<Source, u32>,
}

pub struct FailureLimiter {
    settings: LoginSettings,
    counts: Mutex<Counts>,
    /// (address, user) → when that user last signed in from there.
    known: moka::sync::Cache<Pair, Instant>,
}

/// One admitted attempt: its check is in flight until it is settled
/// (`succeeded`, `failed`) or dropped (the check could not be made, or the
/// client went away), which then counts against no one.
pub struct Attempt<'a> {
    limiter: &'a FailureLimiter,
    pair: Option<Pair>,
    /// When it was admitted: its outcome counts as of then.
    at: Instant,
}

impl Attempt<'_> {
    /// The password was right: that pair's failures go, and the address
    /// is known for the user.
    pub fn succeeded(mut self) {
        if let Some(pair) = self.pair.take() {
            self.limiter.settle(pair, self.at, Settled::Success);
        }
    }

    /// The password was wrong: one more failure on each count.
    pub fn failed(mut self) {
        if let Some(pair) = self.pair.take() {
            self.limiter.settle(pair, self.at, Settled::Failure);
        }
    }
}

impl Drop for Attempt<'_> {
    fn drop(&mut self) {
        if let Some(pair) = self.pair.take() {
            self.limiter.settle(pair, self.at, Settled::Unjudged);
        }
    }
}

/// How an admitted attempt ended.
enum Settled {
    Success,
    Failure,
    /// The check could not be made, or the client went away.
    Unjudged,
}

/// Which counts must grant a trickle slot for one attempt.
struct Slots {
    pair: bool,
    address: bool,
    user: bool,
}

impl FailureLimiter {
    pub fn new(settings: &LoginSettings, now: Instant) -> FailureLimiter {
        let window = settings.window.get();
        let max = settings.max_entries;
        FailureLimiter {
            settings: settings.clone(),
            counts: Mutex::new(Counts {
                pairs: Windowed::new(window, max, now),
                addresses: Windowed::new(window, max, now),
                users: Windowed::new(window, max, now),
                in_flight: HashMap::new(),
            }),
            known: moka::sync::Cache::builder()
                .max_capacity(MAX_KNOWN)
                .time_to_live(settings.known_for.get())
                .build(),
        }
    }

    /// Admits an attempt by `user` from `addr` at `now` before its password
    /// is checked, or refuses it with the wait until it would be admitted.
    /// `user` is `""` for a token or unreadable credentials (counted for
    /// the address only).
    pub fn attempt(&self, addr: IpAddr, user: &str, now: Instant) -> Result<Attempt<'_>, Refused> {
        let s = &self.settings;
        let source = Source::of(addr);
        let pair: Pair = (source, user.chars().take(MAX_NAME).collect());
        let known = !user.is_empty()
            && self
                .known
                .get(&pair)
                .is_some_and(|at| now.saturating_duration_since(at) < s.known_for.get());
        let mut guard = self.lock();
        let counts = &mut *guard;
        let (pair_failures, pair_next) = counts.pairs.get(&pair, now);
        let (address_failures, address_next) = counts.addresses.get(&source, now);
        let (user_failures, user_next) = if user.is_empty() {
            (0, None)
        } else {
            counts.users.get(&pair.1, now)
        };
        let slots = Slots {
            pair: pair_failures >= s.pair_failures,
            address: !known && address_failures >= s.address_failures,
            user: !known && pair_failures > 0 && user_failures >= s.user_failures,
        };
        let waits = [
            (slots.pair, pair_next),
            (slots.address, address_next),
            (slots.user, user_next),
        ];
        let wait = waits
            .iter()
            .filter_map(|(needed, next)| next.filter(|_| *needed))
            .map(|next| next.saturating_duration_since(now))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            // Whole seconds, rounded up (Retry-After has no fractions).
            return Err(Refused::Slowed(Duration::from_secs(
                wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            )));
        }
        let in_flight = counts.in_flight.entry(source).or_insert(0);
        if *in_flight >= s.max_in_flight {
            return Err(Refused::Busy);
        }
        *in_flight += 1;
        let next = Some(now + s.trickle.get());
        if slots.pair {
            counts.pairs.slot(&pair, now).next_check = next;
        }
        if slots.address {
            counts.addresses.slot(&source, now).next_check = next;
        }
        if slots.user {
            counts.users.slot(&pair.1, now).next_check = next;
        }
        Ok(Attempt {
            limiter: self,
            pair: Some(pair),
            at: now,
        })
    }

    /// Settles an attempt admitted at `now`.
    fn settle(&self, pair: Pair, now: Instant, outcome: Settled) {
        let mut counts = self.lock();
        if let Some(n) = counts.in_flight.get_mut(&pair.0) {
            *n = n.saturating_sub(1);
            if *n == 0 {
                counts.in_flight.remove(&pair.0);
            }
        }
        match outcome {
            Settled::Success => {
                counts.pairs.clear(&pair);
                drop(counts);
                if !pair.1.is_empty() {
                    self.known.insert(pair, now);
                }
            }
            Settled::Failure => {
                counts.pairs.slot(&pair, now).failures += 1;
                counts.addresses.slot(&pair.0, now).failures += 1;
                if !pair.1.is_empty() {
                    counts.users.slot(&pair.1, now).failures += 1;
                }
            }
            Settled::Unjudged => {}
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Keys held by the three counts now (for tests of the bound).
    pub fn len(&self) -> usize {
        let counts = self.lock();
        counts.pairs.len() + counts.addresses.len() + counts.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
#[path = "rate_limit_tests.rs"]
mod tests;
