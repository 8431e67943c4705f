//! Reading gray releases: one with its history, a listing, the current
//! ones, and the base a view is built on.

use super::*;

/// One release with its history, if it exists.
pub fn find(
    conn: &mut AnyConnection,
    id: ReleaseId,
) -> QueryResult<Option<(ReleaseRow, Vec<StepRow>)>> {
    read_transaction!(conn, |c| {
        let row: Option<ReleaseRow> = gray_releases::table
            .find(id.0)
            .select(ReleaseRow::as_select())
            .first(c)
            .optional()?;
        let Some(row) = row else {
            return Ok(None);
        };
        let steps = gray_steps::table
            .filter(gray_steps::release_id.eq(id.0))
            .order(gray_steps::seq.asc())
            .select(StepRow::as_select())
            .load(c)?;
        Ok(Some((row, steps)))
    })
}

/// Which releases `list` answers, newest first.
pub struct Listing<'a> {
    /// `None`: every namespace of `readable`.
    pub namespace: Option<&'a Namespace>,
    pub readable: &'a [String],
    pub state: Option<ReleaseState>,
    pub limit: i64,
}

/// One page of releases, newest first.
pub fn list(conn: &mut AnyConnection, l: &Listing) -> QueryResult<Vec<ReleaseRow>> {
    with_conn!(conn, |c| {
        let mut q = gray_releases::table
            .select(ReleaseRow::as_select())
            .order(gray_releases::id.desc())
            .limit(l.limit)
            .into_boxed();
        q = match l.namespace {
            Some(ns) => q.filter(gray_releases::namespace.eq(ns.as_str())),
            None => q.filter(gray_releases::namespace.eq_any(l.readable)),
        };
        if let Some(state) = l.state {
            q = q.filter(gray_releases::state.eq(state.as_str()));
        }
        q.load(c)
    })
}

/// Every active release, and those that ended at or after `ended_since_us`
/// (edges that held them are brought back with their keys), oldest first.
pub fn current(conn: &mut AnyConnection, ended_since_us: i64) -> QueryResult<Vec<ReleaseRow>> {
    with_conn!(conn, |c| gray_releases::table
        .filter(
            gray_releases::state
                .eq(ReleaseState::Active.as_str())
                .or(gray_releases::updated_at_us.ge(ended_since_us)),
        )
        .order(gray_releases::id.asc())
        .select(ReleaseRow::as_select())
        .load(c))
}

/// What a signed view of `ns` starts from, read in one snapshot: the
/// namespace's digest (and the revision that last changed it), and the
/// live rows of `keys` (at most a release's keys: a few hundred per
/// statement).
pub fn view_base(
    conn: &mut AnyConnection,
    ns: &Namespace,
    keys: &[&str],
) -> QueryResult<Option<(Digested, Vec<StoredRecord>)>> {
    use crate::db::schema::records;
    read_transaction!(conn, |c| {
        let found: Option<(i64, Option<Vec<u8>>)> = namespaces::table
            .find(ns.as_str())
            .select((namespaces::revision, namespaces::digest))
            .first(c)
            .optional()?;
        let Some((revision, digest)) = found else {
            return Ok(None);
        };
        let mut rows = Vec::with_capacity(keys.len());
        for chunk in keys.chunks(500) {
            let found: Vec<RecordRow> = records::table
                .filter(records::namespace.eq(ns.as_str()))
                .filter(records::key.eq_any(chunk))
                .filter(records::deleted.eq(false))
                .select(RecordRow::as_select())
                .load(c)?;
            rows.extend(found.into_iter().map(StoredRecord::from));
        }
        Ok(Some((Digested { revision, digest }, rows)))
    })
}
