//! `Namespace`: the validated name of a dataset.

use std::fmt;

/// Longest namespace name, in bytes.
pub const MAX_NAMESPACE: usize = 64;

/// Why a namespace name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("namespace {shown:?} is not a valid name: 1 to 64 characters of a-z, 0-9, '.', '_' and '-', starting with a letter or digit")]
pub struct InvalidNamespace {
    shown: String,
}

/// A namespace name: `[a-z0-9][a-z0-9._-]{0,63}`. `default` always exists.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Namespace(String);

impl Namespace {
    /// The name of the namespace every call means when it names none.
    pub const DEFAULT: &'static str = "default";

    pub fn parse(input: impl Into<String>) -> Result<Namespace, InvalidNamespace> {
        let s = input.into();
        let first_ok = s
            .bytes()
            .next()
            .is_some_and(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        let rest_ok = s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
        if first_ok && rest_ok && s.len() <= MAX_NAMESPACE {
            Ok(Namespace(s))
        } else {
            Err(InvalidNamespace {
                shown: s.chars().take(MAX_NAMESPACE + 8).collect(),
            })
        }
    }

    pub fn default_namespace() -> Namespace {
        Namespace(Self::DEFAULT.to_string())
    }

    /// `default`, borrowed (for hot paths that would otherwise allocate it).
    pub fn default_ref() -> &'static Namespace {
        static DEFAULT: std::sync::LazyLock<Namespace> =
            std::sync::LazyLock::new(Namespace::default_namespace);
        &DEFAULT
    }

    pub fn is_default(&self) -> bool {
        self.0 == Self::DEFAULT
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl Default for Namespace {
    fn default() -> Self {
        Self::default_namespace()
    }
}

impl fmt::Display for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Namespace {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<'de> serde::Deserialize<'de> for Namespace {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Namespace::parse(s).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Namespace {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_and_refuses() {
        for ok in [
            "default",
            "a",
            "0",
            "routes.v2",
            "geo_ip-list",
            &"a".repeat(64),
        ] {
            assert!(Namespace::parse(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "A",
            "-a",
            ".a",
            "_a",
            "a b",
            "é",
            "a/b",
            &"a".repeat(65),
        ] {
            assert!(Namespace::parse(bad).is_err(), "{bad}");
        }
        assert!(Namespace::parse("Bad")
            .unwrap_err()
            .to_string()
            .contains("\"Bad\""));
    }

    proptest! {
        #[test]
        fn valid_iff_pattern(s in "[a-zA-Z0-9._ -]{0,70}") {
            let b = s.as_bytes();
            let ok = !b.is_empty() && b.len() <= 64
                && (b[0].is_ascii_lowercase() || b[0].is_ascii_digit())
                && b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || b"._-".contains(c));
            prop_assert_eq!(Namespace::parse(s).is_ok(), ok);
        }
    }
}
