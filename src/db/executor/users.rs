//! User messages.

use actix::prelude::*;

use super::DbExecutor;
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
