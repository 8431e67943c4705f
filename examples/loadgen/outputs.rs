//! Output latency: writes on the center, one at a time, and the lines an
//! output's command appends (`REVISION UNIX_NANOS`: the template renders the
//! revision, the command stamps the time it ran); for each write, the time
//! from sending it to the first command run at or after its revision.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::Context;
use serde_json::json;

use super::http::{basic, exchange, rpc_body, source, Target};
use super::tally::Tally;

fn unix_nanos() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}

/// `writes` puts `gap` apart, then reads `stamps`; prints
/// `outputs writes N change_to_command: ok .. p50_ms .. p99_ms ..`.
pub async fn outputs(
    center: &str,
    stamps: &Path,
    writes: usize,
    gap: Duration,
    user_pass: &str,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let auth = basic(user_pass)?;
    let mut sent = Vec::with_capacity(writes);
    for i in 0..writes {
        let at = unix_nanos();
        let body = rpc_body("records.put", json!(["stamp", i]));
        let revision: i64 = exchange(&center, source(1), Some(&auth), Some(&body))
            .await
            .and_then(|r| r.result())
            .with_context(|| format!("write {i} failed"))?;
        sent.push((revision, at));
        tokio::time::sleep(gap).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    let text =
        std::fs::read_to_string(stamps).with_context(|| format!("reading {}", stamps.display()))?;
    let mut ran: Vec<(i64, u128)> = text
        .lines()
        .filter_map(|l| {
            let (rev, nanos) = l.trim().split_once(' ')?;
            Some((rev.parse().ok()?, nanos.parse().ok()?))
        })
        .collect();
    ran.sort_unstable();
    let mut tally = Tally::default();
    for (revision, at) in sent {
        match ran.iter().find(|(r, _)| *r >= revision) {
            Some((_, done)) => tally.ok((done.saturating_sub(at) / 1000) as u64),
            None => tally.fail(format!("no command ran for revision {revision}")),
        }
    }
    println!(
        "outputs writes {writes} commands {} change_to_command: {}",
        ran.len(),
        tally.summary()
    );
    Ok(())
}
