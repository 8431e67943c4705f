//! Answering an XML-RPC request: one call, or `system.multicall` with each
//! entry bound, authorized and run on its own.

use std::time::Instant;

use serde_json::Value;

use super::bind;
use super::body::Body;
use super::charset::Charset;
use super::jsonrpc::{self, Limits};
use super::registry::{Bound, Call, Introspection, Method, Protocol};
use super::{authorize, call_one, run, xmlrpc, Answer, Budget, Caller, Executor, Failure};
use super::{RawJson, RpcError};

/// The XML nesting that carries JSON nested `json_depth` deep: each JSON
/// level is three elements (`value` > `array` > `data`, or `value` >
/// `struct` > `member`), under `methodCall` > `params` > `param` > `value`.
const fn xml_depth(json_depth: usize) -> usize {
    json_depth * 3 + 4
}

/// Answers an XML-RPC request body (always a `methodResponse`).
pub(super) async fn handle_xml(
    body: &[u8],
    charset: Option<Charset>,
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Answer {
    let started = Instant::now();
    let mut method = String::new();
    let mut budget = Budget::new(limits);
    // The result as XML `<value>` pieces (shared with the cache when large).
    let outcome: Result<Body, Failure> =
        match xmlrpc::decode(body, charset, xml_depth(limits.max_depth)) {
            Err(fault) => Err(fault.into()),
            Ok(call) => {
                method = call.method;
                let params = jsonrpc::Params::Positional(call.params);
                match bind::bind(Protocol::Xml, &method, params) {
                    Ok(Bound {
                        call: Call::Introspect(Introspection::Multicall(calls)),
                        ..
                    }) => {
                        budget.may_hold = false;
                        multicall(calls, limits, caller, exec, &mut budget)
                            .await
                            .map_err(Failure::from)
                    }
                    Ok(bound) => match authorize(&bound, caller) {
                        Ok(()) => run(bound, Protocol::Xml, caller, exec)
                            .await
                            .and_then(|raw| budget.take(raw))
                            .and_then(|raw| value_body(&raw))
                            .map_err(Failure::from),
                        Err(refusal) => Err(Failure::Refused(refusal)),
                    },
                    Err(e) => Err(e.into()),
                }
            }
        };
    let code = outcome.as_ref().err().map(Failure::code);
    exec.observe(
        Protocol::Xml,
        Method::named(&method),
        code,
        started.elapsed(),
    );
    match outcome {
        Ok(value) => {
            let mut body = Body::new();
            body.extend(xmlrpc::RESPONSE_HEAD.as_bytes());
            body.append(value);
            body.extend(xmlrpc::RESPONSE_TAIL.as_bytes());
            Answer {
                body: Some(body),
                refusal: None,
                vouches: budget.vouches,
            }
        }
        Err(failure) => {
            let refusal = failure.refusal();
            Answer {
                body: Some(Body::from(
                    xmlrpc::encode_fault(&failure.into_error()).into_bytes(),
                )),
                refusal,
                vouches: Vec::new(),
            }
        }
    }
}

/// A result's `<value>`: its XML, made once per cached result and shared
/// (a fault if XML 1.0 cannot carry it).
fn value_body(raw: &RawJson) -> Result<Body, RpcError> {
    let mut body = Body::new();
    body.push_xml(raw.xml()?);
    Ok(body)
}

/// `system.multicall`: each call bound, authorized and run on its own;
/// `[result]` or a fault struct for each, in order, written straight to
/// XML (each result's XML shared, never parsed again).
async fn multicall(
    calls: Vec<Value>,
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
    budget: &mut Budget,
) -> Result<Body, RpcError> {
    if calls.len() > limits.max_batch {
        return Err(RpcError::invalid_request(format!(
            "multicall of {} calls, at most {} allowed",
            calls.len(),
            limits.max_batch
        )));
    }
    let mut out = Body::new();
    out.extend(b"<value><array><data>");
    for call in calls {
        // A nested system.multicall binds like any call and `introspect` refuses it.
        let outcome = match split_multicall_entry(call) {
            Err(e) => Err(Failure::Error(e)),
            Ok((method, params)) => {
                call_one(Protocol::Xml, &method, params, caller, exec, budget).await
            }
        };
        match outcome.and_then(|raw| raw.xml().map_err(Failure::from)) {
            Ok(xml) => {
                out.extend(b"<value><array><data>");
                out.push_xml(xml);
                out.extend(b"</data></array></value>");
            }
            Err(failure) => {
                let mut fault = String::new();
                xmlrpc::encode_value(&xmlrpc::fault_value(&failure.into_error()), &mut fault);
                out.extend(fault.as_bytes());
            }
        }
    }
    out.extend(b"</data></array></value>");
    Ok(out)
}

/// `{methodName, params}` of one multicall entry.
fn split_multicall_entry(entry: Value) -> Result<(String, jsonrpc::Params), RpcError> {
    let Value::Object(mut fields) = entry else {
        return Err(RpcError::invalid_request(
            "each multicall entry must be a struct",
        ));
    };
    let method = match fields.remove("methodName") {
        Some(Value::String(m)) => m,
        _ => {
            return Err(RpcError::invalid_request(
                "multicall entry without a string methodName",
            ))
        }
    };
    let params = match fields.remove("params") {
        None => jsonrpc::Params::None,
        Some(Value::Array(p)) => jsonrpc::Params::Positional(p),
        Some(_) => {
            return Err(RpcError::invalid_request(
                "multicall params must be an array",
            ))
        }
    };
    Ok((method, params))
}
