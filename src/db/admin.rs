//! Creating and dropping whole databases on a MySQL or PostgreSQL server
//! (used by the test suite to give each test a database of its own).

use diesel::{Connection, RunQueryDsl};

use super::pool::ConnectError;
use crate::configuration::{Backend, DatabaseUrl};

/// Creates database `name` on the server `server_url` points at and returns
/// a URL for it. `name` must be a plain identifier.
pub fn create_database(server_url: &DatabaseUrl, name: &str) -> Result<DatabaseUrl, ConnectError> {
    check_identifier(name)?;
    execute(server_url, &format!("CREATE DATABASE {name}"))?;
    DatabaseUrl::parse(&with_database(server_url.connection_string(), name))
        .map_err(|e| ConnectError(e.to_string()))
}

/// Drops database `name` on the server, closing its sessions on PostgreSQL.
pub fn drop_database(server_url: &DatabaseUrl, name: &str) -> Result<(), ConnectError> {
    check_identifier(name)?;
    let sql = match server_url.backend() {
        Backend::Postgres => format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
        _ => format!("DROP DATABASE IF EXISTS {name}"),
    };
    execute(server_url, &sql)
}

fn check_identifier(name: &str) -> Result<(), ConnectError> {
    if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(ConnectError(format!(
            "{name:?} is not a plain database name"
        )));
    }
    Ok(())
}

fn execute(url: &DatabaseUrl, sql: &str) -> Result<(), ConnectError> {
    let fail = |e: String| ConnectError(format!("{}: {e}", url.masked()));
    let target = url.connection_string();
    match url.backend() {
        #[cfg(feature = "mysql")]
        Backend::Mysql => {
            let mut c =
                diesel::MysqlConnection::establish(target).map_err(|e| fail(e.to_string()))?;
            diesel::sql_query(sql)
                .execute(&mut c)
                .map_err(|e| fail(e.to_string()))?;
        }
        #[cfg(feature = "postgres")]
        Backend::Postgres => {
            let mut c = diesel::PgConnection::establish(target).map_err(|e| fail(e.to_string()))?;
            diesel::sql_query(sql)
                .execute(&mut c)
                .map_err(|e| fail(e.to_string()))?;
        }
        other => {
            return Err(fail(format!(
                "{} has no server databases to create",
                other.name()
            )))
        }
    }
    Ok(())
}

/// `scheme://auth@host:port/old?opts` with the database path replaced.
fn with_database(url: &str, name: &str) -> String {
    let (scheme, rest) = url.split_once("://").unwrap_or(("", url));
    let (before_query, query) = match rest.split_once('?') {
        Some((b, q)) => (b, format!("?{q}")),
        None => (rest, String::new()),
    };
    let authority = before_query.split('/').next().unwrap_or(before_query);
    format!("{scheme}://{authority}/{name}{query}")
}

#[cfg(test)]
mod tests {
    #[test]
    fn replaces_the_database_path() {
        assert_eq!(
            super::with_database("mysql://root@127.0.0.1:3306/test", "t1"),
            "mysql://root@127.0.0.1:3306/t1"
        );
        assert_eq!(
            super::with_database("postgres://u:p@h/test?sslmode=disable", "t2"),
            "postgres://u:p@h/t2?sslmode=disable"
        );
    }
}
