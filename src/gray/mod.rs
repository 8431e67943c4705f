//! Gray releases: a change set served on top of a namespace to the edges
//! a target reaches (named edges, labels, or a sticky percentage;
//! `domain::gray`) before it goes to every edge. `gray.create` starts one,
//! `gray.update` widens or narrows it, `gray.abort` ends it, `gray.promote`
//! merges it into the namespace as one revision, `gray.list`
//! and `gray.get` show it with the members the fleet view has seen and
//! their health. A release with `auto` is an automatic canary (`auto.rs`).

pub mod auto;
pub mod members;
pub mod reach;
pub mod read;
pub mod view;
pub mod write;

pub use reach::Reach;
pub use read::{Get, List};
pub use write::{Abort, Create, Promote, Update};
