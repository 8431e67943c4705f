//! The webhook events a committed write raises, built inside its
//! transaction from what the write plan already holds: the keys changed
//! with their old and new values, and how the write passed the review
//! policy.

use std::collections::HashMap;

use super::review_gate::Gate;
use super::write_plan::NewHistory;
use crate::domain::{EventData, EventKind, StoredRecord, Write, WriteKind};

/// The kinds a write at a revision raises: `publish` always, and
/// `rollback`, `review.published` and `break_glass` where they apply.
pub(super) fn kinds(write: &Write, gate: &Gate) -> Vec<EventKind> {
    let mut kinds = vec![EventKind::Publish];
    if write.kind == WriteKind::Rollback {
        kinds.push(EventKind::Rollback);
    }
    if gate.request.is_some() {
        kinds.push(EventKind::ReviewPublished);
    }
    if gate.break_glass.is_some() {
        kinds.push(EventKind::BreakGlass);
    }
    if gate.release.is_some() {
        kinds.push(EventKind::GrayPromoted);
    }
    kinds
}

/// What the events of `write` at `revision` report.
pub(super) fn data(
    write: &Write,
    gate: &Gate,
    revision: i64,
    entries: &[NewHistory],
    existing: &HashMap<String, StoredRecord>,
) -> EventData {
    let mut data = EventData {
        namespace: write.namespace.to_string(),
        revision: Some(revision),
        author: write.origin.author.clone(),
        approvers: gate.approvers.clone(),
        comment: write.origin.comment.clone(),
        request: gate.request.map(|r| r.0),
        break_glass: gate.break_glass.clone(),
        release: gate.release.map(|r| r.0),
        ..EventData::default()
    };
    let mut used = 0;
    for entry in entries {
        let old = existing
            .get(entry.record_key)
            .filter(|r| !r.deleted)
            .map(|r| r.value.as_str());
        data.push_change(entry.record_key, old, entry.value, &mut used);
    }
    data
}
