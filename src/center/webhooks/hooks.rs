//! The webhooks a center delivers: those of `[[webhook]]` and those added
//! over RPC (`webhooks.add`, stored in the database and read each round),
//! with their keys, and their counts for `/metrics`.

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};

use crate::configuration::WebhookSettings;
use crate::db::webhooks::HookRow;
use crate::domain::Namespace;

/// A webhook and its key.
#[derive(Debug, Clone)]
pub(super) struct Hook {
    pub settings: WebhookSettings,
    pub key: Vec<u8>,
}

impl Hook {
    /// `settings` with its key, if its secret is sound.
    pub fn of(settings: &WebhookSettings) -> Option<Hook> {
        let key = settings.key().ok()?;
        Some(Hook {
            settings: settings.clone(),
            key,
        })
    }

    /// A stored webhook (its lists are JSON arrays, checked when added).
    pub fn stored(row: HookRow) -> Option<Hook> {
        let events: Vec<String> = serde_json::from_str(&row.events).ok()?;
        let names: Vec<String> = serde_json::from_str(&row.namespaces).ok()?;
        let namespaces = names
            .into_iter()
            .map(Namespace::parse)
            .collect::<Result<Vec<_>, _>>()
            .ok()?;
        Hook::of(&WebhookSettings {
            name: row.name,
            url: row.url,
            secret: row.secret,
            events,
            namespaces,
        })
    }
}

/// `fixed` (from the settings) then `stored`, a name of the settings
/// shadowing a stored one.
pub(super) fn merged(fixed: &[Hook], stored: Vec<HookRow>) -> Vec<Hook> {
    let mut hooks = fixed.to_vec();
    for hook in stored.into_iter().filter_map(Hook::stored) {
        if hooks.iter().all(|h| h.settings.name != hook.settings.name) {
            hooks.push(hook);
        }
    }
    hooks
}

/// Counts per webhook, for `/metrics`.
#[derive(Debug, Default)]
pub struct HookCounts {
    pub delivered: AtomicU64,
    pub retried: AtomicU64,
    pub failed: AtomicU64,
}

/// Every webhook's counts, by name (a removed webhook's stay until restart).
#[derive(Debug, Default)]
pub struct Counts(Mutex<BTreeMap<String, Arc<HookCounts>>>);

impl Counts {
    pub fn of(&self, name: &str) -> Arc<HookCounts> {
        let mut all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.entry(name.to_string()).or_default().clone()
    }

    pub fn all(&self) -> Vec<(String, Arc<HookCounts>)> {
        let all = self.0.lock().unwrap_or_else(|p| p.into_inner());
        all.iter().map(|(n, c)| (n.clone(), c.clone())).collect()
    }
}
