//! `Application`: builds the whole process from `Settings`, for `main` and tests alike.

use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use actix::Addr;
use actix_web::dev::Server;
use actix_web::{web, App, HttpServer};

use crate::actors::db_executor::{DbExecutor, PurgeTombstones};
use crate::actors::scheduler::{TickNow, TickReport};
use crate::center::{Center, ReadCache};
use crate::configuration::{Role, Settings};
use crate::db::{self, DbError};
use crate::edge::status::EdgeView;
use crate::routes;
use crate::rpc::jsonrpc::Limits;

mod edge;

/// Why the process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// A running syncdict: the HTTP server and the actors behind it.
pub struct Application {
    port: u16,
    server: Server,
    maintenance: Option<Maintenance>,
    edge: Option<EdgeHandle>,
    center: Option<CenterUpkeep>,
}

/// What the center leaves running besides the server, to stop at shutdown.
struct CenterUpkeep {
    purge: actix_web::rt::task::JoinHandle<()>,
    /// DB executor threads still running (each holds pooled connections).
    executors: Arc<std::sync::atomic::AtomicUsize>,
}

/// Periodic center upkeep, callable directly (tests drive it instead of waiting).
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

/// The edge's scheduler and state, for driving ticks from tests.
#[derive(Clone)]
pub struct EdgeHandle {
    scheduler: Addr<crate::actors::scheduler::Scheduler>,
    cache: Addr<crate::actors::cache::CacheActor>,
    pub view: EdgeView,
}

impl EdgeHandle {
    /// Runs one scheduler tick and waits for its pull.
    pub async fn tick(&self) -> TickReport {
        self.scheduler
            .send(TickNow)
            .await
            .unwrap_or_else(|e| TickReport::Failed(crate::edge::PullError::Internal(e.to_string())))
    }
}

impl Application {
    /// Binds the listener, then starts the roles the settings name. Port 0
    /// picks a free port; `port()` tells which.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Self::build_with(settings, true).await
    }

    /// As `build`, but with `timer: false` the edge scheduler only runs when
    /// ticked (`edge().tick()`), for tests.
    pub async fn build_with(settings: Settings, timer: bool) -> Result<Application, StartupError> {
        let s = &settings.server;
        let address = format!("{}:{}", s.host, s.port);
        let bind_error = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let center = if settings.has_role(Role::Center) {
            Some(start_center(&settings).await)
        } else {
            None
        };
        let edge = if settings.has_role(Role::Edge) {
            Some(edge::start(&settings, port, timer).map_err(StartupError::Client)?)
        } else {
            None
        };

        let cors_origins = Arc::new(s.cors_origins.clone());
        let rpc_state = center.as_ref().map(|(center, _, _)| {
            web::Data::new(routes::rpc::RpcState {
                center: center.clone(),
                limits: Limits {
                    max_batch: s.max_batch,
                    max_depth: s.max_json_depth,
                },
                max_body: s.max_body.bytes() as usize,
                cors_origins: cors_origins.clone(),
                reads_need_user: s.read_access == crate::configuration::ReadAccess::Users,
                limiter: crate::auth::FailureLimiter::default(),
            })
        });
        let edge_view = edge.as_ref().map(|e| web::Data::new(e.view.clone()));
        let rpc_path = s.rpc_path.clone();
        let started = web::Data::new(routes::metrics::Started {
            at_us: crate::domain::now_us(),
        });
        let mut server = HttpServer::new(move || {
            // Hot read routes first: actix tries routes in registration order.
            let mut app = App::new();
            if let Some(view) = &edge_view {
                app = app
                    .app_data(view.clone())
                    .service(
                        web::scope("/api/cache")
                            .default_service(web::get().to(routes::cache_api::cache_read)),
                    )
                    .route("/api/status", web::get().to(routes::status::api_status))
                    .route("/healthz", web::get().to(routes::status::healthz));
            }
            if let Some(state) = &rpc_state {
                app = app.app_data(state.clone()).service(
                    web::resource(rpc_path.as_str())
                        .route(web::post().to(routes::rpc::rpc))
                        .route(web::get().to(routes::method_browser::method_browser))
                        .default_service(web::to(routes::rpc::method_not_allowed)),
                );
            }
            app = app
                .app_data(started.clone())
                .route("/metrics", web::get().to(routes::metrics::metrics))
                .route("/", web::get().to(routes::page::status_page));
            // Only cross-origin callers need the CORS layer; same-origin pages
            // and non-browser clients are judged by `routes::rpc` alone.
            let cross_origin = !cors_origins.is_empty();
            app.wrap(actix_web::middleware::Condition::new(
                cross_origin,
                cors(cors_origins.clone()),
            ))
        })
        .listen(listener)
        .map_err(bind_error)?;
        if s.workers > 0 {
            server = server.workers(s.workers);
        }
        tracing::info!(%address, port, roles = ?s.roles, "listening");
        let (maintenance, center) = match center {
            Some((_, maintenance, upkeep)) => (Some(maintenance), Some(upkeep)),
            None => (None, None),
        };
        Ok(Application {
            port,
            server: server.run(),
            maintenance,
            edge,
            center,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The center's upkeep, if this process is a center.
    pub fn maintenance(&self) -> Option<Maintenance> {
        self.maintenance.clone()
    }

    /// The edge, if this process is one.
    pub fn edge(&self) -> Option<EdgeHandle> {
        self.edge.clone()
    }

    /// Serves until SIGTERM or SIGINT, then shuts down in order: the server
    /// stops accepting and lets in-flight requests finish (actix-web's
    /// graceful shutdown, 30 s at most), the edge writes its snapshot, and
    /// the center's DB executors stop, closing the pooled connections.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let Application {
            server,
            maintenance,
            edge,
            center,
            ..
        } = self;
        let served = server.await;
        tracing::info!("HTTP server stopped; in-flight requests finished");
        if let Some(edge) = edge {
            if let Ok(true) = edge.cache.send(crate::actors::cache::SaveSnapshot).await {
                tracing::info!(revision = edge.view.store.revision(), "snapshot written");
            }
        }
        drop(maintenance);
        if let Some(center) = center {
            center.purge.abort();
            let _ = center.purge.await;
            close_database(&center.executors).await;
        }
        tracing::info!("stopped");
        served
    }
}

/// CORS: the listed origins and this server's own may call it from a
/// browser, sending Content-Type and Authorization. A request from any other
/// origin gets no CORS headers and is refused before it runs.
fn cors(origins: Arc<Vec<String>>) -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let host = head
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok());
            routes::rpc::origin_allowed(origin.to_str().unwrap_or(""), host, &origins)
        })
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::AUTHORIZATION,
        ])
        .max_age(3600)
}

/// A listener with SO_REUSEADDR, so a restarted process gets its port back.
fn bind(address: &str) -> std::io::Result<TcpListener> {
    let addr: SocketAddr = std::net::ToSocketAddrs::to_socket_addrs(address)?
        .next()
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidInput, "no address"))?;
    let socket = socket2::Socket::new(
        socket2::Domain::for_address(addr),
        socket2::Type::STREAM,
        None,
    )?;
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    Ok(socket.into())
}

/// Waits (2 s at most) for the DB executors to stop once every address to
/// them is gone; their pooled connections close as they do.
async fn close_database(executors: &std::sync::atomic::AtomicUsize) {
    let deadline = std::time::Instant::now() + Duration::from_secs(2);
    loop {
        let running = executors.load(std::sync::atomic::Ordering::Acquire);
        if running == 0 {
            tracing::info!("database connections closed");
            return;
        }
        if std::time::Instant::now() > deadline {
            tracing::warn!(
                executors = running,
                "database executors still running; their connections close at exit"
            );
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Migrates (or arranges to migrate once the database is back), starts the
/// DB actor and the tombstone purge.
async fn start_center(settings: &Settings) -> (Center, Maintenance, CenterUpkeep) {
    let database = settings.database.clone();
    let migrated = actix_web::rt::task::spawn_blocking(move || db::migrate_now(&database)).await;
    match migrated {
        Ok(Ok(())) => tracing::info!(database = %settings.database.url, "database ready"),
        Ok(Err(e)) => tracing::warn!(
            database = %settings.database.url, error = %e,
            "database not ready; serving anyway, calls answer \"database unavailable\" until it is"
        ),
        Err(e) => tracing::error!(error = %e, "migration task failed"),
    }
    let pool = db::build_pool(&settings.database);
    let (db, executors) = DbExecutor::start(pool.clone(), settings.database.pool_size as usize);
    let cache = Arc::new(ReadCache::new(
        settings.server.revision_check_interval.get(),
    ));
    let maintenance = Maintenance {
        db: db.clone(),
        retention: settings.server.tombstone_retention.get(),
    };
    let purge = spawn_maintenance(maintenance.clone());
    (
        Center::new(db, pool, cache, &settings.server.rpc_path),
        maintenance,
        CenterUpkeep { purge, executors },
    )
}

/// Purges tombstones every hour (or twice per retention, if shorter).
fn spawn_maintenance(maintenance: Maintenance) -> actix_web::rt::task::JoinHandle<()> {
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
    })
}
