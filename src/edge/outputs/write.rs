//! Putting an output in place: a temporary file beside it (mode set,
//! fsynced), the check command on it, an atomic rename, the directory
//! fsynced, then the command; each command killed after its timeout.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::configuration::OutputSettings;

/// Why an output was not put in place, or its command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WriteError {
    #[error("writing {path}: {why}")]
    Io { path: String, why: String },
    #[error("check_command refused the new file ({0}); the old file stays")]
    Check(CommandFailed),
    #[error("command failed ({0})")]
    Command(CommandFailed),
}

/// The temporary file an output is written to before the rename.
pub fn temporary(path: &Path) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".syncdict-tmp");
    path.with_file_name(name)
}

/// Writes `bytes` to `o.path` with file `mode` unless it already holds
/// them; answers whether the file was replaced. The check runs on the
/// temporary file.
pub async fn replace(o: &OutputSettings, bytes: Vec<u8>, mode: u32) -> Result<bool, WriteError> {
    let path = o.path.clone();
    let tmp = temporary(&path);
    let io = |why: String| WriteError::Io {
        path: path.display().to_string(),
        why,
    };
    let (p, t) = (path.clone(), tmp.clone());
    let staged = actix_web::rt::task::spawn_blocking(move || stage(&p, &t, &bytes, mode))
        .await
        .map_err(|e| io(e.to_string()))?
        .map_err(|e| io(e.to_string()))?;
    if !staged {
        return Ok(false);
    }
    if let Some(check) = &o.check_command {
        let command = check.replace("{tmp}", &tmp.display().to_string());
        if let Err(why) = run(&command, o.command_timeout.get()).await {
            let _ = std::fs::remove_file(&tmp);
            return Err(WriteError::Check(why));
        }
    }
    let (p, t) = (path.clone(), tmp.clone());
    actix_web::rt::task::spawn_blocking(move || commit(&t, &p))
        .await
        .map_err(|e| io(e.to_string()))?
        .map_err(|e| io(e.to_string()))?;
    Ok(true)
}

/// Writes the temporary file, unless `path` holds `bytes` already.
fn stage(path: &Path, tmp: &Path, bytes: &[u8], mode: u32) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    let mut file = std::fs::File::create(tmp)?;
    file.write_all(bytes)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    file.sync_all()?;
    Ok(true)
}

/// Renames the temporary file into place and fsyncs the directory.
fn commit(tmp: &Path, path: &Path) -> std::io::Result<()> {
    std::fs::rename(tmp, path)?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::File::open(dir)?.sync_all()
}

/// Runs `command` with `sh -c`, killed after `timeout`; the error says
/// how it ended and the start of what it printed.
pub async fn run(command: &str, timeout: Duration) -> Result<(), CommandFailed> {
    let child = tokio::process::Command::new("sh")
        .arg("-c")
        .arg(command)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| CommandFailed::Spawn(e.kind()))?;
    let output = match tokio::time::timeout(timeout, child.wait_with_output()).await {
        Ok(Ok(output)) => output,
        Ok(Err(e)) => return Err(CommandFailed::Wait(e.kind())),
        Err(_) => return Err(CommandFailed::Killed(timeout)),
    };
    if output.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(if output.stderr.is_empty() {
        &output.stdout
    } else {
        &output.stderr
    });
    let said: String = said.trim().chars().take(200).collect();
    Err(CommandFailed::Exit(output.status, said))
}

/// How an output's command failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandFailed {
    #[error("cannot run sh: {0}")]
    Spawn(std::io::ErrorKind),
    #[error("{0}")]
    Wait(std::io::ErrorKind),
    #[error("killed after {0:?}")]
    Killed(Duration),
    /// Its exit status and the start of what it printed.
    #[error("{0}: {1}")]
    Exit(std::process::ExitStatus, String),
}
