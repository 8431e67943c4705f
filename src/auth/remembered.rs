//! `RememberedLogins`: successful password checks remembered briefly, so a
//! script or person sending Basic credentials on every call pays argon2id
//! once per `server.remember_logins`, not per call.
//!
//! An entry is keyed by a BLAKE3 keyed hash of the user name and password
//! under a key drawn at start and never stored: the password is not kept,
//! and the key cannot be used to test guesses offline (it never leaves the
//! process). Every entry carries the credentials counter it was made under
//! and counts only while that counter holds, so `user passwd`, `user
//! remove` and grant changes (which bump it) forget it at the center's next
//! revision check. Bounded in entries; a wrong password is never
//! remembered (failures keep going through the rate limit and argon2id).

use std::time::Duration;

use rand_core::{OsRng, RngCore};

use crate::domain::{Grants, Username};

/// Most logins remembered at once (about 200 bytes each).
pub const MAX_REMEMBERED: u64 = 10_000;

#[derive(Clone)]
struct Remembered {
    grants: Grants,
    epoch: i64,
}

pub struct RememberedLogins {
    key: [u8; 32],
    entries: Option<moka::sync::Cache<[u8; 32], Remembered>>,
}

impl RememberedLogins {
    /// Remembers for `ttl` (zero: never).
    pub fn new(ttl: Duration) -> RememberedLogins {
        let mut key = [0u8; 32];
        OsRng.fill_bytes(&mut key);
        let entries = (!ttl.is_zero()).then(|| {
            moka::sync::Cache::builder()
                .max_capacity(MAX_REMEMBERED)
                .time_to_live(ttl)
                .build()
        });
        RememberedLogins { key, entries }
    }

    fn key_of(&self, user: &Username, password: &str) -> [u8; 32] {
        let mut hasher = blake3::Hasher::new_keyed(&self.key);
        // Length-prefixed, so ("ab", "c") and ("a", "bc") differ.
        hasher.update(&(user.len() as u64).to_le_bytes());
        hasher.update(user.as_bytes());
        hasher.update(password.as_bytes());
        *hasher.finalize().as_bytes()
    }

    /// The grants of a login that checked out under credentials `epoch`.
    pub fn recall(&self, user: &Username, password: &str, epoch: i64) -> Option<Grants> {
        let entries = self.entries.as_ref()?;
        let found = entries.get(&self.key_of(user, password))?;
        (found.epoch == epoch).then_some(found.grants)
    }

    pub fn remember(&self, user: &Username, password: &str, grants: Grants, epoch: i64) {
        if let Some(entries) = &self.entries {
            entries.insert(self.key_of(user, password), Remembered { grants, epoch });
        }
    }

    /// Forgets everything (credentials changed).
    pub fn forget_all(&self) {
        if let Some(entries) = &self.entries {
            entries.invalidate_all();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Level;

    #[test]
    fn remembers_right_logins_under_one_epoch() {
        let logins = RememberedLogins::new(Duration::from_secs(60));
        let alice = Username::parse("alice").unwrap();
        let grants = Grants::everything(Level::Read);
        assert!(logins.recall(&alice, "pw-12345", 1).is_none());
        logins.remember(&alice, "pw-12345", grants.clone(), 1);
        assert_eq!(logins.recall(&alice, "pw-12345", 1), Some(grants.clone()));
        assert!(
            logins.recall(&alice, "pw-12346", 1).is_none(),
            "other password"
        );
        assert!(
            logins.recall(&alice, "pw-12345", 2).is_none(),
            "credentials changed"
        );
        logins.forget_all();
        assert!(logins.recall(&alice, "pw-12345", 1).is_none());
        let off = RememberedLogins::new(Duration::ZERO);
        off.remember(&alice, "pw-12345", grants, 1);
        assert!(off.recall(&alice, "pw-12345", 1).is_none());
    }

    #[test]
    fn keys_differ_by_process_and_by_split() {
        let a = RememberedLogins::new(Duration::from_secs(1));
        let b = RememberedLogins::new(Duration::from_secs(1));
        let ab = Username::parse("ab").unwrap();
        let abc = Username::parse("a").unwrap();
        assert_ne!(a.key_of(&ab, "c"), b.key_of(&ab, "c"));
        assert_ne!(a.key_of(&ab, "c"), a.key_of(&abc, "bc"));
    }
}
