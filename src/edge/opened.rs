//! `Opened`: the plaintext tables of the secret namespaces this edge opens.
//! The store keeps each namespace's table as the center sent it (what the
//! digest covers and the snapshot keeps: ciphertext); a secret one is
//! served from its opened table, built once at apply: the values a change
//! upserts are opened, its deletes applied, on the previous opened table.
//! A value that does not open (sealed for another key or place) is left
//! out and counted. A secret namespace this edge cannot open serves nothing.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use super::keyring::{Keyring, Sealing, Serves};
use super::protocol::{Item, Part};
use super::table::{Step, Table};
use crate::domain::Namespace;
use crate::sealing::{self, Identity};

/// One namespace opened: its table, and how many values of the table as
/// sent did not open.
struct OpenedTable {
    table: Arc<Table>,
    unopened: u64,
}

/// What the page and `/api/status` say of a secret namespace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SecretStatus {
    /// Opened; this many values did not open and are not served.
    Opened { unopened: u64 },
    /// Not served: why.
    Closed(String),
}

pub struct Opened {
    keyring: Arc<Keyring>,
    tables: RwLock<HashMap<Namespace, OpenedTable>>,
}

impl Opened {
    pub fn new(keyring: Arc<Keyring>) -> Opened {
        Opened {
            keyring,
            tables: RwLock::new(HashMap::new()),
        }
    }

    pub fn keyring(&self) -> &Arc<Keyring> {
        &self.keyring
    }

    /// The table served for `namespace`, whose table as sent is `sent`.
    pub fn served(&self, namespace: &Namespace, sent: Option<Arc<Table>>) -> Option<Arc<Table>> {
        match self.keyring.serves(namespace) {
            Serves::Sent => sent,
            Serves::Nothing => None,
            Serves::Opened => {
                let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
                tables.get(namespace).map(|t| t.table.clone())
            }
        }
    }

    /// A secret namespace's status; `None` for one that is not secret.
    pub fn status(&self, namespace: &Namespace) -> Option<SecretStatus> {
        match self.keyring.sealing(namespace)? {
            Sealing::Plain => None,
            Sealing::Closed { why } => Some(SecretStatus::Closed(why)),
            Sealing::Opened { .. } => {
                let tables = self.tables.read().unwrap_or_else(|p| p.into_inner());
                let unopened = tables.get(namespace).map_or(0, |t| t.unopened);
                Some(SecretStatus::Opened { unopened })
            }
        }
    }

    /// Follows `part`, just applied to the namespace's table as sent
    /// (now `sent`), into its opened table.
    pub fn follow(&self, part: &Part, step: &Step, sent: &Table) {
        let Some(Sealing::Opened { key }) = self.keyring.sealing(&part.namespace) else {
            self.forget(&part.namespace);
            return;
        };
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        let previous = tables.get(&part.namespace);
        let base = match (previous, step.full) {
            (Some(t), false) => t.table.clone(),
            _ => Arc::new(Table::empty()),
        };
        let opened = open_part(&key, part);
        let step = Step {
            max_shrink: None,
            digests: false,
            ..*step
        };
        if let Ok(next) = base.after(&opened, &step) {
            let unopened = sent.entries().saturating_sub(next.entries());
            let table = Arc::new(next);
            tables.insert(part.namespace.clone(), OpenedTable { table, unopened });
        }
    }

    /// Opens the whole of `sent` again (the key changed, or at start).
    pub fn reopen(&self, namespace: &Namespace, sent: &Table) {
        let held = sent.held_sorted();
        let items = held.iter().map(|e| Item {
            key: e.key().to_string(),
            value: e.value().to_string(),
            revision: e.revision(),
            updated_at_us: e.updated_at_us(),
            expires_at_us: e.expires_at_us(),
        });
        let part = Part::of(namespace.clone(), items.collect(), Vec::new());
        let step = Step {
            revision: Some(sent.revision()),
            full: true,
            max_shrink: None,
            digests: false,
        };
        self.follow(&part, &step, sent);
    }

    /// Drops what was opened of `namespace`.
    pub fn forget(&self, namespace: &Namespace) {
        let mut tables = self.tables.write().unwrap_or_else(|p| p.into_inner());
        tables.remove(namespace);
    }
}

/// Upserts opened on one thread at most: below this, threads cost more
/// than they save.
const PER_THREAD: usize = 256;

/// `part` with each upserted value opened; one that does not open is
/// deleted instead (an older value of its key is not served either). A
/// large part is opened on every core (one X25519 agreement a value).
fn open_part(key: &Identity, part: &Part) -> Part {
    let ns = part.namespace.as_str();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let chunk = part.upserts.len().div_ceil(cores).max(PER_THREAD);
    let open_all = |items: &[Item]| -> Vec<Option<String>> {
        items.iter().map(|item| open_one(key, ns, item)).collect()
    };
    let opened: Vec<Option<String>> = match part.upserts.len() > chunk {
        false => open_all(&part.upserts),
        true => std::thread::scope(|s| {
            let running: Vec<_> = part
                .upserts
                .chunks(chunk)
                .map(|items| (items.len(), s.spawn(move || open_all(items))))
                .collect();
            running
                .into_iter()
                .flat_map(|(n, t)| t.join().unwrap_or_else(|_| vec![None; n]))
                .collect()
        }),
    };
    let mut deletes = part.deletes.clone();
    let mut upserts = Vec::with_capacity(part.upserts.len());
    for (item, value) in part.upserts.iter().zip(opened) {
        match value {
            Some(value) => upserts.push(Item {
                value,
                ..item.clone()
            }),
            None => deletes.push(item.key.clone()),
        }
    }
    Part::of(part.namespace.clone(), upserts, deletes)
}

/// One sealed value's plaintext JSON text, if it opens here.
fn open_one(key: &Identity, ns: &str, item: &Item) -> Option<String> {
    let sealed = serde_json::from_str(&item.value).ok()?;
    let value = sealing::open(key, ns, &item.key, &sealed).ok()?;
    Some(value.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_large_part_is_opened_whole_and_in_order() {
        let key = crate::sealing::generate();
        let items: Vec<Item> = (0..300)
            .map(|i| {
                let k = format!("k{i:03}");
                let sealed_for = if i == 150 { "elsewhere" } else { k.as_str() };
                let sealed = sealing::seal(&key.recipient(), "s", sealed_for, &i.into());
                Item {
                    value: serde_json::Value::from(sealed).to_string(),
                    key: k,
                    revision: 1,
                    updated_at_us: 0,
                    expires_at_us: None,
                }
            })
            .collect();
        let ns = Namespace::parse("s".to_string()).unwrap();
        let opened = open_part(&key, &Part::of(ns, items, vec![]));
        assert_eq!(opened.deletes, vec!["k150".to_string()]);
        assert_eq!(opened.upserts.len(), 299);
        for item in &opened.upserts {
            assert_eq!(
                item.value,
                item.key[1..].parse::<usize>().unwrap().to_string()
            );
        }
    }
}
