//! The fleet: what an edge says of itself with each pull (`EdgeName`,
//! `DigestReport`, `EdgeHello`) and what a center remembers of it
//! (`EdgeSeen`).

use std::fmt;

use super::labels::Labels;

/// The header naming the pulling edge (`client.name`); lower case, as
/// header names are stored.
pub const EDGE_HEADER: &str = "syncdict-edge";
/// The header with the outcome of the edge's last digest check.
pub const DIGEST_HEADER: &str = "syncdict-edge-digest";
/// Longest edge name, in bytes.
pub const MAX_EDGE_NAME: usize = 64;

/// Why an edge name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("edge name {shown:?} is not valid: 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-', starting with a letter or digit")]
pub struct InvalidEdgeName {
    shown: String,
}

/// The most bytes of a labels header looked at (8 labels of two 32-byte
/// parts, with their separators).
const LABELS_BYTES: usize = 8 * 66;

/// Up to 64 bytes of printable ASCII, held inline: what a pull says of
/// its edge is read without allocating.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ShortText {
    len: u8,
    bytes: [u8; MAX_EDGE_NAME],
}

impl ShortText {
    /// The printable ASCII of `input` (anything else dropped), cut at 64 bytes.
    pub fn printable(input: &[u8]) -> ShortText {
        let mut out = ShortText::default();
        for &b in input.iter().take(MAX_EDGE_NAME) {
            if b.is_ascii_graphic() || b == b' ' {
                out.bytes[out.len as usize] = b;
                out.len += 1;
            }
        }
        out
    }

    pub fn as_str(&self) -> &str {
        // Printable ASCII only: always UTF-8.
        std::str::from_utf8(&self.bytes[..self.len as usize]).unwrap_or("")
    }
}

impl Default for ShortText {
    fn default() -> Self {
        ShortText {
            len: 0,
            bytes: [0; MAX_EDGE_NAME],
        }
    }
}

impl fmt::Debug for ShortText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

/// An edge's name (`client.name`, by default the host name):
/// `[A-Za-z0-9][A-Za-z0-9._-]{0,63}`, the characters of host names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EdgeName(ShortText);

impl EdgeName {
    pub fn parse(input: &str) -> Result<EdgeName, InvalidEdgeName> {
        let first_ok = input
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphanumeric());
        let rest_ok = input
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if first_ok && rest_ok && input.len() <= MAX_EDGE_NAME {
            Ok(EdgeName(ShortText::printable(input.as_bytes())))
        } else {
            Err(InvalidEdgeName {
                shown: input.chars().take(MAX_EDGE_NAME + 8).collect(),
            })
        }
    }

    /// This machine's host name, or `edge` if it has none that is valid.
    pub fn of_this_host() -> EdgeName {
        let mut buf = [0u8; 256];
        // SAFETY: the buffer and its length are valid; gethostname writes
        // at most that many bytes.
        let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
        let end = buf.iter().position(|&b| b == 0).unwrap_or(buf.len());
        let name = if rc == 0 {
            std::str::from_utf8(&buf[..end]).unwrap_or("")
        } else {
            ""
        };
        EdgeName::parse(name).unwrap_or_else(|_| EdgeName(ShortText::printable(b"edge")))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_str()
    }
}

impl fmt::Display for EdgeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The outcome of an edge's digest checks, as it reports them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DigestReport {
    /// The edge has no `client.verify_keys`: nothing is checked.
    Unchecked,
    /// Every change it applied last matched its signed digest.
    Verified,
    /// Its last pull was refused: a digest did not match its signature.
    Failed,
}

impl DigestReport {
    pub const ALL: [DigestReport; 3] = [
        DigestReport::Unchecked,
        DigestReport::Verified,
        DigestReport::Failed,
    ];

    pub fn label(self) -> &'static str {
        match self {
            DigestReport::Unchecked => "unchecked",
            DigestReport::Verified => "verified",
            DigestReport::Failed => "failed",
        }
    }

    pub fn parse(label: &str) -> Option<DigestReport> {
        Self::ALL.into_iter().find(|d| d.label() == label)
    }
}

/// What a pulling client says of itself in its request's headers: its
/// name, its version (`User-Agent`), its last digest check. All optional:
/// the original Lua client and `curl` send none of it, and an unreadable
/// header is ignored, never refused (it costs the pull nothing).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EdgeHello {
    pub name: Option<EdgeName>,
    /// The `User-Agent`, printable ASCII, at most 64 bytes.
    pub version: ShortText,
    pub digest: Option<DigestReport>,
    /// `client.labels` (none when absent or unreadable).
    pub labels: Labels,
    /// The gray releases its data holds (`Syncdict-Gray`).
    pub releases: Vec<super::ReleaseId>,
    /// Its health on the data it holds (`Syncdict-Health`), if it reports.
    pub health: Option<super::HealthReport>,
}

impl EdgeHello {
    /// From the three header values, as sent (each at most a few bytes are
    /// looked at: the bounds above).
    pub fn from_headers(
        name: Option<&[u8]>,
        user_agent: Option<&[u8]>,
        digest: Option<&[u8]>,
        labels: Option<&[u8]>,
    ) -> EdgeHello {
        fn text(v: Option<&[u8]>) -> Option<&str> {
            v.and_then(|v| std::str::from_utf8(v).ok())
        }
        EdgeHello {
            name: text(name).and_then(|n| EdgeName::parse(n.trim()).ok()),
            version: ShortText::printable(user_agent.unwrap_or_default()),
            digest: text(digest).and_then(|d| DigestReport::parse(d.trim())),
            labels: text(labels.filter(|l| l.len() <= LABELS_BYTES))
                .and_then(|l| Labels::parse(l).ok())
                .unwrap_or_default(),
            releases: Vec::new(),
            health: None,
        }
    }
}

/// How an edge stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum EdgeState {
    /// It misses a change older than `server.fleet_lag`, or its last
    /// digest check failed.
    Lagging,
    /// No pull for longer than `server.fleet_silent`.
    Silent,
    /// Pulling, and missing nothing older than `server.fleet_lag`.
    Current,
}

impl EdgeState {
    /// In the order of `/metrics` and of `Totals::by_state`.
    pub const ALL: [EdgeState; 3] = [EdgeState::Current, EdgeState::Lagging, EdgeState::Silent];

    pub fn label(self) -> &'static str {
        match self {
            EdgeState::Current => "current",
            EdgeState::Lagging => "lagging",
            EdgeState::Silent => "silent",
        }
    }

    pub fn parse(label: &str) -> Option<EdgeState> {
        Self::ALL.into_iter().find(|s| s.label() == label)
    }
}

/// What a center remembers of one edge (one per name and address), in
/// memory and in `fleet_edges`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EdgeSeen {
    /// `""` for a client that sent no valid name.
    pub name: String,
    /// The client's address (after `server.trusted_proxies`); `""` unknown.
    pub address: String,
    pub version: String,
    /// The namespaces it pulls, sorted, comma-separated.
    pub namespaces: String,
    /// Its labels, canonical (`k=v,k=v`; empty: none).
    pub labels: String,
    /// The revision it holds: what its last reply carried if it applied
    /// the one before (it asked from there), else what it asked from.
    pub revision: i64,
    /// Whether it applied the reply before its last pull.
    pub in_step: bool,
    pub digest: Option<DigestReport>,
    /// Its last health report (none: it does not report).
    pub health: Option<super::Health>,
    /// Why it is unhealthy, as it said.
    pub health_reason: String,
    /// The gray releases its data holds, ids comma-separated.
    pub gray: String,
    /// How long its pulls may be held (µs): it may be this much longer
    /// without a pull before it is silent.
    pub hold_us: i64,
    pub first_seen_us: i64,
    pub last_pull_us: i64,
}

impl EdgeSeen {
    /// The key a center keeps it under.
    pub fn key(&self) -> (String, String) {
        (self.name.clone(), self.address.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        for ok in ["edge-1", "web01.example.com", "A_b", "x"] {
            assert!(EdgeName::parse(ok).is_ok(), "{ok}");
        }
        let long = "a".repeat(65);
        for bad in ["", "-x", ".x", "a b", "a/b", "é", long.as_str()] {
            assert!(EdgeName::parse(bad).is_err(), "{bad}");
        }
        assert!(EdgeName::parse(&EdgeName::of_this_host().to_string()).is_ok());
    }

    #[test]
    fn hello_is_bounded_and_forgiving() {
        let ua = format!("syncdict/1.0 {}\u{7}", "x".repeat(200));
        let hello = EdgeHello::from_headers(
            Some(b"edge-1 "),
            Some(ua.as_bytes()),
            Some(b"verified"),
            Some(b"tier=web,region=eu"),
        );
        assert_eq!(hello.labels.as_str(), "region=eu,tier=web");
        assert_eq!(hello.name.unwrap().as_str(), "edge-1");
        assert_eq!(hello.version.as_str().len(), MAX_EDGE_NAME);
        assert!(hello.version.as_str().starts_with("syncdict/1.0 x"));
        assert_eq!(hello.digest, Some(DigestReport::Verified));
        let long = format!("k={}", "v".repeat(600));
        let junk = EdgeHello::from_headers(
            Some(b"\xff<script>"),
            None,
            Some(b"maybe"),
            Some(long.as_bytes()),
        );
        assert_eq!(junk, EdgeHello::default());
    }
}
