//! Stepping through migrations, for upgrade tests: bring a database to an
//! older schema, fill it the way that schema was filled, then migrate the
//! rest and check what the upgrade made of it.

use diesel::backend::Backend;
use diesel::RunQueryDsl;
use diesel_migrations::MigrationHarness;

use super::pool::{establish, ConnectError};
use super::AnyConnection;
use crate::configuration::DatabaseSettings;

fn digits(s: &str) -> String {
    s.chars().filter(char::is_ascii_digit).collect()
}

/// Runs `source`'s pending migrations whose version is at most `last`.
fn through<DB: Backend>(
    c: &mut impl MigrationHarness<DB>,
    source: diesel_migrations::EmbeddedMigrations,
    last: &str,
) -> Result<(), ConnectError> {
    let failed = |e: &dyn std::fmt::Display| ConnectError(format!("migration failed: {e}"));
    let last = digits(last);
    let pending = c.pending_migrations(source).map_err(|e| failed(&e))?;
    for migration in pending {
        if digits(&migration.name().version().to_string()) <= last {
            c.run_migration(&*migration).map_err(|e| failed(&e))?;
        }
    }
    Ok(())
}

/// Applies the pending migrations up to version `last` (`2026-11-29-000003`).
pub fn migrate_through(settings: &DatabaseSettings, last: &str) -> Result<(), ConnectError> {
    match establish(&settings.url)? {
        AnyConnection::Sqlite(mut c) => through(&mut c, super::pool::SQLITE_MIGRATIONS, last),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(mut c) => through(&mut c, super::pool::MYSQL_MIGRATIONS, last),
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(mut c) => through(&mut c, super::pool::POSTGRES_MIGRATIONS, last),
    }
}

/// Runs one SQL statement on the database, unmigrated.
pub fn execute(settings: &DatabaseSettings, sql: &str) -> Result<(), ConnectError> {
    let failed = |e: diesel::result::Error| ConnectError(format!("{e}"));
    match establish(&settings.url)? {
        AnyConnection::Sqlite(mut c) => diesel::sql_query(sql).execute(&mut c).map_err(failed)?,
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(mut c) => diesel::sql_query(sql).execute(&mut c).map_err(failed)?,
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(mut c) => diesel::sql_query(sql).execute(&mut c).map_err(failed)?,
    };
    Ok(())
}
