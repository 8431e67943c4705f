//! `users.*` and `tokens.*`, for administrators.

use std::time::Duration;

use serde_json::Value;

use super::accounts::Update;
use super::Secret;
use crate::center::Center;
use crate::domain::{self, Level, Namespace, Role, RoleFlags, Scope, TokenName, Username};
use crate::rpc::args::{self, Args};
use crate::rpc::method::{Ctx, RpcMethod, Spec};
use crate::rpc::registry::{Offered::Both, Permission::Admin, Ty};
use crate::rpc::{CallError, RawJson, RpcError};

pub struct ListUsers;

impl RpcMethod<Center> for ListUsers {
    const SPEC: &'static Spec = &Spec {
        name: "users.list",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Admin,
        help: "Every user (administrators): {name, admin, grants: {namespace or *: read or write}, created_at}.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, _: ()) -> Result<RawJson, CallError> {
        ctx.exec.users_list().await
    }
}

pub struct ListTokens;

impl RpcMethod<Center> for ListTokens {
    const SPEC: &'static Spec = &Spec {
        name: "tokens.list",
        params: &[],
        required: 0,
        returns: Ty::Array,
        offered: Both,
        permission: Admin,
        help: "Every token (administrators): {name, namespaces, write, created_at, expires_at, last_used}; never the token itself.",
    };
    type Args = ();

    fn bind(_: &mut Args) -> Result<(), RpcError> {
        Ok(())
    }

    fn namespaces(_: &()) -> Vec<&Namespace> {
        vec![]
    }

    async fn run(ctx: Ctx<'_, Center>, _: ()) -> Result<RawJson, CallError> {
        ctx.exec.tokens_list().await
    }
}

/// What an administrator-only call names: no namespace.
fn none<T>(_: &T) -> Vec<&Namespace> {
    vec![]
}

pub struct AddUser;

impl RpcMethod<Center> for AddUser {
    const SPEC: &'static Spec = &Spec {
        name: "users.add",
        params: &[("name", Ty::String), ("password", Ty::String), ("write", Ty::Boolean), ("admin", Ty::Boolean)],
        required: 2,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Adds a user (administrators) reading every namespace, writing too with write; admin makes it an \
               administrator (who also writes). The password needs at least 8 characters.",
    };
    type Args = (Username, Secret, Role);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let name = a.required(username)?;
        let password = Secret(a.required(args::string)?);
        let write = a.or(args::boolean, false)?;
        let admin = a.or(args::boolean, false)?;
        Ok((name, password, Role::from(RoleFlags { write, admin })))
    }

    fn namespaces(a: &Self::Args) -> Vec<&Namespace> {
        none(a)
    }

    async fn run(
        ctx: Ctx<'_, Center>,
        (name, password, role): Self::Args,
    ) -> Result<RawJson, CallError> {
        ctx.exec.users_add(name, password, role).await
    }
}

pub struct UpdateUser;

impl RpcMethod<Center> for UpdateUser {
    const SPEC: &'static Spec = &Spec {
        name: "users.update",
        params: &[("name", Ty::String), ("password", Ty::String), ("admin", Ty::Boolean), ("grants", Ty::Struct)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Changes a user (administrators): a new password (its console sessions end), whether it is an \
               administrator, and grants {namespace or *: read, write, or null to revoke}. An administrator \
               cannot demote itself. false if there is no such user.",
    };
    type Args = (Username, Update);

    fn bind(a: &mut Args) -> Result<Self::Args, RpcError> {
        let name = a.required(username)?;
        let update = Update {
            password: a.optional(args::string)?.map(Secret),
            admin: a.optional(args::boolean)?.map(domain::Admin::from),
            grants: a.or(grants, Vec::new())?,
        };
        Ok((name, update))
    }

    fn namespaces(a: &Self::Args) -> Vec<&Namespace> {
        none(a)
    }

    async fn run(ctx: Ctx<'_, Center>, (name, update): Self::Args) -> Result<RawJson, CallError> {
        ctx.exec.users_update(ctx.caller, name, update).await
    }
}

pub struct RemoveUser;

impl RpcMethod<Center> for RemoveUser {
    const SPEC: &'static Spec = &Spec {
        name: "users.remove",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Removes a user with its grants and console sessions (administrators; not oneself); false if there was none.",
    };
    type Args = Username;

    fn bind(a: &mut Args) -> Result<Username, RpcError> {
        a.required(username)
    }

    fn namespaces(a: &Username) -> Vec<&Namespace> {
        none(a)
    }

    async fn run(ctx: Ctx<'_, Center>, name: Username) -> Result<RawJson, CallError> {
        ctx.exec.users_remove(ctx.caller, name).await
    }
}

pub struct AddToken;

/// `tokens.add`'s params.
pub struct TokenArgs {
    pub name: TokenName,
    pub level: Level,
    /// Empty: every namespace.
    pub scopes: Vec<Scope>,
    pub expires_in: Option<Duration>,
}

impl RpcMethod<Center> for AddToken {
    const SPEC: &'static Spec = &Spec {
        name: "tokens.add",
        params: &[("name", Ty::String), ("write", Ty::Boolean), ("namespaces", Ty::Array), ("expires_in", Ty::Double)],
        required: 1,
        returns: Ty::Struct,
        offered: Both,
        permission: Admin,
        help: "Makes a token (administrators): read on namespaces (default every one), write too with write, valid for \
               expires_in seconds (default until revoked). Returns {name, token, expires_at}: the token is shown this \
               once (only its hash is kept).",
    };
    type Args = TokenArgs;

    fn bind(a: &mut Args) -> Result<TokenArgs, RpcError> {
        Ok(TokenArgs {
            name: a.required(token_name)?,
            level: match a.or(args::boolean, false)? {
                true => Level::Write,
                false => Level::Read,
            },
            scopes: a.or(scopes, Vec::new())?,
            expires_in: a.optional(expires_in)?,
        })
    }

    fn namespaces(a: &TokenArgs) -> Vec<&Namespace> {
        none(a)
    }

    async fn run(ctx: Ctx<'_, Center>, a: TokenArgs) -> Result<RawJson, CallError> {
        ctx.exec
            .tokens_add(a.name, a.level, a.scopes, a.expires_in)
            .await
    }
}

pub struct RevokeToken;

impl RpcMethod<Center> for RevokeToken {
    const SPEC: &'static Spec = &Spec {
        name: "tokens.revoke",
        params: &[("name", Ty::String)],
        required: 1,
        returns: Ty::Boolean,
        offered: Both,
        permission: Admin,
        help: "Revokes a token (administrators), on every center within server.revision_check_interval; true if it existed.",
    };
    type Args = TokenName;

    fn bind(a: &mut Args) -> Result<TokenName, RpcError> {
        a.required(token_name)
    }

    fn namespaces(a: &TokenName) -> Vec<&Namespace> {
        none(a)
    }

    async fn run(ctx: Ctx<'_, Center>, name: TokenName) -> Result<RawJson, CallError> {
        ctx.exec.tokens_revoke(name).await
    }
}

fn username(name: &str, v: Value) -> Result<Username, RpcError> {
    let text = args::string(name, v)?;
    Username::parse(&text).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
}

fn token_name(name: &str, v: Value) -> Result<TokenName, RpcError> {
    let text = args::string(name, v)?;
    TokenName::parse(&text).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
}

/// `{namespace or *: "read" | "write" | null}`.
fn grants(name: &str, v: Value) -> Result<Vec<(Scope, Option<Level>)>, RpcError> {
    let Value::Object(map) = v else {
        return Err(RpcError::invalid_params(format!(
            "{name:?} must be an object {{namespace or *: \"read\", \"write\" or null}}"
        )));
    };
    map.into_iter()
        .map(|(scope, level)| {
            let parsed = Scope::parse(&scope)
                .map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))?;
            let level = match level.as_str() {
                Some("read") => Some(Level::Read),
                Some("write") => Some(Level::Write),
                None if level.is_null() => None,
                _ => {
                    return Err(RpcError::invalid_params(format!(
                        "{name:?}: {scope:?} must be \"read\", \"write\" or null"
                    )))
                }
            };
            Ok((parsed, level))
        })
        .collect()
}

/// Namespace names or `*`.
fn scopes(name: &str, v: Value) -> Result<Vec<Scope>, RpcError> {
    args::strings(name, v)?
        .iter()
        .map(|text| {
            Scope::parse(text).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))
        })
        .collect()
}

/// Seconds, above 0 and at most ten years.
fn expires_in(name: &str, v: Value) -> Result<Duration, RpcError> {
    match v.as_f64() {
        Some(s) if s > 0.0 && s <= crate::domain::MAX_EXPIRES_IN.as_secs_f64() => {
            Ok(Duration::from_secs_f64(s))
        }
        _ => Err(RpcError::invalid_params(format!(
            "{name:?} must be a number of seconds above 0 and at most ten years"
        ))),
    }
}
