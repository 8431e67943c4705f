//! A gray release as `gray.get` and `gray.list` show it: its row, its
//! target and change set as JSON, the members the fleet view has seen,
//! and (for `gray.get`) its history.

use serde::Serialize;
use serde_json::Value;

use crate::db::gray_releases::{ReleaseRow, StepRow};
use crate::domain::{format_timestamp, EdgeName, EdgeSeen, Labels, ReleaseId, Target};

/// One step of a release's history.
#[derive(Debug, Serialize)]
pub struct StepView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Value,
    pub reason: String,
}

/// A release.
#[derive(Debug, Serialize)]
pub struct ReleaseView {
    pub id: i64,
    pub namespace: String,
    pub author: String,
    pub comment: String,
    pub state: String,
    pub target: Value,
    /// Rises with every change of the target.
    pub version: i64,
    pub base_revision: i64,
    pub created_at: String,
    pub updated_at: String,
    pub closed_by: Option<String>,
    pub reason: Option<String>,
    /// The revision its promotion made.
    pub revision: Option<i64>,
    pub changes: Value,
    /// The edges the fleet view has seen pulling the namespace that the
    /// target reaches, by name.
    pub members: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepView>>,
}

impl ReleaseView {
    /// The view of `row`, its members among `fleet`.
    pub fn of(row: ReleaseRow, fleet: &[EdgeSeen]) -> ReleaseView {
        let target: Value = serde_json::from_str(&row.target).unwrap_or(Value::Null);
        let members = match Target::from_json(&target) {
            Ok(t) => members(&t, ReleaseId(row.id), &row.namespace, fleet),
            Err(_) => Vec::new(),
        };
        ReleaseView {
            id: row.id,
            namespace: row.namespace,
            author: row.author,
            comment: row.comment,
            state: row.state,
            target,
            version: row.version,
            base_revision: row.base_revision,
            created_at: format_timestamp(row.created_at_us),
            updated_at: format_timestamp(row.updated_at_us),
            closed_by: row.closed_by,
            reason: row.reason,
            revision: row.revision,
            changes: serde_json::from_str(&row.changes).unwrap_or(Value::Null),
            members,
            steps: None,
        }
    }

    /// The view with its history.
    pub fn with_steps(mut self, steps: Vec<StepRow>) -> ReleaseView {
        self.steps = Some(
            steps
                .into_iter()
                .map(|s| StepView {
                    at: format_timestamp(s.at_us),
                    actor: s.actor,
                    action: s.action,
                    target: serde_json::from_str(&s.target).unwrap_or(Value::Null),
                    reason: s.reason,
                })
                .collect(),
        );
        self
    }
}

/// The names of the edges in `fleet` that pull `namespace` and that
/// `target` reaches in `release`, sorted.
fn members(
    target: &Target,
    release: ReleaseId,
    namespace: &str,
    fleet: &[EdgeSeen],
) -> Vec<String> {
    let mut names: Vec<String> = fleet
        .iter()
        .filter(|e| e.namespaces.split(',').any(|ns| ns == namespace))
        .filter(|e| {
            let name = EdgeName::parse(&e.name).ok();
            let labels = Labels::parse(&e.labels).unwrap_or_default();
            target.reaches(release, name.as_ref(), &labels)
        })
        .map(|e| e.name.clone())
        .collect();
    names.sort();
    names.dedup();
    names
}
