//! Bearer tokens: made once from 256 random bits, kept only as a BLAKE3
//! hash (a fast hash is the right one for a high-entropy secret: nothing
//! to brute-force), and checked against an in-memory table that the center
//! reloads when the database says credentials changed. A check is one hash
//! and one map lookup: no database, no thread hop.

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use rand_core::{OsRng, RngCore};

use crate::domain::{Grants, TokenName};

/// What every token starts with (so a leaked one is easy to grep for).
pub const PREFIX: &str = "sdt_";
/// Longest `Authorization: Bearer` value looked at; longer is wrong at once.
const MAX_TOKEN: usize = 128;

/// A new random token: `sdt_` and 64 hex digits (256 bits).
pub fn generate() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    // Hex of 32 random bytes, written as BLAKE3 writes a hash.
    format!("{PREFIX}{}", blake3::Hash::from_bytes(bytes).to_hex())
}

/// The hash a token is kept as (64 hex digits).
pub fn hash(token: &str) -> String {
    blake3::hash(token.as_bytes()).to_hex().to_string()
}

/// `Authorization: Bearer ...` as the token; `None` for another scheme.
pub fn parse_bearer(header: &str) -> Option<&str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// One token as the table keeps it.
#[derive(Debug)]
pub struct TokenEntry {
    pub name: TokenName,
    pub grants: Grants,
    pub expires_at_us: Option<i64>,
    /// When it was last used (microseconds; 0: never, as far as this center
    /// knows), and the value last written to the database.
    last_used_us: AtomicI64,
    saved_us: AtomicI64,
}

impl TokenEntry {
    pub fn new(
        name: TokenName,
        grants: Grants,
        expires_at_us: Option<i64>,
        last_used_us: Option<i64>,
    ) -> TokenEntry {
        let last = last_used_us.unwrap_or(0);
        TokenEntry {
            name,
            grants,
            expires_at_us,
            last_used_us: AtomicI64::new(last),
            saved_us: AtomicI64::new(last),
        }
    }
}

/// Every live token by the hash of its secret.
#[derive(Debug, Default)]
pub struct TokenTable {
    by_hash: HashMap<[u8; 32], Arc<TokenEntry>>,
}

impl TokenTable {
    /// From `(hash hex, entry)` rows; a row whose hash is not 64 hex digits
    /// matches nothing and is left out.
    pub fn new(rows: impl IntoIterator<Item = (String, TokenEntry)>) -> TokenTable {
        let by_hash = rows
            .into_iter()
            .filter_map(|(hash, entry)| {
                let hash = blake3::Hash::from_hex(&hash).ok()?;
                Some((*hash.as_bytes(), Arc::new(entry)))
            })
            .collect();
        TokenTable { by_hash }
    }

    /// Takes over when each token was last used from the table it replaces
    /// (those times are written to the database in batches).
    pub fn carry_usage(&self, old: &TokenTable) {
        for (hash, entry) in &self.by_hash {
            if let Some(before) = old.by_hash.get(hash) {
                let used = before.last_used_us.load(Ordering::Relaxed);
                entry.last_used_us.fetch_max(used, Ordering::Relaxed);
                let saved = before.saved_us.load(Ordering::Relaxed);
                entry.saved_us.fetch_max(saved, Ordering::Relaxed);
            }
        }
    }

    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// The token's entry if it is known and not expired at `now_us`; notes
    /// the use. Unknown, expired and revoked (gone from the table) tokens
    /// all answer `None`.
    pub fn check(&self, token: &str, now_us: i64) -> Option<Arc<TokenEntry>> {
        if token.len() > MAX_TOKEN {
            return None;
        }
        let hash = blake3::hash(token.as_bytes());
        let entry = self.by_hash.get(hash.as_bytes())?;
        if entry.expires_at_us.is_some_and(|at| at <= now_us) {
            return None;
        }
        entry.last_used_us.fetch_max(now_us, Ordering::Relaxed);
        Some(entry.clone())
    }

    /// Tokens used since their last save, with the time, marked saved.
    pub fn take_usage(&self) -> Vec<(TokenName, i64)> {
        self.by_hash
            .values()
            .filter_map(|e| {
                let used = e.last_used_us.load(Ordering::Relaxed);
                let saved = e.saved_us.swap(used, Ordering::Relaxed);
                (used > saved).then(|| (e.name.clone(), used))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    fn table(token: &str, expires: Option<i64>) -> TokenTable {
        let name = TokenName::parse("edge-1").unwrap();
        let entry = TokenEntry::new(name, Grants::everything(Level::Read), expires, None);
        TokenTable::new([(hash(token), entry)])
    }

    #[test]
    fn a_stored_hash_that_is_not_64_hex_digits_matches_nothing() {
        let name = TokenName::parse("edge-1").unwrap();
        let entry = TokenEntry::new(name, Grants::everything(Level::Read), None, None);
        assert!(TokenTable::new([("zz".to_string(), entry)]).is_empty());
    }

    #[test]
    fn tokens_are_random_and_checked_by_hash() {
        let (a, b) = (generate(), generate());
        assert_ne!(a, b);
        assert!(a.starts_with(PREFIX) && a.len() == PREFIX.len() + 64);
        assert_eq!(hash(&a).len(), 64);
        let t = table(&a, None);
        assert_eq!(t.check(&a, 1).unwrap().name.as_str(), "edge-1");
        assert!(t.check(&b, 1).is_none(), "another token");
        assert!(t.check(&a[..a.len() - 1], 1).is_none(), "a prefix");
        assert!(t.check(&"x".repeat(10_000), 1).is_none(), "too long");
    }

    #[test]
    fn expiry_and_usage() {
        let token = generate();
        let t = table(&token, Some(100));
        assert!(t.check(&token, 99).is_some());
        assert!(t.check(&token, 100).is_none(), "expired at its time");
        let used = t.take_usage();
        assert_eq!(used.len(), 1);
        assert_eq!(used[0].1, 99);
        assert!(t.take_usage().is_empty(), "saved once");
        let next = table(&token, None);
        next.carry_usage(&t);
        assert!(next.take_usage().is_empty(), "usage carried, already saved");
    }

    #[test]
    fn bearer_header() {
        assert_eq!(parse_bearer("Bearer sdt_abc"), Some("sdt_abc"));
        assert_eq!(parse_bearer("bearer  sdt_abc "), Some("sdt_abc"));
        assert_eq!(parse_bearer("Basic abc"), None);
    }
}
