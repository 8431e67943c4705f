//! The review policy, judged inside a write's transaction (`writes.rs`),
//! after the revision lock: a direct write to a namespace that requires
//! reviews is refused; a published change request must be open, in that
//! namespace, approved as the policy asks (or published by an
//! administrator with a reason), and touch no key changed since it was
//! proposed. Writers take the revision lock in turn, so two centers
//! publishing one request cannot both pass.

use std::collections::HashMap;

use serde::Serialize;

use crate::domain::{Passage, ReleaseId, RequestId, RequestState, StoredRecord, Write};

/// What the gate let through: the audit row's review, and the request to
/// close with the revision.
#[derive(Debug, Default)]
pub(super) struct Gate {
    /// The audit row's `review` (JSON): `None` for a direct write.
    pub review: Option<String>,
    pub request: Option<RequestId>,
    /// The gray release to end, promoted, with the revision.
    pub release: Option<ReleaseId>,
    /// Keys changed after this revision refuse the publish.
    pub base_revision: Option<i64>,
    /// Who approved it, in order.
    pub approvers: Vec<String>,
    /// The reason an administrator published it without its approvals.
    pub break_glass: Option<String>,
}

/// An approving review, as the audit log keeps it.
#[derive(Debug, Serialize, diesel::Queryable)]
pub(super) struct Approval {
    pub by: String,
    pub comment: String,
}

/// The audit row's `review` of a publish.
#[derive(Serialize)]
pub(super) struct Review<'a> {
    pub request: RequestId,
    pub proposer: &'a str,
    pub published_by: &'a str,
    pub approvals: &'a [Approval],
    #[serde(skip_serializing_if = "Option::is_none")]
    pub break_glass: Option<&'a str>,
}

/// The request's state as stored; an unknown text reads as `Withdrawn`,
/// so it can be neither reviewed nor published.
pub(super) fn state_of(text: &str) -> RequestState {
    RequestState::parse(text).unwrap_or(RequestState::Withdrawn)
}

/// The keys a publish touches that changed after `base`, which refuse it
/// (a key that did not change never blocks it).
pub(super) fn changed_since(
    existing: &HashMap<String, StoredRecord>,
    base: Option<i64>,
) -> Result<(), Vec<String>> {
    let Some(base) = base else {
        return Ok(());
    };
    let mut changed: Vec<String> = existing
        .values()
        .filter(|r| r.revision > base)
        .map(|r| r.key.clone())
        .collect();
    if changed.is_empty() {
        return Ok(());
    }
    changed.sort();
    Err(changed)
}

/// Who makes `write` happen: the publisher of a change request, else its
/// author.
pub(super) fn publisher(write: &Write) -> &str {
    match &write.passage {
        Passage::Publish(p) => &p.publisher,
        Passage::Promote(p) => &p.by,
        _ => &write.origin.author,
    }
}

/// Judges `$write` against a policy of `$required` reviews; evaluates to
/// `Result<Gate, Refused>` (database errors leave through `?`).
macro_rules! review_gate {
    ($c:ident, $write:expr, $ns:expr, $required:expr) => {{
        use $crate::db::review_gate::{state_of, Approval, Gate, Review};
        use $crate::db::schema::{change_requests, change_reviews};
        use $crate::domain::{Passage, RequestState, Verdict};
        match &$write.passage {
            Passage::Direct if $required > 0 => Err(Refused::ReviewRequired {
                required: $required,
            }),
            Passage::Direct | Passage::Expiry { .. } => Ok(Gate::default()),
            Passage::Promote(_) if $required > 0 => Err(Refused::ReviewRequired {
                required: $required,
            }),
            Passage::Promote(p) => $crate::db::review_gate::promotion_gate!($c, p, $ns),
            Passage::Publish(p) => {
                type Row = (String, String, i64, String);
                let row: Option<Row> = change_requests::table
                    .find(p.request.0)
                    .select((
                        change_requests::namespace,
                        change_requests::author,
                        change_requests::base_revision,
                        change_requests::state,
                    ))
                    .first($c)
                    .optional()?;
                match row {
                    None => Err(Refused::NoSuchRequest),
                    Some((ns, _, _, _)) if ns != $ns => Err(Refused::NoSuchRequest),
                    Some((_, _, _, state)) if state_of(&state) != RequestState::Open => {
                        Err(Refused::Closed(state_of(&state)))
                    }
                    Some((_, author, base, _)) => {
                        let approvals: Vec<Approval> = change_reviews::table
                            .filter(change_reviews::request_id.eq(p.request.0))
                            .filter(change_reviews::verdict.eq(Verdict::Approve.as_str()))
                            .filter(change_reviews::reviewer.ne(author.as_str()))
                            .order(change_reviews::at_us.asc())
                            .select((change_reviews::reviewer, change_reviews::comment))
                            .load($c)?;
                        let approved = approvals.len() as i64;
                        if approved < $required && p.break_glass.is_none() {
                            Err(Refused::NotApproved {
                                approvals: approved,
                                required: $required,
                            })
                        } else {
                            // Recorded only when it let the publish through.
                            let broke = p.break_glass.as_deref().filter(|_| approved < $required);
                            let review = Review {
                                request: p.request,
                                proposer: &author,
                                published_by: &p.publisher,
                                approvals: &approvals,
                                break_glass: broke,
                            };
                            Ok(Gate {
                                review: serde_json::to_string(&review).ok(),
                                request: Some(p.request),
                                release: None,
                                base_revision: Some(base),
                                approvers: approvals.iter().map(|a| a.by.clone()).collect(),
                                break_glass: broke.map(str::to_string),
                            })
                        }
                    }
                }
            }
        }
    }};
}
pub(super) use review_gate;

/// Gives the revision taken back when the write changes nothing
/// (`$written` is `None`; the revision lock is still held); evaluates to
/// whether it did.
macro_rules! give_back_revision {
    ($c:ident, $written:expr) => {{
        if $written.is_none() {
            diesel::update(meta::table.find(REVISION))
                .set(meta::value.eq(meta::value - 1i64))
                .execute($c)?;
        }
        $written.is_none()
    }};
}
pub(super) use give_back_revision;

/// Closes the request `$gate` let through, if any, as published at
/// `$revision` by its publisher at `$now_us`. Evaluates to whether the
/// write changes nothing: then the revision taken is given back (the lock
/// is still held) and the request is closed without one.
macro_rules! close_published {
    ($c:ident, $gate:expr, $write:expr, $changes:expr, $revision:expr, $now_us:expr) => {{
        use $crate::db::schema::{change_requests, meta};
        match $gate.request {
            None => false,
            Some(id) => {
                let written = $changes.then_some($revision);
                diesel::update(change_requests::table.find(id.0))
                    .set((
                        change_requests::state.eq($crate::domain::RequestState::Published.as_str()),
                        change_requests::revision.eq(written),
                        change_requests::closed_by.eq(Some(publisher($write))),
                        change_requests::closed_at_us.eq(Some($now_us)),
                    ))
                    .execute($c)?;
                $crate::db::review_gate::give_back_revision!($c, written)
            }
        }
    }};
}
pub(super) use close_published;

/// Judges the promotion `$p` of a gray release into `$ns`: it must be an
/// active release of that namespace; keys it touches that changed after
/// its base revision refuse it (`changed_since`).
macro_rules! promotion_gate {
    ($c:ident, $p:expr, $ns:expr) => {{
        use $crate::db::schema::gray_releases;
        use $crate::domain::ReleaseState;
        let row: Option<(String, i64, String)> = gray_releases::table
            .find($p.release.0)
            .select((
                gray_releases::namespace,
                gray_releases::base_revision,
                gray_releases::state,
            ))
            .first($c)
            .optional()?;
        let state = |s: &str| ReleaseState::parse(s).unwrap_or(ReleaseState::Aborted);
        match row {
            Some((ns, base, s)) if ns == $ns && state(&s) == ReleaseState::Active => Ok(Gate {
                release: Some($p.release),
                base_revision: Some(base),
                ..Gate::default()
            }),
            Some((ns, _, s)) if ns == $ns => Err(Refused::ReleaseEnded(state(&s))),
            _ => Err(Refused::NoSuchRelease),
        }
    }};
}
pub(super) use promotion_gate;

/// Ends the gray release `$gate` promoted, if any, as promoted at
/// `$revision` (none when the write changes nothing: then the revision
/// taken is given back), with the step in its history. Evaluates to
/// whether the write changes nothing.
macro_rules! close_promoted {
    ($c:ident, $gate:expr, $write:expr, $changes:expr, $revision:expr, $now_us:expr) => {{
        use $crate::db::schema::{gray_releases, meta};
        match $gate.release {
            None => false,
            Some(id) => {
                let written = $changes.then_some($revision);
                let by = publisher($write);
                let (version, target): (i64, String) = gray_releases::table
                    .find(id.0)
                    .select((gray_releases::version, gray_releases::target))
                    .first($c)?;
                diesel::update(gray_releases::table.find(id.0))
                    .set((
                        gray_releases::state.eq($crate::domain::ReleaseState::Promoted.as_str()),
                        gray_releases::version.eq(version + 1),
                        gray_releases::revision.eq(written),
                        gray_releases::closed_by.eq(Some(by)),
                        gray_releases::reason.eq(Some("promoted")),
                        gray_releases::updated_at_us.eq($now_us),
                    ))
                    .execute($c)?;
                let step = $crate::db::gray_releases::NewStep {
                    release: id.0,
                    at_us: $now_us,
                    actor: by,
                    action: "promoted",
                    target: &target,
                    reason: &$write.origin.comment,
                };
                $crate::db::gray_releases::add_step!($c, &step);
                $crate::db::review_gate::give_back_revision!($c, written)
            }
        }
    }};
}
pub(super) use close_promoted;
