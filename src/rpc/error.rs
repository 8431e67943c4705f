//! JSON-RPC error codes and the one place service errors become them.

use std::fmt;

use crate::domain::{ReleaseId, ReleaseState, RequestId, RequestState};

/// Invalid JSON (also invalid UTF-8 or nesting past the limit).
pub const PARSE_ERROR: i64 = -32700;
/// Not a valid request object (or an empty or oversized batch).
pub const INVALID_REQUEST: i64 = -32600;
pub const METHOD_NOT_FOUND: i64 = -32601;
pub const INVALID_PARAMS: i64 = -32602;
pub const INTERNAL_ERROR: i64 = -32603;
/// Application error: the database cannot be reached right now; retry later.
pub const DATABASE_UNAVAILABLE: i64 = -32001;
/// Application error: no record under the given key.
pub const NOT_FOUND: i64 = -32002;
/// Application error: the call needs credentials (HTTP 401 when alone).
pub const CREDENTIALS_REQUIRED: i64 = -32003;
/// Application error: the user lacks the permission (HTTP 403 when alone).
pub const PERMISSION_DENIED: i64 = -32004;
/// Application error: too many failed logins from this address (HTTP 429).
pub const TOO_MANY_FAILURES: i64 = -32005;
/// Application error: the request's replies would pass `server.max_reply`.
pub const REPLY_TOO_LARGE: i64 = -32006;
/// Application error: password checks are at their bound (HTTP 503).
pub const SERVER_BUSY: i64 = -32007;
/// Application error: the call names a namespace that does not exist.
pub const NO_SUCH_NAMESPACE: i64 = -32008;
/// Application error: the namespace changed after the `if_revision` given.
pub const CONFLICT: i64 = -32009;
/// Application error: the revision is outside the history kept.
pub const REVISION_OUT_OF_RANGE: i64 = -32010;
/// Application error: the namespace still has records (`force` deletes them).
pub const NAMESPACE_NOT_EMPTY: i64 = -32011;
/// Application error: a namespace of that name exists.
pub const NAMESPACE_EXISTS: i64 = -32012;
/// Application error: the namespace requires reviews; a change goes in as a
/// change request.
pub const REVIEW_REQUIRED: i64 = -32013;
/// Application error: no change request with that id.
pub const NO_SUCH_REQUEST: i64 = -32014;
/// Application error: the change request cannot do that now (closed, short
/// of approvals, reviewed by its author, too many open).
pub const REQUEST_REFUSED: i64 = -32015;
/// Application error: no gray release with that id.
pub const NO_SUCH_RELEASE: i64 = -32016;
/// Application error: the gray release cannot do that now (ended, or too
/// many active on its namespace).
pub const RELEASE_REFUSED: i64 = -32017;

/// An error as sent to the client: a code and a message fit for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RpcError {
    pub code: i64,
    pub message: String,
}

impl RpcError {
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        RpcError {
            code,
            message: message.into(),
        }
    }

    pub fn parse(detail: impl fmt::Display) -> Self {
        Self::new(PARSE_ERROR, format!("Parse error: {detail}"))
    }

    pub fn invalid_request(detail: impl fmt::Display) -> Self {
        Self::new(INVALID_REQUEST, format!("Invalid Request: {detail}"))
    }

    pub fn method_not_found(name: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {name}"))
    }

    pub fn invalid_params(detail: impl fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("Invalid params: {detail}"))
    }
}

/// Why a method call failed in the service; mapped to codes just below.
#[derive(Debug, thiserror::Error)]
pub enum CallError {
    #[error("no record with key {0:?}")]
    NotFound(String),
    #[error("no namespace {0:?} (namespaces.list shows them)")]
    NoSuchNamespace(String),
    #[error("conflict: namespace {namespace:?} changed at revision {changed_at}, after if_revision {if_revision}")]
    Conflict {
        namespace: String,
        changed_at: i64,
        if_revision: i64,
    },
    #[error("revision {asked} is out of range: history reaches from {from} to {current} (server.history_retention)")]
    OutOfRange { asked: i64, from: i64, current: i64 },
    #[error("namespace {namespace:?} has {records} records; pass force to delete them with it")]
    NotEmpty { namespace: String, records: i64 },
    #[error("namespace {0:?} exists")]
    Exists(String),
    #[error("namespace {namespace:?} requires {required} approving review(s) before a change is published: \
             propose the change with changes.propose (changes.release starts an approved one as a gray \
             release); an administrator can publish a request without its reviews only by giving a reason")]
    ReviewRequired { namespace: String, required: i64 },
    #[error("no change request {0} (changes.list shows them)")]
    NoSuchRequest(RequestId),
    #[error("change request {id} is {}", state.as_str())]
    RequestClosed { id: RequestId, state: RequestState },
    #[error("change request {id} has {approvals} of the {required} approving review(s) its namespace requires")]
    NotApproved {
        id: RequestId,
        approvals: i64,
        required: i64,
    },
    #[error("change request {id} is in active gray release {release}; promote or abort it first")]
    RequestReleased { id: RequestId, release: ReleaseId },
    #[error("the author of change request {0} cannot review it")]
    OwnRequest(RequestId),
    #[error("namespace {namespace:?} has {open} open change requests; publish, reject or withdraw some first")]
    TooManyOpen { namespace: String, open: i64 },
    #[error("conflict: change request {id} touches keys changed since it was proposed: {}; propose it again on the current data", keys.join(", "))]
    KeysChanged { id: RequestId, keys: Vec<String> },
    #[error("no gray release {0} (gray.list shows them)")]
    NoSuchRelease(ReleaseId),
    #[error("gray release {id} is {}", state.as_str())]
    ReleaseEnded { id: ReleaseId, state: ReleaseState },
    #[error("conflict: gray release {0} changed meanwhile (gray.get shows it as it is now)")]
    ReleaseMoved(ReleaseId),
    #[error("conflict: gray release {id} touches keys changed on the main line since it was made: {}; abort it and start it again on the current data", keys.join(", "))]
    ReleaseKeysChanged { id: ReleaseId, keys: Vec<String> },
    #[error(
        "namespace {namespace:?} has {active} active gray releases; promote or abort some first"
    )]
    TooManyReleases { namespace: String, active: i64 },
    /// Params that bind but are refused by the store (a schema violation).
    #[error("Invalid params: {0}")]
    Invalid(String),
    #[error("database unavailable")]
    Unavailable,
    /// The password pool's queue is full: try again in a second.
    #[error("password checks are busy; try again in a second")]
    Busy,
    /// Details are logged where this is raised, never sent.
    #[error("internal error")]
    Internal,
    /// A protocol error raised by a method's body (a nested multicall, an
    /// unknown method asked about).
    #[error("{}", .0.message)]
    Rpc(RpcError),
}

impl From<CallError> for RpcError {
    fn from(e: CallError) -> Self {
        let code = match e {
            CallError::Rpc(e) => return e,
            CallError::NotFound(_) => NOT_FOUND,
            CallError::NoSuchNamespace(_) => NO_SUCH_NAMESPACE,
            CallError::Conflict { .. } => CONFLICT,
            CallError::OutOfRange { .. } => REVISION_OUT_OF_RANGE,
            CallError::NotEmpty { .. } => NAMESPACE_NOT_EMPTY,
            CallError::Exists(_) => NAMESPACE_EXISTS,
            CallError::ReviewRequired { .. } => REVIEW_REQUIRED,
            CallError::NoSuchRequest(_) => NO_SUCH_REQUEST,
            CallError::RequestClosed { .. }
            | CallError::NotApproved { .. }
            | CallError::OwnRequest(_)
            | CallError::RequestReleased { .. }
            | CallError::TooManyOpen { .. } => REQUEST_REFUSED,
            CallError::KeysChanged { .. } => CONFLICT,
            CallError::NoSuchRelease(_) => NO_SUCH_RELEASE,
            CallError::ReleaseKeysChanged { .. } => CONFLICT,
            CallError::ReleaseEnded { .. }
            | CallError::ReleaseMoved(_)
            | CallError::TooManyReleases { .. } => RELEASE_REFUSED,
            CallError::Invalid(_) => INVALID_PARAMS,
            CallError::Unavailable => DATABASE_UNAVAILABLE,
            CallError::Busy => SERVER_BUSY,
            CallError::Internal => INTERNAL_ERROR,
        };
        RpcError::new(code, e.to_string())
    }
}
