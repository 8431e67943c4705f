//! Users and credentials: password hashing, Basic credentials and the
//! logins remembered after a check, bearer tokens, the per-address failure
//! limit.

pub mod password;
mod pool;
pub mod rate_limit;
pub mod remembered;
pub mod tokens;
mod window;

pub use pool::{Busy, PasswordPool};
pub use rate_limit::FailureLimiter;
pub use remembered::RememberedLogins;
pub use tokens::{TokenEntry, TokenTable};

/// `Authorization: Basic ...` as (user, password); `None` if unreadable.
pub fn parse_basic(header: &str) -> Option<(String, String)> {
    let (scheme, encoded) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = crate::rpc::xmlrpc::base64_decode(encoded.trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn basic_credentials() {
        assert_eq!(
            super::parse_basic("Basic YWxpY2U6czNjcjN0Og=="),
            Some(("alice".into(), "s3cr3t:".into()))
        );
        assert!(super::parse_basic("Bearer abc").is_none());
        assert!(super::parse_basic("Basic !!!").is_none());
        assert!(super::parse_basic("Basic YWxpY2U=").is_none(), "no colon");
    }
}
