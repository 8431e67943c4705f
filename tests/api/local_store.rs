//! The local read store (`format = "lmdb"` outputs): a real edge keeps an
//! LMDB environment that the readers in `clients/` (Rust, Python on
//! py-lmdb, Node on lmdb-js) read: values, raw JSON, keys by prefix, the
//! revision, expiries judged by the reader's clock (given here as an
//! input) with the edge stopped, a changed and a deleted key, the edge's
//! gray view, and a namespace deleted upstream dropped from the store.

use std::path::Path;
use std::time::Duration;

use serde_json::{json, Value};
use syncdict::configuration::{HumanDuration, OutputFormat, OutputSettings};
use syncdict::domain::{now_us, Namespace, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::{eventually, Scratch, TestApp};

const HOUR_US: i64 = 3_600_000_000;

fn ns(name: &str) -> Namespace {
    Namespace::parse(name).unwrap()
}

/// An `lmdb` output of `default` and `geo` in `dir`.
fn local_output(dir: &Path) -> OutputSettings {
    OutputSettings {
        path: dir.to_path_buf(),
        format: OutputFormat::Lmdb,
        namespaces: vec![ns("default"), ns("geo")],
        template: None,
        mode: "0640".into(),
        check_command: None,
        command: None,
        command_timeout: HumanDuration(Duration::from_secs(30)),
    }
}

/// An edge of `center` pulling `selection`, keeping the store in `dir`.
pub async fn edge_keeping(center: &TestApp, dir: &Path, selection: Selection) -> TestApp {
    named_edge_keeping(center, dir, selection, "").await
}

/// `edge_keeping`, the edge named `name` (`""`: the default name).
async fn named_edge_keeping(
    center: &TestApp,
    dir: &Path,
    selection: Selection,
    name: &str,
) -> TestApp {
    let (output, name) = (local_output(dir), name.to_string());
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.namespaces = selection;
            s.output = vec![output];
            if !name.is_empty() {
                s.client.name = name;
            }
        })
        .spawn()
        .await
}

fn listed() -> Selection {
    Selection::Listed(vec![ns("default"), ns("geo")])
}

/// Waits until the store holds `revision`, read by the Rust reader in a
/// process of its own (LMDB, and heed, refuse a second open of one
/// environment in a process, and the edge here runs in this one).
pub async fn store_at(dir: &Path, revision: i64) -> Value {
    let mut last = Value::Null;
    eventually(
        Duration::from_secs(30),
        "the store's revision",
        async || {
            last = read_with("rust", dir, 0).unwrap_or_default();
            last["revision"] == revision
        },
    )
    .await;
    last
}

/// The Rust reader's side of `read_with("rust", ...)`: run by this test
/// binary in a child process, it prints what `SYNCDICT_LOCAL_DIR` holds.
#[test]
#[ignore = "run by read_with in a child process"]
fn rust_reader() {
    let Ok(dir) = std::env::var("SYNCDICT_LOCAL_DIR") else {
        return;
    };
    let later: i64 = std::env::var("SYNCDICT_LOCAL_LATER")
        .unwrap()
        .parse()
        .unwrap();
    let said = match syncdict_local::Store::open(&dir) {
        Ok(store) => read_store(&store, later),
        Err(e) => json!({"error": e.to_string()}),
    };
    println!("local: {said}");
}

/// What the readers print of a store: the same keys in every language.
fn read_store(store: &syncdict_local::Store, later: i64) -> Value {
    let namespace = |name| store.namespace(name).unwrap();
    let (default, geo) = (namespace("default"), namespace("geo"));
    let get = |ns: &Option<syncdict_local::Namespace>, key, at: Option<i64>| match ns {
        Some(ns) => ns.get_at(key, at.unwrap_or_else(now_us)).unwrap(),
        None => None,
    };
    let raw = default.as_ref().and_then(|d| d.get_raw("b").unwrap());
    json!({
        "revision": store.revision().unwrap(),
        "namespaces": store.namespaces().unwrap(),
        "a": get(&default, "a", None),
        "b": raw.map(|r| serde_json::from_slice::<Value>(&r).unwrap()),
        "keys": default.as_ref().map(|d| d.keys("a").unwrap()).unwrap_or_default(),
        "missing": get(&default, "missing", None),
        "accented": get(&default, "añö", None),
        "t_now": get(&geo, "t", None),
        "t_later": get(&geo, "t", Some(later)),
        "fr": get(&geo, "fr", None),
        "geo_keys": geo.as_ref().map(|g| g.keys("").unwrap()).unwrap_or_default(),
    })
}

/// What the Python and Node readers say of the store in `dir`, as JSON.
pub fn read_with(language: &str, dir: &Path, later_us: i64) -> Option<Value> {
    let root = env!("CARGO_MANIFEST_DIR");
    let dir = dir.display().to_string();
    let later = later_us.to_string();
    let mut command = match language {
        "rust" => {
            let mut c = std::process::Command::new(std::env::current_exe().unwrap());
            c.env("SYNCDICT_LOCAL_DIR", &dir)
                .env("SYNCDICT_LOCAL_LATER", &later);
            c.args([
                "--exact",
                "local_store::rust_reader",
                "--ignored",
                "--nocapture",
            ]);
            c
        }
        "python" => {
            let python = crate::helpers::peer("SYNCDICT_RPC4DJANGO_PYTHON")?;
            let mut c = std::process::Command::new(python);
            c.env("PYTHONPATH", format!("{root}/clients/python"));
            c.args([&format!("{root}/tests/local/read.py"), &dir, &later]);
            c
        }
        _ => {
            let node_path = crate::helpers::peer("SYNCDICT_NODE_PATH")?;
            let mut c = std::process::Command::new("node");
            c.env("NODE_PATH", node_path);
            c.args([&format!("{root}/tests/local/read.js"), &dir, &later]);
            c
        }
    };
    let out = command.output().expect("the reader runs");
    assert!(
        out.status.success(),
        "{language}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = match language {
        "rust" => stdout.lines().find_map(|l| l.strip_prefix("local: "))?,
        _ => stdout.trim(),
    };
    Some(serde_json::from_str(line).expect("the reader prints JSON"))
}

#[actix_web::test]
async fn programs_read_the_store_an_edge_keeps() {
    let center = TestApp::builder().center().spawn().await;
    center.result("namespaces.create", json!(["geo"])).await;
    center.put("a", json!({"x": 1})).await;
    center.put("ab", json!(2)).await;
    // A key beyond ASCII: each reader writes and reads keys as UTF-8.
    center.put("añö", json!("accents")).await;
    center.put("b", json!("text")).await;
    center
        .result("records.put", json!(["fr", "France", "geo"]))
        .await;
    let ttl = json!({"key": "t", "value": true, "namespace": "geo", "expires_in": 3600});
    let revision = center.result("records.put", ttl).await.as_i64().unwrap();
    let dir = Scratch::new();
    let mut edge = edge_keeping(&center, &dir.join("local"), listed()).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let said = store_at(&dir.join("local"), revision).await;
    assert_eq!(said["namespaces"], json!(["default", "geo"]));
    assert_eq!(said["a"], json!({"x": 1}));
    assert_eq!(said["b"], "text");
    assert_eq!(said["keys"], json!(["a", "ab", "añö"]));
    assert_eq!(said["accented"], "accents");
    assert_eq!(said["missing"], Value::Null);
    assert_eq!(
        (said["fr"].clone(), said["t_now"].clone()),
        (json!("France"), json!(true))
    );

    // A change: a key changed and one deleted, written as one transaction.
    center.result("records.delete", json!(["ab"])).await;
    let revision = center.put("a", json!({"x": 2})).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    store_at(&dir.join("local"), revision).await;

    // The edge stops; the store stays readable, and readers honour the
    // expiry by their own clock (given here as an input).
    edge.stop().await;
    let later = now_us() + 2 * HOUR_US;
    let expected = json!({
        "revision": revision, "namespaces": ["default", "geo"],
        "a": {"x": 2}, "b": "text", "keys": ["a", "añö"], "missing": null,
        "accented": "accents",
        "t_now": true, "t_later": null, "fr": "France",
    });
    for language in ["rust", "python", "node"] {
        if let Some(mut said) = read_with(language, &dir.join("local"), later) {
            if let Some(o) = said.as_object_mut() {
                o.remove("geo_keys");
            }
            assert_eq!(said, expected, "{language}");
        }
    }
}

/// A center with `geo` holding `fr`.
async fn center_with_fr() -> TestApp {
    let center = TestApp::builder().center().spawn().await;
    center.result("namespaces.create", json!(["geo"])).await;
    center
        .result("records.put", json!(["fr", "France", "geo"]))
        .await;
    center
}

#[actix_web::test]
async fn a_namespace_deleted_upstream_leaves_the_store() {
    let (center, dir) = (center_with_fr().await, Scratch::new());
    // An edge of every namespace drops one deleted upstream (one that lists
    // it keeps its last data, and says the namespace is missing).
    let edge = edge_keeping(&center, &dir.join("local"), Selection::Every).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let revision = center.result("namespaces.get", json!(["geo"])).await["revision"].clone();
    let said = store_at(&dir.join("local"), revision.as_i64().unwrap()).await;
    assert_eq!(said["geo_keys"], json!(["fr"]));
    let gone = center
        .result("namespaces.delete", json!(["geo", true]))
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    let mut said = Value::Null;
    eventually(Duration::from_secs(30), "geo dropped", async || {
        said = read_with("rust", &dir.join("local"), 0).unwrap_or_default();
        said["namespaces"] == json!(["default"])
    })
    .await;
    assert_eq!(
        (said["fr"].clone(), said["geo_keys"].clone()),
        (Value::Null, json!([])),
        "{gone}"
    );
}

/// The store holds the edge's own view: a gray release that reaches it,
/// and the main line again after the abort.
#[actix_web::test]
async fn the_store_holds_the_edges_gray_view() {
    let (center, dir) = (center_with_fr().await, Scratch::new());
    let edge = named_edge_keeping(&center, &dir.join("local"), listed(), "edge-paris").await;
    let release = json!(["geo", {"upserts": {"fr": "Frankreich"}}, {"edges": ["edge-paris"]}]);
    let (_, made) = center
        .call_as(Some(crate::helpers::WRITER), "gray.create", release)
        .await;
    let id = made["result"]["id"].clone();
    assert_eq!(edge.tick().await, TickReport::Applied);
    let fr = async |want: &str| {
        eventually(Duration::from_secs(30), want, async || {
            read_with("rust", &dir.join("local"), 0).unwrap_or_default()["fr"] == want
        })
        .await
    };
    fr("Frankreich").await;
    let abort = json!([id, "not yet"]);
    center
        .call_as(Some(crate::helpers::WRITER), "gray.abort", abort)
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    fr("France").await;
}
