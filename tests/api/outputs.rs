//! `[[output]]`: files an edge renders after each applied change, in each
//! format; a failing check keeps the old file; a burst of changes runs the
//! command once more, not once per change; a restarted edge renders from
//! its snapshot with the center down; a bad template stops the start.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{HumanDuration, OutputFormat, OutputSettings};
use syncdict::domain::Namespace;
use syncdict::edge::state::TickReport;

use crate::helpers::{eventually, TestApp};

fn scratch() -> crate::helpers::Scratch {
    crate::helpers::Scratch::new()
}

fn output(path: PathBuf, format: OutputFormat) -> OutputSettings {
    OutputSettings {
        path,
        format,
        namespaces: vec![Namespace::default()],
        template: None,
        mode: "0644".into(),
        check_command: None,
        command: None,
        command_timeout: HumanDuration(Duration::from_secs(30)),
    }
}

async fn edge_with(
    upstream: String,
    outputs: Vec<OutputSettings>,
    snapshot: Option<PathBuf>,
) -> TestApp {
    TestApp::builder()
        .edge(vec![upstream])
        .with(move |s| {
            s.output = outputs;
            s.client.snapshot_path = snapshot;
        })
        .spawn()
        .await
}

/// The file's text once `check` holds for it.
async fn file_when(path: &Path, check: impl Fn(&str) -> bool) -> String {
    eventually(
        Duration::from_secs(30),
        &format!("{}", path.display()),
        async || std::fs::read_to_string(path).is_ok_and(|t| check(&t)),
    )
    .await;
    std::fs::read_to_string(path).unwrap()
}

async fn outputs_of(edge: &TestApp) -> Vec<Value> {
    edge.status().await["outputs"].as_array().unwrap().clone()
}

#[actix_web::test]
async fn each_format_is_rendered_after_a_change() {
    let center = TestApp::builder().center().spawn().await;
    center.put("PORT", json!(8080)).await;
    center.put("NAME", json!("it's here")).await;
    let dir = scratch();
    let template = dir.join("conf.j2");
    std::fs::write(
        &template,
        "# {{ revision }}\n{% for k, v in records|items %}{{ k }} {{ v }};\n{% endfor %}",
    )
    .unwrap();
    let mut t = output(dir.join("conf"), OutputFormat::Template);
    t.template = Some(template);
    t.mode = "0600".into();
    let outputs = vec![
        output(dir.join("data.json"), OutputFormat::Json),
        output(dir.join("data.ndjson"), OutputFormat::Ndjson),
        output(dir.join("data.env"), OutputFormat::Env),
        t,
    ];
    let edge = edge_with(center.rpc_url(), outputs, None).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let json = file_when(&dir.join("data.json"), |t| t.contains("PORT")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&json).unwrap(),
        json!({"NAME": "it's here", "PORT": 8080})
    );
    let ndjson = file_when(&dir.join("data.ndjson"), |t| !t.is_empty()).await;
    assert_eq!(ndjson.lines().count(), 2);
    assert_eq!(
        serde_json::from_str::<Value>(ndjson.lines().next().unwrap()).unwrap(),
        json!({"namespace": "default", "key": "NAME", "value": "it's here"})
    );
    let env = file_when(&dir.join("data.env"), |t| !t.is_empty()).await;
    assert_eq!(env, "NAME='it'\\''s here'\nPORT='8080'\n");
    let conf = file_when(&dir.join("conf"), |t| !t.is_empty()).await;
    assert!(conf.ends_with("NAME it's here;\nPORT 8080;\n"), "{conf}");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("conf"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // A change: every file follows. No change: nothing is rendered.
    center.put("PORT", json!(9090)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    for file in ["data.json", "data.ndjson", "data.env", "conf"] {
        file_when(&dir.join(file), |t| t.contains("9090")).await;
    }
    // A file is in place (renamed) just before its output counts the write.
    eventually(
        Duration::from_secs(30),
        "every output wrote twice",
        async || outputs_of(&edge).await.iter().all(|o| o["writes"] == 2),
    )
    .await;
    edge.tick().await;
    for o in outputs_of(&edge).await {
        assert_eq!(
            (o["writes"].clone(), o["renders"].clone()),
            (json!(2), json!(2)),
            "{o}"
        );
    }
    let metrics = edge.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"event="written"} 2"#), "{metrics}");
    assert!(!dir.join("conf.syncdict-tmp").exists());
}

#[actix_web::test]
async fn a_failing_check_keeps_the_old_file() {
    let center = TestApp::builder().center().spawn().await;
    center.put("rule", json!("allow")).await;
    let dir = scratch();
    let mut o = output(dir.join("rules.json"), OutputFormat::Json);
    o.check_command = Some("! grep -q forbidden {tmp}".into());
    let edge = edge_with(center.rpc_url(), vec![o], None).await;
    edge.tick().await;
    file_when(&dir.join("rules.json"), |t| t.contains("allow")).await;
    center.put("rule", json!("forbidden")).await;
    edge.tick().await;
    eventually(Duration::from_secs(30), "a check failure", async || {
        outputs_of(&edge).await[0]["check_failures"] == json!(1)
    })
    .await;
    let o = &outputs_of(&edge).await[0];
    assert!(
        o["last_error"].as_str().unwrap().contains("check_command"),
        "{o}"
    );
    assert!(std::fs::read_to_string(dir.join("rules.json"))
        .unwrap()
        .contains("allow"));
    assert!(
        !dir.join("rules.json.syncdict-tmp").exists(),
        "the refused file is removed"
    );
}

#[actix_web::test]
async fn a_burst_of_changes_is_one_more_render_and_command() {
    let center = TestApp::builder().center().spawn().await;
    center.put("n", json!(0)).await;
    let dir = scratch();
    let d = dir.display();
    let mut o = output(dir.join("n.json"), OutputFormat::Json);
    // Each run says it started, waits for the gate, then counts itself.
    o.command = Some(format!(
        "touch {d}/started; while [ ! -f {d}/gate ]; do sleep 0.02; done; echo run >> {d}/runs"
    ));
    let edge = edge_with(center.rpc_url(), vec![o], None).await;
    edge.tick().await;
    eventually(Duration::from_secs(30), "the first command", async || {
        dir.join("started").exists()
    })
    .await;
    // Five changes while the first command runs.
    for n in 1..=5 {
        center.put("n", json!(n)).await;
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    std::fs::write(dir.join("gate"), "").unwrap();
    eventually(Duration::from_secs(30), "two commands run", async || {
        outputs_of(&edge).await[0]["command_runs"] == json!(2)
    })
    .await;
    let runs = std::fs::read_to_string(dir.join("runs")).unwrap();
    assert_eq!(runs.lines().count(), 2, "{runs}");
    let o = &outputs_of(&edge).await[0];
    assert_eq!(o["renders"], json!(2), "{o}");
    let data = std::fs::read_to_string(dir.join("n.json")).unwrap();
    assert_eq!(
        serde_json::from_str::<Value>(&data).unwrap(),
        json!({"n": 5})
    );
}

#[actix_web::test]
async fn a_restarted_edge_renders_from_its_snapshot_with_the_center_down() {
    let center = TestApp::builder().center().spawn().await;
    center.put("route", json!("a")).await;
    let dir = scratch();
    let snapshot = dir.join("edge.snapshot");
    let first = edge_with(center.rpc_url(), vec![], Some(snapshot.clone())).await;
    assert_eq!(first.tick().await, TickReport::Applied);
    // The same host restarted (a test app removes its snapshot when dropped).
    let kept = dir.join("kept.snapshot");
    std::fs::copy(&snapshot, &kept).unwrap();
    let refusing = crate::helpers::ClosedPort::new();
    let closed = format!("http://127.0.0.1:{}/RPC", refusing.port);
    let o = output(dir.join("routes.json"), OutputFormat::Json);
    let _second = edge_with(closed, vec![o], Some(kept)).await;
    let text = file_when(&dir.join("routes.json"), |t| t.contains("route")).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"route": "a"})
    );
}

#[test]
fn check_config_names_a_bad_template_and_renders_a_good_one() {
    let dir = scratch();
    std::fs::write(dir.join("bad.j2"), "fine\n{% if %}\n").unwrap();
    std::fs::write(
        dir.join("good.j2"),
        "{{ records|length }} records at {{ revision }}\n",
    )
    .unwrap();
    let settings = |template: &str| {
        format!(
            "[server]\nroles = [\"edge\"]\n[client]\nupstreams = [\"http://127.0.0.1:9/RPC\"]\nsnapshot_path = \"\"\n\
             [[output]]\npath = \"out.conf\"\nformat = \"template\"\ntemplate = \"{template}\"\n"
        )
    };
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_syncdict"))
            .current_dir(&dir)
            .args(args)
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    std::fs::write(dir.join("Settings.toml"), settings("bad.j2")).unwrap();
    let out = run(&["check-config"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.j2") && stderr.contains("line 2"),
        "{stderr}"
    );
    std::fs::write(dir.join("Settings.toml"), settings("good.j2")).unwrap();
    let out = run(&["check-config", "--render", "out.conf"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "0 records at 0\n");
}
