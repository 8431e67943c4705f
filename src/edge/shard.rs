//! `Shard`: an immutable, compact slice of the edge's dataset (one string
//! buffer and a sorted slot table), rebuilt whole when any of its keys change.

use std::sync::Arc;

/// Bytes counted per entry on top of key and value.
pub const ENTRY_OVERHEAD: u64 = 48;

/// How many shards the key space is split into.
pub const SHARDS: u16 = 256;

pub fn weight(key: &str, value: &str) -> u64 {
    key.len() as u64 + value.len() as u64 + ENTRY_OVERHEAD
}

/// Which shard holds `key` (FNV-1a, stable across runs).
pub fn shard_of(key: &str) -> u16 {
    (super::fnv1a(super::FNV_OFFSET, key.as_bytes()) % SHARDS as u64) as u16
}

#[derive(Debug, Clone, Copy)]
struct Slot {
    key_off: u32,
    key_len: u32,
    value_len: u32,
    revision: i64,
    updated_at_us: i64,
}

/// One entry to put in a shard.
pub struct Row<'a> {
    pub key: &'a str,
    pub value: &'a str,
    pub revision: i64,
    pub updated_at_us: i64,
}

#[derive(Debug)]
pub struct Shard {
    /// Each entry's key then value, back to back.
    text: Box<str>,
    /// Sorted by key, keys unique.
    slots: Box<[Slot]>,
    weight: u64,
}

impl Shard {
    /// Builds a shard; of rows with the same key, the last one wins.
    pub fn build(mut rows: Vec<Row<'_>>) -> Shard {
        rows.reverse(); // so the stable sort keeps the last duplicate first
        rows.sort_by(|a, b| a.key.cmp(b.key));
        rows.dedup_by(|later, first| later.key == first.key);
        let mut text =
            String::with_capacity(rows.iter().map(|r| r.key.len() + r.value.len()).sum());
        let mut slots = Vec::with_capacity(rows.len());
        let mut weight = 0;
        for row in &rows {
            slots.push(Slot {
                key_off: text.len() as u32,
                key_len: row.key.len() as u32,
                value_len: row.value.len() as u32,
                revision: row.revision,
                updated_at_us: row.updated_at_us,
            });
            text.push_str(row.key);
            text.push_str(row.value);
            weight += weight_of(row);
        }
        Shard {
            text: text.into_boxed_str(),
            slots: slots.into_boxed_slice(),
            weight,
        }
    }

    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// Bytes counted against `client.cache_size`.
    pub fn weight(&self) -> u64 {
        self.weight
    }

    pub fn find(&self, key: &str) -> Option<usize> {
        self.slots
            .binary_search_by(|s| self.key_of(s).cmp(key))
            .ok()
    }

    fn key_of(&self, s: &Slot) -> &str {
        &self.text[s.key_off as usize..(s.key_off + s.key_len) as usize]
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        self.slots.iter().map(|s| {
            let value_off = (s.key_off + s.key_len) as usize;
            Row {
                key: self.key_of(s),
                value: &self.text[value_off..value_off + s.value_len as usize],
                revision: s.revision,
                updated_at_us: s.updated_at_us,
            }
        })
    }
}

fn weight_of(row: &Row<'_>) -> u64 {
    weight(row.key, row.value)
}

/// One entry of a shard, kept alive by the shard it points into.
#[derive(Debug, Clone)]
pub struct EntryRef {
    shard: Arc<Shard>,
    index: usize,
}

impl EntryRef {
    pub fn new(shard: Arc<Shard>, index: usize) -> Self {
        EntryRef { shard, index }
    }

    fn slot(&self) -> &Slot {
        &self.shard.slots[self.index]
    }

    pub fn key(&self) -> &str {
        self.shard.key_of(self.slot())
    }

    /// JSON text.
    pub fn value(&self) -> &str {
        let s = self.slot();
        let off = (s.key_off + s.key_len) as usize;
        &self.shard.text[off..off + s.value_len as usize]
    }

    pub fn revision(&self) -> i64 {
        self.slot().revision
    }

    pub fn updated_at_us(&self) -> i64 {
        self.slot().updated_at_us
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row<'a>(key: &'a str, value: &'a str) -> Row<'a> {
        Row {
            key,
            value,
            revision: 1,
            updated_at_us: 0,
        }
    }

    #[test]
    fn finds_keys_and_keeps_the_last_duplicate() {
        let shard = Arc::new(Shard::build(vec![
            row("b", "2"),
            row("a", "1"),
            row("b", "22"),
            row("ключ", "\"v\""),
        ]));
        assert_eq!(shard.len(), 3);
        let b = EntryRef::new(shard.clone(), shard.find("b").unwrap());
        assert_eq!((b.key(), b.value()), ("b", "22"));
        assert!(shard.find("c").is_none());
        let keys: Vec<&str> = shard.rows().map(|r| r.key).collect();
        assert_eq!(keys, ["a", "b", "ключ"]);
        assert_eq!(
            shard.weight(),
            (1 + 1 + 48) + (1 + 2 + 48) + ("ключ".len() as u64 + 3 + 48)
        );
    }
}
