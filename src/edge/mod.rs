//! The edge: pulls from upstream centers into a local cache. The actors
//! (`actors/`: scheduler, RPC client, cache) drive sans-I/O parts: the wire
//! format (`protocol`, `rows`), when to pull (`schedule`), which upstream
//! (`upstreams`), the pull record (`state`, and the last hour a minute at
//! a time in `hour`), the data (`store`, `shard`),
//! the file (`snapshot`); `start` wires them, `status` and `metrics` show
//! them.

pub mod actors;
pub mod health;
pub mod hour;
pub mod keyring;
pub mod keys_file;
mod metrics;
pub mod opened;
pub mod outputs;
pub mod page;
pub mod protocol;
pub(crate) mod rows;
pub mod schedule;
pub mod shard;
pub mod snapshot;
pub mod start;
pub mod state;
pub mod status;
pub mod store;
pub(crate) mod table;
pub(crate) mod table_diff;
mod table_view;
pub mod upstreams;

/// FNV-1a's starting value.
pub const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;

/// FNV-1a, 64 bits, continued from `h` (start from `FNV_OFFSET`): the one
/// hash of the edge, for shard choice, reply identity and snapshot checksums.
/// Stable across runs; catches corruption, not tampering.
pub fn fnv1a(h: u64, bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(h, |h, &b| (h ^ b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// Why a pull failed (the cache keeps its data either way).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PullError {
    #[error("HTTP {0}")]
    Status(u16),
    #[error("timed out")]
    Timeout,
    #[error("reply larger than client.max_reply ({limit} bytes)")]
    TooLarge { limit: u64 },
    #[error("{0}")]
    Transport(String),
    #[error("malformed reply: {0}")]
    Malformed(String),
    #[error("JSON-RPC error {code}: {message}")]
    Rpc { code: i64, message: String },
    /// Every upstream failed; one `url: reason` per upstream.
    #[error("{}", .0.join("; "))]
    AllFailed(Vec<String>),
    #[error("internal: {0}")]
    Internal(String),
}
