//! Gray release messages: create, find, list, move (retarget or end), the
//! current releases, and the main line of the keys a view gives back, and what a signed view
//! starts from.

use actix::prelude::*;

use super::DbExecutor;
use crate::db::gray_releases::{
    self as gray, Listing, Move, NewRelease, ReleaseRow, StepRow, Stop,
};
use crate::db::records::Digested;
use crate::db::DbError;
use crate::domain::{Namespace, ReleaseId, ReleaseState, RequestId, StoredRecord};

/// Stores a gray release made on the namespace's current revision.
#[derive(Message)]
#[rtype(result = "Result<Result<ReleaseId, Stop>, DbError>")]
pub struct CreateRelease {
    pub namespace: Namespace,
    pub author: String,
    /// `records.apply`'s `changes`, as JSON text.
    pub changes: String,
    /// `domain::Target`'s JSON form.
    pub target: String,
    pub comment: String,
    /// `domain::Auto`'s JSON form.
    pub auto: Option<String>,
    /// The approved change request it releases (`changes.release`).
    pub request: Option<RequestId>,
    pub now_us: i64,
}

impl Handler<CreateRelease> for DbExecutor {
    type Result = Result<Result<ReleaseId, Stop>, DbError>;
    fn handle(&mut self, m: CreateRelease, _: &mut Self::Context) -> Self::Result {
        let release = NewRelease {
            namespace: &m.namespace,
            author: &m.author,
            changes: &m.changes,
            target: &m.target,
            comment: &m.comment,
            auto: m.auto.as_deref(),
            request: m.request,
            outbox: self.outbox.get(),
            now_us: m.now_us,
        };
        self.with_conn(|c, _| gray::create(c, &release))
    }
}

/// One release with its history.
#[derive(Message)]
#[rtype(result = "Result<Option<(ReleaseRow, Vec<StepRow>)>, DbError>")]
pub struct FindRelease(pub ReleaseId);

impl Handler<FindRelease> for DbExecutor {
    type Result = Result<Option<(ReleaseRow, Vec<StepRow>)>, DbError>;
    fn handle(&mut self, m: FindRelease, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| gray::find(c, m.0))
    }
}

/// One page of releases, newest first.
#[derive(Message)]
#[rtype(result = "Result<Vec<ReleaseRow>, DbError>")]
pub struct ListReleases {
    /// `None`: every namespace of `readable`.
    pub namespace: Option<Namespace>,
    pub readable: Vec<String>,
    pub state: Option<ReleaseState>,
    pub limit: i64,
}

impl Handler<ListReleases> for DbExecutor {
    type Result = Result<Vec<ReleaseRow>, DbError>;
    fn handle(&mut self, m: ListReleases, _: &mut Self::Context) -> Self::Result {
        let listing = Listing {
            namespace: m.namespace.as_ref(),
            readable: &m.readable,
            state: m.state,
            limit: m.limit,
        };
        self.with_conn(|c, _| gray::list(c, &listing))
    }
}

/// Retargets or ends an active release (`db::gray_releases::Move`, owned).
#[derive(Message)]
#[rtype(result = "Result<Result<ReleaseRow, Stop>, DbError>")]
pub struct MoveRelease {
    pub id: ReleaseId,
    pub actor: String,
    pub action: &'static str,
    pub target: Option<String>,
    pub state: ReleaseState,
    pub reason: String,
    pub revision: Option<i64>,
    /// Refused unless the release is at this version.
    pub expect_version: Option<i64>,
    pub now_us: i64,
}

impl Handler<MoveRelease> for DbExecutor {
    type Result = Result<Result<ReleaseRow, Stop>, DbError>;
    fn handle(&mut self, m: MoveRelease, _: &mut Self::Context) -> Self::Result {
        let step = Move {
            id: m.id,
            actor: &m.actor,
            action: m.action,
            target: m.target.as_deref(),
            state: m.state,
            reason: &m.reason,
            revision: m.revision,
            expect_version: m.expect_version,
            outbox: self.outbox.get(),
            now_us: m.now_us,
        };
        self.with_conn(|c, _| gray::move_release(c, &step))
    }
}

/// Every active release and those ended since the time given (µs).
#[derive(Message)]
#[rtype(result = "Result<Vec<ReleaseRow>, DbError>")]
pub struct CurrentReleases(pub i64);

impl Handler<CurrentReleases> for DbExecutor {
    type Result = Result<Vec<ReleaseRow>, DbError>;
    fn handle(&mut self, m: CurrentReleases, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| gray::current(c, m.0))
    }
}

/// The rows (tombstones included) of keys of a namespace now: the main
/// line of the keys an edge's view gives back (`db::change_requests::rows`,
/// in chunks).
#[derive(Message)]
#[rtype(result = "Result<Vec<StoredRecord>, DbError>")]
pub struct RowsOf(pub Namespace, pub Vec<String>);

impl Handler<RowsOf> for DbExecutor {
    type Result = Result<Vec<StoredRecord>, DbError>;
    fn handle(&mut self, m: RowsOf, _: &mut Self::Context) -> Self::Result {
        let keys: Vec<&str> = m.1.iter().map(String::as_str).collect();
        self.with_conn(|c, _| crate::db::change_requests::rows(c, m.0.as_str(), &keys))
    }
}

/// What a signed view of a namespace starts from (`gray_releases::view_base`).
#[derive(Message)]
#[rtype(result = "Result<Option<(Digested, Vec<StoredRecord>)>, DbError>")]
pub struct ViewBase(pub Namespace, pub Vec<String>);

impl Handler<ViewBase> for DbExecutor {
    type Result = Result<Option<(Digested, Vec<StoredRecord>)>, DbError>;
    fn handle(&mut self, m: ViewBase, _: &mut Self::Context) -> Self::Result {
        let keys: Vec<&str> = m.1.iter().map(String::as_str).collect();
        self.with_conn(|c, _| gray::view_base(c, &m.0, &keys))
    }
}
