//! Load generator for `scripts/bench.sh`: simulated edges, freshness and
//! soak, on loopback, bounded in time. Every request opens its own TCP
//! connection (`Connection: close`), as edges do.
//!
//! ```text
//! loadgen edges     CENTER_URL LEVELS SECONDS WRITES_PER_S USER:PASS
//! loadgen freshness CENTER_URL EDGE_URL WRITES USER:PASS
//! loadgen soak      CENTER_URL EDGE_URL SECONDS PID USER:PASS
//! ```
//! `edges` runs each level (comma-separated edge counts) for SECONDS, each
//! edge calling `records.changes(since)` every 6 s ± 10%, plus a writer, and
//! prints one line per level and `edges_max N` (the largest level with p99
//! under 50 ms and no failure). `freshness` puts WRITES values ~100 ms apart
//! and watches the edge's `X-Data-Revision` every 2 ms. `soak` mixes edge
//! reads, pulls, lists and writes, and samples the RSS of PID.

use std::net::{Ipv4Addr, SocketAddr};
use std::rc::Rc;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};

const EDGE_INTERVAL: Duration = Duration::from_secs(6);
const TIMEOUT: Duration = Duration::from_secs(5);
const P99_LIMIT_MS: f64 = 50.0;

/// A small xorshift generator: enough for jitter, no dependency.
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

/// Where a URL points: address and path.
#[derive(Clone)]
struct Target {
    addr: SocketAddr,
    host: String,
    path: String,
}

fn target(url: &str) -> Target {
    let rest = url.strip_prefix("http://").expect("an http:// URL");
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    Target {
        addr: host.parse().expect("URL host must be IP:PORT"),
        host: host.into(),
        path: if path.is_empty() {
            "/".into()
        } else {
            path.into()
        },
    }
}

/// One HTTP/1.1 exchange on a fresh connection from source address `from`
/// (spreading connections over 127.0.0.0/8 keeps ports plentiful).
/// Answers the status, the head and the body.
async fn http(
    t: &Target,
    from: Ipv4Addr,
    method: &str,
    auth: Option<&str>,
    body: &str,
) -> Result<(u16, String, String), String> {
    let exchange = async {
        let socket = tokio::net::TcpSocket::new_v4().map_err(|e| e.to_string())?;
        socket
            .bind(SocketAddr::new(from.into(), 0))
            .map_err(|e| e.to_string())?;
        let mut stream = socket.connect(t.addr).await.map_err(|e| e.to_string())?;
        let mut request = format!(
            "{method} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n",
            t.path,
            t.host,
            body.len()
        );
        if let Some(basic) = auth {
            request.push_str(&format!("Authorization: Basic {basic}\r\n"));
        }
        request.push_str("\r\n");
        request.push_str(body);
        stream
            .write_all(request.as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        let mut reply = Vec::with_capacity(1024);
        stream
            .read_to_end(&mut reply)
            .await
            .map_err(|e| e.to_string())?;
        let reply = String::from_utf8(reply).map_err(|e| e.to_string())?;
        let (head, body) = reply.split_once("\r\n\r\n").ok_or("no HTTP head")?;
        let status = head
            .get(9..12)
            .and_then(|s| s.parse().ok())
            .ok_or("no status")?;
        Ok((status, head.to_string(), body.to_string()))
    };
    tokio::time::timeout(TIMEOUT, exchange)
        .await
        .map_err(|_| "timed out".to_string())?
}

/// The number after `"revision":` in a reply (or header value).
fn revision_in(text: &str) -> Option<i64> {
    let at = text.find("\"revision\":")? + "\"revision\":".len();
    let digits: String = text[at..]
        .chars()
        .take_while(|c| c.is_ascii_digit())
        .collect();
    digits.parse().ok()
}

fn header(head: &str, name: &str) -> Option<i64> {
    head.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name)
            .then(|| v.trim().parse().ok())
            .flatten()
    })
}

fn basic(user_pass: &str) -> String {
    const ABC: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in user_pass.as_bytes().chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn rpc_body(method: &str, params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","method":"{method}","params":{params},"id":1}}"#)
}

/// Latencies (µs) and failures of one kind of request.
#[derive(Default)]
struct Tally {
    micros: Vec<u64>,
    failures: u64,
    first_failure: Option<String>,
}

impl Tally {
    fn record(&mut self, started: Instant, outcome: Result<(), String>) {
        match outcome {
            Ok(()) => self.micros.push(started.elapsed().as_micros() as u64),
            Err(e) => {
                self.failures += 1;
                self.first_failure.get_or_insert(e);
            }
        }
    }

    fn percentile_ms(&mut self, p: f64) -> f64 {
        if self.micros.is_empty() {
            return f64::NAN;
        }
        self.micros.sort_unstable();
        let i = ((self.micros.len() as f64 * p).ceil() as usize).clamp(1, self.micros.len()) - 1;
        self.micros[i] as f64 / 1000.0
    }

    fn summary(&mut self) -> String {
        let (p50, p99, max) = (
            self.percentile_ms(0.50),
            self.percentile_ms(0.99),
            self.percentile_ms(1.0),
        );
        format!(
            "ok {} failed {} p50_ms {p50:.2} p99_ms {p99:.2} max_ms {max:.2}{}",
            self.micros.len(),
            self.failures,
            self.first_failure
                .as_ref()
                .map_or(String::new(), |e| format!(" first_failure {e:?}"))
        )
    }
}

type Shared<T> = Rc<std::cell::RefCell<T>>;

fn source(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, (i / 250 % 250) as u8, (i % 250 + 1) as u8)
}

fn check(status: u16, body: &str) -> Result<(), String> {
    if status != 200 || body.contains("\"error\"") {
        return Err(format!("HTTP {status}: {}", &body[..body.len().min(120)]));
    }
    Ok(())
}

/// `n` simulated edges for `run_for`, each pulling every 6 s ± 10%.
fn spawn_edges(
    center: &Target,
    n: usize,
    run_for: Duration,
    start_rev: i64,
    tally: &Shared<Tally>,
) {
    let end = Instant::now() + run_for;
    for i in 0..n {
        let (center, tally) = (center.clone(), tally.clone());
        tokio::task::spawn_local(async move {
            let mut rng = Rng(0x9e37_79b9_7f4a_7c15 ^ ((i as u64 + 1) * 0x2545_f491_4f6c_dd1d));
            let mut since = start_rev;
            tokio::time::sleep(EDGE_INTERVAL.mul_f64(rng.unit())).await;
            while Instant::now() < end {
                let started = Instant::now();
                let body = rpc_body("records.changes", &format!("[{since}]"));
                let outcome = http(&center, source(i), "POST", None, &body).await;
                let outcome = outcome.and_then(|(status, _, body)| {
                    check(status, &body)?;
                    since = revision_in(&body).ok_or("no revision in reply")?;
                    Ok(())
                });
                tally.borrow_mut().record(started, outcome);
                tokio::time::sleep(EDGE_INTERVAL.mul_f64(0.9 + 0.2 * rng.unit())).await;
            }
        });
    }
}

/// Puts `per_s` writes a second until `end`, counting into `tally`.
fn spawn_writer(center: &Target, auth: String, per_s: f64, end: Instant, tally: &Shared<Tally>) {
    let (center, tally) = (center.clone(), tally.clone());
    tokio::task::spawn_local(async move {
        let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_s));
        let mut n = 0u64;
        while Instant::now() < end {
            tick.tick().await;
            n += 1;
            let started = Instant::now();
            let body = rpc_body(
                "records.put",
                &format!(r#"["load-{}",{{"n":{n}}}]"#, n % 100),
            );
            let outcome = http(&center, source(9999), "POST", Some(&auth), &body)
                .await
                .and_then(|(s, _, b)| check(s, &b));
            tally.borrow_mut().record(started, outcome);
        }
    });
}

async fn current_revision(center: &Target) -> i64 {
    let (_, _, body) = http(
        center,
        source(0),
        "POST",
        None,
        &rpc_body("records.changes", "[0]"),
    )
    .await
    .expect("center answers");
    revision_in(&body).expect("a revision")
}

async fn edges(args: &[String]) {
    let center = target(&args[0]);
    let levels: Vec<usize> = args[1].split(',').map(|n| n.parse().unwrap()).collect();
    let seconds: u64 = args[2].parse().unwrap();
    let writes_per_s: f64 = args[3].parse().unwrap();
    let auth = basic(&args[4]);
    let mut best = 0;
    for n in levels {
        let run_for = Duration::from_secs(seconds);
        let pulls: Shared<Tally> = Default::default();
        let writes: Shared<Tally> = Default::default();
        let start_rev = current_revision(&center).await;
        spawn_edges(&center, n, run_for, start_rev, &pulls);
        spawn_writer(
            &center,
            auth.clone(),
            writes_per_s,
            Instant::now() + run_for,
            &writes,
        );
        // Let the last pulls finish (each ends by itself after run_for).
        tokio::time::sleep(run_for + EDGE_INTERVAL.mul_f64(1.1) + TIMEOUT).await;
        let pass = {
            let (mut p, mut w) = (pulls.borrow_mut(), writes.borrow_mut());
            let p99 = p.percentile_ms(0.99);
            let pass =
                p.failures == 0 && w.failures == 0 && p99 < P99_LIMIT_MS && !p.micros.is_empty();
            println!(
                "edges {n} rate_per_s {:.0} pulls: {} | writes: {} | {}",
                p.micros.len() as f64 / seconds as f64,
                p.summary(),
                w.summary(),
                if pass { "PASS" } else { "FAIL" }
            );
            pass
        };
        if !pass {
            break;
        }
        best = n;
        // Let TIME_WAIT sockets of this level drain a little.
        tokio::time::sleep(Duration::from_secs(2)).await;
    }
    println!("edges_max {best}");
}

async fn freshness(args: &[String]) {
    let center = target(&args[0]);
    let edge = target(&format!(
        "{}/api/cache/fresh",
        args[1].trim_end_matches('/')
    ));
    let writes: usize = args[2].parse().unwrap();
    let auth = basic(&args[3]);
    // Watcher: the first time each revision is seen on the edge.
    let seen: Shared<Vec<(i64, Instant)>> = Default::default();
    let done = Rc::new(std::cell::Cell::new(false));
    {
        let (seen, done, edge) = (seen.clone(), done.clone(), edge.clone());
        tokio::task::spawn_local(async move {
            let mut last = -1;
            while !done.get() {
                if let Ok((_, head, _)) = http(&edge, source(1), "GET", None, "").await {
                    if let Some(rev) = header(&head, "x-data-revision").filter(|r| *r > last) {
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
        let body = rpc_body("records.put", &format!(r#"["fresh",{i}]"#));
        let (status, _, reply) = http(&center, source(2), "POST", Some(&auth), &body)
            .await
            .expect("write succeeds");
        check(status, &reply).expect("write succeeds");
        let rev: i64 = reply
            .split("\"result\":")
            .nth(1)
            .and_then(|r| {
                r.trim_end_matches(['}', ' '])
                    .split(',')
                    .next()?
                    .parse()
                    .ok()
            })
            .expect("a revision");
        committed.push((rev, Instant::now()));
        tokio::time::sleep(Duration::from_millis(50 + rng.next() % 101)).await;
    }
    tokio::time::sleep(Duration::from_secs(3)).await;
    done.set(true);
    let seen = seen.borrow();
    let mut tally = Tally::default();
    for (rev, at) in committed {
        match seen.iter().find(|(r, _)| *r >= rev) {
            Some((_, t)) => tally
                .micros
                .push(t.saturating_duration_since(at).as_micros() as u64),
            None => tally.failures += 1,
        }
    }
    println!("freshness writes {writes} {}", tally.summary());
}

async fn soak(args: &[String]) {
    let center = target(&args[0]);
    let edge_base = args[1].trim_end_matches('/').to_string();
    let seconds: u64 = args[2].parse().unwrap();
    let pid: u32 = args[3].parse().unwrap();
    let auth = basic(&args[4]);
    let run_for = Duration::from_secs(seconds);
    let end = Instant::now() + run_for;
    let (reads, pulls, lists, writes): (
        Shared<Tally>,
        Shared<Tally>,
        Shared<Tally>,
        Shared<Tally>,
    ) = Default::default();
    // 2,000 simulated edges (333 pulls/s), 300 edge reads/s, 5 lists/s, 2 writes/s.
    spawn_edges(
        &center,
        2000,
        run_for,
        current_revision(&center).await,
        &pulls,
    );
    spawn_writer(&center, auth, 2.0, end, &writes);
    for (per_s, tally, kind) in [(300.0, reads.clone(), "read"), (5.0, lists.clone(), "list")] {
        let (center, edge_base) = (center.clone(), edge_base.clone());
        tokio::task::spawn_local(async move {
            let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / per_s));
            let mut i = 0usize;
            while Instant::now() < end {
                tick.tick().await;
                i += 1;
                let (center, edge_base, tally) = (center.clone(), edge_base.clone(), tally.clone());
                tokio::task::spawn_local(async move {
                    let started = Instant::now();
                    let outcome = if kind == "read" {
                        let t = target(&format!("{edge_base}/api/cache/key-{:04}", i % 1000));
                        http(&t, source(i), "GET", None, "")
                            .await
                            .and_then(|(s, _, b)| {
                                (s == 200).then_some(()).ok_or(format!("HTTP {s}: {b}"))
                            })
                    } else {
                        http(
                            &center,
                            source(i),
                            "POST",
                            None,
                            &rpc_body("records.list", "[]"),
                        )
                        .await
                        .and_then(|(s, _, b)| check(s, &b))
                    };
                    tally.borrow_mut().record(started, outcome);
                });
            }
        });
    }
    let rss = || {
        std::fs::read_to_string(format!("/proc/{pid}/status"))
            .ok()
            .and_then(|s| {
                s.lines()
                    .find(|l| l.starts_with("VmRSS:"))?
                    .split_whitespace()
                    .nth(1)?
                    .parse::<u64>()
                    .ok()
            })
            .unwrap_or(0)
    };
    tokio::time::sleep(Duration::from_secs(60)).await;
    let rss_first_minute = rss();
    tokio::time::sleep(run_for.saturating_sub(Duration::from_secs(60))).await;
    let rss_end = rss();
    tokio::time::sleep(EDGE_INTERVAL.mul_f64(1.1) + TIMEOUT).await;
    for (name, t) in [
        ("reads", &reads),
        ("pulls", &pulls),
        ("lists", &lists),
        ("writes", &writes),
    ] {
        println!("soak {name}: {}", t.borrow_mut().summary());
    }
    let failed: u64 = [&reads, &pulls, &lists, &writes]
        .iter()
        .map(|t| t.borrow().failures)
        .sum();
    println!(
        "soak seconds {seconds} failed {failed} rss_kib_after_1min {rss_first_minute} rss_kib_end {rss_end} rss_growth_pct {:.1}",
        (rss_end as f64 / rss_first_minute.max(1) as f64 - 1.0) * 100.0
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let local = tokio::task::LocalSet::new();
    local.block_on(&runtime, async {
        match args.first().map(String::as_str) {
            Some("edges") => edges(&args[1..]).await,
            Some("freshness") => freshness(&args[1..]).await,
            Some("soak") => soak(&args[1..]).await,
            _ => eprintln!("usage: see the top of examples/loadgen.rs"),
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn helpers() {
        assert_eq!(
            super::basic("bench:bench-password"),
            "YmVuY2g6YmVuY2gtcGFzc3dvcmQ="
        );
        assert_eq!(
            super::revision_in(r#"{"revision":42,"full":false}"#),
            Some(42)
        );
        assert_eq!(
            super::header("HTTP/1.1 200 OK\r\nX-Data-Revision: 7", "x-data-revision"),
            Some(7)
        );
    }
}
