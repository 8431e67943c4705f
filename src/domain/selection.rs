//! `Selection`: which namespaces an edge pulls (`client.namespaces`) or a
//! `records.changes` asks for: some by name, or `["*"]`, every one the
//! caller may read.

use super::namespace::Namespace;

/// What `"*"` stands for in a list of namespaces.
pub const EVERY: &str = "*";

#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub enum Selection {
    /// These, sorted and without repeats (or as configured).
    Listed(Vec<Namespace>),
    /// Every namespace there is (that the caller may read), as it is when
    /// asked: new ones join, deleted ones go.
    #[default]
    Every,
}

/// Why a list of namespaces is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidSelection {
    #[error("\"*\" stands alone: [\"*\"] means every namespace")]
    StarWithOthers,
    #[error(transparent)]
    Name(#[from] super::InvalidNamespace),
}

impl Selection {
    /// `["*"]` or names.
    pub fn parse<S: Into<String>>(
        items: impl IntoIterator<Item = S>,
    ) -> Result<Selection, InvalidSelection> {
        let items: Vec<String> = items.into_iter().map(Into::into).collect();
        match items.as_slice() {
            [only] if only == EVERY => Ok(Selection::Every),
            _ if items.iter().any(|s| s == EVERY) => Err(InvalidSelection::StarWithOthers),
            _ => Ok(Selection::Listed(
                items
                    .into_iter()
                    .map(Namespace::parse)
                    .collect::<Result<_, _>>()?,
            )),
        }
    }

    /// Whether `ns` is selected.
    pub fn contains(&self, ns: &Namespace) -> bool {
        match self {
            Selection::Listed(names) => names.contains(ns),
            Selection::Every => true,
        }
    }

    /// The names listed (none for `Every`).
    pub fn listed(&self) -> &[Namespace] {
        match self {
            Selection::Listed(names) => names,
            Selection::Every => &[],
        }
    }
}

impl<'de> serde::Deserialize<'de> for Selection {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let items = Vec::<String>::deserialize(d)?;
        Selection::parse(items).map_err(serde::de::Error::custom)
    }
}

impl serde::Serialize for Selection {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Selection::Listed(names) => names.serialize(s),
            Selection::Every => [EVERY].serialize(s),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn star_alone_or_names() {
        assert_eq!(Selection::parse(["*"]), Ok(Selection::Every));
        let geo = Namespace::parse("geo").unwrap();
        assert_eq!(
            Selection::parse(["geo"]),
            Ok(Selection::Listed(vec![geo.clone()]))
        );
        assert_eq!(
            Selection::parse(["geo", "*"]),
            Err(InvalidSelection::StarWithOthers)
        );
        assert!(Selection::parse(["Geo"]).is_err());
        assert!(Selection::Every.contains(&geo));
        assert!(!Selection::Listed(vec![]).contains(&geo));
        let json = serde_json::to_string(&Selection::Every).unwrap();
        assert_eq!(json, r#"["*"]"#);
        assert_eq!(
            serde_json::from_str::<Selection>(&json).unwrap(),
            Selection::Every
        );
    }
}
