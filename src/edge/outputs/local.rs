//! The outputs' local read stores as the edge writes them: a small change
//! at once, in the apply that makes it (`LocalStores::write_small`), so a
//! local reader sees it no later than `/api/cache` does; a large one, and
//! whatever the apply could not write, by the output's task off the async
//! workers. Either way the task reports what was written.

use std::sync::{Arc, Mutex, TryLockError};

use super::lmdb::LocalStore;
use super::OutputError;
use crate::configuration::{OutputFormat, OutputSettings};
use crate::edge::store::EdgeStore;

/// An output's local read store, shared by its task and the apply.
pub type Local = Arc<Mutex<LocalStore>>;

/// Changes up to this many bytes of keys and values are written to the
/// local read stores in the apply itself: a few hundred microseconds on
/// the edge's actor thread, where a hop to a blocking thread waits behind
/// whatever else runs on a busy core (the snapshot's write among them).
pub const SMALL_CHANGE_BYTES: u64 = 256 << 10;

/// Every local read store of this edge's outputs.
#[derive(Clone, Default)]
pub struct LocalStores(Vec<Local>);

impl LocalStores {
    pub(super) fn push(&mut self, local: Local) {
        self.0.push(local);
    }

    /// Writes a change of `bytes` just applied to `store` into each local
    /// read store, if it is small and the store was written before (its
    /// first write is everything). A store busy with a write, or a write
    /// that fails, is left to the output's task, which writes and reports.
    pub fn write_small(&self, store: &EdgeStore, bytes: u64) {
        if bytes > SMALL_CHANGE_BYTES {
            return;
        }
        for local in &self.0 {
            let mut local = match local.try_lock() {
                Ok(local) => local,
                Err(TryLockError::Poisoned(p)) => p.into_inner(),
                Err(TryLockError::WouldBlock) => continue,
            };
            if local.is_primed() {
                if let Err(e) = local.write(store) {
                    tracing::debug!(error = %e, "local read store left to its output");
                }
            }
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Namespace;
    use crate::edge::protocol::{Item, Part, Pulled};

    fn pulled(revision: i64, items: impl Iterator<Item = usize>, value: &str) -> Pulled {
        let item = |i: usize| Item {
            key: format!("key-{i:06}"),
            value: format!("\"{value}\""),
            revision,
            updated_at_us: 0,
            expires_at_us: None,
        };
        Pulled {
            revision: Some(revision),
            full: revision == 1,
            parts: vec![Part::of(
                Namespace::default(),
                items.map(item).collect(),
                vec![],
            )],
            gray: None,
        }
    }

    #[test]
    fn a_small_change_is_written_at_once_and_reported_by_the_task() {
        let dir = tempfile::tempdir().unwrap();
        let ns = Namespace::default();
        let store = EdgeStore::new(64 << 20);
        let opened = LocalStore::open_mapped(dir.path(), std::slice::from_ref(&ns), 1 << 20, 0o600);
        let local: Local = Arc::new(Mutex::new(opened.unwrap()));
        let mut stores = LocalStores::default();
        stores.push(local.clone());

        // Before the task's first write, the apply writes nothing: the
        // first write is everything, the task's to do.
        store.apply(&pulled(1, 0..1000, "a"), None).unwrap();
        stores.write_small(&store, 10);
        assert!(!local.lock().unwrap().is_primed());
        let mut l = local.lock().unwrap();
        l.write(&store).unwrap();
        assert_eq!(l.take_written().put, 1000);
        drop(l);

        // A small change: written by the apply, reported once by the task.
        store.apply(&pulled(2, 5..7, "b"), None).unwrap();
        stores.write_small(&store, 100);
        let mut l = local.lock().unwrap();
        assert_eq!(l.write(&store).unwrap().put, 0, "already written");
        assert_eq!(l.take_written().put, 2);
        drop(l);

        // A large one is the task's, and a busy store is skipped.
        store.apply(&pulled(3, 8..9, "c"), None).unwrap();
        stores.write_small(&store, SMALL_CHANGE_BYTES + 1);
        let held = local.lock().unwrap();
        stores.write_small(&store, 100);
        drop(held);
        let mut l = local.lock().unwrap();
        assert_eq!(l.write(&store).unwrap().put, 1, "left to the task");
        assert_eq!(l.take_written().put, 1);
    }
}
