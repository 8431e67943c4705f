//! `UpstreamUrl`: an edge's upstream as configured. Credentials written in
//! the URL (`http://user:password@center/RPC`) are split out when it is
//! read, so the URL that is shown, logged, counted and printed by
//! `check-config` never carries them.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::percent_decode;

/// A configured upstream: the URL to POST to, never with userinfo (so it
/// can be shown anywhere), and the Basic credentials written in it, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamUrl {
    pub url: String,
    credentials: Option<(String, String)>,
}

impl UpstreamUrl {
    /// Splits `user:password@` (percent-decoded) out of a configured URL.
    pub fn parse(configured: &str) -> UpstreamUrl {
        let Some((scheme, rest)) = configured.split_once("://") else {
            return UpstreamUrl {
                url: configured.to_string(),
                credentials: None,
            };
        };
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            return UpstreamUrl {
                url: configured.to_string(),
                credentials: None,
            };
        };
        let (user, password) = rest[..at].split_once(':').unwrap_or((&rest[..at], ""));
        let decode = |s: &str| percent_decode(s).map_or_else(|| s.to_string(), |d| d.into_owned());
        UpstreamUrl {
            url: format!("{scheme}://{}", &rest[at + 1..]),
            credentials: Some((decode(user), decode(password))),
        }
    }

    /// `(user, password)` from the URL.
    pub fn credentials(&self) -> Option<(&str, &str)> {
        self.credentials
            .as_ref()
            .map(|(u, p)| (u.as_str(), p.as_str()))
    }
}

impl fmt::Display for UpstreamUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.url)
    }
}

impl<'de> Deserialize<'de> for UpstreamUrl {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(UpstreamUrl::parse(&String::deserialize(d)?))
    }
}

/// Serialized without credentials.
impl Serialize for UpstreamUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.url)
    }
}

#[cfg(test)]
mod tests {
    use super::UpstreamUrl;

    #[test]
    fn credentials_leave_the_url() {
        let u = UpstreamUrl::parse("http://edge:s%40cret@center:8080/RPC");
        assert_eq!(u.url, "http://center:8080/RPC");
        assert_eq!(u.credentials(), Some(("edge", "s@cret")));
        assert_eq!(serde_json::to_value(&u).unwrap(), "http://center:8080/RPC");
        let plain = UpstreamUrl::parse("http://center/RPC?a=b@c");
        assert_eq!(plain.url, "http://center/RPC?a=b@c");
        assert_eq!(plain.credentials(), None);
        assert_eq!(
            UpstreamUrl::parse("http://user@h/RPC").credentials(),
            Some(("user", ""))
        );
        assert_eq!(UpstreamUrl::parse("no scheme").url, "no scheme");
    }
}
