//! Writes: every record write is one change set (`records.put`, `.delete`
//! and `.apply` alike), and a rollback is the change set that makes a
//! namespace equal to its past.

use serde_json::Value;

use super::{db_failure, Center};
use crate::db::executor::{ApplyWrite, ListRecords, RecordsAt};
use crate::db::writes::Refused;
use crate::domain::{
    now_us, Applied, ChangeSet, Expiry, Namespace, Passage, RecordKey, ReleaseId, RequestId, Write,
    WriteKind, WriteOrigin,
};
use crate::rpc::{CallError, RawJson};

/// How often a rollback recomputes its change set when writes keep
/// landing in the namespace while it is computed.
const ROLLBACK_ATTEMPTS: usize = 3;

/// What a rollback does with the change set it computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollbackPlan {
    Commit,
    /// Answer the change set without committing it.
    DryRun,
}

impl Center {
    /// Commits `changes` in `namespace` whole, or refuses them whole.
    pub(crate) async fn write(
        &self,
        namespace: Namespace,
        changes: ChangeSet,
        if_revision: Option<i64>,
        origin: WriteOrigin,
    ) -> Result<Applied, CallError> {
        self.commit(Write {
            namespace,
            changes,
            if_revision,
            origin,
            passage: Passage::Direct,
            kind: WriteKind::Change,
        })
        .await
    }

    /// Commits `changes` in `namespace` as `passage` lets them through (a
    /// change request's publish, a gray release's promotion, each closed in
    /// the same transaction), or refuses them whole (see `Passage`).
    pub(crate) async fn publish(
        &self,
        namespace: Namespace,
        changes: ChangeSet,
        origin: WriteOrigin,
        passage: Passage,
    ) -> Result<Applied, CallError> {
        self.commit(Write {
            namespace,
            changes,
            if_revision: None,
            origin,
            passage,
            kind: WriteKind::Change,
        })
        .await
    }

    pub(crate) async fn commit(&self, write: Write) -> Result<Applied, CallError> {
        let (namespace, if_revision) = (write.namespace.to_string(), write.if_revision);
        let subject = match &write.passage {
            Passage::Publish(p) => Subject::Request(p.request),
            Passage::Promote(p) => Subject::Release(p.release),
            _ => Subject::Write,
        };
        match self.ask(ApplyWrite(write)).await?.map_err(db_failure)? {
            Ok(applied) => {
                if let Some(revision) = applied.revision {
                    self.cache.note_write(revision);
                }
                Ok(applied)
            }
            Err(why) => Err(refusal(why, namespace, if_revision, subject)),
        }
    }

    /// Makes `namespace` equal to its state at `revision`, as one new
    /// revision. The change set is computed from the namespace now and
    /// then, and committed only if the namespace did not change meanwhile
    /// (else computed again; with `if_revision`, a change after it is a
    /// conflict instead). With `dry_run`, the change set is answered and
    /// nothing is committed.
    pub(crate) async fn rollback(
        &self,
        namespace: Namespace,
        revision: i64,
        if_revision: Option<i64>,
        plan: RollbackPlan,
        origin: WriteOrigin,
    ) -> Result<RawJson, CallError> {
        for _ in 0..ROLLBACK_ATTEMPTS {
            let then = match self
                .ask(RecordsAt {
                    namespace: namespace.clone(),
                    revision,
                })
                .await?
                .map_err(db_failure)?
            {
                Ok(then) => then,
                Err(range) => {
                    return Err(CallError::OutOfRange {
                        asked: revision,
                        from: range.from,
                        current: range.current,
                    })
                }
            };
            let Some((read_at, state, now)) = self
                .ask(ListRecords(namespace.clone()))
                .await?
                .map_err(db_failure)?
            else {
                return Err(CallError::NoSuchNamespace(namespace.to_string()));
            };
            if let Some(expected) = if_revision.filter(|r| state.revision > *r) {
                return Err(CallError::Conflict {
                    namespace: namespace.to_string(),
                    changed_at: state.revision,
                    if_revision: expected,
                });
            }
            let mut expiries = then.expiries;
            let then = then.records.into_iter().map(|(k, v)| {
                let e = expiries.remove(&k);
                (k, v, e)
            });
            let now = now.into_iter().map(|r| (r.key, r.value, r.expires_at_us));
            let changes = diff(then.collect(), now.collect(), now_us())?;
            if plan == RollbackPlan::DryRun {
                return Ok(RawJson::of(&preview(&changes)));
            }
            let outcome = self
                .commit(Write {
                    namespace: namespace.clone(),
                    changes,
                    if_revision: Some(read_at),
                    origin: origin.clone(),
                    passage: Passage::Direct,
                    kind: WriteKind::Rollback,
                })
                .await;
            match outcome {
                Err(CallError::Conflict { .. }) if if_revision.is_none() => continue,
                other => return other.map(|applied| RawJson::of(&applied)),
            }
        }
        Err(CallError::Conflict {
            namespace: namespace.to_string(),
            changed_at: self.cache.known_revision(),
            if_revision: revision,
        })
    }
}

/// The error a refused write answers.
/// What a refused write was, for its error.
enum Subject {
    Write,
    Request(RequestId),
    Release(ReleaseId),
}

fn refusal(
    why: Refused,
    namespace: String,
    if_revision: Option<i64>,
    subject: Subject,
) -> CallError {
    let id = match subject {
        Subject::Request(id) => id,
        _ => RequestId(0),
    };
    let release = match subject {
        Subject::Release(release) => Some(release),
        _ => None,
    };
    match why {
        Refused::NoSuchNamespace => CallError::NoSuchNamespace(namespace),
        Refused::Conflict { changed_at } => CallError::Conflict {
            namespace,
            changed_at,
            if_revision: if_revision.unwrap_or_default(),
        },
        Refused::Schema(violations) => CallError::Invalid(format!(
            "value violates the schema of namespace {namespace:?}: {}",
            violations.join("; ")
        )),
        Refused::Expiry { key, why } => CallError::Invalid(format!("key {key:?}: {why}")),
        Refused::NotSealed(refused) => CallError::Invalid(format!(
            "namespace {namespace:?} is secret: {}",
            refused.join("; ")
        )),
        Refused::NotSecret => CallError::Invalid(format!(
            "namespace {namespace:?} is not secret: it has no key to rotate"
        )),
        Refused::NotResealed(left) => CallError::Invalid(format!(
            "a key rotation must re-seal every value of namespace {namespace:?}: {left} left sealed to the old key (written meanwhile? read them again)"
        )),
        Refused::ReviewRequired { required } => CallError::ReviewRequired {
            namespace,
            required,
        },
        Refused::NoSuchRequest => CallError::NoSuchRequest(id),
        Refused::Closed { request, state } => CallError::RequestClosed { id: request, state },
        Refused::NotApproved {
            request,
            approvals,
            required,
        } => CallError::NotApproved {
            id: request,
            approvals,
            required,
        },
        Refused::KeysChanged(keys) => match release {
            Some(id) => CallError::ReleaseKeysChanged { id, keys },
            None => CallError::KeysChanged { id, keys },
        },
        Refused::NoSuchRelease => CallError::NoSuchRelease(release.unwrap_or(ReleaseId(0))),
        Refused::ReleaseEnded(state) => CallError::ReleaseEnded {
            id: release.unwrap_or(ReleaseId(0)),
            state,
        },
    }
}

/// A change set as a dry run shows it.
fn preview(changes: &ChangeSet) -> serde_json::Value {
    let upserts: serde_json::Map<String, Value> = changes
        .upserts
        .iter()
        .map(|(k, v)| (k.to_string(), v.clone()))
        .collect();
    let expires: serde_json::Map<String, Value> = changes
        .expiries
        .iter()
        .filter_map(|(k, e)| match e {
            Expiry::At(at) => Some((
                k.to_string(),
                Value::from(crate::domain::format_timestamp(*at)),
            )),
            Expiry::In(_) => None,
        })
        .collect();
    let deletes: Vec<&str> = changes.deletes.iter().map(|k| k.as_str()).collect();
    serde_json::json!({"dry_run": true, "upserts": upserts, "deletes": deletes, "expires_at": expires})
}

/// A record as a rollback compares it: key, value (JSON text), expiry.
type Kept = (String, String, Option<i64>);

/// The change set that turns `now` into `then` (both sorted by key),
/// computed at `now_us`: a record of `then` whose expiry has passed is
/// not brought back (it would only expire again); one brought back keeps
/// the expiry it had.
fn diff(then: Vec<Kept>, now: Vec<Kept>, now_us: i64) -> Result<ChangeSet, CallError> {
    let mut set = ChangeSet::default();
    let then = then
        .into_iter()
        .filter(|(_, _, e)| e.is_none_or(|at| at > now_us));
    let mut now = now.into_iter().peekable();
    let key = |k: String| {
        RecordKey::parse(k).map_err(|e| {
            tracing::error!(error = %e, "stored key is not a valid key");
            CallError::Internal
        })
    };
    let value = |v: &str| {
        serde_json::from_str::<Value>(v).map_err(|e| {
            tracing::error!(error = %e, "stored value is not valid JSON");
            CallError::Internal
        })
    };
    let upsert = |set: &mut ChangeSet, k: String, v: &str, e: Option<i64>| {
        let k = key(k)?;
        if let Some(at) = e {
            set.expiries.insert(k.clone(), Expiry::At(at));
        }
        set.upserts.push((k, value(v)?));
        Ok::<(), CallError>(())
    };
    for (k, v, e) in then {
        // Keys live now that come before `k` are gone at `then`.
        while let Some((nk, _, _)) = now.peek() {
            if nk.as_bytes() >= k.as_bytes() {
                break;
            }
            let (nk, _, _) = now.next().expect("peeked");
            set.deletes.push(key(nk)?);
        }
        match now.peek() {
            Some((nk, nv, ne)) if *nk == k => {
                if *nv != v || *ne != e {
                    upsert(&mut set, k, &v, e)?;
                }
                now.next();
            }
            _ => upsert(&mut set, k, &v, e)?,
        }
    }
    for (nk, _, _) in now {
        set.deletes.push(key(nk)?);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kv(pairs: &[(&str, &str)]) -> Vec<Kept> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string(), None))
            .collect()
    }

    #[test]
    fn diff_turns_now_into_then() {
        let then = kv(&[("a", "1"), ("c", "3"), ("d", "4")]);
        let now = kv(&[("b", "2"), ("c", "30"), ("d", "4"), ("e", "5")]);
        let set = diff(then, now, 0).unwrap();
        let ups: Vec<(&str, String)> = set
            .upserts
            .iter()
            .map(|(k, v)| (k.as_str(), v.to_string()))
            .collect();
        assert_eq!(ups, vec![("a", "1".to_string()), ("c", "3".to_string())]);
        let dels: Vec<&str> = set.deletes.iter().map(|k| k.as_str()).collect();
        assert_eq!(dels, vec!["b", "e"]);
        assert!(diff(kv(&[("x", "1")]), kv(&[("x", "1")]), 0)
            .unwrap()
            .is_empty());
    }

    #[test]
    fn diff_brings_back_expiries_but_not_expired_records() {
        let kept = |k: &str, e: Option<i64>| (k.to_string(), "1".to_string(), e);
        let then = vec![kept("a", Some(100)), kept("b", Some(50)), kept("c", None)];
        let now = vec![kept("a", None), kept("c", None)];
        let set = diff(then, now, 60).unwrap();
        let ups: Vec<&str> = set.upserts.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(ups, ["a"], "a's expiry differs; b expired at 50, before 60");
        let a = RecordKey::parse("a".to_string()).unwrap();
        assert_eq!(set.expiries.get(&a), Some(&Expiry::At(100)));
        assert!(set.deletes.is_empty());
    }
}
