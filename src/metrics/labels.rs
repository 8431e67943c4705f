//! The label values of the RPC metrics, each an enum with `ALL` and
//! `label()`: outcomes, HTTP statuses, protocols.

use crate::rpc::error;
use crate::rpc::registry::Protocol;

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
    ReplyTooLarge,
}

impl Outcome {
    pub const ALL: [Outcome; 12] = [
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
        Outcome::ReplyTooLarge,
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
            Some(error::REPLY_TOO_LARGE) => Outcome::ReplyTooLarge,
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
            Outcome::ReplyTooLarge => "reply_too_large",
        }
    }
}

/// The `status` label of an HTTP response of `/RPC`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Ok,
    NoContent,
    BadRequest,
    RequestTimeout,
    Unauthorized,
    Forbidden,
    PayloadTooLarge,
    UnsupportedMediaType,
    TooManyRequests,
    ServiceUnavailable,
    /// Any status `/RPC` is not expected to answer with.
    Other,
}

impl Status {
    pub const ALL: [Status; 11] = [
        Status::Ok,
        Status::NoContent,
        Status::BadRequest,
        Status::RequestTimeout,
        Status::Unauthorized,
        Status::Forbidden,
        Status::PayloadTooLarge,
        Status::UnsupportedMediaType,
        Status::TooManyRequests,
        Status::ServiceUnavailable,
        Status::Other,
    ];

    pub fn of(code: u16) -> Status {
        match code {
            200 => Status::Ok,
            204 => Status::NoContent,
            400 => Status::BadRequest,
            408 => Status::RequestTimeout,
            401 => Status::Unauthorized,
            403 => Status::Forbidden,
            413 => Status::PayloadTooLarge,
            415 => Status::UnsupportedMediaType,
            429 => Status::TooManyRequests,
            503 => Status::ServiceUnavailable,
            _ => Status::Other,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Ok => "200",
            Status::NoContent => "204",
            Status::BadRequest => "400",
            Status::RequestTimeout => "408",
            Status::Unauthorized => "401",
            Status::Forbidden => "403",
            Status::PayloadTooLarge => "413",
            Status::UnsupportedMediaType => "415",
            Status::TooManyRequests => "429",
            Status::ServiceUnavailable => "503",
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
