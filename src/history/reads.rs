//! What the history methods read: a key's writes, a namespace at a
//! revision, its timeline and the audit log, as JSON replies.

use serde::Serialize;
use serde_json::value::RawValue;

use crate::center::{db_failure, Center};
use crate::db::executor::{AuditList, KeyHistory, NamespaceTimeline, RecordsAt};
use crate::db::history::AuditEntry;
use crate::domain::{format_timestamp, Namespace, RecordKey};
use crate::rpc::{CallError, RawJson};

#[derive(Serialize)]
struct Entry {
    revision: i64,
    /// `null` for a delete.
    value: Option<Box<RawValue>>,
    deleted: bool,
    author: String,
    at: String,
    /// The expiry the write set (absent when none).
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: Box<RawValue>,
    #[serde(skip_serializing_if = "Option::is_none")]
    expires_at: Option<String>,
}

#[derive(Serialize)]
struct AtReply<'a> {
    revision: i64,
    namespace: &'a str,
    records: Vec<KeyValue>,
}

#[derive(Serialize)]
struct Audited {
    revision: i64,
    at: String,
    author: String,
    address: String,
    method: String,
    namespace: String,
    keys: i64,
    comment: String,
    /// The change request it published: `{request, proposer, published_by,
    /// approvals: [{by, comment}], break_glass?}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    review: Option<Box<RawValue>>,
}

fn raw(text: String) -> Result<Box<RawValue>, CallError> {
    RawValue::from_string(text).map_err(|e| {
        tracing::error!(error = %e, "stored value is not valid JSON");
        CallError::Internal
    })
}

impl Center {
    pub(super) async fn history(
        &self,
        namespace: Namespace,
        key: RecordKey,
        limit: i64,
    ) -> Result<RawJson, CallError> {
        let entries = self
            .ask(KeyHistory {
                namespace,
                key,
                limit,
            })
            .await?
            .map_err(db_failure)?;
        let shown: Vec<Entry> = entries
            .into_iter()
            .map(|e| {
                Ok(Entry {
                    revision: e.revision,
                    deleted: e.value.is_none(),
                    value: e.value.map(raw).transpose()?,
                    author: e.author,
                    at: format_timestamp(e.at_us),
                    expires_at: e.expires_at_us.map(format_timestamp),
                })
            })
            .collect::<Result<_, CallError>>()?;
        Ok(RawJson::of(&shown))
    }

    pub(super) async fn at(
        &self,
        namespace: Namespace,
        revision: i64,
    ) -> Result<RawJson, CallError> {
        let found = self
            .ask(RecordsAt {
                namespace: namespace.clone(),
                revision,
            })
            .await?
            .map_err(db_failure)?;
        let mut then = found.map_err(|range| CallError::OutOfRange {
            asked: revision,
            from: range.from,
            current: range.current,
        })?;
        let records = std::mem::take(&mut then.records)
            .into_iter()
            .map(|(key, value)| {
                Ok(KeyValue {
                    expires_at: then.expiries.get(&key).copied().map(format_timestamp),
                    key,
                    value: raw(value)?,
                })
            })
            .collect::<Result<_, CallError>>()?;
        Ok(RawJson::of(&AtReply {
            revision,
            namespace: namespace.as_str(),
            records,
        }))
    }

    pub(super) async fn audit(&self, since: Option<i64>, limit: i64) -> Result<RawJson, CallError> {
        let entries = self
            .ask(AuditList { since, limit })
            .await?
            .map_err(db_failure)?;
        Ok(audited(entries))
    }

    pub(super) async fn timeline(
        &self,
        namespace: Namespace,
        before: Option<i64>,
        limit: i64,
    ) -> Result<RawJson, CallError> {
        let entries = self
            .ask(NamespaceTimeline {
                namespace,
                before,
                limit,
            })
            .await?
            .map_err(db_failure)?;
        Ok(audited(entries))
    }
}

/// Audit entries as `audit.list` and `namespaces.timeline` show them.
fn audited(entries: Vec<AuditEntry>) -> RawJson {
    let shown: Vec<Audited> = entries
        .into_iter()
        .map(|e| Audited {
            revision: e.revision,
            at: format_timestamp(e.at_us),
            author: e.author,
            address: e.address,
            method: e.method,
            namespace: e.namespace,
            keys: e.keys_changed,
            comment: e.comment,
            review: e.review.and_then(|r| RawValue::from_string(r).ok()),
        })
        .collect();
    RawJson::of(&shown)
}
