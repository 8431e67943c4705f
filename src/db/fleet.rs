//! `fleet_edges`: the edges every center on this database has seen, one
//! row per name and address. Centers write what changed in batches (one
//! transaction, a few hundred rows a statement where the backend allows);
//! a row only moves forward (a center with an older sighting of the same
//! edge does not overwrite a newer one). Bounded by age and count.

use std::collections::HashMap;

use diesel::prelude::*;

use super::records::write_transaction;
use super::schema::{audit, fleet_edges, namespaces};
use super::{with_conn, AnyConnection};
use crate::domain::{DigestReport, EdgeSeen};

/// Rows a statement carries (9 columns: well under every backend's limit
/// of bound parameters).
const CHUNK: usize = 500;

type Row = (
    String,
    String,
    String,
    String,
    i64,
    bool,
    String,
    i64,
    i64,
    i64,
    String,
);

fn to_row(e: &EdgeSeen) -> Row {
    (
        e.name.clone(),
        e.address.clone(),
        e.version.clone(),
        e.namespaces.clone(),
        e.revision,
        e.in_step,
        e.digest.map_or("", DigestReport::label).to_string(),
        e.hold_us,
        e.first_seen_us,
        e.last_pull_us,
        e.labels.clone(),
    )
}

fn from_row(r: Row) -> EdgeSeen {
    EdgeSeen {
        name: r.0,
        address: r.1,
        version: r.2,
        namespaces: r.3,
        revision: r.4,
        in_step: r.5,
        digest: DigestReport::parse(&r.6),
        hold_us: r.7,
        first_seen_us: r.8,
        last_pull_us: r.9,
        labels: r.10,
    }
}

/// Writes `rows`: new edges inserted, known ones updated where this
/// sighting is newer. Returns how many rows were written.
pub fn upsert(conn: &mut AnyConnection, rows: &[EdgeSeen]) -> QueryResult<usize> {
    use fleet_edges::dsl as f;
    write_transaction!(conn, |c| {
        let mut written = 0;
        for chunk in rows.chunks(CHUNK) {
            let names: Vec<&str> = chunk.iter().map(|e| e.name.as_str()).collect();
            let stored: HashMap<(String, String), i64> = f::fleet_edges
                .filter(f::name.eq_any(&names))
                .select((f::name, f::address, f::last_pull_us))
                .load::<(String, String, i64)>(c)?
                .into_iter()
                .map(|(n, a, t)| ((n, a), t))
                .collect();
            let mut new = Vec::new();
            for e in chunk {
                match stored.get(&e.key()) {
                    None => new.push(to_row(e)),
                    Some(&t) if t < e.last_pull_us => {
                        written += diesel::update(f::fleet_edges.find((&e.name, &e.address)))
                            .set((
                                f::version.eq(&e.version),
                                f::namespaces.eq(&e.namespaces),
                                f::labels.eq(&e.labels),
                                f::revision.eq(e.revision),
                                f::in_step.eq(e.in_step),
                                f::digest.eq(e.digest.map_or("", DigestReport::label)),
                                f::hold_us.eq(e.hold_us),
                                f::last_pull_us.eq(e.last_pull_us),
                            ))
                            .execute(c)?;
                    }
                    Some(_) => {}
                }
            }
            if !new.is_empty() {
                let values: Vec<_> = new
                    .into_iter()
                    .map(|r| {
                        (
                            f::name.eq(r.0),
                            f::address.eq(r.1),
                            f::version.eq(r.2),
                            f::namespaces.eq(r.3),
                            f::revision.eq(r.4),
                            f::in_step.eq(r.5),
                            f::digest.eq(r.6),
                            f::hold_us.eq(r.7),
                            f::first_seen_us.eq(r.8),
                            f::last_pull_us.eq(r.9),
                            f::labels.eq(r.10),
                        )
                    })
                    .collect();
                written += diesel::insert_into(f::fleet_edges)
                    .values(values)
                    .execute(c)?;
            }
        }
        Ok(written)
    })
}

/// Forgets edges that last pulled before `oldest_us`, then the oldest
/// beyond `max` rows. Returns how many went.
pub fn prune(conn: &mut AnyConnection, oldest_us: i64, max: usize) -> QueryResult<usize> {
    use fleet_edges::dsl as f;
    with_conn!(conn, |c| {
        let mut gone =
            diesel::delete(f::fleet_edges.filter(f::last_pull_us.lt(oldest_us))).execute(c)?;
        let cutoff: Option<i64> = f::fleet_edges
            .select(f::last_pull_us)
            .order(f::last_pull_us.desc())
            .offset(max as i64)
            .limit(1)
            .first(c)
            .optional()?;
        if let Some(cutoff) = cutoff {
            gone += diesel::delete(f::fleet_edges.filter(f::last_pull_us.le(cutoff))).execute(c)?;
        }
        Ok(gone)
    })
}

/// Every edge stored, the latest pulls first, at most `max`.
pub fn load(conn: &mut AnyConnection, max: usize) -> QueryResult<Vec<EdgeSeen>> {
    use fleet_edges::dsl as f;
    with_conn!(conn, |c| {
        let rows: Vec<Row> = f::fleet_edges
            .select((
                f::name,
                f::address,
                f::version,
                f::namespaces,
                f::revision,
                f::in_step,
                f::digest,
                f::hold_us,
                f::first_seen_us,
                f::last_pull_us,
                f::labels,
            ))
            .order(f::last_pull_us.desc())
            .limit(max as i64)
            .load(c)?;
        Ok(rows.into_iter().map(from_row).collect())
    })
}

/// Each namespace's newest revision.
pub fn newest(conn: &mut AnyConnection) -> QueryResult<HashMap<String, i64>> {
    with_conn!(conn, |c| {
        let rows: Vec<(String, i64)> = namespaces::table
            .select((namespaces::name, namespaces::revision))
            .load(c)?;
        Ok(rows.into_iter().collect())
    })
}

/// When the first change after `revision` was made in any of
/// `namespaces` (comma-separated), from the audit log; `None` if it holds
/// none (none made, or forgotten past `server.history_retention`).
pub fn first_change_after(
    conn: &mut AnyConnection,
    namespaces: &str,
    revision: i64,
) -> QueryResult<Option<i64>> {
    let names: Vec<&str> = namespaces.split(',').collect();
    with_conn!(conn, |c| {
        audit::table
            .filter(audit::revision.gt(revision))
            .filter(audit::namespace.eq_any(&names))
            .order(audit::revision.asc())
            .select(audit::at_us)
            .first(c)
            .optional()
    })
}
