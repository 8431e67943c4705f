//! `records.list` and `records.changes`, served from the read cache when
//! nothing changed, and from one database snapshot when something did.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use super::read_cache::{ChangesReply, DeltaKey};
use super::signed::signature_member;
use super::{db_failure, to_record, to_records, Center, ListSnapshot};
use crate::db::executor::{CurrentRevision, GetChanges, ListRecords};
use crate::db::records::ChangeRows;
use crate::domain::{net_change, Namespace, NetChange, Record};
use crate::rpc::{CallError, RawJson};
use crate::signing::Signed;

/// The original `records.changes` reply (the `default` namespace).
#[derive(Serialize)]
struct Changes<'a> {
    revision: i64,
    full: bool,
    upserts: Vec<Record>,
    deletes: Vec<&'a str>,
    /// The namespace's signed digest (a signing center; never in a reply
    /// that changes nothing).
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Signed>,
}

/// One namespace's part of a `records.changes(since, namespaces)` reply.
#[derive(Serialize, Default)]
struct Part<'a> {
    upserts: Vec<Record>,
    deletes: Vec<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signature: Option<Signed>,
}

/// `records.changes(since, namespaces)`: every namespace asked for, each
/// with its upserts and deletes.
#[derive(Serialize)]
struct NamespacedChanges<'a> {
    revision: i64,
    full: bool,
    namespaces: BTreeMap<&'a str, Part<'a>>,
}

/// Most fill locks kept; past it the map starts over (locks of replies at
/// an older revision are useless anyway).
const MAX_FLIGHTS: usize = 1024;

/// Single flight: edges ask at the same moments (each second the trust in
/// the known revision expires; each write makes every cached reply stale),
/// and without this every one of them would query the database at once.
#[derive(Default)]
pub(super) struct Flights {
    /// Held while the revision is re-read.
    confirm: tokio::sync::Mutex<()>,
    /// Held while one `records.changes` reply is filled, by its key.
    fills: Mutex<HashMap<DeltaKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl Flights {
    fn fill_lock(&self, key: &DeltaKey) -> Arc<tokio::sync::Mutex<()>> {
        let mut fills = self.fills.lock().unwrap_or_else(|p| p.into_inner());
        if fills.len() >= MAX_FLIGHTS && !fills.contains_key(key) {
            fills.clear();
        }
        fills.entry(key.clone()).or_default().clone()
    }
}

impl Center {
    /// The known revision, confirmed within `server.revision_check_interval`:
    /// when that trust has expired, one request re-reads it and the others
    /// wait for that one.
    pub(super) async fn fresh_known(&self) -> Result<i64, CallError> {
        if let Some(known) = self.cache.fresh_revision(Instant::now()) {
            return Ok(known);
        }
        let _only_me = self.flights.confirm.lock().await;
        if let Some(known) = self.cache.fresh_revision(Instant::now()) {
            return Ok(known);
        }
        self.read_heads().await
    }

    /// Re-reads the revision and the credentials counter now.
    pub(super) async fn recheck(&self) -> Result<i64, CallError> {
        let _only_me = self.flights.confirm.lock().await;
        self.read_heads().await
    }

    async fn read_heads(&self) -> Result<i64, CallError> {
        let heads = self.ask(CurrentRevision).await?.map_err(db_failure)?;
        self.credentials.observe(heads.credentials);
        self.cache.confirm_revision(heads.revision, Instant::now());
        Ok(self.cache.known_revision())
    }

    /// The serialized `records.list` of `ns`, from the cache when nothing
    /// changed.
    pub async fn list(&self, ns: &Namespace) -> Result<ListSnapshot, CallError> {
        if let Some(list) = self.cache.fresh_list(ns, Instant::now()) {
            return Ok(list);
        }
        self.fresh_known().await?;
        if let Some(list) = self.cache.fresh_list(ns, Instant::now()) {
            return Ok(list);
        }
        let Some((revision, state, rows)) = self
            .ask(ListRecords(ns.clone()))
            .await?
            .map_err(db_failure)?
        else {
            return Err(CallError::NoSuchNamespace(ns.to_string()));
        };
        let list = ListSnapshot::new(revision, RawJson::of(&to_records(&rows)?))
            .signed(ns.as_str(), self.sign(ns.as_str(), &state));
        self.cache
            .store_list(ns.clone(), list.clone(), Instant::now());
        Ok(list)
    }

    /// The `records.changes` reply for `key` from the cache, if it holds one
    /// at `known`.
    fn cached_changes(
        &self,
        key: &DeltaKey,
        names: &[Namespace],
        known: i64,
    ) -> Option<ChangesReply> {
        let (since, original) = (key.0, key.1.is_none());
        let now = Instant::now();
        if since > 0 && since == known {
            let json = if original {
                self.unchanged.original(known)
            } else {
                empty_reply(known, names)
            };
            return Some(ChangesReply {
                json,
                changed: false,
                revision: known,
            });
        }
        if since == 0 || since > known {
            let lists: Option<Vec<ListSnapshot>> = names
                .iter()
                .map(|ns| self.cache.fresh_list(ns, now))
                .collect();
            if let Some(lists) = lists {
                return Some(full_reply(known, names, &lists, original));
            }
        }
        self.cache.fresh_delta(key, now)
    }

    /// `records.changes(since, namespaces)`; `None` is the original form.
    pub(super) async fn changes(
        &self,
        since: i64,
        namespaces: Option<Vec<Namespace>>,
    ) -> Result<ChangesReply, CallError> {
        let original = namespaces.is_none();
        let key: DeltaKey = (since, namespaces);
        // No allocation for the original form: this is every edge's pull.
        let names: &[Namespace] = key
            .1
            .as_deref()
            .unwrap_or(std::slice::from_ref(Namespace::default_ref()));
        let known = self.fresh_known().await?;
        if let Some(reply) = self.cached_changes(&key, names, known) {
            return Ok(reply);
        }
        // One request fills this reply; the others wait and take it.
        let fill = self.flights.fill_lock(&key);
        let _only_me = fill.lock().await;
        if let Some(reply) = self.cached_changes(&key, names, known) {
            return Ok(reply);
        }
        let found = self
            .ask(GetChanges {
                since,
                namespaces: names.to_vec(),
            })
            .await?
            .map_err(db_failure)?;
        if let Some(missing) = found.missing {
            return Err(CallError::NoSuchNamespace(missing));
        }
        self.cache.confirm_revision(found.revision, Instant::now());
        if found.full {
            let lists = self.full_lists(&found, names)?;
            return Ok(full_reply(found.revision, names, &lists, original));
        }
        let delta = self.delta(since, &found, names, original)?;
        self.cache
            .store_delta(key.clone(), found.revision, delta.clone());
        Ok(delta)
    }

    /// Each namespace's whole list from a full `found`, signed and kept in
    /// the read cache.
    fn full_lists(
        &self,
        found: &ChangeRows,
        names: &[Namespace],
    ) -> Result<Vec<ListSnapshot>, CallError> {
        let mut lists = Vec::with_capacity(names.len());
        for ns in names {
            let records: Vec<Record> = found
                .rows
                .iter()
                .filter(|r| r.namespace == ns.as_str())
                .map(to_record)
                .collect::<Result<_, _>>()?;
            let signed = found
                .digests
                .iter()
                .find(|(name, _)| name == ns.as_str())
                .and_then(|(name, state)| self.sign(name, state));
            let list = ListSnapshot::new(found.revision, RawJson::of(&records))
                .signed(ns.as_str(), signed);
            self.cache
                .store_list(ns.clone(), list.clone(), Instant::now());
            lists.push(list);
        }
        Ok(lists)
    }

    /// The net change after `since` in `found`'s rows, per namespace (the
    /// `original` form: the `default` namespace's alone).
    fn delta(
        &self,
        since: i64,
        found: &ChangeRows,
        names: &[Namespace],
        original: bool,
    ) -> Result<ChangesReply, CallError> {
        let mut parts: BTreeMap<&str, Part> = names
            .iter()
            .map(|n| (n.as_str(), Part::default()))
            .collect();
        for (name, state) in &found.digests {
            if let Some(part) = parts.get_mut(name.as_str()) {
                part.signature = self.sign(name, state);
            }
        }
        for row in &found.rows {
            let Some(part) = parts.get_mut(row.namespace.as_str()) else {
                continue;
            };
            match net_change(since, row) {
                NetChange::Upsert => part.upserts.push(to_record(row)?),
                NetChange::Delete => part.deletes.push(row.key.as_str()),
                NetChange::Unchanged => {}
            }
        }
        let changed = parts
            .values()
            .any(|p| !p.upserts.is_empty() || !p.deletes.is_empty());
        let json = if original {
            let part = parts.remove(Namespace::DEFAULT).unwrap_or_default();
            RawJson::of(&Changes {
                revision: found.revision,
                full: false,
                upserts: part.upserts,
                deletes: part.deletes,
                signature: part.signature,
            })
        } else {
            RawJson::of(&NamespacedChanges {
                revision: found.revision,
                full: false,
                namespaces: parts,
            })
        };
        Ok(ChangesReply {
            json,
            changed,
            revision: found.revision,
        })
    }
}

/// Nothing changed in `names` since `revision` (the original form's
/// reply is `Unchanged`'s).
fn empty_reply(revision: i64, names: &[Namespace]) -> RawJson {
    RawJson::of(&NamespacedChanges {
        revision,
        full: false,
        namespaces: names
            .iter()
            .map(|n| (n.as_str(), Part::default()))
            .collect(),
    })
}

/// Every record of `names`, from their serialized lists (all at
/// `revision`), without parsing them again.
fn full_reply(
    revision: i64,
    names: &[Namespace],
    lists: &[ListSnapshot],
    original: bool,
) -> ChangesReply {
    let full = |json| ChangesReply {
        json,
        changed: true,
        revision,
    };
    if original {
        return full(RawJson::from_trusted(format!(
            r#"{{"revision":{revision},"full":true,"upserts":{},"deletes":[]{}}}"#,
            lists[0].json.as_str(),
            signature_member(lists[0].signed.as_ref()),
        )));
    }
    let size: usize = lists.iter().map(|l| l.json.as_str().len() + 96).sum();
    let mut out = String::with_capacity(size + 64);
    out.push_str(&format!(
        r#"{{"revision":{revision},"full":true,"namespaces":{{"#
    ));
    for (i, (ns, list)) in names.iter().zip(lists).enumerate() {
        if i > 0 {
            out.push(',');
        }
        // Namespace names need no JSON escaping ([a-z0-9._-]).
        out.push_str(&format!(
            r#""{ns}":{{"upserts":{},"deletes":[]{}}}"#,
            list.json.as_str(),
            signature_member(list.signed.as_ref()),
        ));
    }
    out.push_str("}}");
    full(RawJson::from_trusted(out))
}
