//! End to end with two real processes: a center and an edge, as a user runs
//! them, killed and restarted.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::eventually;

/// A syncdict process, killed when dropped.
pub struct Process {
    pub child: Child,
    /// Its log (stderr); shown when the process is dropped with `TEST_LOG`.
    log: PathBuf,
}

impl Process {
    /// Starts syncdict in `dir` with `env` (`RUST_LOG` only if `env` sets
    /// it). Its log (stderr) goes to the file `log` if given, else to a
    /// file of its own in `dir`. With `SYNCDICT__SERVER__PORT` 0 (or left
    /// out), `port` tells which port it took.
    pub fn start(dir: &Path, env: &[(&str, String)], log: Option<&Path>) -> Process {
        // The test talks to it with reqwest, which needs a TLS provider
        // even for http:// (a test app in the same run installs it too).
        syncdict::tls::install_default_provider();
        let mut command = Command::new(env!("CARGO_BIN_EXE_syncdict"));
        command
            .current_dir(dir)
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        let log = match log {
            Some(path) => path.to_path_buf(),
            None => dir.join(format!("{}.log", crate::helpers::unique_name())),
        };
        command.stderr(std::fs::File::create(&log).expect("log file"));
        for (k, v) in env {
            command.env(k, v);
        }
        Process {
            child: command.spawn().expect("syncdict starts"),
            log,
        }
    }

    /// The port it listens on, from its `listening` log line (text or
    /// JSON), once it has written it.
    pub async fn port(&self) -> u16 {
        let mut port = None;
        eventually(Duration::from_secs(20), "listening", async || {
            let text = std::fs::read_to_string(&self.log).unwrap_or_default();
            port = text
                .lines()
                .filter(|l| l.contains("listening"))
                .find_map(|l| {
                    let at = l
                        .find("port=")
                        .map(|i| i + 5)
                        .or_else(|| l.find("\"port\":").map(|i| i + 7))?;
                    let digits: String = l[at..].chars().take_while(char::is_ascii_digit).collect();
                    digits.parse().ok()
                });
            port.is_some()
        })
        .await;
        port.unwrap_or_default()
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
        if std::env::var("TEST_LOG").is_ok() {
            eprintln!("{}", std::fs::read_to_string(&self.log).unwrap_or_default());
        }
    }
}

/// A center process on the database at `url`, re-checking the revision
/// every 200 ms (so writes through other centers show quickly).
pub fn center(dir: &Path, port: u16, url: &str) -> Process {
    Process::start(
        dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "center".into()),
            ("SYNCDICT__SERVER__PORT", port.to_string()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            ("SYNCDICT__SERVER__REVISION_CHECK_INTERVAL", "200ms".into()),
            ("SYNCDICT__DATABASE__URL", url.into()),
        ],
        None,
    )
}

fn edge(dir: &Path, port: u16, center_port: u16) -> Process {
    Process::start(
        dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "edge".into()),
            ("SYNCDICT__SERVER__PORT", port.to_string()),
            ("SYNCDICT__SERVER__WORKERS", "1".into()),
            (
                "SYNCDICT__CLIENT__UPSTREAMS",
                format!("http://127.0.0.1:{center_port}/RPC"),
            ),
            ("SYNCDICT__CLIENT__INTERVAL", "200ms".into()),
            ("SYNCDICT__CLIENT__MAX_BACKOFF", "400ms".into()),
            ("SYNCDICT__CLIENT__TIMEOUT", "500ms".into()),
            ("SYNCDICT__CLIENT__MAX_STALE", "1s".into()),
            ("SYNCDICT__CLIENT__SNAPSHOT_PATH", "edge.snapshot".into()),
        ],
        None,
    )
}

/// `syncdict user add` in the center's directory, as the README shows it.
pub fn add_writer(dir: &Path) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_syncdict"))
        .current_dir(dir)
        .env("SYNCDICT__DATABASE__URL", "sqlite://center.db")
        .args([
            "user",
            "add",
            crate::helpers::WRITER.0,
            "--write",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    writeln!(child.stdin.take().unwrap(), "{}", crate::helpers::WRITER.1).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `syncdict call` against the center, as the README shows it.
pub fn call(port: u16, method: &str, params: &[&str]) -> Value {
    let url = format!("http://127.0.0.1:{port}/RPC");
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncdict"));
    let out = command
        .current_dir(std::env::temp_dir())
        .env("SYNCDICT_PASSWORD", crate::helpers::WRITER.1)
        .args([
            "call",
            "--user",
            crate::helpers::WRITER.0,
            "--url",
            &url,
            method,
        ])
        .args(params);
    serde_json::from_slice(&succeeded(out).stdout).unwrap()
}

/// Runs `command` to its end, failing the test (with its stderr) unless
/// it succeeds.
pub fn succeeded(command: &mut Command) -> std::process::Output {
    let out = command.output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

pub async fn get(port: u16, path: &str) -> Option<(u16, Value)> {
    let response = reqwest::get(format!("http://127.0.0.1:{port}{path}"))
        .await
        .ok()?;
    let status = response.status().as_u16();
    Some((status, response.json().await.ok()?))
}

pub async fn reachable(port: u16) -> bool {
    reqwest::get(format!("http://127.0.0.1:{port}/"))
        .await
        .is_ok()
}

#[actix_web::test]
async fn center_and_edge_processes() {
    let dir = crate::helpers::Scratch::new();
    add_writer(&dir);
    let mut the_center = center(&dir, 0, "sqlite://center.db");
    let center_port = the_center.port().await;
    let mut the_edge = edge(&dir, 0, center_port);
    let edge_port = the_edge.port().await;
    let long = Duration::from_secs(20);
    eventually(long, "center up", async || reachable(center_port).await).await;

    call(center_port, "records.put", &["\"greeting\"", "\"hello\""]);
    call(
        center_port,
        "records.put",
        &["\"rules\"", r#"{"deny":["10.0.0.1"]}"#],
    );
    let list = call(center_port, "records.list", &[]);
    eventually(long, "edge converges", async || {
        get(edge_port, "/api/cache")
            .await
            .is_some_and(|(_, body)| body == crate::helpers::as_cache_map(&list))
    })
    .await;

    // A write shows up (within one interval, 200 ms, on an idle machine;
    // scripts/scale_bench.sh measures how soon under load).
    call(
        center_port,
        "records.put",
        &["\"greeting\"", "\"hello again\""],
    );
    eventually(long, "write reaches the edge", async || {
        get(edge_port, "/api/cache/greeting")
            .await
            .is_some_and(|(_, v)| v == json!("hello again"))
    })
    .await;

    // The center dies: reads keep answering, then status and healthz say stale.
    the_center.kill();
    eventually(long, "edge reports stale", async || {
        get(edge_port, "/healthz")
            .await
            .is_some_and(|(status, _)| status == 503)
    })
    .await;
    let (status, value) = get(edge_port, "/api/cache/greeting").await.unwrap();
    assert_eq!((status, value), (200, json!("hello again")));
    let (_, report) = get(edge_port, "/api/status").await.unwrap();
    assert_eq!(report["stale"], true);
    assert!(report["consecutive_failures"].as_u64().unwrap() >= 1);

    // The edge restarts while the center is down: it serves its snapshot.
    the_edge.kill();
    let mut the_edge = edge(&dir, edge_port, center_port);
    eventually(long, "restarted edge serves its snapshot", async || {
        get(edge_port, "/api/cache/greeting")
            .await
            .is_some_and(|(_, v)| v == json!("hello again"))
    })
    .await;

    // The center returns (same database): the edge catches up.
    let _the_center = center(&dir, center_port, "sqlite://center.db");
    eventually(long, "center back", async || reachable(center_port).await).await;
    call(center_port, "records.delete", &["\"rules\""]);
    call(center_port, "records.put", &["\"after\"", "1"]);
    let list = call(center_port, "records.list", &[]);
    eventually(long, "edge catches up", async || {
        get(edge_port, "/api/cache")
            .await
            .is_some_and(|(_, body)| body == crate::helpers::as_cache_map(&list))
    })
    .await;
    eventually(long, "fresh again", async || {
        get(edge_port, "/healthz")
            .await
            .is_some_and(|(s, _)| s == 200)
    })
    .await;
    the_edge.kill();
}

/// A failed login is logged with the user name, never the password or the
/// Authorization header, even at debug level.
#[actix_web::test]
async fn secrets_never_reach_the_log() {
    let dir = crate::helpers::Scratch::new();
    add_writer(&dir);
    let mut center = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "center".into()),
            ("SYNCDICT__SERVER__PORT", "0".into()),
            ("SYNCDICT__DATABASE__URL", "sqlite://center.db".into()),
            ("RUST_LOG", "debug".into()),
        ],
        Some(&dir.join("center.log")),
    );
    let port = center.port().await;
    eventually(Duration::from_secs(20), "center up", async || {
        reachable(port).await
    })
    .await;
    let url = format!("http://127.0.0.1:{port}/RPC");
    let body = json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", 1], "id": 1});
    let client = reqwest::Client::new();
    let wrong = client
        .post(&url)
        .basic_auth("tester", Some("hunter2-guess"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    // A user name that tries to forge a log line of its own.
    let forger = client
        .post(&url)
        .basic_auth("x\nforged-line INFO all is well", Some("whatever"))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(forger.status(), 401);
    let (user, password) = crate::helpers::WRITER;
    let right = client
        .post(&url)
        .basic_auth(user, Some(password))
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(right.status(), 200);
    center.kill();
    let logged = std::fs::read_to_string(dir.join("center.log")).unwrap();
    assert!(
        logged.contains("login failed") && logged.contains("tester"),
        "{logged}"
    );
    assert!(
        !logged.contains('\x1b'),
        "no colour codes in a file: {logged}"
    );
    assert!(
        !logged.contains("request refused"),
        "a failed login is logged once: {logged}"
    );
    assert!(
        logged.lines().all(|l| !l.starts_with("forged-line")),
        "a user name forged a log line: {logged}"
    );
    assert!(
        logged.contains(r"x\nforged-line"),
        "logged escaped: {logged}"
    );
    for secret in ["hunter2-guess", password, "dGVzdGVy", "Basic "] {
        assert!(!logged.contains(secret), "{secret:?} leaked into the log");
    }
}

/// Credentials written in an upstream URL are used, and never shown: not in
/// the edge's status, page, metrics or log (at debug level), nor by
/// `check-config`.
#[actix_web::test]
async fn upstream_url_credentials_are_used_and_never_shown() {
    let dir = crate::helpers::Scratch::new();
    add_writer(&dir);
    let center = Process::start(
        &dir,
        &[
            ("SYNCDICT__SERVER__ROLES", "center".into()),
            ("SYNCDICT__SERVER__PORT", "0".into()),
            ("SYNCDICT__SERVER__READ_ACCESS", "users".into()),
            ("SYNCDICT__DATABASE__URL", "sqlite://center.db".into()),
        ],
        None,
    );
    let center_port = center.port().await;
    let (user, password) = crate::helpers::WRITER;
    let upstream = format!("http://{user}:{password}@127.0.0.1:{center_port}/RPC");
    let env = [
        ("SYNCDICT__SERVER__ROLES", "edge".to_string()),
        ("SYNCDICT__SERVER__PORT", "0".into()),
        ("SYNCDICT__CLIENT__UPSTREAMS", upstream.clone()),
        ("SYNCDICT__CLIENT__INTERVAL", "200ms".into()),
        ("SYNCDICT__CLIENT__SNAPSHOT_PATH", "".into()),
        ("RUST_LOG", "debug".into()),
    ];
    let log = dir.join("edge.log");
    let mut edge = Process::start(&dir, &env, Some(&log));
    let edge_port = edge.port().await;
    let long = Duration::from_secs(20);
    eventually(long, "center up", async || reachable(center_port).await).await;
    call(center_port, "records.put", &["\"k\"", "\"private\""]);
    eventually(
        long,
        "the edge pulls with the URL's credentials",
        async || {
            get(edge_port, "/api/cache/k")
                .await
                .is_some_and(|(_, v)| v == json!("private"))
        },
    )
    .await;
    let mut shown = String::new();
    for path in ["/api/status", "/", "/metrics"] {
        let response = reqwest::get(format!("http://127.0.0.1:{edge_port}{path}"))
            .await
            .unwrap();
        shown.push_str(&response.text().await.unwrap());
    }
    let check_config = Command::new(env!("CARGO_BIN_EXE_syncdict"))
        .current_dir(&dir)
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .arg("check-config")
        .output()
        .unwrap();
    shown.push_str(&String::from_utf8_lossy(&check_config.stdout));
    edge.kill();
    shown.push_str(&std::fs::read_to_string(&log).unwrap());
    assert!(
        shown.contains(&format!("http://127.0.0.1:{center_port}/RPC")),
        "the upstream is shown, without credentials"
    );
    assert!(!shown.contains(password), "the password leaked");
    assert!(!shown.contains(&format!("{user}:")), "the userinfo leaked");
}
