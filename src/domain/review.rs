//! Review before publish: a namespace's policy, change requests and their
//! verdicts, and how a write passes the policy (`Passage`).

use serde::Serialize;

/// The most approving reviews a namespace can require.
pub const MAX_REVIEWS_REQUIRED: i64 = 3;

/// The most open change requests one namespace holds (a writer cannot fill
/// the database with proposals).
pub const MAX_OPEN_REQUESTS: i64 = 100;

/// A change request's id, unique on the database (every center shares it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct RequestId(pub i64);

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a change request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RequestState {
    /// Waiting for reviews, or for its publish.
    Open,
    /// Applied as one revision.
    Published,
    /// A reviewer refused it.
    Rejected,
    /// Its author (or an administrator) took it back.
    Withdrawn,
}

impl RequestState {
    pub const ALL: [RequestState; 4] = [
        RequestState::Open,
        RequestState::Published,
        RequestState::Rejected,
        RequestState::Withdrawn,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RequestState::Open => "open",
            RequestState::Published => "published",
            RequestState::Rejected => "rejected",
            RequestState::Withdrawn => "withdrawn",
        }
    }

    pub fn parse(text: &str) -> Option<RequestState> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }
}

/// A reviewer's verdict on a change request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verdict {
    Approve,
    Reject,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Approve => "approve",
            Verdict::Reject => "reject",
        }
    }

    pub fn parse(text: &str) -> Option<Verdict> {
        [Verdict::Approve, Verdict::Reject]
            .into_iter()
            .find(|v| v.as_str() == text)
    }
}

/// How a write reaches its namespace, judged against the namespace's
/// review policy inside the write's transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Passage {
    /// A writer's own write (`records.*`, rollback, import): refused while
    /// the namespace requires reviews.
    Direct,
    /// The center's expirer at this instant (microseconds): a delete
    /// applies only to a record whose expiry is at or before it (a put
    /// since may have moved or cleared it). Expiries were written, and
    /// reviewed, with their records.
    Expiry { by_us: i64 },
    /// A change request published.
    Publish(Publication),
    /// A gray release promoted into its namespace.
    Promote(Promotion),
    /// A secret namespace's key rotated: the change set re-seals every
    /// live value to the new key, whose grants replace the old ones in
    /// the same transaction. It passes a review policy (a rotation is
    /// access control, done by a writer of every namespace: the center
    /// cannot see that the plaintexts are unchanged).
    Rekey(Box<super::SecretKeys>),
}

/// A gray release being promoted: refused unless it is active, in the
/// namespace written, the namespace requires no reviews, and no key it
/// touches changed after the revision it was made on. The release ends,
/// promoted, in the same transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Promotion {
    pub release: super::ReleaseId,
    /// Who promotes it.
    pub by: String,
}

/// A change request being published: refused unless it is open, in the
/// namespace written, its approvals reach the policy (or an administrator
/// breaks the glass), and no key it touches changed after the revision it
/// was proposed on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Publication {
    pub request: RequestId,
    /// Who publishes it (the write's author is the request's).
    pub publisher: String,
    /// Publish without the approvals the policy asks, for this reason.
    pub break_glass: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_and_verdicts_round_trip_their_names() {
        for state in RequestState::ALL {
            assert_eq!(RequestState::parse(state.as_str()), Some(state));
        }
        assert_eq!(RequestState::parse("Open"), None);
        assert_eq!(Verdict::parse("approve"), Some(Verdict::Approve));
        assert_eq!(Verdict::parse("reject"), Some(Verdict::Reject));
        assert_eq!(Verdict::parse("lgtm"), None);
    }
}
