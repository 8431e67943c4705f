//! Queries on change requests: propose, find, list, count the open ones,
//! and the live rows of a request's keys. Reviews and withdrawals are
//! `change_reviews.rs`; the policy is a namespace's (`namespaces.rs`);
//! publishing is a write (`writes.rs`, through `review_gate.rs`).

use diesel::prelude::*;
use diesel::result::Error as DieselError;

use super::outbox::record_events;
use super::records::{read_transaction, write_transaction};
use super::schema::{change_requests, change_reviews, gray_releases, meta, namespaces, records};
use super::{with_conn, AnyConnection};
use crate::domain::{
    EventData, EventKind, Namespace, Outbox, RequestId, RequestState, StoredRecord,
    MAX_OPEN_REQUESTS,
};

/// The counter change request ids are taken from.
const COUNTER: &str = "change_request";

/// A change request as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = change_requests)]
pub struct RequestRow {
    pub id: i64,
    pub namespace: String,
    pub author: String,
    pub base_revision: i64,
    /// `records.apply`'s `changes`, as JSON text.
    pub changes: String,
    pub comment: String,
    pub state: String,
    pub created_at_us: i64,
    pub closed_at_us: Option<i64>,
    pub closed_by: Option<String>,
    pub revision: Option<i64>,
}

/// A review as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = change_reviews)]
pub struct ReviewRow {
    pub request_id: i64,
    pub reviewer: String,
    pub verdict: String,
    pub comment: String,
    pub at_us: i64,
}

/// A request with its reviews and the namespace's policy.
#[derive(Debug, Clone)]
pub struct Found {
    pub request: RequestRow,
    pub reviews: Vec<ReviewRow>,
    pub reviews_required: i64,
    /// Its namespace is secret: values are ciphertexts a diff does not show.
    pub sealed: bool,
    /// Its latest gray release (`changes.release`), by id and state.
    pub release: Option<(i64, String)>,
}

/// A new change request.
pub struct Proposal<'a> {
    pub namespace: &'a Namespace,
    pub author: &'a str,
    pub changes: &'a str,
    pub comment: &'a str,
    pub now_us: i64,
    pub outbox: Outbox,
}

/// Why a change request was not stored, reviewed or withdrawn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NoSuchNamespace,
    NoSuchRequest,
    /// The namespace holds this many open requests already.
    TooManyOpen(i64),
    Closed(RequestState),
    /// Its author reviewing it.
    OwnRequest,
}

/// How a transaction that may stop for a reason `S` ended early.
pub(super) enum Abort<S = Stop> {
    Db(DieselError),
    Stop(S),
}

impl<S> From<DieselError> for Abort<S> {
    fn from(e: DieselError) -> Self {
        Abort::Db(e)
    }
}

pub(super) fn finish<T, S>(outcome: Result<T, Abort<S>>) -> QueryResult<Result<T, S>> {
    match outcome {
        Ok(t) => Ok(Ok(t)),
        Err(Abort::Stop(stop)) => Ok(Err(stop)),
        Err(Abort::Db(e)) => Err(e),
    }
}

/// What a change request's event reports.
pub(super) fn request_event(namespace: &str, author: &str, comment: &str, id: i64) -> EventData {
    EventData {
        namespace: namespace.to_string(),
        author: author.to_string(),
        comment: comment.to_string(),
        request: Some(id),
        ..EventData::default()
    }
}

/// Stores a proposal made on the namespace's current revision.
pub fn propose(conn: &mut AnyConnection, p: &Proposal) -> QueryResult<Result<RequestId, Stop>> {
    let ns = p.namespace.as_str();
    finish(write_transaction!(conn, |c| {
        let base: Option<i64> = namespaces::table
            .find(ns)
            .select(namespaces::revision)
            .first(c)
            .optional()?;
        let Some(base) = base else {
            return Err(Abort::Stop(Stop::NoSuchNamespace));
        };
        let open: i64 = change_requests::table
            .filter(change_requests::namespace.eq(ns))
            .filter(change_requests::state.eq(RequestState::Open.as_str()))
            .count()
            .get_result(c)?;
        if open >= MAX_OPEN_REQUESTS {
            return Err(Abort::Stop(Stop::TooManyOpen(open)));
        }
        diesel::update(meta::table.find(COUNTER))
            .set(meta::value.eq(meta::value + 1i64))
            .execute(c)?;
        let id: i64 = meta::table.find(COUNTER).select(meta::value).first(c)?;
        diesel::insert_into(change_requests::table)
            .values((
                change_requests::id.eq(id),
                change_requests::namespace.eq(ns),
                change_requests::author.eq(p.author),
                change_requests::base_revision.eq(base),
                change_requests::changes.eq(p.changes),
                change_requests::comment.eq(p.comment),
                change_requests::state.eq(RequestState::Open.as_str()),
                change_requests::created_at_us.eq(p.now_us),
            ))
            .execute(c)?;
        if p.outbox == Outbox::Kept {
            let data = request_event(ns, p.author, p.comment, id);
            record_events!(c, &[EventKind::ReviewOpened], &data, p.now_us);
        }
        Ok(RequestId(id))
    }))
}

/// One request with its reviews, if it exists.
pub fn find(conn: &mut AnyConnection, id: RequestId) -> QueryResult<Option<Found>> {
    read_transaction!(conn, |c| {
        let request: Option<RequestRow> = change_requests::table
            .find(id.0)
            .select(RequestRow::as_select())
            .first(c)
            .optional()?;
        let Some(request) = request else {
            return Ok(None);
        };
        let reviews = change_reviews::table
            .filter(change_reviews::request_id.eq(id.0))
            .order(change_reviews::at_us.asc())
            .select(ReviewRow::as_select())
            .load(c)?;
        let (reviews_required, recipient): (i64, Option<String>) = namespaces::table
            .find(&request.namespace)
            .select((namespaces::reviews_required, namespaces::recipient))
            .first(c)
            .optional()?
            .unwrap_or((0, None));
        let release = gray_releases::table
            .filter(gray_releases::request_id.eq(Some(id.0)))
            .order(gray_releases::id.desc())
            .select((gray_releases::id, gray_releases::state))
            .first(c)
            .optional()?;
        Ok(Some(Found {
            request,
            reviews,
            reviews_required,
            sealed: recipient.is_some(),
            release,
        }))
    })
}

/// Which requests `list` answers, newest first.
pub struct Listing<'a> {
    /// `None`: every namespace of `readable`.
    pub namespace: Option<&'a Namespace>,
    pub readable: &'a [String],
    pub state: Option<RequestState>,
    pub limit: i64,
    pub offset: i64,
}

/// The ids of one page of requests, newest first.
pub fn list(conn: &mut AnyConnection, l: &Listing) -> QueryResult<Vec<RequestId>> {
    let ids: Vec<i64> = with_conn!(conn, |c| {
        let mut q = change_requests::table
            .select(change_requests::id)
            .order(change_requests::id.desc())
            .limit(l.limit)
            .offset(l.offset)
            .into_boxed();
        q = match l.namespace {
            Some(ns) => q.filter(change_requests::namespace.eq(ns.as_str())),
            None => q.filter(change_requests::namespace.eq_any(l.readable)),
        };
        if let Some(state) = l.state {
            q = q.filter(change_requests::state.eq(state.as_str()));
        }
        q.load(c)
    })?;
    Ok(ids.into_iter().map(RequestId).collect())
}

/// Open requests per namespace (the console's count).
pub fn open_counts(conn: &mut AnyConnection) -> QueryResult<Vec<(String, i64)>> {
    with_conn!(conn, |c| change_requests::table
        .filter(change_requests::state.eq(RequestState::Open.as_str()))
        .group_by(change_requests::namespace)
        .select((change_requests::namespace, diesel::dsl::count_star()))
        .load(c))
}

/// The rows (live or tombstones) of `keys` in `ns` now, for a request's
/// diff against the live data and the keys a gray view gives back.
pub fn rows(conn: &mut AnyConnection, ns: &str, keys: &[&str]) -> QueryResult<Vec<StoredRecord>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(500) {
        let rows: Vec<super::records::RecordRow> = with_conn!(conn, |c| records::table
            .filter(records::namespace.eq(ns))
            .filter(records::key.eq_any(chunk))
            .select(super::records::RecordRow::as_select())
            .load(c))?;
        out.extend(rows.into_iter().map(StoredRecord::from));
    }
    Ok(out)
}
