//! Logging: `tracing` to stderr, filtered by `log.level` or `RUST_LOG`, as
//! text or JSON lines (`log.format`).
//!
//! Rules (ARCHITECTURE.md): structured fields before the message, units in
//! field names (`duration_ms`), a failure logged once where it is handled,
//! never a password or an Authorization header.

use tracing_subscriber::EnvFilter;

use crate::configuration::{LogFormat, LogSettings};

/// Installs the global subscriber; later calls do nothing.
pub fn init(settings: &LogSettings) {
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&settings.level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match settings.format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .try_init(),
    };
}
