//! A `records.changes` reply made into the pulling edge's view: the main
//! line's reply, with what the gray releases that reach the edge decide
//! (`domain::gray_view`), and the releases it holds then as `"gray"`.
//! An edge that says nothing of itself, and every pull while no release
//! is current, gets the main line untouched.

use std::collections::BTreeSet;

use serde_json::{json, Map, Value};

use super::gray_book::Loaded;
use super::read_cache::ChangesReply;
use super::{db_failure, Center};
use crate::db::executor::RowsOf;
use crate::domain::gray_view::{overlay, Delta, Edge, Release};
use crate::domain::{format_timestamp, now_us, Namespace, ReleaseId};
use crate::rpc::{CallError, Caller, RawJson};

impl Center {
    /// `reply` (of `names`; `None`: the original form) as `caller` sees it.
    pub(crate) async fn viewed(
        &self,
        reply: ChangesReply,
        names: Option<&[Namespace]>,
        caller: &Caller,
    ) -> Result<ChangesReply, CallError> {
        let Some(hello) = caller
            .hello
            .as_ref()
            .filter(|h| self.gray.in_use() || !h.releases.is_empty())
        else {
            return Ok(reply);
        };
        // A signing center's views are not signed yet: its edges keep the
        // main line, which they can verify.
        if self.signer.is_some() {
            return Ok(reply);
        }
        let Some(releases) = self.gray_releases().await else {
            return Ok(reply);
        };
        let asked = names.map(<[Namespace]>::to_vec);
        let default = [Namespace::default()];
        let names = names.unwrap_or(&default);
        let touched = |ns: &Namespace| releases.iter().any(|r| r.namespace == ns.as_str());
        if hello.releases.is_empty() && !names.iter().any(touched) {
            return Ok(reply);
        }
        // A release it holds that is not known any more (it left it long
        // ago, or it went with its namespace): only whole lists bring it
        // back to a known view.
        let unknown = hello
            .releases
            .iter()
            .any(|id| !releases.iter().any(|r| r.id == *id));
        let reply = if unknown {
            self.changes(0, asked).await?
        } else {
            reply
        };
        let mut value: Value =
            serde_json::from_str(reply.json.as_str()).map_err(|_| CallError::Internal)?;
        let edge = Edge {
            name: hello.name.as_ref(),
            labels: &hello.labels,
        };
        let mut holds = Vec::new();
        let mut changed = false;
        for ns in names {
            let part = match value.get_mut("namespaces") {
                Some(parts) => parts.get_mut(ns.as_str()),
                None => Some(&mut value),
            };
            let Some(part) = part else { continue };
            let ours: Vec<&Loaded> = releases
                .iter()
                .filter(|r| r.namespace == ns.as_str())
                .collect();
            let held: Vec<ReleaseId> = hello
                .releases
                .iter()
                .copied()
                .filter(|id| ours.iter().any(|r| r.id == *id))
                .collect();
            let view = overlay(&as_releases(&ours), &held, edge);
            changed |= view.changed(&held);
            let main_now = self.main_values(ns, &view.restore).await?;
            let delta = view.apply(delta_of(part), &held, |k| main_now.get(k).cloned());
            write_part(part, delta, reply.revision);
            holds.extend(view.releases);
        }
        changed |= unknown;
        holds.sort();
        value["gray"] = json!(holds);
        Ok(ChangesReply {
            json: RawJson::from_trusted(value.to_string()),
            changed: reply.changed || changed,
            revision: reply.revision,
        })
    }

    /// The main line's values of `keys` in `ns` now (a key it does not
    /// hold is absent), in one query.
    async fn main_values(
        &self,
        ns: &Namespace,
        keys: &BTreeSet<&str>,
    ) -> Result<Map<String, Value>, CallError> {
        if keys.is_empty() {
            return Ok(Map::new());
        }
        let keys = keys.iter().map(|k| k.to_string()).collect();
        let rows = self
            .ask(RowsOf(ns.clone(), keys))
            .await?
            .map_err(db_failure)?;
        Ok(rows
            .into_iter()
            .filter(|r| !r.deleted)
            .filter_map(|r| Some((r.key, serde_json::from_str(&r.value).ok()?)))
            .collect())
    }
}

fn as_releases<'a>(loaded: &[&'a Loaded]) -> Vec<Release<'a>> {
    loaded
        .iter()
        .map(|r| Release {
            id: r.id,
            active: r.active,
            target: &r.target,
            changes: &r.changes,
        })
        .collect()
}

/// A reply part's upserts and deletes.
fn delta_of(part: &mut Value) -> Delta {
    let upserts = match part.get_mut("upserts").map(Value::take) {
        Some(Value::Array(records)) => records
            .into_iter()
            .filter_map(|mut r| Some((r.get("key")?.as_str()?.to_string(), r["value"].take())))
            .collect(),
        _ => Vec::new(),
    };
    let deletes = match part.get_mut("deletes").map(Value::take) {
        Some(Value::Array(keys)) => keys
            .into_iter()
            .filter_map(|k| k.as_str().map(str::to_string))
            .collect(),
        _ => Vec::new(),
    };
    Delta { upserts, deletes }
}

/// Writes `delta` back into a reply part, its records at `revision`. The
/// part's signature is of the main line, so it goes.
fn write_part(part: &mut Value, delta: Delta, revision: i64) {
    let at = format_timestamp(now_us());
    let upserts: Vec<Value> = delta
        .upserts
        .into_iter()
        .map(|(key, value)| json!({"key": key, "value": value, "revision": revision, "updated_at": at}))
        .collect();
    part["upserts"] = json!(upserts);
    part["deletes"] = json!(delta.deletes);
    if let Some(part) = part.as_object_mut() {
        part.remove("signature");
    }
}
