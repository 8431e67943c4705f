//! `Keyring`: what the edge knows of each namespace's sealing, sans I/O.
//! A secret namespace's key is asked of the center (`secrets.keys` with
//! the edge's own recipient, from `client.identity_file`) before a pull
//! that touches it is applied, and unwrapped here; the store then opens
//! the values once, at apply (`src/edge/opened.rs`).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::RwLock;

use serde_json::{json, Value};

use super::protocol::Pulled;
use crate::center::Center;
use crate::domain::Namespace;
use crate::rpc::method::RpcMethod;
use crate::sealing::{self, Identity, Recipient};

/// A namespace's sealing as the edge knows it.
#[derive(Debug, Clone)]
pub enum Sealing {
    /// Not secret: values are served as they come.
    Plain,
    /// Secret, opened with `key`, the namespace's identity now.
    Opened { key: Identity },
    /// Secret, and this edge cannot open it: it serves nothing of it.
    Closed { why: String },
}

/// Which table a namespace is served from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Serves {
    /// The table as sent (not secret, or not known to be).
    Sent,
    /// Its opened table.
    Opened,
    /// None: a secret namespace this edge cannot open.
    Nothing,
}

/// What the center said to `secrets.keys`.
#[derive(Debug, Clone)]
pub enum KeysReply {
    /// `{recipient, grants}`.
    Keys(Value),
    /// The namespace is not secret (or the center has no secrets).
    NotSecret,
}

/// Each namespace's sealing, as last learnt.
pub struct Keyring {
    identity: Option<Identity>,
    known: RwLock<HashMap<Namespace, Sealing>>,
    /// What the center last said of each namespace (`null`: not secret),
    /// kept beside the snapshot so a restarted edge opens at once.
    replies: RwLock<BTreeMap<String, Value>>,
    /// Moved after every change to `known` (the store's kept table
    /// look-ups are judged by it).
    changes: AtomicU64,
}

impl Keyring {
    /// With the edge's own identity (`client.identity_file`), if it has one.
    pub fn new(identity: Option<Identity>) -> Keyring {
        Keyring {
            identity,
            known: RwLock::new(HashMap::new()),
            replies: RwLock::new(BTreeMap::new()),
            changes: AtomicU64::new(0),
        }
    }

    pub fn recipient(&self) -> Option<Recipient> {
        self.identity.as_ref().map(Identity::recipient)
    }

    /// `namespace`'s sealing, if known.
    pub fn sealing(&self, namespace: &Namespace) -> Option<Sealing> {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        known.get(namespace).cloned()
    }

    /// Which table serves `namespace`, judged without copying its key
    /// (every `/api/cache` read asks).
    pub fn serves(&self, namespace: &Namespace) -> Serves {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        match known.get(namespace) {
            None | Some(Sealing::Plain) => Serves::Sent,
            Some(Sealing::Opened { .. }) => Serves::Opened,
            Some(Sealing::Closed { .. }) => Serves::Nothing,
        }
    }

    /// The namespaces whose key to ask before `pulled` is applied: those
    /// of `held` not known yet or closed (a grant may have come), and the
    /// secret ones `pulled` changes (the key may have rotated).
    pub fn wanted(&self, pulled: &Pulled, held: &[Namespace]) -> Vec<Namespace> {
        let known = self.known.read().unwrap_or_else(|p| p.into_inner());
        let mut wanted: Vec<Namespace> = held
            .iter()
            .filter(|ns| matches!(known.get(*ns), None | Some(Sealing::Closed { .. })))
            .cloned()
            .collect();
        for part in &pulled.parts {
            let changed = pulled.full || !part.is_empty();
            let unknown_or_secret = !matches!(known.get(&part.namespace), Some(Sealing::Plain));
            if changed && unknown_or_secret && !wanted.contains(&part.namespace) {
                wanted.push(part.namespace.clone());
            }
        }
        wanted
    }

    /// Learns `namespace`'s sealing from the center's reply; answers
    /// whether its key changed (its values must be opened again).
    pub fn learn(&self, namespace: &Namespace, reply: KeysReply) -> bool {
        let (sealing, kept) = match reply {
            KeysReply::NotSecret => (Sealing::Plain, Value::Null),
            KeysReply::Keys(keys) => (self.unwrap(namespace, &keys), keys),
        };
        let mut replies = self.replies.write().unwrap_or_else(|p| p.into_inner());
        replies.insert(namespace.to_string(), kept);
        drop(replies);
        let mut known = self.known.write().unwrap_or_else(|p| p.into_inner());
        let changed = match (known.get(namespace), &sealing) {
            (Some(Sealing::Opened { key: old }), Sealing::Opened { key: new }) => {
                old.recipient() != new.recipient()
            }
            (Some(Sealing::Plain), Sealing::Plain) => false,
            (Some(Sealing::Closed { .. }), Sealing::Closed { .. }) => false,
            _ => true,
        };
        known.insert(namespace.clone(), sealing);
        drop(known);
        self.changes.fetch_add(1, Ordering::Release);
        changed
    }

    /// How many times what it knows has changed.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    /// The center's replies learnt, by namespace (the snapshot's keys file).
    pub fn kept(&self) -> Value {
        let replies = self.replies.read().unwrap_or_else(|p| p.into_inner());
        Value::Object(
            replies
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        )
    }

    /// Learns again what `kept` holds; answers the secret namespaces.
    pub fn restore(&self, kept: &Value) -> Vec<Namespace> {
        let mut secret = Vec::new();
        for (name, reply) in kept.as_object().into_iter().flatten() {
            let Ok(namespace) = Namespace::parse(name.clone()) else {
                continue;
            };
            if reply.is_null() {
                self.learn(&namespace, KeysReply::NotSecret);
            } else {
                self.learn(&namespace, KeysReply::Keys(reply.clone()));
                secret.push(namespace);
            }
        }
        secret
    }

    fn unwrap(&self, namespace: &Namespace, keys: &Value) -> Sealing {
        let Some(identity) = &self.identity else {
            return Sealing::Closed {
                why: "secret: this edge has no client.identity_file".into(),
            };
        };
        let closed = |why: String| Sealing::Closed { why };
        let current = match keys["recipient"].as_str().map(str::parse::<Recipient>) {
            Some(Ok(r)) => r,
            _ => return closed("secret: the center's reply names no recipient".into()),
        };
        let Some(wrapped) = keys["grants"][0]["wrapped"].as_str() else {
            return closed(format!("secret: not granted to {}", identity.recipient()));
        };
        match sealing::unwrap(identity, namespace.as_str(), &current, wrapped) {
            Ok(key) => Sealing::Opened { key },
            Err(e) => closed(format!("secret: the key granted does not open: {e}")),
        }
    }
}

/// The JSON-RPC body asking `namespace`'s key granted to `recipient`.
pub fn keys_request(namespace: &Namespace, recipient: Option<&Recipient>) -> String {
    let method = <crate::secrets::Keys as RpcMethod<Center>>::SPEC.name;
    let params = match recipient {
        Some(r) => json!([namespace, r.to_string()]),
        None => json!([namespace]),
    };
    json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).to_string()
}

/// A `secrets.keys` reply: its result (`recipient` null: not secret), or
/// "not secret" from a center without the method (-32601); any other
/// reply is `None` (asked again on the next pull).
pub fn keys_reply(body: &[u8]) -> Option<KeysReply> {
    let reply: Value = serde_json::from_slice(body).ok()?;
    match reply.get("result") {
        Some(result) if result["recipient"].is_string() => Some(KeysReply::Keys(result.clone())),
        Some(result) if result["recipient"].is_null() => Some(KeysReply::NotSecret),
        _ if reply["error"]["code"].as_i64() == Some(-32601) => Some(KeysReply::NotSecret),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
