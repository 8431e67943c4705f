//! Signed dataset digests: each namespace's `LtHash`, kept by every write,
//! signed by the center with `(namespace, revision)` and checked by edges
//! with `client.verify_keys` against the digest of what they hold.

mod keys;
mod lthash;

pub use keys::{KeyError, Signer, VerifyKey};
pub use lthash::{LtHash, BYTES as DIGEST_BYTES};

use serde::{Deserialize, Serialize};

/// What a reply carries per namespace: the revision the digest is of (the
/// last that changed the namespace), which key signed, and the signature.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signed {
    pub revision: i64,
    /// The first 16 hex digits of the signing public key.
    pub key: String,
    /// 128 hex digits.
    pub sig: String,
}

/// Why a signed digest was not accepted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    #[error("no signature (client.verify_keys needs a center with server.signing_key_file)")]
    Missing,
    #[error("signed by key {0}, which is not in client.verify_keys")]
    UnknownKey(String),
    #[error("digest mismatch: the data does not match what the center signed")]
    Mismatch,
}

/// The bytes signed: a fixed label, the namespace (length-prefixed), the
/// revision, and the checksum of the digest.
fn message(namespace: &str, revision: i64, checksum: &[u8; 32]) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + namespace.len());
    m.extend_from_slice(b"syncdict signed digest v1\n");
    m.extend_from_slice(&(namespace.len() as u64).to_le_bytes());
    m.extend_from_slice(namespace.as_bytes());
    m.extend_from_slice(&revision.to_le_bytes());
    m.extend_from_slice(checksum);
    m
}

/// Checks that `signed` is a signature, by one of `keys`, of `digest` for
/// `namespace` at the revision it names.
pub fn verify(
    keys: &[VerifyKey],
    namespace: &str,
    digest: &LtHash,
    signed: Option<&Signed>,
) -> Result<(), VerifyError> {
    let signed = signed.ok_or(VerifyError::Missing)?;
    let key = keys
        .iter()
        .find(|k| k.id() == signed.key)
        .ok_or_else(|| VerifyError::UnknownKey(signed.key.chars().take(32).collect()))?;
    let bytes: [u8; 64] = unhex(&signed.sig)
        .and_then(|b| b.try_into().ok())
        .ok_or(VerifyError::Mismatch)?;
    let signature = ed25519_dalek::Signature::from_bytes(&bytes);
    key.0
        .verify_strict(
            &message(namespace, signed.revision, &digest.checksum()),
            &signature,
        )
        .map_err(|_| VerifyError::Mismatch)
}

/// Bytes as lowercase hex digits.
fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

/// Hex digits as bytes; `None` if odd, too long (over 128 bytes) or not hex.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 256 {
        return None;
    }
    let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|p| Some(digit(p[0])? << 4 | digit(p[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signs_and_verifies_with_rotation() {
        let (pem, public) = Signer::generate().unwrap();
        let signer = Signer::new(
            <ed25519_dalek::SigningKey as ed25519_dalek::pkcs8::DecodePrivateKey>::from_pkcs8_pem(
                &pem,
            )
            .unwrap(),
        );
        assert_eq!(signer.public(), public);
        assert_eq!(VerifyKey::parse(&public.to_string()).unwrap(), public);
        let (_, other) = Signer::generate().unwrap();
        let mut digest = LtHash::empty();
        digest.insert("geo", "k", "1", None);
        let signed = signer.sign("geo", 7, &digest.checksum());
        let keys = [other.clone(), public.clone()];
        assert_eq!(verify(&keys, "geo", &digest, Some(&signed)), Ok(()));
        assert_eq!(
            verify(&[other], "geo", &digest, Some(&signed)),
            Err(VerifyError::UnknownKey(signed.key.clone()))
        );
        assert_eq!(
            verify(&keys, "geo", &digest, None),
            Err(VerifyError::Missing)
        );
        // Another namespace, revision or digest: refused.
        assert_eq!(
            verify(&keys, "gep", &digest, Some(&signed)),
            Err(VerifyError::Mismatch)
        );
        let older = Signed {
            revision: 6,
            ..signed.clone()
        };
        assert_eq!(
            verify(&keys, "geo", &digest, Some(&older)),
            Err(VerifyError::Mismatch)
        );
        digest.insert("geo", "k2", "2", None);
        assert_eq!(
            verify(&keys, "geo", &digest, Some(&signed)),
            Err(VerifyError::Mismatch)
        );
        for bad in [
            "",
            "ed25519:zz",
            "rsa:00",
            &format!("ed25519:{}", "0".repeat(62)),
        ] {
            assert!(VerifyKey::parse(bad).is_err(), "{bad}");
        }
    }
}
