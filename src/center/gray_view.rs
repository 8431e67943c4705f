//! A `records.changes` reply made into the pulling edge's view: the main
//! line's reply, with what the gray releases that reach the edge decide
//! (`domain::gray_view`), and the releases it holds then as `"gray"`.
//! An edge that says nothing of itself, and every pull while no release
//! is current, gets the main line untouched.

use serde_json::{json, Map, Value};

use super::gray_book::Loaded;
use super::read_cache::ChangesReply;
use super::{db_failure, Center};
use crate::db::executor::ViewBase;
use crate::domain::gray_view::{overlay, Delta, Edge, Overlay, Pick, Release};
use crate::domain::{format_timestamp, now_us, EdgeHello, EdgeName, Namespace, ReleaseId};
use crate::rpc::{CallError, Caller, RawJson};
use crate::signing::{LtHash, Signed, ViewOf};

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
        let Some(releases) = self.gray_releases().await else {
            return Ok(reply);
        };
        let asked = names.map(<[Namespace]>::to_vec);
        let default = [Namespace::default()];
        let names = names.unwrap_or(&default);
        // An edge that holds no release and that none reaches gets the
        // main line as it is: one target check per active release of the
        // namespaces it pulls (a hash for a percentage), nothing parsed.
        let reaches = |ns: &Namespace| {
            releases.iter().any(|r| {
                r.active
                    && r.namespace == ns.as_str()
                    && r.target.reaches(r.id, hello.name.as_ref(), &hello.labels)
            })
        };
        if hello.releases.is_empty() && !names.iter().any(reaches) {
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
        let views = views(&releases, names, hello);
        let mut holds: Vec<ReleaseId> = views
            .iter()
            .flat_map(|(_, _, v)| v.releases.clone())
            .collect();
        holds.sort();
        let changed = unknown || views.iter().any(|(_, held, v)| v.changed(held));
        if !changed && !reply.changed {
            // Nothing new on the main line, and the view stands: the reply
            // as it is, with what the edge holds (nothing parsed).
            return Ok(with_gray(reply, &holds));
        }
        let mut value: Value =
            serde_json::from_str(reply.json.as_str()).map_err(|_| CallError::Internal)?;
        for (ns, held, view) in &views {
            let part = match value.get_mut("namespaces") {
                Some(parts) => parts.get_mut(ns.as_str()),
                None => Some(&mut value),
            };
            let Some(part) = part else { continue };
            let keys = view.restore.iter().map(|k| k.to_string()).collect();
            let mut records = (*self.main_records(ns, keys, reply.revision).await?).clone();
            let signature = match view.picks.is_empty() && view.restore.is_empty() {
                true => Signature::MainLine,
                false => Signature::View(self.sign_view(ns, view, hello.name.as_ref()).await?),
            };
            let main = delta_of(part, &mut records);
            let main_now = |k: &str| records.get(k).map(|r| r["value"].clone());
            let delta = view.apply(main, held, main_now);
            write_part(part, (delta, &records), reply.revision, signature);
        }
        value["gray"] = json!(holds);
        Ok(ChangesReply {
            json: RawJson::from_trusted(value.to_string()),
            changed: reply.changed || changed,
            revision: reply.revision,
        })
    }

    /// The signed digest of the view of `ns` under `view` for the edge
    /// `name`, when this center signs: the namespace's digest with the
    /// main line's entries of the keys the releases decide taken out and
    /// the releases' values put in (`LtHash` adds and subtracts), bound to
    /// the edge and the releases; with no key decided (an edge brought back
    /// to the main line), the main line's own. One query and one signature
    /// per pull of an edge a release reaches or just left; none for the
    /// others.
    async fn sign_view(
        &self,
        ns: &Namespace,
        view: &Overlay<'_>,
        name: Option<&EdgeName>,
    ) -> Result<Option<Signed>, CallError> {
        let Some(signer) = &self.signer else {
            return Ok(None);
        };
        let keys = view.picks.keys().map(|k| k.to_string()).collect();
        let base = self
            .ask(ViewBase(ns.clone(), keys))
            .await?
            .map_err(db_failure)?;
        let Some((state, rows)) = base else {
            return Ok(None);
        };
        let Some(mut digest) = state.digest.as_deref().and_then(LtHash::from_bytes) else {
            return Ok(None);
        };
        let ns = ns.as_str();
        for row in &rows {
            digest.remove(ns, &row.key, &row.value, row.expires_at_us);
        }
        for (key, pick) in &view.picks {
            if let Pick::Put(value) = pick {
                digest.insert(ns, key, &value.to_string(), None);
            }
        }
        let of = name.filter(|_| !view.picks.is_empty()).map(|name| ViewOf {
            edge: name.to_string(),
            releases: view.releases.iter().map(|id| id.0).collect(),
        });
        Ok(Some(signer.sign_view(
            ns,
            state.revision,
            &digest.checksum(),
            of,
        )))
    }
}

/// The edge's view of each of `names` under `releases`, with the releases
/// of it that it holds.
fn views<'a>(
    releases: &'a [Loaded],
    names: &'a [Namespace],
    hello: &'a EdgeHello,
) -> Vec<(&'a Namespace, Vec<ReleaseId>, Overlay<'a>)> {
    let edge = Edge {
        name: hello.name.as_ref(),
        labels: &hello.labels,
    };
    names
        .iter()
        .map(|ns| {
            let ours: Vec<&Loaded> = releases
                .iter()
                .filter(|r| r.namespace == ns.as_str())
                .collect();
            let held: Vec<ReleaseId> = (hello.releases.iter().copied())
                .filter(|id| ours.iter().any(|r| r.id == *id))
                .collect();
            let view = overlay(&as_releases(&ours), &held, edge);
            (ns, held, view)
        })
        .collect()
}

/// `reply` with `"gray": holds` added, written into its text.
fn with_gray(reply: ChangesReply, holds: &[ReleaseId]) -> ChangesReply {
    let text = reply.json.as_str().trim_end();
    let Some(open) = text.strip_suffix('}') else {
        return reply;
    };
    let comma = if open.trim_end().ends_with('{') {
        ""
    } else {
        ","
    };
    let json = format!("{open}{comma}\"gray\":{}}}", json!(holds));
    ChangesReply {
        json: RawJson::from_trusted(json),
        ..reply
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

/// A reply part's upserts and deletes; its records go to `records` by
/// key, so the ones the view keeps are written back whole (revision,
/// times and expiry).
fn delta_of(part: &mut Value, records: &mut Map<String, Value>) -> Delta {
    let upserts = match part.get_mut("upserts").map(Value::take) {
        Some(Value::Array(upserts)) => upserts
            .into_iter()
            .filter_map(|r| {
                let key = r.get("key")?.as_str()?.to_string();
                let value = r.get("value")?.clone();
                records.insert(key.clone(), r);
                Some((key, value))
            })
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

/// What a viewed part is signed with.
enum Signature {
    /// No release decides a key of it: the main line's signature holds.
    MainLine,
    /// The view's own (none from a center that does not sign).
    View(Option<Signed>),
}

/// Writes `delta` back into a reply part with its `signature`: a main-line
/// record as `records` holds it, a release's value as a record at
/// `revision`.
fn write_part(
    part: &mut Value,
    (delta, records): (Delta, &Map<String, Value>),
    revision: i64,
    signature: Signature,
) {
    let at = format_timestamp(now_us());
    let upserts: Vec<Value> = delta
        .upserts
        .into_iter()
        .map(|(key, value)| match records.get(&key) {
            Some(record) if record["value"] == value => record.clone(),
            _ => json!({"key": key, "value": value, "revision": revision, "updated_at": at}),
        })
        .collect();
    part["upserts"] = json!(upserts);
    part["deletes"] = json!(delta.deletes);
    match (signature, part.as_object_mut()) {
        (Signature::View(Some(signed)), Some(part)) => {
            part.insert("signature".into(), json!(signed));
        }
        (Signature::View(None), Some(part)) => {
            part.remove("signature");
        }
        _ => {}
    }
}
