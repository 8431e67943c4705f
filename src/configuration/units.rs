//! Human-readable sizes ("10m", nginx style) and durations ("6s") for settings.

use std::fmt;
use std::time::Duration;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// A setting value that does not parse; the message quotes the input (never
/// a password) and says what was expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidValue {
    #[error("invalid size {0:?}: expected a whole number with an optional k, m or g suffix, like \"10m\"")]
    Size(String),
    #[error("invalid duration {input:?}: {why} (write it like \"6s\", \"500ms\" or \"5m\")")]
    Duration { input: String, why: String },
    #[error("invalid percentage {0:?}: expected 0% to 100%")]
    Percent(String),
    #[error("invalid address or network {0:?}: expected e.g. \"10.0.0.0/8\" or \"::1\"")]
    Network(String),
    /// The URL with its password masked.
    #[error("invalid database URL {0:?}: expected sqlite://PATH, mysql://… or postgres://…")]
    DatabaseUrl(String),
    #[error("unsupported database scheme {0:?}: use sqlite, mysql or postgres")]
    Scheme(String),
    #[error("database URL {0:?} names no database")]
    NoDatabase(String),
}

/// A byte count written the nginx way: a number with an optional `k`, `m` or
/// `g` suffix (case-insensitive, powers of 1024), so `"10m"` is 10,485,760.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ByteSize(pub u64);

impl ByteSize {
    /// Parses `"512"`, `"64k"`, `"10m"`, `"1g"`; anything else is an error that
    /// quotes the input.
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        let s = input.trim();
        let (digits, unit) = match s.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
            Some((i, _)) => s.split_at(i),
            None => (s, ""),
        };
        let factor: u64 = match unit.to_ascii_lowercase().as_str() {
            "" => 1,
            "k" => 1 << 10,
            "m" => 1 << 20,
            "g" => 1 << 30,
            _ => return Err(size_error(input)),
        };
        let n: u64 = digits.parse().map_err(|_| size_error(input))?;
        n.checked_mul(factor)
            .map(ByteSize)
            .ok_or_else(|| size_error(input))
    }

    pub fn bytes(self) -> u64 {
        self.0
    }
}

fn size_error(input: &str) -> InvalidValue {
    InvalidValue::Size(input.to_string())
}

impl fmt::Display for ByteSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        for (unit, factor) in [("g", 1u64 << 30), ("m", 1 << 20), ("k", 1 << 10)] {
            if n != 0 && n.is_multiple_of(factor) {
                return write!(f, "{}{unit}", n / factor);
            }
        }
        write!(f, "{n}")
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StringOrInt::deserialize(d)? {
            StringOrInt::Int(n) => Ok(ByteSize(n)),
            StringOrInt::Str(s) => ByteSize::parse(&s).map_err(de::Error::custom),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// A duration written the humantime way: `"6s"`, `"500ms"`, `"5m"`, `"7d"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HumanDuration(pub Duration);

impl HumanDuration {
    pub fn parse(input: &str) -> Result<Self, InvalidValue> {
        humantime::parse_duration(input.trim())
            .map(HumanDuration)
            .map_err(|e| InvalidValue::Duration {
                input: input.to_string(),
                why: e.to_string(),
            })
    }

    pub fn get(self) -> Duration {
        self.0
    }
}

impl<'de> Deserialize<'de> for HumanDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StringOrInt::deserialize(d)? {
            StringOrInt::Int(_) => Err(de::Error::custom(
                "a duration needs a unit, like \"6s\" or \"500ms\"",
            )),
            StringOrInt::Str(s) => HumanDuration::parse(&s).map_err(de::Error::custom),
        }
    }
}

impl Serialize for HumanDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&humantime::format_duration(self.0))
    }
}

/// A setting written as a number or as a string ("10m", "50%").
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum StringOrInt {
    Int(u64),
    Str(String),
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn sizes_follow_nginx() {
        assert_eq!(ByteSize::parse("10m"), Ok(ByteSize(10 * 1024 * 1024)));
        assert_eq!(ByteSize::parse("64K"), Ok(ByteSize(65536)));
        assert_eq!(ByteSize::parse("1g"), Ok(ByteSize(1 << 30)));
        assert_eq!(ByteSize::parse("512"), Ok(ByteSize(512)));
        for bad in [
            "10x",
            "",
            "m",
            "-1k",
            "1.5m",
            "99999999999999999999g",
            "10 m",
        ] {
            let err = ByteSize::parse(bad).unwrap_err();
            assert!(err.to_string().contains("invalid size"), "{bad}: {err}");
        }
    }

    #[test]
    fn durations_need_units() {
        assert_eq!(
            HumanDuration::parse("6s").unwrap().get(),
            Duration::from_secs(6)
        );
        assert_eq!(
            HumanDuration::parse("250ms").unwrap().get(),
            Duration::from_millis(250)
        );
        assert!(HumanDuration::parse("6").is_err());
        assert!(HumanDuration::parse("soon").is_err());
    }

    proptest! {
        #[test]
        fn size_display_round_trips(n in 0u64..(1 << 40)) {
            let shown = ByteSize(n).to_string();
            prop_assert_eq!(ByteSize::parse(&shown), Ok(ByteSize(n)));
        }

        #[test]
        fn size_parse_never_panics(s in "\\PC{0,12}") {
            let _ = ByteSize::parse(&s);
        }
    }
}
