//! Settings: `Settings.toml` < `--config FILE` < `SYNCDICT__SECTION__KEY` env vars.

mod cidr;
mod client;
mod database_url;
mod units;
mod upstream_url;
mod validate;

use std::path::Path;

use serde::{Deserialize, Serialize};

pub use cidr::Cidr;
pub use client::{ClientSettings, JsonRpcVersion, Percent, PullMode};
pub use database_url::{Backend, DatabaseUrl};
pub use units::{ByteSize, HumanDuration, InvalidValue};
pub use upstream_url::UpstreamUrl;

/// The file read from the working directory when present.
pub const DEFAULT_FILE: &str = "Settings.toml";

/// The deepest JSON nesting serde_json accepts; `server.max_json_depth` may not exceed it.
pub const JSON_DEPTH_CEILING: usize = 120;

/// A configuration that cannot be used; the message names the key.
#[derive(Debug, thiserror::Error)]
#[error("configuration error: {0}")]
pub struct ConfigError(pub(crate) String);

/// Everything syncdict reads at start-up.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub client: ClientSettings,
    pub log: LogSettings,
}

/// Who may read through /RPC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ReadAccess {
    /// Anyone; wrong credentials are still refused.
    Public,
    /// Only users (any permission).
    Users,
}

/// What a process does; both by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Serves /RPC from the database.
    Center,
    /// Pulls from upstreams into the local cache and serves it.
    Edge,
}

impl Role {
    pub const ALL: [Role; 2] = [Role::Center, Role::Edge];

    /// The name used in settings, logs and the status page.
    pub fn label(self) -> &'static str {
        match self {
            Role::Center => "center",
            Role::Edge => "edge",
        }
    }
}

/// `[server]`: the HTTP listener and the JSON-RPC endpoint.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerSettings {
    /// `["center"]`, `["edge"]` or both. Default `["center", "edge"]`.
    pub roles: Vec<Role>,
    /// Address to listen on. Default `"127.0.0.1"`.
    pub host: String,
    /// TCP port; 0 picks a free one. Default `8080`.
    pub port: u16,
    /// HTTP worker threads; 0 means one per core. Default `0`.
    pub workers: usize,
    /// Path of the JSON-RPC endpoint. Default `"/RPC"`.
    pub rpc_path: String,
    /// Largest accepted request body, chunked or not; larger gets HTTP 413. Default `"1m"`.
    pub max_body: ByteSize,
    /// Most calls in one JSON-RPC batch. Default `100`.
    pub max_batch: usize,
    /// Bytes of results one request may carry back, alone, in a batch or a
    /// multicall; a result past it is an error (-32006) instead, so a
    /// small request cannot make a large reply. At least the largest
    /// `records.list` you serve. Default `"32m"`.
    pub max_reply: ByteSize,
    /// Deepest nesting of arrays and objects in a request (at most 120). Default `32`.
    pub max_json_depth: usize,
    /// How long delete tombstones are kept for `records.changes`; clients
    /// further behind get a full snapshot. Default `"7d"`.
    pub tombstone_retention: HumanDuration,
    /// How long history (every write's value, author and time) and the audit
    /// log are kept: `records.at` and `namespaces.rollback` reach any
    /// revision committed within it. Purged by the same upkeep as
    /// tombstones. Default `"90d"`.
    pub history_retention: HumanDuration,
    /// Keep history and the audit log at all. `false` saves their cost per
    /// write (BENCHMARKS.md measures it) for data whose past nobody needs;
    /// `records.history`, `records.at`, `namespaces.rollback` and
    /// `audit.list` are then refused. Default `true`.
    pub keep_history: bool,
    /// `"public"` or `"users"`: who may call read methods. Writes always need
    /// a user with the write permission. Default `"public"`.
    pub read_access: ReadAccess,
    /// Origins (`scheme://host[:port]`) whose pages may call the API from a
    /// browser (CORS, with Content-Type and Authorization headers). Pages of
    /// this server's own origin always may. Default `[]`.
    pub cors_origins: Vec<String>,
    /// Host names this server is reached by (besides loopback ones): a page
    /// served under one of them may call the API as its own origin. A page
    /// of any other name, even one whose DNS points here, may not (that is
    /// how DNS rebinding is stopped). Default `[]`.
    pub public_hosts: Vec<String>,
    /// Proxies (addresses or networks, `"10.0.0.0/8"`) whose
    /// `X-Forwarded-For` is believed: behind them, the client is the last
    /// address in that header that is not itself a trusted proxy. Used for
    /// the login limits and logs; anything else uses the peer address.
    /// Default `[]`.
    pub trusted_proxies: Vec<Cidr>,
    /// Threads that check passwords (argon2id, ~20 ms of CPU each), apart
    /// from the HTTP workers and the database threads. Default `2`.
    pub password_threads: usize,
    /// Password checks that may wait for a thread; past that a login is
    /// answered 503 with `Retry-After` at once. Default `64`.
    pub password_queue: usize,
    /// How long the cached current revision (and `records.list`) is trusted
    /// before one cheap query re-checks it, so writes made through other
    /// centers on the same database are seen. Default `"1s"`.
    pub revision_check_interval: HumanDuration,
    /// How long a client may take to send a request, head and body; after
    /// that it gets HTTP 408 and the connection closes (a client trickling a
    /// body holds nothing for longer). Default `"10s"`.
    pub request_timeout: HumanDuration,
    /// Open connections at most, over all workers; more wait in the
    /// kernel's accept queue. Default `10000`.
    pub max_connections: usize,
}

impl ServerSettings {
    /// This process's own /RPC on `port`, reachable from the same machine
    /// (a wildcard listen address becomes 127.0.0.1).
    pub fn local_rpc_url(&self, port: u16) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            other => other,
        };
        format!("http://{host}:{port}{}", self.rpc_path)
    }
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            roles: vec![Role::Center, Role::Edge],
            host: "127.0.0.1".into(),
            port: 8080,
            workers: 0,
            rpc_path: "/RPC".into(),
            max_body: ByteSize(1 << 20),
            max_batch: 100,
            max_reply: ByteSize(32 << 20),
            max_json_depth: 32,
            tombstone_retention: HumanDuration(std::time::Duration::from_secs(7 * 24 * 3600)),
            history_retention: HumanDuration(std::time::Duration::from_secs(90 * 24 * 3600)),
            keep_history: true,
            read_access: ReadAccess::Public,
            cors_origins: Vec::new(),
            public_hosts: Vec::new(),
            trusted_proxies: Vec::new(),
            password_threads: 2,
            password_queue: 64,
            revision_check_interval: HumanDuration(std::time::Duration::from_secs(1)),
            request_timeout: HumanDuration(std::time::Duration::from_secs(10)),
            max_connections: 10_000,
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
        ConfigError(kept.join(": "))
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
                return Err(ConfigError(format!(
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
