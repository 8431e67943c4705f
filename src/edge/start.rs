//! Starting the edge (store, snapshot, cache actor, RPC client, scheduler)
//! and `EdgeHandle`, what the application keeps of it.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix::{Actor, Addr};

use super::actors::cache::{CacheActor, SaveSnapshot};
use super::actors::rpc_client::{RpcClient, UpstreamAuth};
pub use super::actors::scheduler::Pace;
use super::actors::scheduler::{Scheduler, TickNow};
use super::health::HealthWatch;
use super::keyring::Keyring;
use super::snapshot;
use super::state::{EdgeState, TickReport};
use super::status::EdgeView;
use super::store::EdgeStore;
use super::upstreams::Upstreams;
use super::PullError;
use crate::configuration::{Settings, UpstreamUrl};
use crate::domain::{hostname, is_loopback};

/// The running edge: its scheduler and cache actor, and the view the HTTP
/// handlers read.
#[derive(Clone)]
pub struct EdgeHandle {
    scheduler: Addr<Scheduler>,
    cache: Addr<CacheActor>,
    pub view: EdgeView,
}

impl EdgeHandle {
    /// Runs one scheduler tick now and waits for its pull.
    pub async fn tick(&self) -> TickReport {
        self.tick_at(Instant::now()).await
    }

    /// Runs one scheduler tick as of `at` (later than now to have cooldowns
    /// pass without waiting) and waits for its pull.
    pub async fn tick_at(&self, at: Instant) -> TickReport {
        self.scheduler
            .send(TickNow { at })
            .await
            .unwrap_or_else(|e| TickReport::Failed(PullError::Internal(e.to_string())))
    }

    /// Writes the snapshot of what is served now (at shutdown); answers
    /// whether one was written.
    pub async fn save_snapshot(&self) -> bool {
        self.cache.send(SaveSnapshot).await.unwrap_or(false)
    }
}

/// Starts the edge's actors; the snapshot, if any, is served before the
/// first pull.
/// Why the edge could not start.
#[derive(Debug, thiserror::Error)]
pub enum EdgeStartError {
    #[error("cannot build the edge's HTTP client: {0}")]
    Client(#[from] reqwest::Error),
    #[error("client TLS: {0}")]
    Tls(#[from] crate::tls::client::ClientTlsError),
    #[error(transparent)]
    Credentials(#[from] super::actors::rpc_client::TokenFileError),
    #[error(transparent)]
    Output(#[from] crate::edge::outputs::OutputError),
    #[error("client.identity_file {}: {why}", .path.display())]
    Identity {
        path: std::path::PathBuf,
        why: String,
    },
}

/// The edge's keyring, with `client.identity_file`'s identity if set
/// (refused if unreadable, or readable by others than its owner).
fn keyring(c: &crate::configuration::ClientSettings) -> Result<Keyring, EdgeStartError> {
    use std::os::unix::fs::PermissionsExt;
    let Some(path) = &c.identity_file else {
        return Ok(Keyring::new(None));
    };
    let fail = |why: String| EdgeStartError::Identity {
        path: path.clone(),
        why,
    };
    let meta = std::fs::metadata(path).map_err(|e| fail(e.to_string()))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(fail("others may read it: chmod 600".into()));
    }
    let text = std::fs::read_to_string(path).map_err(|e| fail(e.to_string()))?;
    let identity = crate::sealing::read_identity(&text).map_err(|e| fail(e.to_string()))?;
    tracing::info!(recipient = %identity.recipient(), "the edge opens secret namespaces granted to its recipient");
    Ok(Keyring::new(Some(identity)))
}

pub fn start(settings: &Settings, port: u16, pace: Pace) -> Result<EdgeHandle, EdgeStartError> {
    let c = &settings.client;
    let urls = if c.upstreams.is_empty() {
        vec![UpstreamUrl::parse(&settings.server.local_rpc_url(port))]
    } else {
        c.upstreams.clone()
    };
    let store = EdgeStore::for_client(c, c.cache_size.bytes())
        .verifying(c.verify_keys.clone(), c.edge_name())
        .with_keyring(Arc::new(keyring(c)?));
    let store = Arc::new(store);
    let state = Arc::new(Mutex::new(EdgeState::default()));
    if let Some(path) = &c.snapshot_path {
        load_snapshot(path, &store, &state);
    }
    // Applied changes, counted; 1 already when a snapshot loaded, so the
    // outputs render from it before the first pull.
    let changes = tokio::sync::watch::Sender::new(u64::from(store.fresh_at_us().is_some()));
    let (outputs, locals) = crate::edge::outputs::start(&settings.output, store.clone(), &changes)?;
    let checked = (settings.output.iter().enumerate())
        .filter(|(_, o)| o.command.is_some() || o.check_command.is_some())
        .map(|(i, _)| i)
        .collect();
    let health = HealthWatch::start(c, &changes, outputs.clone(), checked);
    let auth = UpstreamAuth::from_settings(c)?;
    let cleartext = cleartext_credentials(&urls, &auth);
    let upstreams = Arc::new(Mutex::new(Upstreams::new(urls, c.upstream_cooldown.get())));
    for url in &cleartext {
        tracing::warn!(upstream = %url, "credentials are sent over plain HTTP to a host that is not loopback; use https://");
    }
    let tls = crate::tls::client::config(c)?;
    let client = RpcClient::new(upstreams.clone(), c.clone(), auth, tls)?.start();
    let cache = CacheActor::new(
        store.clone(),
        state.clone(),
        c.snapshot_path.clone(),
        changes,
    )
    .writing_locally(locals)
    .start();
    let scheduler = Scheduler::new(
        client,
        cache.clone(),
        store.clone(),
        state.clone(),
        c.clone(),
        pace,
        health,
    )
    .start();
    let view = EdgeView {
        store,
        state,
        upstreams,
        interval: c.interval.get(),
        max_stale: c.max_stale.get(),
        mode: c.mode,
        name: c.edge_name(),
        roles: settings.server.roles.clone(),
        cleartext,
        outputs,
    };
    Ok(EdgeHandle {
        scheduler,
        cache,
        view,
    })
}

/// The `http://` upstreams that would get credentials in the clear: any
/// host but a loopback one, with credentials in the URL or the client's.
fn cleartext_credentials(urls: &[UpstreamUrl], auth: &UpstreamAuth) -> Vec<String> {
    urls.iter()
        .filter(|u| auth.is_some() || u.credentials().is_some())
        .filter(|u| {
            let Some(rest) = u.url.strip_prefix("http://") else {
                return false;
            };
            let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
            !is_loopback(hostname(authority))
        })
        .map(|u| u.url.clone())
        .collect()
}

/// Serves the last saved data before the first pull; a bad file is reported
/// and ignored.
fn load_snapshot(path: &Path, store: &EdgeStore, state: &Mutex<EdgeState>) {
    let bytes = match std::fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => return report(state, path, &e.to_string()),
    };
    match snapshot::restore(&bytes, store) {
        Ok(saved_us) => {
            store.mark_fresh(saved_us);
            let kept = super::keys_file::load(path).unwrap_or_default();
            for secret in store.keyring().restore(&kept) {
                store.reopen(&secret);
            }
            tracing::info!(path = %path.display(), entries = store.entries(), revision = store.revision(), "snapshot loaded");
        }
        Err(e) => report(state, path, &e.to_string()),
    }
}

fn report(state: &Mutex<EdgeState>, path: &Path, why: &str) {
    tracing::error!(path = %path.display(), error = why, "snapshot ignored");
    state
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .snapshot_error = Some(format!("ignored {}: {why}", path.display()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_in_clear_only_to_hosts_that_are_not_loopback() {
        let urls: Vec<UpstreamUrl> = [
            "http://127.0.0.1:8080/RPC",
            "http://[::1]:8080/RPC",
            "http://localhost/RPC",
            "https://sync.example/RPC",
            "http://sync.example:8080/RPC",
        ]
        .iter()
        .map(|u| UpstreamUrl::parse(u))
        .collect();
        let token = UpstreamAuth::Bearer("sdt_x".into());
        assert_eq!(
            cleartext_credentials(&urls, &token),
            ["http://sync.example:8080/RPC"]
        );
        assert!(cleartext_credentials(&urls, &UpstreamAuth::None).is_empty());
        let in_url = [UpstreamUrl::parse("http://edge:pw@10.0.0.5/RPC")];
        assert_eq!(
            cleartext_credentials(&in_url, &UpstreamAuth::None),
            ["http://10.0.0.5/RPC"]
        );
    }
}
