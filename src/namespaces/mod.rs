//! The namespaces resource: `namespaces.list`, `.get`, `.create`, `.delete`
//! `.set_schema` and `.set_policy` (`methods.rs`), and what they do against the store
//! (`ops.rs`). A namespace's history and rollback are `history/`.

pub mod methods;
mod ops;

pub use methods::{Create, Delete, Get, ListNamespaces, SetPolicy, SetSchema};
pub use ops::MAX_DESCRIPTION;
