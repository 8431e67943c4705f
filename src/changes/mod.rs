//! Change requests: review before publish. A writer proposes a change set
//! (`changes.propose`), writers other than its author review it
//! (`changes.review`), and once the approvals reach the namespace's policy
//! it is published as one revision (`changes.publish`), or refused as a
//! conflict if a key it touches changed since it was proposed. An
//! administrator may publish without the approvals by stating a reason
//! (break glass). The policy itself is `namespaces.set_policy`; the write
//! path enforces it in `db::writes::apply`.

pub(crate) mod access;
pub mod read;
pub mod view;
pub mod write;

pub use read::{Get, List};
pub use write::{Propose, Publish, Review, Withdraw};
