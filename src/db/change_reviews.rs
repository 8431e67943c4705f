//! Reviews of change requests, and their withdrawal: a verdict on an open
//! request (a rejection closes it), or its author taking it back.

use diesel::prelude::*;

use super::change_requests::{finish, request_event, Abort, Stop};
use super::outbox::record_events;
use super::records::write_transaction;
use super::review_gate::state_of;
use super::schema::{change_requests, change_reviews};
use super::AnyConnection;
use crate::domain::{EventKind, Outbox, RequestId, RequestState, Verdict};

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

pub fn review(conn: &mut AnyConnection, v: &Verdicted) -> QueryResult<Result<(), Stop>> {
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
        if v.verdict == Verdict::Reject {
            close!(c, v.id, RequestState::Rejected, v.reviewer, v.now_us);
        }
        if v.outbox == Outbox::Kept {
            let kind = match v.verdict {
                Verdict::Approve => EventKind::ReviewApproved,
                Verdict::Reject => EventKind::ReviewRejected,
            };
            let data = request_event(&ns, v.reviewer, v.comment, v.id.0);
            record_events!(c, &[kind], &data, v.now_us);
        }
        Ok(())
    }))
}

/// Closes an open request as withdrawn by `by`.
pub fn withdraw(
    conn: &mut AnyConnection,
    id: RequestId,
    by: &str,
    now_us: i64,
) -> QueryResult<Result<(), Stop>> {
    finish(write_transaction!(conn, |c| {
        open_request_author!(c, id);
        close!(c, id, RequestState::Withdrawn, by, now_us);
        Ok(())
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
