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
use std::sync::Arc;

use lmdb::{
    Database, DatabaseFlags, Environment, EnvironmentFlags, RwTransaction, Transaction, WriteFlags,
};

use crate::domain::Namespace;
use crate::edge::store::EdgeStore;
use crate::edge::table_diff::{changes, everything, TableChanges};

/// The meta database's name (a namespace name never starts with `_`).
pub const META: &str = "_syncdict";
/// The encoding version readers check (`format` in the meta database).
pub const FORMAT: &str = "1";
/// The meta database's key for the boot of the machine the store was
/// written in (`boot_id`): commits are not flushed, so after the machine
/// restarts readers refuse the store and the edge makes it anew.
pub const BOOT: &str = "boot";
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

/// What writes changed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub put: usize,
    pub deleted: usize,
    /// Namespaces emptied because the edge no longer holds them.
    pub dropped: usize,
}

impl Written {
    fn add(&mut self, other: Written) {
        self.put += other.put;
        self.deleted += other.deleted;
        self.dropped += other.dropped;
    }
}

/// The store, its databases (opened once), and what it holds: the tables
/// it was last written from.
pub struct LocalStore {
    env: Environment,
    meta: Database,
    namespaces: Vec<(Namespace, Database)>,
    /// The tables last written, `None` before the first write.
    held: Option<HashMap<Namespace, Arc<crate::edge::table::Table>>>,
    /// What writes changed since the output last reported them.
    unreported: Written,
    /// The revision and namespaces the meta database holds.
    last_meta: Option<(i64, Vec<Namespace>)>,
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

    /// `open` with a map of `wanted` bytes to start with. A store written
    /// before the machine last started is removed first (see `BOOT`).
    pub(super) fn open_mapped(
        dir: &Path,
        namespaces: &[Namespace],
        wanted: usize,
        mode: u32,
    ) -> Result<LocalStore, LocalError> {
        std::fs::create_dir_all(dir)?;
        let boot = boot_id();
        let mut env = Self::environment(dir, namespaces, wanted, mode)?;
        // A store the machine may have torn can fail to read at all.
        let written_in = env
            .create_db(Some(META), DatabaseFlags::empty())
            .and_then(|meta| written_in_boot(&env, meta));
        if written_in
            .as_ref()
            .map_or(true, |b| b.as_ref().is_some_and(|b| *b != boot))
        {
            tracing::warn!(dir = %dir.display(), read = ?written_in.err(), "local read store written before the machine restarted: made anew");
            drop(env);
            for file in ["data.mdb", "lock.mdb"] {
                match std::fs::remove_file(dir.join(file)) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                    _ => {}
                }
            }
            env = Self::environment(dir, namespaces, wanted, mode)?;
        }
        let create = |name: &str| env.create_db(Some(name), DatabaseFlags::empty());
        let meta = create(META)?;
        let mut txn = env.begin_rw_txn()?;
        txn.put(meta, &BOOT, &boot, WriteFlags::empty())?;
        txn.commit()?;
        let namespaces = namespaces
            .iter()
            .map(|ns| Ok((ns.clone(), create(ns.as_str())?)))
            .collect::<Result<Vec<_>, lmdb::Error>>()?;
        Ok(LocalStore {
            env,
            meta,
            namespaces,
            held: None,
            unreported: Written::default(),
            last_meta: None,
        })
    }

    /// The environment in `dir`. The directory is this output's alone
    /// (validate refuses two outputs on one path); other processes only
    /// read, through the lock file. NO_SYNC: a commit is written but not
    /// flushed (9 µs a commit where a flush took 0.1-4 ms, all of it before
    /// readers saw the change). LMDB keeps the store whole through a crash
    /// of the edge; one of the machine may leave it torn, so a store is
    /// only read (and kept) in the boot that wrote it.
    fn environment(
        dir: &Path,
        namespaces: &[Namespace],
        wanted: usize,
        mode: u32,
    ) -> Result<Environment, LocalError> {
        Ok(Environment::new()
            .set_flags(EnvironmentFlags::NO_SYNC)
            .set_map_size(wanted)
            .set_max_dbs(namespaces.len() as u32 + 1)
            .open_with_permissions(dir, mode)?)
    }

    /// Whether the store was written since the edge started: a later
    /// write is only what changed.
    pub fn is_primed(&self) -> bool {
        self.held.is_some()
    }

    /// What writes changed since this was last asked.
    pub fn take_written(&mut self) -> Written {
        std::mem::take(&mut self.unreported)
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
                Ok((written, meta)) => {
                    self.last_meta = Some(meta);
                    self.held = Some(
                        tables
                            .into_iter()
                            .filter_map(|(ns, t)| Some((ns, t?)))
                            .collect(),
                    );
                    self.unreported.add(written);
                    return Ok(written);
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Writes the change in one transaction, and commits it unless it
    /// changed nothing (the apply wrote it already).
    fn try_write(
        &self,
        tables: &[(Namespace, Option<Arc<crate::edge::table::Table>>)],
        revision: i64,
    ) -> Result<(Written, (i64, Vec<Namespace>)), LocalError> {
        let mut written = Written::default();
        let mut txn = self.env.begin_rw_txn()?;
        let mut present = Vec::new();
        let dbs = self.namespaces.iter().map(|(_, db)| *db);
        for ((ns, table), db) in tables.iter().zip(dbs) {
            if let Some(table) = table {
                present.push(ns.clone());
                self.write_namespace(&mut txn, db, (ns, table), &mut written)?;
            } else if self.holds(ns) || !is_empty(&txn, db)? {
                txn.clear_db(db)?;
                written.dropped += 1;
            }
        }
        let meta = (revision, present);
        if written == Written::default() && self.last_meta.as_ref() == Some(&meta) {
            return Ok((written, meta));
        }
        let none = WriteFlags::empty();
        txn.put(self.meta, &"format", &FORMAT, none)?;
        txn.put(self.meta, &"revision", &revision.to_string(), none)?;
        let names = serde_json::to_vec(&meta.1).unwrap_or_default();
        txn.put(self.meta, &"namespaces", &names, none)?;
        txn.commit()?;
        Ok((written, meta))
    }

    fn holds(&self, ns: &Namespace) -> bool {
        self.held.as_ref().is_some_and(|held| held.contains_key(ns))
    }

    /// The map's size now (it grows when a write does not fit).
    pub(super) fn map_size(&self) -> Result<usize, LocalError> {
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
        let change = match self.held.as_ref().and_then(|held| held.get(ns)) {
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

/// The boot the store was last opened in (`BOOT`), if it says.
fn written_in_boot(env: &Environment, meta: Database) -> Result<Option<String>, lmdb::Error> {
    let txn = env.begin_ro_txn()?;
    match txn.get(meta, &BOOT) {
        Ok(boot) => Ok(Some(String::from_utf8_lossy(boot).into_owned())),
        Err(lmdb::Error::NotFound) => Ok(None),
        Err(e) => Err(e),
    }
}

/// This boot of the machine (Linux's boot id; empty where there is none).
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|id| id.trim().to_string())
        .unwrap_or_default()
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
#[path = "lmdb_tests.rs"]
mod tests;
