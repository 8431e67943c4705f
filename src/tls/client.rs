//! The edge's TLS: the system's trusted roots plus `client.ca_file`, a
//! client certificate for mutual TLS (`client.cert_file`, `key_file`), and
//! rustls' session cache, so an edge that connects anew for each pull
//! resumes its session (a ticket, or a session ID with TLS 1.2) instead of
//! paying a full handshake every time.

use std::sync::Arc;

use rustls::ClientConfig;

use super::pem::{self, PemError};
use super::{provider, VERSIONS};
use crate::configuration::ClientSettings;

/// Why the edge's TLS could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum ClientTlsError {
    #[error(transparent)]
    Pem(#[from] PemError),
    #[error("TLS: {0}")]
    Rustls(#[from] rustls::Error),
}

/// Sessions kept for resumption: a few per upstream is plenty.
const SESSIONS: usize = 64;

/// The rustls config for pulls.
pub fn config(c: &ClientSettings) -> Result<ClientConfig, ClientTlsError> {
    let mut roots = rustls::RootCertStore::empty();
    let native = rustls_native_certs::load_native_certs();
    let (added, _ignored) = roots.add_parsable_certificates(native.certs);
    if let Some(ca) = &c.ca_file {
        for cert in pem::certificates(ca)? {
            roots.add(cert).map_err(|e| PemError {
                path: ca.display().to_string(),
                why: e.to_string(),
            })?;
        }
    }
    tracing::debug!(
        system_roots = added,
        private_ca = c.ca_file.is_some(),
        "TLS roots loaded"
    );
    let builder = ClientConfig::builder_with_provider(provider())
        .with_protocol_versions(VERSIONS)?
        .with_root_certificates(Arc::new(roots));
    let mut config = match (&c.cert_file, &c.key_file) {
        (Some(cert), Some(key)) => {
            builder.with_client_auth_cert(pem::certificates(cert)?, pem::private_key(key)?)?
        }
        _ => builder.with_no_client_auth(),
    };
    config.resumption = rustls::client::Resumption::in_memory_sessions(SESSIONS);
    Ok(config)
}
