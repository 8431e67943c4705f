//! The review policy, judged inside a write's transaction (`writes.rs`),
//! after the revision lock: a direct write to a namespace that requires
//! reviews is refused; a published change request must be open, in that
//! namespace, approved as the policy asks (or published by an
//! administrator with a reason), and touch no key changed since it was
//! proposed. A promoted gray release must be active in that namespace; on
//! a namespace that requires reviews it must carry an approved request
//! (`changes.release`), published with it. Writers take the revision lock
//! in turn, so two centers publishing one request cannot both pass.
//! Closing what the gate let through: `review_close.rs`.

use std::collections::HashMap;

use serde::Serialize;

use super::gray_requests::{Approval, OpenRequest};
use crate::domain::{
    InvalidExpiry, Passage, ReleaseId, ReleaseState, RequestId, RequestState, StoredRecord, Write,
};

/// Why a write was refused; nothing was committed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    NoSuchNamespace,
    /// The namespace changed at `changed_at`, after the `if_revision` given.
    Conflict {
        changed_at: i64,
    },
    /// Values that violate the namespace's schema (the first few).
    Schema(Vec<String>),
    /// An expiry that is not ahead of the commit (or too far ahead).
    Expiry {
        key: String,
        why: InvalidExpiry,
    },
    /// A direct write to a namespace that requires this many approving
    /// reviews.
    ReviewRequired {
        required: i64,
    },
    /// The change request published is not in this namespace, or gone.
    NoSuchRequest,
    /// The change request published (or whose release is promoted) is no
    /// longer open.
    Closed {
        request: RequestId,
        state: RequestState,
    },
    /// The change request has fewer approvals than the policy asks.
    NotApproved {
        request: RequestId,
        approvals: i64,
        required: i64,
    },
    /// Keys the change request or gray release touches changed after it
    /// was made.
    KeysChanged(Vec<String>),
    /// The gray release promoted is not in this namespace, or gone.
    NoSuchRelease,
    /// The gray release promoted is no longer active.
    ReleaseEnded(ReleaseState),
    /// Values written to a secret namespace that are not age ciphertexts
    /// (the first few, each naming its key and why).
    NotSealed(Vec<String>),
    /// A key rotation of a namespace that is not secret.
    NotSecret,
    /// A key rotation that left this many live values sealed to the old
    /// key: it must re-seal every one.
    NotResealed(i64),
}

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

impl Gate {
    /// Whether the write closes a change request or a gray release (which
    /// close even when the write changes nothing).
    pub fn closes(&self) -> bool {
        self.request.is_some() || self.release.is_some()
    }
}

/// What an open request's approvals let through: its gate (the audit
/// row's review names `publisher` and the approvals), or a refusal if
/// they fall short of `required` and no `break_glass` reason is given.
pub(super) fn approval_gate(
    id: RequestId,
    open: OpenRequest,
    publisher: &str,
    break_glass: Option<&str>,
    required: i64,
) -> Result<Gate, Refused> {
    let approved = open.approvals.len() as i64;
    if approved < required && break_glass.is_none() {
        return Err(Refused::NotApproved {
            request: id,
            approvals: approved,
            required,
        });
    }
    // Recorded only when it let the publish through.
    let broke = break_glass.filter(|_| approved < required);
    let review = Review {
        request: id,
        proposer: &open.author,
        published_by: publisher,
        approvals: &open.approvals,
        break_glass: broke,
    };
    Ok(Gate {
        review: serde_json::to_string(&review).ok(),
        request: Some(id),
        release: None,
        base_revision: Some(open.base),
        approvers: open.approvals.iter().map(|a| a.by.clone()).collect(),
        break_glass: broke.map(str::to_string),
    })
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
        use $crate::db::gray_requests::{active_release_of, open_request, NotOpen};
        use $crate::db::review_gate::{approval_gate, Gate, Refused};
        use $crate::domain::Passage;
        match &$write.passage {
            Passage::Direct if $required > 0 => Err(Refused::ReviewRequired {
                required: $required,
            }),
            Passage::Direct | Passage::Expiry { .. } | Passage::Rekey(_) => Ok(Gate::default()),
            Passage::Promote(p) => $crate::db::review_gate::promotion_gate!($c, p, $ns, $required),
            Passage::Publish(p) => match open_request!($c, p.request, $ns) {
                Err(NotOpen::Missing) => Err(Refused::NoSuchRequest),
                Err(NotOpen::Closed(state)) => Err(Refused::Closed {
                    request: p.request,
                    state,
                }),
                Ok(open) => {
                    let by = p.break_glass.as_deref();
                    match approval_gate(p.request, open, &p.publisher, by, $required) {
                        // Its active gray release, if any, is promoted with it.
                        Ok(gate) => Ok(Gate {
                            release: active_release_of!($c, p.request),
                            ..gate
                        }),
                        Err(refused) => Err(refused),
                    }
                }
            },
        }
    }};
}
pub(super) use review_gate;

/// Judges the promotion `$p` of a gray release into `$ns`: it must be an
/// active release of that namespace, and on a namespace that requires
/// reviews, carry an open request approved as the policy asks (published
/// with it); keys it touches that changed after its base revision refuse
/// it (`changed_since`).
macro_rules! promotion_gate {
    ($c:ident, $p:expr, $ns:expr, $required:expr) => {{
        use $crate::db::gray_requests::{open_request, NotOpen};
        use $crate::db::review_gate::{approval_gate, Gate, Refused};
        use $crate::db::schema::gray_releases;
        use $crate::domain::{ReleaseState, RequestId};
        type Row = (String, i64, String, Option<i64>);
        let row: Option<Row> = gray_releases::table
            .find($p.release.0)
            .select((
                gray_releases::namespace,
                gray_releases::base_revision,
                gray_releases::state,
                gray_releases::request_id,
            ))
            .first($c)
            .optional()?;
        let state = |s: &str| ReleaseState::parse(s).unwrap_or(ReleaseState::Aborted);
        // The release is ended with the revision, and keys changed after
        // its base refuse it.
        let gated = |base: i64, g: Gate| Gate {
            release: Some($p.release),
            base_revision: Some(base),
            ..g
        };
        match row {
            Some((ns, _, s, _)) if ns == $ns && state(&s) != ReleaseState::Active => {
                Err(Refused::ReleaseEnded(state(&s)))
            }
            Some((ns, base, _, None)) if ns == $ns => match $required {
                0 => Ok(gated(base, Gate::default())),
                required => Err(Refused::ReviewRequired { required }),
            },
            Some((ns, base, _, Some(request))) if ns == $ns => {
                let request = RequestId(request);
                match open_request!($c, request, $ns) {
                    Err(NotOpen::Missing) => Err(Refused::NoSuchRequest),
                    Err(NotOpen::Closed(state)) => Err(Refused::Closed { request, state }),
                    Ok(open) => approval_gate(request, open, &$p.by, None, $required)
                        .map(|g| gated(base, g)),
                }
            }
            _ => Err(Refused::NoSuchRelease),
        }
    }};
}
pub(super) use promotion_gate;
