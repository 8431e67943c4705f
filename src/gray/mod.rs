//! Gray releases: a change set served on top of a namespace to the edges
//! a target reaches (named edges, labels, or a sticky percentage;
//! `domain::gray`) before it goes to every edge. `gray.create` starts one,
//! `gray.update` widens or narrows it, `gray.abort` ends it, `gray.promote`
//! merges it into the namespace as one revision, `gray.list`
//! and `gray.get` show it with the members the fleet view has seen and
//! their health. A release with `auto` is an automatic canary (`auto.rs`).
//! On a namespace that requires reviews, a release starts from an approved
//! change request (`changes.release`, `request.rs`).

pub mod auto;
mod bind;
pub mod members;
pub mod reach;
pub mod read;
pub mod request;
pub mod view;
pub mod write;

pub use reach::Reach;
pub use read::{Get, List};
pub use request::Release;
pub use write::{Abort, Create, Promote, Update};
