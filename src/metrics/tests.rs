//! Metrics tests: every label rendered, counts by method, protocol and outcome.

use super::*;
use crate::rpc::error;
use crate::rpc::method::Spec;
use crate::rpc::registry::{Offered, Permission, Ty};

const fn spec(name: &'static str) -> Spec {
    Spec {
        name,
        params: &[],
        required: 0,
        returns: Ty::Any,
        offered: Offered::Both,
        permission: Permission::Read,
        help: "",
    }
}

static SPECS: [Spec; 3] = [
    spec("records.list"),
    spec("records.get"),
    spec("records.put"),
];

/// Counters for a table of the three methods of `SPECS`, and its methods.
fn metrics() -> (RpcMetrics, Vec<Method>) {
    let methods = SPECS.iter().enumerate().map(|(i, s)| Method::at(i, s));
    let m = RpcMetrics::new(SPECS.iter().map(|s| s.name).collect());
    (m, methods.collect())
}

#[test]
fn calls_are_counted_by_method_protocol_and_outcome() {
    let (m, methods) = metrics();
    let ms = Duration::from_millis(1);
    let list = Some(methods[0]);
    m.observe_call(Protocol::Json, list, None, ms);
    m.observe_call(Protocol::Json, list, None, ms);
    m.observe_call(Protocol::Xml, Some(methods[1]), Some(error::NOT_FOUND), ms);
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
    let (m, methods) = metrics();
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
        Some(error::REPLY_TOO_LARGE),
    ];
    let outcomes: Vec<Outcome> = codes.iter().map(|c| Outcome::of(*c)).collect();
    assert_eq!(
        outcomes,
        Outcome::ALL,
        "each code has its own outcome, in order"
    );
    assert_eq!(Outcome::of(Some(-1)), Outcome::InternalError);
    let methods: Vec<Option<Method>> = methods.into_iter().map(Some).chain([None]).collect();
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
    let (m, _) = metrics();
    for (n, code) in [200, 204, 400, 408, 401, 403, 413, 415, 429, 503, 500]
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
    assert_eq!(Status::of(502), Status::Other);
    assert_eq!(escape_label("a\"b\\c\nd"), r#"a\"b\\c\nd"#);
}
