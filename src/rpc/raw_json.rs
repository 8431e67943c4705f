//! `RawJson`: a result as JSON text, shared by every reply that uses it,
//! with its XML-RPC `<value>` made once on first use (`XmlValue`).

use std::sync::Arc;

use super::error::RpcError;
use super::xmlrpc;

/// Text known to be valid JSON, cheap to clone (a cached `records.list` is
/// shared by every reply that uses it), with its XML-RPC `<value>` made on
/// first use and shared the same way.
#[derive(Clone)]
pub struct RawJson(Arc<RawInner>);

struct RawInner {
    json: Box<str>,
    xml: std::sync::OnceLock<Result<Box<str>, RpcError>>,
}

impl RawJson {
    /// Wraps text the caller guarantees is one JSON value.
    pub fn from_trusted(text: impl Into<String>) -> RawJson {
        RawJson(Arc::new(RawInner {
            json: text.into().into_boxed_str(),
            xml: std::sync::OnceLock::new(),
        }))
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
