//! The main line's records of the keys a view gives back, shared by the
//! pulls that need them at one revision. When a release ends, every edge
//! that held it looks again at once (its held pull is woken) and asks for
//! the same keys: one query serves them all, the others wait for it.

use std::collections::VecDeque;
use std::sync::Arc;

use serde_json::{Map, Value};

use super::{db_failure, Center};
use crate::db::executor::RowsOf;
use crate::domain::Namespace;
use crate::rpc::CallError;

/// Records kept per (namespace, revision, keys), newest first.
const KEPT: usize = 16;

/// Main-line records by key, as a reply carries them.
pub(super) type Records = Arc<Map<String, Value>>;

/// One set read: its namespace, the revision of the reply it was read
/// for, its keys (sorted) and the records.
type Set = (Namespace, i64, Vec<String>, Records);

/// The last few sets read.
#[derive(Default)]
pub(super) struct RestoreMemo {
    /// Held while a set is read, so the pulls asking for it at once wait
    /// for the one query instead of each making it.
    sets: tokio::sync::Mutex<VecDeque<Set>>,
}

impl Center {
    /// The main line's records of `keys` (sorted) in `ns` for a reply at
    /// `revision` (a key it does not hold is absent): one query per
    /// namespace, revision and set of keys, shared.
    pub(super) async fn main_records(
        &self,
        ns: &Namespace,
        keys: Vec<String>,
        revision: i64,
    ) -> Result<Records, CallError> {
        if keys.is_empty() {
            return Ok(Records::default());
        }
        let mut sets = self.gray_restored.sets.lock().await;
        let known = sets
            .iter()
            .find(|(n, r, k, _)| *r == revision && n == ns && *k == keys);
        if let Some((.., records)) = known {
            return Ok(records.clone());
        }
        let rows = self
            .ask(RowsOf(ns.clone(), keys.clone()))
            .await?
            .map_err(db_failure)?;
        let records: Records = Arc::new(
            rows.into_iter()
                .filter(|r| !r.deleted)
                .filter_map(|r| Some((r.key.clone(), serde_json::to_value(r.to_record()?).ok()?)))
                .collect(),
        );
        sets.push_front((ns.clone(), revision, keys, records.clone()));
        sets.truncate(KEPT);
        Ok(records)
    }
}
