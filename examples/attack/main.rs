//! The attack suite's driver (`scripts/attack.sh`): each attack against a
//! running syncdict on loopback, bounded in count and time, while a normal
//! client keeps reading; prints one `attack` line with what was sent, the
//! target's RSS before and at its peak, the CPU it used, how the attack's
//! requests were answered, and how the normal client fared.
//!
//! ```text
//! attack batch     --center URL --pid PID [--count 20] [--calls 100]
//! attack multicall --center URL --pid PID [--count 20] [--calls 100]
//! attack since     --center URL --pid PID [--values 300]
//! attack guess     --center URL --pid PID [--count 200] [--many-addresses]
//! attack lockout   --center URL --pid PID --owner USER:PASS --other USER:PASS
//!                  [--addresses 200] [--seconds 20]
//! attack slow      --center URL --pid PID [--connections 300] [--seconds 12]
//! attack huge      --center URL --pid PID [--count 50]
//! attack upstream  --port PORT --mode huge|endless|revision|redirect
//! ```
//! Exits 2 on bad usage, 1 when it cannot run.

// The load generator's one-connection-per-request HTTP client; this
// example uses part of it.
#[allow(dead_code)]
#[path = "../loadgen/http.rs"]
mod http;
mod lockout;
mod probe;
mod raw;
#[path = "../loadgen/support.rs"]
mod support;
mod upstream;

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use serde_json::json;

use http::{exchange, rpc_body, source, Target};
use probe::Probe;

#[derive(Debug, Parser)]
#[command(about = "Loopback attacks on a running syncdict")]
struct Cli {
    #[command(subcommand)]
    attack: Attack,
}

#[derive(Debug, Subcommand)]
enum Attack {
    /// Concurrent JSON-RPC batches of records.list (reply amplification).
    Batch {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        amplify: Amplify,
    },
    /// Concurrent XML-RPC system.multicall of records.list.
    Multicall {
        #[command(flatten)]
        common: Common,
        #[command(flatten)]
        amplify: Amplify,
    },
    /// records.changes with many different old revisions.
    Since {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 300)]
        values: u64,
    },
    /// Concurrent wrong passwords, from one address or many.
    Guess {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 200)]
        count: usize,
        #[arg(long)]
        many_addresses: bool,
    },
    /// Many addresses failing logins for one user while its owner (and
    /// another user) sign in.
    Lockout {
        #[command(flatten)]
        common: Common,
        /// The attacked user, `USER:PASSWORD` (the password for its owner).
        #[arg(long)]
        owner: String,
        /// Another user, signing in from an attacking address.
        #[arg(long)]
        other: String,
        #[arg(long, default_value_t = 200)]
        addresses: usize,
        #[arg(long, default_value_t = 20)]
        seconds: u64,
    },
    /// Connections trickling a body and holding it.
    Slow {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 300)]
        connections: usize,
        #[arg(long, default_value_t = 12)]
        seconds: u64,
    },
    /// Bodies declaring 100 MB, with (wrong) credentials.
    Huge {
        #[command(flatten)]
        common: Common,
        #[arg(long, default_value_t = 50)]
        count: usize,
    },
    /// Serve as a hostile upstream for an edge, until killed.
    Upstream {
        #[arg(long)]
        port: u16,
        #[arg(long, value_enum)]
        mode: upstream::Mode,
    },
}

#[derive(Debug, clap::Args)]
struct Common {
    /// The center's /RPC (its edge's /api/cache is read by the normal client).
    #[arg(long)]
    center: String,
    /// The syncdict process, for RSS and CPU.
    #[arg(long)]
    pid: u32,
}

#[derive(Debug, clap::Args)]
struct Amplify {
    #[arg(long, default_value_t = 20)]
    count: usize,
    #[arg(long, default_value_t = 100)]
    calls: usize,
}

fn main() -> ExitCode {
    support::run_local("attack", run(Cli::parse().attack))
}

async fn run(attack: Attack) -> anyhow::Result<()> {
    let (name, common, sent) = match &attack {
        Attack::Upstream { port, mode } => return upstream::serve(*port, *mode).await,
        Attack::Batch { common, amplify } => (
            "batch",
            common,
            format!(
                "{} batches of {} records.list",
                amplify.count, amplify.calls
            ),
        ),
        Attack::Multicall { common, amplify } => (
            "multicall",
            common,
            format!(
                "{} multicalls of {} records.list",
                amplify.count, amplify.calls
            ),
        ),
        Attack::Since { common, values } => (
            "since",
            common,
            format!("records.changes with {values} different old revisions"),
        ),
        Attack::Guess {
            common,
            count,
            many_addresses,
        } => (
            "guess",
            common,
            format!(
                "{count} concurrent wrong passwords from {}",
                if *many_addresses {
                    "many addresses"
                } else {
                    "one address"
                }
            ),
        ),
        Attack::Lockout {
            common,
            addresses,
            seconds,
            ..
        } => (
            "lockout",
            common,
            format!("{addresses} addresses failing logins for one user for {seconds} s"),
        ),
        Attack::Slow {
            common,
            connections,
            seconds,
        } => (
            "slow",
            common,
            format!("{connections} connections trickling bodies for {seconds} s"),
        ),
        Attack::Huge { common, count } => (
            "huge",
            common,
            format!("{count} bodies declaring 100 MB, with credentials"),
        ),
    };
    let center = Target::parse(&common.center)?;
    let probe = Probe::start(common.pid, &center);
    // How legitimate logins fared meanwhile (the lockout attack).
    let mut legit = String::new();
    let statuses = match &attack {
        Attack::Batch { amplify, .. } => amplify_attack(&center, amplify, false).await,
        Attack::Multicall { amplify, .. } => amplify_attack(&center, amplify, true).await,
        Attack::Since { values, .. } => since(&center, *values).await,
        Attack::Guess {
            count,
            many_addresses,
            ..
        } => guess(&center, *count, *many_addresses).await,
        Attack::Slow {
            connections,
            seconds,
            ..
        } => slow(&center, *connections, *seconds).await,
        Attack::Huge { count, .. } => huge(&center, *count).await,
        Attack::Lockout {
            owner,
            other,
            addresses,
            seconds,
            ..
        } => {
            let outcome = lockout::run(&center, owner, other, *addresses, *seconds).await?;
            let show = |l: &lockout::Login| format!("ok {} tries {} ms {}", l.ok, l.tries, l.ms);
            legit = format!(
                " | owner_basic {} | owner_console {} | other_user {}",
                show(&outcome.owner_basic),
                show(&outcome.owner_console),
                show(&outcome.other_user)
            );
            outcome.attack
        }
        Attack::Upstream { .. } => return Ok(()),
    };
    // Let the process settle, then report.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let report = probe.finish().await;
    let answers: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}x{n}")).collect();
    println!(
        "attack {name} | {sent} | rss_before_kib {} rss_peak_kib {} cpu_ms {} | answers {} | normal ok {} failed {} p99_ms {:.2}{legit}",
        report.rss_before_kib,
        report.rss_peak_kib,
        report.cpu_ms,
        answers.join(","),
        report.normal_ok,
        report.normal_failed,
        report.normal_p99_ms
    );
    Ok(())
}

type Statuses = BTreeMap<String, usize>;

fn count(statuses: &mut Statuses, outcome: Result<u16, http::Failure>) {
    let key = match outcome {
        Ok(status) => status.to_string(),
        Err(http::Failure::Timeout) => "timeout".into(),
        Err(_) => "error".into(),
    };
    *statuses.entry(key).or_default() += 1;
}

/// Runs `n` requests at once from `make(i)`, counting statuses.
async fn at_once<F, Fut>(n: usize, make: F) -> Statuses
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<u16, http::Failure>> + 'static,
{
    let tasks: Vec<_> = (0..n).map(|i| tokio::task::spawn_local(make(i))).collect();
    let mut statuses = Statuses::new();
    for task in tasks {
        match task.await {
            Ok(outcome) => count(&mut statuses, outcome),
            Err(_) => *statuses.entry("panicked".into()).or_default() += 1,
        }
    }
    statuses
}

async fn amplify_attack(center: &Target, a: &Amplify, xml: bool) -> Statuses {
    let body = if xml {
        let entry = "<value><struct><member><name>methodName</name><value>records.list</value></member></struct></value>";
        format!(
            "<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>{}</data></array></value></param></params></methodCall>",
            entry.repeat(a.calls)
        )
    } else {
        let call = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1});
        serde_json::Value::Array(vec![call; a.calls]).to_string()
    };
    let content_type = if xml { "text/xml" } else { "application/json" };
    at_once(a.count, |i| {
        let (center, body) = (center.clone(), body.clone());
        async move {
            let reply =
                http::exchange_typed(&center, source(i + 100), content_type, None, Some(&body))
                    .await?;
            Ok(reply.status)
        }
    })
    .await
}

async fn since(center: &Target, values: u64) -> Statuses {
    let mut statuses = Statuses::new();
    // In waves of 50, so connections stay few.
    for wave in 0..values.div_ceil(50) {
        let from = wave * 50 + 1;
        let to = (from + 50).min(values + 1);
        let wave_statuses = at_once((to - from) as usize, |i| {
            let center = center.clone();
            let since = from + i as u64;
            async move {
                let body = rpc_body("records.changes", json!([since]));
                Ok(exchange(&center, source(200 + i), None, Some(&body))
                    .await?
                    .status)
            }
        })
        .await;
        for (k, v) in wave_statuses {
            *statuses.entry(k).or_default() += v;
        }
    }
    statuses
}

async fn guess(center: &Target, n: usize, many: bool) -> Statuses {
    at_once(n, |i| {
        let center = center.clone();
        async move {
            let auth = http::basic(&format!("tester:guess-{i}"))
                .map_err(|e| http::Failure::Malformed(e.to_string()))?;
            let body = rpc_body("records.list", json!([]));
            let from = if many { source(1000 + i) } else { source(1) };
            Ok(exchange(&center, from, Some(&auth), Some(&body))
                .await?
                .status)
        }
    })
    .await
}

async fn slow(center: &Target, connections: usize, seconds: u64) -> Statuses {
    let hold = Duration::from_secs(seconds);
    at_once(connections, |i| {
        let center = center.clone();
        async move { raw::trickle(&center, source(3000 + i), hold).await }
    })
    .await
}

async fn huge(center: &Target, n: usize) -> Statuses {
    at_once(n, |i| {
        let center = center.clone();
        async move {
            let auth =
                http::basic("tester:wrong").map_err(|e| http::Failure::Malformed(e.to_string()))?;
            raw::declare_huge(&center, source(5000 + i), &auth, 100 << 20).await
        }
    })
    .await
}
