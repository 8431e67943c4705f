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
use crate::domain::{DigestReport, EdgeSeen, Health};

/// Rows a statement carries (14 columns: well under every backend's
/// limit of bound parameters).
const CHUNK: usize = 500;

/// An edge as `fleet_edges` stores it.
#[derive(Queryable, Selectable, Insertable)]
#[diesel(table_name = fleet_edges)]
struct Row {
    name: String,
    address: String,
    version: String,
    namespaces: String,
    revision: i64,
    in_step: bool,
    digest: String,
    hold_us: i64,
    first_seen_us: i64,
    last_pull_us: i64,
    labels: String,
    health: String,
    health_reason: String,
    gray: String,
}

fn to_row(e: &EdgeSeen) -> Row {
    Row {
        name: e.name.clone(),
        address: e.address.clone(),
        version: e.version.clone(),
        namespaces: e.namespaces.clone(),
        revision: e.revision,
        in_step: e.in_step,
        digest: e.digest.map_or("", DigestReport::label).to_string(),
        hold_us: e.hold_us,
        first_seen_us: e.first_seen_us,
        last_pull_us: e.last_pull_us,
        labels: e.labels.clone(),
        health: e.health.map_or("", Health::label).to_string(),
        health_reason: e.health_reason.clone(),
        gray: e.gray.clone(),
    }
}

fn from_row(r: Row) -> EdgeSeen {
    EdgeSeen {
        name: r.name,
        address: r.address,
        version: r.version,
        namespaces: r.namespaces,
        revision: r.revision,
        in_step: r.in_step,
        digest: DigestReport::parse(&r.digest),
        health: Health::parse(&r.health),
        health_reason: r.health_reason,
        gray: r.gray,
        hold_us: r.hold_us,
        first_seen_us: r.first_seen_us,
        last_pull_us: r.last_pull_us,
        labels: r.labels,
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
                                f::health.eq(e.health.map_or("", Health::label)),
                                f::health_reason.eq(&e.health_reason),
                                f::gray.eq(&e.gray),
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
                written += diesel::insert_into(f::fleet_edges)
                    .values(&new)
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
            .select(Row::as_select())
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
