//! History messages: a key's writes, a namespace at a revision, the audit
//! log, and the upkeep that purges what the retentions no longer keep.

use std::time::Duration;

use actix::prelude::*;

use super::{micros, DbExecutor};
use crate::db::history::{self, AtRevision, AuditEntry, HistoryEntry, OutOfRange};
use crate::db::{records, DbError};
use crate::domain::{now_us, Namespace, RecordKey};

/// The writes of one key, newest first.
#[derive(Message)]
#[rtype(result = "Result<Vec<HistoryEntry>, DbError>")]
pub struct KeyHistory {
    pub namespace: Namespace,
    pub key: RecordKey,
    pub limit: i64,
}

impl Handler<KeyHistory> for DbExecutor {
    type Result = Result<Vec<HistoryEntry>, DbError>;
    fn handle(&mut self, msg: KeyHistory, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| history::of_key(c, &msg.namespace, msg.key.as_str(), msg.limit))
    }
}

/// A namespace's live records as they were at a revision.
#[derive(Message)]
#[rtype(result = "Result<Result<AtRevision, OutOfRange>, DbError>")]
pub struct RecordsAt {
    pub namespace: Namespace,
    pub revision: i64,
}

impl Handler<RecordsAt> for DbExecutor {
    type Result = Result<Result<AtRevision, OutOfRange>, DbError>;
    fn handle(&mut self, msg: RecordsAt, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| history::at(c, &msg.namespace, msg.revision))
    }
}

/// Audit entries after a revision (or the newest ones).
#[derive(Message)]
#[rtype(result = "Result<Vec<AuditEntry>, DbError>")]
pub struct AuditList {
    pub since: Option<i64>,
    pub limit: i64,
}

impl Handler<AuditList> for DbExecutor {
    type Result = Result<Vec<AuditEntry>, DbError>;
    fn handle(&mut self, msg: AuditList, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| history::audit_list(c, msg.since, msg.limit))
    }
}

/// A namespace's change sets, newest first (`namespaces.timeline`).
#[derive(Message)]
#[rtype(result = "Result<Vec<AuditEntry>, DbError>")]
pub struct NamespaceTimeline {
    pub namespace: Namespace,
    pub before: Option<i64>,
    pub limit: i64,
}

impl Handler<NamespaceTimeline> for DbExecutor {
    type Result = Result<Vec<AuditEntry>, DbError>;
    fn handle(&mut self, m: NamespaceTimeline, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| history::timeline(c, &m.namespace, m.before, m.limit))
    }
}

/// What one upkeep run removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub tombstones: usize,
    pub history: usize,
    /// Console sessions past their idle or absolute expiry.
    pub sessions: usize,
}

/// Removes tombstones older than their retention, and history and audit
/// entries older than theirs.
#[derive(Message)]
#[rtype(result = "Result<Purged, DbError>")]
pub struct Upkeep {
    pub tombstone_retention: Duration,
    pub history_retention: Duration,
    pub sessions: crate::db::sessions::SessionLimits,
}

impl Handler<Upkeep> for DbExecutor {
    type Result = Result<Purged, DbError>;
    fn handle(&mut self, msg: Upkeep, _: &mut Self::Context) -> Self::Result {
        let now = now_us();
        self.with_conn(|c, _| {
            Ok(Purged {
                tombstones: records::purge_tombstones(c, now - micros(msg.tombstone_retention))?,
                history: history::purge(c, now - micros(msg.history_retention))?,
                sessions: crate::db::sessions::purge(c, msg.sessions, now)?,
            })
        })
    }
}
