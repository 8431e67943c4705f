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
    /// Set when the digest is of one edge's view under gray releases, not
    /// of the main line: the signature then binds that edge and those
    /// releases too.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<ViewOf>,
}

/// Whose view a signed digest is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ViewOf {
    /// The edge's name (`client.name`).
    pub edge: String,
    /// The releases that reach it in the namespace, ascending.
    pub releases: Vec<i64>,
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
    #[error("the digest is of the view of edge {0:?}, not of this edge")]
    OtherEdge(String),
}

/// The bytes signed: a fixed label, the namespace (length-prefixed), the
/// revision, and the checksum of the digest; for a view, under another
/// label, also the edge's name (length-prefixed) and the releases (counted).
fn message(namespace: &str, revision: i64, checksum: &[u8; 32], view: Option<&ViewOf>) -> Vec<u8> {
    let mut m = Vec::with_capacity(64 + namespace.len());
    m.extend_from_slice(match view {
        None => b"syncdict signed digest v1\n",
        Some(_) => b"syncdict signed view v1\n\0\0",
    });
    m.extend_from_slice(&(namespace.len() as u64).to_le_bytes());
    m.extend_from_slice(namespace.as_bytes());
    m.extend_from_slice(&revision.to_le_bytes());
    m.extend_from_slice(checksum);
    if let Some(view) = view {
        m.extend_from_slice(&(view.edge.len() as u64).to_le_bytes());
        m.extend_from_slice(view.edge.as_bytes());
        m.extend_from_slice(&(view.releases.len() as u64).to_le_bytes());
        for id in &view.releases {
            m.extend_from_slice(&id.to_le_bytes());
        }
    }
    m
}

/// Checks that `signed` is a signature, by one of `keys`, of `digest` for
/// `namespace` at the revision it names (and, for a view, that the view is
/// of the edge named `edge`).
pub fn verify(
    keys: &[VerifyKey],
    (namespace, edge): (&str, &str),
    digest: &LtHash,
    signed: Option<&Signed>,
) -> Result<(), VerifyError> {
    let signed = signed.ok_or(VerifyError::Missing)?;
    if let Some(view) = signed.view.as_ref().filter(|v| v.edge != edge) {
        return Err(VerifyError::OtherEdge(view.edge.chars().take(64).collect()));
    }
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
            &message(
                namespace,
                signed.revision,
                &digest.checksum(),
                signed.view.as_ref(),
            ),
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
        assert_eq!(verify(&keys, ("geo", "e1"), &digest, Some(&signed)), Ok(()));
        assert_eq!(
            verify(&[other], ("geo", "e1"), &digest, Some(&signed)),
            Err(VerifyError::UnknownKey(signed.key.clone()))
        );
        assert_eq!(
            verify(&keys, ("geo", "e1"), &digest, None),
            Err(VerifyError::Missing)
        );
        // Another namespace, revision or digest: refused.
        assert_eq!(
            verify(&keys, ("gep", "e1"), &digest, Some(&signed)),
            Err(VerifyError::Mismatch)
        );
        let older = Signed {
            revision: 6,
            ..signed.clone()
        };
        assert_eq!(
            verify(&keys, ("geo", "e1"), &digest, Some(&older)),
            Err(VerifyError::Mismatch)
        );
        digest.insert("geo", "k2", "2", None);
        assert_eq!(
            verify(&keys, ("geo", "e1"), &digest, Some(&signed)),
            Err(VerifyError::Mismatch)
        );
        // A view: bound to its edge and releases.
        let view = ViewOf {
            edge: "e1".into(),
            releases: vec![3, 5],
        };
        let viewed = signer.sign_view("geo", 7, &digest.checksum(), Some(view.clone()));
        assert_eq!(verify(&keys, ("geo", "e1"), &digest, Some(&viewed)), Ok(()));
        assert_eq!(
            verify(&keys, ("geo", "e2"), &digest, Some(&viewed)),
            Err(VerifyError::OtherEdge("e1".into()))
        );
        let moved = |view: ViewOf| Signed {
            view: Some(view),
            ..viewed.clone()
        };
        let fewer = moved(ViewOf {
            releases: vec![3],
            ..view.clone()
        });
        assert_eq!(
            verify(&keys, ("geo", "e1"), &digest, Some(&fewer)),
            Err(VerifyError::Mismatch)
        );
        let plain = Signed {
            view: None,
            ..viewed.clone()
        };
        assert_eq!(
            verify(&keys, ("geo", "e1"), &digest, Some(&plain)),
            Err(VerifyError::Mismatch),
            "a view's signature is not the main line's"
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
