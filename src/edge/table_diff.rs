//! What changed between two versions of a namespace's `Table`: the
//! entries to write and the keys gone. A change set rebuilds only the
//! shards it touches and shares the others, so shards the two versions
//! share are skipped without a look inside (the local read store writes
//! a change in time proportional to the shards it touched).

use std::sync::Arc;

use super::shard::{EntryRef, Shard};
use super::table::Table;

/// Entries new or different in the newer table (value or expiry), and
/// keys it no longer holds.
#[derive(Debug, Default)]
pub struct TableChanges {
    pub put: Vec<EntryRef>,
    pub gone: Vec<String>,
}

/// What turns `old` into `new`.
pub fn changes(old: &Table, new: &Table) -> TableChanges {
    let mut out = TableChanges::default();
    for (o, n) in old.shards().iter().zip(new.shards()) {
        match (o, n) {
            (Some(a), Some(b)) if Arc::ptr_eq(a, b) => {}
            (None, None) => {}
            _ => shard_changes(o.as_ref(), n.as_ref(), &mut out),
        }
    }
    out
}

/// Every entry `table` holds, as changes from nothing.
pub fn everything(table: &Table) -> TableChanges {
    changes(&Table::empty(), table)
}

fn shard_changes(old: Option<&Arc<Shard>>, new: Option<&Arc<Shard>>, out: &mut TableChanges) {
    let find = |shard: Option<&Arc<Shard>>, key: &str| {
        let shard = shard?;
        shard.find(key).map(|i| EntryRef::new(shard.clone(), i))
    };
    if let Some(new_shard) = new {
        for i in 0..new_shard.len() {
            let entry = EntryRef::new(new_shard.clone(), i);
            let same = find(old, entry.key()).is_some_and(|was| {
                was.value() == entry.value() && was.expires_at_us() == entry.expires_at_us()
            });
            if !same {
                out.put.push(entry);
            }
        }
    }
    if let Some(old_shard) = old {
        for i in 0..old_shard.len() {
            let entry = EntryRef::new(old_shard.clone(), i);
            if find(new, entry.key()).is_none() {
                out.gone.push(entry.key().to_string());
            }
        }
    }
}
