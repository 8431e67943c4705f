//! Webhook events: their stable names, and the payload each carries (the
//! Standard Webhooks shape `{type, timestamp, data}`), bounded in bytes.

use serde::Serialize;
use serde_json::value::RawValue;

use super::format_timestamp;

/// Bytes of a payload's `changes` at most; past it the list is cut and
/// `truncated` is set.
pub const MAX_CHANGES_BYTES: usize = 64 * 1024;

/// What happened, by its stable name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum EventKind {
    /// Any committed change of records, whatever the path.
    #[serde(rename = "publish")]
    Publish,
    #[serde(rename = "rollback")]
    Rollback,
    #[serde(rename = "review.opened")]
    ReviewOpened,
    #[serde(rename = "review.approved")]
    ReviewApproved,
    #[serde(rename = "review.rejected")]
    ReviewRejected,
    #[serde(rename = "review.published")]
    ReviewPublished,
    #[serde(rename = "namespace.created")]
    NamespaceCreated,
    #[serde(rename = "namespace.deleted")]
    NamespaceDeleted,
    #[serde(rename = "schema.changed")]
    SchemaChanged,
    /// A change request published by an administrator without its approvals.
    #[serde(rename = "break_glass")]
    BreakGlass,
    #[serde(rename = "gray.created")]
    GrayCreated,
    /// A release widened or narrowed, by hand or by its schedule.
    #[serde(rename = "gray.retargeted")]
    GrayRetargeted,
    #[serde(rename = "gray.aborted")]
    GrayAborted,
    #[serde(rename = "gray.promoted")]
    GrayPromoted,
}

impl EventKind {
    pub const ALL: [EventKind; 14] = [
        EventKind::Publish,
        EventKind::Rollback,
        EventKind::ReviewOpened,
        EventKind::ReviewApproved,
        EventKind::ReviewRejected,
        EventKind::ReviewPublished,
        EventKind::NamespaceCreated,
        EventKind::NamespaceDeleted,
        EventKind::SchemaChanged,
        EventKind::BreakGlass,
        EventKind::GrayCreated,
        EventKind::GrayRetargeted,
        EventKind::GrayAborted,
        EventKind::GrayPromoted,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Publish => "publish",
            EventKind::Rollback => "rollback",
            EventKind::ReviewOpened => "review.opened",
            EventKind::ReviewApproved => "review.approved",
            EventKind::ReviewRejected => "review.rejected",
            EventKind::ReviewPublished => "review.published",
            EventKind::NamespaceCreated => "namespace.created",
            EventKind::NamespaceDeleted => "namespace.deleted",
            EventKind::SchemaChanged => "schema.changed",
            EventKind::BreakGlass => "break_glass",
            EventKind::GrayCreated => "gray.created",
            EventKind::GrayRetargeted => "gray.retargeted",
            EventKind::GrayAborted => "gray.aborted",
            EventKind::GrayPromoted => "gray.promoted",
        }
    }

    /// The event of a gray release's step that leaves it in `state`.
    pub fn of_gray_step(state: super::ReleaseState) -> EventKind {
        match state {
            super::ReleaseState::Active => EventKind::GrayRetargeted,
            super::ReleaseState::Aborted => EventKind::GrayAborted,
            super::ReleaseState::Promoted => EventKind::GrayPromoted,
        }
    }

    pub fn parse(text: &str) -> Option<EventKind> {
        Self::ALL.into_iter().find(|k| k.as_str() == text)
    }
}

/// One key of a change: its value before and after (`None`: absent).
#[derive(Debug, Serialize)]
pub struct KeyChange {
    pub key: String,
    pub old: Option<Box<RawValue>>,
    pub new: Option<Box<RawValue>>,
}

/// What an event reports. Fields that do not apply are left out.
#[derive(Debug, Default, Serialize)]
pub struct EventData {
    pub namespace: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<i64>,
    pub author: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub approvers: Vec<String>,
    pub comment: String,
    /// The change request it concerns.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<String>,
    /// The gray release it concerns, what was done to it, and its target
    /// after that.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub release: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<KeyChange>,
    /// `changes` was cut at `MAX_CHANGES_BYTES`.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub truncated: bool,
}

impl EventData {
    /// Adds a key's change unless the list is full (then marks it cut).
    /// `old` and `new` are JSON texts.
    pub fn push_change(
        &mut self,
        key: &str,
        old: Option<&str>,
        new: Option<&str>,
        used: &mut usize,
    ) {
        if self.truncated {
            return;
        }
        let cost = key.len() + old.map_or(4, str::len) + new.map_or(4, str::len) + 32;
        if *used + cost > MAX_CHANGES_BYTES {
            self.truncated = true;
            return;
        }
        let raw = |text: &str| RawValue::from_string(text.to_string()).ok();
        *used += cost;
        self.changes.push(KeyChange {
            key: key.to_string(),
            old: old.and_then(raw),
            new: new.and_then(raw),
        });
    }
}

/// An event to record with the change it reports.
#[derive(Debug)]
pub struct Event {
    pub kind: EventKind,
    pub data: EventData,
}

impl Event {
    /// `kind` in `namespace` by `author`, with nothing else to report.
    pub fn plain(kind: EventKind, namespace: &str, author: &str) -> Event {
        Event {
            kind,
            data: EventData {
                namespace: namespace.to_string(),
                author: author.to_string(),
                ..EventData::default()
            },
        }
    }
}

/// The body sent for `kind` at `at_us`: `{type, timestamp, data}`.
pub fn payload(kind: EventKind, at_us: i64, data: &EventData) -> String {
    #[derive(Serialize)]
    struct Body<'a> {
        #[serde(rename = "type")]
        kind: EventKind,
        timestamp: String,
        data: &'a EventData,
    }
    let body = Body {
        kind,
        timestamp: format_timestamp(at_us),
        data,
    };
    serde_json::to_string(&body).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            let json = serde_json::to_string(&kind).unwrap();
            assert_eq!(json, format!("\"{}\"", kind.as_str()));
        }
        assert_eq!(EventKind::parse("published"), None);
    }

    #[test]
    fn changes_are_cut_at_their_bound() {
        let mut data = EventData::default();
        let mut used = 0;
        let big = format!("\"{}\"", "x".repeat(1000));
        for i in 0..200 {
            data.push_change(&format!("k{i}"), None, Some(&big), &mut used);
        }
        assert!(data.truncated);
        assert!(data.changes.len() < 70 && data.changes.len() > 50);
        let text = payload(EventKind::Publish, 0, &data);
        assert!(text.len() < MAX_CHANGES_BYTES + 1024, "{}", text.len());
        assert!(text.starts_with("{\"type\":\"publish\",\"timestamp\":\"1970-01-01T00:00:00"));
    }
}
