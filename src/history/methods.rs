//! The history methods: `records.history`, `records.at`,
//! `namespaces.timeline`, `namespaces.rollback` and `audit.list`. Each is
//! refused while `server.keep_history` is off.

use crate::center::{origin, Center, RollbackPlan as Plan};
use crate::domain::{Namespace, RecordKey};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::*, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

const NS: (&str, Ty) = ("namespace", Ty::String);

pub struct KeyHistory;

impl RpcMethod<Center> for KeyHistory {
    const SPEC: &'static Spec = &Spec {
        name: "records.history",
        params: &[("key", Ty::String), NS, ("limit", Ty::Int)],
        required: 1,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "The writes of key in namespace, newest first (limit, default 100, at most 1000): {revision, value, \
               deleted, author, at}.",
    };
    type Args = (RecordKey, Namespace, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::key)?, a.namespace()?, a.limit()?))
    }

    fn namespaces((_, ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (key, ns, limit): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.history_on()?;
        ctx.exec.history(ns, key, limit).await
    }
}

pub struct At;

impl RpcMethod<Center> for At {
    const SPEC: &'static Spec = &Spec {
        name: "records.at",
        params: &[("revision", Ty::Int), NS],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help: "The namespace as it was at revision: {revision, records: [{key, value}]}; -32010 if the revision is \
               older than server.history_retention keeps.",
    };
    type Args = (i64, Namespace);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::revision)?, a.namespace()?))
    }

    fn namespaces((_, ns): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (revision, ns): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.history_on()?;
        ctx.exec.at(ns, revision).await
    }
}

pub struct Timeline;

impl RpcMethod<Center> for Timeline {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.timeline",
        params: &[("namespace", Ty::String), ("before", Ty::Int), ("limit", Ty::Int)],
        required: 1,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "The namespace's change sets before revision before (default: all), newest first, at most limit \
               (default 100, at most 1000): {revision, at, author, address, method, namespace, keys, comment}.",
    };
    type Args = (Namespace, Option<i64>, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((
            a.required(args::namespace)?,
            a.optional(args::revision)?,
            a.limit()?,
        ))
    }

    fn namespaces((ns, ..): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (ns, before, limit): Self::Args,
    ) -> Result<RawJson, CallError> {
        ctx.exec.history_on()?;
        ctx.exec.timeline(ns, before, limit).await
    }
}

pub struct Rollback;

/// `namespaces.rollback`'s params.
pub struct RollbackArgs {
    pub namespace: Namespace,
    pub revision: i64,
    /// Refuse if the namespace changed after this (a previewed rollback).
    pub if_revision: Option<i64>,
    pub plan: Plan,
}

impl RpcMethod<Center> for Rollback {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.rollback",
        params: &[("namespace", Ty::String), ("revision", Ty::Int), ("if_revision", Ty::Int), ("dry_run", Ty::Boolean)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Makes the namespace equal to its state at revision, as one new revision: returns {revision, upserts, \
               deletes}. Any revision within server.history_retention. With if_revision, refused (-32009) if the \
               namespace changed after it; with dry_run, commits nothing and returns the change set it would: \
               {dry_run: true, upserts: {key: value}, deletes: [key], expires_at: {key: time}}.",
    };
    type Args = RollbackArgs;

    fn bind(a: &mut Args) -> Result<RollbackArgs, RpcError> {
        Ok(RollbackArgs {
            namespace: a.required(args::namespace)?,
            revision: a.required(args::revision)?,
            if_revision: a.optional(args::revision)?,
            plan: match a.or(args::boolean, false)? {
                true => Plan::DryRun,
                false => Plan::Commit,
            },
        })
    }

    fn namespaces(a: &RollbackArgs) -> Vec<&Namespace> {
        vec![&a.namespace]
    }

    async fn run(ctx: Ctx<'_, Center>, a: RollbackArgs) -> Result<RawJson, CallError> {
        ctx.exec.history_on()?;
        let origin = origin(&ctx);
        ctx.exec
            .rollback(a.namespace, a.revision, a.if_revision, a.plan, origin)
            .await
    }
}

pub struct AuditList;

impl RpcMethod<Center> for AuditList {
    const SPEC: &'static Spec = &Spec {
        name: "audit.list",
        params: &[("since_revision", Ty::Int), ("limit", Ty::Int)],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: ReadAll,
        help: "One entry per committed revision after since_revision (oldest first; without it the newest), at \
               most limit (default 100, at most 1000): {revision, at, author, address, method, namespace, keys, comment}.",
    };
    type Args = (Option<i64>, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.optional(args::revision)?, a.limit()?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (since, limit): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.history_on()?;
        ctx.exec.audit(since, limit).await
    }
}
