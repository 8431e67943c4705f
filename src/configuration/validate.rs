//! `Settings::validate`: what types alone cannot check, at start-up; each
//! message names its key.

use super::{ConfigError, Role, Settings, JSON_DEPTH_CEILING};

impl Settings {
    /// Checks what types alone cannot; each message names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.validate_limits()?;
        self.validate_sessions_and_fleet()?;
        self.validate_server()?;
        self.validate_web()?;
        self.validate_client()?;
        self.validate_outputs()?;
        self.validate_webhooks()?;
        self.login.validate()?;
        self.validate_database()?;
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            let why = format!("{:?} is not a valid filter", self.log.level);
            return Err(ConfigError::invalid("log.level", why));
        }
        Ok(())
    }

    /// `[server]` bounds on requests, replies and held pulls.
    fn validate_limits(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let s = &self.server;
        if !s.rpc_path.starts_with('/') || s.rpc_path.len() < 2 {
            return fail(
                "server.rpc_path",
                format!("{:?} must start with '/' and name a path", s.rpc_path),
            );
        }
        if s.max_body.bytes() < 1024 {
            return fail(
                "server.max_body",
                format!("{} is too small (at least 1k)", s.max_body),
            );
        }
        if s.max_reply.bytes() < 1024 {
            return fail(
                "server.max_reply",
                format!("{} is too small (at least 1k)", s.max_reply),
            );
        }
        if s.max_batch == 0 {
            return fail("server.max_batch", "must be at least 1".into());
        }
        if !(2..=JSON_DEPTH_CEILING).contains(&s.max_json_depth) {
            return fail(
                "server.max_json_depth",
                format!(
                    "{} must be between 2 and {JSON_DEPTH_CEILING}",
                    s.max_json_depth
                ),
            );
        }
        if s.request_timeout.get().is_zero() {
            return fail("server.request_timeout", "must be longer than 0s".into());
        }
        if !(1..=64).contains(&s.password_threads) {
            return fail(
                "server.password_threads",
                format!("{} must be between 1 and 64", s.password_threads),
            );
        }
        if s.max_held >= s.max_connections {
            return fail(
                "server.max_held",
                format!(
                    "must be below server.max_connections ({}), so held pulls leave connections for writes",
                    s.max_connections
                ),
            );
        }
        Ok(())
    }

    /// Console sessions and the fleet view.
    fn validate_sessions_and_fleet(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let s = &self.server;
        if s.session_idle.get() < std::time::Duration::from_secs(60) {
            return fail("server.session_idle", "must be at least 1m".into());
        }
        if s.session_lifetime.get() < s.session_idle.get() {
            return fail(
                "server.session_lifetime",
                "must be at least server.session_idle".into(),
            );
        }
        let window = s.fleet_window.get();
        if !window.is_zero() {
            let second = std::time::Duration::from_secs(1);
            let checks = [
                (
                    "server.fleet_silent",
                    s.fleet_silent.get() >= second,
                    "must be at least 1s",
                ),
                (
                    "server.fleet_window",
                    window >= s.fleet_silent.get(),
                    "must be at least server.fleet_silent (or 0s: off)",
                ),
                (
                    "server.fleet_flush_interval",
                    s.fleet_flush_interval.get() <= s.fleet_silent.get() / 2,
                    "must be at most half of server.fleet_silent",
                ),
                (
                    "server.fleet_lag",
                    s.fleet_lag.get() >= second,
                    "must be at least 1s",
                ),
                (
                    "server.fleet_flush_interval",
                    s.fleet_flush_interval.get() >= second,
                    "must be at least 1s",
                ),
                (
                    "server.fleet_max_edges",
                    (1..=1_000_000).contains(&s.fleet_max_edges),
                    "must be between 1 and 1000000",
                ),
            ];
            if let Some((key, _, why)) = checks.into_iter().find(|(_, ok, _)| !ok) {
                return fail(key, why.into());
            }
        }
        Ok(())
    }

    /// The edge's name and the center's periodic work.
    fn validate_server(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let s = &self.server;
        if !self.client.name.is_empty() {
            if let Err(e) = crate::domain::EdgeName::parse(&self.client.name) {
                return fail("client.name", e.to_string());
            }
        }
        if s.expire_interval.get() < std::time::Duration::from_millis(10) {
            return fail("server.expire_interval", "must be at least 10ms".into());
        }
        if s.gray_check_interval.get() < std::time::Duration::from_secs(1) {
            return fail("server.gray_check_interval", "must be at least 1s".into());
        }
        if s.hold_poll_interval.get() < std::time::Duration::from_millis(10) {
            return fail("server.hold_poll_interval", "must be at least 10ms".into());
        }
        if s.max_connections == 0 {
            return fail("server.max_connections", "must be at least 1".into());
        }
        if s.tombstone_retention.get().is_zero() {
            return fail(
                "server.tombstone_retention",
                "must be longer than 0s".into(),
            );
        }
        Ok(())
    }

    /// Browser origins, public host names, TLS files and roles.
    fn validate_web(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let s = &self.server;
        for origin in &s.cors_origins {
            let rest = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"));
            if rest.is_none_or(|r| r.is_empty() || r.contains('/')) {
                return fail("server.cors_origins", format!("{origin:?} must be an origin like \"https://app.example.com\" (no path, no wildcard)"));
            }
        }
        for host in &s.public_hosts {
            let bare = !host.is_empty()
                && host
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || ".-_[]:".contains(c))
                && (host.starts_with('[') || !host.contains(':'));
            if !bare {
                return fail(
                    "server.public_hosts",
                    format!("{host:?} must be a host name like \"sync.example.com\" (no scheme, no port)"),
                );
            }
        }
        if s.tls_cert_file.is_some() != s.tls_key_file.is_some() {
            return fail(
                "server.tls_cert_file",
                "server.tls_cert_file and server.tls_key_file go together".into(),
            );
        }
        if s.tls_client_ca_file.is_some() && s.tls_cert_file.is_none() {
            return fail(
                "server.tls_client_ca_file",
                "client certificates need HTTPS (server.tls_cert_file)".into(),
            );
        }
        if s.roles.is_empty() {
            return fail(
                "server.roles",
                "name at least one of \"center\", \"edge\"".into(),
            );
        }
        Ok(())
    }

    /// `[database]`: a backend compiled in, a sane pool.
    fn validate_database(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let d = &self.database;
        if !d.url.backend().compiled_in() {
            return fail(
                "database.url",
                format!(
                    "{} needs syncdict built with `--features {}`",
                    d.url.masked(),
                    d.url.backend().name()
                ),
            );
        }
        if d.pool_size == 0 || d.pool_size > 256 {
            return fail(
                "database.pool_size",
                format!("{} must be between 1 and 256", d.pool_size),
            );
        }
        if d.connect_timeout.get().is_zero() {
            return fail("database.connect_timeout", "must be longer than 0s".into());
        }
        Ok(())
    }

    /// `[[webhook]]`: on a center, each sound, names unique.
    fn validate_webhooks(&self) -> Result<(), ConfigError> {
        let fail = |i: usize, why: String| Err(ConfigError::invalid(&format!("webhook[{i}]"), why));
        if !self.webhook.is_empty() && !self.has_role(Role::Center) {
            return fail(0, "webhooks need the center role".into());
        }
        let mut names = std::collections::HashSet::new();
        for (i, w) in self.webhook.iter().enumerate() {
            if let Err(why) = w.check() {
                return fail(i, why.to_string());
            }
            if !names.insert(&w.name) {
                return fail(i, super::InvalidWebhook::Taken(w.name.clone()).to_string());
            }
        }
        Ok(())
    }

    /// `[[output]]`: on an edge, of namespaces it pulls, to distinct files.
    fn validate_outputs(&self) -> Result<(), ConfigError> {
        let fail = |i: usize, why: String| Err(ConfigError::invalid(&format!("output[{i}]"), why));
        if !self.output.is_empty() && !self.has_role(Role::Edge) {
            return fail(
                0,
                "outputs need the edge role (they render its data)".into(),
            );
        }
        let mut paths = std::collections::HashSet::new();
        for (i, o) in self.output.iter().enumerate() {
            let lmdb = o.format == super::OutputFormat::Lmdb;
            if o.path.as_os_str().is_empty() || (o.path.is_dir() && !lmdb) {
                return fail(i, format!("path {:?} must name a file", o.path));
            }
            if lmdb && (o.path.is_file() || o.check_command.is_some()) {
                return fail(
                    i,
                    "format = \"lmdb\" keeps a directory (path) and takes no check_command".into(),
                );
            }
            if !paths.insert(&o.path) {
                return fail(i, format!("path {:?} is used by another output", o.path));
            }
            if o.namespaces.is_empty() {
                return fail(i, "namespaces must list at least one".into());
            }
            if let Some(ns) = o
                .namespaces
                .iter()
                .find(|ns| !self.client.namespaces.contains(ns))
            {
                return fail(i, format!("namespace {ns} is not in client.namespaces"));
            }
            if let Err(why) = o.mode_bits() {
                return fail(i, format!("mode: {why}"));
            }
            if o.command_timeout.get().is_zero() {
                return fail(i, "command_timeout must be longer than 0s".into());
            }
            let template = o.format == super::OutputFormat::Template;
            if template != o.template.is_some() {
                return fail(
                    i,
                    "template is set exactly when format = \"template\"".into(),
                );
            }
        }
        Ok(())
    }
}
