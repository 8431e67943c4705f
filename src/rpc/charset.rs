//! The character encodings an XML-RPC request may arrive in: UTF-8 (and its
//! subset US-ASCII) and ISO-8859-1, which older XML-RPC clients declare.
//! The Content-Type's charset, when given, decides; else the XML
//! declaration's encoding; else UTF-8.

use std::borrow::Cow;

/// A supported encoding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Latin1,
}

impl Charset {
    /// The encoding a label names (case-insensitive), if supported.
    pub fn named(label: &str) -> Option<Charset> {
        match label.trim().to_ascii_lowercase().as_str() {
            "utf-8" | "utf8" | "us-ascii" | "ascii" => Some(Charset::Utf8),
            "iso-8859-1" | "iso8859-1" | "iso_8859-1" | "latin1" | "latin-1" | "l1" => {
                Some(Charset::Latin1)
            }
            _ => None,
        }
    }

    /// `bytes` as text: UTF-8 checked, ISO-8859-1 mapped byte to code point.
    pub fn decode(self, bytes: &[u8]) -> Result<Cow<'_, str>, std::str::Utf8Error> {
        match self {
            Charset::Utf8 => std::str::from_utf8(bytes).map(Cow::Borrowed),
            Charset::Latin1 => Ok(Cow::Owned(bytes.iter().map(|&b| char::from(b)).collect())),
        }
    }
}

/// The `encoding` an XML declaration at the start of `body` names, if any.
pub fn declared(body: &[u8]) -> Option<&str> {
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
    let rest = body.strip_prefix(b"<?xml")?;
    let end = rest.windows(2).position(|w| w == b"?>")?;
    let declaration = std::str::from_utf8(&rest[..end]).ok()?;
    let after = declaration.split_once("encoding")?.1.trim_start();
    let value = after.strip_prefix('=')?.trim_start();
    let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'')?;
    value[1..].split(quote).next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_declarations_and_decoding() {
        assert_eq!(Charset::named("ISO-8859-1"), Some(Charset::Latin1));
        assert_eq!(Charset::named(" UTF-8 "), Some(Charset::Utf8));
        assert_eq!(Charset::named("shift_jis"), None);
        assert_eq!(
            declared(b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><methodCall/>"),
            Some("ISO-8859-1")
        );
        assert_eq!(
            declared(b"<?xml version='1.0' encoding='utf-8' ?>"),
            Some("utf-8")
        );
        assert_eq!(
            declared(b"<?xml version=\"1.0\"?><a encoding=\"x\"/>"),
            None
        );
        assert_eq!(declared(b"<methodCall/>"), None);
        assert_eq!(Charset::Latin1.decode(b"caf\xe9").unwrap(), "café");
        assert!(Charset::Utf8.decode(b"caf\xe9").is_err());
    }
}
