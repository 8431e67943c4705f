//! Closing what the review gate (`review_gate.rs`) let through, inside the
//! write's transaction: the change request published and the gray release
//! promoted (both, when a release of an approved request is promoted or
//! the request is published), at the revision the write took, or without
//! one when it changes nothing (then the revision is given back).

/// Closes what `$gate` let through at `$written`; evaluates to whether
/// the write changes nothing and closed a request or release without a
/// revision (then the revision taken is given back).
macro_rules! close_gated {
    ($c:ident, $gate:expr, $write:expr, $written:expr, $now_us:expr) => {{
        use $crate::db::review_close::{close_promoted, close_published, give_back_revision};
        let written: Option<i64> = $written;
        close_published!($c, $gate, $write, written, $now_us);
        close_promoted!($c, $gate, $write, written, $now_us);
        let unchanged = $gate.closes() && written.is_none();
        if unchanged {
            give_back_revision!($c);
        }
        unchanged
    }};
}
pub(super) use close_gated;

/// Gives back the revision taken (the revision lock is still held): the
/// write changes nothing.
macro_rules! give_back_revision {
    ($c:ident) => {{
        use $crate::db::schema::meta;
        diesel::update(meta::table.find(REVISION))
            .set(meta::value.eq(meta::value - 1i64))
            .execute($c)?;
    }};
}
pub(super) use give_back_revision;

/// Closes the request `$gate` let through, if any, as published at
/// `$written` (`None`: the write changes nothing) by its publisher at
/// `$now_us`.
macro_rules! close_published {
    ($c:ident, $gate:expr, $write:expr, $written:expr, $now_us:expr) => {{
        use $crate::db::schema::change_requests;
        if let Some(id) = $gate.request {
            diesel::update(change_requests::table.find(id.0))
                .set((
                    change_requests::state.eq($crate::domain::RequestState::Published.as_str()),
                    change_requests::revision.eq($written),
                    change_requests::closed_by.eq(Some(publisher($write))),
                    change_requests::closed_at_us.eq(Some($now_us)),
                ))
                .execute($c)?;
        }
    }};
}
pub(super) use close_published;

/// Ends the gray release `$gate` promoted, if any, as promoted at
/// `$written` (`None`: the write changes nothing), with the step in its
/// history.
macro_rules! close_promoted {
    ($c:ident, $gate:expr, $write:expr, $written:expr, $now_us:expr) => {{
        use $crate::db::schema::gray_releases;
        if let Some(id) = $gate.release {
            let by = publisher($write);
            let (version, target): (i64, String) = gray_releases::table
                .find(id.0)
                .select((gray_releases::version, gray_releases::target))
                .first($c)?;
            diesel::update(gray_releases::table.find(id.0))
                .set((
                    gray_releases::state.eq($crate::domain::ReleaseState::Promoted.as_str()),
                    gray_releases::version.eq(version + 1),
                    gray_releases::revision.eq($written),
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
        }
    }};
}
pub(super) use close_promoted;
