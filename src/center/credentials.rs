//! Who a request is from, checked without the database on the hot path:
//! bearer tokens against an in-memory table, Basic credentials against the
//! logins remembered after an argon2id check. Both are dropped when the
//! credentials counter (`meta.credentials`, bumped by every change to
//! users, grants and tokens, through any center or the CLI) moves, which
//! this center reads with the revision at each revision check.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use super::{db_failure, Center, CheckFailed};
use crate::auth::{RememberedLogins, TokenEntry, TokenTable};
use crate::db::executor::{FindUser, LoadTokens, TouchTokens};
use crate::domain::{now_us, Grants, TokenName, Username};
use crate::rpc::CallError;

/// Never loaded.
const UNLOADED: i64 = i64::MIN;
/// Shortest time between two re-reads prompted by unknown tokens.
const RECHECK_AFTER: Duration = Duration::from_millis(100);

pub(super) struct Credentials {
    /// The counter last read from the database.
    seen: AtomicI64,
    /// The counter the token table was loaded at.
    loaded: AtomicI64,
    tokens: RwLock<Arc<TokenTable>>,
    logins: RememberedLogins,
    /// One request reloads the tokens; the others wait for it.
    reload: tokio::sync::Mutex<()>,
    /// When an unknown token last made the center re-read the counter.
    rechecked_at: Mutex<Option<Instant>>,
    /// Held while an unknown token is looked for again.
    misses: tokio::sync::Mutex<()>,
}

impl Credentials {
    pub(super) fn new(remember_logins: Duration) -> Credentials {
        Credentials {
            seen: AtomicI64::new(UNLOADED),
            loaded: AtomicI64::new(UNLOADED),
            tokens: RwLock::default(),
            logins: RememberedLogins::new(remember_logins),
            reload: tokio::sync::Mutex::new(()),
            rechecked_at: Mutex::new(None),
            misses: tokio::sync::Mutex::new(()),
        }
    }

    /// Whether an unknown token may make the center re-read the counter
    /// now (at most once per `RECHECK_AFTER`); notes it if so.
    fn may_recheck(&self, now: Instant) -> bool {
        let mut at = self.rechecked_at.lock().unwrap_or_else(|p| p.into_inner());
        if at.is_some_and(|at| now.saturating_duration_since(at) < RECHECK_AFTER) {
            return false;
        }
        *at = Some(now);
        true
    }

    /// Notes the counter read at a revision check.
    pub(super) fn observe(&self, epoch: i64) {
        self.seen.store(epoch, Ordering::Release);
    }

    /// The counter last read (or moved here).
    pub(super) fn seen(&self) -> i64 {
        self.seen.load(Ordering::Acquire)
    }

    /// Notes that this center just changed the credentials (the counter in
    /// the database moved at least one past what was loaded): the next
    /// check reloads them, so a token revoked here is refused at once.
    pub(crate) fn changed_here(&self) {
        let loaded = self.loaded.load(Ordering::Acquire);
        self.seen.fetch_max(loaded + 1, Ordering::AcqRel);
    }

    pub(super) fn token_count(&self) -> usize {
        self.table().len()
    }

    fn table(&self) -> Arc<TokenTable> {
        self.tokens
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }
}

impl Center {
    /// Makes sure the token table and remembered logins are current as of
    /// the last revision check (re-reading the revision if its trust
    /// expired). With the database down, a table loaded before keeps
    /// answering (a revoke cannot be committed then either).
    async fn fresh_credentials(&self) -> Result<i64, CallError> {
        let checked = self.fresh_known().await;
        self.load_credentials(checked).await
    }

    /// Reloads the tokens if the counter last read differs from the one
    /// they were loaded at (or they never were).
    async fn load_credentials(&self, checked: Result<i64, CallError>) -> Result<i64, CallError> {
        let creds = &self.credentials;
        let loaded = creds.loaded.load(Ordering::Acquire);
        match checked {
            Err(e) if loaded == UNLOADED => return Err(e),
            Err(_) => return Ok(loaded),
            Ok(_) => {}
        }
        let current = |loaded| loaded != UNLOADED && creds.seen.load(Ordering::Acquire) == loaded;
        if current(loaded) {
            return Ok(loaded);
        }
        let _only_me = creds.reload.lock().await;
        let loaded = creds.loaded.load(Ordering::Acquire);
        if current(loaded) {
            return Ok(loaded);
        }
        let (epoch, rows) = self.ask(LoadTokens).await?.map_err(db_failure)?;
        let table = TokenTable::new(rows.into_iter().filter_map(|row| {
            let name = TokenName::parse(&row.info.name).ok()?;
            let entry = TokenEntry::new(
                name,
                row.info.grants,
                row.info.expires_at_us,
                row.info.last_used_us,
            );
            Some((row.hash, entry))
        }));
        {
            let mut current = creds.tokens.write().unwrap_or_else(|p| p.into_inner());
            table.carry_usage(current.as_ref());
            *current = Arc::new(table);
        }
        creds.logins.forget_all();
        creds.loaded.store(epoch, Ordering::Release);
        // A change after the load is seen at the next check.
        creds.seen.fetch_max(epoch, Ordering::AcqRel);
        tracing::debug!(epoch, "credentials reloaded");
        Ok(epoch)
    }

    /// The token's name and grants, or `None` for a token that is unknown,
    /// expired or revoked. One hash and one map lookup once the table is
    /// current.
    ///
    /// A token not in the table makes the center look again (a token just
    /// added should work at once), at most once per `RECHECK_AFTER` however
    /// many unknown tokens arrive, so wrong tokens cannot make it query
    /// the database more often than that.
    pub async fn check_token(&self, token: &str) -> Result<Option<(TokenName, Grants)>, CallError> {
        self.fresh_credentials().await?;
        let found = |table: Arc<TokenTable>| {
            table
                .check(token, now_us())
                .map(|e| (e.name.clone(), e.grants.clone()))
        };
        if let Some(found) = found(self.credentials.table()) {
            return Ok(Some(found));
        }
        // Unknown tokens take turns: one re-reads while the others wait and
        // then look again (a token used by many edges at once the moment
        // after it was added is found by all of them).
        let _one_at_a_time = self.credentials.misses.lock().await;
        if let Some(found) = found(self.credentials.table()) {
            return Ok(Some(found));
        }
        if !self.credentials.may_recheck(Instant::now()) {
            return Ok(None);
        }
        let checked = self.recheck().await;
        if self.load_credentials(checked).await.is_err() {
            return Ok(None);
        }
        Ok(found(self.credentials.table()))
    }

    /// The grants of a login remembered under the current credentials
    /// (no database, no argon2id), if it is one.
    pub async fn remembered(
        &self,
        user: &Username,
        password: &str,
    ) -> Result<Option<Grants>, CallError> {
        let epoch = self.fresh_credentials().await?;
        Ok(self.credentials.logins.recall(user, password, epoch))
    }

    /// Checks Basic credentials: `Some(grants)` if they are right (and
    /// remembers them). The hash is read on a DB thread and checked on the
    /// password pool.
    /// `user: None` is a name no user can have: checked against the dummy
    /// hash all the same, so it takes as long as a real check.
    pub async fn authenticate(
        &self,
        user: Option<Username>,
        password: String,
    ) -> Result<Option<Grants>, CheckFailed> {
        let epoch = self.fresh_credentials().await?;
        let found = match &user {
            Some(user) => self
                .ask(FindUser(user.clone()))
                .await?
                .map_err(db_failure)?,
            None => None,
        };
        let (phc, grants) = match found {
            Some((phc, grants)) => (Some(phc), grants),
            None => (None, Grants::default()),
        };
        let verified = self
            .passwords
            .verify(password.clone(), phc.clone())
            .await
            .map_err(|_| CheckFailed::Busy)?;
        let right = verified && phc.is_some();
        if let (true, Some(user)) = (right, &user) {
            let logins = &self.credentials.logins;
            logins.remember(user, &password, grants.clone(), epoch);
        }
        Ok(right.then_some(grants))
    }

    /// Writes when tokens were last used (tokens used since the last save;
    /// nothing if none), so `token list` shows it without a write per call.
    pub async fn save_token_usage(&self) -> Result<usize, CallError> {
        let used: Vec<(String, i64)> = self
            .credentials
            .table()
            .take_usage()
            .into_iter()
            .map(|(name, at)| (name.to_string(), at))
            .collect();
        if used.is_empty() {
            return Ok(0);
        }
        let n = used.len();
        self.ask(TouchTokens(used)).await?.map_err(db_failure)?;
        Ok(n)
    }
}
