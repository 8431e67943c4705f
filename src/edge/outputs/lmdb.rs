//! The local read store: an `[[output]]` with `format = "lmdb"` keeps an
//! LMDB environment in its directory for local programs to read
//! (`clients/`). One named database per namespace, a meta database
//! (`_syncdict`: the format, the revision, the namespaces held), and each
//! applied change one write transaction, so a reader sees a change whole
//! or not at all. Only what changed since the last write is written
//! (`table_diff`). The encoding is ARCHITECTURE.md's "The local read
//! store"; LMDB's commit keeps the store whole if the edge dies mid-write.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use lmdb::{
    Database, DatabaseFlags, Environment, EnvironmentFlags, RwTransaction, Transaction, WriteFlags,
};

use super::OutputError;
use crate::configuration::{OutputFormat, OutputSettings};
use crate::domain::Namespace;
use crate::edge::store::EdgeStore;
use crate::edge::table_diff::{changes, everything, TableChanges};

/// The meta database's name (a namespace name never starts with `_`).
pub const META: &str = "_syncdict";
/// The encoding version readers check (`format` in the meta database).
pub const FORMAT: &str = "1";
/// The smallest map; it doubles whenever a write does not fit.
const MIN_MAP: usize = 64 << 20;

/// Why the store could not be opened or written.
#[derive(Debug, thiserror::Error)]
pub enum LocalError {
    #[error("cannot create the directory: {0}")]
    Directory(#[from] std::io::Error),
    #[error("LMDB: {0}")]
    Lmdb(#[from] lmdb::Error),
}

/// What one write changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub put: usize,
    pub deleted: usize,
    /// Namespaces emptied because the edge no longer holds them.
    pub dropped: usize,
}

/// The store, its databases (opened once), and what it holds: the tables
/// it was last written from.
pub struct LocalStore {
    env: Environment,
    meta: Database,
    namespaces: Vec<(Namespace, Database)>,
    held: HashMap<Namespace, Arc<crate::edge::table::Table>>,
}

impl LocalStore {
    /// Opens (or creates) the store in `dir` for `namespaces`, its map
    /// sized from the edge's budgets (`capacity` bytes, four times over),
    /// its files created with `mode`. Data already there is replaced whole by
    /// the first write.
    pub fn open(
        dir: &Path,
        namespaces: &[Namespace],
        capacity: u64,
        mode: u32,
    ) -> Result<LocalStore, LocalError> {
        let wanted = page_rounded((capacity as usize).saturating_mul(4).max(MIN_MAP));
        Self::open_mapped(dir, namespaces, wanted, mode)
    }

    /// `open` with a map of `wanted` bytes to start with.
    fn open_mapped(
        dir: &Path,
        namespaces: &[Namespace],
        wanted: usize,
        mode: u32,
    ) -> Result<LocalStore, LocalError> {
        std::fs::create_dir_all(dir)?;
        // The directory is this output's alone (validate refuses two outputs
        // on one path); other processes only read, through the lock file.
        // NO_META_SYNC: one flush a commit instead of two; LMDB keeps the
        // store whole through any crash, and one of the machine may undo the
        // last change, which the edge writes again from its snapshot.
        let env = Environment::new()
            .set_flags(EnvironmentFlags::NO_META_SYNC)
            .set_map_size(wanted)
            .set_max_dbs(namespaces.len() as u32 + 1)
            .open_with_permissions(dir, mode)?;
        let create = |name: &str| env.create_db(Some(name), DatabaseFlags::empty());
        let meta = create(META)?;
        let namespaces = namespaces
            .iter()
            .map(|ns| Ok((ns.clone(), create(ns.as_str())?)))
            .collect::<Result<Vec<_>, lmdb::Error>>()?;
        Ok(LocalStore {
            env,
            meta,
            namespaces,
            held: HashMap::new(),
        })
    }

    /// Writes what changed in `store` since the last write, in one
    /// transaction; the map doubles (and the write is tried again) when it
    /// does not fit.
    pub fn write(&mut self, store: &EdgeStore) -> Result<Written, LocalError> {
        let tables: Vec<(Namespace, Option<Arc<crate::edge::table::Table>>)> = self
            .namespaces
            .iter()
            .map(|(ns, _)| (ns.clone(), store.table(ns)))
            .collect();
        let revision = store.revision();
        loop {
            match self.try_write(&tables, revision) {
                Err(LocalError::Lmdb(lmdb::Error::MapFull)) => {
                    // No transaction of this environment is open in this
                    // process (the failed one was dropped), as LMDB asks.
                    let map_size = page_rounded(self.map_size()?.saturating_mul(2));
                    tracing::info!(map_size, "local read store grown");
                    self.env.set_map_size(map_size)?;
                }
                Ok(written) => {
                    self.held = tables
                        .into_iter()
                        .filter_map(|(ns, t)| Some((ns, t?)))
                        .collect();
                    return Ok(written);
                }
                Err(e) => return Err(e),
            }
        }
    }

    fn try_write(
        &self,
        tables: &[(Namespace, Option<Arc<crate::edge::table::Table>>)],
        revision: i64,
    ) -> Result<Written, LocalError> {
        let mut written = Written::default();
        let mut txn = self.env.begin_rw_txn()?;
        let mut present = Vec::new();
        let dbs = self.namespaces.iter().map(|(_, db)| *db);
        for ((ns, table), db) in tables.iter().zip(dbs) {
            if let Some(table) = table {
                present.push(ns.as_str());
                self.write_namespace(&mut txn, db, (ns, table), &mut written)?;
            } else if self.held.contains_key(ns) || !is_empty(&txn, db)? {
                txn.clear_db(db)?;
                written.dropped += 1;
            }
        }
        let none = WriteFlags::empty();
        txn.put(self.meta, &"format", &FORMAT, none)?;
        txn.put(self.meta, &"revision", &revision.to_string(), none)?;
        let names = serde_json::to_vec(&present).unwrap_or_default();
        txn.put(self.meta, &"namespaces", &names, none)?;
        txn.commit()?;
        Ok(written)
    }

    /// The map's size now (it grows when a write does not fit).
    fn map_size(&self) -> Result<usize, LocalError> {
        Ok(self.env.info()?.map_size())
    }

    /// Writes what changed in `ns` since the store last held it (all of
    /// it, the first time since the edge started: whatever a previous run
    /// left is replaced whole).
    fn write_namespace(
        &self,
        txn: &mut RwTransaction,
        db: Database,
        (ns, table): (&Namespace, &Arc<crate::edge::table::Table>),
        written: &mut Written,
    ) -> Result<(), LocalError> {
        let change = match self.held.get(ns) {
            Some(old) if Arc::ptr_eq(old, table) => return Ok(()),
            Some(old) => changes(old, table),
            None => {
                txn.clear_db(db)?;
                everything(table)
            }
        };
        apply(txn, db, &change, written)
    }
}

/// Whether `db` holds nothing.
fn is_empty(txn: &RwTransaction, db: Database) -> Result<bool, LocalError> {
    use lmdb::Cursor;
    let mut cursor = txn.open_ro_cursor(db)?;
    Ok(cursor.iter_start().next().is_none())
}

/// Puts and deletes `change` in `db`.
fn apply(
    txn: &mut RwTransaction,
    db: Database,
    change: &TableChanges,
    written: &mut Written,
) -> Result<(), LocalError> {
    let mut value = Vec::new();
    for entry in &change.put {
        encode(entry.expires_at_us(), entry.value(), &mut value);
        txn.put(db, &entry.key(), &value, WriteFlags::empty())?;
        written.put += 1;
    }
    for key in &change.gone {
        match txn.del(db, key, None) {
            Ok(()) => written.deleted += 1,
            Err(lmdb::Error::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Ok(())
}

/// The local read store of an `lmdb` output, opened (failing start when
/// it cannot be).
pub(super) fn open_local(
    o: &OutputSettings,
    store: &EdgeStore,
) -> Result<Option<Local>, OutputError> {
    if o.format != OutputFormat::Lmdb {
        return Ok(None);
    }
    let mode = o.mode_bits().unwrap_or(0o644);
    let opened = LocalStore::open(&o.path, &o.namespaces, store.capacity(), mode);
    let local = opened.map_err(|e| OutputError {
        output: o.name(),
        why: e.to_string(),
    })?;
    Ok(Some(Arc::new(Mutex::new(local))))
}

/// An output's local read store, written off the async workers.
pub(super) type Local = Arc<Mutex<LocalStore>>;

/// A record as the store keeps it: its expiry (µs since the epoch, 0 for
/// none) as 8 bytes big-endian, then the value's JSON text.
pub fn encode(expires_at_us: Option<i64>, json: &str, out: &mut Vec<u8>) {
    out.clear();
    out.extend_from_slice(&expires_at_us.unwrap_or(0).to_be_bytes());
    out.extend_from_slice(json.as_bytes());
}

fn page_rounded(bytes: usize) -> usize {
    const PAGE: usize = 4096;
    bytes.div_ceil(PAGE) * PAGE
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_its_expiry_then_its_json() {
        let mut out = Vec::new();
        encode(Some(1_700_000_000_000_000), r#"{"a":1}"#, &mut out);
        assert_eq!(&out[..8], &1_700_000_000_000_000i64.to_be_bytes());
        assert_eq!(&out[8..], br#"{"a":1}"#);
        encode(None, "1", &mut out);
        assert_eq!(out, [0, 0, 0, 0, 0, 0, 0, 0, b'1']);
    }

    #[test]
    fn a_write_that_does_not_fit_grows_the_map() {
        use crate::edge::protocol::{Item, Part, Pulled};
        let dir = tempfile::tempdir().unwrap();
        let ns = Namespace::default();
        let mut local =
            LocalStore::open_mapped(dir.path(), std::slice::from_ref(&ns), 1 << 20, 0o600).unwrap();
        let item = |i: usize| Item {
            key: format!("key-{i:06}"),
            value: format!("\"{}\"", "x".repeat(100)),
            revision: 1,
            updated_at_us: 0,
            expires_at_us: None,
        };
        let store = EdgeStore::new(64 << 20);
        let pulled = Pulled {
            revision: Some(1),
            full: true,
            parts: vec![Part::of(
                ns.clone(),
                (0..20_000).map(item).collect(),
                vec![],
            )],
            gray: None,
        };
        store.apply(&pulled, None).unwrap();
        let written = local.write(&store).unwrap();
        assert_eq!(written.put, 20_000);
        let map_size = local.map_size().unwrap();
        assert!(map_size >= 4 << 20, "grown: {map_size}");
        let db = local.namespaces[0].1;
        let txn = local.env.begin_ro_txn().unwrap();
        let stored = txn.get(db, &"key-019999").unwrap();
        assert_eq!(&stored[8..], format!("\"{}\"", "x".repeat(100)).as_bytes());
        // Nothing changed: nothing written.
        drop(txn);
        assert_eq!(local.write(&store).unwrap(), Written::default());
    }

    #[test]
    fn maps_are_whole_pages() {
        assert_eq!(page_rounded(1), 4096);
        assert_eq!(page_rounded(8192), 8192);
    }
}
