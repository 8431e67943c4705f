//! `[[webhook]]`: where a center reports what changed, signed per the
//! Standard Webhooks spec and delivered from the outbox.

use serde::{Deserialize, Serialize};

use crate::domain::{EventKind, Namespace};

/// One `[[webhook]]` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSettings {
    /// Names the webhook in the delivery log and `/metrics`: 1 to 64 of
    /// `a-z0-9_-`, unique. Required.
    pub name: String,
    /// `http://` or `https://`; redirects are not followed, and a private or
    /// loopback address is refused unless `server.webhook_allow_private`.
    /// Required.
    pub url: String,
    /// `whsec_` and the base64 of 24 to 64 random bytes (`syncdict webhook
    /// secret` prints one). Required.
    pub secret: String,
    /// The events sent (`publish`, `rollback`, `review.opened`,
    /// `review.approved`, `review.rejected`, `review.published`,
    /// `namespace.created`, `namespace.deleted`, `schema.changed`,
    /// `break_glass`). Default every one.
    #[serde(default)]
    pub events: Vec<String>,
    /// Only events of these namespaces. Default every namespace.
    #[serde(default)]
    pub namespaces: Vec<Namespace>,
}

/// Why a `[[webhook]]` section is refused.
#[derive(Debug, thiserror::Error)]
pub enum InvalidWebhook {
    #[error("name {0:?} must be 1 to 64 of a-z, 0-9, _ and -")]
    Name(String),
    #[error("name {0:?} is used by another webhook")]
    Taken(String),
    #[error("url {0:?} must be http:// or https:// with a host")]
    Url(String),
    #[error("secret must be whsec_ and the base64 of 24 to 64 bytes")]
    Secret,
    #[error("unknown event {0:?}")]
    Event(String),
}

impl WebhookSettings {
    /// The secret's key bytes.
    pub fn key(&self) -> Result<Vec<u8>, InvalidWebhook> {
        use base64::Engine;
        let encoded = self
            .secret
            .strip_prefix("whsec_")
            .ok_or(InvalidWebhook::Secret)?;
        let key = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .map_err(|_| InvalidWebhook::Secret)?;
        match key.len() {
            24..=64 => Ok(key),
            _ => Err(InvalidWebhook::Secret),
        }
    }

    /// Whether an event of `kind` in `namespace` goes to this webhook.
    pub fn wants(&self, kind: &str, namespace: &str) -> bool {
        let kind_ok = self.events.is_empty() || self.events.iter().any(|e| e == kind);
        let ns_ok =
            self.namespaces.is_empty() || self.namespaces.iter().any(|n| n.as_str() == namespace);
        kind_ok && ns_ok
    }

    /// Checks one section (names are checked unique by the caller).
    pub fn check(&self) -> Result<(), InvalidWebhook> {
        let name_ok = (1..=64).contains(&self.name.len())
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
        if !name_ok {
            return Err(InvalidWebhook::Name(self.name.clone()));
        }
        let rest = self
            .url
            .strip_prefix("https://")
            .or_else(|| self.url.strip_prefix("http://"));
        if rest.is_none_or(|r| r.is_empty() || r.starts_with('/')) {
            return Err(InvalidWebhook::Url(self.url.clone()));
        }
        self.key()?;
        if let Some(unknown) = self.events.iter().find(|e| EventKind::parse(e).is_none()) {
            return Err(InvalidWebhook::Event(unknown.clone()));
        }
        Ok(())
    }
}
