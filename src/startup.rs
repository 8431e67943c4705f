//! `Application`: builds the whole process from `Settings`, for `main` and tests alike.

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::actors::db_executor::{DbExecutor, PurgeTombstones};
use crate::center::{Center, ReadCache};
use crate::configuration::Settings;
use crate::db::{self, DbError};
use crate::routes;
use crate::rpc::jsonrpc::Limits;

/// Why the process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

/// A running syncdict: the HTTP server and the actors behind it.
pub struct Application {
    port: u16,
    server: Server,
    maintenance: Maintenance,
}

/// Periodic upkeep, callable directly (tests drive it instead of waiting).
#[derive(Clone)]
pub struct Maintenance {
    db: Addr<DbExecutor>,
    retention: Duration,
}

impl Maintenance {
    /// Removes tombstones older than `server.tombstone_retention`.
    pub async fn purge_tombstones(&self) -> Result<usize, DbError> {
        self.db
            .send(PurgeTombstones {
                retention: self.retention,
            })
            .await
            .map_err(|e| DbError::Unavailable(e.to_string()))?
    }
}

impl Application {
    /// Migrates (or, if the database is down, arranges to migrate when it
    /// returns), starts the actors and binds the listener. Port 0 picks a
    /// free port; `port()` tells which.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        let database = settings.database.clone();
        let migrated =
            actix_web::rt::task::spawn_blocking(move || db::migrate_now(&database)).await;
        match migrated {
            Ok(Ok(())) => tracing::info!(database = %settings.database.url, "database ready"),
            Ok(Err(e)) => tracing::warn!(
                database = %settings.database.url, error = %e,
                "database not ready; serving anyway, calls answer \"database unavailable\" until it is"
            ),
            Err(e) => tracing::error!(error = %e, "migration task failed"),
        }
        let pool = db::build_pool(&settings.database);
        let db = DbExecutor::start(pool, settings.database.pool_size as usize);
        let cache = Arc::new(ReadCache::new(
            settings.server.revision_check_interval.get(),
        ));
        let server_settings = &settings.server;

        let address = format!("{}:{}", server_settings.host, server_settings.port);
        let bind_error = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let rpc_state = web::Data::new(routes::rpc::RpcState {
            center: Center::new(db.clone(), cache),
            limits: Limits {
                max_batch: server_settings.max_batch,
                max_depth: server_settings.max_json_depth,
            },
            max_body: server_settings.max_body.bytes() as usize,
        });
        let rpc_path = server_settings.rpc_path.clone();
        let mut server = HttpServer::new(move || {
            App::new().app_data(rpc_state.clone()).service(
                web::resource(rpc_path.as_str())
                    .route(web::post().to(routes::rpc::rpc))
                    .default_service(web::to(routes::rpc::method_not_allowed)),
            )
        })
        .listen(listener)
        .map_err(bind_error)?;
        if server_settings.workers > 0 {
            server = server.workers(server_settings.workers);
        }
        tracing::info!(%address, port, rpc_path = %server_settings.rpc_path, "listening");

        let maintenance = Maintenance {
            db,
            retention: server_settings.tombstone_retention.get(),
        };
        spawn_maintenance(maintenance.clone());
        Ok(Application {
            port,
            server: server.run(),
            maintenance,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn maintenance(&self) -> Maintenance {
        self.maintenance.clone()
    }

    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

/// Purges tombstones every hour (or twice per retention, if shorter).
fn spawn_maintenance(maintenance: Maintenance) {
    let every =
        (maintenance.retention / 2).clamp(Duration::from_secs(1), Duration::from_secs(3600));
    actix_web::rt::spawn(async move {
        let mut ticker = actix_web::rt::time::interval(every);
        loop {
            ticker.tick().await;
            match maintenance.purge_tombstones().await {
                Ok(0) => {}
                Ok(purged) => tracing::info!(purged, "tombstones purged"),
                Err(e) => tracing::debug!(error = %e, "tombstone purge skipped"),
            }
        }
    });
}
