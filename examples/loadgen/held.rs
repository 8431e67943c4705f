//! Held edges: each simulated edge keeps one connection (as a holding
//! edge's HTTP client does: its next pull follows at once) and sends
//! `records.changes(since, null, wait)` again as soon as a reply is in,
//! while a writer puts one record a second. The figure is write-to-edge
//! time: from the moment a write is sent to each edge's reply carrying it.
//! Then the center's RSS and CPU while the edges are held and nothing is
//! written.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::time::{Duration, Instant};

use anyhow::Context;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::handshakes::cpu_ticks;
use super::http::{basic, exchange, rpc_body, source, Failure, Target};
use super::scenarios::{current_revision, Changes};
use super::support::rss_kib;
use super::tally::Tally;

/// What a run measures.
pub struct HeldRun<'a> {
    pub center: &'a str,
    /// Where the writes go (another center on the same database), if not `center`.
    pub write_center: Option<&'a str>,
    pub edges: usize,
    pub seconds: u64,
    pub wait: f64,
    pub pid: u32,
    pub credentials: &'a str,
}

/// Runs the edges and the writer, prints `held edges N writes W write_to_edge: ...`
/// and `held_idle edges N rss_kib_before B rss_kib R cpu_percent C`.
pub async fn held(run: HeldRun<'_>) -> anyhow::Result<()> {
    let center = Target::parse(run.center)?;
    anyhow::ensure!(center.tls.is_none(), "held speaks plain http:// only");
    let writer = match run.write_center {
        Some(url) => Target::parse(url)?,
        None => center.clone(),
    };
    let auth = basic(run.credentials)?;
    let start_rev = current_revision(&center).await?;
    let rss_before = rss_kib(run.pid);
    // (revision, when an edge got it), from every edge.
    let received: Rc<RefCell<Vec<(i64, Instant)>>> = Default::default();
    let failures: Rc<RefCell<Tally>> = Default::default();
    let stop_at = Rc::new(RefCell::new(None::<Instant>));
    let ready = Rc::new(RefCell::new(0usize));
    for i in 0..run.edges {
        let (center, received, failures, stop_at, ready) = (
            center.clone(),
            received.clone(),
            failures.clone(),
            stop_at.clone(),
            ready.clone(),
        );
        tokio::task::spawn_local(async move {
            let mut since = start_rev;
            let mut conn: Option<BufReader<TcpStream>> = None;
            let mut first = true;
            loop {
                if stop_at.borrow().is_some_and(|t| Instant::now() > t) {
                    return;
                }
                let body = rpc_body("records.changes", json!([since, null, run.wait]));
                if conn.is_none() {
                    conn = connect(center.addr, i).await.ok().map(BufReader::new);
                }
                let Some(stream) = conn.as_mut() else {
                    failures.borrow_mut().fail("connect".into());
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                };
                if first {
                    *ready.borrow_mut() += 1;
                    first = false;
                }
                let limit = Duration::from_secs_f64(run.wait + 5.0);
                match tokio::time::timeout(limit, ask(stream, &center, &body)).await {
                    Ok(Ok(changes)) => {
                        let now = Instant::now();
                        let mut got = received.borrow_mut();
                        got.extend((since + 1..=changes.revision).map(|r| (r, now)));
                        since = since.max(changes.revision);
                    }
                    Ok(Err(e)) => {
                        failures.borrow_mut().fail(e.to_string());
                        conn = None;
                    }
                    Err(_) => {
                        failures.borrow_mut().fail("timed out".into());
                        conn = None;
                    }
                }
            }
        });
    }
    // Every edge connected and asked, then a second for the last to be held.
    while *ready.borrow() < run.edges {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    // One write outside the figure: the writer's first login pays argon2id
    // (the center remembers it after; the script sets remember_logins).
    let body = rpc_body("records.put", json!(["held", -1]));
    exchange(&writer, source(run.edges + 1), Some(&auth), Some(&body))
        .await?
        .result::<i64>()
        .context("the first write failed")?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let mut written = Vec::new();
    let end = Instant::now() + Duration::from_secs(run.seconds);
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    let mut i = 0;
    while Instant::now() < end {
        tick.tick().await;
        let sent = Instant::now();
        let body = rpc_body("records.put", json!(["held", i]));
        let reply = exchange(&writer, source(run.edges + 1), Some(&auth), Some(&body)).await;
        let revision: i64 = reply
            .and_then(|r| r.result())
            .with_context(|| format!("write {i} failed"))?;
        written.push((revision, sent));
        i += 1;
    }
    // The last write's replies, then the idle figure with every edge held.
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (ticks_before, idle_from) = (cpu_ticks(run.pid)?, Instant::now());
    tokio::time::sleep(Duration::from_secs(10)).await;
    let cpu = (cpu_ticks(run.pid)? - ticks_before) as f64 / 100.0;
    let idle_cpu_percent = cpu * 100.0 / idle_from.elapsed().as_secs_f64();
    let rss = rss_kib(run.pid);
    *stop_at.borrow_mut() = Some(Instant::now());

    let mut tally = Tally::default();
    let received = received.borrow();
    let mut per_revision: std::collections::HashMap<i64, Vec<Instant>> = Default::default();
    for (rev, at) in received.iter() {
        per_revision.entry(*rev).or_default().push(*at);
    }
    for (revision, sent) in &written {
        let got = per_revision.get(revision).map_or(&[][..], Vec::as_slice);
        for at in got {
            tally.ok(at.saturating_duration_since(*sent).as_micros() as u64);
        }
        for _ in got.len()..run.edges {
            tally.fail(format!("revision {revision} not seen by every edge"));
        }
    }
    let errors = failures.borrow().failures;
    println!(
        "held edges {} writes {} errors {errors} write_to_edge: {}",
        run.edges,
        written.len(),
        tally.summary()
    );
    println!(
        "held_idle edges {} rss_kib_before {rss_before} rss_kib {rss} cpu_percent {idle_cpu_percent:.1}",
        run.edges
    );
    Ok(())
}

/// A connection from simulated edge `i`'s own loopback address.
pub(super) async fn connect(to: SocketAddr, i: usize) -> std::io::Result<TcpStream> {
    let socket = tokio::net::TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(source(i).into(), 0))?;
    socket.connect(to).await
}

/// A chunked body (no trailers).
async fn read_chunked(stream: &mut BufReader<TcpStream>) -> Result<Vec<u8>, Failure> {
    let mut body = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        stream.read_line(&mut line).await?;
        let size = usize::from_str_radix(line.trim_end(), 16)
            .map_err(|_| Failure::Malformed(format!("bad chunk size {line:?}")))?;
        let start = body.len();
        body.resize(start + size + 2, 0);
        stream.read_exact(&mut body[start..]).await?;
        body.truncate(start + size);
        if size == 0 {
            return Ok(body);
        }
    }
}

/// One held pull on a kept connection: the reply's `records.changes` result.
pub(super) async fn ask(
    stream: &mut BufReader<TcpStream>,
    t: &Target,
    body: &str,
) -> Result<Changes, Failure> {
    let request = format!(
        "POST {} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        t.path,
        t.host,
        body.len()
    );
    stream.get_mut().write_all(request.as_bytes()).await?;
    let mut length = None;
    let mut chunked = false;
    let mut status = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).await? == 0 {
            return Err(Failure::Malformed("closed".into()));
        }
        let l = line.trim_end();
        if l.is_empty() {
            break;
        }
        if status == 0 {
            status = l.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
        } else if let Some((k, v)) = l.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse::<usize>().ok();
            }
            chunked |= k.eq_ignore_ascii_case("transfer-encoding")
                && v.trim().eq_ignore_ascii_case("chunked");
        }
    }
    // A held reply comes chunked: its head is sent when it is held.
    let body = match (length, chunked) {
        (Some(length), false) => {
            let mut body = vec![0; length];
            stream.read_exact(&mut body).await?;
            body
        }
        (None, true) => read_chunked(stream).await?,
        _ => return Err(Failure::Malformed("no Content-Length".into())),
    };
    if status != 200 {
        return Err(Failure::Status {
            status,
            body: String::from_utf8_lossy(&body[..body.len().min(120)]).into_owned(),
        });
    }
    let envelope: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| Failure::Malformed(e.to_string()))?;
    serde_json::from_value(envelope["result"].clone())
        .map_err(|e| Failure::Malformed(e.to_string()))
}
