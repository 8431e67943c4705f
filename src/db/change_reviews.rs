//! Reviews of change requests, and their withdrawal: a verdict on an open
//! request (a rejection closes it), or its author taking it back. Closing
//! a request aborts its active gray release, if any, in the same
//! transaction.

use diesel::prelude::*;

use super::change_requests::{finish, request_event, Abort, Stop};
use super::gray_requests::state_of;
use super::outbox::record_events;
use super::records::write_transaction;
use super::schema::{change_requests, change_reviews};
use super::AnyConnection;
use crate::domain::{EventKind, Outbox, ReleaseId, RequestId, RequestState, Verdict};

/// A verdict on an open request by someone other than its author (a
/// second verdict by the same reviewer replaces the first). A rejection
/// closes the request.
pub struct Verdicted<'a> {
    pub id: RequestId,
    pub reviewer: &'a str,
    pub verdict: Verdict,
    pub comment: &'a str,
    pub now_us: i64,
    pub outbox: Outbox,
}

/// Answers the gray release a rejection aborted, if any.
pub fn review(
    conn: &mut AnyConnection,
    v: &Verdicted,
) -> QueryResult<Result<Option<ReleaseId>, Stop>> {
    finish(write_transaction!(conn, |c| {
        let (author, ns) = open_request_author!(c, v.id);
        if author == v.reviewer {
            return Err(Abort::Stop(Stop::OwnRequest));
        }
        diesel::delete(change_reviews::table.find((v.id.0, v.reviewer))).execute(c)?;
        diesel::insert_into(change_reviews::table)
            .values((
                change_reviews::request_id.eq(v.id.0),
                change_reviews::reviewer.eq(v.reviewer),
                change_reviews::verdict.eq(v.verdict.as_str()),
                change_reviews::comment.eq(v.comment),
                change_reviews::at_us.eq(v.now_us),
            ))
            .execute(c)?;
        let mut aborted = None;
        if v.verdict == Verdict::Reject {
            close!(c, v.id, RequestState::Rejected, v.reviewer, v.now_us);
            let why = format!("change request {} rejected", v.id);
            aborted = abort_request_release!(c, v.id, v.reviewer, &why, v.now_us, v.outbox);
        }
        if v.outbox == Outbox::Kept {
            let kind = match v.verdict {
                Verdict::Approve => EventKind::ReviewApproved,
                Verdict::Reject => EventKind::ReviewRejected,
            };
            let data = request_event(&ns, v.reviewer, v.comment, v.id.0);
            record_events!(c, &[kind], &data, v.now_us);
        }
        Ok(aborted)
    }))
}

/// Closes an open request as withdrawn by `by`; answers the gray release
/// that aborted, if any.
pub fn withdraw(
    conn: &mut AnyConnection,
    id: RequestId,
    by: &str,
    (now_us, outbox): (i64, Outbox),
) -> QueryResult<Result<Option<ReleaseId>, Stop>> {
    finish(write_transaction!(conn, |c| {
        open_request_author!(c, id);
        close!(c, id, RequestState::Withdrawn, by, now_us);
        let why = format!("change request {id} withdrawn");
        Ok(abort_request_release!(c, id, by, &why, now_us, outbox))
    }))
}

/// The author and namespace of request `$id`, which must be open (else the transaction
/// stops).
macro_rules! open_request_author {
    ($c:ident, $id:expr) => {{
        let row: Option<(String, String, String)> = change_requests::table
            .find($id.0)
            .select((
                change_requests::author,
                change_requests::state,
                change_requests::namespace,
            ))
            .first($c)
            .optional()?;
        let Some((author, state, namespace)) = row else {
            return Err(Abort::Stop(Stop::NoSuchRequest));
        };
        let state = state_of(&state);
        if state != RequestState::Open {
            return Err(Abort::Stop(Stop::Closed(state)));
        }
        (author, namespace)
    }};
}
use open_request_author;

macro_rules! close {
    ($c:ident, $id:expr, $state:expr, $by:expr, $now_us:expr) => {
        diesel::update(change_requests::table.find($id.0))
            .set((
                change_requests::state.eq($state.as_str()),
                change_requests::closed_by.eq(Some($by)),
                change_requests::closed_at_us.eq(Some($now_us)),
            ))
            .execute($c)?
    };
}
use close;

/// Aborts the active release of request `$id`, if any, as `$by` closing the
/// request for `$reason`, with the step in its history and its event;
/// evaluates to the release aborted.
macro_rules! abort_request_release {
    ($c:ident, $id:expr, $by:expr, $reason:expr, $now_us:expr, $outbox:expr) => {{
        use $crate::db::gray_releases::{add_step, step_event, NewStep};
        use $crate::db::gray_requests::active_release_of;
        use $crate::db::schema::gray_releases;
        use $crate::domain::{EventKind, Outbox, ReleaseState};
        let release = active_release_of!($c, $id);
        if let Some(release) = release {
            let (ns, version, target): (String, i64, String) = gray_releases::table
                .find(release.0)
                .select((
                    gray_releases::namespace,
                    gray_releases::version,
                    gray_releases::target,
                ))
                .first($c)?;
            diesel::update(gray_releases::table.find(release.0))
                .set((
                    gray_releases::state.eq(ReleaseState::Aborted.as_str()),
                    gray_releases::version.eq(version + 1),
                    gray_releases::closed_by.eq(Some($by)),
                    gray_releases::reason.eq(Some($reason)),
                    gray_releases::updated_at_us.eq($now_us),
                ))
                .execute($c)?;
            let step = NewStep {
                release: release.0,
                at_us: $now_us,
                actor: $by,
                action: "aborted",
                target: &target,
                reason: $reason,
            };
            add_step!($c, &step);
            if $outbox == Outbox::Kept {
                let data = step_event(&ns, &step, None);
                record_events!($c, &[EventKind::GrayAborted], &data, $now_us);
            }
        }
        release
    }};
}
use abort_request_release;
