//! A change request as `changes.get` and `changes.list` show it: what was
//! proposed, its reviews, and its diff against the live data, computed
//! when asked (so a request that went stale shows it).

use std::collections::HashMap;

use serde::Serialize;
use serde_json::value::RawValue;

use crate::db::change_requests::{Found, ReviewRow};
use crate::domain::{format_timestamp, RequestState, StoredRecord, Verdict};

#[derive(Serialize)]
pub struct RequestView {
    pub id: i64,
    pub namespace: String,
    pub author: String,
    pub comment: String,
    pub state: String,
    /// The namespace's revision the request was made on.
    pub base_revision: i64,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closed_by: Option<String>,
    /// The revision it was published at (`null`: not published, or it
    /// changed nothing).
    pub revision: Option<i64>,
    pub reviews_required: i64,
    /// Approving reviews by writers other than its author.
    pub approvals: usize,
    pub reviews: Vec<ReviewView>,
    /// As proposed: `records.apply`'s `changes`.
    pub changes: Box<RawValue>,
    pub diff: Vec<DiffEntry>,
    /// Keys changed since it was proposed (an open request only): its
    /// publish would be refused as a conflict.
    pub conflicts: Vec<String>,
    /// Its latest gray release (`changes.release`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<ReleaseRef>,
}

/// A request's gray release.
#[derive(Serialize)]
pub struct ReleaseRef {
    pub id: i64,
    pub state: String,
}

#[derive(Serialize)]
pub struct ReviewView {
    pub reviewer: String,
    pub verdict: String,
    pub comment: String,
    pub at: String,
}

/// One key the request touches: its live value now and the proposed one
/// (`null`: absent, or deleted; in a secret namespace, never shown).
#[derive(Serialize)]
pub struct DiffEntry {
    pub key: String,
    pub old: Option<Box<RawValue>>,
    pub new: Option<Box<RawValue>>,
    /// "added", "changed", "removed" or "same".
    pub change: &'static str,
    /// A secret namespace's: `old` and `new` are left out (ciphertexts).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub sealed: bool,
    /// Changed after the request was proposed.
    pub changed_since: bool,
}

impl RequestView {
    /// `found` with its diff against `rows`, the live rows of its keys.
    pub fn of(found: Found, rows: Vec<StoredRecord>) -> RequestView {
        let Found {
            request: r,
            reviews,
            reviews_required,
            sealed,
            release,
        } = found;
        let rows: HashMap<String, StoredRecord> =
            rows.into_iter().map(|row| (row.key.clone(), row)).collect();
        let changes: serde_json::Value = serde_json::from_str(&r.changes).unwrap_or_default();
        let mut diff = diff(&changes, &rows, r.base_revision);
        if sealed {
            diff.iter_mut().for_each(DiffEntry::seal);
        }
        let open = RequestState::parse(&r.state) == Some(RequestState::Open);
        let conflicts = match open {
            true => diff
                .iter()
                .filter(|d| d.changed_since)
                .map(|d| d.key.clone())
                .collect(),
            false => Vec::new(),
        };
        let approvals = approvals(&reviews, &r.author);
        RequestView {
            id: r.id,
            namespace: r.namespace,
            comment: r.comment,
            state: r.state,
            base_revision: r.base_revision,
            created_at: format_timestamp(r.created_at_us),
            closed_at: r.closed_at_us.map(format_timestamp),
            closed_by: r.closed_by,
            revision: r.revision,
            reviews_required,
            approvals,
            reviews: reviews.into_iter().map(ReviewView::of).collect(),
            changes: RawValue::from_string(r.changes).unwrap_or_else(|_| raw("null")),
            diff,
            conflicts,
            author: r.author,
            release: release.map(|(id, state)| ReleaseRef { id, state }),
        }
    }
}

impl DiffEntry {
    /// Leaves the values out, keeping what kind of change it is.
    fn seal(&mut self) {
        (self.old, self.new, self.sealed) = (None, None, true);
    }
}

impl ReviewView {
    fn of(r: ReviewRow) -> ReviewView {
        ReviewView {
            reviewer: r.reviewer,
            verdict: r.verdict,
            comment: r.comment,
            at: format_timestamp(r.at_us),
        }
    }
}

/// Approving reviews by others than `author`.
pub(super) fn approvals(reviews: &[ReviewRow], author: &str) -> usize {
    reviews
        .iter()
        .filter(|r| r.verdict == Verdict::Approve.as_str() && r.reviewer != author)
        .count()
}

fn raw(text: &str) -> Box<RawValue> {
    RawValue::from_string(text.to_string()).expect("valid JSON")
}

/// Each key of `changes` (upserts, then deletes) against its live row.
fn diff(
    changes: &serde_json::Value,
    rows: &HashMap<String, StoredRecord>,
    base: i64,
) -> Vec<DiffEntry> {
    let live = |key: &str| rows.get(key).filter(|r| !r.deleted);
    let entry = |key: &str, new: Option<Box<RawValue>>| {
        let old = live(key).map(|r| raw(&r.value));
        let change = match (&old, &new) {
            (None, None) => "same",
            (None, Some(_)) => "added",
            (Some(_), None) => "removed",
            (Some(o), Some(n)) if o.get() == n.get() => "same",
            (Some(_), Some(_)) => "changed",
        };
        DiffEntry {
            key: key.to_string(),
            old,
            new,
            change,
            sealed: false,
            changed_since: rows.get(key).is_some_and(|r| r.revision > base),
        }
    };
    let upserts = changes["upserts"].as_object().into_iter().flatten();
    let deletes = changes["deletes"].as_array().into_iter().flatten();
    upserts
        .map(|(key, value)| entry(key, Some(raw(&value.to_string()))))
        .chain(
            deletes
                .filter_map(|k| k.as_str())
                .map(|key| entry(key, None)),
        )
        .collect()
}
