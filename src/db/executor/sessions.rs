//! Console session messages.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::sessions::{self, SessionLimits, SessionRow};
use crate::db::{users, DbError};
use crate::domain::Grants;

/// Opens a console session for a user who just signed in.
#[derive(Message)]
#[rtype(result = "Result<(), DbError>")]
pub struct OpenSession {
    pub id_hash: String,
    pub username: String,
    pub csrf: String,
    pub now_us: i64,
}

impl Handler<OpenSession> for DbExecutor {
    type Result = Result<(), DbError>;
    fn handle(&mut self, m: OpenSession, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| sessions::open(c, &m.id_hash, &m.username, &m.csrf, m.now_us))
    }
}

/// The session under a cookie's hash, if still valid at `now_us`, with its
/// user's grants as they are now (a user removed meanwhile ends it).
#[derive(Message)]
#[rtype(result = "Result<Option<(SessionRow, Grants)>, DbError>")]
pub struct SessionUser {
    pub id_hash: String,
    pub limits: SessionLimits,
    pub now_us: i64,
}

impl Handler<SessionUser> for DbExecutor {
    type Result = Result<Option<(SessionRow, Grants)>, DbError>;
    fn handle(&mut self, m: SessionUser, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            let Some(row) = sessions::find(c, &m.id_hash, m.limits, m.now_us)? else {
                return Ok(None);
            };
            match users::find(c, &row.username)? {
                Some((_, grants)) => Ok(Some((row, grants))),
                None => {
                    sessions::close(c, &m.id_hash)?;
                    Ok(None)
                }
            }
        })
    }
}

/// Ends a session (sign out).
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct CloseSession(pub String);

impl Handler<CloseSession> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: CloseSession, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| sessions::close(c, &m.0))
    }
}
