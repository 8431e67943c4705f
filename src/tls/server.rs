//! HTTPS for centers and edges: `server.tls_cert_file` and `tls_key_file`
//! served through a resolver whose certificate is swapped when the files
//! change (checked every `CHECK_EVERY`) or on SIGHUP, so a renewed
//! certificate is picked up by the next handshake without a restart. A
//! renewal that does not load (a half-written file, a key that does not
//! match) is logged and counted, and the old certificate stays.
//! Session tickets (TLS 1.3 and 1.2) and a server-side session cache let
//! clients resume instead of paying a full handshake.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls::ServerConfig;

use super::pem::{self, PemError};
use super::{provider, VERSIONS};
use crate::configuration::ServerSettings;

/// How often the certificate files are looked at.
pub const CHECK_EVERY: Duration = Duration::from_secs(10);
/// TLS sessions the server remembers for resumption by session ID (TLS 1.2
/// clients without tickets); about 200 bytes each.
const SESSION_CACHE: usize = 20_000;

/// Why HTTPS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
    #[error("server.tls_client_ca_file: {0}")]
    ClientCa(String),
}

/// The certificate and key in use, reloadable.
#[derive(Debug)]
pub struct CertificateStore {
    cert_file: PathBuf,
    key_file: PathBuf,
    current: RwLock<Arc<CertifiedKey>>,
    /// What the files looked like when last loaded (modified time, size).
    seen: RwLock<Option<(SystemTime, u64, SystemTime, u64)>>,
    pub reloads: AtomicU64,
    pub reload_failures: AtomicU64,
}

impl CertificateStore {
    pub fn load(cert_file: &Path, key_file: &Path) -> Result<Arc<CertificateStore>, TlsError> {
        let seen = stamp(cert_file, key_file);
        let key = certified_key(cert_file, key_file)?;
        Ok(Arc::new(CertificateStore {
            cert_file: cert_file.to_path_buf(),
            key_file: key_file.to_path_buf(),
            current: RwLock::new(key),
            seen: RwLock::new(seen),
            reloads: AtomicU64::new(0),
            reload_failures: AtomicU64::new(0),
        }))
    }

    /// Loads the files again if they changed since the last load (or
    /// always: SIGHUP). `Ok(true)`: a new certificate is in use.
    pub fn reload(&self, when: Reload) -> Result<bool, TlsError> {
        let force = when == Reload::Always;
        let now = stamp(&self.cert_file, &self.key_file);
        let unchanged = *self.seen.read().unwrap_or_else(|p| p.into_inner()) == now;
        if unchanged && !force {
            return Ok(false);
        }
        match certified_key(&self.cert_file, &self.key_file) {
            Ok(key) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = key;
                *self.seen.write().unwrap_or_else(|p| p.into_inner()) = now;
                self.reloads.fetch_add(1, Ordering::Relaxed);
                Ok(true)
            }
            Err(e) => {
                // Not retried until the files change again.
                *self.seen.write().unwrap_or_else(|p| p.into_inner()) = now;
                self.reload_failures.fetch_add(1, Ordering::Relaxed);
                Err(e)
            }
        }
    }
}

impl ResolvesServerCert for CertificateStore {
    fn resolve(&self, _: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(
            self.current
                .read()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
        )
    }
}

fn stamp(cert: &Path, key: &Path) -> Option<(SystemTime, u64, SystemTime, u64)> {
    let meta = |p: &Path| {
        std::fs::metadata(p)
            .ok()
            .and_then(|m| Some((m.modified().ok()?, m.len())))
    };
    let (a, b) = meta(cert)?;
    let (c, d) = meta(key)?;
    Some((a, b, c, d))
}

fn certified_key(cert_file: &Path, key_file: &Path) -> Result<Arc<CertifiedKey>, TlsError> {
    let certs = pem::certificates(cert_file)?;
    let key = pem::private_key(key_file)?;
    let key = CertifiedKey::from_der(certs, key, &provider())?;
    Ok(Arc::new(key))
}

/// The rustls server config for `server.tls_*`, and the certificate store
/// to reload; `None` when HTTPS is not configured.
pub fn config(
    s: &ServerSettings,
) -> Result<Option<(ServerConfig, Arc<CertificateStore>)>, TlsError> {
    let (Some(cert), Some(key)) = (&s.tls_cert_file, &s.tls_key_file) else {
        return Ok(None);
    };
    let store = CertificateStore::load(cert, key)?;
    let builder =
        ServerConfig::builder_with_provider(provider()).with_protocol_versions(VERSIONS)?;
    let builder = match &s.tls_client_ca_file {
        Some(ca) => {
            let roots = pem::roots(ca)?;
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider())
                .build()
                .map_err(|e| TlsError::ClientCa(e.to_string()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(store.clone());
    config.ticketer = rustls::crypto::ring::Ticketer::new()?;
    config.session_storage = rustls::server::ServerSessionMemoryCache::new(SESSION_CACHE);
    // The server's order of suites (SHA-256 first, see `provider`) wins
    // over a client's, which is often rustls's default (SHA-384 first).
    config.ignore_client_order = true;
    // One ticket after each handshake: an edge resumes one session at a
    // time, and each ticket costs an encryption and a record.
    config.send_tls13_tickets = 1;
    Ok(Some((config, store)))
}

/// Reloads the certificate when its files change or on SIGHUP, until the
/// process ends.
pub fn spawn_reloader(store: Arc<CertificateStore>) -> actix_web::rt::task::JoinHandle<()> {
    actix_web::rt::spawn(async move {
        let mut hangups = match actix_web::rt::signal::unix::signal(
            actix_web::rt::signal::unix::SignalKind::hangup(),
        ) {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::warn!(error = %e, "SIGHUP not handled; certificates reload when their files change");
                None
            }
        };
        let mut ticker = actix_web::rt::time::interval(CHECK_EVERY);
        loop {
            let when = hangup_or_tick(&mut hangups, &mut ticker).await;
            match store.reload(when) {
                Ok(true) => {
                    tracing::info!(cert = %store.cert_file.display(), "TLS certificate reloaded")
                }
                Ok(false) => {}
                Err(e) => {
                    tracing::error!(error = %e, "TLS certificate not reloaded; the old one stays")
                }
            }
        }
    })
}

/// Waits for SIGHUP (`true`) or the next tick (`false`).
async fn hangup_or_tick(
    hangups: &mut Option<actix_web::rt::signal::unix::Signal>,
    ticker: &mut actix_web::rt::time::Interval,
) -> Reload {
    use futures_util::future::{select, Either};
    let tick = Box::pin(ticker.tick());
    match hangups {
        Some(signal) => match select(Box::pin(signal.recv()), tick).await {
            Either::Left(_) => Reload::Always,
            Either::Right(_) => Reload::IfChanged,
        },
        None => {
            tick.await;
            Reload::IfChanged
        }
    }
}

/// When `CertificateStore::reload` loads the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reload {
    /// Only if they changed since the last load (the periodic check).
    IfChanged,
    /// Whatever their state (SIGHUP).
    Always,
}

/// Handshakes and certificate reloads, for `/metrics`.
#[derive(Debug)]
pub struct TlsStats {
    pub full: AtomicU64,
    pub resumed: AtomicU64,
    pub store: Arc<CertificateStore>,
}

impl TlsStats {
    pub fn new(store: Arc<CertificateStore>) -> TlsStats {
        TlsStats {
            full: AtomicU64::new(0),
            resumed: AtomicU64::new(0),
            store,
        }
    }

    /// Counts one accepted connection's handshake (actix-web's
    /// `on_connect` hands over the TLS stream once it is established).
    pub fn observe(&self, connection: &dyn std::any::Any) {
        type Stream = actix_tls::accept::rustls_0_23::TlsStream<actix_web::rt::net::TcpStream>;
        let Some(stream) = connection.downcast_ref::<Stream>() else {
            return;
        };
        let (_, session) = stream.get_ref();
        match session.handshake_kind() {
            Some(rustls::HandshakeKind::Resumed) => &self.resumed,
            _ => &self.full,
        }
        .fetch_add(1, Ordering::Relaxed);
    }

    pub fn render(&self, out: &mut crate::metrics::Exposition) {
        let name = "syncdict_tls_handshakes_total";
        out.family(
            name,
            "counter",
            "TLS handshakes completed, full or resumed (session ticket or ID).",
        );
        out.sample(name, r#"kind="full""#, self.full.load(Ordering::Relaxed));
        out.sample(
            name,
            r#"kind="resumed""#,
            self.resumed.load(Ordering::Relaxed),
        );
        out.single(
            "syncdict_tls_certificate_reloads_total",
            "counter",
            "Times a renewed TLS certificate was loaded without a restart.",
            self.store.reloads.load(Ordering::Relaxed),
        );
        out.single(
            "syncdict_tls_certificate_reload_failures_total",
            "counter",
            "Times changed certificate files could not be loaded (the old certificate stayed).",
            self.store.reload_failures.load(Ordering::Relaxed),
        );
    }
}
