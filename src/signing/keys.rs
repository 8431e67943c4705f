//! Signing keys (a center's, PKCS#8 PEM on disk) and verify keys (an
//! edge's, `ed25519:` and 64 hex digits in its settings).

use std::path::Path;

use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use ed25519_dalek::{Signer as _, SigningKey, VerifyingKey};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::hex;
use super::{message, Signed, ViewOf};

/// Why a key could not be used.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("cannot read {path}: {error}")]
    Read { path: String, error: std::io::Error },
    #[error("{path} is not an ed25519 private key in PKCS#8 PEM ({error})")]
    Format { path: String, error: String },
    #[error("cannot write the key: {0}")]
    Write(std::io::Error),
}

/// The center's signing key.
pub struct Signer {
    key: SigningKey,
    /// The first 16 hex digits of the public key: which key signed.
    id: String,
}

impl Signer {
    pub fn new(key: SigningKey) -> Signer {
        let id = hex(&key.verifying_key().to_bytes()[..8]);
        Signer { key, id }
    }

    pub fn load(path: &Path) -> Result<Signer, KeyError> {
        let shown = path.display().to_string();
        let pem = std::fs::read_to_string(path).map_err(|error| KeyError::Read {
            path: shown.clone(),
            error,
        })?;
        let key = SigningKey::from_pkcs8_pem(&pem).map_err(|e| KeyError::Format {
            path: shown,
            error: e.to_string(),
        })?;
        Ok(Signer::new(key))
    }

    /// A new random key as PKCS#8 PEM, and its public key.
    pub fn generate() -> Result<(String, VerifyKey), KeyError> {
        let key = SigningKey::generate(&mut rand_core::OsRng);
        let pem = key
            .to_pkcs8_pem(Default::default())
            .map_err(|e| KeyError::Write(std::io::Error::other(e.to_string())))?;
        Ok((pem.to_string(), VerifyKey(key.verifying_key())))
    }

    pub fn public(&self) -> VerifyKey {
        VerifyKey(self.key.verifying_key())
    }

    /// Signs `(namespace, revision, digest checksum)`.
    pub fn sign(&self, namespace: &str, revision: i64, checksum: &[u8; 32]) -> Signed {
        self.sign_view(namespace, revision, checksum, None)
    }

    /// As `sign`, of one edge's view when `view` is given.
    pub fn sign_view(
        &self,
        namespace: &str,
        revision: i64,
        checksum: &[u8; 32],
        view: Option<ViewOf>,
    ) -> Signed {
        let signature = self
            .key
            .sign(&message(namespace, revision, checksum, view.as_ref()));
        Signed {
            revision,
            key: self.id.clone(),
            sig: hex(&signature.to_bytes()),
            view,
        }
    }
}

/// A verify key that is not `ed25519:` and 64 hex digits of a valid key.
#[derive(Debug, thiserror::Error)]
#[error("invalid verify key {0:?}: expected \"ed25519:\" and 64 hex digits")]
pub struct InvalidVerifyKey(String);

/// A public key an edge trusts: `ed25519:` and 64 hex digits.
#[derive(Clone, PartialEq, Eq)]
pub struct VerifyKey(pub(super) VerifyingKey);

impl VerifyKey {
    pub fn parse(text: &str) -> Result<VerifyKey, InvalidVerifyKey> {
        let bad = || InvalidVerifyKey(text.chars().take(80).collect());
        let hex = text.trim().strip_prefix("ed25519:").ok_or_else(bad)?;
        let bytes = super::unhex(hex).ok_or_else(bad)?;
        let bytes: [u8; 32] = bytes.try_into().map_err(|_| bad())?;
        VerifyingKey::from_bytes(&bytes)
            .map(VerifyKey)
            .map_err(|_| bad())
    }

    /// Which key it is in a `Signed` (the first 16 hex digits).
    pub fn id(&self) -> String {
        hex(&self.0.to_bytes()[..8])
    }
}

impl std::fmt::Display for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ed25519:{}", hex(&self.0.to_bytes()))
    }
}

impl std::fmt::Debug for VerifyKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self}")
    }
}

impl Serialize for VerifyKey {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for VerifyKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<VerifyKey, D::Error> {
        let text = String::deserialize(d)?;
        VerifyKey::parse(&text).map_err(de::Error::custom)
    }
}
