//! No plaintext on the center: values written through `syncdict secrets`
//! are looked for in the database's files or dump, every reply that
//! carries the namespace, `/metrics`, the page, the export, the webhooks'
//! deliveries and the log.

use std::process::Command;

use serde_json::json;

use crate::helpers::{Backend, Scratch, TestApp};
use crate::secrets::{keygen, secrets};
use crate::transfer::{ok, syncdict};
use syncdict::domain::now_us;

/// Everything the database holds, as bytes: the SQLite file with its WAL,
/// or a dump of the test's MariaDB or PostgreSQL database.
fn database_bytes(app: &TestApp) -> Vec<u8> {
    let url = app.database_url().expect("own database");
    let raw = url.connection_string();
    let name = || {
        raw.rsplit('/')
            .next()
            .unwrap()
            .split('?')
            .next()
            .unwrap()
            .to_string()
    };
    let dump = |program: &str, args: &[&str]| {
        let out = Command::new(program).args(args).output();
        let out = out.unwrap_or_else(|e| panic!("{program} runs: {e}"));
        assert!(
            out.status.success(),
            "{program}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    match url.backend() {
        syncdict::configuration::Backend::Sqlite => {
            let mut bytes = std::fs::read(raw).unwrap();
            bytes.extend(std::fs::read(format!("{raw}-wal")).unwrap_or_default());
            bytes
        }
        syncdict::configuration::Backend::Mysql => {
            dump("mysqldump", &["-h", "127.0.0.1", "-u", "root", &name()])
        }
        syncdict::configuration::Backend::Postgres => {
            dump("pg_dump", &["-h", "127.0.0.1", "-U", "postgres", &name()])
        }
    }
}

fn assert_absent(what: &str, haystack: &[u8], markers: &[&str]) {
    let text = String::from_utf8_lossy(haystack);
    assert!(!text.is_empty(), "{what} is empty");
    for marker in markers {
        assert!(!text.contains(marker), "{marker} found in {what}");
    }
}

async fn no_plaintext_on_the_center(backend: Backend) {
    let receiver = crate::webhooks::Receiver::start().await;
    let hook = crate::webhooks::webhook("audit", &receiver.url);
    let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .with(move |s| {
            s.webhook = vec![hook];
            s.server.webhook_allow_private = true;
        })
        .try_spawn()
        .await
    else {
        return;
    };
    let dir = Scratch::new();
    let (holder_key, holder) = keygen(&app, &dir, "holder.key").await;
    ok(&secrets(&app, &["create", "vault", "--holder", &holder], None).await);
    let markers = ["MARKER-one-3a5f", "MARKER-two-91c2", "MARKER-three-77e0"];
    ok(&secrets(&app, &["put", "vault", "db"], Some(markers[0].as_bytes())).await);
    ok(&secrets(&app, &["put", "vault", "db"], Some(markers[1].as_bytes())).await);
    let object = format!(r#"{{"password": "{}"}}"#, markers[2]);
    ok(&secrets(&app, &["put", "vault", "cfg"], Some(object.as_bytes())).await);
    let (_, other) = keygen(&app, &dir, "other.key").await;
    let id = holder_key.to_str().unwrap();
    ok(&secrets(&app, &["grant", "vault", &other, "--identity", id], None).await);
    ok(&secrets(&app, &["revoke", "vault", &other, "--identity", id], None).await);
    let opened = ok(&secrets(&app, &["get", "vault", "cfg", "--identity", id], None).await);
    assert!(opened.contains(markers[2]), "the holder reads it: {opened}");

    let calls = [
        ("records.list", json!(["vault"])),
        ("records.changes", json!([0, ["vault"]])),
        ("records.history", json!(["db", "vault"])),
        ("namespaces.timeline", json!(["vault"])),
        ("audit.list", json!([])),
        ("namespaces.list", json!([])),
        ("secrets.keys", json!(["vault"])),
    ];
    for (method, params) in calls {
        let reply = app.call(method, params).await.to_string();
        assert_absent(method, reply.as_bytes(), &markers);
    }
    for path in ["/metrics", "/"] {
        let body = app.get(path).await.bytes().await.unwrap();
        assert_absent(path, &body, &markers);
    }
    let rpc = app.rpc_url();
    let args = ["export", "--namespace", "vault", "--url", &rpc];
    let exported = ok(&syncdict(&app, &args, None).await);
    assert!(exported.contains("BEGIN AGE ENCRYPTED FILE"), "{exported}");
    assert_absent("the export", exported.as_bytes(), &markers);
    while app.maintenance().deliver(now_us()).await.unwrap() > 0 {}
    let delivered: String = receiver.got().into_iter().map(|d| d.body).collect();
    assert!(
        delivered.contains("BEGIN AGE ENCRYPTED FILE"),
        "{delivered}"
    );
    assert_absent("the webhooks", delivered.as_bytes(), &markers);
    // The same look finds a value of a namespace that is not secret.
    app.result("records.put", json!(["control", "CONTROL-5b1e"]))
        .await;
    let bytes = database_bytes(&app);
    assert!(String::from_utf8_lossy(&bytes).contains("CONTROL-5b1e"));
    assert_absent("the database", &bytes, &markers);
}

/// Runs the binary in `dir` with `args`, `stdin` as its input, as the
/// writer; answers its stdout (it must succeed).
fn cli(dir: &std::path::Path, args: &[&str], stdin: &[u8]) -> String {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_syncdict"))
        .current_dir(dir)
        .args(args)
        .env("SYNCDICT_PASSWORD", crate::helpers::WRITER.1)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    ok(&child.wait_with_output().unwrap())
}

/// A center and its edge in one process, logging at debug level, while a
/// value is sealed, stored, pulled and opened: the plaintext is never
/// logged.
#[actix_web::test]
async fn secret_values_never_reach_the_log() {
    use crate::processes::{add_writer, reachable, Process};
    use std::time::Duration;
    let dir = Scratch::new();
    add_writer(&dir);
    let holder = cli(&dir, &["secrets", "keygen", "--output", "holder.key"], b"");
    let edge = cli(&dir, &["secrets", "keygen", "--output", "edge.key"], b"");
    let env = [
        ("SYNCDICT__SERVER__PORT", "0".to_string()),
        ("SYNCDICT__DATABASE__URL", "sqlite://center.db".into()),
        ("SYNCDICT__CLIENT__IDENTITY_FILE", "edge.key".into()),
        ("SYNCDICT__CLIENT__INTERVAL", "1s".into()),
        ("RUST_LOG", "debug".into()),
    ];
    let mut both = Process::start(&dir, &env, Some(&dir.join("both.log")));
    let port = both.port().await;
    crate::helpers::eventually(Duration::from_secs(20), "up", async || {
        reachable(port).await
    })
    .await;
    let url = format!("http://127.0.0.1:{port}/RPC");
    let at = ["--url", url.as_str(), "--user", crate::helpers::WRITER.0];
    let run = |args: &[&str], stdin: &[u8]| cli(&dir, &[args, &at].concat(), stdin);
    run(
        &["secrets", "create", "vault", "--holder", holder.trim()],
        b"",
    );
    run(
        &[
            "secrets",
            "grant",
            "vault",
            edge.trim(),
            "--identity",
            "holder.key",
        ],
        b"",
    );
    run(&["secrets", "put", "vault", "db"], b"LOGGED-MARKER-5d2a");
    let cache = format!("http://127.0.0.1:{port}/api/cache/vault/db");
    let served = async || {
        let reply = reqwest::get(&cache).await;
        let text = match reply {
            Ok(r) => r.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        text.contains("LOGGED-MARKER")
    };
    crate::helpers::eventually(Duration::from_secs(60), "the edge serves it", served).await;
    both.kill();
    let logged = std::fs::read_to_string(dir.join("both.log")).unwrap();
    assert!(
        logged.contains("DEBUG") && logged.contains("secret namespaces"),
        "{logged}"
    );
    assert!(
        !logged.contains("LOGGED-MARKER"),
        "the plaintext was logged"
    );
}

crate::on_backends!(no_plaintext_on_the_center);
