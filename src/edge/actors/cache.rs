//! `CacheActor`: the only writer of the edge store once the edge runs (the
//! snapshot is loaded into it before the actors start); saves a snapshot
//! after each applied change.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix::prelude::*;

use crate::domain::now_us;
use crate::edge::protocol::Pulled;
use crate::edge::snapshot;
use crate::edge::state::EdgeState;
use crate::edge::store::{ApplyError, EdgeStore};

pub struct CacheActor {
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    snapshot_path: Option<PathBuf>,
    /// Held while a snapshot is written, so two writes never interleave.
    writing: Arc<Mutex<()>>,
    /// Counts applied changes; the outputs wait on it.
    changes: tokio::sync::watch::Sender<u64>,
}

impl Actor for CacheActor {
    type Context = Context<Self>;
}

impl CacheActor {
    pub fn new(
        store: Arc<EdgeStore>,
        state: Arc<Mutex<EdgeState>>,
        snapshot_path: Option<PathBuf>,
        changes: tokio::sync::watch::Sender<u64>,
    ) -> Self {
        CacheActor {
            store,
            state,
            snapshot_path,
            writing: Arc::default(),
            changes,
        }
    }

    /// A write of the store's data as fresh at `fresh_us` (`None`: now).
    fn snapshot_job(&self, fresh_us: Option<i64>) -> Option<SnapshotJob> {
        Some(SnapshotJob {
            fresh_us,
            path: self.snapshot_path.clone()?,
            store: self.store.clone(),
            state: self.state.clone(),
            writing: self.writing.clone(),
        })
    }
}

/// Applies pulled data (whole or refused whole); `max_shrink` in percent
/// guards full datasets, `None` disables the guard. Applied data is marked
/// fresh as of `fresh_us` (when it matched the upstream).
#[derive(Message)]
#[rtype(result = "Result<(), ApplyError>")]
pub struct Apply {
    pub pulled: Pulled,
    pub max_shrink: Option<u8>,
    pub fresh_us: i64,
    /// Size of the reply it came in: its buffer was freed before this
    /// message, even when the data is unchanged.
    pub reply_bytes: u64,
}

impl Handler<Apply> for CacheActor {
    type Result = ResponseFuture<Result<(), ApplyError>>;

    fn handle(&mut self, msg: Apply, _: &mut Self::Context) -> Self::Result {
        let held = self.store.namespaces();
        let applied = self.store.apply(&msg.pulled, msg.max_shrink);
        if applied.is_ok() {
            self.store.mark_fresh(msg.fresh_us);
        }
        // A namespace dropped (with `["*"]`) changes the data too: outputs
        // and the snapshot follow.
        let changed = !msg.pulled.is_empty_delta() || self.store.namespaces() != held;
        let large = msg.pulled.bytes().max(msg.reply_bytes) >= TRIM_AFTER_BYTES;
        drop(msg.pulled);
        if large {
            crate::memory::release_freed_memory();
        }
        if applied.is_ok() && changed {
            self.changes.send_modify(|n| *n += 1);
        }
        let save = match &applied {
            Ok(()) if changed => self.snapshot_job(None),
            _ => None,
        };
        Box::pin(async move {
            if let Some(job) = save {
                job.run().await;
            }
            applied
        })
    }
}

/// Writes the snapshot now (at shutdown, so the file holds what was served
/// last); answers whether one was written.
#[derive(Message)]
#[rtype(result = "bool")]
pub struct SaveSnapshot;

impl Handler<SaveSnapshot> for CacheActor {
    type Result = ResponseFuture<bool>;

    fn handle(&mut self, _: SaveSnapshot, _: &mut Self::Context) -> Self::Result {
        // The data is only as fresh as the last pull that matched the
        // upstream; nothing is written for an edge that never had data.
        let job = self
            .store
            .fresh_at_us()
            .and_then(|fresh| self.snapshot_job(Some(fresh)));
        Box::pin(async move {
            match job {
                Some(job) => job.run().await,
                None => false,
            }
        })
    }
}

/// Pulls whose reply or data reach this many bytes are followed by
/// `malloc_trim`: the reply buffer and the parse leave that much freed heap
/// behind (an unchanged 12 MB `method` reply too). Trimming walks the heap
/// (about a millisecond), worth it only after megabytes were freed.
const TRIM_AFTER_BYTES: u64 = 1 << 20;

/// One snapshot write: what to write, where, and whom to tell.
struct SnapshotJob {
    fresh_us: Option<i64>,
    path: PathBuf,
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    writing: Arc<Mutex<()>>,
}

impl SnapshotJob {
    /// Writes on a blocking thread; the outcome goes to the status.
    async fn run(self) -> bool {
        let SnapshotJob {
            fresh_us,
            path,
            store,
            state,
            writing,
        } = self;
        let written = actix_web::rt::task::spawn_blocking(move || {
            let _one_at_a_time = writing.lock().unwrap_or_else(|p| p.into_inner());
            // Each namespace's entries and signature from one table.
            let held: Vec<_> = store
                .namespaces()
                .into_iter()
                .filter_map(|ns| Some((ns.clone(), store.table(&ns)?)))
                .collect();
            let signed: snapshot::Signatures = held
                .iter()
                .filter_map(|(ns, t)| Some((ns.to_string(), t.signed()?.clone())))
                .collect();
            let tables: Vec<_> = held
                .iter()
                .map(|(ns, t)| (ns.clone(), t.held_sorted()))
                .collect();
            let rows = || {
                tables.iter().flat_map(|(ns, entries)| {
                    entries.iter().map(move |e| {
                        (
                            ns.as_str(),
                            e.key(),
                            e.value(),
                            e.revision(),
                            e.updated_at_us(),
                            e.expires_at_us(),
                        )
                    })
                })
            };
            let saved_us = fresh_us.unwrap_or_else(now_us);
            let gray = store.held_releases();
            snapshot::write(&path, store.revision(), saved_us, (&signed, &gray), rows)
                .map_err(|e| format!("{}: {e}", path.display()))
        })
        .await
        .unwrap_or_else(|e| Err(e.to_string()));
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        match written {
            Ok(()) => {
                s.snapshot_writes += 1;
                s.snapshot_error = None;
                true
            }
            Err(e) => {
                tracing::error!(error = ?e.to_string(), "snapshot write failed");
                s.snapshot_failures += 1;
                s.snapshot_error = Some(format!("write failed: {e}"));
                false
            }
        }
    }
}
