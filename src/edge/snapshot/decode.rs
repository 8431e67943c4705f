//! Reading a snapshot file back: the header checked, then the body's lines
//! grouped into one part per namespace.

use serde_json::value::RawValue;

use super::{fnv64, Signatures, Snapshot, SnapshotError, MAGIC, MAGIC_V1};
use crate::domain::{held_releases, Namespace};
use crate::edge::protocol::{Item, Part};

/// A version 2 line; the expiry is there only for a record that expires.
#[derive(serde::Deserialize)]
struct LineV2(
    String,
    String,
    Box<RawValue>,
    i64,
    i64,
    #[serde(default)] Option<i64>,
);

pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
    let newline = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(SnapshotError::Unreadable("no header line"))?;
    let header = std::str::from_utf8(&bytes[..newline])
        .map_err(|_| SnapshotError::Unreadable("header is not text"))?;
    let (rest, v1) = match (header.strip_prefix(MAGIC), header.strip_prefix(MAGIC_V1)) {
        (Some(rest), _) => (rest, false),
        (None, Some(rest)) => (rest, true),
        _ => {
            let other = "not a syncdict snapshot (or another version)";
            return Err(SnapshotError::Unreadable(other));
        }
    };
    let field = |name: &'static str| -> Result<&str, SnapshotError> {
        rest.split_whitespace()
            .find_map(|kv| kv.strip_prefix(name).and_then(|v| v.strip_prefix('=')))
            .ok_or(SnapshotError::Field {
                name,
                why: "missing",
            })
    };
    let number = |name: &'static str| -> Result<i64, SnapshotError> {
        let why = "not a number";
        field(name)?
            .parse()
            .map_err(|_| SnapshotError::Field { name, why })
    };
    let body = &bytes[newline + 1..];
    if body.len() as i64 != number("body_len")? {
        return Err(SnapshotError::Truncated {
            body: body.len(),
            header: number("body_len")?,
        });
    }
    let checksum = u64::from_str_radix(field("fnv64")?, 16).map_err(|_| SnapshotError::Field {
        name: "fnv64",
        why: "not hexadecimal",
    })?;
    if fnv64(body) != checksum {
        return Err(SnapshotError::Unreadable("checksum mismatch"));
    }
    let text =
        std::str::from_utf8(body).map_err(|_| SnapshotError::Unreadable("body is not UTF-8"))?;
    let (mut parts, entries) = body_parts(text, v1)?;
    if entries != number("entries")? {
        return Err(SnapshotError::Unreadable("entry count mismatch"));
    }
    if let Ok(text) = field("signed") {
        let mut signed: Signatures =
            serde_json::from_str(text).map_err(|e| SnapshotError::Signed(e.to_string()))?;
        for part in &mut parts {
            part.signed = signed.remove(part.namespace.as_str());
        }
    }
    Ok(Snapshot {
        revision: number("revision")?,
        saved_us: number("saved_us")?,
        parts,
        gray: held_releases(field("gray").ok().map(str::as_bytes)),
    })
}

/// The body's entries, grouped into one part per namespace (in file
/// order), and how many there were. `v1`: lines of the first format, all
/// of the `default` namespace.
fn body_parts(text: &str, v1: bool) -> Result<(Vec<Part>, i64), SnapshotError> {
    let mut parts: Vec<Part> = Vec::new();
    let mut entries = 0i64;
    for (i, line) in text.lines().enumerate() {
        let bad = |why: String| SnapshotError::Line { line: i + 1, why };
        let (namespace, key, value, revision, updated_at_us, expires_at_us) = if v1 {
            let (key, value, revision, updated): (String, Box<RawValue>, i64, i64) =
                serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            (Namespace::default(), key, value, revision, updated, None)
        } else {
            let LineV2(ns, key, value, revision, updated, expires) =
                serde_json::from_str(line).map_err(|e| bad(e.to_string()))?;
            let ns = Namespace::parse(ns).map_err(|e| bad(e.to_string()))?;
            (ns, key, value, revision, updated, expires)
        };
        let item = Item {
            key,
            value: value.get().to_string(),
            revision,
            updated_at_us,
            expires_at_us,
        };
        match parts.last_mut() {
            Some(part) if part.namespace == namespace => part.upserts.push(item),
            _ => parts.push(Part {
                signed: None,
                namespace,
                upserts: vec![item],
                deletes: Vec::new(),
            }),
        }
        entries += 1;
    }
    Ok((parts, entries))
}
