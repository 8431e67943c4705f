//! Settings: `Settings.toml` < `--config FILE` < `SYNCDICT__SECTION__KEY` env vars.

mod cidr;
mod client;
mod database_url;
mod login;
mod output;
mod server;
mod units;
mod upstream_url;
mod validate;
mod validate_client;
mod webhook;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use cidr::Cidr;
pub use client::{ClientSettings, JsonRpcVersion, Percent, PullMode};
pub use database_url::{Backend, DatabaseUrl};
pub use login::LoginSettings;
pub use output::{OutputFormat, OutputSettings};
pub use server::{ReadAccess, Role, ServerSettings};
pub use units::{ByteSize, HumanDuration, InvalidValue};
pub use upstream_url::UpstreamUrl;
pub use webhook::{InvalidWebhook, WebhookSettings};

/// The file read from the working directory when present.
pub const DEFAULT_FILE: &str = "Settings.toml";

/// The deepest JSON nesting serde_json accepts; `server.max_json_depth` may not exceed it.
pub const JSON_DEPTH_CEILING: usize = 120;

/// A configuration that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A key whose value cannot be used (`output[2]` for an output).
    #[error("configuration error: {key}: {why}")]
    Invalid { key: String, why: String },
    /// The files or the environment could not be read as settings.
    #[error("configuration error: {0}")]
    Unreadable(String),
}

impl ConfigError {
    pub fn invalid(key: &str, why: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            key: key.to_string(),
            why: why.into(),
        }
    }
}

/// Everything syncdict reads at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub client: ClientSettings,
    /// `[login]`: how password guessing is slowed.
    pub login: LoginSettings,
    pub log: LogSettings,
    /// `[[output]]` sections: files an edge renders from its data. Default none.
    pub output: Vec<OutputSettings>,
    /// `[[webhook]]` sections: where a center reports what changed.
    /// Default none.
    pub webhook: Vec<WebhookSettings>,
}

impl Settings {
    /// Whether writes leave webhook events: only while a webhook is
    /// configured (an outbox nobody reads would only cost writes).
    pub fn outbox(&self) -> crate::domain::Outbox {
        match self.webhook.is_empty() {
            true => crate::domain::Outbox::Off,
            false => crate::domain::Outbox::Kept,
        }
    }
}

/// `[database]`: where the records live.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://PATH`, `mysql://USER:PASS@HOST:PORT/DB` or
    /// `postgres://USER:PASS@HOST:PORT/DB`. Default `"sqlite://syncdict.db"`.
    pub url: DatabaseUrl,
    /// Connections in the pool, and DB actor threads. Default `4`.
    pub pool_size: u32,
    /// How long a call waits for a connection before answering
    /// "database unavailable". Default `"2s"`.
    pub connect_timeout: HumanDuration,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings {
            url: DatabaseUrl::parse("sqlite://syncdict.db").expect("default URL is valid"),
            pool_size: 4,
            connect_timeout: HumanDuration(std::time::Duration::from_secs(2)),
        }
    }
}

/// `[log]`: what is logged.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter such as `"info"` or `"syncdict=debug,info"`; `RUST_LOG`
    /// overrides it. Default `"info"`.
    pub level: String,
    /// `"text"` (one human-readable line per event) or `"json"` (one JSON
    /// object per line, for log collectors). Default `"text"`.
    pub format: LogFormat,
}

/// How log lines are written to stderr.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Text,
    Json,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings {
            level: "info".into(),
            format: LogFormat::Text,
        }
    }
}

impl ConfigError {
    /// The error on one line: TOML parse errors come with a multi-line source
    /// excerpt, of which the position and the reason are kept.
    fn one_line(e: config::ConfigError) -> ConfigError {
        let text = e.to_string();
        let kept: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('|') && !l.starts_with('^'))
            .filter(|l| {
                l.split_once('|')
                    .is_none_or(|(n, _)| n.trim().parse::<u32>().is_err())
            })
            .collect();
        ConfigError::Unreadable(kept.join(": "))
    }
}

impl Settings {
    /// Loads `Settings.toml` (if present), then `file`, then the environment,
    /// and validates the result.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder()
            .add_source(config::File::new(DEFAULT_FILE, config::FileFormat::Toml).required(false));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(ConfigError::Unreadable(format!(
                    "config file {} not found",
                    file.display()
                )));
            }
            builder = builder.add_source(
                config::File::from(file)
                    .format(config::FileFormat::Toml)
                    .required(true),
            );
        }
        let built = builder
            .add_source(
                config::Environment::with_prefix("SYNCDICT")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    // Comma-separated lists: SYNCDICT__SERVER__ROLES=center,edge
                    .list_separator(",")
                    .with_list_parse_key("server.roles")
                    .with_list_parse_key("client.upstreams")
                    .with_list_parse_key("server.cors_origins")
                    .with_list_parse_key("server.public_hosts")
                    .with_list_parse_key("server.trusted_proxies"),
            )
            .build()
            .map_err(ConfigError::one_line)?;
        let settings: Settings = built.try_deserialize().map_err(ConfigError::one_line)?;
        settings.validate()?;
        Ok(settings)
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.server.roles.contains(&role)
    }

    /// The settings as pretty JSON, passwords masked.
    pub fn to_masked_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    }
}
