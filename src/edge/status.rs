//! `EdgeView`: what the HTTP handlers read of the edge (store, state,
//! upstreams), and its JSON report for `/api/status`.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use serde::Serialize;

use super::state::{EdgeState, PullRecord};
use super::store::EdgeStore;
use super::upstreams::Upstreams;
use crate::configuration::{PullMode, Role};
use crate::domain::format_timestamp;

/// Everything the read API and the page need, cheap to clone.
#[derive(Clone)]
pub struct EdgeView {
    pub store: Arc<EdgeStore>,
    pub state: Arc<Mutex<EdgeState>>,
    /// The configured upstreams, their preference order and failures
    /// (shared with the RPC client).
    pub upstreams: Arc<Mutex<Upstreams>>,
    pub interval: Duration,
    pub max_stale: Duration,
    pub mode: PullMode,
    /// `client.name` (or the host name): how the centers' fleet view names it.
    pub name: crate::domain::EdgeName,
    pub roles: Vec<Role>,
    /// `http://` upstreams (not loopback) that get credentials in the
    /// clear: warned about at start and on the page.
    pub cleartext: Vec<String>,
    /// The `[[output]]` files rendered from the data.
    pub outputs: crate::edge::outputs::Statuses,
}

/// One namespace in `/api/status`.
#[derive(Debug, Serialize)]
pub struct NamespaceStatus {
    pub name: String,
    pub entries: u64,
    pub bytes: u64,
    pub revision: i64,
    /// Its own budget (`client.namespace_sizes`), or null when it shares
    /// `client.cache_size`.
    pub budget: Option<u64>,
}

/// `/api/status` as JSON.
#[derive(Debug, Serialize)]
pub struct StatusReport {
    /// `client.name`: how the centers' fleet view names this edge.
    pub name: String,
    pub roles: Vec<Role>,
    /// Upstreams that get credentials over plain HTTP (not loopback).
    pub cleartext_credentials: Vec<String>,
    pub mode: PullMode,
    pub upstreams: Vec<String>,
    pub upstream_in_use: Option<String>,
    pub interval_ms: u64,
    pub last_attempt: Option<String>,
    pub last_success: Option<String>,
    pub next_pull: Option<String>,
    pub consecutive_failures: u32,
    pub last_error: Option<String>,
    pub data_age_seconds: Option<u64>,
    pub stale: bool,
    pub revision: i64,
    pub entries: u64,
    pub bytes_used: u64,
    pub bytes_capacity: u64,
    /// Each namespace pulled: records, bytes, revision, own budget.
    pub namespaces: Vec<NamespaceStatus>,
    pub evictions: u64,
    pub skipped_ticks: u64,
    /// With `client.hold`: `held`, `not_held` (the upstream answers at
    /// once) or `not_asked` (it refused `wait`); absent when off or before
    /// the first pull.
    pub held_pulls: Option<crate::edge::schedule::Held>,
    pub shrink_guard_refusals: u64,
    pub overflow_refusals: u64,
    pub revision_refusals: u64,
    /// Pulled data that did not match the center's signed digest.
    pub digest_refusals: u64,
    /// Pulls started over from 0 because an upstream refused `since`.
    pub restarts: u64,
    pub snapshot_writes: u64,
    pub snapshot_error: Option<String>,
    pub pulls: Vec<PullRecord>,
    /// The last hour of pulls, a minute at a time, oldest first.
    pub last_hour: Vec<crate::edge::hour::Minute>,
    /// Each upstream: last success, last error, cooling down.
    pub upstream_health: Vec<crate::edge::upstreams::UpstreamHealth>,
    /// Each `[[output]]`: renders, writes, failures, its last error.
    pub outputs: Vec<crate::edge::outputs::OutputStatus>,
}

impl EdgeView {
    pub fn state(&self) -> MutexGuard<'_, EdgeState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn upstreams(&self) -> MutexGuard<'_, Upstreams> {
        self.upstreams.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Seconds since the data last matched the upstream; `None` if never.
    pub fn data_age(&self, now_us: i64) -> Option<u64> {
        self.store
            .fresh_at_us()
            .map(|t| ((now_us - t).max(0) / 1_000_000) as u64)
    }

    /// Fresh data means younger than `client.max_stale`.
    pub fn is_stale(&self, now_us: i64) -> bool {
        self.data_age(now_us)
            .is_none_or(|age| age > self.max_stale.as_secs())
    }

    pub fn report(&self, now_us: i64) -> StatusReport {
        let data_age_seconds = self.data_age(now_us);
        let stale = self.is_stale(now_us);
        // Taken before the report is built: a guard made inside its literal
        // lives until the literal ends, and a second lock would deadlock.
        let upstream_health = self.upstreams().health(std::time::Instant::now());
        let s = self.state();
        StatusReport {
            name: self.name.to_string(),
            roles: self.roles.clone(),
            cleartext_credentials: self.cleartext.clone(),
            mode: self.mode,
            upstreams: self
                .upstreams()
                .list()
                .iter()
                .map(|u| u.url.clone())
                .collect(),
            upstream_in_use: s.upstream_in_use.clone(),
            interval_ms: self.interval.as_millis() as u64,
            last_attempt: s.last_attempt_us.map(format_timestamp),
            last_success: self.store.fresh_at_us().map(format_timestamp),
            next_pull: s.next_pull_us.map(format_timestamp),
            consecutive_failures: s.consecutive_failures,
            last_error: s.last_error.clone(),
            data_age_seconds,
            stale,
            revision: self.store.revision(),
            entries: self.store.entries(),
            bytes_used: self.store.bytes(),
            bytes_capacity: self.store.capacity(),
            namespaces: self
                .store
                .stats()
                .into_iter()
                .map(|st| NamespaceStatus {
                    name: st.namespace.to_string(),
                    entries: st.entries,
                    bytes: st.bytes,
                    revision: st.revision,
                    budget: st.own_budget,
                })
                .collect(),
            evictions: self.store.evictions(),
            skipped_ticks: s.skipped_ticks,
            held_pulls: s.held,
            shrink_guard_refusals: s.shrink_refusals,
            overflow_refusals: s.overflow_refusals,
            revision_refusals: s.revision_refusals,
            digest_refusals: s.digest_refusals,
            restarts: s.restarts,
            snapshot_writes: s.snapshot_writes,
            snapshot_error: s.snapshot_error.clone(),
            pulls: s.history.iter().cloned().collect(),
            last_hour: s.hour.last_hour(now_us),
            upstream_health,
            outputs: self
                .outputs
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(max_stale: Duration) -> EdgeView {
        EdgeView {
            store: Arc::new(EdgeStore::new(1 << 20)),
            state: Arc::default(),
            upstreams: Arc::new(Mutex::new(Upstreams::new(vec![], Duration::ZERO))),
            interval: Duration::from_secs(6),
            max_stale,
            mode: PullMode::Changes,
            name: crate::domain::EdgeName::parse("edge-1").unwrap(),
            roles: vec![Role::Edge],
            cleartext: Vec::new(),
            outputs: Default::default(),
        }
    }

    #[test]
    fn staleness_follows_the_clock_it_is_given() {
        let edge = view(Duration::from_secs(300));
        let t0 = 1_700_000_000_000_000;
        assert!(edge.is_stale(t0), "never pulled is stale");
        assert_eq!(edge.data_age(t0), None);
        edge.store.mark_fresh(t0);
        assert_eq!(edge.data_age(t0 + 42_500_000), Some(42));
        assert!(!edge.is_stale(t0 + 300_000_000));
        assert!(edge.is_stale(t0 + 301_000_000));
        let report = edge.report(t0 + 301_000_000);
        assert!(report.stale && report.data_age_seconds == Some(301));
    }
}
