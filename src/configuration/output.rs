//! `[[output]]`: files an edge keeps rendered from its data for programs
//! that read files (nginx maps, HAProxy lists, env files), with a check
//! before each replacement and a command after it.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::units::HumanDuration;
use crate::domain::Namespace;

/// What an output file holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// One namespace: `{key: value}`; several: `{namespace: {key: value}}`;
    /// keys sorted, pretty-printed.
    Json,
    /// One `{"namespace", "key", "value"}` object per line, sorted.
    Ndjson,
    /// `KEY='value'` lines (strings as they are, other values as JSON,
    /// single-quoted for sh and systemd); a key that is not a variable
    /// name fails the render.
    Env,
    /// `template` (Jinja syntax, minijinja) with `namespaces` (`{ns: {key:
    /// value}}`), `records` (the first namespace's `{key: value}`) and
    /// `revision`.
    Template,
    /// An LMDB environment in the directory `path`: one named database per
    /// namespace, each applied change one write transaction, read by local
    /// programs through `clients/` (ARCHITECTURE.md, "The local read
    /// store").
    Lmdb,
}

/// One `[[output]]` section.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OutputSettings {
    /// The file written (replaced atomically). Required.
    pub path: PathBuf,
    /// `json`, `ndjson`, `env` or `template`. Required.
    pub format: OutputFormat,
    /// Namespaces rendered (each one the edge pulls). Default `["default"]`.
    #[serde(default = "default_namespaces")]
    pub namespaces: Vec<Namespace>,
    /// The template file, for `format = "template"`.
    #[serde(default, with = "super::client::optional_path")]
    pub template: Option<PathBuf>,
    /// The file's permissions, octal. Default `"0644"`.
    #[serde(default = "default_mode")]
    pub mode: String,
    /// Run (with `sh -c`) on the new file before it replaces the old one,
    /// `{tmp}` standing for its path (e.g. `nginx -t -c {tmp}`): a failure
    /// keeps the old file. Default none.
    #[serde(default)]
    pub check_command: Option<String>,
    /// Run (with `sh -c`) after the file was replaced (e.g. `nginx -s
    /// reload`); `{path}` stands for the file. Default none.
    #[serde(default)]
    pub command: Option<String>,
    /// Longest a check or command may run before it is killed (and counted
    /// as failed). Default `"30s"`.
    #[serde(default = "default_timeout")]
    pub command_timeout: HumanDuration,
}

fn default_namespaces() -> Vec<Namespace> {
    vec![Namespace::default()]
}

fn default_mode() -> String {
    "0644".into()
}

fn default_timeout() -> HumanDuration {
    HumanDuration(std::time::Duration::from_secs(30))
}

/// An output's `mode` that is not an octal file mode.
#[derive(Debug, thiserror::Error)]
#[error("{0:?} is not an octal file mode such as \"0644\"")]
pub struct InvalidMode(String);

impl OutputSettings {
    /// The file mode as bits, or why it is not one.
    pub fn mode_bits(&self) -> Result<u32, InvalidMode> {
        match u32::from_str_radix(self.mode.trim_start_matches("0o"), 8) {
            Ok(bits) if bits <= 0o7777 => Ok(bits),
            _ => Err(InvalidMode(self.mode.clone())),
        }
    }

    /// How logs, the page and `/metrics` name this output: its path.
    pub fn name(&self) -> String {
        self.path.display().to_string()
    }
}
