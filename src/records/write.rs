//! Writing records: `records.put`, `records.delete` and `records.apply`,
//! each one change set committed whole (`Center::write`).

use super::bind::{change_set, expiry_arg};
use super::read::NS;
use crate::center::{origin, Center};
use crate::domain::{ChangeSet, Expiry, Namespace, RecordKey, WriteOrigin};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Write, Ty};
use crate::rpc::{CallError, RawJson, RpcError};
use serde_json::Value;

pub struct Put;

/// `records.put`'s params.
pub struct PutArgs {
    key: RecordKey,
    value: Value,
    namespace: Namespace,
    expiry: Option<Expiry>,
}

impl RpcMethod<Center> for Put {
    const SPEC: &'static Spec = &Spec {
        name: "records.put",
        params: &[("key", Ty::String), ("value", Ty::Any), NS, ("expires_in", Ty::Double), ("expires_at", Ty::String)],
        required: 2,
        returns: Ty::Int,
        offered: Both,
        permission: Write,
        help: "Stores any JSON value under key (1 to 255 bytes of UTF-8) in namespace and returns the new revision. \
               A value that violates the namespace's schema is refused (-32602). With expires_in (seconds) or \
               expires_at (RFC 3339), the center deletes the record at that time as an ordinary change (author \
               expired); without, it never expires.",
    };
    type Args = PutArgs;

    fn bind(a: &mut Args) -> Result<PutArgs, RpcError> {
        Ok(PutArgs {
            key: a.required(args::key)?,
            value: a.value(),
            namespace: a.namespace()?,
            expiry: expiry_arg(a.value(), a.value())?,
        })
    }

    fn namespaces(a: &PutArgs) -> Vec<&Namespace> {
        vec![&a.namespace]
    }

    async fn run(ctx: Ctx<'_, Center>, a: PutArgs) -> Result<RawJson, CallError> {
        let mut changes = ChangeSet::put(a.key.clone(), a.value);
        changes.expiries.extend(a.expiry.map(|e| (a.key, e)));
        let applied = ctx
            .exec
            .write(a.namespace, changes, None, origin(&ctx))
            .await?;
        Ok(RawJson::of(&applied.revision))
    }
}

pub struct Delete;

impl RpcMethod<Center> for Delete {
    const SPEC: &'static Spec = &Spec {
        name: "records.delete",
        params: &[("key", Ty::String), NS],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Write,
        help: "Deletes the record under key in namespace; returns true if it existed, false otherwise.",
    };
    type Args = (RecordKey, Namespace);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::key)?, a.namespace()?))
    }

    fn namespaces((_, ns): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (key, ns): Self::Args) -> Result<RawJson, CallError> {
        let changes = ChangeSet::delete(key);
        let applied = ctx.exec.write(ns, changes, None, origin(&ctx)).await?;
        Ok(RawJson::of(&applied.revision.is_some()))
    }
}

pub struct Apply;

/// `records.apply`'s params.
pub struct ApplyArgs {
    pub changes: ChangeSet,
    pub namespace: Namespace,
    pub if_revision: Option<i64>,
    /// Kept in the audit log (the console's publish comment).
    pub comment: String,
}

impl RpcMethod<Center> for Apply {
    const SPEC: &'static Spec = &Spec {
        name: "records.apply",
        params: &[("changes", Ty::Struct), NS, ("if_revision", Ty::Int), ("comment", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Write,
        help: "Commits {upserts: {key: value, ...}, deletes: [key, ...]} in namespace at one revision, or nothing; \
               expires_in: {key: seconds} or expires_at: {key: time} give upserted keys an expiry. \
               With if_revision, refused (-32009) if the namespace changed after it. Returns {revision, upserts, \
               deletes}; revision is null when nothing changed. comment (at most 1000 characters) lands in the audit log.",
    };
    type Args = ApplyArgs;

    fn bind(a: &mut Args) -> Result<ApplyArgs, RpcError> {
        Ok(ApplyArgs {
            changes: a.required(change_set)?,
            namespace: a.namespace()?,
            if_revision: a.optional(args::revision)?,
            comment: a.or(args::comment, String::new())?,
        })
    }

    fn namespaces(a: &ApplyArgs) -> Vec<&Namespace> {
        vec![&a.namespace]
    }

    async fn run(ctx: Ctx<'_, Center>, a: ApplyArgs) -> Result<RawJson, CallError> {
        let origin = WriteOrigin {
            comment: a.comment,
            ..origin(&ctx)
        };
        let applied = ctx
            .exec
            .write(a.namespace, a.changes, a.if_revision, origin)
            .await?;
        Ok(RawJson::of(&applied))
    }
}
