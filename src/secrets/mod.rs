//! Secret namespaces: `secrets.create`, `.keys`, `.grant` and `.rotate`
//! (`methods.rs`), what they do against the store (`ops.rs`) and how their
//! params are read (`bind.rs`). The cryptography is `src/sealing/`; the
//! center only checks that what it is given is well formed.

mod bind;
pub mod methods;
mod ops;

pub use methods::{Create, Grant, Keys, Rotate};
