//! When a failed delivery is tried again: exponential backoff with jitter,
//! for up to a day.

use std::time::Duration;

/// How long an event is retried before it is logged as failed.
pub const RETRY_FOR: Duration = Duration::from_secs(24 * 3600);
/// The first retry's delay; it doubles up to `MAX_BACKOFF`.
const FIRST_BACKOFF: Duration = Duration::from_secs(1);
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// The delay before retry `attempt` (1, 2, ...): doubling from
/// `FIRST_BACKOFF` up to `MAX_BACKOFF`, less up to a quarter of jitter
/// (drawn from the event and attempt, so centers spread their retries).
pub fn backoff(attempt: i64, event: i64) -> Duration {
    let doubled =
        FIRST_BACKOFF.saturating_mul(1u32 << attempt.clamp(1, 20).saturating_sub(1) as u32);
    let full = doubled.min(MAX_BACKOFF);
    let seed =
        (event as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (attempt as u64).rotate_left(17);
    let jitter = (seed >> 11) % 1000;
    full - full.mul_f64(jitter as f64 / 4000.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_an_hour() {
        let secs = |a| backoff(a, 7).as_secs_f64();
        assert!((0.75..=1.0).contains(&secs(1)));
        assert!((1.5..=2.0).contains(&secs(2)));
        assert!((48.0..=64.0).contains(&secs(7)));
        assert!((2700.0..=3600.0).contains(&secs(30)));
        assert_ne!(backoff(3, 1), backoff(3, 2), "events spread their retries");
    }
}
