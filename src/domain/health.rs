//! An edge's health as it reports it with each pull (`Syncdict-Health`):
//! the outcome of `client.health_command` and of its outputs' commands on
//! the data it holds now. The gray releases it holds are named in the same
//! request (`Syncdict-Gray`), so a report speaks for exactly that view.

use super::fleet::ShortText;

/// The header carrying an edge's health (lower case, as header names are
/// stored): `ok`, or `unhealthy` and a reason.
pub const HEALTH_HEADER: &str = "syncdict-health";

/// How an edge says it stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Health {
    Healthy,
    Unhealthy,
}

impl Health {
    pub fn label(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Unhealthy => "unhealthy",
        }
    }

    pub fn parse(label: &str) -> Option<Health> {
        [Health::Healthy, Health::Unhealthy]
            .into_iter()
            .find(|h| h.label() == label)
    }
}

/// One report: the health and, when unhealthy, why (printable ASCII, at
/// most 64 bytes: the start of what the failing command said).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthReport {
    pub health: Health,
    pub reason: ShortText,
}

impl HealthReport {
    pub fn healthy() -> HealthReport {
        HealthReport {
            health: Health::Healthy,
            reason: ShortText::default(),
        }
    }

    pub fn unhealthy(reason: &str) -> HealthReport {
        HealthReport {
            health: Health::Unhealthy,
            reason: ShortText::printable(reason.as_bytes()),
        }
    }

    /// From the header's value: `ok`, or `unhealthy` with an optional
    /// reason after a space. Anything else reads as no report (a pull is
    /// never refused for it).
    pub fn from_header(value: &[u8]) -> Option<HealthReport> {
        let text = std::str::from_utf8(value).ok()?.trim();
        let (word, rest) = text.split_once(' ').unwrap_or((text, ""));
        match word {
            "ok" => Some(HealthReport::healthy()),
            "unhealthy" => Some(HealthReport::unhealthy(rest.trim())),
            _ => None,
        }
    }

    /// The header's value.
    pub fn to_header(&self) -> String {
        match self.health {
            Health::Healthy => "ok".to_string(),
            Health::Unhealthy if self.reason.as_str().is_empty() => "unhealthy".to_string(),
            Health::Unhealthy => format!("unhealthy {}", self.reason.as_str()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_round_trip_and_junk_is_none() {
        let bad = HealthReport::unhealthy("health_command: exit status: 1: boom\n");
        assert_eq!(bad.reason.as_str(), "health_command: exit status: 1: boom");
        let parsed = HealthReport::from_header(bad.to_header().as_bytes()).unwrap();
        assert_eq!(parsed, bad);
        assert_eq!(
            HealthReport::from_header(b"ok"),
            Some(HealthReport::healthy())
        );
        let long = format!("unhealthy {}", "x".repeat(500));
        let cut = HealthReport::from_header(long.as_bytes()).unwrap();
        assert_eq!(cut.reason.as_str().len(), 64);
        for junk in [&b"fine"[..], b"", b"\xff\xfe", b"OK"] {
            assert_eq!(HealthReport::from_header(junk), None);
        }
    }
}
