//! HTTPS and token figures: the server CPU a pull costs with a full TLS
//! handshake and with a resumed one, or anonymous and with a token; and
//! the certificates a benchmark serves with.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use super::http::{exchange, rpc_body, source, Target};
use super::scenarios::{current_revision, Changes, EdgeAuth};

/// Server CPU per pull, `count` pulls per phase, the two phases in
/// alternating `rounds` so the machine's drift touches both alike; CPU
/// from `/proc/PID/stat` (utime + stime) around each phase. Over
/// `https://`, a full handshake per pull against a resumed one (both with
/// `edge_auth`); over `http://`, anonymous against `edge_auth`. Prints
/// `cpu_us_per_pull full F resumed R ...` or `cpu_us_per_pull anonymous A
/// authorized T ...`, medians of the rounds.
pub async fn pull_cpu(
    center: &str,
    pid: u32,
    count: usize,
    rounds: usize,
    edge_auth: &EdgeAuth,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    let tls = center.tls.is_some();
    anyhow::ensure!(
        tls || edge_auth.is_some(),
        "over http://, pull-cpu compares anonymous pulls with --edge-authorization"
    );
    let since = current_revision(&center).await?;
    let body = rpc_body("records.changes", json!([since]));
    let mut per_pull = [Vec::new(), Vec::new()];
    for _ in 0..rounds.max(1) {
        for (phase, second) in [false, true].into_iter().enumerate() {
            // Over https the second phase resumes; over http it sends the token.
            let (edge, auth) = match tls {
                true => (center.own_sessions(second), edge_auth.as_deref()),
                false => (center.clone(), edge_auth.as_deref().filter(|_| second)),
            };
            // One pull outside the count: it makes the session to resume.
            exchange(&edge, source(0), auth, Some(&body)).await?.ok()?;
            let before = cpu_ticks(pid)?;
            for i in 0..count {
                let reply = exchange(&edge, source(i), auth, Some(&body)).await?;
                reply.result::<Changes>()?;
            }
            let ticks = cpu_ticks(pid)? - before;
            // Ticks are 1/100 s (USER_HZ on Linux).
            per_pull[phase].push(ticks as f64 * 10_000.0 / count as f64);
        }
    }
    let [first, second] = per_pull.map(|mut v| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    });
    let (a, b) = if tls {
        ("full", "resumed")
    } else {
        ("anonymous", "authorized")
    };
    println!(
        "cpu_us_per_pull {a} {first:.0} {b} {second:.0} pulls {count} rounds {}",
        rounds.max(1)
    );
    Ok(())
}

/// utime + stime of `pid`, in clock ticks.
pub(super) fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // Fields after the command name (which may hold spaces) start at ')'.
    let rest = stat.rsplit_once(')').context("unreadable stat")?.1;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    Ok(fields[11].parse::<u64>()? + fields[12].parse::<u64>()?)
}

/// A CA and a server certificate for 127.0.0.1 signed by it, as PEM files
/// in `dir`: `ca.pem`, `server.crt`, `server.key`.
pub fn certificates(dir: &Path) -> anyhow::Result<()> {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};
    std::fs::create_dir_all(dir)?;
    let ca_key = KeyPair::generate()?;
    let mut ca = CertificateParams::new(Vec::<String>::new())?;
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    // Distinct names, or the server certificate looks self-signed.
    ca.distinguished_name
        .push(rcgen::DnType::CommonName, "syncdict bench CA");
    std::fs::write(dir.join("ca.pem"), ca.self_signed(&ca_key)?.pem())?;
    let issuer = Issuer::new(ca, ca_key);
    let key = KeyPair::generate()?;
    let mut server = CertificateParams::new(vec!["127.0.0.1".to_string()])?;
    server
        .distinguished_name
        .push(rcgen::DnType::CommonName, "127.0.0.1");
    let server = server.signed_by(&key, &issuer)?;
    std::fs::write(dir.join("server.crt"), server.pem())?;
    std::fs::write(dir.join("server.key"), key.serialize_pem())?;
    Ok(())
}
