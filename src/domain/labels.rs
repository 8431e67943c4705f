//! Edge labels (`client.labels = { region = "eu", tier = "web" }`): sent
//! with each pull as `Syncdict-Edge-Labels: region=eu,tier=web`, shown in
//! the fleet view, and what a gray release may target. Held in one
//! canonical text: pairs sorted by key.

use std::collections::BTreeMap;

/// The header a pulling edge sends its labels in.
pub const LABELS_HEADER: &str = "syncdict-edge-labels";
/// Labels an edge may have.
pub const MAX_LABELS: usize = 8;
/// Bytes of a label's key, and of its value.
pub const MAX_LABEL_PART: usize = 32;

/// Why labels are refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidLabels {
    #[error("at most {MAX_LABELS} labels")]
    TooMany,
    #[error("label {0:?}: keys are 1 to 32 of a-z, 0-9, '.', '_' and '-'")]
    Key(String),
    #[error("label {0:?}: values are 1 to 32 of A-Z, a-z, 0-9, '.', '_' and '-'")]
    Value(String),
    #[error("label {0:?} is given twice")]
    Twice(String),
    #[error("{0:?} is not key=value")]
    Pair(String),
}

/// An edge's labels, canonical (`k=v,k=v`, sorted by key; empty: none).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct Labels(Box<str>);

fn key_ok(k: &str) -> bool {
    (1..=MAX_LABEL_PART).contains(&k.len())
        && k.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

fn value_ok(v: &str) -> bool {
    (1..=MAX_LABEL_PART).contains(&v.len())
        && v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

impl Labels {
    /// From a map (the settings).
    pub fn from_map(map: &BTreeMap<String, String>) -> Result<Labels, InvalidLabels> {
        if map.len() > MAX_LABELS {
            return Err(InvalidLabels::TooMany);
        }
        let mut text = String::new();
        for (k, v) in map {
            if !key_ok(k) {
                return Err(InvalidLabels::Key(k.clone()));
            }
            if !value_ok(v) {
                return Err(InvalidLabels::Value(v.clone()));
            }
            if !text.is_empty() {
                text.push(',');
            }
            text.push_str(k);
            text.push('=');
            text.push_str(v);
        }
        Ok(Labels(text.into()))
    }

    /// From `k=v,k=v` (a header, in any order; at most a few hundred bytes
    /// are looked at, as the bounds allow).
    pub fn parse(text: &str) -> Result<Labels, InvalidLabels> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(Labels::default());
        }
        let mut map = BTreeMap::new();
        for (i, pair) in text.split(',').enumerate() {
            if i >= MAX_LABELS {
                return Err(InvalidLabels::TooMany);
            }
            let Some((k, v)) = pair.trim().split_once('=') else {
                return Err(InvalidLabels::Pair(pair.chars().take(80).collect()));
            };
            if map.insert(k.to_string(), v.to_string()).is_some() {
                return Err(InvalidLabels::Twice(k.to_string()));
            }
        }
        Labels::from_map(&map)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The (key, value) pairs, by key.
    pub fn pairs(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0
            .split(',')
            .filter(|p| !p.is_empty())
            .filter_map(|p| p.split_once('='))
    }

    /// The value of `key`, if it has one.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs().find(|(k, _)| *k == key).map(|(_, v)| v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_canonical_and_bounded() {
        let l = Labels::parse(" tier=web, region=eu ").unwrap();
        assert_eq!(l.as_str(), "region=eu,tier=web");
        assert_eq!(l.get("tier"), Some("web"));
        assert_eq!(l.get("zone"), None);
        assert!(Labels::parse("").unwrap().is_empty());
        for bad in [
            "region",
            "Region=eu",
            "region=e u",
            "a=1,a=2",
            "k=",
            &"k=v,".repeat(9),
        ] {
            assert!(Labels::parse(bad).is_err(), "{bad}");
        }
        let long = format!("{}=v", "k".repeat(33));
        assert!(matches!(Labels::parse(&long), Err(InvalidLabels::Key(_))));
        let map: BTreeMap<String, String> =
            [("b".into(), "2".into()), ("a".into(), "1".into())].into();
        assert_eq!(Labels::from_map(&map).unwrap().as_str(), "a=1,b=2");
    }
}
