//! Answering an XML-RPC request: one call, or `system.multicall` with each
//! entry bound, authorized and run on its own.

use std::time::Instant;

use serde_json::Value;

use super::bind;
use super::body::Body;
use super::charset::Charset;
use super::jsonrpc::{self, Limits};
use super::registry::{Bound, Call, Introspection, Method, Protocol};
use super::{authorize, call_one, error, run, xmlrpc, Answer, Budget, Caller, Executor, Failure};
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
    let outcome: Result<RawJson, Failure> =
        match xmlrpc::decode(body, charset, xml_depth(limits.max_depth)) {
            Err(fault) => Err(fault.into()),
            Ok(call) => {
                method = call.method;
                let params = jsonrpc::Params::Positional(call.params);
                match bind::bind(Protocol::Xml, &method, params) {
                    Ok(Bound {
                        call: Call::Introspect(Introspection::Multicall(calls)),
                        ..
                    }) => multicall(calls, limits, caller, exec)
                        .await
                        .map_err(Failure::from),
                    Ok(bound) => match authorize(&bound, caller) {
                        Ok(()) => match run(bound.call, Protocol::Xml, exec).await {
                            Ok(raw) => Budget::new(limits).take(raw).map_err(Failure::from),
                            Err(e) => Err(Failure::from(e)),
                        },
                        Err(refusal) => Err(Failure::Refused(refusal)),
                    },
                    Err(e) => Err(e.into()),
                }
            }
        };
    let outcome = outcome.and_then(|raw| to_value(raw).map_err(Failure::from));
    let code = outcome.as_ref().err().map(Failure::code);
    exec.observe(
        Protocol::Xml,
        Method::named(&method),
        code,
        started.elapsed(),
    );
    match outcome {
        Ok(result) => Answer {
            body: Some(Body::from(xmlrpc::encode_response(&result).into_bytes())),
            refusal: None,
        },
        Err(failure) => {
            let refusal = failure.refusal();
            Answer {
                body: Some(Body::from(
                    xmlrpc::encode_fault(&failure.into_error()).into_bytes(),
                )),
                refusal,
            }
        }
    }
}

/// A result as a JSON tree, for the XML-RPC encoder; a fault if it holds a
/// character XML 1.0 cannot carry (such a record is readable over JSON-RPC).
fn to_value(raw: RawJson) -> Result<Value, RpcError> {
    let value = serde_json::from_str(raw.as_str())
        .map_err(|_| RpcError::new(error::INTERNAL_ERROR, "internal error"))?;
    match xmlrpc::unrepresentable(&value) {
        None => Ok(value),
        Some(c) => Err(RpcError::new(
            error::INTERNAL_ERROR,
            format!(
                "the result holds U+{:04X}, which XML 1.0 cannot carry; read it over JSON-RPC",
                c as u32
            ),
        )),
    }
}

/// `system.multicall`: each call bound, authorized and run on its own;
/// `[result]` or a fault struct for each, in order.
async fn multicall(
    calls: Vec<Value>,
    limits: &Limits,
    caller: &Caller,
    exec: &impl Executor,
) -> Result<RawJson, RpcError> {
    if calls.len() > limits.max_batch {
        return Err(RpcError::invalid_request(format!(
            "multicall of {} calls, at most {} allowed",
            calls.len(),
            limits.max_batch
        )));
    }
    let mut results = Vec::with_capacity(calls.len());
    let mut budget = Budget::new(limits);
    for call in calls {
        // A nested system.multicall binds like any call and `introspect` refuses it.
        let outcome = match split_multicall_entry(call) {
            Err(e) => Err(Failure::Error(e)),
            Ok((method, params)) => {
                call_one(Protocol::Xml, &method, params, caller, exec, &mut budget).await
            }
        };
        let outcome = outcome.and_then(|raw| to_value(raw).map_err(Failure::from));
        results.push(match outcome {
            Ok(value) => Value::Array(vec![value]),
            Err(failure) => xmlrpc::fault_value(&failure.into_error()),
        });
    }
    Ok(RawJson::of(&results))
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
