//! Reading `secrets.*` params: recipients, wrapped keys and grants.

use serde_json::Value;

use crate::domain::{WrappedKey, MAX_SECRET_GRANTS};
use crate::rpc::RpcError;
use crate::sealing::{check_sealed, Recipient};

/// An age X25519 recipient (`age1...`), as its canonical text.
pub fn recipient(name: &str, v: Value) -> Result<String, RpcError> {
    let text = crate::rpc::args::string(name, v)?;
    let parsed: Recipient = text
        .parse()
        .map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))?;
    Ok(parsed.to_string())
}

/// An armored age file (a wrapped key), checked well formed.
pub fn wrapped(name: &str, v: Value) -> Result<String, RpcError> {
    check_sealed(&v).map_err(|e| RpcError::invalid_params(format!("{name:?}: {e}")))?;
    crate::rpc::args::string(name, v)
}

/// `[{recipient, wrapped}, ...]`: at least one, at most
/// `MAX_SECRET_GRANTS`, each recipient once.
pub fn grants(name: &str, v: Value) -> Result<Vec<WrappedKey>, RpcError> {
    let invalid = |why: String| RpcError::invalid_params(format!("{name:?}: {why}"));
    let Value::Array(items) = v else {
        return Err(invalid("must be an array of {recipient, wrapped}".into()));
    };
    if items.is_empty() || items.len() > MAX_SECRET_GRANTS {
        return Err(invalid(format!(
            "from 1 to {MAX_SECRET_GRANTS} grants (someone must hold the key)"
        )));
    }
    let mut out: Vec<WrappedKey> = Vec::with_capacity(items.len());
    for item in items {
        let Value::Object(mut item) = item else {
            return Err(invalid("each grant is {recipient, wrapped}".into()));
        };
        let take = |item: &mut serde_json::Map<String, Value>, k: &str| {
            item.remove(k).unwrap_or(Value::Null)
        };
        let key = WrappedKey {
            recipient: recipient("recipient", take(&mut item, "recipient"))?,
            wrapped: wrapped("wrapped", take(&mut item, "wrapped"))?,
        };
        if out.iter().any(|g| g.recipient == key.recipient) {
            return Err(invalid(format!("{} is granted twice", key.recipient)));
        }
        out.push(key);
    }
    Ok(out)
}
