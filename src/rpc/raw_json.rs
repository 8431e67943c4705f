//! `RawJson`: a result as JSON text, shared by every reply that uses it,
//! with its XML-RPC `<value>` made once on first use (`XmlValue`), and the
//! signed digest that vouches for it, if any (`Vouch`).

use std::sync::Arc;

use super::error::RpcError;
use super::xmlrpc;
use crate::signing::Signed;

/// Text known to be valid JSON, cheap to clone (a cached `records.list` is
/// shared by every reply that uses it), with its XML-RPC `<value>` made on
/// first use and shared the same way.
#[derive(Clone)]
pub struct RawJson(Arc<RawInner>);

struct RawInner {
    json: Box<str>,
    xml: std::sync::OnceLock<Result<Box<str>, RpcError>>,
    vouch: Option<Vouch>,
}

/// A namespace's signed digest that a result is the whole of (a signing
/// center's `records.list`): the reply's `Syncdict-Signature` header, as
/// the result itself stays the bare array the original clients read.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Vouch {
    pub namespace: String,
    #[serde(flatten)]
    pub signed: Signed,
}

impl RawJson {
    /// Wraps text the caller guarantees is one JSON value.
    pub fn from_trusted(text: impl Into<String>) -> RawJson {
        RawJson(Arc::new(RawInner {
            json: text.into().into_boxed_str(),
            xml: std::sync::OnceLock::new(),
            vouch: None,
        }))
    }

    /// The same text, vouched for by `namespace`'s signed digest (made once
    /// per revision: the text is copied).
    pub fn vouched(&self, namespace: &str, signed: Signed) -> RawJson {
        RawJson(Arc::new(RawInner {
            json: self.0.json.clone(),
            xml: std::sync::OnceLock::new(),
            vouch: Some(Vouch {
                namespace: namespace.to_string(),
                signed,
            }),
        }))
    }

    pub fn vouch(&self) -> Option<&Vouch> {
        self.0.vouch.as_ref()
    }

    pub fn of<T: serde::Serialize>(value: &T) -> RawJson {
        RawJson::from_trusted(serde_json::to_string(value).unwrap_or_else(|_| "null".into()))
    }

    pub fn as_str(&self) -> &str {
        &self.0.json
    }

    /// The XML-RPC `<value>` of this JSON, made once (a fault if it holds a
    /// character XML 1.0 cannot carry); shareable as a reply piece.
    pub fn xml(&self) -> Result<XmlValue, RpcError> {
        match self.0.xml.get_or_init(|| xmlrpc::value_xml(&self.0.json)) {
            Ok(_) => Ok(XmlValue(self.clone())),
            Err(e) => Err(e.clone()),
        }
    }
}

/// The XML of a `RawJson` whose XML was made (`RawJson::xml`).
pub struct XmlValue(RawJson);

impl AsRef<[u8]> for XmlValue {
    fn as_ref(&self) -> &[u8] {
        match self.0 .0.xml.get() {
            Some(Ok(xml)) => xml.as_bytes(),
            _ => b"",
        }
    }
}

impl std::fmt::Debug for RawJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("RawJson").field(&self.as_str()).finish()
    }
}

impl PartialEq for RawJson {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for RawJson {}

/// Its bytes, so a reply can share them (`Body::push_json`).
impl AsRef<[u8]> for RawJson {
    fn as_ref(&self) -> &[u8] {
        self.0.json.as_bytes()
    }
}
