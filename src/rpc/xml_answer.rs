//! Answering an XML-RPC request: one call, or `system.multicall` with each
//! entry bound, authorized and run on its own.

use std::time::{Duration, Instant};

use serde_json::Value;

use super::args::Args;
use super::body::Body;
use super::charset::Charset;
use super::jsonrpc::{self, Limits};
use super::method::{named, RpcMethod};
use super::registry::Protocol;
use super::{call_one, xmlrpc, Answer, Budget, Caller, Executor, Failure, Multicall};
use super::{RawJson, RpcError};

/// The XML nesting that carries JSON nested `json_depth` deep: each JSON
/// level is three elements (`value` > `array` > `data`, or `value` >
/// `struct` > `member`), under `methodCall` > `params` > `param` > `value`.
const fn xml_depth(json_depth: usize) -> usize {
    json_depth * 3 + 4
}

/// Answers an XML-RPC request body (always a `methodResponse`).
pub(super) async fn handle_xml<E: Executor>(
    body: &[u8],
    charset: Option<Charset>,
    limits: &Limits,
    caller: &Caller,
    exec: &E,
) -> Answer {
    let mut budget = Budget::new(limits);
    // The result as XML `<value>` pieces (shared with the cache when large).
    let outcome: Result<Body, Failure> =
        match xmlrpc::decode(body, charset, xml_depth(limits.max_depth)) {
            Err(fault) => {
                exec.observe(Protocol::Xml, None, Some(fault.code), Duration::ZERO);
                Err(fault.into())
            }
            Ok(call) if call.method == <Multicall as RpcMethod<E>>::SPEC.name => {
                let started = Instant::now();
                budget.hold = None;
                let outcome = multicall(call.params, limits, caller, exec, &mut budget)
                    .await
                    .map_err(Failure::from);
                let code = outcome.as_ref().err().map(Failure::code);
                let method = named(exec.methods(), &call.method).map(|(m, _)| m);
                exec.observe(Protocol::Xml, method, code, started.elapsed());
                outcome
            }
            Ok(call) => {
                let params = jsonrpc::Params::Positional(call.params);
                let outcome = call_one(
                    Protocol::Xml,
                    &call.method,
                    params,
                    caller,
                    exec,
                    &mut budget,
                )
                .await;
                if let Some(deferred) = budget.deferred.take() {
                    return Answer::later(deferred.xml(exec.clone()));
                }
                outcome.and_then(|raw| value_body(&raw).map_err(Failure::from))
            }
        };
    match outcome {
        Ok(value) => Answer {
            replay: budget.replayable,
            ..Answer::plain(Some(method_response(value)), budget.vouches)
        },
        Err(failure) => {
            let refusal = failure.refusal();
            Answer {
                refusal,
                ..Answer::plain(Some(fault_body(&failure.into_error())), Vec::new())
            }
        }
    }
}

/// A `methodResponse` carrying `error` as a fault.
pub(super) fn fault_body(error: &RpcError) -> Body {
    Body::from(xmlrpc::encode_fault(error).into_bytes())
}

/// A `methodResponse` carrying `value`.
pub(super) fn method_response(value: Body) -> Body {
    let mut body = Body::new();
    body.extend(xmlrpc::RESPONSE_HEAD.as_bytes());
    body.append(value);
    body.extend(xmlrpc::RESPONSE_TAIL.as_bytes());
    body
}

/// A result's `<value>`: its XML, made once per cached result and shared
/// (a fault if XML 1.0 cannot carry it).
pub(super) fn value_body(raw: &RawJson) -> Result<Body, RpcError> {
    let mut body = Body::new();
    body.push_xml(raw.xml()?);
    Ok(body)
}

/// `system.multicall`: each call bound, authorized and run on its own;
/// `[result]` or a fault struct for each, in order, written straight to
/// XML (each result's XML shared, never parsed again).
async fn multicall<E: Executor>(
    params: Vec<Value>,
    limits: &Limits,
    caller: &Caller,
    exec: &E,
    budget: &mut Budget,
) -> Result<Body, RpcError> {
    let spec = <Multicall as RpcMethod<E>>::SPEC;
    let mut args = Args::arrange(spec, jsonrpc::Params::Positional(params))?;
    let calls = <Multicall as RpcMethod<E>>::bind(&mut args)?;
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
        // A nested system.multicall binds like any call and its body refuses it.
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
