//! Change requests as a publish or a gray release of one judges them
//! (`changes.release`, on namespaces that require reviews): the open
//! request and its approvals, and a request's active release. Each runs
//! inside its caller's transaction.

use serde::Serialize;

use crate::domain::RequestState;

/// An approving review, as the audit log keeps it.
#[derive(Debug, Serialize, diesel::Queryable)]
pub(super) struct Approval {
    pub by: String,
    pub comment: String,
}

/// The request's state as stored; an unknown text reads as `Withdrawn`,
/// so it can be neither reviewed nor published.
pub(super) fn state_of(text: &str) -> RequestState {
    RequestState::parse(text).unwrap_or(RequestState::Withdrawn)
}

/// An open change request and its approvals (its author's never count).
pub(super) struct OpenRequest {
    pub author: String,
    pub base: i64,
    /// `records.apply`'s `changes`, as JSON text.
    pub changes: String,
    /// Approving reviews, oldest first.
    pub approvals: Vec<Approval>,
}

/// Why a request cannot be published or released.
pub(super) enum NotOpen {
    /// Gone, or in another namespace.
    Missing,
    Closed(RequestState),
}

/// Request `$id` (a `RequestId`) of namespace `$ns`, if open; evaluates to
/// `Result<OpenRequest, NotOpen>`.
macro_rules! open_request {
    ($c:ident, $id:expr, $ns:expr) => {{
        use $crate::db::gray_requests::{state_of, Approval};
        use $crate::db::gray_requests::{NotOpen, OpenRequest};
        use $crate::db::schema::{change_requests, change_reviews};
        use $crate::domain::{RequestState, Verdict};
        type Row = (String, String, i64, String, String);
        let row: Option<Row> = change_requests::table
            .find($id.0)
            .select((
                change_requests::namespace,
                change_requests::author,
                change_requests::base_revision,
                change_requests::state,
                change_requests::changes,
            ))
            .first($c)
            .optional()?;
        match row {
            Some((ns, ..)) if ns != $ns => Err(NotOpen::Missing),
            None => Err(NotOpen::Missing),
            Some((_, _, _, state, _)) if state_of(&state) != RequestState::Open => {
                Err(NotOpen::Closed(state_of(&state)))
            }
            Some((_, author, base, _, changes)) => {
                let approvals: Vec<Approval> = change_reviews::table
                    .filter(change_reviews::request_id.eq($id.0))
                    .filter(change_reviews::verdict.eq(Verdict::Approve.as_str()))
                    .filter(change_reviews::reviewer.ne(author.as_str()))
                    .order(change_reviews::at_us.asc())
                    .select((change_reviews::reviewer, change_reviews::comment))
                    .load($c)?;
                Ok(OpenRequest {
                    author,
                    base,
                    changes,
                    approvals,
                })
            }
        }
    }};
}
pub(super) use open_request;

/// The active gray release of request `$id`, if any (`Option<ReleaseId>`).
macro_rules! active_release_of {
    ($c:ident, $id:expr) => {{
        use $crate::db::schema::gray_releases;
        let found: Option<i64> = gray_releases::table
            .filter(gray_releases::request_id.eq(Some($id.0)))
            .filter(gray_releases::state.eq($crate::domain::ReleaseState::Active.as_str()))
            .select(gray_releases::id)
            .first($c)
            .optional()?;
        found.map($crate::domain::ReleaseId)
    }};
}
pub(super) use active_release_of;
