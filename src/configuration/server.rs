//! `[server]`: the HTTP(S) listener, the JSON-RPC endpoint, and what the
//! center does with credentials and signatures.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{ByteSize, Cidr, HumanDuration};

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
    /// kernel's accept queue. Held pulls keep theirs open while held.
    /// Default `25000`.
    pub max_connections: usize,
    /// The longest a `records.changes` request asking to `wait` is held
    /// while nothing changes; below the usual proxy read timeouts (60 s for
    /// nginx, 50 s for HAProxy's common setups). `"0s"` turns holding off.
    /// Default `"30s"`.
    pub max_hold: HumanDuration,
    /// Requests held at once at most; past it they answer at once (as
    /// without `wait`). Must be below `max_connections`, so writes and
    /// other calls always find a connection. Default `20000`.
    pub max_held: usize,
    /// While anything is held, how often the revision is re-read (one
    /// query per center, not per request) to find writes made through
    /// other centers on the same database: the bound on how late those
    /// reach held edges. Writes through this center wake them at once.
    /// Default `"250ms"`.
    pub hold_poll_interval: HumanDuration,
    /// How often the center deletes the records whose expiry has passed
    /// (at most 10,000 a round, soonest first): a record goes at most this
    /// long after its time, plus delivery. Each delete is an ordinary
    /// change by the author `expired`. Default `"1s"`.
    pub expire_interval: HumanDuration,
    /// How long a successful password check is remembered (keyed by a
    /// keyed hash of the credentials, never the password), so Basic
    /// credentials sent with every call cost argon2id once per this, not
    /// per call; forgotten when users, grants or tokens change (within
    /// `revision_check_interval`, through any center). `"0s"` turns it
    /// off. Default `"60s"`.
    pub remember_logins: HumanDuration,
    /// A console session ends after this long without a request (sign in
    /// again). Default `"30m"`.
    pub session_idle: HumanDuration,
    /// A console session ends this long after sign-in, however busy.
    /// Default `"12h"`.
    pub session_lifetime: HumanDuration,
    /// The fleet view (console, `fleet.list`, `/metrics`): edges that
    /// pulled within this are listed; older ones are forgotten, in memory
    /// and in the database. `"0s"` turns the fleet view off (pulls are not
    /// recorded). Default `"24h"`.
    pub fleet_window: HumanDuration,
    /// An edge with no pull for longer than this (plus the time its pulls
    /// may be held) is silent. Default `"1m"`.
    pub fleet_silent: HumanDuration,
    /// An edge that misses a change made longer ago than this is lagging.
    /// Default `"30s"`.
    pub fleet_lag: HumanDuration,
    /// Most edges remembered (per center in memory, and in the database);
    /// past it the ones that pulled longest ago are forgotten first.
    /// Default `10000`.
    pub fleet_max_edges: usize,
    /// How often a center writes the edges it saw to the database (one
    /// batch) and judges the fleet for `/metrics`. Default `"10s"`.
    pub fleet_flush_interval: HumanDuration,
    /// How often a center checks the schedules of automatic gray releases
    /// (widen, abort, promote). Default `"10s"`.
    pub gray_check_interval: HumanDuration,
    /// Let `[[webhook]]` URLs reach private, loopback and link-local
    /// addresses. Default `false`.
    pub webhook_allow_private: bool,
    /// PEM certificate chain and private key: serve HTTPS (TLS 1.2 and
    /// 1.3, session tickets) instead of plain HTTP. Re-read on SIGHUP and
    /// when the files change, so a renewed certificate needs no restart.
    /// Default `""` (plain HTTP).
    #[serde(with = "super::client::optional_path")]
    pub tls_cert_file: Option<PathBuf>,
    #[serde(with = "super::client::optional_path")]
    pub tls_key_file: Option<PathBuf>,
    /// PEM CA certificates: with HTTPS, require a client certificate
    /// issued by one of them (mutual TLS). Default `""` (none asked for).
    #[serde(with = "super::client::optional_path")]
    pub tls_client_ca_file: Option<PathBuf>,
    /// An ed25519 private key (PKCS#8 PEM, from `syncdict keys generate` or
    /// `openssl genpkey -algorithm ed25519`): the center signs each
    /// namespace's digest with it in every `records.changes` reply that
    /// carries data, for edges with `client.verify_keys`. Default `""`
    /// (nothing signed).
    #[serde(with = "super::client::optional_path")]
    pub signing_key_file: Option<PathBuf>,
}

impl ServerSettings {
    /// This process's own /RPC on `port`, reachable from the same machine
    /// (a wildcard listen address becomes 127.0.0.1).
    pub fn local_rpc_url(&self, port: u16) -> String {
        let host = match self.host.as_str() {
            "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
            other => other,
        };
        let scheme = if self.tls_cert_file.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{host}:{port}{}", self.rpc_path)
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
            max_connections: 25_000,
            max_hold: HumanDuration(std::time::Duration::from_secs(30)),
            max_held: 20_000,
            hold_poll_interval: HumanDuration(std::time::Duration::from_millis(250)),
            expire_interval: HumanDuration(std::time::Duration::from_secs(1)),
            remember_logins: HumanDuration(std::time::Duration::from_secs(60)),
            session_idle: HumanDuration(std::time::Duration::from_secs(30 * 60)),
            session_lifetime: HumanDuration(std::time::Duration::from_secs(12 * 3600)),
            fleet_window: HumanDuration(std::time::Duration::from_secs(24 * 3600)),
            fleet_silent: HumanDuration(std::time::Duration::from_secs(60)),
            fleet_lag: HumanDuration(std::time::Duration::from_secs(30)),
            fleet_max_edges: 10_000,
            fleet_flush_interval: HumanDuration(std::time::Duration::from_secs(10)),
            gray_check_interval: HumanDuration(std::time::Duration::from_secs(10)),
            webhook_allow_private: false,
            tls_cert_file: None,
            tls_key_file: None,
            tls_client_ca_file: None,
            signing_key_file: None,
        }
    }
}
