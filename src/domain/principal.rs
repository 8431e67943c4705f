//! `Principal`: who a call is made by (a user, or a token), and
//! `TokenName`, the validated name of a token.

use std::fmt;

use super::{InvalidUsername, Username};

/// A token's name: the same rule as a user name (1 to 64 ASCII letters,
/// digits, `.`, `_`, `-` or `@`), a type of its own so the two are never
/// mixed up.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TokenName(String);

impl TokenName {
    pub fn parse(name: &str) -> Result<TokenName, InvalidUsername> {
        Username::parse(name).map(|u| TokenName(u.as_str().to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TokenName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Who made a call that passed authentication.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// Basic credentials of a user.
    User(Username),
    /// A bearer token.
    Token(TokenName),
}

impl fmt::Display for Principal {
    /// As the audit log names it: `alice`, or `token:edge-7` (a user name
    /// cannot hold a `:`, so the two never collide).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Principal::User(user) => f.write_str(user.as_str()),
            Principal::Token(token) => write!(f, "token:{token}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shown_as_the_audit_log_names_them() {
        let user = Principal::User(Username::parse("alice").unwrap());
        let token = Principal::Token(TokenName::parse("edge-7").unwrap());
        assert_eq!(user.to_string(), "alice");
        assert_eq!(token.to_string(), "token:edge-7");
        assert!(TokenName::parse("a:b").is_err());
        assert!(TokenName::parse("").is_err());
    }
}
