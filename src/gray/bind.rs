//! The params gray releases share (a target, a schedule) and the one
//! place a store's refusal of a release becomes a call's error.

use serde_json::Value;

use crate::db::gray_releases::Stop;
use crate::domain::{Auto, Namespace, ReleaseId, RequestId, Target};
use crate::rpc::args::{self, Args};
use crate::rpc::{CallError, RpcError};

/// A release's `target`, `comment` and `auto`, in that order: with `auto`,
/// the target must be its first step.
pub(super) fn plan(a: &mut Args) -> Result<(Target, String, Option<Auto>), RpcError> {
    let target = a.required(target)?;
    let comment = a.or(args::comment, String::new())?;
    let auto = a.optional(schedule)?;
    if let Some(auto) = &auto {
        if target != Target::Percent(auto.first()) {
            return Err(RpcError::invalid_params(format!(
                "with \"auto\", \"target\" must be {{\"percent\": {}}}, its first step",
                f64::from(auto.first()) / 100.0
            )));
        }
    }
    Ok((target, comment, auto))
}

/// An automatic canary's schedule as `gray.create` takes it.
fn schedule(name: &str, v: Value) -> Result<Auto, RpcError> {
    Auto::from_json(&v).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
}

/// A target as `gray.create` and `gray.update` take it.
pub(super) fn target(name: &str, v: Value) -> Result<Target, RpcError> {
    Target::from_json(&v).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
}

/// The error for a release the store would not store or change (of
/// change request `request`, if it releases one).
pub(super) fn stopped(stop: Stop, id: ReleaseId, ns: &Namespace) -> CallError {
    stopped_of(stop, id, ns, RequestId(0))
}

/// `stopped`, for a release of change request `request`.
pub(super) fn stopped_of(
    stop: Stop,
    id: ReleaseId,
    ns: &Namespace,
    request: RequestId,
) -> CallError {
    match stop {
        Stop::NoSuchNamespace => CallError::NoSuchNamespace(ns.to_string()),
        Stop::NoSuchRelease => CallError::NoSuchRelease(id),
        Stop::TooManyActive(active) => CallError::TooManyReleases {
            namespace: ns.to_string(),
            active,
        },
        Stop::Ended(state) => CallError::ReleaseEnded { id, state },
        Stop::ReviewRequired(required) => CallError::ReviewRequired {
            namespace: ns.to_string(),
            required,
        },
        Stop::Moved => CallError::ReleaseMoved(id),
        Stop::NoSuchRequest => CallError::NoSuchRequest(request),
        Stop::RequestClosed(state) => CallError::RequestClosed { id: request, state },
        Stop::NotApproved {
            approvals,
            required,
        } => CallError::NotApproved {
            id: request,
            approvals,
            required,
        },
        Stop::RequestReleased(release) => CallError::RequestReleased {
            id: request,
            release,
        },
    }
}
