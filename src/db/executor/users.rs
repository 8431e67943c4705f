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
