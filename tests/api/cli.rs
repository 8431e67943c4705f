//! The binary's start-up: bad settings stop it with one line and exit code 2.

use std::process::{Command, Output};

/// A scratch directory with an optional Settings.toml.
fn scratch(settings: Option<&str>) -> crate::helpers::Scratch {
    let dir = crate::helpers::Scratch::new();
    if let Some(text) = settings {
        std::fs::write(dir.join("Settings.toml"), text).unwrap();
    }
    dir
}

fn syncdict(dir: &std::path::Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncdict"));
    command.current_dir(dir).args(args).env_remove("RUST_LOG");
    for (k, v) in env {
        command.env(k, v);
    }
    command.output().expect("syncdict runs")
}

fn check_refused(settings: &str, env: &[(&str, &str)], key: &str) {
    let dir = scratch(Some(settings));
    let out = syncdict(&dir, &["check-config"], env);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{settings} {env:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains(key), "{key} not named in: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_settings_name_the_key_and_exit_2() {
    check_refused("[server]\nport = \"eighty\"\n", &[], "server.port");
    check_refused(
        "[server]\nroles = [\"edge\"]\nread_access = \"users\"\n[client]\nupstreams = [\"http://127.0.0.1:9/RPC\"]\n",
        &[],
        "server.read_access",
    );
    check_refused("[server]\nmax_body = \"10x\"\n", &[], "server.max_body");
    check_refused("[server]\nprot = 8080\n", &[], "prot");
    // Held pulls and outputs.
    check_refused("[server]\nmax_held = 25000\n", &[], "server.max_held");
    check_refused(
        "[server]\nhold_poll_interval = \"1ms\"\n",
        &[],
        "server.hold_poll_interval",
    );
    check_refused("[client]\nhold = \"2h\"\n", &[], "client.hold");
    // The fleet view.
    check_refused("[client]\nname = \"my edge\"\n", &[], "client.name");
    check_refused(
        "[server]\nfleet_max_edges = 0\n",
        &[],
        "server.fleet_max_edges",
    );
    check_refused(
        "[server]\nfleet_window = \"10s\"\n",
        &[],
        "server.fleet_window",
    );
    check_refused("[server]\nfleet_lag = \"10ms\"\n", &[], "server.fleet_lag");
    check_refused(
        "[server]\nfleet_flush_interval = \"40s\"\n",
        &[],
        "server.fleet_flush_interval",
    );
    check_refused(
        "[client]\nmode = \"method\"\nhold = \"30s\"\n",
        &[],
        "client.hold",
    );
    let output = "[[output]]\npath = \"o.json\"\nformat = \"json\"\n";
    for bad in [
        "mode = \"999\"\n",
        "namespaces = []\n",
        "command_timeout = \"0s\"\n",
        "template = \"t.j2\"\n",
    ] {
        check_refused(&format!("{output}{bad}"), &[], "output[0]");
    }
    check_refused(
        "[[output]]\npath = \"o.conf\"\nformat = \"template\"\n",
        &[],
        "output[0]",
    );
    check_refused(&format!("{output}{output}"), &[], "output[1]");
    check_refused(
        &format!("[server]\nroles = [\"center\"]\n{output}"),
        &[],
        "output[0]",
    );
    // Namespaces an edge listed by name: nothing else may be sized or output.
    let listed = "[client]\nnamespaces = [\"default\"]\n";
    check_refused(
        &format!("{listed}{output}namespaces = [\"geo\"]\n"),
        &[],
        "output[0]",
    );
    check_refused(
        &format!("{listed}namespace_sizes = {{ geo = \"1m\" }}\n"),
        &[],
        "client.namespace_sizes",
    );
    check_refused(
        "[client]\nnamespaces = [\"*\", \"geo\"]\n",
        &[],
        "client.namespaces",
    );
    check_refused(
        "[client]\nnamespaces = [\"default\", \"default\"]\n",
        &[],
        "client.namespaces",
    );
    check_refused("[client]\nnamespaces = [\"Bad\"]\n", &[], "namespaces");
    let many: Vec<String> = (0..101).map(|i| format!("\"ns-{i}\"")).collect();
    check_refused(
        &format!("[client]\nnamespaces = [{}]\n", many.join(", ")),
        &[],
        "client.namespaces",
    );
    check_refused(
        "[database]\nurl = \"redis://localhost\"\n",
        &[],
        "database.url",
    );
    check_refused(
        "[database]\nconnect_timeout = \"soon\"\n",
        &[],
        "database.connect_timeout",
    );
    check_refused(
        "[server]\nmax_json_depth = 500\n",
        &[],
        "server.max_json_depth",
    );
    check_refused("[server\n", &[], "Settings.toml");
    check_refused(
        "",
        &[("SYNCDICT__SERVER__MAX_BATCH", "-1")],
        "server.max_batch",
    );
    check_refused(
        "",
        &[("SYNCDICT__SERVER__RPC_PATH", "RPC")],
        "server.rpc_path",
    );
}

#[test]
fn check_config_layers_sources() {
    let dir = scratch(Some(
        "[server]\nport = 9000\n[database]\nurl = \"sqlite://data.db\"\n",
    ));
    std::fs::write(
        dir.join("extra.toml"),
        "[server]\nport = 9100\nmax_batch = 7\n",
    )
    .unwrap();
    let env = [("SYNCDICT__SERVER__MAX_BATCH", "9")];
    let out = syncdict(&dir, &["--config", "extra.toml", "check-config"], &env);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let effective: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        effective["server"]["port"], 9100,
        "--config beats Settings.toml"
    );
    assert_eq!(effective["server"]["max_batch"], 9, "env beats --config");
    assert_eq!(effective["database"]["url"], "sqlite://data.db");
}

#[test]
fn passwords_never_show() {
    let dir = scratch(None);
    let env = [(
        "SYNCDICT__DATABASE__URL",
        "postgres://app:hunter2@db:5432/x",
    )];
    let out = syncdict(&dir, &["check-config"], &env);
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert!(
        !stdout.contains("hunter2") && !stderr.contains("hunter2"),
        "{stdout}{stderr}"
    );
    if cfg!(feature = "postgres") {
        let effective: serde_json::Value = serde_json::from_str(&stdout).unwrap();
        assert_eq!(effective["database"]["url"], "postgres://app:***@db:5432/x");
    } else {
        assert_eq!(out.status.code(), Some(2));
        assert!(
            stderr.contains("postgres://app:***@db:5432/x")
                && stderr.contains("--features postgres"),
            "{stderr}"
        );
    }
}

#[test]
fn missing_config_file_is_refused() {
    let dir = scratch(None);
    let out = syncdict(&dir, &["--config", "nope.toml", "check-config"], &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nope.toml"));
}

#[test]
fn migrate_creates_the_sqlite_store() {
    let dir = scratch(None);
    let out = syncdict(
        &dir,
        &["migrate"],
        &[("SYNCDICT__DATABASE__URL", "sqlite://fresh.db")],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(dir.join("fresh.db").is_file());
    let again = syncdict(
        &dir,
        &["migrate"],
        &[("SYNCDICT__DATABASE__URL", "sqlite://fresh.db")],
    );
    assert!(again.status.success(), "migrate is idempotent");
}

#[test]
fn call_explains_its_failures() {
    let dir = scratch(None);
    let closed = crate::helpers::ClosedPort::new();
    let url = format!("http://127.0.0.1:{}/RPC", closed.port);
    let out = syncdict(
        &dir,
        &[
            "call",
            "--url",
            &url,
            "records.put",
            "greeting",
            "\"hello\"",
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr.contains(&url),
        "an unreachable endpoint is named: {stderr}"
    );
    let out = syncdict(&dir, &["call", "--url", &url, "records.list"], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr.contains(&url), "{stderr}");
}

#[test]
fn user_commands_manage_users() {
    use std::io::Write;
    let dir = scratch(Some("[database]\nurl = \"sqlite://users.db\"\n"));
    let user = |args: &[&str], stdin: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_syncdict"))
            .current_dir(&dir)
            .args(["user"])
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(stdin.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    assert!(
        user(
            &["add", "alice", "--write", "--password-stdin"],
            "correct horse\n"
        )
        .0
    );
    assert!(user(&["add", "bob", "--password-stdin"], "battery staple\n").0);
    let (ok, out) = user(&["add", "alice", "--password-stdin"], "another one\n");
    assert!(!ok && out.contains("already exists"), "{out}");
    let (ok, out) = user(&["add", "carol", "--password-stdin"], "short\n");
    assert!(!ok && out.contains("8 characters"), "{out}");
    let (ok, out) = user(&["add", "bad name", "--password-stdin"], "long enough\n");
    assert!(!ok && out.contains("invalid user name"), "{out}");
    let (_, list) = user(&["list"], "");
    assert!(
        list.contains("alice\t*=read,write")
            && list.contains("bob\t*=read")
            && !list.contains("horse"),
        "{list}"
    );
    assert!(user(&["passwd", "bob", "--password-stdin"], "new password\n").0);
    assert!(user(&["remove", "bob"], "").0);
    let (ok, out) = user(&["remove", "bob"], "");
    assert!(!ok && out.contains("no user bob"), "{out}");
}

#[test]
fn token_and_key_commands() {
    let dir = scratch(Some("[database]\nurl = \"sqlite://tokens.db\"\n"));
    let run = |args: &[&str]| {
        let out = syncdict(&dir, args, &[]);
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let err = String::from_utf8_lossy(&out.stderr).to_string();
        (out.status.success(), text, err)
    };
    let (ok, token, note) = run(&[
        "token",
        "add",
        "edge-1",
        "--namespace",
        "default",
        "--expires",
        "90d",
    ]);
    assert!(ok, "{note}");
    assert!(
        token.starts_with("sdt_") && token.len() == 68,
        "one token on stdout: {token}"
    );
    assert!(note.contains("shown once"), "{note}");
    let (ok, _, err) = run(&["token", "add", "edge-1"]);
    assert!(!ok && err.contains("already exists"), "{err}");
    let (ok, _, err) = run(&["token", "add", "bad:name"]);
    assert!(!ok && err.contains("invalid"), "{err}");
    let (ok, list, _) = run(&["token", "list"]);
    assert!(ok);
    assert!(list.starts_with("edge-1\tdefault=read\t"), "{list}");
    assert!(
        list.contains("last used never") && !list.contains("expires never"),
        "{list}"
    );
    assert!(
        !list.contains(&token[4..]),
        "the secret is never shown again"
    );
    assert!(run(&["token", "revoke", "edge-1"]).0);
    let (ok, _, err) = run(&["token", "revoke", "edge-1"]);
    assert!(!ok && err.contains("no token"), "{err}");

    let (ok, line, err) = run(&["keys", "generate", "--out", "signing.pem"]);
    assert!(ok, "{err}");
    assert!(line.starts_with("verify_keys = [\"ed25519:"), "{line}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("signing.pem"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(
        !run(&["keys", "generate", "--out", "signing.pem"]).0,
        "never overwritten"
    );
    let out = syncdict(&dir, &["keys", "public", "--key", "signing.pem"], &[]);
    let public = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(line.contains(&public), "{public} in {line}");
}

/// Without a terminal to prompt on (no controlling terminal: a script,
/// a service), `user add` says to use `--password-stdin`.
#[test]
fn user_add_without_a_terminal_points_to_password_stdin() {
    use std::os::unix::process::CommandExt;
    let dir = scratch(Some("[database]\nurl = \"sqlite://users.db\"\n"));
    let mut command = Command::new(env!("CARGO_BIN_EXE_syncdict"));
    command
        .current_dir(&dir)
        .args(["user", "add", "dora"])
        .stdin(std::process::Stdio::null());
    // SAFETY: setsid only detaches the child from the terminal.
    unsafe {
        command.pre_exec(|| {
            libc::setsid();
            Ok(())
        });
    }
    let out = command.output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("--password-stdin"), "{stderr}");
    assert!(stderr.contains("without a terminal"), "{stderr}");
}
