//! The records resource: the `records.*` methods (reading in `read.rs`,
//! writing in `write.rs`), how a change set and an expiry bind
//! (`bind.rs`), and `testrpc.MyRPC`'s rows (`legacy.rs`).

pub mod bind;
mod legacy;
pub mod read;
pub mod write;

pub use read::{Changes, Get, List, MyRpc, Search};
pub use write::{Apply, ApplyArgs, Delete, Put};

#[cfg(test)]
mod tests;
