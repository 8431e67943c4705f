//! `Shard`: an immutable, compact slice of the edge's dataset (one string
//! buffer and a sorted slot table), rebuilt whole when any of its keys change.
//! Expiries sit in a side table of their own (most records have none, so
//! a slot stays 32 bytes); an entry past its expiry is still held (the
//! center's delete removes it, and the digest counts it until then) but
//! no longer served (`EntryRef::live_at`).

use std::sync::Arc;

/// Bytes counted per entry on top of key and value.
pub const ENTRY_OVERHEAD: u64 = 48;
/// Bytes counted on top of that for an entry that expires.
pub const EXPIRY_OVERHEAD: u64 = 16;

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
    /// When the center deletes it (µs since the epoch), if it expires.
    pub expires_at_us: Option<i64>,
}

#[derive(Debug)]
pub struct Shard {
    /// Each entry's key then value, back to back.
    text: Box<str>,
    /// Sorted by key, keys unique.
    slots: Box<[Slot]>,
    /// `(slot index, expiry)` of the entries that expire, by index.
    expiries: Box<[(u32, i64)]>,
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
        let mut expiries = Vec::new();
        let mut weight = 0;
        for row in &rows {
            if let Some(at) = row.expires_at_us {
                expiries.push((slots.len() as u32, at));
            }
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
            expiries: expiries.into_boxed_slice(),
            weight,
        }
    }

    /// The expiry of the entry at `index`, if it has one.
    fn expiry(&self, index: usize) -> Option<i64> {
        let found = self.expiries.binary_search_by_key(&(index as u32), |e| e.0);
        found.ok().map(|i| self.expiries[i].1)
    }

    /// The soonest expiry in the shard after `now_us`, if any.
    pub fn next_expiry_after(&self, now_us: i64) -> Option<i64> {
        self.expiries
            .iter()
            .map(|e| e.1)
            .filter(|&at| at > now_us)
            .min()
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

    fn value_of(&self, s: &Slot) -> &str {
        let off = (s.key_off + s.key_len) as usize;
        &self.text[off..off + s.value_len as usize]
    }

    /// The value (JSON text) at `index`, unless it expired by `now_us`:
    /// a read that borrows the shard rather than sharing it (`EntryRef`).
    pub fn live_value(&self, index: usize, now_us: i64) -> Option<&str> {
        let expired = self.expiry(index).is_some_and(|at| at <= now_us);
        (!expired).then(|| self.value_of(&self.slots[index]))
    }

    pub fn rows(&self) -> impl Iterator<Item = Row<'_>> {
        let mut expiries = self.expiries.iter().peekable();
        self.slots.iter().enumerate().map(move |(i, s)| {
            let value_off = (s.key_off + s.key_len) as usize;
            Row {
                key: self.key_of(s),
                value: &self.text[value_off..value_off + s.value_len as usize],
                revision: s.revision,
                updated_at_us: s.updated_at_us,
                expires_at_us: expiries.next_if(|e| e.0 as usize == i).map(|e| e.1),
            }
        })
    }
}

fn weight_of(row: &Row<'_>) -> u64 {
    weight(row.key, row.value) + row.expires_at_us.map_or(0, |_| EXPIRY_OVERHEAD)
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
        self.shard.value_of(self.slot())
    }

    pub fn revision(&self) -> i64 {
        self.slot().revision
    }

    pub fn updated_at_us(&self) -> i64 {
        self.slot().updated_at_us
    }

    /// When the center deletes it, if it expires.
    pub fn expires_at_us(&self) -> Option<i64> {
        self.shard.expiry(self.index)
    }

    /// Served at `now_us`: it does not expire, or not yet.
    pub fn live_at(&self, now_us: i64) -> bool {
        self.expires_at_us().is_none_or(|at| at > now_us)
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
            expires_at_us: None,
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

    #[test]
    fn expiries_follow_their_entries() {
        let expiring = |key, at| Row {
            expires_at_us: Some(at),
            ..row(key, "1")
        };
        let shard = Arc::new(Shard::build(vec![
            expiring("c", 30),
            row("b", "2"),
            expiring("a", 10),
            row("d", "4"),
        ]));
        let at: Vec<(&str, Option<i64>)> = shard.rows().map(|r| (r.key, r.expires_at_us)).collect();
        assert_eq!(
            at,
            [("a", Some(10)), ("b", None), ("c", Some(30)), ("d", None)]
        );
        assert_eq!(shard.next_expiry_after(0), Some(10));
        assert_eq!(shard.next_expiry_after(10), Some(30));
        assert_eq!(shard.next_expiry_after(30), None);
        let a = EntryRef::new(shard.clone(), shard.find("a").unwrap());
        let b = EntryRef::new(shard.clone(), shard.find("b").unwrap());
        assert_eq!(a.expires_at_us(), Some(10));
        assert!(a.live_at(9) && !a.live_at(10), "gone at its time");
        assert!(b.live_at(i64::MAX), "no expiry: always served");
        let (ia, ib) = (shard.find("a").unwrap(), shard.find("b").unwrap());
        assert_eq!(shard.live_value(ia, 9), Some("1"));
        assert_eq!(
            shard.live_value(ia, 10),
            None,
            "a borrowed read honours it too"
        );
        assert_eq!(shard.live_value(ib, i64::MAX), Some("2"));
        assert_eq!(shard.weight(), 4 * (1 + 1 + 48) + 2 * EXPIRY_OVERHEAD);
    }
}
