//! A gray release as `gray.get` and `gray.list` show it: its row, its
//! target and change set as JSON, the members the fleet view has seen,
//! and (for `gray.get`) its history.

use serde::Serialize;
use serde_json::Value;

use super::members::{members, Member};
use crate::center::fleet_view::Judged;
use crate::db::gray_releases::{ReleaseRow, StepRow};
use crate::domain::{format_timestamp, ReleaseId, Target};

/// One step of a release's history.
#[derive(Debug, Serialize)]
pub struct StepView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: Value,
    pub reason: String,
}

/// How many members holding a release report healthy, and unhealthy.
#[derive(Debug, Serialize)]
pub struct HealthCounts {
    pub healthy: u32,
    pub unhealthy: u32,
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
    /// target reaches, by name, with the health each reported.
    pub members: Vec<Member>,
    /// Members holding the release: how many report healthy, unhealthy.
    pub health: HealthCounts,
    /// The approved change request it releases, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<i64>,
    /// Its automatic canary, if any, and (while active) what it does next.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auto: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Vec<StepView>>,
}

impl ReleaseView {
    /// The view of `row` at `now_us`, its members among `fleet`.
    pub fn of(row: ReleaseRow, fleet: &[Judged], now_us: i64) -> ReleaseView {
        let target: Value = serde_json::from_str(&row.target).unwrap_or(Value::Null);
        let parsed = Target::from_json(&target).ok();
        let (members, health) = match &parsed {
            Some(t) => members(ReleaseId(row.id), t, &row.namespace, fleet),
            None => Default::default(),
        };
        let auto = row
            .auto
            .as_deref()
            .and_then(|a| serde_json::from_str(a).ok());
        let next = super::auto::decision(&row, parsed.as_ref(), &health, now_us)
            .map(|d| super::auto::describe(&d));
        ReleaseView {
            health: HealthCounts {
                healthy: health.healthy,
                unhealthy: health.unhealthy.len() as u32,
            },
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
            request: row.request_id,
            auto,
            next,
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
