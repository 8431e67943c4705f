//! Secret namespaces' keys: read them, grant one more recipient.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::secrets::{self, Granted, Keys};
use crate::db::DbError;
use crate::domain::{Namespace, WrappedKey};

/// A namespace's recipient and grants.
#[derive(Message)]
#[rtype(result = "Result<Keys, DbError>")]
pub struct ReadKeys(pub Namespace);

impl Handler<ReadKeys> for DbExecutor {
    type Result = Result<Keys, DbError>;
    fn handle(&mut self, msg: ReadKeys, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| secrets::keys(c, &msg.0))
    }
}

/// Grants the namespace's key, wrapped from the key whose recipient is
/// `of`, to one more recipient.
#[derive(Message)]
#[rtype(result = "Result<Granted, DbError>")]
pub struct GrantKey {
    pub namespace: Namespace,
    pub of: String,
    pub key: WrappedKey,
    pub by: String,
    pub now_us: i64,
}

impl Handler<GrantKey> for DbExecutor {
    type Result = Result<Granted, DbError>;
    fn handle(&mut self, msg: GrantKey, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            secrets::grant(c, &msg.namespace, &msg.of, &msg.key, &msg.by, msg.now_us)
        })
    }
}
