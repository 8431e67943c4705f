//! `Origins`: which browser pages may call the API (CORS and the same-origin
//! rule, with DNS rebinding kept out).

use crate::domain::{hostname, is_loopback};

/// Which browser pages may call the API.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// `server.cors_origins`: other origins whose pages may call.
    pub listed: Vec<String>,
    /// `server.public_hosts`: the names this server is reached by, besides
    /// loopback ones.
    pub public_hosts: Vec<String>,
}

impl Origins {
    /// Whether a page of `origin` may call us, reached at `host`: a listed
    /// origin, or this server's own origin when `host` names it by a
    /// loopback address or a configured public host. (A page whose DNS name
    /// was rebound to this server sends its own name as `Host`, so it is not
    /// taken for ours.)
    pub fn allow(&self, origin: &str, host: Option<&str>) -> bool {
        if self.listed.iter().any(|o| o == origin) {
            return true;
        }
        let Some(host) = host else {
            return false;
        };
        let same = origin
            .strip_prefix("http://")
            .or(origin.strip_prefix("https://"))
            == Some(host);
        same && self.ours(hostname(host))
    }

    fn ours(&self, name: &str) -> bool {
        is_loopback(name)
            || self
                .public_hosts
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
    }
}

#[cfg(test)]
mod tests {
    use super::Origins;

    #[test]
    fn own_origin_only_under_our_own_names() {
        let origins = Origins {
            listed: vec!["https://app.example".into()],
            public_hosts: vec!["sync.example".into()],
        };
        let allow = |origin: &str, host: &str| origins.allow(origin, Some(host));
        assert!(allow("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assert!(allow("http://localhost:8080", "localhost:8080"));
        assert!(allow("http://[::1]:8080", "[::1]:8080"));
        assert!(allow("https://sync.example", "sync.example"));
        assert!(allow("https://app.example", "127.0.0.1:8080"), "listed");
        assert!(
            !allow("http://evil.example:8080", "evil.example:8080"),
            "a rebound name is not ours"
        );
        assert!(
            !allow("http://localhost:8080", "127.0.0.1:8080"),
            "another origin"
        );
        assert!(!origins.allow("http://127.0.0.1:8080", None));
    }
}
