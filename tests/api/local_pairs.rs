//! The local read store under load and under a crash: eight reader
//! processes (four in Python, four in Node) read a pair of keys that
//! every change set writes together while the edge applies 1,000 change
//! sets, and never see the two differ; an edge process killed while it
//! writes leaves a store that opens and holds one whole change set, and
//! that the edge, started again, writes on.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::domain::Selection;
use syncdict::edge::state::TickReport;

use crate::helpers::{eventually, peer, Scratch, TestApp};
use crate::local_store::{edge_keeping, store_at};
use crate::processes::Process;

const CHANGE_SETS: i64 = 1000;

/// A reader of `script` (`pairs.py` or `pairs.js`) on the store in `dir`.
fn reader(script: &str, dir: &Path, stop: &Path, (python, node_path): (&str, &str)) -> Child {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut command = match script.ends_with(".py") {
        true => {
            let mut c = Command::new(python);
            c.env("PYTHONPATH", format!("{root}/clients/python"));
            c
        }
        false => {
            let mut c = Command::new("node");
            c.env("NODE_PATH", node_path);
            c
        }
    };
    command
        .arg(format!("{root}/tests/local/{script}"))
        .args([dir.as_os_str(), stop.as_os_str()])
        .arg(CHANGE_SETS.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the reader starts")
}

/// Reader processes, killed if the test ends before they do (they read
/// until a file tells them to stop).
struct Readers(Vec<Child>);

impl Drop for Readers {
    fn drop(&mut self) {
        for child in &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[actix_web::test]
async fn readers_never_see_half_a_change_set() {
    let (Some(python), Some(node_path)) = (
        peer("SYNCDICT_RPC4DJANGO_PYTHON"),
        peer("SYNCDICT_NODE_PATH"),
    ) else {
        return;
    };
    let center = TestApp::builder().center().spawn().await;
    let pair = |n: i64| json!([{"upserts": {"left": n, "right": n}}]);
    let revision = center.result("records.apply", pair(0)).await["revision"].clone();
    let dir = Scratch::new();
    let store = dir.join("local");
    let selection = Selection::Listed(vec![syncdict::domain::Namespace::default()]);
    let edge = edge_keeping(&center, &store, selection).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    store_at(&store, revision.as_i64().unwrap()).await;
    let stop = dir.join("stop");
    let mut readers = Readers(
        ["pairs.py", "pairs.js"]
            .iter()
            .cycle()
            .take(8)
            .map(|script| reader(script, &store, &stop, (&python, &node_path)))
            .collect(),
    );
    for n in 1..=CHANGE_SETS {
        center.result("records.apply", pair(n)).await;
        assert_eq!(edge.tick().await, TickReport::Applied);
    }
    std::fs::write(&stop, b"").unwrap();
    for child in std::mem::take(&mut readers.0) {
        let out = child.wait_with_output().unwrap();
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{:?}: {said}{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let said: Value = serde_json::from_str(said.trim()).unwrap();
        assert_eq!(said["last"], CHANGE_SETS, "{said}");
        assert!(said["reads"].as_i64().unwrap() > 1, "{said}");
    }
}

/// What `tests/local/whole.py` says of the store in `dir`.
fn whole(python: &str, dir: &Path) -> Value {
    let root = env!("CARGO_MANIFEST_DIR");
    let out = crate::processes::succeeded(
        Command::new(python)
            .env("PYTHONPATH", format!("{root}/clients/python"))
            .arg(format!("{root}/tests/local/whole.py"))
            .arg(dir),
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

/// An edge process of the center at `rpc` keeping a store in `dir/local`,
/// pulling every 50 ms.
fn edge_process(dir: &Path, rpc: &str) -> Process {
    let settings = format!(
        "[server]\nroles = [\"edge\"]\nport = 0\nworkers = 1\n\n\
         [client]\nupstreams = [\"{rpc}\"]\ninterval = \"50ms\"\n\n\
         [[output]]\npath = \"local\"\nformat = \"lmdb\"\n"
    );
    std::fs::write(dir.join("Settings.toml"), settings).unwrap();
    Process::start(dir, &[], None)
}

#[actix_web::test]
async fn an_edge_killed_while_it_writes_leaves_a_whole_change_set() {
    let Some(python) = peer("SYNCDICT_RPC4DJANGO_PYTHON") else {
        return;
    };
    let center = TestApp::builder().center().spawn().await;
    // Each change set rewrites 2,000 keys: a write takes a while.
    let all = |n: i64| {
        let upserts: serde_json::Map<String, Value> =
            (0..2000).map(|k| (format!("k{k:04}"), json!(n))).collect();
        json!([{ "upserts": upserts }])
    };
    center.result("records.apply", all(0)).await;
    let dir = Scratch::new();
    let mut n = 0;
    for round in 0..3 {
        let mut edge = edge_process(&dir, &center.rpc_url());
        let mut seen = Value::Null;
        eventually(Duration::from_secs(30), "the edge writes", async || {
            n += 1;
            center.result("records.apply", all(n)).await;
            seen = whole(&python, &dir.join("local"));
            seen["revision"].as_i64().unwrap_or(0) > 0 && n > 5 * (round + 1)
        })
        .await;
        // Killed while changes keep coming.
        center.result("records.apply", all(n + 1000)).await;
        edge.kill();
        let after = whole(&python, &dir.join("local"));
        assert_eq!(after["keys"], 2000, "round {round}: {after}");
        assert_eq!(
            after["values"].as_array().unwrap().len(),
            1,
            "round {round}: one change set, whole: {after}"
        );
    }
}
