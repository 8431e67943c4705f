//! Users and credentials: password hashing, Basic credentials, the
//! per-address failure limit.

pub mod password;
pub mod rate_limit;

pub use rate_limit::FailureLimiter;

/// A user name: 1 to 64 characters of letters, digits, `.`, `_`, `-`, `@`.
pub fn parse_username(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!(
            "invalid user name {name:?}: 1 to 64 letters, digits, '.', '_', '-' or '@'"
        ))
    }
}

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
        assert!(super::parse_username("bob.smith@example").is_ok());
        assert!(super::parse_username("").is_err() && super::parse_username("a b").is_err());
    }
}
