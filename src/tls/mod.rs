//! TLS with rustls and its `ring` provider (no OpenSSL, and no aws-lc-sys:
//! that provider's C build alone takes about 76 s on two cores, ring's a
//! fraction of it). `server.rs` serves HTTPS with a certificate that is
//! re-read without a restart; `client.rs` is the edge's side: the
//! system's roots plus a private CA, a client certificate for mutual TLS,
//! and session resumption.

pub mod client;
mod pem;
pub mod server;

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

pub use pem::PemError;

/// The provider every TLS config here is built with: ring's, with the
/// cipher suites on SHA-256 first. ring's default puts AES-256-GCM with
/// SHA-384 first, and SHA-512's block function has no hardware path on
/// common x86 CPUs (SHA-256's has): it was 8% of a resumed HTTPS pull's
/// server CPU. AES-128-GCM is the first choice of most TLS stacks.
pub fn provider() -> Arc<CryptoProvider> {
    use rustls::crypto::ring::cipher_suite::*;
    Arc::new(CryptoProvider {
        cipher_suites: vec![
            TLS13_AES_128_GCM_SHA256,
            TLS13_CHACHA20_POLY1305_SHA256,
            TLS13_AES_256_GCM_SHA384,
            TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
            TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
            TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
            TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
            TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
        ],
        ..rustls::crypto::ring::default_provider()
    })
}

/// Makes `ring` the process's default provider too (for anything that
/// asks rustls for the default); harmless when already done.
pub fn install_default_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// TLS versions offered and accepted: 1.3 and 1.2.
pub const VERSIONS: &[&rustls::SupportedProtocolVersion] =
    &[&rustls::version::TLS13, &rustls::version::TLS12];
