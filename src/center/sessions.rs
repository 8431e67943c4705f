//! Console sessions: opened at sign-in, found by the cookie's hash at every
//! console request (the cookie itself is never stored), closed at sign-out.
//! They live in the database, so any center on it serves a signed-in
//! browser, and a user removed or whose password was reset is signed out
//! everywhere.

use rand_core::{OsRng, RngCore};

use super::{db_failure, Center};
use crate::db::executor::{CloseSession, OpenRequests, OpenSession, SessionUser};
use crate::domain::{Grants, Namespace, Username};
use crate::rpc::CallError;

/// A session just opened: the cookie to set (shown once) and the CSRF
/// token of its forms.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub cookie: String,
    pub csrf: String,
}

/// Who a console request is from.
#[derive(Debug, Clone)]
pub struct ConsoleUser {
    pub username: Username,
    pub grants: Grants,
    /// The token every state-changing form of this session carries.
    pub csrf: String,
    /// Open change requests in the namespaces it may read (the console's
    /// navigation shows the count).
    pub open_reviews: i64,
}

/// 32 random bytes as 64 hex digits.
fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    blake3::Hash::from_bytes(bytes).to_hex().to_string()
}

/// The hash a session cookie is kept as. A cookie that is not 64 hex
/// digits never matches (its hash is looked up all the same, so a wrong
/// cookie costs what a right one does).
fn cookie_hash(cookie: &str) -> String {
    blake3::hash(cookie.as_bytes()).to_hex().to_string()
}

impl Center {
    /// Opens a session for `user` at `now_us`.
    pub async fn open_session(
        &self,
        user: &Username,
        now_us: i64,
    ) -> Result<NewSession, CallError> {
        let new = NewSession {
            cookie: random_hex(),
            csrf: random_hex(),
        };
        self.ask(OpenSession {
            id_hash: cookie_hash(&new.cookie),
            username: user.to_string(),
            csrf: new.csrf.clone(),
            now_us,
        })
        .await?
        .map_err(db_failure)?;
        Ok(new)
    }

    /// The signed-in user of `cookie` at `now_us`, if its session is valid.
    pub async fn session(
        &self,
        cookie: &str,
        now_us: i64,
    ) -> Result<Option<ConsoleUser>, CallError> {
        let found = self
            .ask(SessionUser {
                id_hash: cookie_hash(cookie),
                limits: self.session_limits,
                now_us,
            })
            .await?
            .map_err(db_failure)?;
        let Some((row, grants)) = found else {
            return Ok(None);
        };
        let Ok(username) = Username::parse(&row.username) else {
            return Ok(None);
        };
        let open = self.ask(OpenRequests).await?.map_err(db_failure)?;
        let readable =
            |ns: &str| Namespace::parse(ns.to_string()).is_ok_and(|ns| grants.may_read(&ns));
        let open_reviews = open
            .iter()
            .filter(|(ns, _)| readable(ns))
            .map(|(_, n)| n)
            .sum();
        Ok(Some(ConsoleUser {
            username,
            grants,
            csrf: row.csrf,
            open_reviews,
        }))
    }

    /// Ends the session of `cookie` (sign out).
    pub async fn close_session(&self, cookie: &str) -> Result<(), CallError> {
        self.ask(CloseSession(cookie_hash(cookie)))
            .await?
            .map_err(db_failure)?;
        Ok(())
    }
}
