//! `RecordKey`: the validated name of a record.

use std::fmt;

/// Longest key, in bytes of UTF-8.
pub const MAX_KEY_BYTES: usize = 255;

/// Why a key is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidKey {
    #[error("key must not be empty")]
    Empty,
    #[error("key is {bytes} bytes long, at most {MAX_KEY_BYTES} allowed")]
    TooLong { bytes: usize },
    #[error("key must not contain NUL characters")]
    Nul,
}

/// A record key: non-empty UTF-8, at most 255 bytes, no NUL character
/// (PostgreSQL cannot store one, so no backend accepts it).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RecordKey(String);

impl RecordKey {
    pub fn parse(input: impl Into<String>) -> Result<RecordKey, InvalidKey> {
        let s = input.into();
        if s.is_empty() {
            return Err(InvalidKey::Empty);
        }
        if s.len() > MAX_KEY_BYTES {
            return Err(InvalidKey::TooLong { bytes: s.len() });
        }
        if s.contains('\0') {
            return Err(InvalidKey::Nul);
        }
        Ok(RecordKey(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for RecordKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for RecordKey {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_refuses() {
        assert!(RecordKey::parse("greeting").is_ok());
        assert!(RecordKey::parse("ключ/😀").is_ok());
        assert!(RecordKey::parse("x".repeat(255)).is_ok());
        assert!(RecordKey::parse("x".repeat(256))
            .unwrap_err()
            .to_string()
            .contains("256 bytes"));
        // 128 two-byte characters are 256 bytes.
        assert!(RecordKey::parse("é".repeat(128)).is_err());
        assert_eq!(RecordKey::parse("").unwrap_err(), InvalidKey::Empty);
        assert!(RecordKey::parse("a\0b")
            .unwrap_err()
            .to_string()
            .contains("NUL"));
    }

    proptest! {
        #[test]
        fn valid_iff_rules_hold(s in "\\PC{0,140}") {
            let ok = !s.is_empty() && s.len() <= MAX_KEY_BYTES && !s.contains('\0');
            prop_assert_eq!(RecordKey::parse(s.clone()).is_ok(), ok);
            if ok {
                let key = RecordKey::parse(s.clone()).unwrap();
                prop_assert_eq!(key.as_str(), s.as_str());
            }
        }
    }
}
