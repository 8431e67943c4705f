//! `Settings::validate`: what types alone cannot check, at start-up; each
//! message names its key.

use super::{ConfigError, PullMode, ReadAccess, Role, Settings, JSON_DEPTH_CEILING};

impl Settings {
    /// Checks what types alone cannot; each message names its key.
    pub fn validate(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
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
        if !self.client.name.is_empty() {
            if let Err(e) = crate::domain::EdgeName::parse(&self.client.name) {
                return fail("client.name", e.to_string());
            }
        }
        if s.expire_interval.get() < std::time::Duration::from_millis(10) {
            return fail("server.expire_interval", "must be at least 10ms".into());
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
        self.validate_client()?;
        self.validate_outputs()?;
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
        if self
            .log
            .level
            .parse::<tracing_subscriber::EnvFilter>()
            .is_err()
        {
            return fail(
                "log.level",
                format!("{:?} is not a valid filter", self.log.level),
            );
        }
        Ok(())
    }

    /// `[[output]]`: on an edge, of namespaces it pulls, to distinct files.
    fn validate_outputs(&self) -> Result<(), ConfigError> {
        let fail = |i: usize, why: String| Err(ConfigError(format!("output[{i}]: {why}")));
        if !self.output.is_empty() && !self.has_role(Role::Edge) {
            return fail(
                0,
                "outputs need the edge role (they render its data)".into(),
            );
        }
        let mut paths = std::collections::HashSet::new();
        for (i, o) in self.output.iter().enumerate() {
            if o.path.as_os_str().is_empty() || o.path.is_dir() {
                return fail(i, format!("path {:?} must name a file", o.path));
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
            // A template that does not compile stops the start (and
            // check-config), naming its file and line.
            if let Err(e) = crate::outputs::load_template(o) {
                return fail(i, e.why);
            }
        }
        Ok(())
    }

    fn validate_client(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError(format!("{key}: {why}")));
        let c = &self.client;
        if !self.has_role(Role::Edge) {
            return Ok(());
        }
        if self.server.read_access == ReadAccess::Users && !self.has_role(Role::Center) {
            return fail(
                "server.read_access",
                "\"users\" needs the center role (users live in its database); an edge alone \
                 serves its cache to whoever reaches server.host"
                    .into(),
            );
        }
        if c.upstreams.is_empty() && !self.has_role(Role::Center) {
            return fail(
                "client.upstreams",
                "an edge without the center role needs at least one upstream URL".into(),
            );
        }
        for upstream in &c.upstreams {
            let url = &upstream.url;
            let rest = url
                .strip_prefix("http://")
                .or_else(|| url.strip_prefix("https://"));
            if rest.is_none_or(str::is_empty) {
                return fail(
                    "client.upstreams",
                    format!("{url:?} must be an http:// or https:// URL"),
                );
            }
        }
        if !c.hold.get().is_zero() && c.mode == PullMode::Method {
            return fail(
                "client.hold",
                "needs mode = \"changes\" (held pulls are records.changes with wait)".into(),
            );
        }
        if c.hold.get() > std::time::Duration::from_secs(3600) {
            return fail("client.hold", "must be at most 1h".into());
        }
        if !c.verify_keys.is_empty() && c.mode == PullMode::Method {
            return fail(
                "client.verify_keys",
                "needs mode = \"changes\" (only syncdict centers sign their data)".into(),
            );
        }
        if c.cert_file.is_some() != c.key_file.is_some() {
            return fail(
                "client.cert_file",
                "client.cert_file and client.key_file go together".into(),
            );
        }
        let secrets = [
            c.token.is_some(),
            c.token_file.is_some(),
            c.username.is_some() || c.password.is_some(),
        ];
        if secrets.iter().filter(|s| **s).count() > 1 {
            return fail(
                "client.token",
                "use one of client.token, client.token_file, or client.username with client.password"
                    .into(),
            );
        }

        for (key, d) in [
            ("client.interval", c.interval),
            ("client.timeout", c.timeout),
            ("client.upstream_cooldown", c.upstream_cooldown),
            ("client.max_backoff", c.max_backoff),
            ("client.max_stale", c.max_stale),
        ] {
            if d.get().is_zero() {
                return fail(key, "must be longer than 0s".into());
            }
        }
        if c.max_backoff.get() < c.interval.get() {
            return fail(
                "client.max_backoff",
                format!(
                    "{} is shorter than client.interval",
                    humantime::format_duration(c.max_backoff.get())
                ),
            );
        }
        if c.cache_size.bytes() < 1024 || c.cache_size.bytes() > u32::MAX as u64 {
            return fail(
                "client.cache_size",
                format!("{} must be between 1k and 4g", c.cache_size),
            );
        }
        if c.namespaces.is_empty() || c.namespaces.len() > 100 {
            return fail("client.namespaces", "must list 1 to 100 namespaces".into());
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = c.namespaces.iter().find(|ns| !seen.insert(*ns)) {
            return fail("client.namespaces", format!("lists {twice} twice"));
        }
        if let Some(stray) = c.namespace_sizes.keys().find(|ns| !seen.contains(ns)) {
            return fail(
                "client.namespace_sizes",
                format!("{stray} is not in client.namespaces"),
            );
        }
        if let Some((ns, size)) = c
            .namespace_sizes
            .iter()
            .find(|(_, s)| s.bytes() < 1024 || s.bytes() > u32::MAX as u64)
        {
            return fail(
                "client.namespace_sizes",
                format!("{ns} = {size} must be between 1k and 4g"),
            );
        }
        if c.mode == PullMode::Method && !seen.contains(&c.method_namespace) {
            return fail(
                "client.method_namespace",
                format!("{} is not in client.namespaces", c.method_namespace),
            );
        }
        let total =
            c.cache_size.bytes() + c.namespace_sizes.values().map(|s| s.bytes()).sum::<u64>();
        if c.max_reply.bytes() < total {
            return fail(
                "client.max_reply",
                format!(
                    "{} is less than client.cache_size plus client.namespace_sizes ({total} bytes)",
                    c.max_reply
                ),
            );
        }
        if c.key_field.is_empty() {
            return fail("client.key_field", "must not be empty".into());
        }
        Ok(())
    }
}
