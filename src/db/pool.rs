//! The r2d2 pool: connects by URL scheme and migrates on first contact.

use std::sync::{Arc, Mutex};

use diesel::{Connection, RunQueryDsl};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::AnyConnection;
use crate::configuration::{Backend, DatabaseSettings, DatabaseUrl};

pub(super) const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
#[cfg(feature = "mysql")]
pub(super) const MYSQL_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/mysql");
#[cfg(feature = "postgres")]
pub(super) const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

pub type DbPool = r2d2::Pool<Manager>;

/// A connection or migration failure, with the driver's own words
/// ("Access denied", "Connection refused").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConnectError(pub(super) String);

/// Opens connections for the backend the URL names. The first connection
/// that succeeds runs pending migrations (and on SQLite switches the file to
/// WAL) before any other is handed out, so a database that is down at
/// start-up is migrated when it comes back.
pub struct Manager {
    url: DatabaseUrl,
    migrated: Arc<Mutex<bool>>,
}

impl r2d2::ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = ConnectError;

    fn connect(&self) -> Result<AnyConnection, ConnectError> {
        let mut conn = establish(&self.url)?;
        let mut migrated = self.migrated.lock().unwrap_or_else(|p| p.into_inner());
        if !*migrated {
            run_migrations(&mut conn)?;
            *migrated = true;
        }
        Ok(conn)
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), ConnectError> {
        super::with_conn!(conn, |c| diesel::sql_query("SELECT 1").execute(c))
            .map(|_| ())
            .map_err(|e| ConnectError(e.to_string()))
    }

    fn has_broken(&self, _conn: &mut AnyConnection) -> bool {
        false
    }
}

pub(super) fn establish(url: &DatabaseUrl) -> Result<AnyConnection, ConnectError> {
    let target = url.connection_string();
    let failed = |e: diesel::ConnectionError| {
        ConnectError(format!("cannot connect to {}: {e}", url.masked()))
    };
    match url.backend() {
        Backend::Sqlite => {
            let mut c = diesel::SqliteConnection::establish(target).map_err(failed)?;
            diesel::sql_query("PRAGMA busy_timeout = 5000")
                .execute(&mut c)
                .and_then(|_| diesel::sql_query("PRAGMA synchronous = NORMAL").execute(&mut c))
                .map_err(|e| ConnectError(format!("cannot configure {}: {e}", url.masked())))?;
            Ok(AnyConnection::Sqlite(c))
        }
        #[cfg(feature = "mysql")]
        Backend::Mysql => diesel::MysqlConnection::establish(target)
            .map(AnyConnection::Mysql)
            .map_err(failed),
        #[cfg(feature = "postgres")]
        Backend::Postgres => diesel::PgConnection::establish(target)
            .map(AnyConnection::Postgres)
            .map_err(failed),
        #[allow(unreachable_patterns)]
        other => Err(ConnectError(format!(
            "this syncdict was built without the `{}` feature",
            other.name()
        ))),
    }
}

/// Runs pending migrations. On MySQL/MariaDB and PostgreSQL, several centers
/// may start at once on one database: a named lock (`GET_LOCK`,
/// `pg_advisory_lock`) makes them take turns, and each finds only what the
/// others left pending. SQLite serializes writers by itself.
fn run_migrations(conn: &mut AnyConnection) -> Result<(), ConnectError> {
    let failed = |e: &dyn std::fmt::Display| ConnectError(format!("migration failed: {e}"));
    match conn {
        AnyConnection::Sqlite(c) => diesel::sql_query("PRAGMA journal_mode = WAL")
            .execute(c)
            .map_err(|e| failed(&e))
            .and_then(|_| {
                c.run_pending_migrations(SQLITE_MIGRATIONS)
                    .map(|_| ())
                    .map_err(|e| failed(&e))
            }),
        #[cfg(feature = "mysql")]
        AnyConnection::Mysql(c) => {
            use diesel::sql_types::{BigInt, Nullable};
            // Lock names are server-wide: one per database.
            let name = format!("CONCAT('{MIGRATION_LOCK_NAME}:', DATABASE())");
            let lock = format!("GET_LOCK({name}, {MIGRATION_LOCK_WAIT_S})");
            let got: Option<i64> = diesel::select(diesel::dsl::sql::<Nullable<BigInt>>(&lock))
                .get_result(c)
                .map_err(|e| failed(&e))?;
            if got != Some(1) {
                return Err(failed(&format!(
                    "another center held the migration lock for {MIGRATION_LOCK_WAIT_S} s"
                )));
            }
            let result = c.run_pending_migrations(MYSQL_MIGRATIONS).map(|_| ());
            let unlock = format!("RELEASE_LOCK({name})");
            let _ = diesel::select(diesel::dsl::sql::<Nullable<BigInt>>(&unlock))
                .get_result::<Option<i64>>(c);
            result.map_err(|e| failed(&e))
        }
        #[cfg(feature = "postgres")]
        AnyConnection::Postgres(c) => {
            let key = MIGRATION_LOCK_KEY;
            diesel::sql_query(format!("SET lock_timeout = '{MIGRATION_LOCK_WAIT_S}s'"))
                .execute(c)
                .and_then(|_| {
                    diesel::sql_query(format!("SELECT pg_advisory_lock({key})")).execute(c)
                })
                .map_err(|e| failed(&e))?;
            let result = c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ());
            let _ = diesel::sql_query(format!("SELECT pg_advisory_unlock({key})")).execute(c);
            let _ = diesel::sql_query("RESET lock_timeout").execute(c);
            result.map_err(|e| failed(&e))
        }
    }
}

/// The named lock centers take turns on while migrating (MySQL/MariaDB),
/// followed by the database name.
#[cfg(feature = "mysql")]
const MIGRATION_LOCK_NAME: &str = "syncdict_migrations";
/// The advisory lock key centers take turns on while migrating (PostgreSQL;
/// advisory locks are per database).
#[cfg(feature = "postgres")]
const MIGRATION_LOCK_KEY: i64 = 0x5359_4e43_4449_4354; // "SYNCDICT"
/// How long a center waits for another one's migrations before giving up.
#[cfg(any(feature = "mysql", feature = "postgres"))]
const MIGRATION_LOCK_WAIT_S: u64 = 60;

/// A pool that does not wait for the database: calls made while it is down
/// fail after `connect_timeout`, and it reconnects by itself.
pub fn build_pool(settings: &DatabaseSettings) -> DbPool {
    let manager = Manager {
        url: settings.url.clone(),
        migrated: Arc::new(Mutex::new(false)),
    };
    r2d2::Pool::builder()
        .max_size(settings.pool_size)
        .min_idle(Some(1))
        .connection_timeout(settings.connect_timeout.get())
        .test_on_check_out(true)
        .error_handler(Box::new(r2d2::NopErrorHandler))
        .build_unchecked(manager)
}

/// One migrated connection, for command-line tools (`syncdict user ...`).
pub fn connect(settings: &DatabaseSettings) -> Result<AnyConnection, ConnectError> {
    let mut conn = establish(&settings.url)?;
    run_migrations(&mut conn)?;
    Ok(conn)
}

/// Connects once and runs pending migrations, reporting the real cause of
/// a failure (for `syncdict migrate` and start-up).
pub fn migrate_now(settings: &DatabaseSettings) -> Result<(), ConnectError> {
    let mut conn = establish(&settings.url)?;
    run_migrations(&mut conn)?;
    super::digests::backfill(&mut conn)
        .map(|_| ())
        .map_err(|e| ConnectError(format!("computing namespace digests failed: {e}")))
}
