//! `CacheActor`: the only writer of the edge store; saves a snapshot after
//! each applied change.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix::prelude::*;

use crate::domain::now_us;
use crate::edge::protocol::Pulled;
use crate::edge::snapshot;
use crate::edge::status::EdgeState;
use crate::edge::store::{ApplyError, EdgeStore};

pub struct CacheActor {
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    snapshot_path: Option<PathBuf>,
    /// Shared with the RPC client: the hash of the last applied reply.
    applied_hash: Arc<AtomicU64>,
}

impl Actor for CacheActor {
    type Context = Context<Self>;
}

impl CacheActor {
    pub fn new(
        store: Arc<EdgeStore>,
        state: Arc<Mutex<EdgeState>>,
        snapshot_path: Option<PathBuf>,
        applied_hash: Arc<AtomicU64>,
    ) -> Self {
        CacheActor {
            store,
            state,
            snapshot_path,
            applied_hash,
        }
    }
}

/// Applies pulled data (whole or refused whole); `max_shrink` in percent
/// guards full datasets, `None` disables the guard.
#[derive(Message)]
#[rtype(result = "Result<(), ApplyError>")]
pub struct Apply {
    pub pulled: Pulled,
    pub max_shrink: Option<u8>,
    /// The reply's hash (`method` mode), remembered once applied.
    pub body_hash: Option<u64>,
}

impl Handler<Apply> for CacheActor {
    type Result = ResponseFuture<Result<(), ApplyError>>;

    fn handle(&mut self, msg: Apply, _: &mut Self::Context) -> Self::Result {
        let applied = self.store.apply(&msg.pulled, msg.max_shrink);
        if let (Ok(()), Some(hash)) = (&applied, msg.body_hash) {
            self.applied_hash.store(hash, Ordering::Release);
        }
        let changed = !msg.pulled.is_empty_delta();
        drop(msg.pulled);
        release_freed_memory();
        let save = match (&applied, &self.snapshot_path) {
            (Ok(()), Some(path)) if changed => {
                Some((path.clone(), self.store.clone(), self.state.clone()))
            }
            _ => None,
        };
        Box::pin(async move {
            if let Some((path, store, state)) = save {
                save_snapshot(path, store, state).await;
            }
            applied
        })
    }
}

/// Hands memory freed by a large pull back to the OS (glibc keeps it in
/// per-thread arenas otherwise, and the edge's RSS would grow with each
/// full dataset it parses).
fn release_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free heap pages to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Writes the snapshot on a blocking thread; the outcome goes to the status.
async fn save_snapshot(path: PathBuf, store: Arc<EdgeStore>, state: Arc<Mutex<EdgeState>>) {
    let written = actix_web::rt::task::spawn_blocking(move || {
        let entries = store.sorted();
        let rows = || {
            entries
                .iter()
                .map(|e| (e.key(), e.value(), e.revision(), e.updated_at_us()))
        };
        snapshot::write(&path, store.revision(), now_us(), rows)
            .map_err(|e| format!("{}: {e}", path.display()))
    })
    .await
    .unwrap_or_else(|e| Err(e.to_string()));
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    match written {
        Ok(()) => {
            s.snapshot_writes += 1;
            s.snapshot_error = None;
        }
        Err(e) => {
            tracing::error!(error = %e, "snapshot write failed");
            s.snapshot_failures += 1;
            s.snapshot_error = Some(format!("write failed: {e}"));
        }
    }
}
