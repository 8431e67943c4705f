//! `[client]`: the edge role, pulling from one or more centers.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

use super::units::{InvalidValue, StringOrInt};
use super::UpstreamUrl;
use super::{ByteSize, HumanDuration};
use crate::domain::{Namespace, Selection};
use crate::signing::VerifyKey;

/// How the edge asks its upstream for data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PullMode {
    /// `records.changes(since)` against a syncdict center: only what changed.
    Changes,
    /// Any method returning an array of objects (a center of the original
    /// design): the whole dataset each time.
    Method,
}

impl PullMode {
    pub const ALL: [PullMode; 2] = [PullMode::Changes, PullMode::Method];

    /// The name used in settings and on the status page.
    pub fn label(self) -> &'static str {
        match self {
            PullMode::Changes => "changes",
            PullMode::Method => "method",
        }
    }
}

/// The JSON-RPC version an edge speaks in `method` mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum JsonRpcVersion {
    /// No `"jsonrpc"` member (rpc4django-era centers).
    #[serde(rename = "1.0")]
    V1,
    #[serde(rename = "2.0")]
    V2,
}

/// `[client]` settings. Every field has a default; see `Settings.toml`.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClientSettings {
    /// This edge's name, sent with each pull (`Syncdict-Edge`) for the
    /// centers' fleet view: 1 to 64 of A-Z, a-z, 0-9, '.', '_', '-'.
    /// Default `""`: the host name.
    pub name: String,
    /// This edge's labels, sent with each pull (`Syncdict-Edge-Labels`)
    /// for the fleet view and gray releases: at most 8, keys 1 to 32 of
    /// a-z, 0-9, '.', '_', '-', values 1 to 32 of A-Z, a-z, 0-9, '.', '_',
    /// '-'. Default `{}`.
    pub labels: std::collections::BTreeMap<String, String>,
    /// JSON-RPC URLs tried in order; on failure the next one. Empty means this
    /// process's own /RPC (needs the center role). Default `[]`.
    pub upstreams: Vec<UpstreamUrl>,
    /// The namespaces pulled, in one request: `["*"]`, every namespace the
    /// edge may read (new ones join, deleted ones go; needs a syncdict
    /// center of this version), or names. `["default"]` alone is sent as
    /// the original `records.changes(since)`, which any center answers.
    /// Default `["*"]`.
    pub namespaces: Selection,
    /// Byte budgets of their own for some of `namespaces` (nginx sizes); the
    /// others share `cache_size`. A namespace that does not fit is refused
    /// and reported while the others keep updating. Default `{}`.
    pub namespace_sizes: BTreeMap<Namespace, ByteSize>,
    /// `"changes"` or `"method"`. Default `"changes"`.
    pub mode: PullMode,
    /// The namespace `method` mode pulls into (one of `namespaces`).
    /// Default `"default"`.
    pub method_namespace: Namespace,
    /// Method called in `method` mode. Default `"testrpc.MyRPC"`.
    pub method: String,
    /// JSON-RPC version spoken in `method` mode: `"2.0"` or `"1.0"`. Default `"2.0"`.
    pub jsonrpc_version: JsonRpcVersion,
    /// In `method` mode, the field of each row that is its key. Default `"name"`.
    pub key_field: String,
    /// In `method` mode, store only this field of each row; unset stores the
    /// whole row object. Default unset.
    pub value_field: Option<String>,
    /// Time between pulls. Default `"6s"`.
    pub interval: HumanDuration,
    /// Time limit of one request to one upstream. Default `"5s"`.
    pub timeout: HumanDuration,
    /// Held pulls: ask the center to hold each `records.changes` up to
    /// this long while nothing changes, and send the next one as soon as
    /// one returns, so changes arrive in about a second instead of within
    /// `interval`. A center that does not hold (or refuses `wait`) is
    /// pulled every `interval`, failures back off as always; the request
    /// timeout is this plus `timeout`. `changes` mode only. Default `"0s"`
    /// (off: the original design's pull every `interval`).
    pub hold: HumanDuration,
    /// After an upstream fails it is tried after the others for this long,
    /// then preferred again (so the edge returns to its first center).
    /// Default `"30s"`.
    pub upstream_cooldown: HumanDuration,
    /// HTTP Basic credentials for the upstreams. Default unset.
    pub username: Option<String>,
    /// Never printed. Default unset.
    #[serde(serialize_with = "mask_secret")]
    pub password: Option<String>,
    /// A bearer token (`syncdict token add`) sent to the upstreams instead
    /// of Basic credentials; never printed. Default unset.
    #[serde(serialize_with = "mask_secret")]
    pub token: Option<String>,
    /// A file whose first line is the token (kept out of the settings).
    /// Default `""`.
    #[serde(with = "optional_path")]
    pub token_file: Option<PathBuf>,
    /// PEM CA certificates trusted for `https://` upstreams besides the
    /// system's roots (a private CA). Default `""`.
    #[serde(with = "optional_path")]
    pub ca_file: Option<PathBuf>,
    /// PEM client certificate chain and key, for centers that require
    /// mutual TLS. Default `""`.
    #[serde(with = "optional_path")]
    pub cert_file: Option<PathBuf>,
    #[serde(with = "optional_path")]
    pub key_file: Option<PathBuf>,
    /// Public keys (`"ed25519:..."`, printed by `syncdict keys generate`)
    /// whose signatures over namespace digests are accepted. Non-empty:
    /// every namespace a pull changes must match its signed digest, or the
    /// change is refused, the old data stays, and the next pull asks for
    /// everything. A list, so keys can rotate. Default `[]`.
    pub verify_keys: Vec<VerifyKey>,

    /// Bytes the cache may hold (key + value + 48 per entry), nginx sizes,
    /// shared by the namespaces without a size of their own. Data that does
    /// not fit is refused and reported, never dropped. Default `"10m"`.
    pub cache_size: ByteSize,
    /// Largest reply the edge reads from an upstream (Content-Length is
    /// checked first, then the bytes are counted as they arrive); a larger
    /// one fails the pull and the data stays. At least `cache_size` plus
    /// the `namespace_sizes`.
    /// Default `"40m"`.
    pub max_reply: ByteSize,
    /// Longest wait between retries after failures (exponential, full jitter). Default `"60s"`.
    pub max_backoff: HumanDuration,
    /// Refuse a full dataset (any `method`-mode answer, a `full` one in
    /// `changes` mode) that drops more than this share of the keys, or an
    /// empty one; `"100%"` turns the guard off. Default `"50%"`.
    pub max_shrink: Percent,
    /// Where the edge keeps its data between runs; `""` turns snapshots off
    /// (TOML has no null, so the empty path is how a file says "none").
    /// Default `"syncdict-edge.snapshot"`.
    #[serde(with = "optional_path")]
    pub snapshot_path: Option<PathBuf>,
    /// `/healthz` answers 503 once data is older than this. Default `"5m"`.
    pub max_stale: HumanDuration,
    /// Run with `sh -c` after each applied change; failing (or running
    /// past `health_timeout`) makes the edge report itself unhealthy with
    /// its next pull, which aborts an automatic gray release it is in.
    /// Default unset.
    pub health_command: Option<String>,
    /// How long `health_command` may run. Default `"10s"`.
    pub health_timeout: HumanDuration,
    /// This edge's age identity (`syncdict secrets keygen`): it opens the
    /// secret namespaces granted to its recipient. Default `""`.
    #[serde(with = "optional_path")]
    pub identity_file: Option<PathBuf>,
}

impl ClientSettings {
    /// `name`, or the host name when it is empty (validated at start).
    pub fn edge_name(&self) -> crate::domain::EdgeName {
        crate::domain::EdgeName::parse(&self.name)
            .unwrap_or_else(|_| crate::domain::EdgeName::of_this_host())
    }
}

impl Default for ClientSettings {
    fn default() -> Self {
        let secs = |s| HumanDuration(std::time::Duration::from_secs(s));
        ClientSettings {
            name: String::new(),
            labels: Default::default(),
            upstreams: Vec::new(),
            namespaces: Selection::Every,
            namespace_sizes: BTreeMap::new(),
            mode: PullMode::Changes,
            method_namespace: Namespace::default(),
            method: "testrpc.MyRPC".into(),
            jsonrpc_version: JsonRpcVersion::V2,
            key_field: "name".into(),
            value_field: None,
            interval: secs(6),
            timeout: secs(5),
            hold: secs(0),
            upstream_cooldown: secs(30),
            username: None,
            password: None,
            token: None,
            token_file: None,
            identity_file: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            verify_keys: Vec::new(),
            cache_size: ByteSize(10 << 20),
            max_reply: ByteSize(40 << 20),
            max_backoff: secs(60),
            max_shrink: Percent(50),
            snapshot_path: Some("syncdict-edge.snapshot".into()),
            max_stale: secs(300),
            health_command: None,
            health_timeout: secs(10),
        }
    }
}

fn mask_secret<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    match value {
        Some(_) => s.serialize_str("***"),
        None => s.serialize_none(),
    }
}

/// `Option<PathBuf>` as a string, `""` meaning `None`.
pub(super) mod optional_path {
    use std::path::PathBuf;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(path: &Option<PathBuf>, s: S) -> Result<S::Ok, S::Error> {
        match path {
            Some(p) => s.collect_str(&p.display()),
            None => s.serialize_str(""),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<PathBuf>, D::Error> {
        let raw = String::deserialize(d)?;
        Ok((!raw.is_empty()).then(|| PathBuf::from(raw)))
    }
}

/// A share written `"50%"` (or a plain number of percent).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Percent(pub u8);

impl Percent {
    pub fn parse(input: &str) -> Result<Percent, InvalidValue> {
        let digits = input.trim().trim_end_matches('%').trim();
        match digits.parse::<u8>() {
            Ok(n) if n <= 100 => Ok(Percent(n)),
            _ => Err(InvalidValue::Percent(input.to_string())),
        }
    }
}

impl<'de> Deserialize<'de> for Percent {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match StringOrInt::deserialize(d)? {
            StringOrInt::Int(n) => Percent::parse(&n.to_string()).map_err(de::Error::custom),
            StringOrInt::Str(s) => Percent::parse(&s).map_err(de::Error::custom),
        }
    }
}

impl Serialize for Percent {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}%", self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::{Percent, PullMode};
    use crate::configuration::Role;

    /// Settings files and the page name each choice the same way.
    #[test]
    fn labels_are_the_names_settings_use() {
        for mode in PullMode::ALL {
            assert_eq!(serde_json::to_value(mode).unwrap(), mode.label());
        }
        for role in Role::ALL {
            assert_eq!(serde_json::to_value(role).unwrap(), role.label());
        }
    }

    #[test]
    fn percentages() {
        assert_eq!(Percent::parse("50%"), Ok(Percent(50)));
        assert_eq!(Percent::parse("100"), Ok(Percent(100)));
        assert!(Percent::parse("101%").is_err());
        assert!(Percent::parse("half").is_err());
    }
}
