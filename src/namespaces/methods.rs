//! `namespaces.list`, `namespaces.get`, `namespaces.create`,
//! `namespaces.delete`, `namespaces.set_schema` and `namespaces.set_policy`.

use serde_json::Value;

use crate::center::{origin, Center};
use crate::domain::{Force, Namespace, MAX_REVIEWS_REQUIRED};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::*, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct ListNamespaces;

impl RpcMethod<Center> for ListNamespaces {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.list",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "Every namespace: {name, description, records, bytes, revision (its last change), schema (or null)}.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, _: ()) -> Result<RawJson, CallError> {
        ctx.exec.namespaces().await
    }
}

pub struct Get;

impl RpcMethod<Center> for Get {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.get",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help: "One namespace as namespaces.list shows it, without who changed it last: {name, description, \
               records, bytes, revision, schema (or null)}; -32008 if there is none.",
    };
    type Args = Namespace;

    fn bind(a: &mut Args) -> Result<Namespace, RpcError> {
        a.required(args::namespace)
    }

    fn namespaces(ns: &Namespace) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, ns: Namespace) -> Result<RawJson, CallError> {
        ctx.exec.namespace(ns).await
    }
}

pub struct Create;

impl RpcMethod<Center> for Create {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.create",
        params: &[("name", Ty::String), ("description", Ty::String)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: WriteAll,
        help: "Creates a namespace: a-z, 0-9, '.', '_', '-', at most 64, starting with a letter or digit. -32012 if it exists.",
    };
    type Args = (Namespace, String);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((
            a.required(args::namespace)?,
            a.or(args::string, String::new())?,
        ))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (ns, description): Self::Args,
    ) -> Result<RawJson, CallError> {
        let author = origin(&ctx).author;
        ctx.exec
            .create_namespace(ns, description, None, author)
            .await
    }
}

pub struct Delete;

impl RpcMethod<Center> for Delete {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.delete",
        params: &[("name", Ty::String), ("force", Ty::Boolean)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: WriteAll,
        help: "Deletes a namespace with its history; refused (-32011) while it has records unless force is true. \
               default cannot be deleted. Returns {revision, records}.",
    };
    type Args = (Namespace, Force);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        let force = match a.or(args::boolean, false)? {
            true => Force::WithRecords,
            false => Force::IfEmpty,
        };
        Ok((ns, force))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, force): Self::Args) -> Result<RawJson, CallError> {
        let origin = origin(&ctx);
        ctx.exec.delete_namespace(ns, force, origin).await
    }
}

pub struct SetSchema;

impl RpcMethod<Center> for SetSchema {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.set_schema",
        params: &[("name", Ty::String), ("schema", Ty::Any)],
        required: 2,
        returns: Ty::Boolean,
        offered: Both,
        permission: Write,
        help: "Sets the namespace's JSON Schema (draft 2020-12) for values, or clears it with null. Refused \
               (-32602) if it is not a valid schema or existing records violate it (the first few are listed).",
    };
    /// `None` clears it.
    type Args = (Namespace, Option<Value>);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let ns = a.required(args::namespace)?;
        Ok((ns, Some(a.value()).filter(|v| !v.is_null())))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, schema): Self::Args) -> Result<RawJson, CallError> {
        let author = origin(&ctx).author;
        ctx.exec.set_schema(ns, schema, author).await
    }
}

pub struct SetPolicy;

impl RpcMethod<Center> for SetPolicy {
    const SPEC: &'static Spec = &Spec {
        name: "namespaces.set_policy",
        params: &[("name", Ty::String), ("policy", Ty::Struct)],
        required: 2,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Sets the namespace's review policy, {reviews_required: N} with N from 0 to 3: while N is above 0, every \
               direct write to it is refused (-32013) and a change goes in as a change request published once \
               N writers other than its author approve it. namespaces.list shows the policy.",
    };
    type Args = (Namespace, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::namespace)?, a.required(policy)?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (ns, required): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.set_policy(ns, required).await
    }
}

/// `{reviews_required: N}`, N from 0 to `MAX_REVIEWS_REQUIRED`.
fn policy(name: &str, v: Value) -> Result<i64, RpcError> {
    let shape = || {
        RpcError::invalid_params(format!(
            "{name:?} must be {{\"reviews_required\": N}} with N from 0 to {MAX_REVIEWS_REQUIRED}"
        ))
    };
    let Value::Object(mut map) = v else {
        return Err(shape());
    };
    let required = map.remove("reviews_required").and_then(|n| n.as_i64());
    match required {
        Some(n) if map.is_empty() && (0..=MAX_REVIEWS_REQUIRED).contains(&n) => Ok(n),
        _ => Err(shape()),
    }
}
