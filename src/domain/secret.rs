//! A secret namespace's key as the center keeps it: its public recipient
//! and its identity wrapped for each grantee. The center never holds the
//! identity itself (`src/sealing/` seals and checks).

/// The namespace's identity, age-encrypted to one grantee's recipient.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WrappedKey {
    /// The grantee's own recipient (`age1...`).
    pub recipient: String,
    /// An armored age file (checked well-formed before it gets here).
    pub wrapped: String,
}

/// A secret namespace's key: its recipient, and who may unwrap it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretKeys {
    /// The namespace's recipient (`age1...`) that values are sealed to.
    pub recipient: String,
    pub grants: Vec<WrappedKey>,
}

/// Most grants a secret namespace keeps (each is a few hundred bytes).
pub const MAX_SECRET_GRANTS: usize = 1000;
