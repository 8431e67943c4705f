//! A lock-free latency histogram with fixed buckets, rendered in the
//! Prometheus text format.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Upper bounds of the buckets, in seconds (a `+Inf` bucket follows).
/// From 250 µs (a cached read on loopback) to 10 s (past any client timeout).
pub const BOUNDS_S: [f64; 14] = [
    0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

/// Counts per bucket (not cumulative; rendering sums them, and their total
/// is the count) and the sum in microseconds. Every update is two relaxed
/// atomic adds.
#[derive(Debug, Default)]
pub struct Histogram {
    buckets: [AtomicU64; BOUNDS_S.len() + 1],
    sum_us: AtomicU64,
}

impl Histogram {
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let index = BOUNDS_S
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(BOUNDS_S.len());
        self.buckets[index].fetch_add(1, Ordering::Relaxed);
        self.sum_us
            .fetch_add(took.as_micros() as u64, Ordering::Relaxed);
    }

    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Writes `NAME_bucket{LABELS,le=..}`, `NAME_sum{LABELS}` and
    /// `NAME_count{LABELS}`; `labels` is `key="value",...` or empty.
    pub fn render(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = BOUNDS_S
                .get(i)
                .map_or_else(|| "+Inf".to_string(), |b| b.to_string());
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {cumulative}"
            );
        }
        let sum = self.sum_us.load(Ordering::Relaxed) as f64 / 1e6;
        let braces = |l: &str| {
            if l.is_empty() {
                String::new()
            } else {
                format!("{{{l}}}")
            }
        };
        let _ = writeln!(out, "{name}_sum{} {sum}", braces(labels));
        let _ = writeln!(out, "{name}_count{} {cumulative}", braces(labels));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_agree_with_the_count() {
        let h = Histogram::default();
        h.observe(Duration::from_micros(100));
        h.observe(Duration::from_millis(3));
        h.observe(Duration::from_secs(60));
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "m=\"a\"");
        assert!(out.contains("x_seconds_bucket{m=\"a\",le=\"0.00025\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{m=\"a\",le=\"0.0025\"} 1\n"));
        assert!(out.contains("x_seconds_bucket{m=\"a\",le=\"0.005\"} 2\n"));
        assert!(out.contains("x_seconds_bucket{m=\"a\",le=\"10\"} 2\n"));
        assert!(out.contains("x_seconds_bucket{m=\"a\",le=\"+Inf\"} 3\n"));
        assert!(out.contains("x_seconds_count{m=\"a\"} 3\n"));
        assert!(out.contains("x_seconds_sum{m=\"a\"} 60.0031\n"));
        assert_eq!(h.count(), 3);
    }

    #[test]
    fn no_labels_renders_no_braces() {
        let h = Histogram::default();
        h.observe(Duration::from_millis(1));
        let mut out = String::new();
        h.render(&mut out, "y_seconds", "");
        assert!(out.contains("y_seconds_bucket{le=\"0.001\"} 1\n"), "{out}");
        assert!(out.contains("y_seconds_count 1\n"), "{out}");
    }
}
