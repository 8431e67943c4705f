//! No plaintext on the center: values written through `syncdict secrets`
//! are looked for in the database's files or dump, every reply that
//! carries the namespace, `/metrics`, the page and the export.

use std::process::Command;

use serde_json::json;

use crate::helpers::{Scratch, TestApp};
use crate::secrets::{keygen, secrets};
use crate::transfer::{ok, syncdict};

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

async fn no_plaintext_on_the_center(app: TestApp) {
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
    // The same look finds a value of a namespace that is not secret.
    app.result("records.put", json!(["control", "CONTROL-5b1e"]))
        .await;
    let bytes = database_bytes(&app);
    assert!(String::from_utf8_lossy(&bytes).contains("CONTROL-5b1e"));
    assert_absent("the database", &bytes, &markers);
}

crate::on_backends!(center: no_plaintext_on_the_center);
