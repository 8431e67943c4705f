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

/// Writes `kept` beside `snapshot` (through a temporary file and a rename).
pub fn save(snapshot: &Path, kept: &Value) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    let path = path_of(snapshot);
    let mut tmp = path.clone().into_os_string();
    tmp.push(".tmp");
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(&tmp)?;
    file.write_all(kept.to_string().as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, &path)
}

/// What `save` wrote beside `snapshot`, if it can be read.
pub fn load(snapshot: &Path) -> Option<Value> {
    let path = path_of(snapshot);
    if std::fs::metadata(&path).ok()?.len() > MAX_KEYS_FILE {
        return None;
    }
    serde_json::from_slice(&std::fs::read(path).ok()?).ok()
}
