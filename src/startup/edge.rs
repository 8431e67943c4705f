//! Starting the edge: store, snapshot, cache actor, RPC client, scheduler.

use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use actix::Actor;

use super::EdgeHandle;
use crate::actors::cache::CacheActor;
use crate::actors::rpc_client::RpcClient;
use crate::actors::scheduler::Scheduler;
use crate::configuration::{PullMode, Role, Settings};
use crate::edge::snapshot;
use crate::edge::status::{EdgeState, EdgeView};
use crate::edge::store::EdgeStore;
use crate::edge::upstreams::Upstreams;

pub(super) fn start(settings: &Settings, port: u16, timer: bool) -> Result<EdgeHandle, String> {
    let c = &settings.client;
    let urls = if c.upstreams.is_empty() {
        vec![settings.server.local_rpc_url(port)]
    } else {
        c.upstreams.clone()
    };
    let store = Arc::new(EdgeStore::new(c.cache_size.bytes()));
    let state = Arc::new(Mutex::new(EdgeState::default()));
    let snapshot_path = (!c.snapshot_path.is_empty()).then(|| PathBuf::from(&c.snapshot_path));
    if let Some(path) = &snapshot_path {
        load_snapshot(path, &store, &state);
    }
    let applied_hash = Arc::new(AtomicU64::new(0));
    let upstreams = Arc::new(Mutex::new(Upstreams::new(urls, c.upstream_cooldown.get())));
    let client = RpcClient::new(upstreams.clone(), c.clone(), applied_hash.clone())
        .map_err(|e| e.to_string())?
        .start();
    let cache = CacheActor::new(store.clone(), state.clone(), snapshot_path, applied_hash).start();
    let scheduler = Scheduler::new(
        client,
        cache.clone(),
        store.clone(),
        state.clone(),
        c.clone(),
        timer,
    )
    .start();
    let roles = settings
        .server
        .roles
        .iter()
        .map(|r| match r {
            Role::Center => "center",
            Role::Edge => "edge",
        })
        .collect();
    let view = EdgeView {
        store,
        state,
        upstreams,
        interval: c.interval.get(),
        max_stale: c.max_stale.get(),
        mode: match c.mode {
            PullMode::Changes => "changes",
            PullMode::Method => "method",
        },
        roles,
    };
    Ok(EdgeHandle {
        scheduler,
        cache,
        view,
    })
}

/// Serves the last saved data before the first pull; a bad file is reported
/// and ignored.
fn load_snapshot(path: &PathBuf, store: &EdgeStore, state: &Mutex<EdgeState>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return report(state, path, &e.to_string()),
    };
    let loaded = snapshot::decode(&bytes).and_then(|snap| {
        let saved_us = snap.saved_us;
        store
            .apply(&snap.into_pulled(), None)
            .map_err(|e| e.to_string())
            .map(|()| saved_us)
    });
    match loaded {
        Ok(saved_us) => {
            store.mark_fresh(saved_us);
            tracing::info!(path = %path.display(), entries = store.entries(), revision = store.revision(), "snapshot loaded");
        }
        Err(e) => report(state, path, &e),
    }
}

fn report(state: &Mutex<EdgeState>, path: &std::path::Path, why: &str) {
    tracing::error!(path = %path.display(), error = why, "snapshot ignored");
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .snapshot_error = Some(format!("ignored {}: {why}", path.display()));
}
