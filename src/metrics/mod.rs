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
use crate::rpc::registry::{Method, Protocol};

/// The `outcome` label of an RPC call: `ok` or the error it ended in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    ParseError,
    InvalidRequest,
    MethodNotFound,
    InvalidParams,
    /// -32603, and any code syncdict does not define.
    InternalError,
    DbUnavailable,
    NotFound,
    Unauthenticated,
    Forbidden,
    RateLimited,
}

impl Outcome {
    pub const ALL: [Outcome; 11] = [
        Outcome::Ok,
        Outcome::ParseError,
        Outcome::InvalidRequest,
        Outcome::MethodNotFound,
        Outcome::InvalidParams,
        Outcome::InternalError,
        Outcome::DbUnavailable,
        Outcome::NotFound,
        Outcome::Unauthenticated,
        Outcome::Forbidden,
        Outcome::RateLimited,
    ];

    /// The outcome of a call that ended with `code` (`None`: success).
    pub fn of(code: Option<i64>) -> Outcome {
        match code {
            None => Outcome::Ok,
            Some(error::PARSE_ERROR) => Outcome::ParseError,
            Some(error::INVALID_REQUEST) => Outcome::InvalidRequest,
            Some(error::METHOD_NOT_FOUND) => Outcome::MethodNotFound,
            Some(error::INVALID_PARAMS) => Outcome::InvalidParams,
            Some(error::DATABASE_UNAVAILABLE) => Outcome::DbUnavailable,
            Some(error::NOT_FOUND) => Outcome::NotFound,
            Some(error::CREDENTIALS_REQUIRED) => Outcome::Unauthenticated,
            Some(error::PERMISSION_DENIED) => Outcome::Forbidden,
            Some(error::TOO_MANY_FAILURES) => Outcome::RateLimited,
            Some(_) => Outcome::InternalError,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::ParseError => "parse_error",
            Outcome::InvalidRequest => "invalid_request",
            Outcome::MethodNotFound => "method_not_found",
            Outcome::InvalidParams => "invalid_params",
            Outcome::InternalError => "internal_error",
            Outcome::DbUnavailable => "db_unavailable",
            Outcome::NotFound => "not_found",
            Outcome::Unauthenticated => "unauthenticated",
            Outcome::Forbidden => "forbidden",
            Outcome::RateLimited => "rate_limited",
        }
    }
}

/// The `status` label of an HTTP response of `/RPC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NoContent,
    BadRequest,
    Unauthorized,
    Forbidden,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    /// Any status `/RPC` is not expected to answer with.
    Other,
}

impl Status {
    pub const ALL: [Status; 9] = [
        Status::Ok,
        Status::NoContent,
        Status::BadRequest,
        Status::Unauthorized,
        Status::Forbidden,
        Status::PayloadTooLarge,
        Status::UnsupportedMediaType,
        Status::TooManyRequests,
        Status::Other,
    ];

    pub fn of(code: u16) -> Status {
        match code {
            200 => Status::Ok,
            204 => Status::NoContent,
            400 => Status::BadRequest,
            401 => Status::Unauthorized,
            403 => Status::Forbidden,
            413 => Status::PayloadTooLarge,
            415 => Status::UnsupportedMediaType,
            429 => Status::TooManyRequests,
            _ => Status::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "200",
            Status::NoContent => "204",
            Status::BadRequest => "400",
            Status::Unauthorized => "401",
            Status::Forbidden => "403",
            Status::PayloadTooLarge => "413",
            Status::UnsupportedMediaType => "415",
            Status::TooManyRequests => "429",
            Status::Other => "other",
        }
    }
}

impl Protocol {
    /// The `protocol` label.
    pub fn label(self) -> &'static str {
        match self {
            Protocol::Json => "jsonrpc",
            Protocol::Xml => "xmlrpc",
        }
    }
}

const PROTOCOLS: [Protocol; 2] = [Protocol::Json, Protocol::Xml];
/// One slot per method, then `other` (unknown names and unreadable requests).
const METHOD_SLOTS: usize = Method::ALL.len() + 1;

fn method_label(slot: usize) -> &'static str {
    Method::ALL.get(slot).map_or("other", |m| m.name())
}

fn method_slot(method: Option<Method>) -> usize {
    method.map_or(Method::ALL.len(), Method::index)
}

/// Where `[slot][protocol][outcome]` lives in `RpcMetrics::calls`.
fn call_index(slot: usize, protocol: Protocol, outcome: Outcome) -> usize {
    (slot * PROTOCOLS.len() + protocol as usize) * Outcome::ALL.len() + outcome as usize
}

/// The center's RPC counters, shared by every HTTP worker.
#[derive(Debug)]
pub struct RpcMetrics {
    /// `[method][protocol][outcome]`, flattened.
    calls: Vec<AtomicU64>,
    /// Per method slot.
    call_seconds: Vec<Histogram>,
    /// Per `Status`, in `Status::ALL` order.
    responses: [AtomicU64; Status::ALL.len()],
    request_seconds: Histogram,
}

impl Default for RpcMetrics {
    fn default() -> Self {
        RpcMetrics {
            calls: (0..METHOD_SLOTS * PROTOCOLS.len() * Outcome::ALL.len())
                .map(|_| AtomicU64::new(0))
                .collect(),
            call_seconds: (0..METHOD_SLOTS).map(|_| Histogram::default()).collect(),
            responses: Default::default(),
            request_seconds: Histogram::default(),
        }
    }
}

impl RpcMetrics {
    /// Counts one call of `method` (`None`: unknown, counted as `other`)
    /// that ended with `code` (`None`: success) after `took`.
    pub fn observe_call(
        &self,
        protocol: Protocol,
        method: Option<Method>,
        code: Option<i64>,
        took: Duration,
    ) {
        let slot = method_slot(method);
        let index = call_index(slot, protocol, Outcome::of(code));
        self.calls[index].fetch_add(1, Ordering::Relaxed);
        self.call_seconds[slot].observe(took);
    }

    /// Counts one HTTP request to `/RPC` answered with `status`.
    pub fn observe_request(&self, status: u16, took: Duration) {
        self.responses[Status::of(status) as usize].fetch_add(1, Ordering::Relaxed);
        self.request_seconds.observe(took);
    }

    /// Calls counted so far for `method` over `protocol` with `outcome`.
    #[cfg(test)]
    fn calls(&self, protocol: Protocol, method: Option<Method>, outcome: Outcome) -> u64 {
        self.calls[call_index(method_slot(method), protocol, outcome)].load(Ordering::Relaxed)
    }

    pub fn render(&self, out: &mut Exposition) {
        out.family(
            "syncdict_rpc_calls_total",
            "counter",
            "RPC calls by method, protocol and outcome (batch and multicall entries count one each).",
        );
        for slot in 0..METHOD_SLOTS {
            for protocol in PROTOCOLS {
                for outcome in Outcome::ALL {
                    let n = self.calls[call_index(slot, protocol, outcome)].load(Ordering::Relaxed);
                    if n > 0 {
                        let labels = format!(
                            "method=\"{}\",protocol=\"{}\",outcome=\"{}\"",
                            method_label(slot),
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
                let labels = format!("method=\"{}\"", method_label(slot));
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
        let list = Some(Method::RecordsList);
        m.observe_call(Protocol::Json, list, None, ms);
        m.observe_call(Protocol::Json, list, None, ms);
        m.observe_call(
            Protocol::Xml,
            Some(Method::RecordsGet),
            Some(error::NOT_FOUND),
            ms,
        );
        m.observe_call(Protocol::Json, None, Some(error::METHOD_NOT_FOUND), ms);
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
        assert_eq!(m.calls(Protocol::Json, list, Outcome::Ok), 2);
        assert!(!text.contains("records.put"), "zero series are left out");
    }

    /// Every method, protocol and outcome lands in its own series, named by
    /// its own label.
    #[test]
    fn every_call_label_is_rendered() {
        let m = RpcMetrics::default();
        let codes = [
            None,
            Some(error::PARSE_ERROR),
            Some(error::INVALID_REQUEST),
            Some(error::METHOD_NOT_FOUND),
            Some(error::INVALID_PARAMS),
            Some(error::INTERNAL_ERROR),
            Some(error::DATABASE_UNAVAILABLE),
            Some(error::NOT_FOUND),
            Some(error::CREDENTIALS_REQUIRED),
            Some(error::PERMISSION_DENIED),
            Some(error::TOO_MANY_FAILURES),
        ];
        let outcomes: Vec<Outcome> = codes.iter().map(|c| Outcome::of(*c)).collect();
        assert_eq!(
            outcomes,
            Outcome::ALL,
            "each code has its own outcome, in order"
        );
        assert_eq!(Outcome::of(Some(-1)), Outcome::InternalError);
        let methods: Vec<Option<Method>> =
            Method::ALL.into_iter().map(Some).chain([None]).collect();
        for method in &methods {
            for protocol in PROTOCOLS {
                for code in codes {
                    m.observe_call(protocol, *method, code, Duration::ZERO);
                }
            }
        }
        let mut out = Exposition::default();
        m.render(&mut out);
        let text = out.finish();
        for method in &methods {
            let name = method.map_or("other", Method::name);
            for protocol in PROTOCOLS {
                for outcome in Outcome::ALL {
                    let line = format!(
                        "syncdict_rpc_calls_total{{method=\"{name}\",protocol=\"{}\",outcome=\"{}\"}} 1",
                        protocol.label(),
                        outcome.label()
                    );
                    assert!(text.lines().any(|l| l == line), "missing {line}");
                }
            }
        }
        let series = text
            .lines()
            .filter(|l| l.starts_with("syncdict_rpc_calls_total{"))
            .count();
        assert_eq!(series, methods.len() * PROTOCOLS.len() * Outcome::ALL.len());
    }

    #[test]
    fn every_status_label_is_rendered() {
        let m = RpcMetrics::default();
        for (n, code) in [200, 204, 400, 401, 403, 413, 415, 429, 500]
            .into_iter()
            .enumerate()
        {
            for _ in 0..=n {
                m.observe_request(code, Duration::ZERO);
            }
        }
        let mut out = Exposition::default();
        m.render(&mut out);
        let text = out.finish();
        for (n, status) in Status::ALL.into_iter().enumerate() {
            let line = format!(
                "syncdict_rpc_http_responses_total{{status=\"{}\"}} {}",
                status.label(),
                n + 1
            );
            assert!(text.lines().any(|l| l == line), "missing {line}\n{text}");
        }
        assert_eq!(Status::of(503), Status::Other);
        assert_eq!(escape_label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
    }
}
