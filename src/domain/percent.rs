//! Percent-decoding (RFC 3986) of URL parts: a key in a path, userinfo.

use std::borrow::Cow;

/// `s` with each `%XX` decoded (borrowed when it has none); `None` if an
/// escape is malformed or the bytes are not UTF-8.
pub fn percent_decode(s: &str) -> Option<Cow<'_, str>> {
    if !s.as_bytes().contains(&b'%') {
        return Some(Cow::Borrowed(s));
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().map(Cow::Owned)
}

#[cfg(test)]
mod tests {
    use super::percent_decode;

    #[test]
    fn escapes() {
        assert_eq!(percent_decode("a%2Fb%20%C3%A9").as_deref(), Some("a/b é"));
        assert_eq!(percent_decode("plain").as_deref(), Some("plain"));
        assert_eq!(percent_decode("%ff"), None, "not UTF-8");
        assert_eq!(percent_decode("%4"), None, "cut short");
        assert_eq!(percent_decode("%zz"), None);
    }
}
