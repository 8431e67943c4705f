//! Streaming reader for `method`-mode replies: rows become items one at a
//! time, without building a JSON tree of the whole dataset (which would
//! cost several times its size in memory).

use std::borrow::Cow;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;
use serde_json::Value;

use super::protocol::{Item, Part, Pulled};
use super::PullError;
use crate::domain::Namespace;

/// Reads a reply whose `result` is an array of objects keyed by
/// `key_field`; each row is stamped as updated at `now_us` (such centers
/// send no revision or time of their own). The rows are one full part for
/// the `default` namespace; the caller names another
/// (`client.method_namespace`).
pub fn parse_rows(
    body: &[u8],
    key_field: &str,
    value_field: Option<&str>,
    now_us: i64,
) -> Result<Pulled, PullError> {
    let seed = ReplySeed {
        rows: RowsSeed {
            key_field,
            value_field,
            now: now_us,
        },
    };
    let mut de = serde_json::Deserializer::from_slice(body);
    let reply = seed.deserialize(&mut de).and_then(|r| de.end().map(|()| r));
    let (rows, error) = reply.map_err(|e| PullError::Malformed(e.to_string()))?;
    if let Some(error) = error.filter(|e| !e.is_null()) {
        return Err(super::protocol::rpc_error(&error));
    }
    match rows {
        Some(upserts) => Ok(Pulled {
            revision: None,
            full: true,
            parts: vec![Part::of(Namespace::default(), upserts, Vec::new())],
            gray: None,
        }),
        None => Err(PullError::Malformed("result is not an array".into())),
    }
}

struct ReplySeed<'a> {
    rows: RowsSeed<'a>,
}

impl<'de> DeserializeSeed<'de> for ReplySeed<'_> {
    type Value = (Option<Vec<Item>>, Option<Value>);
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ReplySeed<'_> {
    type Value = (Option<Vec<Item>>, Option<Value>);
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON-RPC reply object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let (mut rows, mut error) = (None, None);
        while let Some(key) = map.next_key::<Cow<'de, str>>()? {
            match key.as_ref() {
                "result" => rows = map.next_value_seed(RowsSeed { ..self.rows })?,
                "error" => error = Some(map.next_value::<Value>()?),
                _ => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok((rows, error))
    }
}

#[derive(Clone, Copy)]
struct RowsSeed<'a> {
    key_field: &'a str,
    value_field: Option<&'a str>,
    now: i64,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = Option<Vec<Item>>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = Option<Vec<Item>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an array of objects")
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element_seed(RowSeed {
            rows: self,
            index: items.len(),
        })? {
            items.push(item);
        }
        Ok(Some(items))
    }
}

struct RowSeed<'a> {
    rows: RowsSeed<'a>,
    index: usize,
}

impl<'de> DeserializeSeed<'de> for RowSeed<'_> {
    type Value = Item;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for RowSeed<'_> {
    type Value = Item;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "row {} as an object", self.index)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Item, A::Error> {
        let RowsSeed {
            key_field,
            value_field,
            now,
        } = self.rows;
        let (mut key, mut picked, mut whole) = (None, None, String::from("{"));
        // `records.list` rows carry the record's expiry, honoured as in
        // `changes` mode (an unreadable one refuses the reply).
        let mut expires_at_us = None;
        while let Some(name) = map.next_key::<Cow<'de, str>>()? {
            let raw: &RawValue = &map.next_value::<Box<RawValue>>()?;
            if name == "expires_at" {
                let at = serde_json::from_str::<String>(raw.get())
                    .ok()
                    .and_then(|t| crate::domain::parse_rfc3339_us(&t));
                expires_at_us = Some(at.ok_or_else(|| {
                    de::Error::custom(format!("row {}: bad expires_at {}", self.index, raw.get()))
                })?);
            }
            if name == key_field {
                key = match serde_json::from_str::<Value>(raw.get()) {
                    Ok(Value::String(s)) => Some(s),
                    Ok(n @ Value::Number(_)) => Some(n.to_string()),
                    _ => None,
                };
            }
            match value_field {
                Some(field) if name == field => picked = Some(raw.get().to_string()),
                Some(_) => {}
                None => {
                    if whole.len() > 1 {
                        whole.push(',');
                    }
                    whole.push_str(
                        &serde_json::to_string(name.as_ref()).map_err(de::Error::custom)?,
                    );
                    whole.push(':');
                    whole.push_str(raw.get());
                }
            }
        }
        let key = key.ok_or_else(|| {
            de::Error::custom(format!(
                "row {} has no string {key_field:?} field",
                self.index
            ))
        })?;
        let value = match value_field {
            Some(field) => picked.ok_or_else(|| {
                de::Error::custom(format!(
                    "row {} ({key:?}) has no {field:?} field",
                    self.index
                ))
            })?,
            None => {
                whole.push('}');
                whole
            }
        };
        Ok(Item {
            key,
            value,
            revision: 0,
            updated_at_us: now,
            expires_at_us,
        })
    }
}
