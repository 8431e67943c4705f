//! age X25519 key pairs as types: an `Identity` (secret, never printed)
//! and its public `Recipient` (`age1...`).

use std::fmt;
use std::str::FromStr;

use age::secrecy::ExposeSecret;

/// Why a key or an identity file was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("not an age X25519 recipient (age1...): {0}")]
    Recipient(String),
    #[error("not an age X25519 identity (AGE-SECRET-KEY-1...)")]
    Identity,
    #[error("the identity file holds no AGE-SECRET-KEY-1 line")]
    NoIdentity,
}

/// An age X25519 identity: a holder's, an edge's or a namespace's.
#[derive(Clone)]
pub struct Identity(age::x25519::Identity);

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Identity({})", self.recipient())
    }
}

impl Identity {
    pub fn recipient(&self) -> Recipient {
        Recipient(self.0.to_public())
    }

    /// `AGE-SECRET-KEY-1...`: only ever written sealed or to a 0600 file.
    pub fn secret_text(&self) -> String {
        self.0.to_string().expose_secret().to_string()
    }

    pub(super) fn as_age(&self) -> &age::x25519::Identity {
        &self.0
    }
}

impl FromStr for Identity {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        age::x25519::Identity::from_str(s.trim())
            .map(Identity)
            .map_err(|_| KeyError::Identity)
    }
}

/// A new random identity.
pub fn generate() -> Identity {
    Identity(age::x25519::Identity::generate())
}

/// The identity in the text of an identity file as `age-keygen` and
/// `syncdict secrets keygen` write it (comment lines, then the key).
pub fn read_identity(text: &str) -> Result<Identity, KeyError> {
    text.lines()
        .map(str::trim)
        .find(|l| l.starts_with("AGE-SECRET-KEY-1"))
        .ok_or(KeyError::NoIdentity)?
        .parse()
}

/// An age X25519 recipient (`age1...`), the public half.
#[derive(Clone)]
pub struct Recipient(age::x25519::Recipient);

impl Recipient {
    pub(super) fn as_age(&self) -> &age::x25519::Recipient {
        &self.0
    }
}

impl PartialEq for Recipient {
    fn eq(&self, other: &Self) -> bool {
        self.to_string() == other.to_string()
    }
}

impl Eq for Recipient {}

impl fmt::Display for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for Recipient {
    type Err = KeyError;
    fn from_str(s: &str) -> Result<Self, KeyError> {
        let short: String = s.chars().take(80).collect();
        age::x25519::Recipient::from_str(s.trim())
            .map(Recipient)
            .map_err(|_| KeyError::Recipient(short))
    }
}
