//! Record messages: reads of a namespace, changes since a revision, and
//! change sets.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::expiry;
use crate::db::records::{self, ChangeRows, Heads, Listed};
use crate::db::writes::{self, Refused};
use crate::db::DbError;
use crate::domain::{
    now_us, Applied, ChangeSet, Namespace, Passage, RecordKey, StoredRecord, Write, WriteOrigin,
};

/// Lists every live record of a namespace, ordered by key, with the store
/// revision (`None`: no such namespace).
#[derive(Message)]
#[rtype(result = "Result<Option<Listed>, DbError>")]
pub struct ListRecords(pub Namespace);

impl Handler<ListRecords> for DbExecutor {
    type Result = Result<Option<Listed>, DbError>;
    fn handle(&mut self, msg: ListRecords, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| records::list(c, &msg.0))
    }
}

/// Reads the live record under a key in a namespace.
#[derive(Message)]
#[rtype(result = "Result<Option<StoredRecord>, DbError>")]
pub struct GetRecord(pub Namespace, pub RecordKey);

impl Handler<GetRecord> for DbExecutor {
    type Result = Result<Option<StoredRecord>, DbError>;
    fn handle(&mut self, msg: GetRecord, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| records::get(c, &msg.0, msg.1.as_str()))
    }
}

/// Commits a change set whole at one revision, or refuses it whole.
#[derive(Message)]
#[rtype(result = "Result<Result<Applied, Refused>, DbError>")]
pub struct ApplyWrite(pub Write);

impl Handler<ApplyWrite> for DbExecutor {
    type Result = Result<Result<Applied, Refused>, DbError>;
    fn handle(&mut self, msg: ApplyWrite, _: &mut Self::Context) -> Self::Result {
        let (history, outbox) = (self.history, self.outbox.get());
        self.with_conn(|c, schemas| writes::apply(c, &msg.0, schemas, now_us(), history, outbox))
    }
}

/// Reads what changed in some namespaces after a revision (or a full
/// snapshot of them).
#[derive(Message)]
#[rtype(result = "Result<ChangeRows, DbError>")]
pub struct GetChanges {
    pub since: i64,
    pub namespaces: Vec<Namespace>,
}

impl Handler<GetChanges> for DbExecutor {
    type Result = Result<ChangeRows, DbError>;
    fn handle(&mut self, msg: GetChanges, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| records::changes(c, msg.since, &msg.namespaces))
    }
}

/// Reads the store's current revision and the credentials counter (two
/// rows of `meta`, one query).
#[derive(Message)]
#[rtype(result = "Result<Heads, DbError>")]
pub struct CurrentRevision;

impl Handler<CurrentRevision> for DbExecutor {
    type Result = Result<Heads, DbError>;
    fn handle(&mut self, _: CurrentRevision, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| records::heads(c))
    }
}

/// Deletes the records whose expiry is at or before `now_us` (at most
/// `limit`, soonest first), one write per namespace by the author
/// `expired`; returns the namespaces written and what each write did.
#[derive(Message)]
#[rtype(result = "Result<Vec<(Namespace, Applied)>, DbError>")]
pub struct ExpireDue {
    pub now_us: i64,
    pub limit: i64,
}

impl Handler<ExpireDue> for DbExecutor {
    type Result = Result<Vec<(Namespace, Applied)>, DbError>;
    fn handle(&mut self, msg: ExpireDue, _: &mut Self::Context) -> Self::Result {
        let (history, outbox) = (self.history, self.outbox.get());
        self.with_conn(|c, schemas| {
            let mut by_namespace: std::collections::BTreeMap<String, ChangeSet> =
                Default::default();
            for (ns, key) in expiry::due(c, msg.now_us, msg.limit)? {
                // Stored names and keys were valid when written.
                let (Ok(_), Ok(key)) = (Namespace::parse(ns.clone()), RecordKey::parse(key)) else {
                    continue;
                };
                by_namespace.entry(ns).or_default().deletes.push(key);
            }
            let mut done = Vec::new();
            for (ns, changes) in by_namespace {
                let namespace = Namespace::parse(ns).expect("checked above");
                let write = Write {
                    namespace: namespace.clone(),
                    changes,
                    if_revision: None,
                    origin: WriteOrigin {
                        author: EXPIRED.to_string(),
                        method: "expire".to_string(),
                        ..WriteOrigin::default()
                    },
                    passage: Passage::Expiry { by_us: msg.now_us },
                    kind: crate::domain::WriteKind::Change,
                };
                // Deletes meet no schema and no if_revision: only a namespace
                // deleted meanwhile is refused, and then there is nothing to do.
                if let Ok(applied) = writes::apply(c, &write, schemas, now_us(), history, outbox)? {
                    done.push((namespace, applied));
                }
            }
            Ok(done)
        })
    }
}

/// The author of the expirer's deletes in history and the audit log.
pub const EXPIRED: &str = "expired";

/// One page of a namespace's records by key prefix or substring
/// (`records.search`); `None`: no such namespace.
#[derive(Message)]
#[rtype(result = "Result<Option<crate::db::search::Page>, DbError>")]
pub struct SearchRecords {
    pub namespace: Namespace,
    pub search: crate::db::search::Search,
}

impl Handler<SearchRecords> for DbExecutor {
    type Result = Result<Option<crate::db::search::Page>, DbError>;
    fn handle(&mut self, m: SearchRecords, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::search::search(c, &m.namespace, &m.search))
    }
}
