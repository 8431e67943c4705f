//! What held pulls cost in memory: EDGES connections each holding one
//! `records.changes(current, null, wait)`, the center's RSS before, with
//! every one held, and each second after one write has answered them all
//! and the connections closed. "Before" is taken after a warm-up round of
//! `WARM_UP` held pulls answered the same way, so that the pages of the
//! binary that serve them are already in (the cold figure is printed too).
//! Prints `held_memory edges N rss_kib_cold C rss_kib_before B rss_kib_held
//! H bytes_per_held X rss_kib_after A back_within_10pct_s S anon_kib_before
//! AB anon_kib_after AA` (S is -1 if the RSS was not back within 10% of B
//! after SETTLE seconds; anon is the RSS without the binary's pages).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::io::BufReader;

use super::held::{ask, connect};
use super::http::{basic, exchange, rpc_body, source, Target};
use super::support::{rss_kib, status_kib};

/// Held pulls in the warm-up round.
const WARM_UP: usize = 100;

pub struct MemoryRun<'a> {
    pub center: &'a str,
    pub edges: usize,
    /// Seconds each pull asks to be held (the center's `server.max_hold`
    /// must be at least the time the run takes).
    pub wait: f64,
    pub pid: u32,
    pub credentials: &'a str,
    pub settle: u64,
}

pub async fn memory(run: MemoryRun<'_>) -> anyhow::Result<()> {
    let center = Target::parse(run.center)?;
    let auth = basic(run.credentials)?;
    let writer = Writer {
        center: &center,
        auth: &auth,
        source: run.edges + 1,
    };
    // The writer's login (argon2id, then remembered) before the figure.
    let revision = writer.write(0).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let cold = rss_kib(run.pid);
    let (_, revision) = hold_round(&run, &writer, revision, WARM_UP).await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (before, anon_before) = (rss_kib(run.pid), anon_kib(run.pid));
    let (held, _) = hold_round(&run, &writer, revision, run.edges).await?;
    let mut back = None;
    let mut after = held;
    for s in 1..=run.settle {
        tokio::time::sleep(Duration::from_secs(1)).await;
        after = rss_kib(run.pid);
        if back.is_none() && after * 10 <= before * 11 {
            back = Some(s as i64);
        }
    }
    let per_held = (held.saturating_sub(before) * 1024) / run.edges as u64;
    println!(
        "held_memory edges {} rss_kib_cold {cold} rss_kib_before {before} rss_kib_held {held} bytes_per_held {per_held} rss_kib_after {after} back_within_10pct_s {} anon_kib_before {anon_before} anon_kib_after {}",
        run.edges,
        back.unwrap_or(-1),
        anon_kib(run.pid)
    );
    Ok(())
}

/// The bench's writer: one login, remembered.
struct Writer<'a> {
    center: &'a Target,
    auth: &'a str,
    /// Its own source address, apart from the edges'.
    source: usize,
}

impl Writer<'_> {
    /// Writes `i`; answers the revision it made.
    async fn write(&self, i: i64) -> anyhow::Result<i64> {
        let body = rpc_body("records.put", json!(["held-memory", i]));
        exchange(
            self.center,
            source(self.source),
            Some(self.auth),
            Some(&body),
        )
        .await?
        .result::<i64>()
        .context("a write failed")
    }
}

/// `n` connections each hold `records.changes(since, null, wait)`; one
/// write answers them all and each connection closes once answered.
/// Answers the RSS while all were held, and the write's revision.
async fn hold_round(
    run: &MemoryRun<'_>,
    writer: &Writer<'_>,
    since: i64,
    n: usize,
) -> anyhow::Result<(u64, i64)> {
    let center = writer.center;
    let (answered, failed) = (Rc::new(Cell::new(0usize)), Rc::new(Cell::new(0usize)));
    let body = rpc_body("records.changes", json!([since, null, run.wait]));
    for i in 0..n {
        let (center, body, answered, failed) = (
            center.clone(),
            body.clone(),
            answered.clone(),
            failed.clone(),
        );
        tokio::task::spawn_local(async move {
            let outcome = match connect(center.addr, i).await {
                Ok(stream) => ask(&mut BufReader::new(stream), &center, &body)
                    .await
                    .is_ok(),
                Err(_) => false,
            };
            // The connection is dropped here: closed once answered.
            let counter = if outcome { &answered } else { &failed };
            counter.set(counter.get() + 1);
        });
    }
    let deadline = Instant::now() + Duration::from_secs(120);
    while held_now(center).await? < n {
        anyhow::ensure!(
            failed.get() == 0,
            "{} pulls failed before all were held",
            failed.get()
        );
        anyhow::ensure!(Instant::now() < deadline, "not all {n} pulls were held");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    let held = rss_kib(run.pid);
    let revision = writer.write(since + 1).await?;
    while answered.get() + failed.get() < n {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::ensure!(failed.get() == 0, "{} held pulls failed", failed.get());
    Ok((held, revision))
}

/// The anonymous part of `pid`'s RSS in KiB: what it allocated, without
/// the pages of its binary and libraries (shared with the page cache, and
/// paged in as code first runs).
fn anon_kib(pid: u32) -> u64 {
    status_kib(pid, "RssAnon:")
}

/// `syncdict_held_requests` from the center's `/metrics`.
async fn held_now(center: &Target) -> anyhow::Result<usize> {
    let metrics = exchange(&center.at("/metrics"), source(0), None, None).await?;
    let text = String::from_utf8_lossy(&metrics.body);
    text.lines()
        .find_map(|l| l.strip_prefix("syncdict_held_requests "))
        .and_then(|v| v.trim().parse::<f64>().ok())
        .map(|v| v as usize)
        .context("no syncdict_held_requests in /metrics")
}
