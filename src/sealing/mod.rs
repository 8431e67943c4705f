//! Secret namespaces' cryptography, sans I/O: age with X25519 recipients,
//! ASCII-armored (the format of `age -a`, pyrage and age-encryption).
//!
//! - A secret namespace has its own key pair; its `Recipient` is public.
//! - A value is stored as the armored age file of the envelope
//!   `{"ns": NS, "key": KEY, "value": VALUE}` sealed to that recipient
//!   (`seal`); `open` refuses one whose envelope names another namespace
//!   or key, so a ciphertext moved elsewhere is not served.
//! - The namespace's identity is kept only wrapped: the armored age file of
//!   `{"ns": NS, "identity": "AGE-SECRET-KEY-1..."}` sealed to each granted
//!   holder's or edge's own recipient (`wrap`); `unwrap` checks the
//!   namespace and that the identity is the namespace's current one.
//!
//! The center only ever checks that a value is a well-formed age file
//! (`check_sealed`); it holds no identity that opens one.

mod keys;

pub use keys::{generate, read_identity, Identity, KeyError, Recipient};

use std::io::{Read, Write};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The first line of an armored age file.
pub const ARMOR_BEGIN: &str = "-----BEGIN AGE ENCRYPTED FILE-----";

/// Largest plaintext `open` and `unwrap` read (a value is bounded by the
/// center's `server.max_body` before it is sealed).
const MAX_PLAINTEXT: u64 = 64 << 20;

/// Why a value is not an age ciphertext the center stores.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotSealed {
    #[error("a secret namespace stores only age ciphertexts: a JSON string holding an armored age file ({ARMOR_BEGIN}...); seal values with `syncdict secrets put` or `age -a -r RECIPIENT`")]
    NotArmored,
    #[error("not a well-formed age file: {0}")]
    Malformed(String),
    #[error("sealed with a passphrase (scrypt); secret namespaces take X25519 recipients only")]
    Passphrase,
}

/// Why a sealed value or a wrapped key did not open.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    #[error(transparent)]
    NotSealed(#[from] NotSealed),
    #[error("the identity does not open it ({0})")]
    NoKey(String),
    #[error("what it holds is not a syncdict envelope: {0}")]
    Envelope(String),
    #[error("it was sealed for namespace {ns:?}, key {key:?}: moved from elsewhere")]
    Moved { ns: String, key: String },
    #[error("the wrapped identity is not the namespace's current key (rotated since)")]
    Stale,
}

/// Checks that `value` is what a secret namespace stores: a JSON string
/// holding an armored age file whose header parses (it is not opened).
pub fn check_sealed(value: &Value) -> Result<(), NotSealed> {
    let Some(text) = value.as_str() else {
        return Err(NotSealed::NotArmored);
    };
    decryptor(text).map(|_| ())
}

/// What `check_sealed` refuses among `upserts`: the first few (at most
/// `MAX_VIOLATIONS`), each naming its key and why.
pub fn unsealed<'a>(upserts: impl IntoIterator<Item = (&'a str, &'a Value)>) -> Vec<String> {
    let refused = upserts.into_iter().filter_map(|(key, value)| {
        let why = check_sealed(value).err()?;
        Some(format!("{key:?}: {why}"))
    });
    refused.take(crate::domain::MAX_VIOLATIONS).collect()
}

fn decryptor(text: &str) -> Result<age::Decryptor<impl Read + '_>, NotSealed> {
    if !text.trim_start().starts_with(ARMOR_BEGIN) {
        return Err(NotSealed::NotArmored);
    }
    let armored = age::armor::ArmoredReader::new(text.trim().as_bytes());
    let decryptor =
        age::Decryptor::new_buffered(armored).map_err(|e| NotSealed::Malformed(e.to_string()))?;
    if decryptor.is_scrypt() {
        return Err(NotSealed::Passphrase);
    }
    Ok(decryptor)
}

/// `plaintext` sealed to `to`, armored.
fn encrypt(to: &Recipient, plaintext: &[u8]) -> String {
    let recipient = to.as_age();
    let encryptor = age::Encryptor::with_recipients(std::iter::once(recipient as _))
        .expect("one recipient is given");
    let mut out = Vec::with_capacity(plaintext.len() * 4 / 3 + 400);
    let armor = age::armor::ArmoredWriter::wrap_output(&mut out, age::armor::Format::AsciiArmor)
        .expect("writes to memory");
    let mut writer = encryptor.wrap_output(armor).expect("writes to memory");
    writer.write_all(plaintext).expect("writes to memory");
    writer
        .finish()
        .and_then(|armor| armor.finish())
        .expect("writes to memory");
    String::from_utf8(out).expect("armor is ASCII")
}

/// The plaintext of the armored age file `text`, opened with `identity`.
fn decrypt(identity: &Identity, text: &str) -> Result<Vec<u8>, OpenError> {
    let decryptor = decryptor(text)?;
    let mut reader = decryptor
        .decrypt(std::iter::once(identity.as_age() as _))
        .map_err(|e| OpenError::NoKey(e.to_string()))?;
    let mut plaintext = Vec::new();
    (&mut reader)
        .take(MAX_PLAINTEXT)
        .read_to_end(&mut plaintext)
        .map_err(|e| OpenError::NoKey(e.to_string()))?;
    Ok(plaintext)
}

#[derive(Serialize, Deserialize)]
struct ValueEnvelope<'a> {
    ns: std::borrow::Cow<'a, str>,
    key: std::borrow::Cow<'a, str>,
    value: Value,
}

/// `value` of `key` in `ns`, sealed to the namespace's recipient.
pub fn seal(to: &Recipient, ns: &str, key: &str, value: &Value) -> String {
    let envelope = ValueEnvelope {
        ns: ns.into(),
        key: key.into(),
        value: value.clone(),
    };
    let plaintext = serde_json::to_vec(&envelope).expect("a JSON value serializes");
    encrypt(to, &plaintext)
}

/// The value `sealed` holds for `key` in `ns`; refused if it was sealed
/// for another namespace or key.
pub fn open(identity: &Identity, ns: &str, key: &str, sealed: &Value) -> Result<Value, OpenError> {
    let text = sealed.as_str().ok_or(NotSealed::NotArmored)?;
    let plaintext = decrypt(identity, text)?;
    let envelope: ValueEnvelope =
        serde_json::from_slice(&plaintext).map_err(|e| OpenError::Envelope(e.to_string()))?;
    if envelope.ns != ns || envelope.key != key {
        return Err(OpenError::Moved {
            ns: envelope.ns.into_owned(),
            key: envelope.key.into_owned(),
        });
    }
    Ok(envelope.value)
}

#[derive(Serialize, Deserialize)]
struct KeyEnvelope {
    ns: String,
    identity: String,
}

/// The namespace's identity wrapped for one holder or edge.
pub fn wrap(to: &Recipient, ns: &str, key: &Identity) -> String {
    let envelope = KeyEnvelope {
        ns: ns.to_string(),
        identity: key.secret_text(),
    };
    let plaintext = serde_json::to_vec(&envelope).expect("strings serialize");
    encrypt(to, &plaintext)
}

/// The namespace identity in `wrapped`, opened with the holder's own
/// `identity`; refused unless it is of `ns` and its recipient is `current`.
pub fn unwrap(
    identity: &Identity,
    ns: &str,
    current: &Recipient,
    wrapped: &str,
) -> Result<Identity, OpenError> {
    let plaintext = decrypt(identity, wrapped)?;
    let envelope: KeyEnvelope =
        serde_json::from_slice(&plaintext).map_err(|e| OpenError::Envelope(e.to_string()))?;
    if envelope.ns != ns {
        return Err(OpenError::Moved {
            ns: envelope.ns,
            key: String::new(),
        });
    }
    let key: Identity = envelope
        .identity
        .parse()
        .map_err(|e: keys::KeyError| OpenError::Envelope(e.to_string()))?;
    match key.recipient() == *current {
        true => Ok(key),
        false => Err(OpenError::Stale),
    }
}

#[cfg(test)]
mod tests;
