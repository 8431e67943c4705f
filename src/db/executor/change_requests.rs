//! Change request messages: propose, find, list, review, withdraw, and a
//! namespace's review policy.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::change_requests::{self as requests, Found, Listing, Proposal, Stop};
use crate::db::change_reviews::Verdicted;
use crate::db::{AnyConnection, DbError};
use crate::domain::{now_us, Namespace, ReleaseId, RequestId, RequestState, StoredRecord, Verdict};

/// What closing a request answers: the gray release it aborted, if any.
pub type Closed = Result<Option<ReleaseId>, Stop>;

/// A request, and the rows its keys have now (for its diff).
pub type Shown = (Found, Vec<StoredRecord>);

/// Stores a change request made on the namespace's current revision.
#[derive(Message)]
#[rtype(result = "Result<Result<RequestId, Stop>, DbError>")]
pub struct Propose {
    pub namespace: Namespace,
    pub author: String,
    /// `records.apply`'s `changes`, as JSON text.
    pub changes: String,
    pub comment: String,
}

impl Handler<Propose> for DbExecutor {
    type Result = Result<Result<RequestId, Stop>, DbError>;
    fn handle(&mut self, m: Propose, _: &mut Self::Context) -> Self::Result {
        let proposal = Proposal {
            namespace: &m.namespace,
            author: &m.author,
            changes: &m.changes,
            comment: &m.comment,
            now_us: now_us(),
            outbox: self.outbox.get(),
        };
        self.with_conn(|c, _| requests::propose(c, &proposal))
    }
}

/// One request with its reviews and the rows its keys have now.
#[derive(Message)]
#[rtype(result = "Result<Option<Shown>, DbError>")]
pub struct FindRequest(pub RequestId);

impl Handler<FindRequest> for DbExecutor {
    type Result = Result<Option<Shown>, DbError>;
    fn handle(&mut self, m: FindRequest, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| match requests::find(c, m.0)? {
            Some(found) => Ok(Some(with_rows(c, found)?)),
            None => Ok(None),
        })
    }
}

/// One request with its reviews, without its diff (for the calls that
/// act on it).
#[derive(Message)]
#[rtype(result = "Result<Option<Found>, DbError>")]
pub struct FindRequestOnly(pub RequestId);

impl Handler<FindRequestOnly> for DbExecutor {
    type Result = Result<Option<Found>, DbError>;
    fn handle(&mut self, m: FindRequestOnly, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| requests::find(c, m.0))
    }
}

/// One page of requests, newest first, each as `FindRequest` shows it.
#[derive(Message)]
#[rtype(result = "Result<Vec<Shown>, DbError>")]
pub struct ListRequests {
    /// `None`: every namespace of `readable`.
    pub namespace: Option<Namespace>,
    pub readable: Vec<String>,
    pub state: Option<RequestState>,
    pub limit: i64,
    pub offset: i64,
}

impl Handler<ListRequests> for DbExecutor {
    type Result = Result<Vec<Shown>, DbError>;
    fn handle(&mut self, m: ListRequests, _: &mut Self::Context) -> Self::Result {
        let listing = Listing {
            namespace: m.namespace.as_ref(),
            readable: &m.readable,
            state: m.state,
            limit: m.limit,
            offset: m.offset,
        };
        self.with_conn(|c, _| {
            let mut out = Vec::new();
            for id in requests::list(c, &listing)? {
                if let Some(found) = requests::find(c, id)? {
                    out.push(with_rows(c, found)?);
                }
            }
            Ok(out)
        })
    }
}

/// `found` and the rows of the keys its change set touches.
fn with_rows(c: &mut AnyConnection, found: Found) -> diesel::QueryResult<Shown> {
    let changes: serde_json::Value =
        serde_json::from_str(&found.request.changes).unwrap_or_default();
    let upserts = changes["upserts"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.keys());
    let deletes = changes["deletes"].as_array().into_iter().flatten();
    let keys: Vec<&str> = upserts
        .map(|k| k.as_str())
        .chain(deletes.filter_map(|k| k.as_str()))
        .collect();
    let rows = requests::rows(c, &found.request.namespace, &keys)?;
    Ok((found, rows))
}

/// Open requests per namespace.
#[derive(Message)]
#[rtype(result = "Result<Vec<(String, i64)>, DbError>")]
pub struct OpenRequests;

impl Handler<OpenRequests> for DbExecutor {
    type Result = Result<Vec<(String, i64)>, DbError>;
    fn handle(&mut self, _: OpenRequests, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| requests::open_counts(c))
    }
}

/// A reviewer's verdict on an open request.
#[derive(Message)]
#[rtype(result = "Result<Closed, DbError>")]
pub struct Review {
    pub id: RequestId,
    pub reviewer: String,
    pub verdict: Verdict,
    pub comment: String,
}

impl Handler<Review> for DbExecutor {
    type Result = Result<Closed, DbError>;
    fn handle(&mut self, m: Review, _: &mut Self::Context) -> Self::Result {
        let verdict = Verdicted {
            id: m.id,
            reviewer: &m.reviewer,
            verdict: m.verdict,
            comment: &m.comment,
            now_us: now_us(),
            outbox: self.outbox.get(),
        };
        self.with_conn(|c, _| crate::db::change_reviews::review(c, &verdict))
    }
}

/// Withdraws an open request.
#[derive(Message)]
#[rtype(result = "Result<Closed, DbError>")]
pub struct Withdraw {
    pub id: RequestId,
    pub by: String,
}

impl Handler<Withdraw> for DbExecutor {
    type Result = Result<Closed, DbError>;
    fn handle(&mut self, m: Withdraw, _: &mut Self::Context) -> Self::Result {
        let at = (now_us(), self.outbox.get());
        self.with_conn(|c, _| crate::db::change_reviews::withdraw(c, m.id, &m.by, at))
    }
}

/// Sets a namespace's review policy; `false` if there is no such
/// namespace.
#[derive(Message)]
#[rtype(result = "Result<bool, DbError>")]
pub struct SetPolicy {
    pub namespace: Namespace,
    pub reviews_required: i64,
}

impl Handler<SetPolicy> for DbExecutor {
    type Result = Result<bool, DbError>;
    fn handle(&mut self, m: SetPolicy, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            crate::db::namespaces::set_policy(c, &m.namespace, m.reviews_required)
        })
    }
}
