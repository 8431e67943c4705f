//! Metrics in the Prometheus text format (version 0.0.4), sans I/O.
//!
//! Counters and histograms are plain atomics updated on the hot path (a few
//! relaxed adds per call, no lock, no allocation); `GET /metrics`
//! (`routes::metrics`) renders them with the gauges read at scrape time.
//! Label values come from fixed sets (registry methods, outcomes, statuses,
//! configured upstreams), never from request text, so the series count is
//! bounded.

mod histogram;

use std::fmt::{Display, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub use histogram::Histogram;

use crate::rpc::error;
use crate::rpc::registry::{Protocol, METHODS};

/// The `outcome` label of an RPC call: `ok` or the error it ended in.
pub const OUTCOMES: [&str; 10] = [
    "ok",
    "parse_error",
    "invalid_request",
    "method_not_found",
    "invalid_params",
    "internal_error",
    "db_unavailable",
    "not_found",
    "unauthenticated",
    "forbidden",
];

/// The `outcome` index of a call that ended with `code` (`None`: success).
pub fn outcome_index(code: Option<i64>) -> usize {
    match code {
        None => 0,
        Some(error::PARSE_ERROR) => 1,
        Some(error::INVALID_REQUEST) => 2,
        Some(error::METHOD_NOT_FOUND) => 3,
        Some(error::INVALID_PARAMS) => 4,
        Some(error::DATABASE_UNAVAILABLE) => 6,
        Some(error::NOT_FOUND) => 7,
        Some(error::CREDENTIALS_REQUIRED) => 8,
        Some(error::PERMISSION_DENIED) => 9,
        Some(_) => 5,
    }
}

const PROTOCOLS: [&str; 2] = ["jsonrpc", "xmlrpc"];
/// Every registry method, then `other` (unknown names and unreadable requests).
const METHOD_SLOTS: usize = METHODS.len() + 1;
/// HTTP statuses `/RPC` answers with; anything else counts as `other`.
const STATUSES: [&str; 9] = [
    "200", "204", "400", "401", "403", "413", "415", "429", "other",
];

fn method_label(slot: usize) -> &'static str {
    METHODS.get(slot).map_or("other", |m| m.name)
}

/// The slot of `method`: its registry position, or `other`'s.
fn method_slot(method: &str) -> usize {
    METHODS
        .iter()
        .position(|m| m.name == method)
        .unwrap_or(METHODS.len())
}

/// Where `[slot][protocol][outcome]` lives in `RpcMetrics::calls`.
fn call_index(slot: usize, protocol: usize, outcome: usize) -> usize {
    (slot * PROTOCOLS.len() + protocol) * OUTCOMES.len() + outcome
}

fn protocol_index(protocol: Protocol) -> usize {
    match protocol {
        Protocol::Json => 0,
        Protocol::Xml => 1,
    }
}

/// The center's RPC counters, shared by every HTTP worker.
#[derive(Debug)]
pub struct RpcMetrics {
    /// `[method][protocol][outcome]`, flattened.
    calls: Vec<AtomicU64>,
    /// Per method slot.
    call_seconds: Vec<Histogram>,
    /// Per entry of `STATUSES`.
    responses: [AtomicU64; STATUSES.len()],
    request_seconds: Histogram,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        RpcMetrics {
            calls: (0..METHOD_SLOTS * PROTOCOLS.len() * OUTCOMES.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            call_seconds: (0..METHOD_SLOTS).map(|_| Histogram::default()).collect(),
            responses: Default::default(),
            request_seconds: Histogram::default(),
        }
    }
}

impl RpcMetrics {
    /// Counts one call of `method` (any text: unknown names count as
    /// `other`) that ended with `code` (`None`: success) after `took`.
    pub fn observe_call(
        &self,
        protocol: Protocol,
        method: &str,
        code: Option<i64>,
        took: Duration,
    ) {
        let slot = method_slot(method);
        let index = call_index(slot, protocol_index(protocol), outcome_index(code));
        self.calls[index].fetch_add(1, Ordering::Relaxed);
        self.call_seconds[slot].observe(took);
    }

    /// Counts one HTTP request to `/RPC` answered with `status`.
    pub fn observe_request(&self, status: u16, took: Duration) {
        let i = match status {
            200 => 0,
            204 => 1,
            400 => 2,
            401 => 3,
            403 => 4,
            413 => 5,
            415 => 6,
            429 => 7,
            _ => STATUSES.len() - 1,
        };
        self.responses[i].fetch_add(1, Ordering::Relaxed);
        self.request_seconds.observe(took);
    }

    /// Calls counted so far for `method` over `protocol` with `outcome`.
    pub fn calls(&self, protocol: Protocol, method: &str, outcome: &str) -> u64 {
        let o = OUTCOMES.iter().position(|x| *x == outcome).unwrap_or(0);
        let index = call_index(method_slot(method), protocol_index(protocol), o);
        self.calls[index].load(Ordering::Relaxed)
    }

    pub fn render(&self, out: &mut Exposition) {
        out.family(
            "syncdict_rpc_calls_total",
            "counter",
            "RPC calls by method, protocol and outcome (batch and multicall entries count one each).",
        );
        for slot in 0..METHOD_SLOTS {
            for (p, protocol) in PROTOCOLS.iter().enumerate() {
                for (o, outcome) in OUTCOMES.iter().enumerate() {
                    let n = self.calls[call_index(slot, p, o)].load(Ordering::Relaxed);
                    if n > 0 {
                        let labels = format!(
                            "method=\"{}\",protocol=\"{protocol}\",outcome=\"{outcome}\"",
                            method_label(slot)
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
                let labels = format!("method=\"{}\"", method_label(slot));
                out.histogram("syncdict_rpc_call_duration_seconds", &labels, h);
            }
        }
        out.family(
            "syncdict_rpc_http_responses_total",
            "counter",
            "HTTP responses of the RPC endpoint, by status.",
        );
        for (status, n) in STATUSES.iter().zip(&self.responses) {
            let n = n.load(Ordering::Relaxed);
            out.sample(
                "syncdict_rpc_http_responses_total",
                &format!("status=\"{status}\""),
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
mod tests {
    use super::*;

    #[test]
    fn calls_are_counted_by_method_protocol_and_outcome() {
        let m = RpcMetrics::default();
        let ms = Duration::from_millis(1);
        m.observe_call(Protocol::Json, "records.list", None, ms);
        m.observe_call(Protocol::Json, "records.list", None, ms);
        m.observe_call(Protocol::Xml, "records.get", Some(error::NOT_FOUND), ms);
        m.observe_call(Protocol::Json, "no.such", Some(error::METHOD_NOT_FOUND), ms);
        m.observe_request(200, ms);
        m.observe_request(418, ms);
        let mut out = Exposition::default();
        m.render(&mut out);
        let text = out.finish();
        for line in [
            r#"syncdict_rpc_calls_total{method="records.list",protocol="jsonrpc",outcome="ok"} 2"#,
            r#"syncdict_rpc_calls_total{method="records.get",protocol="xmlrpc",outcome="not_found"} 1"#,
            r#"syncdict_rpc_calls_total{method="other",protocol="jsonrpc",outcome="method_not_found"} 1"#,
            r#"syncdict_rpc_call_duration_seconds_count{method="records.list"} 2"#,
            r#"syncdict_rpc_http_responses_total{status="200"} 1"#,
            r#"syncdict_rpc_http_responses_total{status="other"} 1"#,
            "syncdict_rpc_request_duration_seconds_count 2",
        ] {
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert_eq!(m.calls(Protocol::Json, "records.list", "ok"), 2);
        assert!(!text.contains("records.put"), "zero series are left out");
    }

    #[test]
    fn every_error_code_has_an_outcome() {
        assert_eq!(
            OUTCOMES[outcome_index(Some(error::INTERNAL_ERROR))],
            "internal_error"
        );
        assert_eq!(OUTCOMES[outcome_index(Some(-1))], "internal_error");
        assert_eq!(
            OUTCOMES[outcome_index(Some(error::PERMISSION_DENIED))],
            "forbidden"
        );
        assert_eq!(escape_label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
