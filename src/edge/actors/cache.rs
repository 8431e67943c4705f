//! `CacheActor`: the only writer of the edge store once the edge runs (the
//! snapshot is loaded into it before the actors start); saves a snapshot
//! after each applied change, off the pull's path: the pull is answered
//! once the store has the change (so the next held pull goes out at once,
//! whatever a whole-store snapshot costs), and changes that arrive while a
//! snapshot is written are saved by one more write, not one each. `Flush`
//! waits for the snapshot of every change applied so far.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use actix::prelude::*;

use crate::domain::now_us;
use crate::edge::outputs::LocalStores;
use crate::edge::protocol::Pulled;
use crate::edge::snapshot;
use crate::edge::state::EdgeState;
use crate::edge::store::{ApplyError, EdgeStore};

pub struct CacheActor {
    store: Arc<EdgeStore>,
    state: Arc<Mutex<EdgeState>>,
    snapshot_path: Option<PathBuf>,
    /// The snapshot writes asked for and done.
    saves: Arc<Saves>,
    /// Counts applied changes; the outputs wait on it.
    changes: tokio::sync::watch::Sender<u64>,
    /// The outputs' local read stores, written a small change at once.
    locals: LocalStores,
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
            saves: Arc::new(Saves::default()),
            changes,
            locals: LocalStores::default(),
        }
    }

    /// Writes each small change to `locals` as it is applied.
    pub fn writing_locally(mut self, locals: LocalStores) -> Self {
        self.locals = locals;
        self
    }

    /// A write of the store's data as fresh at `fresh_us` (`None`: now).
    fn snapshot_job(&self, fresh_us: Option<i64>) -> Option<SnapshotJob> {
        Some(SnapshotJob {
            fresh_us,
            path: self.snapshot_path.clone()?,
            store: self.store.clone(),
            state: self.state.clone(),
            saves: self.saves.clone(),
        })
    }

    /// Asks for a snapshot of the store as it is now: one write starts
    /// unless one is already waiting to start (it will see this change).
    fn save_later(&self) {
        self.saves.asked.fetch_add(1, Ordering::SeqCst);
        if self.saves.queued.swap(true, Ordering::SeqCst) {
            return;
        }
        if let Some(job) = self.snapshot_job(None) {
            actix_web::rt::spawn(job.run());
        } else {
            self.saves.queued.store(false, Ordering::SeqCst);
        }
    }
}

/// Snapshot writes: asked for (one a change) and done, with the one lock
/// two writes never interleave under.
struct Saves {
    asked: AtomicU64,
    /// A write is spawned and has not started reading the store yet.
    queued: AtomicBool,
    /// The `asked` count the last finished write covered.
    done: tokio::sync::watch::Sender<u64>,
    writing: Mutex<()>,
}

impl Default for Saves {
    fn default() -> Self {
        Saves {
            asked: AtomicU64::new(0),
            queued: AtomicBool::new(false),
            done: tokio::sync::watch::channel(0).0,
            writing: Mutex::new(()),
        }
    }
}

/// Waits until every snapshot asked for so far is written (tests' ticks,
/// and a stop, see the file as the store is).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Flush;

impl Handler<Flush> for CacheActor {
    type Result = ResponseFuture<()>;

    fn handle(&mut self, _: Flush, _: &mut Self::Context) -> Self::Result {
        let wanted = self.saves.asked.load(Ordering::SeqCst);
        let mut done = self.saves.done.subscribe();
        let pending = self.snapshot_path.is_some();
        Box::pin(async move {
            if pending {
                let _ = done.wait_for(|d| *d >= wanted).await;
            }
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
    /// Secret namespaces whose key changed: opened again whole.
    pub rekeyed: Vec<crate::domain::Namespace>,
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
        for namespace in &msg.rekeyed {
            self.store.reopen(namespace);
        }
        let changed = !msg.pulled.is_empty_delta()
            || self.store.namespaces() != held
            || !msg.rekeyed.is_empty();
        let bytes = msg.pulled.bytes();
        let large = bytes.max(msg.reply_bytes) >= TRIM_AFTER_BYTES;
        drop(msg.pulled);
        if applied.is_ok() && changed {
            // A secret namespace opened again is all its values: not small.
            if msg.rekeyed.is_empty() {
                self.locals.write_small(&self.store, bytes);
            }
            self.changes.send_modify(|n| *n += 1);
            self.save_later();
        }
        if large {
            crate::memory::release_freed_memory();
        }
        Box::pin(async move { applied })
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
    saves: Arc<Saves>,
}

impl SnapshotJob {
    /// Writes on a blocking thread; the outcome goes to the status.
    async fn run(self) -> bool {
        let SnapshotJob {
            fresh_us,
            path,
            store,
            state,
            saves,
        } = self;
        let after = saves.clone();
        let written = actix_web::rt::task::spawn_blocking(move || {
            let _one_at_a_time = saves.writing.lock().unwrap_or_else(|p| p.into_inner());
            // Changes from here on ask for another write; this one covers
            // every change asked for until now.
            saves.queued.store(false, Ordering::SeqCst);
            let covers = saves.asked.load(Ordering::SeqCst);
            // Each namespace's entries and signature from one table.
            let held: Vec<_> = store
                .namespaces()
                .into_iter()
                .filter_map(|ns| Some((ns.clone(), store.sent_table(&ns)?)))
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
            let written =
                snapshot::write(&path, store.revision(), saved_us, (&signed, &gray), rows)
                    .and_then(|()| crate::edge::keys_file::save(&path, &store.keyring().kept()))
                    .map_err(|e| format!("{}: {e}", path.display()));
            (covers, written)
        })
        .await
        .unwrap_or_else(|e| (0, Err(e.to_string())));
        let (covers, written) = written;
        let saved = Self::record(&state, written.err());
        after.done.send_if_modified(|d| {
            let newer = covers > *d;
            *d = (*d).max(covers);
            newer
        });
        saved
    }

    /// Counts a write (or its failure, `failed` saying why) in the status;
    /// answers whether it was written.
    fn record(state: &Mutex<EdgeState>, failed: Option<String>) -> bool {
        let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
        match failed {
            None => {
                s.snapshot_writes += 1;
                s.snapshot_error = None;
                true
            }
            Some(e) => {
                tracing::error!(error = ?e.to_string(), "snapshot write failed");
                s.snapshot_failures += 1;
                s.snapshot_error = Some(format!("write failed: {e}"));
                false
            }
        }
    }
}
