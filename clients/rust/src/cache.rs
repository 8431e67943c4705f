//! A namespace's values kept in the reader's memory (`Namespace::cached`),
//! for reads at hash-map speed where LMDB's B-tree search misses the CPU's
//! caches. Every read still renews its short read transaction; the cache
//! holds values read in the store's current transaction (LMDB's id of the
//! last commit) and is emptied when that id moves, so a read answers
//! exactly what the store holds. Bounded in bytes: full, it empties.

use std::collections::HashMap;

use lmdb::{Database, RoTransaction, Transaction};

/// Values read since the store last changed.
pub(crate) struct Cache {
    /// The transaction id the values were read in.
    txn_id: usize,
    map: HashMap<Box<str>, Option<Box<[u8]>>>,
    bytes: usize,
    max_bytes: usize,
}

/// What a read costs the cache besides its value: the key, the entry.
const ENTRY_OVERHEAD: usize = 64;

impl Cache {
    pub(crate) fn new(max_bytes: usize) -> Cache {
        Cache {
            txn_id: 0,
            map: HashMap::new(),
            bytes: 0,
            max_bytes,
        }
    }

    /// The stored bytes under `key` (`None`: not there) as `txn` sees
    /// them, from the cache while the store has not changed.
    pub(crate) fn stored<'c>(
        &'c mut self,
        txn: &RoTransaction<'_>,
        db: Database,
        key: &str,
    ) -> Result<Option<&'c [u8]>, lmdb::Error> {
        // SAFETY: `txn` is a live read transaction; mdb_txn_id only reads it.
        let id = unsafe { lmdb_sys::mdb_txn_id(txn.txn()) };
        if id != self.txn_id {
            self.clear();
            self.txn_id = id;
        }
        if !self.map.contains_key(key) {
            let stored: Option<Box<[u8]>> = match txn.get(db, &key) {
                Ok(v) => Some(Box::from(v)),
                Err(lmdb::Error::NotFound) => None,
                Err(e) => return Err(e),
            };
            let cost = key.len() + stored.as_deref().map_or(0, <[u8]>::len);
            if self.bytes + cost + ENTRY_OVERHEAD > self.max_bytes {
                self.clear();
            }
            self.bytes += cost + ENTRY_OVERHEAD;
            self.map.insert(key.into(), stored);
        }
        Ok(self.map.get(key).and_then(|v| v.as_deref()))
    }

    fn clear(&mut self) {
        self.map.clear();
        self.bytes = 0;
    }
}
