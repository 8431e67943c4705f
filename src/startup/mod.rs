//! `Application`: builds the whole process from `Settings`, for `main` and
//! tests alike: bind, start the roles `server.roles` names, serve.

pub mod open_files;
mod routes;

use std::future::Future;
use std::net::{SocketAddr, TcpListener};

use actix_web::dev::Server;
use actix_web::HttpServer;

use crate::center::start::{CenterRole, Maintenance};
use crate::configuration::{Role, Settings};
use crate::edge::start::{EdgeHandle, Pace};
use crate::tls::server::{CertificateStore, TlsStats};

/// Why the process could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Edge(#[from] crate::edge::start::EdgeStartError),
    #[error("HTTPS: {0}")]
    Tls(#[from] crate::tls::server::TlsError),
    #[error("client TLS: {0}")]
    ClientTls(#[from] crate::tls::client::ClientTlsError),
    #[error("server.signing_key_file: {0}")]
    SigningKey(#[from] crate::signing::KeyError),
}

/// A running syncdict: the HTTP server and the roles behind it.
pub struct Application {
    port: u16,
    server: Server,
    center: Option<CenterRole>,
    edge: Option<EdgeHandle>,
    /// Re-reads the TLS certificate when it changes (HTTPS only).
    reloader: Option<actix_web::rt::task::JoinHandle<()>>,
    /// Checks gray releases' schedules (a center on its timer; tests tick
    /// `gray::auto::tick` themselves).
    schedules: Option<actix_web::rt::task::JoinHandle<()>>,
    certificates: Option<std::sync::Arc<CertificateStore>>,
}

impl Application {
    /// Binds the listener, then starts the roles the settings name. Port 0
    /// picks a free port; `port()` tells which.
    pub async fn build(settings: Settings) -> Result<Application, StartupError> {
        Self::start(settings, Pace::Timer).await
    }

    /// As `build`, but the edge pulls only when ticked (`edge().tick()`):
    /// tests drive it instead of waiting for its timer.
    pub async fn build_ticked(settings: Settings) -> Result<Application, StartupError> {
        Self::start(settings, Pace::Ticked).await
    }

    async fn start(settings: Settings, pace: Pace) -> Result<Application, StartupError> {
        crate::tls::install_default_provider();
        let s = &settings.server;
        // Certificates are read before anything starts, so a bad one stops
        // the process with a message naming the file.
        let tls = crate::tls::server::config(s)?;
        let signer = match (&s.signing_key_file, settings.has_role(Role::Center)) {
            (Some(path), true) => Some(std::sync::Arc::new(crate::signing::Signer::load(path)?)),
            _ => None,
        };
        let address = format!("{}:{}", s.host, s.port);
        let bind_error = |source| StartupError::Bind {
            address: address.clone(),
            source,
        };
        let listener = bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();

        let center = match settings.has_role(Role::Center) {
            true => Some(
                crate::center::start::start(&settings, signer, &crate::methods::TABLE, pace).await,
            ),
            false => None,
        };
        let schedules = center
            .as_ref()
            .filter(|_| pace == Pace::Timer)
            .map(|c| crate::gray::auto::spawn(c.center.clone(), s.gray_check_interval.get()));
        let edge = match settings.has_role(Role::Edge) {
            true => Some(crate::edge::start::start(&settings, port, pace)?),
            false => None,
        };
        let mut shared = routes::Shared::new(&settings, center.as_ref(), edge.as_ref());
        let certificates = tls.as_ref().map(|(_, store)| store.clone());
        let reloader = tls.as_ref().map(|(_, store)| {
            let stats = actix_web::web::Data::new(TlsStats::new(store.clone()));
            shared.tls = Some(stats);
            crate::tls::server::spawn_reloader(store.clone())
        });
        let stats = shared.tls.clone();
        // TCP_NODELAY: a reply written in two sends (its head, then a
        // large or held body) must not wait for the first one's ACK, which
        // a client may delay by 40 ms (Nagle's algorithm with delayed ACKs).
        let server = HttpServer::new(move || shared.app())
            .on_connect(move |conn, _| {
                if let Some(stats) = &stats {
                    stats.observe(conn);
                }
            })
            .tcp_nodelay(true)
            // A client that closes its side is gone: its held pull ends
            // (and frees its place) now, not when a write to it fails.
            .h1_allow_half_closed(false);
        let mut server = match tls {
            Some((config, _)) => server.listen_rustls_0_23(listener, config),
            None => server.listen(listener),
        }
        .map_err(bind_error)?;
        let workers = match s.workers {
            0 => std::thread::available_parallelism().map_or(1, |n| n.get()),
            n => n,
        };
        server = server
            .disable_signals()
            .workers(workers)
            .max_connections(s.max_connections.div_ceil(workers))
            .client_request_timeout(s.request_timeout.get());
        let scheme = if reloader.is_some() { "https" } else { "http" };
        tracing::info!(%address, port, scheme, roles = ?s.roles, "listening");
        Ok(Application {
            port,
            server: server.run(),
            center,
            edge,
            reloader,
            schedules,
            certificates,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The center's upkeep, if this process is a center.
    pub fn maintenance(&self) -> Option<Maintenance> {
        self.center.as_ref().map(|c| c.maintenance.clone())
    }

    /// The center's executor, if this process is a center (tests call it
    /// with the time passed in).
    pub fn center(&self) -> Option<crate::center::Center> {
        self.center.as_ref().map(|c| c.center.clone())
    }

    /// The certificate being served, if HTTPS is on: `reload` checks its
    /// files now (the reloader does every few seconds and on SIGHUP).
    pub fn certificates(&self) -> Option<std::sync::Arc<CertificateStore>> {
        self.certificates.clone()
    }

    /// The edge, if this process is one.
    pub fn edge(&self) -> Option<EdgeHandle> {
        self.edge.clone()
    }

    /// Serves until `shutdown` resolves, then shuts down in order: held
    /// pulls answer at once, the server stops accepting and lets in-flight
    /// requests finish (actix-web's graceful stop, 30 s at most), the edge
    /// writes its snapshot, and the center's DB executors stop, closing the
    /// pooled connections. `main` passes the first SIGTERM or SIGINT; tests
    /// pass a channel.
    pub async fn run(self, shutdown: impl Future<Output = ()> + 'static) -> std::io::Result<()> {
        let Application {
            server,
            center,
            edge,
            reloader,
            schedules,
            ..
        } = self;
        let handle = server.handle();
        let holds = center.as_ref().map(|c| c.center.holds_handle());
        let stopping = actix_web::rt::spawn(async move {
            shutdown.await;
            tracing::info!("stopping");
            // Held pulls answer now, so the graceful stop (which waits for
            // in-flight requests) does not wait for their holds.
            if let Some(holds) = holds {
                holds.release_all();
            }
            handle.stop(true).await;
        });
        let served = server.await;
        stopping.abort();
        for task in [reloader, schedules].into_iter().flatten() {
            task.abort();
        }
        tracing::info!("HTTP server stopped; in-flight requests finished");
        if let Some(edge) = edge {
            if edge.save_snapshot().await {
                tracing::info!(revision = edge.view.store.revision(), "snapshot written");
            }
        }
        if let Some(center) = center {
            center.stop().await;
        }
        tracing::info!("stopped");
        served
    }
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
    // The kernel's accept queue; connections past it wait in SYN retries.
    socket.listen(1024)?;
    Ok(socket.into())
}
