//! Metrics in the Prometheus text format (version 0.0.4), sans I/O.
//!
//! Counters and histograms are plain atomics updated on the hot path (a few
//! relaxed adds per call, no lock, no allocation); `GET /metrics`
//! (`routes::metrics`) renders them with the gauges read at scrape time.
//! Label values come from fixed sets (registry methods, outcomes, statuses,
//! configured upstreams), never from request text, so the series count is
//! bounded.

mod histogram;
mod labels;

use std::fmt::{Display, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use histogram::Histogram;
pub use labels::{Outcome, Status};

use crate::rpc::method::Method;
use crate::rpc::registry::Protocol;

const PROTOCOLS: [Protocol; 2] = [Protocol::Json, Protocol::Xml];

/// Where `[slot][protocol][outcome]` lives in `RpcMetrics::calls`.
fn call_index(slot: usize, protocol: Protocol, outcome: Outcome) -> usize {
    (slot * PROTOCOLS.len() + protocol as usize) * Outcome::ALL.len() + outcome as usize
}

/// The center's RPC counters, shared by every HTTP worker.
#[derive(Debug)]
pub struct RpcMetrics {
    /// The method names of the table, one slot each, then `other`
    /// (unknown names and unreadable requests).
    methods: Vec<&'static str>,
    /// `[method][protocol][outcome]`, flattened.
    calls: Vec<AtomicU64>,
    /// Per method slot.
    call_seconds: Vec<Histogram>,
    /// Per `Status`, in `Status::ALL` order.
    responses: [AtomicU64; Status::ALL.len()],
    request_seconds: Histogram,
    /// Requests to `/RPC` being read or answered now (held ones included).
    in_flight: AtomicU64,
    /// Calls answered from the reply memo (`rpc::replay`).
    replayed: AtomicU64,
}

/// One request to `/RPC` in flight, counted until it is dropped (answered
/// or cancelled).
pub struct InFlight(std::sync::Arc<RpcMetrics>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl InFlight {
    /// Counts the request answered with `status`, `started` when it came.
    pub fn answered(self, status: u16, started: std::time::Instant) {
        self.0.observe_request(status, started.elapsed());
    }
}

impl RpcMetrics {
    /// Counters for the methods named `methods` (a table's, in its order).
    pub fn new(methods: Vec<&'static str>) -> Self {
        let slots = methods.len() + 1;
        RpcMetrics {
            methods,
            calls: (0..slots * PROTOCOLS.len() * Outcome::ALL.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            call_seconds: (0..slots).map(|_| Histogram::default()).collect(),
            responses: Default::default(),
            request_seconds: Histogram::default(),
            in_flight: AtomicU64::new(0),
            replayed: AtomicU64::new(0),
        }
    }
}

impl RpcMetrics {
    fn slot(&self, method: Option<Method>) -> usize {
        method.map_or(self.methods.len(), Method::index)
    }

    fn method_label(&self, slot: usize) -> &'static str {
        self.methods.get(slot).copied().unwrap_or("other")
    }

    /// Counts one call of `method` (`None`: unknown, counted as `other`)
    /// that ended with `code` (`None`: success) after `took`.
    pub fn observe_call(
        &self,
        protocol: Protocol,
        method: Option<Method>,
        code: Option<i64>,
        took: Duration,
    ) {
        let slot = self.slot(method);
        let index = call_index(slot, protocol, Outcome::of(code));
        self.calls[index].fetch_add(1, Ordering::Relaxed);
        self.call_seconds[slot].observe(took);
    }

    /// Counts a call answered from the reply memo (counted as its method's
    /// call too).
    pub fn observe_replay(&self) {
        self.replayed.fetch_add(1, Ordering::Relaxed);
    }

    /// Counts a request to `/RPC` as in flight while the guard lives.
    pub fn request_started(self: &std::sync::Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    /// Counts one HTTP request to `/RPC` answered with `status`.
    pub fn observe_request(&self, status: u16, took: Duration) {
        self.responses[Status::of(status) as usize].fetch_add(1, Ordering::Relaxed);
        self.request_seconds.observe(took);
    }

    /// Calls counted so far for `method` over `protocol` with `outcome`.
    #[cfg(test)]
    fn calls(&self, protocol: Protocol, method: Option<Method>, outcome: Outcome) -> u64 {
        self.calls[call_index(self.slot(method), protocol, outcome)].load(Ordering::Relaxed)
    }

    pub fn render(&self, out: &mut Exposition) {
        out.single(
            "syncdict_rpc_replayed_total",
            "counter",
            "RPC calls answered from the reply memo: the same request from the same caller at an unchanged revision (also counted in syncdict_rpc_calls_total).",
            self.replayed.load(Ordering::Relaxed),
        );
        out.family(
            "syncdict_rpc_calls_total",
            "counter",
            "RPC calls by method, protocol and outcome (batch and multicall entries count one each).",
        );
        for slot in 0..=self.methods.len() {
            for protocol in PROTOCOLS {
                for outcome in Outcome::ALL {
                    let n = self.calls[call_index(slot, protocol, outcome)].load(Ordering::Relaxed);
                    if n > 0 {
                        let labels = format!(
                            "method=\"{}\",protocol=\"{}\",outcome=\"{}\"",
                            self.method_label(slot),
                            protocol.label(),
                            outcome.label()
                        );
                        out.sample("syncdict_rpc_calls_total", &labels, n);
                    }
                }
            }
        }
        out.family(
            "syncdict_rpc_call_duration_seconds",
            "histogram",
            "Time to answer one RPC call, by method.",
        );
        for (slot, h) in self.call_seconds.iter().enumerate() {
            if h.count() > 0 {
                let labels = format!("method=\"{}\"", self.method_label(slot));
                out.histogram("syncdict_rpc_call_duration_seconds", &labels, h);
            }
        }
        out.family(
            "syncdict_rpc_http_responses_total",
            "counter",
            "HTTP responses of the RPC endpoint, by status.",
        );
        for status in Status::ALL {
            let n = self.responses[status as usize].load(Ordering::Relaxed);
            out.sample(
                "syncdict_rpc_http_responses_total",
                &format!("status=\"{}\"", status.label()),
                n,
            );
        }
        out.family(
            "syncdict_rpc_request_duration_seconds",
            "histogram",
            "Time to answer one HTTP request to the RPC endpoint, body read included.",
        );
        out.histogram(
            "syncdict_rpc_request_duration_seconds",
            "",
            &self.request_seconds,
        );
        out.single(
            "syncdict_rpc_requests_in_flight",
            "gauge",
            "Requests to the RPC endpoint being read or answered now, held ones included.",
            self.in_flight.load(Ordering::Relaxed),
        );
    }
}

/// A Prometheus text exposition being written.
#[derive(Debug, Default)]
pub struct Exposition {
    out: String,
}

impl Exposition {
    /// Starts a metric family: its `# HELP` and `# TYPE` lines.
    pub fn family(&mut self, name: &str, kind: &str, help: &str) {
        let _ = writeln!(self.out, "# HELP {name} {help}");
        let _ = writeln!(self.out, "# TYPE {name} {kind}");
    }

    /// One sample; `labels` is `key="value",...` or empty.
    pub fn sample(&mut self, name: &str, labels: &str, value: impl Display) {
        if labels.is_empty() {
            let _ = writeln!(self.out, "{name} {value}");
        } else {
            let _ = writeln!(self.out, "{name}{{{labels}}} {value}");
        }
    }

    /// A family with a single unlabelled sample.
    pub fn single(&mut self, name: &str, kind: &str, help: &str, value: impl Display) {
        self.family(name, kind, help);
        self.sample(name, "", value);
    }

    pub fn histogram(&mut self, name: &str, labels: &str, h: &Histogram) {
        h.render(&mut self.out, name, labels);
    }

    pub fn finish(self) -> String {
        self.out
    }
}

/// A label value with `\`, `"` and newlines escaped, as the format requires.
pub fn escape_label(value: &str) -> String {
    value
        .replace('\\', r"\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

#[cfg(test)]
mod tests;
