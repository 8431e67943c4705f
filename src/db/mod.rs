//! The only place that speaks diesel: connections, pool, migrations,
//! queries, and the `DbExecutor` actor that runs them (`executor.rs`).
//!
//! One `AnyConnection` enum holds a connection to whichever backend the URL
//! names. Query code is written once and expanded per backend by
//! `with_conn!`/`write_transaction!`, so each arm is checked against its own
//! backend (and may differ where SQL does).

#[cfg(any(feature = "mysql", feature = "postgres"))]
pub mod admin;
pub mod change_requests;
pub mod change_reviews;
mod credentials;
mod digests;
pub mod executor;
mod expiry;
pub mod fleet;
pub mod gray_releases;
mod gray_requests;
pub mod history;
pub mod namespaces;
pub mod outbox;
mod pool;
pub mod records;
mod review_close;
mod review_gate;
mod schema;
mod schema_cache;
pub mod search;
pub mod secrets;
pub mod sessions;
pub mod tokens;
pub mod upgrade;
pub mod users;
pub mod webhooks;
mod write_events;
mod write_plan;
pub mod writes;

use diesel::result::{DatabaseErrorKind, Error as DieselError};

pub use pool::{build_pool, connect, migrate_now, ConnectError, DbPool};

/// A connection to one of the compiled-in backends.
pub enum AnyConnection {
    Sqlite(diesel::SqliteConnection),
    #[cfg(feature = "mysql")]
    Mysql(diesel::MysqlConnection),
    #[cfg(feature = "postgres")]
    Postgres(diesel::PgConnection),
}

/// Runs `$body` with `$c` bound to the concrete connection.
macro_rules! with_conn {
    ($conn:expr, |$c:ident| $body:expr) => {
        match $conn {
            $crate::db::AnyConnection::Sqlite($c) => $body,
            #[cfg(feature = "mysql")]
            $crate::db::AnyConnection::Mysql($c) => $body,
            #[cfg(feature = "postgres")]
            $crate::db::AnyConnection::Postgres($c) => $body,
        }
    };
}
pub(crate) use with_conn;

/// Why a database call failed, as the DB actor reports it.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// No connection could be had, or it broke: the caller may retry later.
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// The database answered with an error.
    #[error("database error: {0}")]
    Query(DieselError),
}

impl From<DieselError> for DbError {
    fn from(e: DieselError) -> Self {
        if is_connection_failure(&e) {
            DbError::Unavailable(e.to_string())
        } else {
            DbError::Query(e)
        }
    }
}

impl From<r2d2::Error> for DbError {
    fn from(e: r2d2::Error) -> Self {
        DbError::Unavailable(e.to_string())
    }
}

/// Errors that mean the connection or server went away, not that the query
/// was wrong. Drivers report most of these as text, hence the message checks.
fn is_connection_failure(e: &DieselError) -> bool {
    match e {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(_, info) => {
            let m = info.message().to_ascii_lowercase();
            [
                "gone away",
                "lost connection",
                "server closed",
                "connection refused",
                "terminating connection",
                "can't connect",
                "database is locked",
                "no connection to the server",
            ]
            .iter()
            .any(|needle| m.contains(needle))
        }
        _ => false,
    }
}
