//! `Username`: the validated name of a user.

use std::fmt;

/// Longest user name, in characters (all ASCII).
pub const MAX_USERNAME: usize = 64;

/// A user name: 1 to 64 ASCII letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

/// A name that is not a valid `Username`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid user name {0:?}: 1 to 64 letters, digits, '.', '_', '-' or '@'")]
pub struct InvalidUsername(String);

impl Username {
    pub fn parse(name: &str) -> Result<Username, InvalidUsername> {
        let ok = !name.is_empty()
            && name.len() <= MAX_USERNAME
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if ok {
            Ok(Username(name.to_string()))
        } else {
            let shown: String = name.chars().take(MAX_USERNAME + 1).collect();
            Err(InvalidUsername(shown))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::ops::Deref for Username {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names() {
        assert_eq!(
            Username::parse("bob.smith@example").unwrap().as_str(),
            "bob.smith@example"
        );
        for bad in ["", "a b", "é", "x:y"] {
            assert!(Username::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Username::parse(&"a".repeat(64)).is_ok());
        assert!(Username::parse(&"a".repeat(65)).is_err());
    }
}
