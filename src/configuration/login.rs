//! `[login]`: how password guessing is slowed without locking anyone out
//! (the design is in ARCHITECTURE.md, "Logins"; the limiter is
//! `auth::rate_limit`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::HumanDuration;

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LoginSettings {
    /// Failures are counted over this sliding window. Default `"1m"`.
    pub window: HumanDuration,
    /// Failures for one user from one address (an IPv6 /64 counts as one
    /// address) after which that pair is slowed to the trickle. Default `5`.
    pub pair_failures: u32,
    /// Failures from one address for any users after which the address is
    /// slowed to the trickle, except for users who signed in from it
    /// before. Default `30` (an office behind one NAT fails often).
    pub address_failures: u32,
    /// Failures for one user from anywhere after which the user is under
    /// attack: an address that has not failed for that user lately still
    /// gets its check at once, addresses that have failed share the
    /// trickle. Default `10`.
    pub user_failures: u32,
    /// While slowed, one password check per this (per pair, address or
    /// user), so a right password gets in after a short wait and a guesser
    /// gets a few guesses a minute. Default `"5s"`.
    pub trickle: HumanDuration,
    /// An address where a user signed in is known for that user this long
    /// (in memory): it passes the address and user slowdowns. Default `"30d"`.
    pub known_for: HumanDuration,
    /// Keys remembered per generation of each count (pairs, addresses,
    /// users; about 100 bytes each); past it new keys share one count.
    /// Default `10000`.
    pub max_entries: usize,
    /// Password checks in flight from one address at once. Default `8`.
    pub max_in_flight: u32,
}

impl Default for LoginSettings {
    fn default() -> Self {
        LoginSettings {
            window: HumanDuration(Duration::from_secs(60)),
            pair_failures: 5,
            address_failures: 30,
            user_failures: 10,
            trickle: HumanDuration(Duration::from_secs(5)),
            known_for: HumanDuration(Duration::from_secs(30 * 24 * 3600)),
            max_entries: 10_000,
            max_in_flight: 8,
        }
    }
}

impl LoginSettings {
    /// What types alone cannot check; the message names the key.
    pub(super) fn validate(&self) -> Result<(), super::ConfigError> {
        let fail =
            |key: &str, why: &str| Err(super::ConfigError::invalid(&format!("login.{key}"), why));
        if self.window.get() < Duration::from_secs(1) {
            return fail("window", "must be at least 1s");
        }
        if self.trickle.get().is_zero() || self.trickle.get() > self.window.get() {
            return fail("trickle", "must be longer than 0s and at most login.window");
        }
        for (key, n) in [
            ("pair_failures", self.pair_failures),
            ("address_failures", self.address_failures),
            ("user_failures", self.user_failures),
            ("max_in_flight", self.max_in_flight),
        ] {
            if n == 0 {
                return fail(key, "must be at least 1");
            }
        }
        if !(100..=1_000_000).contains(&self.max_entries) {
            return fail("max_entries", "must be between 100 and 1000000");
        }
        Ok(())
    }
}
