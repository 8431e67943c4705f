//! Where `export`, `import` and `audit` read and write: the local database
//! (the settings' `database.url`) or a center's /RPC.

use serde_json::value::RawValue;
use serde_json::{json, Value};

use super::format::ReadError;
use super::CurrentRecord;
use crate::call::{self, CallFailure};
use crate::center::Center;
use crate::configuration::DatabaseSettings;
use crate::db::writes::{Refused, SchemaCache};
use crate::db::{self, ConnectError, DbError};
use crate::domain::{
    format_timestamp, now_us, parse_rfc3339_us, Applied, ChangeSet, Event, EventKind, Namespace,
    Write, WriteOrigin,
};
use crate::rpc::error::{NAMESPACE_EXISTS, NO_SUCH_NAMESPACE};
use crate::rpc::method::RpcMethod;

/// Why a transfer did nothing (or, for an import, committed nothing).
#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Connect(#[from] ConnectError),
    #[error(transparent)]
    Database(#[from] DbError),
    #[error(transparent)]
    Call(#[from] CallFailure),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error(transparent)]
    Io(#[from] std::io::Error),
    #[error("no namespace {0:?} (namespaces.list shows them; import --create makes it)")]
    NoSuchNamespace(Namespace),
    #[error("revision {asked} is out of range: history reaches from {from} to {current}")]
    OutOfRange { asked: i64, from: i64, current: i64 },
    #[error("refused: {0}")]
    Refused(String),
    #[error("unexpected reply: {0}")]
    Malformed(String),
}

/// The local database (and `server.keep_history`), or a center's /RPC with
/// optional Basic credentials.
pub enum Source {
    Local {
        database: DatabaseSettings,
        keep_history: bool,
        /// Whether imports leave webhook events for the centers to send.
        outbox: crate::domain::Outbox,
    },
    Remote(Remote),
}

/// A center's /RPC and the Basic credentials to send it.
pub struct Remote {
    pub url: String,
    pub credentials: Option<(String, String)>,
}

impl Remote {
    /// Calls `method` about `ns`; the center's "no such namespace" becomes
    /// that error.
    /// Calls method `M` at the center with positional `params`.
    fn call<M: RpcMethod<Center>>(
        &self,
        ns: &Namespace,
        params: Vec<Value>,
    ) -> Result<Value, TransferError> {
        let result = actix_web::rt::System::new().block_on(call::call(
            &self.url,
            self.credentials.clone(),
            M::SPEC.name,
            params,
        ));
        result.map_err(|e| match e {
            CallFailure::Rpc { code, .. } if code == NO_SUCH_NAMESPACE => {
                TransferError::NoSuchNamespace(ns.clone())
            }
            other => other.into(),
        })
    }
}

/// A namespace's records (key, value as JSON text) sorted by key, and the
/// revision they were read at.
#[derive(Default)]
pub struct Dataset {
    pub revision: i64,
    pub records: Vec<CurrentRecord>,
}

impl Source {
    /// The namespace now (at the revision it was read at), or at `at`.
    pub fn read(&self, ns: &Namespace, at: Option<i64>) -> Result<Dataset, TransferError> {
        match (self, at) {
            (
                Source::Local {
                    database: settings, ..
                },
                None,
            ) => {
                let mut conn = db::connect(settings)?;
                let (revision, _, rows) = db::records::list(&mut conn, ns)
                    .map_err(DbError::from)?
                    .ok_or_else(|| TransferError::NoSuchNamespace(ns.clone()))?;
                let records = rows
                    .into_iter()
                    .map(|r| (r.key, r.value, r.expires_at_us))
                    .collect();
                Ok(Dataset { revision, records })
            }
            (
                Source::Local {
                    database: settings, ..
                },
                Some(asked),
            ) => {
                let mut conn = db::connect(settings)?;
                let then = db::history::at(&mut conn, ns, asked)
                    .map_err(DbError::from)?
                    .map_err(|r| TransferError::OutOfRange {
                        asked,
                        from: r.from,
                        current: r.current,
                    })?;
                let expiries = then.expiries;
                let records = then
                    .records
                    .into_iter()
                    .map(|(k, v)| {
                        let at = expiries.get(&k).copied();
                        (k, v, at)
                    })
                    .collect();
                Ok(Dataset {
                    revision: then.revision,
                    records,
                })
            }
            (Source::Remote(remote), None) => {
                // records.changes(0, [ns]): every record and the revision
                // they are consistent with, in one reply.
                let mut reply =
                    remote.call::<crate::records::Changes>(ns, vec![json!(0), json!([ns])])?;
                let upserts = reply["namespaces"][ns.as_str()]["upserts"].take_array()?;
                Ok(Dataset {
                    revision: reply["revision"]
                        .as_i64()
                        .ok_or_else(|| malformed("no revision"))?,
                    records: current_records(upserts)?,
                })
            }
            (Source::Remote(remote), Some(asked)) => {
                let mut reply =
                    remote.call::<crate::history::At>(ns, vec![json!(asked), json!(ns)])?;
                let records = reply["records"].take().take_array()?;
                Ok(Dataset {
                    revision: asked,
                    records: current_records(records)?,
                })
            }
        }
    }

    /// The namespace's value schema (JSON text), if it has one.
    pub fn schema(&self, ns: &Namespace) -> Result<Option<String>, TransferError> {
        match self {
            Source::Local {
                database: settings, ..
            } => {
                let mut conn = db::connect(settings)?;
                let found = db::namespaces::find(&mut conn, ns).map_err(DbError::from)?;
                Ok(found.and_then(|n| n.value_schema))
            }
            Source::Remote(remote) => {
                let all = remote.call::<crate::namespaces::ListNamespaces>(ns, vec![])?;
                let found = all
                    .as_array()
                    .and_then(|a| a.iter().find(|n| n["name"] == ns.as_str()))
                    .ok_or_else(|| TransferError::NoSuchNamespace(ns.clone()))?;
                Ok(Some(&found["schema"])
                    .filter(|s| !s.is_null())
                    .map(Value::to_string))
            }
        }
    }

    /// Creates the namespace `ns` (`namespaces.create`) as `author`; a
    /// namespace made meanwhile by someone else is as good.
    pub fn create(&self, ns: &Namespace, author: &str) -> Result<(), TransferError> {
        match self {
            Source::Local {
                database: settings,
                outbox,
                ..
            } => {
                let mut conn = db::connect(settings)?;
                let outbox = local_outbox(&mut conn, *outbox)?;
                let event = (outbox == crate::domain::Outbox::Kept)
                    .then(|| Event::plain(EventKind::NamespaceCreated, ns.as_str(), author));
                db::namespaces::create(&mut conn, ns, "", None, author, now_us(), event.as_ref())
                    .map_err(DbError::from)?;
                Ok(())
            }
            Source::Remote(remote) => {
                match remote.call::<crate::namespaces::Create>(ns, vec![json!(ns)]) {
                    Err(TransferError::Call(CallFailure::Rpc { code, .. }))
                        if code == NAMESPACE_EXISTS =>
                    {
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
        }
    }

    /// Commits `changes` if the namespace did not change after `if_revision`.
    pub fn apply(
        &self,
        ns: &Namespace,
        changes: ChangeSet,
        if_revision: i64,
        origin: WriteOrigin,
    ) -> Result<Applied, TransferError> {
        match self {
            Source::Local {
                database: settings,
                keep_history,
                outbox,
            } => {
                let mut conn = db::connect(settings)?;
                let outbox = local_outbox(&mut conn, *outbox)?;
                let write = Write {
                    namespace: ns.clone(),
                    changes,
                    if_revision: Some(if_revision),
                    origin,
                    passage: crate::domain::Passage::Direct,
                    kind: crate::domain::WriteKind::Change,
                };
                let outcome = db::writes::apply(
                    &mut conn,
                    &write,
                    &mut SchemaCache::default(),
                    now_us(),
                    crate::domain::History::from(*keep_history),
                    outbox,
                )
                .map_err(DbError::from)?;
                outcome.map_err(|why| match why {
                    Refused::NoSuchNamespace => TransferError::NoSuchNamespace(ns.clone()),
                    Refused::Conflict { changed_at } => TransferError::Refused(format!(
                        "namespace {ns} changed at revision {changed_at} while the import was prepared; run it again"
                    )),
                    Refused::Schema(v) | Refused::NotSealed(v) => {
                        TransferError::Refused(v.join("; "))
                    }
                    Refused::Expiry { key, why } => TransferError::Refused(format!("{key}: {why}")),
                    Refused::ReviewRequired { required } => TransferError::Refused(
                        crate::rpc::CallError::ReviewRequired {
                            namespace: ns.to_string(),
                            required,
                        }
                        .to_string(),
                    ),
                    // Only a change request's publish or a gray release's
                    // promotion meets these.
                    Refused::NoSuchRequest
                    | Refused::NoSuchRelease
                    | Refused::ReleaseEnded(_)
                    | Refused::Closed { .. }
                    | Refused::NotApproved { .. }
                    | Refused::KeysChanged(_) => {
                        TransferError::Refused("refused by the review policy".to_string())
                    }
                    // Only a key rotation meets these.
                    Refused::NotSecret | Refused::NotResealed(_) => {
                        TransferError::Refused("refused: a key rotation".to_string())
                    }
                })
            }
            Source::Remote(remote) => {
                let reply = remote.call::<crate::records::Apply>(
                    ns,
                    vec![changes.to_json(), json!(ns), json!(if_revision)],
                )?;
                serde_json::from_value(reply.clone())
                    .map(|a: RemoteApplied| Applied {
                        revision: a.revision,
                        upserts: a.upserts,
                        deletes: a.deletes,
                    })
                    .map_err(|_| malformed(&reply.to_string()))
            }
        }
    }

    /// Audit entries as `audit.list` shows them.
    pub fn audit(&self, since: Option<i64>, limit: i64) -> Result<Vec<Value>, TransferError> {
        match self {
            Source::Local {
                database: settings, ..
            } => {
                let mut conn = db::connect(settings)?;
                let entries =
                    db::history::audit_list(&mut conn, since, limit).map_err(DbError::from)?;
                Ok(entries
                    .into_iter()
                    .map(|e| {
                        json!({"revision": e.revision, "at": format_timestamp(e.at_us), "author": e.author,
                               "address": e.address, "method": e.method, "namespace": e.namespace,
                               "keys": e.keys_changed, "comment": e.comment,
                               "review": e.review.as_deref().and_then(|r| serde_json::from_str::<Value>(r).ok())})
                    })
                    .collect())
            }
            Source::Remote(remote) => {
                let any = Namespace::default();
                let reply = remote
                    .call::<crate::history::AuditList>(&any, vec![json!(since), json!(limit)])?;
                Ok(reply.as_array().cloned().unwrap_or_default())
            }
        }
    }
}

#[derive(serde::Deserialize)]
struct RemoteApplied {
    revision: Option<i64>,
    upserts: usize,
    deletes: usize,
}

fn malformed(what: &str) -> TransferError {
    TransferError::Malformed(what.chars().take(200).collect())
}

trait TakeArray {
    fn take_array(&mut self) -> Result<Vec<Value>, TransferError>;
}

impl TakeArray for Value {
    fn take_array(&mut self) -> Result<Vec<Value>, TransferError> {
        match self.take() {
            Value::Array(items) => Ok(items),
            _ => Err(malformed("expected an array of records")),
        }
    }
}

/// `[{key, value, ..}]` as (key, value JSON text), each item dropped as
/// it is converted.
/// Records as `records.changes` and `records.at` show them.
pub fn current_records(items: Vec<Value>) -> Result<Vec<CurrentRecord>, TransferError> {
    items
        .into_iter()
        .map(|mut item| {
            let key = item["key"]
                .as_str()
                .ok_or_else(|| malformed("a record without a key"))?
                .to_string();
            let value: Box<RawValue> = serde_json::value::to_raw_value(&item["value"].take())
                .map_err(|e| malformed(&e.to_string()))?;
            let expires = match item["expires_at"].as_str() {
                Some(at) => Some(parse_rfc3339_us(at).ok_or_else(|| malformed(at))?),
                None => None,
            };
            Ok((key, value.get().to_string(), expires))
        })
        .collect()
}

/// Whether a local write leaves webhook events: the settings' webhooks, or
/// any added over RPC.
fn local_outbox(
    conn: &mut db::AnyConnection,
    settings: crate::domain::Outbox,
) -> Result<crate::domain::Outbox, TransferError> {
    let added = db::webhooks::list(conn).map_err(DbError::from)?;
    Ok(match added.is_empty() {
        true => settings,
        false => crate::domain::Outbox::Kept,
    })
}
