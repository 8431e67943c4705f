//! HTTPS figures: the server CPU a pull costs with a full TLS handshake
//! and with a resumed one, and the certificates a benchmark serves with.

use std::path::Path;

use anyhow::Context;
use serde_json::json;

use super::http::{exchange, rpc_body, source, Target};
use super::scenarios::{current_revision, Changes, EdgeAuth};

/// Server CPU per pull over HTTPS: `count` pulls each with a full
/// handshake, then `count` resuming one session; CPU from
/// `/proc/PID/stat` (utime + stime) around each phase. Prints
/// `cpu_us_per_pull full F resumed R`.
pub async fn handshakes(
    center: &str,
    pid: u32,
    count: usize,
    edge_auth: &EdgeAuth,
) -> anyhow::Result<()> {
    let center = Target::parse(center)?;
    anyhow::ensure!(center.tls.is_some(), "handshakes needs an https:// center");
    let since = current_revision(&center).await?;
    let body = rpc_body("records.changes", json!([since]));
    let mut per_pull = Vec::new();
    for resume in [false, true] {
        let edge = center.own_sessions(resume);
        // One pull outside the count: it makes the session to resume.
        exchange(&edge, source(0), edge_auth.as_deref(), Some(&body))
            .await?
            .ok()?;
        let before = cpu_ticks(pid)?;
        for i in 0..count {
            let reply = exchange(&edge, source(i), edge_auth.as_deref(), Some(&body)).await?;
            reply.result::<Changes>()?;
        }
        let ticks = cpu_ticks(pid)? - before;
        // Ticks are 1/100 s (USER_HZ on Linux).
        per_pull.push(ticks as f64 * 10_000.0 / count as f64);
    }
    println!(
        "cpu_us_per_pull full {:.0} resumed {:.0} pulls {count}",
        per_pull[0], per_pull[1]
    );
    Ok(())
}

/// utime + stime of `pid`, in clock ticks.
fn cpu_ticks(pid: u32) -> anyhow::Result<u64> {
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
