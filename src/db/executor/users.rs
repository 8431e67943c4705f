//! User and token messages.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::tokens::{self, TokenRow};
use crate::db::DbError;
use crate::domain::{Grants, Username};

/// Reads a user's password hash and grants (the password check itself runs
/// on the password pool, `auth::PasswordPool`).
#[derive(Message)]
#[rtype(result = "Result<Option<(String, Grants)>, DbError>")]
pub struct FindUser(pub Username);

impl Handler<FindUser> for DbExecutor {
    type Result = Result<Option<(String, Grants)>, DbError>;
    fn handle(&mut self, msg: FindUser, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::users::find(c, &msg.0))
    }
}

/// Reads every token with the credentials counter they are consistent with.
#[derive(Message)]
#[rtype(result = "Result<(i64, Vec<TokenRow>), DbError>")]
pub struct LoadTokens;

impl Handler<LoadTokens> for DbExecutor {
    type Result = Result<(i64, Vec<TokenRow>), DbError>;
    fn handle(&mut self, _: LoadTokens, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| tokens::load(c))
    }
}

/// Records when tokens were last used (batched by the center).
#[derive(Message)]
#[rtype(result = "Result<(), DbError>")]
pub struct TouchTokens(pub Vec<(String, i64)>);

impl Handler<TouchTokens> for DbExecutor {
    type Result = Result<(), DbError>;
    fn handle(&mut self, msg: TouchTokens, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| tokens::touch(c, &msg.0))
    }
}

/// Lists every token (never the token itself: only its hash is kept).
#[derive(Message)]
#[rtype(result = "Result<Vec<crate::db::tokens::TokenInfo>, DbError>")]
pub struct ListTokens;

impl Handler<ListTokens> for DbExecutor {
    type Result = Result<Vec<crate::db::tokens::TokenInfo>, DbError>;
    fn handle(&mut self, _: ListTokens, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| tokens::list(c))
    }
}

/// Stores a new token's hash; `false` if the name is taken.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct AddToken {
    pub name: String,
    pub hash: String,
    pub scope: crate::db::tokens::TokenScope,
    pub now_us: i64,
    pub expires_at_us: Option<i64>,
}

impl Handler<AddToken> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: AddToken, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| tokens::add(c, &m.name, &m.hash, &m.scope, m.now_us, m.expires_at_us))
    }
}

/// Revokes a token; `false` if there was none.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct RevokeToken(pub String);

impl Handler<RevokeToken> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: RevokeToken, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| tokens::revoke(c, &m.0))
    }
}

/// Lists every user with grants, as `users.list` shows them.
#[derive(Message)]
#[rtype(result = "Result<Vec<crate::db::users::UserInfo>, DbError>")]
pub struct ListUsers;

impl Handler<ListUsers> for DbExecutor {
    type Result = Result<Vec<crate::db::users::UserInfo>, DbError>;
    fn handle(&mut self, _: ListUsers, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::users::list(c))
    }
}

/// Adds a user (its password already hashed); `false` if the name is taken.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct AddUser {
    pub name: Username,
    pub hash: String,
    pub role: crate::domain::Role,
    pub now_us: i64,
}

impl Handler<AddUser> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: AddUser, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::users::add(c, &m.name, &m.hash, m.role, m.now_us))
    }
}

/// Changes a user: its password (ending its console sessions), whether it
/// is an administrator, and grants (`None` revokes that scope's grant).
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct UpdateUser {
    pub name: Username,
    pub hash: Option<String>,
    pub admin: Option<crate::domain::Admin>,
    pub grants: Vec<(crate::domain::Scope, Option<crate::domain::Level>)>,
}

impl Handler<UpdateUser> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: UpdateUser, _: &mut Self::Context) -> Self::Result {
        use crate::db::users;
        self.with_conn(|c, _| {
            if users::find(c, &m.name)?.is_none() {
                return Ok(false);
            }
            if let Some(hash) = &m.hash {
                users::set_password(c, &m.name, hash)?;
            }
            if let Some(admin) = m.admin {
                users::set_admin(c, &m.name, admin)?;
            }
            for (scope, level) in &m.grants {
                match level {
                    Some(level) => users::grant(c, &m.name, scope, *level)?,
                    None => users::revoke(c, &m.name, scope)?,
                };
            }
            Ok(true)
        })
    }
}

/// Removes a user, its grants and its sessions; `false` if there was none.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct RemoveUser(pub Username);

impl Handler<RemoveUser> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: RemoveUser, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| crate::db::users::remove(c, &m.0))
    }
}
