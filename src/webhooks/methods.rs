//! `webhooks.list`, `webhooks.add`, `webhooks.remove`, `webhooks.log` and
//! `webhooks.redeliver`.

use base64::Engine;
use serde_json::{json, Value};

use crate::center::{db_failure, origin, Center};
use crate::configuration::WebhookSettings;
use crate::db::executor::{AddHook, Attempts, ListHooks, RemoveHook};
use crate::db::webhooks::HookRow;
use crate::domain::{format_timestamp, now_us, Namespace};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Admin, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct List;

impl RpcMethod<Center> for List {
    const SPEC: &'static Spec = &Spec {
        name: "webhooks.list",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Admin,
        help: "Every webhook, never its secret: {name, url, events, namespaces, source (settings or rpc), \
               created_by, created_at}.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, _: ()) -> Result<RawJson, CallError> {
        let stored = ctx.exec.ask(ListHooks).await?.map_err(db_failure)?;
        let fixed = ctx.exec.configured_webhooks();
        let mut shown: Vec<Value> = fixed
            .iter()
            .map(|w| json!({"name": w.name, "url": w.url, "events": w.events, "namespaces": w.namespaces, "source": "settings"}))
            .collect();
        for row in stored
            .iter()
            .filter(|r| fixed.iter().all(|w| w.name != r.name))
        {
            let list = |text: &str| serde_json::from_str::<Value>(text).unwrap_or_default();
            shown.push(
                json!({"name": row.name, "url": row.url, "events": list(&row.events),
                "namespaces": list(&row.namespaces), "source": "rpc", "created_by": row.created_by,
                "created_at": format_timestamp(row.created_at_us)}),
            );
        }
        Ok(RawJson::of(&shown))
    }
}

pub struct Add;

impl RpcMethod<Center> for Add {
    const SPEC: &'static Spec = &Spec {
        name: "webhooks.add",
        params: &[("name", Ty::String), ("url", Ty::String), ("events", Ty::Array), ("namespaces", Ty::Array)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Admin,
        help: "Adds a webhook (name: 1 to 64 of a-z, 0-9, _ and -; url: http:// or https://; events and \
               namespaces narrow it, every one by default) and returns {name, secret}: its whsec_ signing \
               secret, shown this once. It gets the events from now on.",
    };
    type Args = WebhookSettings;

    fn bind(a: &mut Args) -> Result<WebhookSettings, RpcError> {
        let hook = WebhookSettings {
            name: a.required(args::string)?,
            url: a.required(args::string)?,
            events: a.or(args::strings, Vec::new())?,
            namespaces: a.or(namespaces, Vec::new())?,
            secret: new_secret(),
        };
        hook.check().map_err(RpcError::invalid_params)?;
        Ok(hook)
    }

    fn namespaces(_: &WebhookSettings) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, hook: WebhookSettings) -> Result<RawJson, CallError> {
        if ctx
            .exec
            .configured_webhooks()
            .iter()
            .any(|w| w.name == hook.name)
        {
            return Err(taken(&hook.name));
        }
        let row = HookRow {
            name: hook.name.clone(),
            url: hook.url,
            secret: hook.secret.clone(),
            events: serde_json::to_string(&hook.events).unwrap_or_default(),
            namespaces: serde_json::to_string(&hook.namespaces).unwrap_or_default(),
            created_by: origin(&ctx).author,
            created_at_us: now_us(),
        };
        if !ctx.exec.ask(AddHook(row)).await?.map_err(db_failure)? {
            return Err(taken(&hook.name));
        }
        ctx.exec.webhooks_changed().await;
        Ok(RawJson::of(
            &json!({"name": hook.name, "secret": hook.secret}),
        ))
    }
}

pub struct Remove;

impl RpcMethod<Center> for Remove {
    const SPEC: &'static Spec = &Spec {
        name: "webhooks.remove",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Removes a webhook added over RPC: true if it existed. Those of [[webhook]] are removed from the \
               settings.",
    };
    type Args = String;

    fn bind(a: &mut Args) -> Result<String, RpcError> {
        a.required(args::string)
    }

    fn namespaces(_: &String) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, name: String) -> Result<RawJson, CallError> {
        if ctx
            .exec
            .configured_webhooks()
            .iter()
            .any(|w| w.name == name)
        {
            return Err(CallError::Invalid(format!(
                "webhook {name:?} is set in [[webhook]]; remove it from the settings"
            )));
        }
        let removed = ctx.exec.ask(RemoveHook(name)).await?.map_err(db_failure)?;
        ctx.exec.webhooks_changed().await;
        Ok(RawJson::of(&removed))
    }
}

pub struct Log;

impl RpcMethod<Center> for Log {
    const SPEC: &'static Spec = &Spec {
        name: "webhooks.log",
        params: &[("name", Ty::String), ("limit", Ty::Int)],
        required: 1,
        returns: Ty::Array,
        offered: Both,
        permission: Admin,
        help: "A webhook's newest delivery attempts (limit, default 100): [{event, attempt, at, outcome \
               (delivered, retrying, failed, redelivered or redelivery_failed), status, error}].",
    };
    type Args = (String, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::string)?, a.limit()?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (webhook, limit): Self::Args) -> Result<RawJson, CallError> {
        let attempts = ctx
            .exec
            .ask(Attempts { webhook, limit })
            .await?
            .map_err(db_failure)?;
        let shown: Vec<Value> = attempts
            .into_iter()
            // A redelivery is numbered apart (below 0), and shown without.
            .map(|a| json!({"event": a.event_id, "attempt": (a.attempt > 0).then_some(a.attempt), "at": format_timestamp(a.at_us),
                "outcome": a.outcome, "status": a.status, "error": a.error}))
            .collect();
        Ok(RawJson::of(&shown))
    }
}

pub struct Redeliver;

impl RpcMethod<Center> for Redeliver {
    const SPEC: &'static Spec = &Spec {
        name: "webhooks.redeliver",
        params: &[("name", Ty::String), ("event", Ty::Int)],
        required: 2,
        returns: Ty::Struct,
        offered: Both,
        permission: Admin,
        help: "Sends one kept event to a webhook again, now, with its original webhook-id (receivers that \
               deduplicate by id ignore it): {delivered, status, error}. The attempt is logged.",
    };
    type Args = (String, i64);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        Ok((a.required(args::string)?, a.required(args::revision)?))
    }

    fn namespaces(_: &Self::Args) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, (name, event): Self::Args) -> Result<RawJson, CallError> {
        let outcome = ctx.exec.redeliver(&name, event, now_us()).await?;
        Ok(RawJson::of(&outcome))
    }
}

/// A list of namespace names.
fn namespaces(name: &str, v: Value) -> Result<Vec<Namespace>, RpcError> {
    args::strings(name, v)?
        .into_iter()
        .map(|n| args::namespace(name, Value::String(n)))
        .collect()
}

fn taken(name: &str) -> CallError {
    CallError::Invalid(format!("a webhook named {name:?} exists"))
}

/// `whsec_` and the base64 of 32 random bytes.
fn new_secret() -> String {
    let mut key = [0u8; 32];
    rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut key);
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(key)
    )
}
