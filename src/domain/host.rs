//! Host names as URLs and `Host` headers carry them.

/// `host` without its port (`[::1]:8080` → `[::1]`).
pub fn hostname(host: &str) -> &str {
    if host.starts_with('[') {
        return host.split_inclusive(']').next().unwrap_or(host);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    }
}

/// Whether a host name (without port) is this machine: `localhost`, or a
/// loopback address (IPv6 with or without brackets).
pub fn is_loopback(name: &str) -> bool {
    name.eq_ignore_ascii_case("localhost")
        || name
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_loopback() {
        assert_eq!(hostname("[::1]:8080"), "[::1]");
        assert_eq!(hostname("sync.example:443"), "sync.example");
        assert_eq!(hostname("sync.example"), "sync.example");
        for here in ["localhost", "127.0.0.1", "127.1.2.3", "[::1]", "::1"] {
            assert!(is_loopback(here), "{here}");
        }
        for there in [
            "sync.example",
            "10.0.0.1",
            "[2001:db8::1]",
            "localhost.example",
        ] {
            assert!(!is_loopback(there), "{there}");
        }
    }
}
