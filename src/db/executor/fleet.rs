//! Fleet view messages: the batched write of what a center saw, and the
//! reads a judgement needs.

use std::collections::HashMap;

use actix::prelude::*;

use super::DbExecutor;
use crate::db::{fleet, DbError};
use crate::domain::EdgeSeen;

/// Writes the edges a center saw since its last flush, then forgets rows
/// older than `oldest_us` and the oldest past `max`; answers rows written.
#[derive(Message)]
#[rtype(result = "Result<usize, DbError>")]
pub struct FlushFleet {
    pub rows: Vec<EdgeSeen>,
    pub oldest_us: i64,
    pub max: usize,
}

impl Handler<FlushFleet> for DbExecutor {
    type Result = Result<usize, DbError>;
    fn handle(&mut self, m: FlushFleet, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            let written = fleet::upsert(c, &m.rows)?;
            fleet::prune(c, m.oldest_us, m.max)?;
            Ok(written)
        })
    }
}

/// The stored edges (at most `max`, latest pulls first) and each
/// namespace's newest revision.
#[derive(Message)]
#[rtype(result = "Result<(Vec<EdgeSeen>, HashMap<String, i64>), DbError>")]
pub struct LoadFleet {
    pub max: usize,
}

impl Handler<LoadFleet> for DbExecutor {
    type Result = Result<(Vec<EdgeSeen>, HashMap<String, i64>), DbError>;
    fn handle(&mut self, m: LoadFleet, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| Ok((fleet::load(c, m.max)?, fleet::newest(c)?)))
    }
}

/// When the first change after each (namespaces, revision) was made; the
/// pairs the audit log no longer knows are left out.
#[derive(Message)]
#[rtype(result = "Result<HashMap<(String, i64), i64>, DbError>")]
pub struct FirstChanges(pub Vec<(String, i64)>);

impl Handler<FirstChanges> for DbExecutor {
    type Result = Result<HashMap<(String, i64), i64>, DbError>;
    fn handle(&mut self, m: FirstChanges, _: &mut Self::Context) -> Self::Result {
        self.with_conn(|c, _| {
            let mut out = HashMap::new();
            for (namespaces, revision) in m.0 {
                if let Some(at) = fleet::first_change_after(c, &namespaces, revision)? {
                    out.insert((namespaces, revision), at);
                }
            }
            Ok(out)
        })
    }
}
