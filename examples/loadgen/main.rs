//! Load generator for `scripts/scale_bench.sh`: simulated edges, freshness
//! and soak, on loopback, bounded in time. Every request opens its own TCP
//! connection (`Connection: close`), as edges do.
//!
//! ```text
//! loadgen edges --center URL --levels 10000,20000 --seconds 20 --writes-per-s 1 --credentials USER:PASS
//! loadgen freshness --center URL --edge URL --writes 1000 --credentials USER:PASS
//! loadgen soak --center URL --edge URL --seconds 600 --pid PID --credentials USER:PASS
//! loadgen --tls-ca ca.pem edges --center https://127.0.0.1:PORT/RPC --edge-authorization "Bearer sdt_..." ...
//! loadgen --tls-ca ca.pem pull-cpu --center https://127.0.0.1:PORT/RPC --pid PID --count 2000 --rounds 3
//! loadgen --edge-authorization "Bearer sdt_..." pull-cpu --center http://127.0.0.1:PORT/RPC --pid PID
//! loadgen held --center URL --edges 10000 --seconds 60 --wait 30 --pid PID --credentials USER:PASS
//! loadgen outputs --center URL --stamps FILE --writes 1000 --gap-ms 150 --credentials USER:PASS
//! loadgen cert --dir DIR
//! ```
//! It prints measurements; whether they meet a target is the script's call.
//! It exits 2 on bad usage and 1 when it cannot run (a center that does not
//! answer, a write that fails during a freshness run).

mod digest;
mod handshakes;
mod held;
mod held_memory;
mod http;
mod outputs;
mod scenarios;
mod support;
mod tally;
mod writes;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(about = "Loopback load for syncdict benchmarks")]
struct Cli {
    /// A PEM CA certificate: `https://` URLs are then spoken to over TLS
    /// trusting only it (each simulated edge with its own session cache).
    #[arg(long, global = true)]
    tls_ca: Option<std::path::PathBuf>,
    /// The `Authorization` value simulated edges (and soak's lists) send,
    /// e.g. "Bearer sdt_..."; default none.
    #[arg(long, global = true)]
    edge_authorization: Option<String>,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Debug, Subcommand)]
enum Scenario {
    /// Levels of simulated edges, each calling records.changes every 6 s
    /// ± 10%, plus a writer; one line per level, then `edges_max N` (the
    /// largest level with p99 under 50 ms and no failed request).
    Edges {
        #[arg(long)]
        center: String,
        /// Comma-separated edge counts, tried in order until one fails.
        #[arg(long, value_delimiter = ',', required = true)]
        levels: Vec<usize>,
        /// How long each level runs.
        #[arg(long, default_value_t = 20)]
        seconds: u64,
        #[arg(long, default_value_t = 1.0)]
        writes_per_s: f64,
        /// USER:PASSWORD of a user with the write permission.
        #[arg(long)]
        credentials: String,
        /// With N > 0, each edge asks for two of the namespaces ns-0 ..
        /// ns-(N-1) (records.changes(since, namespaces)) and the writer
        /// writes into them; 0 asks the original records.changes(since).
        #[arg(long, default_value_t = 0)]
        namespaces: usize,
    },
    /// CONCURRENCY writers, each putting records one after another, for
    /// SECONDS or until COUNT writes in all; prints `writes_per_s`.
    Writes {
        #[arg(long)]
        center: String,
        #[arg(long, default_value_t = 10)]
        seconds: u64,
        #[arg(long)]
        count: Option<usize>,
        #[arg(long, default_value_t = 4)]
        concurrency: usize,
        /// The namespace written.
        #[arg(long, default_value = "default")]
        namespace: String,
        /// Write over the keys k000000 .. k(KEYS-1) instead of w-0 .. w-999.
        #[arg(long)]
        keys: Option<usize>,
        #[arg(long)]
        credentials: String,
    },
    /// Puts WRITES values 50 to 150 ms apart and watches the edge's
    /// `X-Data-Revision` every 2 ms: how long until each write is readable.
    Freshness {
        #[arg(long)]
        center: String,
        /// The edge's base URL (its /api/cache is read).
        #[arg(long)]
        edge: String,
        #[arg(long, default_value_t = 1000)]
        writes: usize,
        #[arg(long)]
        credentials: String,
    },
    /// Server CPU per pull, ROUNDS alternating pairs of COUNT pulls: over
    /// https, a full handshake each against a resumed session; over http,
    /// anonymous against `--edge-authorization`.
    PullCpu {
        #[arg(long)]
        center: String,
        /// The syncdict process whose CPU time is read.
        #[arg(long)]
        pid: u32,
        #[arg(long, default_value_t = 2000)]
        count: usize,
        #[arg(long, default_value_t = 1)]
        rounds: usize,
    },
    /// EDGES connections each holding one `records.changes` with `wait`:
    /// the center's RSS before, with all held, and for SETTLE seconds after
    /// one write answered them all.
    HeldMemory {
        #[arg(long)]
        center: String,
        #[arg(long)]
        edges: usize,
        #[arg(long, default_value_t = 300.0)]
        wait: f64,
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        credentials: String,
        #[arg(long, default_value_t = 30)]
        settle: u64,
    },
    /// EDGES held edges (one kept connection each, `records.changes` with
    /// `wait` again as soon as a reply is in) and one write a second for
    /// SECONDS: write-to-edge time; then the RSS and CPU of PID for 10 s
    /// with every edge held and nothing written.
    Held {
        #[arg(long)]
        center: String,
        /// Write through this center (on the same database) instead.
        #[arg(long)]
        write_center: Option<String>,
        #[arg(long)]
        edges: usize,
        #[arg(long, default_value_t = 60)]
        seconds: u64,
        #[arg(long, default_value_t = 30.0)]
        wait: f64,
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        credentials: String,
    },
    /// WRITES puts GAP_MS apart, then the lines `REVISION UNIX_NANOS` an
    /// output's command appended to STAMPS: change-to-command time.
    Outputs {
        #[arg(long)]
        center: String,
        #[arg(long)]
        stamps: std::path::PathBuf,
        #[arg(long, default_value_t = 1000)]
        writes: usize,
        #[arg(long, default_value_t = 150)]
        gap_ms: u64,
        #[arg(long)]
        credentials: String,
    },
    /// Times LtHash updates and signature checks (the costs of signed digests).
    Digest {
        #[arg(long, default_value_t = 100_000)]
        count: usize,
    },
    /// Writes a CA and a server certificate for 127.0.0.1 (PEM) into DIR.
    Cert {
        #[arg(long)]
        dir: std::path::PathBuf,
    },
    /// Mixed load on one center + edge process: 2,000 simulated edges, 300
    /// edge reads/s, 5 lists/s, 2 writes/s; samples the RSS of PID after
    /// one minute and at the end.
    Soak {
        #[arg(long)]
        center: String,
        #[arg(long)]
        edge: String,
        #[arg(long, default_value_t = 600)]
        seconds: u64,
        /// The syncdict process whose RSS is sampled.
        #[arg(long)]
        pid: u32,
        #[arg(long)]
        credentials: String,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let edge_auth: scenarios::EdgeAuth = cli.edge_authorization.as_deref().map(Into::into);
    support::run_local("loadgen", async {
        if let Some(ca) = &cli.tls_ca {
            let _ = http::TLS.set(std::sync::Arc::new(http::tls_trusting(ca)?));
        }
        match cli.scenario {
            Scenario::Edges {
                center,
                levels,
                seconds,
                writes_per_s,
                credentials,
                namespaces,
            } => {
                scenarios::edges(
                    &center,
                    &levels,
                    seconds,
                    writes_per_s,
                    namespaces,
                    &credentials,
                    &edge_auth,
                )
                .await
            }
            Scenario::PullCpu {
                center,
                pid,
                count,
                rounds,
            } => handshakes::pull_cpu(&center, pid, count, rounds, &edge_auth).await,
            Scenario::Cert { dir } => handshakes::certificates(&dir),
            Scenario::Outputs {
                center,
                stamps,
                writes,
                gap_ms,
                credentials,
            } => {
                let gap = std::time::Duration::from_millis(gap_ms);
                outputs::outputs(&center, &stamps, writes, gap, &credentials).await
            }
            Scenario::Held {
                center,
                write_center,
                edges,
                seconds,
                wait,
                pid,
                credentials,
            } => {
                held::held(held::HeldRun {
                    center: &center,
                    write_center: write_center.as_deref(),
                    edges,
                    seconds,
                    wait,
                    pid,
                    credentials: &credentials,
                })
                .await
            }
            Scenario::HeldMemory {
                center,
                edges,
                wait,
                pid,
                credentials,
                settle,
            } => {
                held_memory::memory(held_memory::MemoryRun {
                    center: &center,
                    edges,
                    wait,
                    pid,
                    credentials: &credentials,
                    settle,
                })
                .await
            }
            Scenario::Digest { count } => digest::costs(count),
            Scenario::Writes {
                center,
                seconds,
                count,
                concurrency,
                namespace,
                keys,
                credentials,
            } => {
                let load = writes::Load {
                    seconds,
                    count,
                    concurrency,
                    namespace,
                    keys,
                };
                writes::writes(&center, load, &credentials).await
            }
            Scenario::Freshness {
                center,
                edge,
                writes,
                credentials,
            } => scenarios::freshness(&center, &edge, writes, &credentials).await,
            Scenario::Soak {
                center,
                edge,
                seconds,
                pid,
                credentials,
            } => scenarios::soak(&center, &edge, seconds, pid, &credentials, &edge_auth).await,
        }
    })
}
