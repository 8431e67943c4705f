//! Records as the API shows them, and the bookkeeping behind `records.changes`.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::value::RawValue;

/// One live record as `records.list`, `records.get` and `records.changes` return it.
#[derive(Debug, Clone, Serialize)]
pub struct Record {
    pub key: String,
    pub value: Box<RawValue>,
    pub revision: i64,
    /// RFC 3339, UTC, microseconds.
    pub updated_at: String,
    /// When the center deletes it (RFC 3339, UTC, microseconds); absent
    /// for a record that does not expire.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

/// What `records.search` looks for in a namespace's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordSearch {
    pub prefix: Option<String>,
    /// Case-insensitive substring of the key.
    pub contains: Option<String>,
    /// Only keys after this one (the previous page's `next`).
    pub after: Option<String>,
    pub limit: usize,
}

/// A row of the store, live or a tombstone, as the database holds it.
///
/// `born` is the revision that began the key's latest live span; `gone` is the
/// revision of the delete that ended the span before it (0 if none is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRecord {
    pub namespace: String,
    pub key: String,
    pub value: String,
    pub revision: i64,
    pub updated_at_us: i64,
    pub deleted: bool,
    pub born: i64,
    pub gone: i64,
    /// When the record expires (µs since the epoch), if it does.
    pub expires_at_us: Option<i64>,
}

/// What a successful put at `revision` makes of the row that was there.
pub fn after_put(existing: Option<&StoredRecord>, revision: i64) -> (i64, i64) {
    match existing {
        Some(row) if !row.deleted => (row.born, row.gone),
        Some(tombstone) => (revision, tombstone.revision),
        None => (revision, 0),
    }
}

/// How one row changed for a client that has seen everything up to `since`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NetChange {
    Unchanged,
    Upsert,
    Delete,
}

/// The net change of `row` since `since`.
///
/// A tombstone whose key was created after `since` and not deleted before it
/// in between (`gone <= since < born`) was never seen by the client: it is
/// left out. When the key went through several lives since `since`, the
/// delete is reported, which is harmless for a client that lacks the key.
pub fn net_change(since: i64, row: &StoredRecord) -> NetChange {
    if row.revision <= since {
        NetChange::Unchanged
    } else if !row.deleted {
        NetChange::Upsert
    } else if row.born > since && row.gone <= since {
        NetChange::Unchanged
    } else {
        NetChange::Delete
    }
}

impl StoredRecord {
    /// The API view of a live row; `None` if the stored value is not JSON.
    pub fn to_record(&self) -> Option<Record> {
        Some(Record {
            key: self.key.clone(),
            value: RawValue::from_string(self.value.clone()).ok()?,
            revision: self.revision,
            updated_at: format_timestamp(self.updated_at_us),
            expires_at: self.expires_at_us.map(format_timestamp),
        })
    }
}

/// Microseconds since the Unix epoch, now.
pub fn now_us() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_micros() as i64)
        .unwrap_or(0)
}

/// RFC 3339 UTC with microseconds, e.g. `2026-11-24T14:37:00.123456Z`.
pub fn format_timestamp(us: i64) -> String {
    let t = UNIX_EPOCH + Duration::from_micros(us.max(0) as u64);
    humantime::format_rfc3339_micros(t).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    /// Applies puts (`Some`) and deletes (`None`) the way the store does,
    /// keeping the full history, then checks `net_change` against it for
    /// every `since`.
    fn check_history(ops: &[(u8, Option<u8>)]) {
        let mut rows: BTreeMap<u8, StoredRecord> = BTreeMap::new();
        let mut history: Vec<BTreeMap<u8, u8>> = vec![BTreeMap::new()];
        let mut live: BTreeMap<u8, u8> = BTreeMap::new();
        let mut revision = 0;
        for &(key, value) in ops {
            match value {
                Some(v) => {
                    revision += 1;
                    let (born, gone) = after_put(rows.get(&key), revision);
                    rows.insert(key, row(key, v, revision, false, born, gone));
                    live.insert(key, v);
                }
                None if live.contains_key(&key) => {
                    revision += 1;
                    let r = rows.get_mut(&key).unwrap();
                    r.revision = revision;
                    r.deleted = true;
                    live.remove(&key);
                }
                None => continue, // deleting a missing key takes no revision
            }
            history.push(live.clone());
        }
        for since in 0..=revision {
            let then = &history[since as usize];
            for (key, r) in &rows {
                let change = net_change(since, r);
                let (was, is) = (then.get(key), live.get(key));
                match change {
                    NetChange::Upsert => assert!(is.is_some() && r.revision > since),
                    NetChange::Delete => assert!(is.is_none(), "delete of a live key"),
                    NetChange::Unchanged => {
                        assert_eq!(was, is, "missed change of {key} since {since}")
                    }
                }
                if was.is_some() && is.is_none() {
                    assert_eq!(
                        change,
                        NetChange::Delete,
                        "missed delete of {key} since {since}"
                    );
                }
            }
        }
    }

    fn row(key: u8, v: u8, revision: i64, deleted: bool, born: i64, gone: i64) -> StoredRecord {
        StoredRecord {
            namespace: "default".to_string(),
            key: key.to_string(),
            value: v.to_string(),
            revision,
            updated_at_us: 0,
            deleted,
            born,
            gone,
            expires_at_us: None,
        }
    }

    #[test]
    fn created_then_deleted_appears_nowhere() {
        // rev 1: put a; rev 2: delete a. Since 0 nothing; since 1 a delete.
        let tomb = row(1, 0, 2, true, 1, 0);
        assert_eq!(net_change(0, &tomb), NetChange::Unchanged);
        assert_eq!(net_change(1, &tomb), NetChange::Delete);
        assert_eq!(net_change(2, &tomb), NetChange::Unchanged);
    }

    #[test]
    fn deleted_then_recreated_is_an_upsert() {
        check_history(&[(1, Some(1)), (1, None), (1, Some(2))]);
        let recreated = row(1, 2, 3, false, 3, 2);
        assert_eq!(net_change(1, &recreated), NetChange::Upsert);
    }

    #[test]
    fn timestamps_are_rfc3339_utc() {
        assert_eq!(
            format_timestamp(1_700_000_000_123_456),
            "2023-11-14T22:13:20.123456Z"
        );
    }

    proptest! {
        #[test]
        fn net_change_matches_history(ops in proptest::collection::vec((0u8..4, proptest::option::of(0u8..3)), 0..40)) {
            check_history(&ops);
        }
    }
}
