//! Secret namespaces on every backend: values sealed by `syncdict secrets`,
//! by the `age` CLI and by pyrage open in each other; the center stores
//! and answers only ciphertext; grants and revocation rotate the key.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

use crate::helpers::{peer, Scratch, TestApp, WRITER};
use crate::transfer::{failed, ok, syncdict};

/// `syncdict secrets ARGS --url (the app) --user WRITER`.
pub(crate) async fn secrets(app: &TestApp, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let rpc = app.rpc_url();
    let mut all = vec!["secrets"];
    all.extend_from_slice(args);
    if !matches!(args.first(), Some(&"keygen")) {
        all.extend_from_slice(&["--url", &rpc, "--user", WRITER.0]);
    }
    syncdict(app, &all, stdin).await
}

/// A new identity file in `dir`, and its recipient.
pub(crate) async fn keygen(app: &TestApp, dir: &Path, name: &str) -> (PathBuf, String) {
    let path = dir.join(name);
    let recipient = ok(&secrets(app, &["keygen", "--output", path.to_str().unwrap()], None).await);
    (path, recipient.trim().to_string())
}

/// Runs `program` with `stdin`, answers its stdout; panics on failure.
pub(crate) fn run(program: &str, args: &[&str], stdin: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{program} runs: {e}"));
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The namespace's identity, unwrapped from the holder's grant with the
/// `age` CLI alone (the construction is plain age).
async fn unwrap_with_age(app: &TestApp, dir: &Path, holder: &Path, ns: &str) -> PathBuf {
    let keys = app.result("secrets.keys", json!([ns])).await;
    let grant = keys["grants"].as_array().unwrap().iter().find(|g| {
        let file = std::fs::read_to_string(holder).unwrap();
        file.contains(g["recipient"].as_str().unwrap())
    });
    let wrapped = grant.expect("the holder is granted")["wrapped"]
        .as_str()
        .unwrap()
        .to_string();
    let plain = run(
        "age",
        &["-d", "-i", holder.to_str().unwrap()],
        wrapped.as_bytes(),
    );
    let envelope: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(envelope["ns"], ns);
    let path = dir.join(format!("{ns}.key"));
    std::fs::write(
        &path,
        format!("{}\n", envelope["identity"].as_str().unwrap()),
    )
    .unwrap();
    path
}

pub(crate) async fn stored(app: &TestApp, ns: &str, key: &str) -> String {
    let record = app.result("records.get", json!([key, ns])).await;
    record["value"].as_str().expect("a string").to_string()
}

async fn values_round_trip_with_age_and_pyrage(app: TestApp) {
    let dir = Scratch::new();
    let (holder_key, holder) = keygen(&app, &dir, "holder.key").await;
    let mode = std::fs::metadata(&holder_key).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    assert!(holder.starts_with("age1"), "{holder}");
    let created = ok(&secrets(&app, &["create", "vault", "--holder", &holder], None).await);
    let ns_recipient = created.trim().to_string();
    let listed = app.result("namespaces.get", json!(["vault"])).await;
    assert_eq!(listed["recipient"], ns_recipient.as_str());

    ok(&secrets(&app, &["put", "vault", "db"], Some(b"s3cret-MARKER-1\n")).await);
    let sealed = stored(&app, "vault", "db").await;
    assert!(
        sealed.starts_with("-----BEGIN AGE ENCRYPTED FILE-----"),
        "{sealed}"
    );
    assert!(!sealed.contains("MARKER"));
    let identity = holder_key.to_str().unwrap();
    let opened = ok(&secrets(&app, &["get", "vault", "db", "--identity", identity], None).await);
    assert_eq!(opened, "s3cret-MARKER-1\n");
    ok(&secrets(&app, &["put", "vault", "cfg"], Some(br#"{"pw": 7}"#)).await);
    let opened = ok(&secrets(&app, &["get", "vault", "cfg", "--identity", identity], None).await);
    assert_eq!(
        serde_json::from_str::<Value>(&opened).unwrap(),
        json!({"pw": 7})
    );

    // The center takes ciphertext only, and no schema.
    let (code, message) = app
        .error("records.put", json!(["plain", "hunter2", "vault"]))
        .await;
    assert_eq!(code, -32602);
    assert!(
        message.contains("is secret") && message.contains("age -a -r"),
        "{message}"
    );
    let (_, message) = app
        .error(
            "namespaces.set_schema",
            json!(["vault", {"type": "string"}]),
        )
        .await;
    assert!(message.contains("is secret"), "{message}");

    // syncdict's ciphertext opens with the age CLI and with pyrage.
    let ns_key = unwrap_with_age(&app, &dir, &holder_key, "vault").await;
    let plain = run(
        "age",
        &["-d", "-i", ns_key.to_str().unwrap()],
        sealed.as_bytes(),
    );
    let envelope: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(
        envelope,
        json!({"ns": "vault", "key": "db", "value": "s3cret-MARKER-1"})
    );
    if let Some(python) = peer("SYNCDICT_RPC4DJANGO_PYTHON") {
        let secret = std::fs::read_to_string(&ns_key).unwrap();
        let script =
            "import sys, pyrage; i = pyrage.x25519.Identity.from_str(sys.argv[1].strip()); \
                      sys.stdout.buffer.write(pyrage.decrypt(sys.stdin.buffer.read(), [i]))";
        let plain = run(&python, &["-c", script, &secret], sealed.as_bytes());
        assert_eq!(serde_json::from_slice::<Value>(&plain).unwrap(), envelope);
        let script = "import sys, pyrage; r = pyrage.x25519.Recipient.from_str(sys.argv[1]); \
                      sys.stdout.buffer.write(pyrage.encrypt(sys.stdin.buffer.read(), [r], armored=True))";
        let envelope = br#"{"ns": "vault", "key": "py", "value": "from-pyrage"}"#;
        let sealed = run(&python, &["-c", script, &ns_recipient], envelope);
        let sealed = String::from_utf8(sealed).unwrap();
        app.result("records.put", json!(["py", sealed, "vault"]))
            .await;
        let opened =
            ok(&secrets(&app, &["get", "vault", "py", "--identity", identity], None).await);
        assert_eq!(opened, "from-pyrage\n");
    }

    // A value sealed by `age -r` opens with syncdict.
    let envelope = br#"{"ns": "vault", "key": "api", "value": "from-age"}"#;
    let sealed_by_age = run("age", &["-a", "-r", &ns_recipient], envelope);
    let sealed_by_age = String::from_utf8(sealed_by_age).unwrap();
    app.result("records.put", json!(["api", sealed_by_age, "vault"]))
        .await;
    let opened = ok(&secrets(&app, &["get", "vault", "api", "--identity", identity], None).await);
    assert_eq!(opened, "from-age\n");

    // A ciphertext moved to another key is refused when opened.
    app.result("records.put", json!(["moved", sealed, "vault"]))
        .await;
    let refused = failed(
        &secrets(
            &app,
            &["get", "vault", "moved", "--identity", identity],
            None,
        )
        .await,
    );
    assert!(
        refused.contains("sealed for namespace \"vault\", key \"db\""),
        "{refused}"
    );
}

async fn grants_and_revocation_rotate_the_key(app: TestApp) {
    let dir = Scratch::new();
    let (alice_key, alice) = keygen(&app, &dir, "alice.key").await;
    let (bob_key, bob) = keygen(&app, &dir, "bob.key").await;
    let (alice_id, bob_id) = (alice_key.to_str().unwrap(), bob_key.to_str().unwrap());
    let first = ok(&secrets(&app, &["create", "vault", "--holder", &alice], None).await);
    ok(&secrets(&app, &["put", "vault", "db"], Some(b"one")).await);
    let refused = failed(&secrets(&app, &["get", "vault", "db", "--identity", bob_id], None).await);
    assert!(refused.contains("holds no grant"), "{refused}");

    ok(&secrets(
        &app,
        &["grant", "vault", &bob, "--identity", alice_id],
        None,
    )
    .await);
    let opened = ok(&secrets(&app, &["get", "vault", "db", "--identity", bob_id], None).await);
    assert_eq!(opened, "one\n");
    let bobs_old_key = unwrap_with_age(&app, &dir, &bob_key, "vault").await;

    let done = ok(&secrets(
        &app,
        &["revoke", "vault", &bob, "--identity", alice_id],
        None,
    )
    .await);
    assert!(done.contains("1 values sealed again"), "{done}");
    let keys = app.result("secrets.keys", json!(["vault"])).await;
    assert_ne!(keys["recipient"], first.trim());
    assert_eq!(keys["grants"].as_array().unwrap().len(), 1);
    assert_eq!(keys["grants"][0]["recipient"], alice.as_str());
    let refused = failed(&secrets(&app, &["get", "vault", "db", "--identity", bob_id], None).await);
    assert!(refused.contains("holds no grant"), "{refused}");
    let opened = ok(&secrets(&app, &["get", "vault", "db", "--identity", alice_id], None).await);
    assert_eq!(opened, "one\n");

    // What Bob unwrapped before opens nothing written since.
    ok(&secrets(&app, &["put", "vault", "db"], Some(b"two")).await);
    let sealed = stored(&app, "vault", "db").await;
    let out = Command::new("age")
        .args(["-d", "-i", bobs_old_key.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(sealed.as_bytes())?;
            child.wait_with_output()
        })
        .unwrap();
    assert!(!out.status.success(), "the revoked key opened a new value");

    // The last grantee cannot be revoked; a rotation must re-seal everything.
    let refused = failed(
        &secrets(
            &app,
            &["revoke", "vault", &alice, "--identity", alice_id],
            None,
        )
        .await,
    );
    assert!(refused.contains("only grantee"), "{refused}");
    let wrapped = keys["grants"][0]["wrapped"].clone();
    let grants = json!([{"recipient": alice, "wrapped": wrapped}]);
    let partial = json!({"upserts": {}});
    let (_, message) = app
        .error(
            "secrets.rotate",
            json!(["vault", bob, grants, partial, 100]),
        )
        .await;
    assert!(
        message.contains("1 left sealed to the old key"),
        "{message}"
    );
    let (_, message) = app
        .error(
            "secrets.rotate",
            json!(["default", bob, grants, partial, 100]),
        )
        .await;
    assert!(message.contains("is not secret"), "{message}");
}

async fn change_requests_show_no_values(app: TestApp) {
    let dir = Scratch::new();
    let (_, holder) = keygen(&app, &dir, "holder.key").await;
    let recipient = ok(&secrets(&app, &["create", "vault", "--holder", &holder], None).await);
    ok(&secrets(&app, &["put", "vault", "db"], Some(b"one")).await);
    let seal = |key: &str, value: &str| {
        let envelope = json!({"ns": "vault", "key": key, "value": value}).to_string();
        String::from_utf8(run(
            "age",
            &["-a", "-r", recipient.trim()],
            envelope.as_bytes(),
        ))
        .unwrap()
    };
    // Plaintext is refused before it is stored as a request or a release.
    for method in ["changes.propose", "gray.create"] {
        let plain = json!({"upserts": {"db": "plaintext-MARKER"}});
        let params = match method {
            "gray.create" => json!(["vault", plain, {"percent": 10}]),
            _ => json!(["vault", plain, "no"]),
        };
        let (code, message) = app.error(method, params).await;
        assert!(
            code == -32602 && message.contains("is secret"),
            "{method}: {message}"
        );
    }
    let changes =
        json!({"upserts": {"db": seal("db", "two"), "new": seal("new", "x")}, "deletes": ["gone"]});
    let proposed = app
        .result("changes.propose", json!(["vault", changes, "rotate db"]))
        .await;
    let request = app.result("changes.get", json!([proposed["id"]])).await;
    let diff: Vec<(String, String, bool)> = request["diff"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            assert!(d["old"].is_null() && d["new"].is_null(), "{d}");
            let key = d["key"].as_str().unwrap().to_string();
            (
                key,
                d["change"].as_str().unwrap().to_string(),
                d["sealed"] == true,
            )
        })
        .collect();
    let want = [("db", "changed"), ("new", "added"), ("gone", "same")];
    let want: Vec<(String, String, bool)> = want
        .iter()
        .map(|(k, c)| (k.to_string(), c.to_string(), true))
        .collect();
    assert_eq!(diff, want);
    let cookie = crate::console::sign_in(&app, WRITER).await;
    let path = format!("/console/reviews/{}", proposed["id"]);
    let page = crate::console::get(&app, &path, &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("(sealed: changed)") && page.contains("(sealed: added)"),
        "{page}"
    );
    assert!(!page.contains("BEGIN AGE"), "{page}");
}

crate::on_backends!(
    center: values_round_trip_with_age_and_pyrage,
    grants_and_revocation_rotate_the_key,
    change_requests_show_no_values,
);
