//! `Settings::validate`'s checks of `[client]`, for an edge: its
//! upstreams, pulls and namespaces; each message names its key.

use super::{ConfigError, PullMode, ReadAccess, Role, Settings};
use crate::domain::Selection;

impl Settings {
    pub(super) fn validate_client(&self) -> Result<(), ConfigError> {
        if !self.has_role(Role::Edge) {
            return Ok(());
        }
        self.validate_upstreams()?;
        self.validate_pulls()?;
        self.validate_namespaces()
    }

    /// Where the edge pulls from, and how it says who it is.
    fn validate_upstreams(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let c = &self.client;
        if let Err(why) = crate::domain::Labels::from_map(&c.labels) {
            return fail("client.labels", why.to_string());
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
        Ok(())
    }

    /// How often it pulls and how much it keeps.
    fn validate_pulls(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let c = &self.client;
        for (key, d) in [
            ("client.interval", c.interval),
            ("client.timeout", c.timeout),
            ("client.health_timeout", c.health_timeout),
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
        Ok(())
    }

    /// Which namespaces it pulls, and their budgets.
    fn validate_namespaces(&self) -> Result<(), ConfigError> {
        let fail = |key: &str, why: String| Err(ConfigError::invalid(key, why));
        let c = &self.client;
        let listed = c.namespaces.listed();
        if c.namespaces != Selection::Every && (listed.is_empty() || listed.len() > 100) {
            return fail(
                "client.namespaces",
                "must be [\"*\"] or list 1 to 100 namespaces".into(),
            );
        }
        let mut seen = std::collections::BTreeSet::new();
        if let Some(twice) = listed.iter().find(|ns| !seen.insert(*ns)) {
            return fail("client.namespaces", format!("lists {twice} twice"));
        }
        if let Some(stray) = c
            .namespace_sizes
            .keys()
            .find(|ns| !c.namespaces.contains(ns))
        {
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
        if c.mode == PullMode::Method && !c.namespaces.contains(&c.method_namespace) {
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
