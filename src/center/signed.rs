//! Signatures over namespace digests: the center signs `(namespace, the
//! revision that last changed it, its digest)` when it reads a namespace
//! for a reply, once per revision (the signed replies are cached with the
//! lists and deltas), and writes the signature into the reply.

use super::Center;
use crate::db::records::Digested;
use crate::signing::{LtHash, Signed};

impl Center {
    /// The signature of `ns` as read, if this center signs (and the digest
    /// has been computed).
    pub(super) fn sign(&self, ns: &str, state: &Digested) -> Option<Signed> {
        let signer = self.signer.as_ref()?;
        let digest = LtHash::from_bytes(state.digest.as_deref()?)?;
        Some(signer.sign(ns, state.revision, &digest.checksum()))
    }
}

/// `,"signature":{...}` to append inside a reply object, or nothing.
pub(super) fn signature_member(signed: Option<&Signed>) -> String {
    signed
        .and_then(|s| serde_json::to_string(s).ok())
        .map(|json| format!(r#","signature":{json}"#))
        .unwrap_or_default()
}
