//! The history resource: a key's writes, a namespace at a revision, its
//! timeline, rollback and the audit log (`methods.rs`), read from the
//! history and audit tables (`reads.rs`).

pub mod methods;
mod reads;

pub use methods::{At, AuditList, KeyHistory, Rollback, RollbackArgs, Timeline};
