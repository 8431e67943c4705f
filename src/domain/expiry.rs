//! Records that expire: the expiry a write asks for, and its bounds.

use std::time::{Duration, UNIX_EPOCH};

/// The longest expiry a write may set: ten years (a record meant to last
/// longer should not expire).
pub const MAX_EXPIRES_IN: Duration = Duration::from_secs(10 * 365 * 24 * 3600);

/// When a written record expires, as the write said it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expiry {
    /// `expires_in`: this long after the write commits.
    In(Duration),
    /// `expires_at`: at this instant (microseconds since the epoch).
    At(i64),
}

/// Why an expiry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidExpiry {
    #[error("expires_in must be a number of seconds above 0 and at most {max} (ten years), got {0}", max = MAX_EXPIRES_IN.as_secs())]
    OutOfRange(String),
    #[error("expires_at must be an RFC 3339 time such as 2026-12-31T23:59:59Z: {0}")]
    BadTime(String),
    #[error("expires_at {0} is in the past")]
    Past(String),
    #[error("expires_at {0} is more than ten years ahead")]
    TooFar(String),
}

impl Expiry {
    /// `expires_in` seconds (fractions allowed).
    pub fn after_seconds(seconds: f64) -> Result<Expiry, InvalidExpiry> {
        if !(seconds > 0.0 && seconds <= MAX_EXPIRES_IN.as_secs_f64()) {
            return Err(InvalidExpiry::OutOfRange(seconds.to_string()));
        }
        Ok(Expiry::In(Duration::from_secs_f64(seconds)))
    }

    /// `expires_at` as RFC 3339.
    pub fn at_rfc3339(text: &str) -> Result<Expiry, InvalidExpiry> {
        parse_rfc3339_us(text)
            .map(Expiry::At)
            .ok_or_else(|| InvalidExpiry::BadTime(format!("{text:?}")))
    }

    /// The instant (µs since the epoch) for a write committed at `now_us`;
    /// an instant not after `now_us` or past the ten-year bound is refused.
    pub fn resolve(self, now_us: i64) -> Result<i64, InvalidExpiry> {
        match self {
            Expiry::In(d) => Ok(now_us.saturating_add(d.as_micros() as i64)),
            Expiry::At(at) if at <= now_us => Err(InvalidExpiry::Past(super::format_timestamp(at))),
            Expiry::At(at) if at - now_us > MAX_EXPIRES_IN.as_micros() as i64 => {
                Err(InvalidExpiry::TooFar(super::format_timestamp(at)))
            }
            Expiry::At(at) => Ok(at),
        }
    }
}

/// An RFC 3339 time as microseconds since the epoch (`None` if it is not
/// one, or before 1970).
pub fn parse_rfc3339_us(text: &str) -> Option<i64> {
    let t = humantime::parse_rfc3339_weak(text).ok()?;
    let us = t.duration_since(UNIX_EPOCH).ok()?.as_micros();
    i64::try_from(us).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_800_000_000_000_000;

    #[test]
    fn in_is_counted_from_the_commit() {
        let e = Expiry::after_seconds(1.5).unwrap();
        assert_eq!(e.resolve(NOW), Ok(NOW + 1_500_000));
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 4e8] {
            assert!(Expiry::after_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn at_must_be_ahead_and_within_ten_years() {
        let at = Expiry::at_rfc3339("2027-01-15T08:00:00Z").unwrap();
        assert_eq!(at, Expiry::At(NOW));
        let us = NOW;
        assert_eq!(at.resolve(us - 1), Ok(us));
        assert!(matches!(at.resolve(us), Err(InvalidExpiry::Past(_))));
        let far = us - MAX_EXPIRES_IN.as_micros() as i64 - 1;
        assert!(matches!(at.resolve(far), Err(InvalidExpiry::TooFar(_))));
        assert!(Expiry::at_rfc3339("tomorrow").is_err());
        assert!(Expiry::at_rfc3339("1960-01-01T00:00:00Z").is_err());
    }
}
