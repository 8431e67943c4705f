//! Password hashing: argon2id with the crate's default cost, PHC strings.

/// Shortest password accepted.
pub const MIN_PASSWORD: usize = 8;

use std::sync::OnceLock;

use argon2::password_hash::rand_core::OsRng;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;

/// Hashing failed (argon2 refused its input or parameters).
#[derive(Debug, thiserror::Error)]
#[error("cannot hash the password: {0}")]
pub struct HashError(argon2::password_hash::Error);

/// A PHC string (`$argon2id$v=19$...`) for `password`.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(HashError)
}

/// Checks `password` against `phc`; with `None` (no such user) it checks a
/// dummy hash, so the answer takes the same time either way.
pub fn verify(password: &str, phc: Option<&str>) -> bool {
    static DUMMY: OnceLock<String> = OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash("syncdict-dummy").unwrap_or_default());
    let target = phc.unwrap_or(dummy);
    let matched = PasswordHash::new(target)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
        .unwrap_or(false);
    matched && phc.is_some()
}

#[cfg(test)]
mod tests {
    #[test]
    fn hashes_verify_and_differ() {
        let a = super::hash("secret").unwrap();
        let b = super::hash("secret").unwrap();
        assert!(a.starts_with("$argon2id$") && a != b, "salted");
        assert!(super::verify("secret", Some(&a)));
        assert!(!super::verify("Secret", Some(&a)));
        assert!(!super::verify("secret", None));
        assert!(!super::verify("secret", Some("garbage")));
    }
}
