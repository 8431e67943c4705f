//! `Body`: a reply as pieces. Small pieces are copied into a buffer; a
//! large result is shared with the cache it came from (its `Arc`), so a
//! batch that repeats a cached `records.list` costs no copy of it, and many
//! such replies at once hold one dataset, not one each.

use bytes::Bytes;

use super::{RawJson, XmlValue};

/// Results at least this large are shared, not copied.
const SHARE_FROM: usize = 4096;

#[derive(Debug, Default)]
pub struct Body {
    chunks: Vec<Bytes>,
    pending: Vec<u8>,
    len: usize,
}

impl Body {
    /// An empty body whose first small pieces (a reply's envelope and a
    /// small result) fit without growing its buffer.
    pub fn new() -> Body {
        Body {
            pending: Vec::with_capacity(256),
            ..Body::default()
        }
    }

    /// Copies `bytes` in.
    pub fn extend(&mut self, bytes: &[u8]) {
        self.pending.extend_from_slice(bytes);
        self.len += bytes.len();
    }

    /// A JSON result: shared when large, copied when small.
    pub fn push_json(&mut self, raw: &RawJson) {
        let text = raw.as_str();
        if text.len() < SHARE_FROM {
            return self.extend(text.as_bytes());
        }
        self.flush();
        self.len += text.len();
        self.chunks.push(Bytes::from_owner(raw.clone()));
    }

    /// A result's XML-RPC `<value>`, shared like a large JSON result.
    pub fn push_xml(&mut self, xml: XmlValue) {
        let len = xml.as_ref().len();
        if len < SHARE_FROM {
            return self.extend(xml.as_ref());
        }
        self.flush();
        self.len += len;
        self.chunks.push(Bytes::from_owner(xml));
    }

    /// Appends another body's pieces.
    pub fn append(&mut self, other: Body) {
        if other.chunks.is_empty() {
            return self.extend(&other.pending);
        }
        self.flush();
        self.len += other.len;
        self.chunks.extend(other.chunks);
        self.pending = other.pending;
    }

    fn flush(&mut self) {
        if !self.pending.is_empty() {
            let pending = std::mem::take(&mut self.pending);
            self.chunks.push(Bytes::from(pending));
        }
    }

    /// Bytes in all.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The pieces, in order.
    pub fn into_chunks(mut self) -> Vec<Bytes> {
        self.flush();
        self.chunks
    }

    /// The whole body in one buffer (tests, small replies).
    pub fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        for chunk in &self.chunks {
            out.extend_from_slice(chunk);
        }
        out.extend_from_slice(&self.pending);
        out
    }
}

impl From<Bytes> for Body {
    /// One shared piece (a kept reply, `super::replay`).
    fn from(bytes: Bytes) -> Body {
        Body {
            len: bytes.len(),
            chunks: vec![bytes],
            pending: Vec::new(),
        }
    }
}

impl From<Vec<u8>> for Body {
    fn from(bytes: Vec<u8>) -> Body {
        Body {
            len: bytes.len(),
            pending: bytes,
            chunks: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn large_results_are_shared_not_copied() {
        let big = RawJson::from_trusted(format!("\"{}\"", "x".repeat(SHARE_FROM)));
        let mut body = Body::new();
        body.extend(b"[");
        body.push_json(&big);
        body.extend(b",");
        body.push_json(&big);
        body.push_json(&RawJson::from_trusted("1"));
        body.extend(b"]");
        let text = String::from_utf8(body.to_vec()).unwrap();
        assert_eq!(text, format!("[{},{}1]", big.as_str(), big.as_str()));
        assert_eq!(body.len(), text.len());
        let chunks = body.into_chunks();
        let shared: Vec<_> = chunks
            .iter()
            .filter(|c| c.as_ptr() == big.as_str().as_ptr())
            .collect();
        assert_eq!(shared.len(), 2, "both copies are the cache's own bytes");
    }

    /// A result's XML is made once and every reply shares it.
    #[test]
    fn xml_is_made_once_and_shared() {
        let list = RawJson::from_trusted(format!("[\"{}\"]", "y".repeat(SHARE_FROM)));
        let (mut one, mut two) = (Body::new(), Body::new());
        one.push_xml(list.xml().unwrap());
        two.push_xml(list.xml().unwrap());
        let (one, two) = (one.into_chunks(), two.into_chunks());
        assert_eq!(one[0].as_ptr(), two[0].as_ptr(), "the same bytes");
        assert!(String::from_utf8(one[0].to_vec())
            .unwrap()
            .starts_with("<value><array><data>"));
        let bad = RawJson::from_trusted("\"\\u0001\"");
        assert!(bad.xml().is_err(), "XML 1.0 cannot carry it");
    }
}
