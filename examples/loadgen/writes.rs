//! Write throughput: closed-loop writers, each sending JSON-RPC batches of
//! `records.put` (each put its own revision and transaction; one password
//! check per batch, so the database's cost per write is what is measured).

use std::cell::Cell;
use std::rc::Rc;
use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{basic, exchange, source, Failure, Target};
use super::tally::Tally;

/// Puts per request.
const BATCH: usize = 50;

/// How much to write.
pub struct Load {
    pub seconds: u64,
    /// Stop after this many writes in all (rounded up to a batch).
    pub count: Option<usize>,
    pub concurrency: usize,
    pub namespace: String,
    /// Write over the keys k000000 .. k(N-1) (spread by a stride) instead
    /// of w-0 .. w-999.
    pub keys: Option<usize>,
}

/// Prints `writes total N seconds S writes_per_s X` and the batch latencies.
pub async fn writes(center: &str, load: Load, user_pass: &str) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let auth = Rc::new(basic(user_pass)?);
    anyhow::ensure!(load.concurrency > 0, "--concurrency must be positive");
    let started = Instant::now();
    let end = started + Duration::from_secs(load.seconds);
    let written = Rc::new(Cell::new(0usize));
    let tally = Rc::new(std::cell::RefCell::new(Tally::default()));
    let limit = load.count.unwrap_or(usize::MAX);
    let namespace = Rc::new(load.namespace);
    let keys = load.keys;
    let mut writers = Vec::new();
    for w in 0..load.concurrency {
        let (center, auth, written, tally, namespace) = (
            center.clone(),
            auth.clone(),
            written.clone(),
            tally.clone(),
            namespace.clone(),
        );
        writers.push(tokio::task::spawn_local(async move {
            let mut n = 0usize;
            while Instant::now() < end && written.get() < limit {
                let calls: Vec<_> = (0..BATCH)
                    .map(|i| {
                        let j = w * 7919 + n * BATCH + i;
                        let key = match keys {
                            // A stride coprime to typical sizes spreads the writes.
                            Some(space) => format!("k{:06}", (j * 7_919) % space.max(1)),
                            None => format!("w-{}", j % 1000),
                        };
                        json!({"jsonrpc": "2.0", "method": "records.put",
                               "params": [key, {"n": n, "w": w}, *namespace], "id": i})
                    })
                    .collect();
                let body = serde_json::Value::Array(calls).to_string();
                let at = Instant::now();
                let outcome = exchange(&center, source(w), Some(&auth), Some(&body))
                    .await
                    .and_then(|reply| {
                        reply.ok()?;
                        let replies: Vec<serde_json::Value> =
                            serde_json::from_slice(&reply.body)
                                .map_err(|e| Failure::Malformed(e.to_string()))?;
                        match replies.iter().find(|r| !r["result"].is_i64()) {
                            None => Ok(()),
                            Some(bad) => Err(Failure::Malformed(format!("a put failed: {bad}"))),
                        }
                    });
                if outcome.is_ok() {
                    written.set(written.get() + BATCH);
                }
                tally.borrow_mut().record(at, outcome);
                n += 1;
            }
        }));
    }
    for writer in writers {
        writer.await?;
    }
    let seconds = started.elapsed().as_secs_f64();
    let total = written.get();
    println!(
        "writes total {total} seconds {seconds:.1} writes_per_s {:.0} batches: {}",
        total as f64 / seconds,
        tally.borrow_mut().summary()
    );
    anyhow::ensure!(tally.borrow().failures == 0, "some writes failed");
    Ok(())
}
