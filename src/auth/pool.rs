//! `PasswordPool`: argon2id checks on threads of their own, never on an
//! HTTP worker or a database thread, with a bounded queue. When the queue
//! is full a check is refused at once (`Busy`), so a flood of logins costs
//! memory and CPU up to the bound, and database calls never wait behind it.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use actix::prelude::*;

use super::password;

/// The check could not be queued.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("password checks are busy")]
pub struct Busy;

/// Checks passwords on `threads` threads; at most `threads + queue` checks
/// wait or run at once. Cheap to clone.
#[derive(Clone)]
pub struct PasswordPool {
    verifiers: Addr<Verifier>,
    pending: Arc<AtomicUsize>,
    capacity: usize,
    /// Checks run (argon2id), for `/metrics`.
    checks: Arc<AtomicU64>,
}

impl PasswordPool {
    pub fn start(threads: usize, queue: usize) -> PasswordPool {
        PasswordPool {
            verifiers: SyncArbiter::start(threads.max(1), || Verifier),
            pending: Arc::default(),
            capacity: threads.max(1) + queue,
            checks: Arc::default(),
        }
    }

    /// Password checks run since start.
    pub fn checks(&self) -> u64 {
        self.checks.load(Ordering::Relaxed)
    }

    /// Whether `password` matches `phc` (`None`: no such user, checked
    /// against a dummy hash all the same, so it takes as long).
    pub async fn verify(&self, password: String, phc: Option<String>) -> Result<bool, Busy> {
        let slot = Slot::take(&self.pending, self.capacity).ok_or(Busy)?;
        self.checks.fetch_add(1, Ordering::Relaxed);
        let verified = self.verifiers.send(Verify { password, phc }).await;
        drop(slot);
        verified.map_err(|_| Busy)
    }
}

impl PasswordPool {
    /// The argon2id hash of a new password, made on the pool (never on an
    /// HTTP worker), within the same queue as checks.
    pub async fn hash(&self, password: String) -> Result<Option<String>, Busy> {
        let slot = Slot::take(&self.pending, self.capacity).ok_or(Busy)?;
        let hashed = self.verifiers.send(Hash(password)).await;
        drop(slot);
        hashed.map_err(|_| Busy)
    }
}

/// A place in the queue, given back when dropped (also when the request
/// goes away while it waits).
struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(pending: &Arc<AtomicUsize>, capacity: usize) -> Option<Slot> {
        pending
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < capacity).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot(pending.clone()))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

struct Verifier;

impl Actor for Verifier {
    type Context = SyncContext<Self>;
}

/// Checks one password (argon2id, on a pool thread).
#[derive(Message)]
#[rtype(result = "bool")]
struct Verify {
    password: String,
    phc: Option<String>,
}

impl Handler<Verify> for Verifier {
    type Result = bool;
    fn handle(&mut self, msg: Verify, _: &mut Self::Context) -> bool {
        password::verify(&msg.password, msg.phc.as_deref())
    }
}

/// Hashes one new password (argon2id, on a pool thread); `None` if the
/// hasher failed.
#[derive(Message)]
#[rtype(result = "Option<String>")]
struct Hash(String);

impl Handler<Hash> for Verifier {
    type Result = Option<String>;
    fn handle(&mut self, msg: Hash, _: &mut Self::Context) -> Option<String> {
        password::hash(&msg.0).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[actix_web::test]
    async fn checks_passwords_and_refuses_past_its_queue() {
        let pool = PasswordPool::start(1, 1);
        let phc = password::hash("right-password").unwrap();
        assert_eq!(
            pool.verify("right-password".into(), Some(phc.clone()))
                .await,
            Ok(true)
        );
        assert_eq!(
            pool.verify("wrong".into(), Some(phc.clone())).await,
            Ok(false)
        );
        assert_eq!(pool.verify("x".into(), None).await, Ok(false));
        // Two places (one running, one waiting): a third at once is refused.
        let (a, b, c) = futures_util::future::join3(
            pool.verify("a".into(), Some(phc.clone())),
            pool.verify("b".into(), Some(phc.clone())),
            pool.verify("c".into(), Some(phc.clone())),
        )
        .await;
        let busy = [a, b, c].iter().filter(|r| **r == Err(Busy)).count();
        assert_eq!(busy, 1);
        assert_eq!(pool.pending.load(Ordering::Acquire), 0, "places given back");
    }
}
