//! Webhooks: a center reports what changed to other systems, as signed
//! POSTs (Standard Webhooks, `sign.rs`) delivered from the outbox that
//! writes fill in their own transactions (`db::outbox`), never to a
//! private address unless allowed (`guard.rs`), by one center at a time
//! (`deliver.rs`).

mod deliver;
mod guard;
mod hooks;
mod retry;
mod sign;

pub use deliver::{Deliverer, Redelivered};
pub use guard::is_public;
pub use hooks::HookCounts;
pub use retry::{backoff, RETRY_FOR};
pub use sign::signature;
