//! Queries on gray releases: create, find, list, change the target, end,
//! and the current releases (what the center serves edges' views from). Each
//! change of a release adds a step to its history (`gray_steps`).
//! Promoting writes the namespace (`writes.rs`) and then ends the release.

use diesel::prelude::*;

use super::change_requests::{finish, Abort};
use super::outbox::record_events;
use super::records::{read_transaction, write_transaction, Digested, RecordRow};
use super::schema::{gray_releases, gray_steps, meta, namespaces};
use super::{with_conn, AnyConnection};
use crate::domain::{
    EventData, EventKind, Namespace, Outbox, ReleaseId, ReleaseState, RequestId, RequestState,
    StoredRecord, MAX_ACTIVE_RELEASES,
};

/// The counter release ids are taken from.
const COUNTER: &str = "gray_release";

mod reads;
pub use reads::{current, find, list, view_base, Listing};

/// A gray release as stored.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = gray_releases)]
pub struct ReleaseRow {
    pub id: i64,
    pub namespace: String,
    pub author: String,
    pub base_revision: i64,
    /// `records.apply`'s `changes`, as JSON text.
    pub changes: String,
    /// `domain::Target`'s JSON form.
    pub target: String,
    pub comment: String,
    pub state: String,
    /// Rises with every change of the target.
    pub version: i64,
    pub created_at_us: i64,
    pub updated_at_us: i64,
    pub closed_by: Option<String>,
    pub reason: Option<String>,
    /// The revision its promotion made.
    pub revision: Option<i64>,
    /// Its automatic canary (`domain::Auto`'s JSON form), if any.
    pub auto: Option<String>,
    /// The approved change request it releases, on a namespace that
    /// requires reviews (`changes.release`).
    pub request_id: Option<i64>,
}

/// One step of a release's history.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = gray_steps)]
pub struct StepRow {
    pub seq: i64,
    pub at_us: i64,
    pub actor: String,
    pub action: String,
    pub target: String,
    pub reason: String,
}

/// A new gray release.
pub struct NewRelease<'a> {
    pub namespace: &'a Namespace,
    pub author: &'a str,
    pub changes: &'a str,
    pub target: &'a str,
    pub comment: &'a str,
    pub auto: Option<&'a str>,
    /// The approved change request it releases (its changes and base
    /// revision are the request's); required on a namespace that requires
    /// reviews.
    pub request: Option<RequestId>,
    pub outbox: Outbox,
    pub now_us: i64,
}

/// A change to an active release: its target, or its end.
pub struct Move<'a> {
    pub id: ReleaseId,
    pub actor: &'a str,
    /// The step's name in the history (`retargeted`, `aborted`, ...).
    pub action: &'a str,
    /// The new target (`None`: kept).
    pub target: Option<&'a str>,
    /// The state after it (`Active` to stay active).
    pub state: ReleaseState,
    pub reason: &'a str,
    /// The revision a promotion made.
    pub revision: Option<i64>,
    /// Refused (`Stop::Moved`) unless the release is at this version: a
    /// schedule's step taken by one center only.
    pub expect_version: Option<i64>,
    pub outbox: Outbox,
    pub now_us: i64,
}

/// A step added to a release's history.
pub(super) struct NewStep<'a> {
    pub release: i64,
    pub at_us: i64,
    pub actor: &'a str,
    pub action: &'a str,
    /// The target after it, as JSON.
    pub target: &'a str,
    pub reason: &'a str,
}

/// Adds `$step` (a `NewStep`) to its release's history, numbered after the
/// last one, inside a write transaction on `$c`.
macro_rules! add_step {
    ($c:ident, $step:expr) => {{
        use $crate::db::schema::gray_steps;
        let step: &$crate::db::gray_releases::NewStep = $step;
        let last: Option<i64> = gray_steps::table
            .filter(gray_steps::release_id.eq(step.release))
            .select(diesel::dsl::max(gray_steps::seq))
            .first($c)?;
        diesel::insert_into(gray_steps::table)
            .values((
                gray_steps::release_id.eq(step.release),
                gray_steps::seq.eq(last.unwrap_or(0) + 1),
                gray_steps::at_us.eq(step.at_us),
                gray_steps::actor.eq(step.actor),
                gray_steps::action.eq(step.action),
                gray_steps::target.eq(step.target),
                gray_steps::reason.eq(step.reason),
            ))
            .execute($c)?;
    }};
}
pub(super) use add_step;

/// A step as a webhook event reports it.
pub(super) fn step_event(namespace: &str, step: &NewStep, revision: Option<i64>) -> EventData {
    EventData {
        namespace: namespace.to_string(),
        revision,
        author: step.actor.to_string(),
        comment: step.reason.to_string(),
        release: Some(step.release),
        action: Some(step.action.to_string()),
        target: serde_json::from_str(step.target).ok(),
        ..Default::default()
    }
}

/// Why a release was not stored or changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stop {
    NoSuchNamespace,
    NoSuchRelease,
    /// The namespace holds this many active releases already.
    TooManyActive(i64),
    /// It ended already.
    Ended(ReleaseState),
    /// The namespace requires this many approving reviews before a change
    /// is published.
    ReviewRequired(i64),
    /// It is no longer at the version expected.
    Moved,
    /// The change request released is not in this namespace, or gone.
    NoSuchRequest,
    /// The change request released is no longer open.
    RequestClosed(RequestState),
    /// The change request released has fewer approvals than the policy asks.
    NotApproved {
        approvals: i64,
        required: i64,
    },
    /// The change request is in this active release already.
    RequestReleased(ReleaseId),
}

/// What a release of request `$id` into `$ns` starts from, `(base revision,
/// changes)`; the transaction stops unless the request is open, approved
/// as the namespace's `$required` asks, and in no active release.
macro_rules! released_request {
    ($c:ident, $id:expr, $ns:expr, $required:expr) => {{
        use $crate::db::gray_requests::{active_release_of, open_request, NotOpen};
        let open = match open_request!($c, $id, $ns) {
            Err(NotOpen::Missing) => return Err(Abort::Stop(Stop::NoSuchRequest)),
            Err(NotOpen::Closed(state)) => return Err(Abort::Stop(Stop::RequestClosed(state))),
            Ok(open) => open,
        };
        let approvals = open.approvals.len() as i64;
        if approvals < $required {
            return Err(Abort::Stop(Stop::NotApproved {
                approvals,
                required: $required,
            }));
        }
        if let Some(release) = active_release_of!($c, $id) {
            return Err(Abort::Stop(Stop::RequestReleased(release)));
        }
        (open.base, open.changes)
    }};
}

/// Stores a release made on the namespace's current revision (or of an
/// approved change request, on the request's), with its first step.
pub fn create(conn: &mut AnyConnection, r: &NewRelease) -> QueryResult<Result<ReleaseId, Stop>> {
    let ns = r.namespace.as_str();
    finish(write_transaction!(conn, |c| {
        let found: Option<(i64, i64)> = namespaces::table
            .find(ns)
            .select((namespaces::revision, namespaces::reviews_required))
            .first(c)
            .optional()?;
        let Some((current, required)) = found else {
            return Err(Abort::Stop(Stop::NoSuchNamespace));
        };
        let (base, changes) = match r.request {
            Some(id) => released_request!(c, id, ns, required),
            None if required > 0 => return Err(Abort::Stop(Stop::ReviewRequired(required))),
            None => (current, r.changes.to_string()),
        };
        let active: i64 = gray_releases::table
            .filter(gray_releases::namespace.eq(ns))
            .filter(gray_releases::state.eq(ReleaseState::Active.as_str()))
            .count()
            .get_result(c)?;
        if active >= MAX_ACTIVE_RELEASES {
            return Err(Abort::Stop(Stop::TooManyActive(active)));
        }
        diesel::update(meta::table.find(COUNTER))
            .set(meta::value.eq(meta::value + 1i64))
            .execute(c)?;
        let id: i64 = meta::table.find(COUNTER).select(meta::value).first(c)?;
        diesel::insert_into(gray_releases::table)
            .values((
                gray_releases::id.eq(id),
                gray_releases::namespace.eq(ns),
                gray_releases::author.eq(r.author),
                gray_releases::base_revision.eq(base),
                gray_releases::changes.eq(&changes),
                gray_releases::target.eq(r.target),
                gray_releases::comment.eq(r.comment),
                gray_releases::state.eq(ReleaseState::Active.as_str()),
                gray_releases::version.eq(1i64),
                gray_releases::created_at_us.eq(r.now_us),
                gray_releases::updated_at_us.eq(r.now_us),
                gray_releases::auto.eq(r.auto),
                gray_releases::request_id.eq(r.request.map(|id| id.0)),
            ))
            .execute(c)?;
        let step = NewStep {
            release: id,
            at_us: r.now_us,
            actor: r.author,
            action: "created",
            target: r.target,
            reason: r.comment,
        };
        add_step!(c, &step);
        if r.outbox == Outbox::Kept {
            let data = step_event(ns, &step, None);
            record_events!(c, &[EventKind::GrayCreated], &data, r.now_us);
        }
        Ok(ReleaseId(id))
    }))
}

/// Changes an active release (its target, its state or both) and adds
/// the step to its history; answers the release as it is now.
pub fn move_release(conn: &mut AnyConnection, m: &Move) -> QueryResult<Result<ReleaseRow, Stop>> {
    finish(write_transaction!(conn, |c| {
        let row: Option<ReleaseRow> = gray_releases::table
            .find(m.id.0)
            .select(ReleaseRow::as_select())
            .first(c)
            .optional()?;
        let Some(row) = row else {
            return Err(Abort::Stop(Stop::NoSuchRelease));
        };
        let state = ReleaseState::parse(&row.state).unwrap_or(ReleaseState::Aborted);
        if state != ReleaseState::Active {
            return Err(Abort::Stop(Stop::Ended(state)));
        }
        if m.expect_version.is_some_and(|v| v != row.version) {
            return Err(Abort::Stop(Stop::Moved));
        }
        let target = m.target.unwrap_or(&row.target);
        let ended = m.state != ReleaseState::Active;
        diesel::update(gray_releases::table.find(m.id.0))
            .set((
                gray_releases::target.eq(target),
                gray_releases::state.eq(m.state.as_str()),
                gray_releases::version.eq(row.version + 1),
                gray_releases::updated_at_us.eq(m.now_us),
                gray_releases::closed_by.eq(ended.then_some(m.actor)),
                gray_releases::reason.eq(ended.then_some(m.reason)),
                gray_releases::revision.eq(m.revision),
            ))
            .execute(c)?;
        let step = NewStep {
            release: m.id.0,
            at_us: m.now_us,
            actor: m.actor,
            action: m.action,
            target,
            reason: m.reason,
        };
        add_step!(c, &step);
        if m.outbox == Outbox::Kept {
            let data = step_event(&row.namespace, &step, m.revision);
            record_events!(c, &[EventKind::of_gray_step(m.state)], &data, m.now_us);
        }
        Ok(gray_releases::table
            .find(m.id.0)
            .select(ReleaseRow::as_select())
            .first(c)?)
    }))
}
