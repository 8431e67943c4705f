//! The users and tokens resource: `users.*` and `tokens.*` for
//! administrators (`methods.rs`), and what they do against the store
//! (`accounts.rs`, `tokens.rs`). How credentials are checked on each
//! request is `center::credentials` and `auth/`.

mod accounts;
pub mod methods;
mod tokens;

pub use crate::domain::Role;
pub use accounts::Update;
pub use methods::{
    AddToken, AddUser, ListTokens, ListUsers, RemoveUser, RevokeToken, TokenArgs, UpdateUser,
};

/// A password in a call: never shown by `Debug`.
#[derive(Clone, PartialEq)]
pub struct Secret(pub String);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(..)")
    }
}
