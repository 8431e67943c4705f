//! The edge's snapshot file: written atomically with a checksum, read back
//! at start so an edge serves its last data before the first pull.
//!
//! Format: a header line
//! `SYNCDICT-SNAPSHOT 2 revision=R entries=N saved_us=T body_len=L fnv64=H`
//! then L bytes of body, one JSON array
//! `[namespace, key, value, revision, updated_at_us]` per line, with a
//! sixth element `expires_at_us` for a record that expires. Version 1
//! files (lines without the namespace) load into `default`. Anything that
//! does not check out is refused, never trusted.
//!
//! With a signing center, the header also carries `signed=` and the
//! signatures of the namespaces' digests as one JSON object (compact: no
//! spaces), so an edge with `client.verify_keys` verifies the file's data
//! as it verifies a pull, and a file edited on disk is refused at start.
//! `gray=3,5` lists the gray releases the data holds, which the edge
//! names again with its first pull after a restart (so a release it left
//! while stopped is undone by that pull, not by a whole one).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

use super::protocol::{Part, Pulled};
use super::{fnv1a, FNV_OFFSET};
use crate::domain::ReleaseId;
use crate::signing::Signed;

mod decode;
pub use decode::decode;

const MAGIC: &str = "SYNCDICT-SNAPSHOT 2";
/// Files written before namespaces: every entry is in `default`.
const MAGIC_V1: &str = "SYNCDICT-SNAPSHOT 1";

/// One entry as the snapshot writes it: namespace, key, value, revision,
/// updated_at_us, expires_at_us.
pub type Line<'a> = (&'a str, &'a str, &'a str, i64, i64, Option<i64>);

/// Why a snapshot file was not trusted.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SnapshotError {
    /// Not a snapshot this version reads: no header, not text, another
    /// magic, a checksum or entry count that does not match.
    #[error("{0}")]
    Unreadable(&'static str),
    /// A header field missing or not a number.
    #[error("header field {name}: {why}")]
    Field {
        name: &'static str,
        why: &'static str,
    },
    #[error("truncated: body is {body} bytes, header says {header}")]
    Truncated { body: usize, header: i64 },
    /// A body line that is not an entry.
    #[error("line {line}: {why}")]
    Line { line: usize, why: String },
    #[error("bad signed: {0}")]
    Signed(String),
}

/// A snapshot as read back.
#[derive(Debug, PartialEq)]
pub struct Snapshot {
    pub revision: i64,
    /// When the data was saved (microseconds since the epoch).
    pub saved_us: i64,
    /// Each namespace's entries, in file order.
    pub parts: Vec<Part>,
    /// The gray releases the data holds (`gray=3,5` in the header; none
    /// in files written before releases).
    pub gray: Vec<ReleaseId>,
}

/// Decodes a snapshot file's bytes into `store` (each namespace whole);
/// answers when its data was saved, or why it was not used.
pub fn restore(bytes: &[u8], store: &super::store::EdgeStore) -> Result<i64, RestoreError> {
    let snap = decode(bytes)?;
    let saved_us = snap.saved_us;
    store.apply(&snap.into_pulled(), None)?;
    Ok(saved_us)
}

/// Why a snapshot was not loaded into the store.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Snapshot(#[from] SnapshotError),
    #[error(transparent)]
    Apply(#[from] super::store::ApplyError),
}

impl Snapshot {
    /// As a full dataset of each namespace it holds, to apply to the store.
    pub fn into_pulled(self) -> Pulled {
        Pulled {
            revision: Some(self.revision),
            full: true,
            parts: self.parts,
            gray: Some(self.gray),
        }
    }

    /// Entries over all namespaces.
    pub fn entries(&self) -> usize {
        self.parts.iter().map(|p| p.upserts.len()).sum()
    }
}

fn fnv64(bytes: &[u8]) -> u64 {
    fnv1a(FNV_OFFSET, bytes)
}

/// One body line for an entry.
fn line(out: &mut Vec<u8>, (namespace, key, value, revision, updated, expires): Line<'_>) {
    out.clear();
    out.push(b'[');
    // Namespace names need no escaping ([a-z0-9._-]).
    out.push(b'"');
    out.extend_from_slice(namespace.as_bytes());
    out.extend_from_slice(b"\",");
    out.extend_from_slice(serde_json::to_string(key).unwrap_or_default().as_bytes());
    out.push(b',');
    out.extend_from_slice(value.as_bytes());
    out.extend_from_slice(format!(",{revision},{updated}").as_bytes());
    if let Some(at) = expires {
        out.extend_from_slice(format!(",{at}").as_bytes());
    }
    out.extend_from_slice(b"]\n");
}

/// Each namespace's signed digest, by name.
pub type Signatures = BTreeMap<String, Signed>;

/// What a snapshot keeps besides its records: the signed digests and the
/// gray releases the data holds.
pub type Held<'a> = (&'a Signatures, &'a [ReleaseId]);

fn header(
    revision: i64,
    saved_us: i64,
    (signed, gray): Held<'_>,
    (entries, body_len, checksum): (u64, u64, u64),
) -> String {
    let signed = match signed.is_empty() {
        true => String::new(),
        false => format!(
            " signed={}",
            serde_json::to_string(signed).unwrap_or_default()
        ),
    };
    let gray = match gray.is_empty() {
        true => String::new(),
        false => {
            let ids: Vec<String> = gray.iter().map(|id| id.0.to_string()).collect();
            format!(" gray={}", ids.join(","))
        }
    };
    format!("{MAGIC} revision={revision} entries={entries} saved_us={saved_us} body_len={body_len} fnv64={checksum:016x}{signed}{gray}\n")
}

/// Streams `rows()` to `path` atomically, in two passes (one to size and
/// checksum the body, one to write it) so no copy of the data is built.
pub fn write<'a, I, F>(
    path: &Path,
    revision: i64,
    saved_us: i64,
    held: Held<'_>,
    rows: F,
) -> std::io::Result<()>
where
    F: Fn() -> I,
    I: Iterator<Item = Line<'a>>,
{
    let mut buf = Vec::new();
    let (mut entries, mut body_len, mut checksum) = (0u64, 0u64, FNV_OFFSET);
    for row in rows() {
        line(&mut buf, row);
        entries += 1;
        body_len += buf.len() as u64;
        checksum = fnv1a(checksum, &buf);
    }
    write_atomically(path, |file| {
        let head = header(revision, saved_us, held, (entries, body_len, checksum));
        file.write_all(head.as_bytes())?;
        for row in rows() {
            line(&mut buf, row);
            file.write_all(&buf)?;
        }
        Ok(())
    })
}

/// The whole snapshot in memory (tests).
#[cfg(test)]
fn encode<'a>(
    revision: i64,
    saved_us: i64,
    held: Held<'_>,
    rows: impl Iterator<Item = Line<'a>>,
) -> Vec<u8> {
    let (mut body, mut buf, mut entries) = (Vec::new(), Vec::new(), 0u64);
    for row in rows {
        line(&mut buf, row);
        body.extend_from_slice(&buf);
        entries += 1;
    }
    let counts = (entries, body.len() as u64, fnv64(&body));
    let mut out = header(revision, saved_us, held, counts).into_bytes();
    out.extend_from_slice(&body);
    out
}

/// A new temporary file beside the target: an unpredictable name, created
/// exclusively (an existing file or symlink there is never followed), mode
/// 0600 (the snapshot holds every record).
fn create_temp(dir: &Path, name: &str) -> std::io::Result<(std::path::PathBuf, std::fs::File)> {
    use rand_core::RngCore;
    use std::os::unix::fs::OpenOptionsExt;
    let mut last = None;
    for _ in 0..8 {
        let temp = dir.join(format!(".{name}.{:016x}.tmp", rand_core::OsRng.next_u64()));
        let created = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&temp);
        match created {
            Ok(file) => return Ok((temp, file)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| std::io::Error::other("no temporary file")))
}

/// Writes a file atomically: `fill` writes a temporary file beside `path`
/// (mode 0600, see `create_temp`), then fsync, rename, fsync of the
/// directory. The snapshot and its keys file (`keys_file`) are written so.
pub(crate) fn write_atomically(
    path: &Path,
    fill: impl FnOnce(&mut std::io::BufWriter<&std::fs::File>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let (temp, file) = create_temp(dir, &name)?;
    let result = (|| {
        let mut writer = std::io::BufWriter::new(&file);
        fill(&mut writer)?;
        writer.flush()?;
        drop(writer);
        file.sync_all()?;
        std::fs::rename(&temp, path)?;
        std::fs::File::open(dir)?.sync_all()
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    result
}

#[cfg(test)]
mod tests;
