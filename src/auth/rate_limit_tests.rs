//! The limiter's rules, driven by the time passed in.

use super::*;

fn ip(last: u8) -> IpAddr {
    IpAddr::from([10, 0, 0, last])
}

fn limiter(t0: Instant) -> FailureLimiter {
    FailureLimiter::new(&LoginSettings::default(), t0)
}

fn fail(limiter: &FailureLimiter, addr: IpAddr, user: &str, at: Instant) {
    limiter.attempt(addr, user, at).unwrap().failed();
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

fn slowed(r: Result<Attempt<'_>, Refused>) -> Option<Duration> {
    match r {
        Err(Refused::Slowed(wait)) => Some(wait),
        _ => None,
    }
}

#[test]
fn a_guesser_at_one_user_from_one_address_is_slowed_to_the_trickle() {
    let t0 = Instant::now();
    let l = limiter(t0);
    for _ in 0..5 {
        fail(&l, ip(1), "alice", t0);
    }
    // The first check past the limit runs, the next waits the trickle.
    fail(&l, ip(1), "alice", t0);
    assert_eq!(
        slowed(l.attempt(ip(1), "alice", t0 + secs(1))),
        Some(secs(4))
    );
    // Over a minute: a check every 5 s, so 12 guesses, not hundreds.
    let admitted = (0..60)
        .filter(|s| {
            l.attempt(ip(1), "alice", t0 + secs(5 + s)).is_ok_and(|a| {
                a.failed();
                true
            })
        })
        .count();
    assert_eq!(admitted, 12);
    // Meanwhile another user from that address, and alice from elsewhere, pass.
    assert!(l.attempt(ip(1), "bob", t0).is_ok());
    assert!(l.attempt(ip(2), "alice", t0).is_ok());
}

/// The lockout attack: failures for admin from many addresses do not
/// refuse admin's first attempt from a new address, while the addresses
/// that failed share one trickle for admin.
#[test]
fn a_user_under_attack_still_signs_in_from_a_new_address() {
    let t0 = Instant::now();
    let l = limiter(t0);
    for i in 0..50 {
        fail(&l, ip(i), "admin", t0);
    }
    assert!(
        l.attempt(ip(200), "admin", t0).is_ok(),
        "the owner, new here"
    );
    // The attacking addresses: one check for admin per trickle between them.
    let first = l.attempt(ip(1), "admin", t0 + secs(1));
    assert!(first.is_ok());
    first.unwrap().failed();
    for i in 2..50 {
        assert!(slowed(l.attempt(ip(i), "admin", t0 + secs(2))).is_some());
    }
    assert!(
        l.attempt(ip(3), "admin", t0 + secs(6)).is_ok(),
        "the trickle"
    );
}

/// An office behind one address: others' failures there do not refuse a
/// user signing in from it for the first time, up to the address limit;
/// past it, a user who signed in from there before still passes and a new
/// one waits at most the trickle.
#[test]
fn one_address_shared_by_many_users() {
    let t0 = Instant::now();
    let l = limiter(t0);
    l.attempt(ip(1), "carol", t0).unwrap().succeeded();
    for i in 0..29 {
        fail(&l, ip(1), &format!("user{i}"), t0);
    }
    assert!(
        l.attempt(ip(1), "reader", t0).is_ok(),
        "below the address limit"
    );
    fail(&l, ip(1), "spray", t0);
    let first = l.attempt(ip(1), "dave", t0 + secs(1)).unwrap();
    drop(first);
    assert!(slowed(l.attempt(ip(1), "erin", t0 + secs(1))).is_some());
    assert!(
        l.attempt(ip(1), "carol", t0 + secs(1)).is_ok(),
        "known here"
    );
    assert!(
        l.attempt(ip(1), "erin", t0 + secs(6)).is_ok(),
        "the trickle"
    );
}

#[test]
fn a_success_clears_only_that_pair_and_failures_slide_out() {
    let t0 = Instant::now();
    let l = limiter(t0);
    for _ in 0..4 {
        fail(&l, ip(1), "admin", t0);
    }
    l.attempt(ip(1), "reader", t0).unwrap().succeeded();
    fail(&l, ip(1), "admin", t0);
    assert!(
        l.attempt(ip(1), "admin", t0).is_ok(),
        "the pair's first slowed check"
    );
    assert!(
        slowed(l.attempt(ip(1), "admin", t0)).is_some(),
        "the reader did not wipe them"
    );
    assert!(l.attempt(ip(1), "admin", t0 + secs(125)).is_ok());
    assert!(
        l.attempt(ip(1), "admin", t0 + secs(125)).is_ok(),
        "forgotten"
    );
}

/// IPv6 addresses of one /64 are one source.
#[test]
fn an_ipv6_64_is_one_address() {
    let t0 = Instant::now();
    let l = limiter(t0);
    for i in 0..5u16 {
        let addr = IpAddr::from([0x2001, 0xdb8, 0, 1, 0, 0, 0, i]);
        fail(&l, addr, "alice", t0);
    }
    let other = IpAddr::from([0x2001, 0xdb8, 0, 1, 0xffff, 0, 0, 9]);
    l.attempt(other, "alice", t0).unwrap().failed();
    assert!(slowed(l.attempt(other, "alice", t0)).is_some());
    let next_net = IpAddr::from([0x2001, 0xdb8, 0, 2, 0, 0, 0, 1]);
    assert!(l.attempt(next_net, "alice", t0).is_ok());
}

/// A burst of guesses sent before any has failed runs at most
/// `max_in_flight` checks; honest concurrent logins up to that pass.
#[test]
fn checks_in_flight_are_bounded_per_address() {
    let t0 = Instant::now();
    let l = limiter(t0);
    let admitted: Vec<_> = (0..20)
        .filter_map(|_| l.attempt(ip(1), "alice", t0).ok())
        .collect();
    assert_eq!(admitted.len(), 8);
    assert_eq!(l.attempt(ip(1), "bob", t0).err(), Some(Refused::Busy));
    admitted.into_iter().for_each(Attempt::succeeded);
    assert!(l.attempt(ip(1), "bob", t0).is_ok());
}

#[test]
fn an_unjudged_attempt_counts_against_no_one() {
    let t0 = Instant::now();
    let l = limiter(t0);
    for _ in 0..20 {
        drop(l.attempt(ip(1), "alice", t0).unwrap());
    }
    assert!(l.is_empty());
}

/// A flood of distinct addresses and names: each count stays within
/// `max_entries` a generation, and judging stays O(1) (nothing scans).
#[test]
fn the_counts_are_bounded() {
    let t0 = Instant::now();
    let settings = LoginSettings {
        max_entries: 1000,
        ..LoginSettings::default()
    };
    let l = FailureLimiter::new(&settings, t0);
    for i in 0..5000u32 {
        let addr = IpAddr::from([10, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
        if let Ok(attempt) = l.attempt(addr, &format!("u{i}"), t0) {
            attempt.failed();
        }
    }
    assert!(l.len() <= 3 * 1000, "{}", l.len());
}
