//! Edges per center, freshness, soak (`writes.rs`: write throughput).

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde::Deserialize;
use serde_json::json;

use super::http::{basic, exchange, rpc_body, source, Failure, Target, TIMEOUT};
use super::support::rss_kib;
use super::tally::Tally;

/// How often a simulated edge pulls (the original design's interval).
const EDGE_INTERVAL: Duration = Duration::from_secs(6);
/// A level passes with p99 under this and no failed request.
const P99_LIMIT_MS: f64 = 50.0;
/// The source address the writer uses (away from the edges').
const WRITER: usize = 9999;

type Shared<T> = Rc<RefCell<T>>;

/// A small xorshift generator: enough for jitter, reproducible per edge.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// What `records.changes` answers, as far as an edge needs it here.
#[derive(Deserialize)]
pub(super) struct Changes {
    pub revision: i64,
}

/// What edge `i` asks for: the original `records.changes(since)`, or with
/// `namespaces` > 0 two of `ns-0` .. `ns-{namespaces-1}`.
fn changes_params(since: i64, i: usize, namespaces: usize) -> serde_json::Value {
    if namespaces == 0 {
        return json!([since]);
    }
    let (a, b) = (i % namespaces, (i + 1) % namespaces);
    json!([since, [format!("ns-{a}"), format!("ns-{b}")]])
}

/// How simulated edges identify themselves: an `Authorization` value
/// (`Bearer sdt_...`, `Basic ...`), or nothing.
pub type EdgeAuth = Option<Rc<str>>;

/// `n` simulated edges for `run_for`, each pulling every 6 s ± 10% (over
/// HTTPS each with a TLS session cache of its own, as real edges have).
fn spawn_edges(
    center: &Target,
    n: usize,
    run_for: Duration,
    start: i64,
    namespaces: usize,
    auth: &EdgeAuth,
    tally: &Shared<Tally>,
) {
    let end = Instant::now() + run_for;
    for i in 0..n {
        let (center, tally) = (center.own_sessions(true), tally.clone());
        let auth = auth.clone();
        tokio::task::spawn_local(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1) * 0x2545_f491_4f6c_dd1d));
            let mut since = start;
            tokio::time::sleep(EDGE_INTERVAL.mul_f64(rng.unit())).await;
            while Instant::now() < end {
                let started = Instant::now();
                let body = rpc_body("records.changes", changes_params(since, i, namespaces));
                let outcome = exchange(&center, source(i), auth.as_deref(), Some(&body))
                    .await
                    .and_then(|reply| reply.result::<Changes>())
                    .map(|changes| since = changes.revision);
                tally.borrow_mut().record(started, outcome);
                tokio::time::sleep(EDGE_INTERVAL.mul_f64(0.9 + 0.2 * rng.unit())).await;
            }
        });
    }
}

/// Puts `per_s` writes a second until `end` (into `ns-{n % namespaces}`
/// when `namespaces` > 0), counting into `tally`.
fn spawn_writer(
    center: &Target,
    auth: String,
    per_s: f64,
    end: Instant,
    namespaces: usize,
    tally: &Shared<Tally>,
) {
    let (center, auth) = (center.clone(), Rc::new(auth));
    spawn_paced(per_s, end, tally, move |n| {
        let (center, auth) = (center.clone(), auth.clone());
        async move {
            let key = format!("load-{}", n % 100);
            let params = match namespaces {
                0 => json!([key, {"n": n}]),
                m => json!([key, {"n": n}, format!("ns-{}", n % m)]),
            };
            let body = rpc_body("records.put", params);
            let reply = exchange(&center, source(WRITER), Some(&auth), Some(&body)).await?;
            reply.result::<i64>().map(|_| ())
        }
    });
}

pub(super) async fn current_revision(center: &Target) -> anyhow::Result<i64> {
    let body = rpc_body("records.changes", json!([0]));
    let reply = exchange(center, source(0), None, Some(&body)).await;
    let changes: Changes = reply
        .and_then(|r| r.result())
        .context("the center does not answer records.changes")?;
    Ok(changes.revision)
}

/// Runs each level until one fails; prints `edges_max N`.
pub async fn edges(
    center: &str,
    levels: &[usize],
    seconds: u64,
    writes_per_s: f64,
    namespaces: usize,
    user_pass: &str,
    edge_auth: &EdgeAuth,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let auth = basic(user_pass)?;
    anyhow::ensure!(writes_per_s > 0.0, "--writes-per-s must be positive");
    let mut best = 0;
    for &n in levels {
        let run_for = Duration::from_secs(seconds);
        let pulls: Shared<Tally> = Default::default();
        let writes: Shared<Tally> = Default::default();
        spawn_edges(
            &center,
            n,
            run_for,
            current_revision(&center).await?,
            namespaces,
            edge_auth,
            &pulls,
        );
        let end = Instant::now() + run_for;
        spawn_writer(
            &center,
            auth.clone(),
            writes_per_s,
            end,
            namespaces,
            &writes,
        );
        // Let the last pulls finish (each edge stops by itself after run_for).
        tokio::time::sleep(run_for + EDGE_INTERVAL.mul_f64(1.1) + TIMEOUT).await;
        let pass = report_level(
            n,
            seconds,
            &mut pulls.borrow_mut(),
            &mut writes.borrow_mut(),
        );
        if !pass {
            break;
        }
        best = n;
        // Let TIME_WAIT sockets of this level drain a little.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!("edges_max {best}");
    Ok(())
}

/// Prints one level's line; answers whether it passed.
fn report_level(n: usize, seconds: u64, pulls: &mut Tally, writes: &mut Tally) -> bool {
    let p99 = pulls.percentile_ms(0.99);
    let pass =
        pulls.failures == 0 && writes.failures == 0 && p99 < P99_LIMIT_MS && pulls.successes() > 0;
    println!(
        "edges {n} rate_per_s {:.0} pulls: {} | writes: {} | {}",
        pulls.successes() as f64 / seconds as f64,
        pulls.summary(),
        writes.summary(),
        if pass { "PASS" } else { "FAIL" }
    );
    pass
}

/// Times how long each of `writes` puts takes to be readable on the edge.
pub async fn freshness(
    center: &str,
    edge: &str,
    writes: usize,
    user_pass: &str,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let edge = Target::parse(&format!("{}/api/cache/fresh", edge.trim_end_matches('/')))?;
    let auth = basic(user_pass)?;
    // Watcher: the first time each revision is seen on the edge.
    let seen: Shared<Vec<(i64, Instant)>> = Default::default();
    let done = Rc::new(Cell::new(false));
    {
        let (seen, done, edge) = (seen.clone(), done.clone(), edge.clone());
        tokio::task::spawn_local(async move {
            let mut last = -1;
            while !done.get() {
                if let Ok(reply) = exchange(&edge, source(1), None, None).await {
                    if let Some(rev) = reply.header("x-data-revision").filter(|r| *r > last) {
                        last = rev;
                        seen.borrow_mut().push((rev, Instant::now()));
                    }
                }
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        });
    }
    let mut rng = Rng(42);
    let mut committed = Vec::with_capacity(writes);
    for i in 0..writes {
        let body = rpc_body("records.put", json!(["fresh", i]));
        let reply = exchange(&center, source(2), Some(&auth), Some(&body)).await;
        let revision: i64 = reply
            .and_then(|r| r.result())
            .with_context(|| format!("write {i} failed"))?;
        committed.push((revision, Instant::now()));
        tokio::time::sleep(Duration::from_millis(50 + rng.next() % 101)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    done.set(true);
    let seen = seen.borrow();
    let mut tally = Tally::default();
    for (revision, at) in committed {
        match seen.iter().find(|(r, _)| *r >= revision) {
            Some((_, t)) => tally.ok(t.saturating_duration_since(at).as_micros() as u64),
            None => tally.fail(format!("revision {revision} never seen")),
        }
    }
    println!("freshness writes {writes} {}", tally.summary());
    Ok(())
}

/// Requests at `per_s` until `end`, each made by `request(i)`.
fn spawn_paced<F, Fut>(per_s: f64, end: Instant, tally: &Shared<Tally>, request: F)
where
    F: Fn(usize) -> Fut + 'static,
    Fut: std::future::Future<Output = Result<(), Failure>> + 'static,
{
    let tally = tally.clone();
    tokio::task::spawn_local(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_s));
        let mut i = 0usize;
        while Instant::now() < end {
            tick.tick().await;
            i += 1;
            let (tally, sent) = (tally.clone(), request(i));
            tokio::task::spawn_local(async move {
                let started = Instant::now();
                let outcome = sent.await;
                tally.borrow_mut().record(started, outcome);
            });
        }
    });
}

/// Mixed load for `seconds`; prints failures and RSS growth.
pub async fn soak(
    center: &str,
    edge: &str,
    seconds: u64,
    pid: u32,
    user_pass: &str,
    edge_auth: &EdgeAuth,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let edge = Target::parse(edge.trim_end_matches('/'))?;
    let auth = basic(user_pass)?;
    anyhow::ensure!(
        seconds > 60,
        "--seconds must be over 60 (RSS is sampled after 1 min)"
    );
    anyhow::ensure!(rss_kib(pid) > 0, "no process {pid} to sample");
    let run_for = Duration::from_secs(seconds);
    let end = Instant::now() + run_for;
    let [reads, pulls, lists, writes]: [Shared<Tally>; 4] = Default::default();
    // 2,000 simulated edges (333 pulls/s), 300 edge reads/s, 5 lists/s, 2 writes/s.
    spawn_edges(
        &center,
        2000,
        run_for,
        current_revision(&center).await?,
        0,
        edge_auth,
        &pulls,
    );
    spawn_writer(&center, auth, 2.0, end, 0, &writes);
    spawn_paced(300.0, end, &reads, move |i| {
        let key = edge.at(&format!("/api/cache/key-{:04}", i % 1000));
        async move { exchange(&key, source(i), None, None).await?.ok() }
    });
    let list_from = center.clone();
    let list_auth = edge_auth.clone();
    spawn_paced(5.0, end, &lists, move |i| {
        let (center, auth) = (list_from.clone(), list_auth.clone());
        async move {
            let body = rpc_body("records.list", json!([]));
            let reply = exchange(&center, source(i), auth.as_deref(), Some(&body)).await?;
            reply.result::<serde_json::Value>().map(|_| ())
        }
    });
    tokio::time::sleep(Duration::from_secs(60)).await;
    let rss_first_minute = rss_kib(pid);
    tokio::time::sleep(run_for.saturating_sub(Duration::from_secs(60))).await;
    let rss_end = rss_kib(pid);
    tokio::time::sleep(EDGE_INTERVAL.mul_f64(1.1) + TIMEOUT).await;
    let mut failed = 0;
    for (name, t) in [
        ("reads", &reads),
        ("pulls", &pulls),
        ("lists", &lists),
        ("writes", &writes),
    ] {
        let mut t = t.borrow_mut();
        failed += t.failures;
        println!("soak {name}: {}", t.summary());
    }
    println!(
        "soak seconds {seconds} failed {failed} rss_kib_after_1min {rss_first_minute} rss_kib_end {rss_end} rss_growth_pct {:.1}",
        (rss_end as f64 / rss_first_minute.max(1) as f64 - 1.0) * 100.0
    );
    Ok(())
}
