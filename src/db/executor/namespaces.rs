//! Namespace messages: list, find, create, delete, set a value schema.

use std::sync::Arc;

use actix::prelude::*;

use super::DbExecutor;
use crate::db::namespaces::{self, Deleted, NamespaceInfo, SchemaSet};
use crate::db::DbError;
use crate::domain::{now_us, EventKind, Namespace, SecretKeys, ValueSchema, WriteOrigin};

/// Lists every namespace with its counts, and who made its last change
/// and when (while the audit log keeps it).
#[derive(Message)]
#[rtype(result = "Result<Vec<(NamespaceInfo, Option<(String, i64)>)>, DbError>")]
pub struct ListNamespaces;

impl Handler<ListNamespaces> for DbExecutor {
    type Result = Result<Vec<(NamespaceInfo, Option<(String, i64)>)>, DbError>;
    fn handle(&mut self, _: ListNamespaces, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            let all = namespaces::list(c)?;
            let revisions: Vec<i64> = all.iter().map(|n| n.revision).collect();
            let authors = namespaces::authors(c, &revisions)?;
            Ok(all
                .into_iter()
                .map(|n| {
                    let by = authors.iter().find(|a| a.0 == n.revision);
                    let changed = by.map(|(_, author, at)| (author.clone(), *at));
                    (n, changed)
                })
                .collect())
        })
    }
}

/// Every namespace's name and the revision they were read at (for
/// `records.changes` with `["*"]`).
#[derive(Message)]
#[rtype(result = "Result<(i64, Vec<Namespace>), DbError>")]
pub struct NamespaceNames;

impl Handler<NamespaceNames> for DbExecutor {
    type Result = Result<(i64, Vec<Namespace>), DbError>;
    fn handle(&mut self, _: NamespaceNames, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| namespaces::names(c))
    }
}

/// Reads one namespace.
#[derive(Message)]
#[rtype(result = "Result<Option<NamespaceInfo>, DbError>")]
pub struct FindNamespace(pub Namespace);

impl Handler<FindNamespace> for DbExecutor {
    type Result = Result<Option<NamespaceInfo>, DbError>;
    fn handle(&mut self, msg: FindNamespace, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| namespaces::find(c, &msg.0))
    }
}

/// Creates a namespace; answers `false` if it exists.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct CreateNamespace {
    pub namespace: Namespace,
    pub description: String,
    /// A secret namespace's key.
    pub secret: Option<SecretKeys>,
    pub author: String,
}

impl Handler<CreateNamespace> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, msg: CreateNamespace, _: &mut Self::Context) -> Self::Result {
        let event = self.event(
            EventKind::NamespaceCreated,
            msg.namespace.as_str(),
            &msg.author,
        );
        self.with_conn(|c, _| {
            namespaces::create(
                c,
                &msg.namespace,
                &msg.description,
                msg.secret.as_ref(),
                &msg.author,
                now_us(),
                event.as_ref(),
            )
        })
    }
}

/// Deletes a namespace (with its records only when `force`).
#[derive(Message)]
#[rtype(result = "Result<Deleted, DbError>")]
pub struct DeleteNamespace {
    pub namespace: Namespace,
    pub force: crate::domain::Force,
    pub origin: WriteOrigin,
}

impl Handler<DeleteNamespace> for DbExecutor {
    type Result = Result<Deleted, DbError>;
    fn handle(&mut self, msg: DeleteNamespace, _: &mut Self::Context) -> Self::Result {
        let event = self.event(
            EventKind::NamespaceDeleted,
            msg.namespace.as_str(),
            &msg.origin.author,
        );
        self.with_conn(|c, _| {
            namespaces::delete(
                c,
                &msg.namespace,
                msg.force,
                &msg.origin,
                now_us(),
                event.as_ref(),
            )
        })
    }
}

/// Sets or clears a namespace's value schema, checking its records first.
#[derive(Message)]
#[rtype(result = "Result<SchemaSet, DbError>")]
pub struct SetSchema {
    pub namespace: Namespace,
    /// The schema's JSON text and its compiled form; `None` clears it.
    pub schema: Option<(String, Arc<ValueSchema>)>,
    pub author: String,
}

impl Handler<SetSchema> for DbExecutor {
    type Result = Result<SchemaSet, DbError>;
    fn handle(&mut self, msg: SetSchema, _: &mut Self::Context) -> Self::Result {
        let schema = msg.schema.as_ref().map(|(t, s)| (t.as_str(), s.as_ref()));
        let event = self.event(
            EventKind::SchemaChanged,
            msg.namespace.as_str(),
            &msg.author,
        );
        self.with_conn(|c, _| namespaces::set_schema(c, &msg.namespace, schema, event.as_ref()))
    }
}
