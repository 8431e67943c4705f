//! Reading records: `records.list`, `records.get`, `records.changes` (the
//! pull, held with `wait`), `records.search` and `testrpc.MyRPC`. Lists
//! and changes come from the center's read cache (`center::reads`).

use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::legacy;
use crate::center::{db_failure, to_record, to_records, Center, Look};
use crate::db::executor::{GetRecord, SearchRecords};
use crate::domain::{Namespace, RecordKey, RecordSearch, Selection, EVERY};
use crate::rpc::args::{self, kind, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Read, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

/// The optional `namespace` param most record methods end with.
pub(super) const NS: (&str, Ty) = ("namespace", Ty::String);

pub struct List;

impl RpcMethod<Center> for List {
    const SPEC: &'static Spec = &Spec {
        name: "records.list",
        params: &[NS],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "Returns every record of namespace (default: default) as {key, value, revision, updated_at[, expires_at]}, ordered by key. \
               A signing center adds the namespace's signed digest as a Syncdict-Signature header.",
    };
    const REPLAYABLE: bool = true;
    type Args = Namespace;

    fn bind(a: &mut Args) -> Result<Namespace, RpcError> {
        a.namespace()
    }

    fn namespaces(ns: &Namespace) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, ns: Namespace) -> Result<RawJson, CallError> {
        let list = ctx.exec.list(&ns).await?;
        let pulled = std::slice::from_ref(&ns);
        ctx.exec
            .note_pull(ctx.caller, pulled, None, list.revision, Duration::ZERO);
        Ok(list.json)
    }
}

pub struct MyRpc;

impl RpcMethod<Center> for MyRpc {
    const SPEC: &'static Spec = &Spec {
        name: "testrpc.MyRPC",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Read,
        help: "The records.list rows, each also under the original model's field names \
               (name and value), for clients of the original rpc4django center.",
    };
    const REPLAYABLE: bool = true;
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![Namespace::default_ref()]
    }

    async fn run(ctx: Ctx<'_, Center>, _: ()) -> Result<RawJson, CallError> {
        let list = ctx.exec.list(&Namespace::default()).await?;
        let rows = list.legacy.get_or_init(|| legacy::rows(&list.json));
        let default = std::slice::from_ref(Namespace::default_ref());
        ctx.exec
            .note_pull(ctx.caller, default, None, list.revision, Duration::ZERO);
        Ok(rows.clone())
    }
}

pub struct Get;

impl RpcMethod<Center> for Get {
    const SPEC: &'static Spec = &Spec {
        name: "records.get",
        params: &[("key", Ty::String), NS],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help:
            "Returns the record stored under key in namespace; an error (-32002) if there is none.",
    };
    type Args = (RecordKey, Namespace);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::key)?, a.namespace()?))
    }

    fn namespaces((_, ns): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(ctx: Ctx<'_, Center>, (key, ns): Self::Args) -> Result<RawJson, CallError> {
        let found = ctx.exec.ask(GetRecord(ns, key.clone())).await?;
        match found.map_err(db_failure)? {
            Some(row) => Ok(RawJson::of(&to_record(&row)?)),
            None => Err(CallError::NotFound(key.into_string())),
        }
    }
}

pub struct Changes;

/// `records.changes`' params.
pub struct ChangesArgs {
    since: i64,
    /// `None` is the original form (the `default` namespace, deletes as
    /// plain keys); `Every` is each namespace the caller may read, found
    /// when the call runs.
    namespaces: Option<Selection>,
    /// How long to hold the request while nothing changed.
    wait: Option<Duration>,
}

impl RpcMethod<Center> for Changes {
    const SPEC: &'static Spec = &Spec {
        name: "records.changes",
        params: &[("since", Ty::Int), ("namespaces", Ty::Array), ("wait", Ty::Double)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help: "Returns the net change after revision since. Without namespaces: {revision, full, upserts, deletes} \
               for the default namespace, deletes as keys. With a list of namespaces: {revision, full, namespaces: \
               {name: {upserts, deletes}}}; a list of only * stands for every namespace the caller may read, as they are now. full is true (upserts then hold every record) when since is 0, older \
               than the kept tombstones, or ahead of the store. With wait (seconds, held at most server.max_hold), \
               a request that would change nothing in those namespaces is held until a change arrives or wait passes.",
    };
    const REPLAYABLE: bool = true;
    type Args = ChangesArgs;

    fn bind(a: &mut Args) -> Result<ChangesArgs, RpcError> {
        Ok(ChangesArgs {
            since: a.required(args::revision)?,
            namespaces: a.optional(selection)?,
            wait: a.optional(wait)?,
        })
    }

    fn namespaces(a: &ChangesArgs) -> Vec<&Namespace> {
        match &a.namespaces {
            Some(selection) => selection.listed().iter().collect(),
            None => vec![Namespace::default_ref()],
        }
    }

    async fn run(ctx: Ctx<'_, Center>, a: ChangesArgs) -> Result<RawJson, CallError> {
        let center = ctx.exec;
        let wait = a.wait.filter(|_| ctx.hold.is_some()).unwrap_or_default();
        let hold = wait.min(center.holds.max_hold());
        let held = match center
            .first_look(a.since, &a.namespaces, ctx.caller, wait)
            .await?
        {
            Look::Now(reply, pulled) => {
                return Ok(center.pulled(ctx.caller, reply, pulled.as_deref(), a.since, hold));
            }
            Look::Held(held) => held,
        };
        // The rest owns what it needs: the request's own state goes while
        // it waits.
        match ctx.hold {
            Some(slot) => Ok(slot.defer(Box::pin(held.answer(hold)))),
            None => held.answer(hold).await,
        }
    }
}

/// Most namespaces one `records.changes` call may name.
pub const MAX_NAMESPACES_PER_CALL: usize = 100;

/// Longest `wait` accepted (a center holds at most `server.max_hold`).
const MAX_WAIT_SECONDS: f64 = 3600.0;

/// `records.changes`' list of namespaces: `["*"]` (every one the caller
/// may read), or 1 to `MAX_NAMESPACES_PER_CALL`, each named once.
fn selection(name: &str, v: Value) -> Result<Selection, RpcError> {
    let Value::Array(items) = v else {
        return Err(RpcError::invalid_params(format!(
            "{name:?} must be an array of names, got {}",
            kind(&v)
        )));
    };
    if items.is_empty() || items.len() > MAX_NAMESPACES_PER_CALL {
        return Err(RpcError::invalid_params(format!(
            "{name:?} must name 1 to {MAX_NAMESPACES_PER_CALL} namespaces, got {}",
            items.len()
        )));
    }
    if matches!(items.as_slice(), [Value::String(only)] if only == EVERY) {
        return Ok(Selection::Every);
    }
    let mut out: Vec<Namespace> = items
        .into_iter()
        .map(|v| args::namespace(name, v))
        .collect::<Result<_, _>>()?;
    out.sort();
    out.dedup();
    Ok(Selection::Listed(out))
}

/// `wait`: seconds, fractions allowed, from 0 to an hour.
fn wait(name: &str, v: Value) -> Result<Duration, RpcError> {
    match v.as_f64() {
        Some(s) if (0.0..=MAX_WAIT_SECONDS).contains(&s) => Ok(Duration::from_secs_f64(s)),
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be a number of seconds from 0 to {MAX_WAIT_SECONDS}"
        ))),
    }
}

pub struct Search;

impl RpcMethod<Center> for Search {
    const SPEC: &'static Spec = &Spec {
        name: "records.search",
        params: &[NS, ("prefix", Ty::String), ("contains", Ty::String), ("after", Ty::String), ("limit", Ty::Int)],
        required: 0,
        returns: Ty::Struct,
        offered: Both,
        permission: Read,
        help: "One page of namespace's records in key order: keys starting with prefix and/or containing contains \
               (case-insensitive), after the key after, at most limit (default 100, at most 1000). Returns {namespace, \
               revision (its last change), total (its records), records, next (the after of the next page, or null)}. \
               A substring search reads at most 100,000 keys per call, then answers with next where it stopped.",
    };
    type Args = (Namespace, RecordSearch);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let namespace = a.namespace()?;
        let search = RecordSearch {
            prefix: a.optional(args::string)?.filter(|p| !p.is_empty()),
            contains: a.optional(args::string)?.filter(|c| !c.is_empty()),
            after: a.optional(args::string)?,
            limit: a.limit()? as usize,
        };
        Ok((namespace, search))
    }

    fn namespaces((ns, _): &Self::Args) -> Vec<&Namespace> {
        vec![ns]
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (namespace, search): Self::Args,
    ) -> Result<RawJson, CallError> {
        let asked = SearchRecords {
            namespace: namespace.clone(),
            search,
        };
        let page = ctx
            .exec
            .ask(asked)
            .await?
            .map_err(db_failure)?
            .ok_or_else(|| CallError::NoSuchNamespace(namespace.to_string()))?;
        #[derive(Serialize)]
        struct Found<'a> {
            namespace: &'a str,
            revision: i64,
            total: i64,
            records: Vec<crate::domain::Record>,
            next: Option<String>,
        }
        Ok(RawJson::of(&Found {
            namespace: namespace.as_str(),
            revision: page.revision,
            total: page.total,
            records: to_records(&page.rows)?,
            next: page.next,
        }))
    }
}
