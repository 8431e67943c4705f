//! The keys file beside the snapshot (`<snapshot>.keys`, mode 0600): what
//! the center last said of each namespace's sealing, the wrapped keys
//! included (they open only with `client.identity_file`), so an edge
//! restarted from its snapshot serves its secret namespaces at once, and
//! nothing of them before it knows they are secret.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;

/// Largest keys file read (a wrapped key is a few hundred bytes).
const MAX_KEYS_FILE: u64 = 16 << 20;

pub fn path_of(snapshot: &Path) -> PathBuf {
    let mut name = snapshot.file_name().unwrap_or_default().to_os_string();
    name.push(".keys");
    snapshot.with_file_name(name)
}

/// Writes `kept` beside `snapshot`, atomically, mode 0600, as the
/// snapshot itself is written.
pub fn save(snapshot: &Path, kept: &Value) -> std::io::Result<()> {
    super::snapshot::write_atomically(&path_of(snapshot), |file| {
        file.write_all(kept.to_string().as_bytes())
    })
}

/// What `save` wrote beside `snapshot`, if it can be read.
pub fn load(snapshot: &Path) -> Option<Value> {
    let path = path_of(snapshot);
    if std::fs::metadata(&path).ok()?.len() > MAX_KEYS_FILE {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
