//! The edge's part of `GET /metrics`: pulls, data age, cache and snapshot.

use super::state::PullOutcome;
use super::status::EdgeView;
use crate::metrics::{escape_label, Exposition};

impl EdgeView {
    /// Writes the edge's metric families, read at `now_us`.
    pub fn render_metrics(&self, out: &mut Exposition, now_us: i64) {
        self.render_pulls(out);
        out.family(
            "syncdict_edge_upstream_failures_total",
            "counter",
            "Failed requests per configured upstream.",
        );
        for (url, n) in self.upstreams().failures() {
            let labels = format!("upstream=\"{}\"", escape_label(url));
            out.sample("syncdict_edge_upstream_failures_total", &labels, n);
        }
        self.render_store(out, now_us);
        crate::edge::outputs::render_metrics(&self.outputs, out);
    }

    /// What the pulls did: outcomes, durations, skips, refusals, restarts,
    /// snapshots.
    fn render_pulls(&self, out: &mut Exposition) {
        let s = self.state();
        out.family(
            "syncdict_edge_pulls_total",
            "counter",
            "Pulls by outcome: ok (applied or unchanged), failed (no upstream answered), refused (answered but not applied).",
        );
        for outcome in PullOutcome::ALL {
            out.sample(
                "syncdict_edge_pulls_total",
                &format!("outcome=\"{}\"", outcome.label()),
                s.pulls(outcome),
            );
        }
        out.family(
            "syncdict_edge_pull_duration_seconds",
            "histogram",
            "Time from the start of a pull to its data being applied or refused.",
        );
        out.histogram("syncdict_edge_pull_duration_seconds", "", &s.pull_seconds);
        out.single(
            "syncdict_edge_skipped_ticks_total",
            "counter",
            "Timer ticks skipped because a pull was still running.",
            s.skipped_ticks,
        );
        out.family(
            "syncdict_edge_refusals_total",
            "counter",
            "Pulled data refused whole, by guard.",
        );
        out.sample(
            "syncdict_edge_refusals_total",
            "guard=\"shrink\"",
            s.shrink_refusals,
        );
        out.sample(
            "syncdict_edge_refusals_total",
            "guard=\"overflow\"",
            s.overflow_refusals,
        );
        out.sample(
            "syncdict_edge_refusals_total",
            "guard=\"revision\"",
            s.revision_refusals,
        );
        out.sample(
            "syncdict_edge_refusals_total",
            "guard=\"digest\"",
            s.digest_refusals,
        );
        out.single(
            "syncdict_edge_restarts_total",
            "counter",
            "Pulls started over from revision 0 because an upstream refused the edge's revision.",
            s.restarts,
        );
        out.single(
            "syncdict_edge_snapshot_writes_total",
            "counter",
            "Snapshots written.",
            s.snapshot_writes,
        );
        out.single(
            "syncdict_edge_snapshot_write_failures_total",
            "counter",
            "Snapshot writes that failed.",
            s.snapshot_failures,
        );
    }

    /// The data's age and revision, and the cache's size and lookups.
    fn render_store(&self, out: &mut Exposition, now_us: i64) {
        let store = &self.store;
        // -1 until the data has matched an upstream once.
        let age = store
            .fresh_at_us()
            .map_or(-1.0, |t| (now_us - t).max(0) as f64 / 1e6);
        out.single(
            "syncdict_edge_data_age_seconds",
            "gauge",
            "Seconds since the data last matched the upstream (-1: never).",
            age,
        );
        out.single(
            "syncdict_edge_revision",
            "gauge",
            "Upstream revision the edge's data is at.",
            store.revision(),
        );
        out.single(
            "syncdict_edge_cache_entries",
            "gauge",
            "Entries in the edge cache.",
            store.entries(),
        );
        out.single(
            "syncdict_edge_cache_bytes",
            "gauge",
            "Bytes the entries weigh (key + value + 48 each).",
            store.bytes(),
        );
        out.single(
            "syncdict_edge_cache_capacity_bytes",
            "gauge",
            "client.cache_size.",
            store.capacity(),
        );
        out.single(
            "syncdict_edge_cache_evictions_total",
            "counter",
            "Entries the cache evicted (0 unless something is wrong: data that does not fit is refused instead).",
            store.evictions(),
        );
        let (hits, misses) = store.lookups();
        out.single(
            "syncdict_edge_cache_hits_total",
            "counter",
            "Key lookups that found an entry.",
            hits,
        );
        out.single(
            "syncdict_edge_cache_misses_total",
            "counter",
            "Key lookups that found none.",
            misses,
        );
    }
}
