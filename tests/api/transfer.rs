//! `syncdict export`, `import` and `audit`, run as the real binary against
//! a center's database and over RPC, on every backend.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::{json, Value};

use crate::helpers::{unique_name, TestApp, WRITER};

/// Runs the binary in a scratch directory (no Settings.toml) on `app`'s
/// database, off the test's thread (which also runs parts of the app).
pub(crate) async fn syncdict(app: &TestApp, args: &[&str], stdin: Option<&[u8]>) -> Output {
    // Test databases have no password: the masked URL is the URL.
    let url = app.database_url().expect("own database").masked();
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let stdin = stdin.map(<[u8]>::to_vec);
    actix_web::rt::task::spawn_blocking(move || run(&url, &args, stdin.as_deref()))
        .await
        .unwrap()
}

fn run(url: &str, args: &[String], stdin: Option<&[u8]>) -> Output {
    use std::io::Write;
    let dir = crate::helpers::Scratch::new();
    let mut child = Command::new(env!("CARGO_BIN_EXE_syncdict"))
        .current_dir(&dir)
        .args(args)
        .env_remove("RUST_LOG")
        .env("SYNCDICT__DATABASE__URL", url)
        .env("SYNCDICT_PASSWORD", WRITER.1)
        .env("USER", "operator")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("syncdict runs");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or_default()).unwrap();
    drop(input);
    // The directory lives until the command has run.
    let out = child.wait_with_output().unwrap();
    drop(dir);
    out
}

pub(crate) fn ok(out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

pub(crate) fn failed(out: &Output) -> String {
    assert!(
        !out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn file(name: &str, text: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("{}-{name}", unique_name()));
    std::fs::write(&path, text).unwrap();
    path
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

async fn import_export_round_trip(app: TestApp) {
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["fr", "Frankreich", "geo"]))
        .await; // 1
    app.result("records.put", json!(["old", 1, "geo"])).await; // 2
    let ndjson = file(
        "geo.ndjson",
        "{\"key\":\"fr\",\"value\":\"France\"}\n{\"key\":\"de\",\"value\":{\"name\":\"Germany\"}}\n{\"key\":\"it\",\"value\":[1,2]}\n",
    );

    let dry = ok(&syncdict(
        &app,
        &[
            "import",
            arg(&ndjson),
            "--namespace",
            "geo",
            "--replace",
            "--dry-run",
        ],
        None,
    )
    .await);
    assert!(
        dry.contains("add 2: de, it")
            && dry.contains("change 1: fr")
            && dry.contains("remove 1: old"),
        "{dry}"
    );
    assert!(dry.contains("dry run"), "{dry}");
    assert_eq!(
        app.result("records.changes", json!([0])).await["revision"],
        2,
        "nothing changed"
    );

    let done = ok(&syncdict(
        &app,
        &["import", arg(&ndjson), "--namespace", "geo", "--replace"],
        None,
    )
    .await);
    assert!(done.contains("committed at revision 3"), "{done}");
    let list = app.result("records.list", json!(["geo"])).await;
    assert!(
        list.as_array().unwrap().iter().all(|r| r["revision"] == 3),
        "one change set"
    );
    let audit = app.result("audit.list", json!([2])).await;
    assert_eq!(audit[0]["method"], "syncdict import");
    assert_eq!(audit[0]["author"], "operator");
    assert_eq!(audit[0]["keys"], 4);

    // Every format exports the same data, and reads back to it.
    let json_out = ok(&syncdict(&app, &["export", "--namespace", "geo"], None).await);
    let parsed: Value = serde_json::from_str(&json_out).unwrap();
    assert_eq!(
        parsed,
        json!({"de": {"name": "Germany"}, "fr": "France", "it": [1, 2]})
    );
    for format in ["ndjson", "csv"] {
        let out = ok(&syncdict(
            &app,
            &["export", "--namespace", "geo", "--format", format],
            None,
        )
        .await);
        let again = ok(&syncdict(
            &app,
            &[
                "import",
                "-",
                "--namespace",
                "geo",
                "--format",
                format,
                "--replace",
            ],
            Some(out.as_bytes()),
        )
        .await);
        assert!(
            again.contains("unchanged 3") && again.contains("nothing to change"),
            "{format}: {again}"
        );
    }
    // As it was at revision 2.
    let then = ok(&syncdict(
        &app,
        &[
            "export",
            "--namespace",
            "geo",
            "--at",
            "2",
            "--format",
            "ndjson",
        ],
        None,
    )
    .await);
    assert_eq!(
        then,
        "{\"key\":\"fr\",\"value\":\"Frankreich\"}\n{\"key\":\"old\",\"value\":1}\n"
    );

    // Bad input: the line is named and nothing is committed.
    let bad = file("bad.csv", "key,value\nok,1\nbroken,{nope\n");
    let err = failed(&syncdict(&app, &["import", arg(&bad), "--namespace", "geo"], None).await);
    assert!(err.contains("line 3") && err.contains("not JSON"), "{err}");
    let missing =
        failed(&syncdict(&app, &["import", arg(&ndjson), "--namespace", "nope"], None).await);
    assert!(missing.contains("no namespace"), "{missing}");

    // A schema violation refuses the import whole.
    app.result(
        "namespaces.set_schema",
        json!(["geo", {"type": ["string", "object", "array"]}]),
    )
    .await;
    let numbers = file("n.json", "{\"x\": 1, \"y\": \"ok\"}");
    let err = failed(
        &syncdict(
            &app,
            &["import", arg(&numbers), "--namespace", "geo", "--dry-run"],
            None,
        )
        .await,
    );
    assert!(err.contains("\"x\" at /"), "{err}");
    assert_eq!(
        app.result("records.changes", json!([0])).await["revision"],
        3
    );

    // Over RPC, with credentials.
    let remote = file("r.json", "{\"es\": \"Spain\"}");
    let rpc = app.rpc_url();
    let done = ok(&syncdict(
        &app,
        &[
            "import",
            arg(&remote),
            "--namespace",
            "geo",
            "--url",
            &rpc,
            "--user",
            WRITER.0,
        ],
        None,
    )
    .await);
    assert!(
        done.contains("add 1: es") && done.contains("committed at revision 4"),
        "{done}"
    );
    let exported = ok(&syncdict(
        &app,
        &[
            "export",
            "--namespace",
            "geo",
            "--url",
            &rpc,
            "--format",
            "csv",
        ],
        None,
    )
    .await);
    assert!(
        exported.starts_with("key,value\n") && exported.contains("es,\"\"\"Spain\"\"\""),
        "{exported}"
    );
    let log = ok(&syncdict(
        &app,
        &["audit", "--url", &rpc, "--user", WRITER.0, "--limit", "1"],
        None,
    )
    .await);
    assert!(
        log.contains("\t4\t") || log.lines().nth(1).unwrap().starts_with("4\t"),
        "{log}"
    );
    assert!(log.contains(WRITER.0), "{log}");
    for path in [ndjson, bad, numbers, remote] {
        let _ = std::fs::remove_file(path);
    }
}

/// 100,000 records in, one change set, and out again.
async fn a_large_import(app: TestApp) {
    app.result("namespaces.create", json!(["big"])).await;
    let mut text = String::with_capacity(100_000 * 40);
    for i in 0..100_000 {
        text.push_str(&format!(
            "{{\"key\":\"k{i:06}\",\"value\":{{\"n\":{i}}}}}\n"
        ));
    }
    let path = file("big.ndjson", &text);
    let done = ok(&syncdict(&app, &["import", arg(&path), "--namespace", "big"], None).await);
    assert!(
        done.contains("add 100000") && done.contains("committed at revision 1"),
        "{done}"
    );
    let out = ok(&syncdict(
        &app,
        &["export", "--namespace", "big", "--format", "ndjson"],
        None,
    )
    .await);
    assert_eq!(out, text);
    let _ = std::fs::remove_file(path);
}

/// A missing namespace is refused in one sentence naming `--create`;
/// `--create` makes it (a dry run only says it would), locally and over RPC.
async fn import_creates_the_namespace_when_asked(app: TestApp) {
    let data = file("new.json", "{\"a\": 1}");
    let missing =
        failed(&syncdict(&app, &["import", arg(&data), "--namespace", "new"], None).await);
    assert_eq!(missing.matches("no namespace").count(), 1, "{missing}");
    assert!(missing.contains("--create"), "{missing}");
    let dry = ok(&syncdict(
        &app,
        &[
            "import",
            arg(&data),
            "--namespace",
            "new",
            "--create",
            "--dry-run",
        ],
        None,
    )
    .await);
    assert!(
        dry.contains("would create namespace new") && dry.contains("add 1"),
        "{dry}"
    );
    let listed = app.result("namespaces.list", json!([])).await;
    assert!(
        !listed.to_string().contains("\"new\""),
        "a dry run creates nothing"
    );
    let done = ok(&syncdict(
        &app,
        &["import", arg(&data), "--namespace", "new", "--create"],
        None,
    )
    .await);
    assert!(
        done.contains("created namespace new") && done.contains("committed"),
        "{done}"
    );
    let rpc = app.rpc_url();
    let args = [
        "import",
        arg(&data),
        "--namespace",
        "far",
        "--url",
        &rpc,
        "--user",
        WRITER.0,
    ];
    let missing = failed(&syncdict(&app, &args, None).await);
    assert_eq!(missing.matches("no namespace").count(), 1, "{missing}");
    let mut create = args.to_vec();
    create.push("--create");
    let done = ok(&syncdict(&app, &create, None).await);
    assert!(done.contains("created namespace far"), "{done}");
    for ns in ["new", "far"] {
        let list = app.result("records.list", json!({"namespace": ns})).await;
        assert_eq!(list.as_array().map(Vec::len), Some(1), "{ns}: {list}");
    }
    let _ = std::fs::remove_file(data);
}

/// Expiries travel in NDJSON and CSV (an `expires_at` field or column),
/// locally and over RPC; JSON, which has no place for one, is refused
/// rather than losing it.
async fn expiries_travel_with_their_records(app: TestApp) {
    let put = json!({"key": "ttl", "value": "v", "expires_at": "2030-03-17T17:46:40Z"});
    let at = "2030-03-17T17:46:40.000000Z"; // as syncdict writes times
    app.result("records.put", put).await;
    app.put("plain", json!(1)).await;
    let ndjson = ok(&syncdict(&app, &["export", "--format", "ndjson"], None).await);
    assert_eq!(
        ndjson,
        format!("{{\"key\":\"plain\",\"value\":1}}\n{{\"key\":\"ttl\",\"value\":\"v\",\"expires_at\":\"{at}\"}}\n")
    );
    let csv = ok(&syncdict(&app, &["export", "--format", "csv"], None).await);
    assert_eq!(
        csv,
        format!("key,value,expires_at\nplain,1,\nttl,\"\"\"v\"\"\",{at}\n")
    );
    let json_refused = failed(&syncdict(&app, &["export", "--format", "json"], None).await);
    assert!(json_refused.contains("ndjson or csv"), "{json_refused}");

    // Into another namespace, from each format, locally and over RPC.
    let rpc = app.rpc_url();
    for (i, (name, text)) in [("e.ndjson", &ndjson), ("e.csv", &csv)]
        .into_iter()
        .enumerate()
    {
        let path = file(name, text);
        let ns = format!("copy{i}");
        let local = ["import", arg(&path), "--namespace", &ns, "--create"];
        assert!(ok(&syncdict(&app, &local, None).await).contains("add 2"));
        let listed = app.result("records.list", json!({"namespace": ns})).await;
        assert_eq!(listed[1]["expires_at"], at, "{listed}");
        assert!(listed[0]["expires_at"].is_null(), "{listed}");
        // The same file again changes nothing; a changed expiry is a change.
        let again = ok(&syncdict(&app, &local, None).await);
        assert!(again.contains("nothing to change"), "{again}");
        let later = file(name, &text.replace("2030", "2031"));
        let remote = [
            "import",
            arg(&later),
            "--namespace",
            &ns,
            "--url",
            &rpc,
            "--user",
            WRITER.0,
        ];
        let changed = ok(&syncdict(&app, &remote, None).await);
        assert!(changed.contains("change 1: ttl"), "{changed}");
        let listed = app.result("records.list", json!({"namespace": ns})).await;
        assert_eq!(
            listed[1]["expires_at"],
            at.replace("2030", "2031"),
            "{listed}"
        );
        let _ = std::fs::remove_file(path);
        let _ = std::fs::remove_file(later);
    }
}

/// A namespace that requires reviews refuses an import, locally and over
/// RPC, naming the way in.
async fn import_meets_the_review_policy(app: TestApp) {
    let data = file("reviewed.json", "{\"a\": 1}");
    let policy = json!(["default", {"reviews_required": 2}]);
    let (_, reply) = app
        .call_as(Some(crate::helpers::ADMIN), "namespaces.set_policy", policy)
        .await;
    assert_eq!(reply["result"], true, "{reply}");
    let local = ["import", arg(&data), "--namespace", "default"];
    let local = failed(&syncdict(&app, &local, None).await);
    assert!(local.contains("2 approving review"), "{local}");
    let rpc = app.rpc_url();
    let remote = [
        "import",
        arg(&data),
        "--namespace",
        "default",
        "--url",
        &rpc,
        "--user",
        WRITER.0,
    ];
    let remote = failed(&syncdict(&app, &remote, None).await);
    assert!(remote.contains("2 approving review"), "{remote}");
    assert_eq!(app.error("records.get", json!(["a"])).await.0, -32002);
}

crate::on_backends!(
    center: import_meets_the_review_policy,
    import_export_round_trip,
    import_creates_the_namespace_when_asked,
    expiries_travel_with_their_records,
);

#[actix_web::test]
async fn a_large_import_on_sqlite() {
    a_large_import(TestApp::builder().center().spawn().await).await;
}
