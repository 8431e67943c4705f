//! `Refusal`: why a request, or a single call, was not run. One value per
//! cause, with the HTTP status, the JSON-RPC code and the message it is
//! answered with; `rpc::Answer::refused` renders it in the protocol of the
//! request (a JSON-RPC error or an XML-RPC fault), so every refusal looks
//! the same to every client.

use std::time::Duration;

use super::error::{
    RpcError, CREDENTIALS_REQUIRED, DATABASE_UNAVAILABLE, INTERNAL_ERROR, INVALID_REQUEST,
    PERMISSION_DENIED, SERVER_BUSY, TOO_MANY_FAILURES,
};
use crate::domain::{Namespace, Principal};

/// Why a request or call was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A browser page of an origin not in `server.cors_origins`.
    ForbiddenOrigin,
    /// Neither a JSON-RPC nor an XML-RPC Content-Type (or not UTF-8).
    UnsupportedMediaType { detail: String },
    /// An Authorization header that is not readable Basic credentials.
    UnreadableCredentials,
    /// Basic credentials that do not match a user.
    WrongCredentials { user: String },
    /// A bearer token that is unknown, expired or revoked (one answer for
    /// all three, so a caller cannot tell which).
    WrongToken,
    /// Too many failed logins from this address, or for this user, lately.
    TooManyFailures { retry_after: Duration },
    /// Too many password checks running for this address at once.
    LoginsInFlight,
    /// The password pool's queue is full (server-wide).
    PasswordsBusy,
    /// Credentials cannot be checked while the database is down.
    DatabaseUnavailable,
    /// Credentials could not be checked for another reason (logged where it happened).
    Internal,
    /// The body is larger than `server.max_body`.
    BodyTooLarge { max_bytes: usize },
    /// The body could not be read (the connection broke).
    BodyUnreadable,
    /// The body did not arrive within `server.request_timeout`.
    BodyTimeout,
    /// The call needs a user (a write, or a read with `read_access = "users"`).
    CredentialsRequired,
    /// The user lacks the permission.
    PermissionDenied { principal: Principal, what: Denied },
}

/// What a user was denied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Denied {
    Read(Namespace),
    Write(Namespace),
    /// Needs a grant on every namespace (`*`).
    ReadAll,
    /// Needs the write grant on every namespace (`*`).
    WriteAll,
    /// Needs an administrator.
    Admin,
}

impl std::fmt::Display for Denied {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Denied::Read(ns) => write!(f, "may not read namespace {:?}", ns.as_str()),
            Denied::Write(ns) => write!(f, "may not write namespace {:?}", ns.as_str()),
            Denied::ReadAll => f.write_str("needs a grant on every namespace ('*')"),
            Denied::WriteAll => f.write_str("needs the write grant on every namespace ('*')"),
            Denied::Admin => f.write_str("needs an administrator (syncdict user admin NAME)"),
        }
    }
}

impl Refusal {
    /// The HTTP status it is answered with.
    pub fn status(&self) -> u16 {
        match self {
            Refusal::ForbiddenOrigin | Refusal::PermissionDenied { .. } => 403,
            Refusal::UnsupportedMediaType { .. } => 415,
            Refusal::UnreadableCredentials
            | Refusal::WrongCredentials { .. }
            | Refusal::WrongToken
            | Refusal::CredentialsRequired => 401,
            Refusal::TooManyFailures { .. } | Refusal::LoginsInFlight => 429,
            Refusal::PasswordsBusy => 503,
            // Like any call made while the database is down.
            Refusal::DatabaseUnavailable | Refusal::Internal => 200,
            Refusal::BodyTooLarge { .. } => 413,
            Refusal::BodyUnreadable => 400,
            Refusal::BodyTimeout => 408,
        }
    }

    /// Whether the answer carries the Basic challenge (`WWW-Authenticate`).
    pub fn challenges(&self) -> bool {
        self.status() == 401
    }

    /// For `Retry-After`, when the client should wait.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Refusal::TooManyFailures { retry_after } => Some(*retry_after),
            Refusal::LoginsInFlight | Refusal::PasswordsBusy => Some(Duration::from_secs(1)),
            _ => None,
        }
    }

    /// The error as the client sees it: code and message.
    pub fn error(&self) -> RpcError {
        let (code, message) = match self {
            Refusal::ForbiddenOrigin => (
                INVALID_REQUEST,
                "this origin may not call the API (server.cors_origins)".to_string(),
            ),
            Refusal::UnsupportedMediaType { detail } => (INVALID_REQUEST, detail.clone()),
            Refusal::UnreadableCredentials => (
                CREDENTIALS_REQUIRED,
                "unreadable Authorization header; use Basic credentials or a Bearer token".into(),
            ),
            Refusal::WrongToken => (
                CREDENTIALS_REQUIRED,
                "unknown, expired or revoked token".into(),
            ),
            Refusal::WrongCredentials { .. } => {
                (CREDENTIALS_REQUIRED, "wrong user name or password".into())
            }
            Refusal::TooManyFailures { .. } => (
                TOO_MANY_FAILURES,
                "too many failed logins from this address or for this user; try again later".into(),
            ),
            Refusal::LoginsInFlight => (
                TOO_MANY_FAILURES,
                "too many logins at once from this address; retry in a second".into(),
            ),
            Refusal::PasswordsBusy => (
                SERVER_BUSY,
                "too many password checks waiting; retry in a second".into(),
            ),
            Refusal::DatabaseUnavailable => (DATABASE_UNAVAILABLE, "database unavailable".into()),
            Refusal::Internal => (INTERNAL_ERROR, "internal error".into()),
            Refusal::BodyTooLarge { max_bytes } => (
                INVALID_REQUEST,
                format!("request body exceeds {max_bytes} bytes"),
            ),
            Refusal::BodyUnreadable => (INVALID_REQUEST, "request body could not be read".into()),
            Refusal::BodyTimeout => (
                INVALID_REQUEST,
                "request body not received in time (server.request_timeout)".into(),
            ),
            Refusal::CredentialsRequired => (CREDENTIALS_REQUIRED, "credentials required".into()),
            Refusal::PermissionDenied { principal, what } => {
                let who = match principal {
                    Principal::User(_) => "this user",
                    Principal::Token(_) => "this token",
                };
                (
                    PERMISSION_DENIED,
                    format!("permission denied: {who} {what}"),
                )
            }
        };
        RpcError::new(code, message)
    }

    /// A short stable name for logs.
    pub fn label(&self) -> &'static str {
        match self {
            Refusal::ForbiddenOrigin => "forbidden_origin",
            Refusal::UnsupportedMediaType { .. } => "unsupported_media_type",
            Refusal::UnreadableCredentials => "unreadable_credentials",
            Refusal::WrongCredentials { .. } => "wrong_credentials",
            Refusal::WrongToken => "wrong_token",
            Refusal::TooManyFailures { .. } => "too_many_failures",
            Refusal::LoginsInFlight => "logins_in_flight",
            Refusal::PasswordsBusy => "passwords_busy",
            Refusal::DatabaseUnavailable => "database_unavailable",
            Refusal::Internal => "internal_error",
            Refusal::BodyTooLarge { .. } => "body_too_large",
            Refusal::BodyUnreadable => "body_unreadable",
            Refusal::BodyTimeout => "body_timeout",
            Refusal::CredentialsRequired => "credentials_required",
            Refusal::PermissionDenied { .. } => "permission_denied",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_refusal_has_a_status_a_code_and_a_label() {
        let principal = Principal::User(crate::domain::Username::parse("bob").unwrap());
        let all = [
            (Refusal::ForbiddenOrigin, 403, INVALID_REQUEST),
            (
                Refusal::UnsupportedMediaType {
                    detail: "text/plain".into(),
                },
                415,
                INVALID_REQUEST,
            ),
            (Refusal::UnreadableCredentials, 401, CREDENTIALS_REQUIRED),
            (
                Refusal::WrongCredentials { user: "bob".into() },
                401,
                CREDENTIALS_REQUIRED,
            ),
            (
                Refusal::TooManyFailures {
                    retry_after: Duration::from_secs(60),
                },
                429,
                TOO_MANY_FAILURES,
            ),
            (Refusal::LoginsInFlight, 429, TOO_MANY_FAILURES),
            (Refusal::WrongToken, 401, CREDENTIALS_REQUIRED),
            (Refusal::PasswordsBusy, 503, SERVER_BUSY),
            (Refusal::DatabaseUnavailable, 200, DATABASE_UNAVAILABLE),
            (Refusal::Internal, 200, INTERNAL_ERROR),
            (
                Refusal::BodyTooLarge { max_bytes: 1024 },
                413,
                INVALID_REQUEST,
            ),
            (Refusal::BodyUnreadable, 400, INVALID_REQUEST),
            (Refusal::BodyTimeout, 408, INVALID_REQUEST),
            (Refusal::CredentialsRequired, 401, CREDENTIALS_REQUIRED),
            (
                Refusal::PermissionDenied {
                    principal,
                    what: Denied::Write(Namespace::default()),
                },
                403,
                PERMISSION_DENIED,
            ),
        ];
        let mut labels = std::collections::HashSet::new();
        for (refusal, status, code) in all {
            assert_eq!(refusal.status(), status, "{refusal:?}");
            assert_eq!(refusal.error().code, code, "{refusal:?}");
            assert_eq!(refusal.challenges(), status == 401, "{refusal:?}");
            assert!(labels.insert(refusal.label()), "{refusal:?}");
        }
    }
}
