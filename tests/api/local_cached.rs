//! The readers' caches (Rust's `Namespace::cached`, Python's
//! `open(path, cache_bytes)`): a reader process that keeps values in
//! memory answers what the store holds after every change set the edge
//! applies, bounded or not, and expiries as of the time it is given.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};

use serde_json::{json, Value};
use syncdict::domain::{now_us, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::{Scratch, TestApp};
use crate::local_store::{edge_keeping, store_at};

/// Run by `cached_reads` in a child process (LMDB refuses a second open of
/// one environment in a process, and the edge runs in this one): for each
/// line on stdin (a time in µs since the epoch, or nothing for now),
/// prints what two cached handles of `default` (one of 64 bytes, which
/// empties on nearly every read) read of `a` (as of that time) and `b`.
#[test]
#[ignore = "run by cached_reads in a child process"]
fn rust_cached_reader() {
    let Ok(dir) = std::env::var("SYNCDICT_LOCAL_DIR") else {
        return;
    };
    let store = syncdict_local::Store::open(&dir).unwrap();
    let large = store.namespace("default").unwrap().unwrap().cached(1 << 20);
    let small = store.namespace("default").unwrap().unwrap().cached(64);
    for line in std::io::stdin().lock().lines() {
        let at = line.unwrap().trim().parse().unwrap_or_else(|_| now_us());
        let mut said = Vec::new();
        for ns in [&large, &small] {
            for _ in 0..2 {
                let a = ns.get_at("a", at).unwrap();
                let b = ns.with_raw("b", |v| v.map(<[u8]>::to_vec)).unwrap();
                let b: Option<Value> = b.map(|b| serde_json::from_slice(&b).unwrap());
                said.push(json!([a, b]));
            }
        }
        println!("local: {}", Value::from(said));
    }
}

/// A reader of the store in `dir` that reads once per line it is sent.
struct Reader {
    child: std::process::Child,
    lines: std::io::Lines<BufReader<std::process::ChildStdout>>,
}

impl Reader {
    /// The Rust reader above, or with `python` the Python one
    /// (`tests/local/cached.py`).
    fn start(dir: &std::path::Path, python: Option<&str>) -> Reader {
        let root = env!("CARGO_MANIFEST_DIR");
        let mut command = match python {
            None => {
                let mut c = Command::new(std::env::current_exe().unwrap());
                let test = "local_cached::rust_cached_reader";
                c.env("SYNCDICT_LOCAL_DIR", dir).args([
                    "--exact",
                    test,
                    "--ignored",
                    "--nocapture",
                ]);
                c
            }
            Some(python) => {
                let mut c = Command::new(python);
                c.env("PYTHONPATH", format!("{root}/clients/python"))
                    .arg(format!("{root}/tests/local/cached.py"))
                    .arg(dir);
                c
            }
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Reader { child, lines }
    }

    /// What every read says as of `at` (µs since the epoch; `None`: now):
    /// all alike, or the test fails.
    fn read(&mut self, at: Option<i64>) -> Value {
        let at = at.map(|t| t.to_string()).unwrap_or_default();
        writeln!(self.child.stdin.as_mut().unwrap(), "{at}").unwrap();
        let line = loop {
            let line = self.lines.next().expect("the reader answers").unwrap();
            if let Some(said) = line.strip_prefix("local: ") {
                break said.to_string();
            }
        };
        let said: Vec<Value> = serde_json::from_str(&line).unwrap();
        assert!(said.iter().all(|s| *s == said[0]), "{said:?}");
        said[0].clone()
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[actix_web::test]
async fn cached_reads() {
    let center = TestApp::builder().center().spawn().await;
    center.put("a", json!(1)).await;
    let revision = center.put("b", json!("one")).await;
    let dir = Scratch::new();
    let local = dir.join("local");
    let edge = edge_keeping(&center, &local, Selection::Every).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    store_at(&local, revision).await;
    let mut readers = vec![Reader::start(&local, None)];
    readers.extend(
        crate::helpers::peer("SYNCDICT_RPC4DJANGO_PYTHON").map(|p| Reader::start(&local, Some(&p))),
    );
    let mut read = |at: Option<i64>| {
        let said: Vec<Value> = readers.iter_mut().map(|r| r.read(at)).collect();
        assert!(said.iter().all(|s| *s == said[0]), "rust, python: {said:?}");
        said[0].clone()
    };
    assert_eq!(read(None), json!([1, "one"]));

    // Change sets: every cached handle reads the new values.
    center.result("records.delete", json!(["b"])).await;
    let revision = center.put("a", json!(2)).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    store_at(&local, revision).await;
    assert_eq!(read(None), json!([2, null]));

    // An expiry, judged on a cached value as of the time given.
    let ttl = json!({"key": "a", "value": 3, "expires_in": 3600});
    let revision = center.result("records.put", ttl).await.as_i64().unwrap();
    assert_eq!(edge.tick().await, TickReport::Applied);
    store_at(&local, revision).await;
    assert_eq!(read(None), json!([3, null]));
    let later = now_us() + 2 * 3_600_000_000;
    assert_eq!(read(Some(later)), json!([null, null]));
    assert_eq!(read(None), json!([3, null]), "still cached, still live");
}
