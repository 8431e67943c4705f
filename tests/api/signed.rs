//! Signed dataset digests, on every backend: a signing center, an edge
//! that verifies every change, and what an attacker on the path can try (a
//! flipped byte, a dropped upsert, a snapshot edited on disk): each is
//! refused and counted, the old data stays, and the edge recovers with a
//! full pull once the path is clean.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use syncdict::domain::{Namespace, Selection};
use syncdict::edge::state::TickReport;
use syncdict::edge::store::ApplyError;
use syncdict::signing::{Signer, VerifyKey};

use crate::helpers::{forward, unique_name, Backend, TestApp};

/// What the tampering proxy does to replies.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tamper {
    Off,
    /// Turns the first `hello` in the reply into `hellp` (one byte).
    FlipByte,
    /// Removes the first upsert of the first namespace that has one.
    DropUpsert,
}

/// An HTTP proxy in front of a center that can rewrite its replies, and
/// remembers the `since` of the last request.
struct TamperingProxy {
    url: String,
    mode: Arc<Mutex<Tamper>>,
    last_since: Arc<Mutex<i64>>,
}

impl TamperingProxy {
    async fn start(target: String) -> TamperingProxy {
        let mode = Arc::new(Mutex::new(Tamper::Off));
        let last_since = Arc::new(Mutex::new(-1));
        let (m, l) = (mode.clone(), last_since.clone());
        let server = HttpServer::new(move || {
            let (m, l, target) = (m.clone(), l.clone(), target.clone());
            App::new().default_service(web::to(move |body: web::Bytes| {
                let (m, l, target) = (m.clone(), l.clone(), target.clone());
                async move {
                    let request: Value = serde_json::from_slice(&body).unwrap_or_default();
                    *l.lock().unwrap() = request["params"][0].as_i64().unwrap_or(-1);
                    let reply = forward(&target, &body).await;
                    let reply = String::from_utf8_lossy(&reply).into_owned();
                    let mode = *m.lock().unwrap();
                    HttpResponse::Ok()
                        .content_type("application/json")
                        .body(tamper(mode, reply))
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let url = format!("http://127.0.0.1:{}/RPC", server.addrs()[0].port());
        actix_web::rt::spawn(server.run());
        TamperingProxy {
            url,
            mode,
            last_since,
        }
    }

    fn set(&self, mode: Tamper) {
        *self.mode.lock().unwrap() = mode;
    }

    fn last_since(&self) -> i64 {
        *self.last_since.lock().unwrap()
    }
}

fn tamper(mode: Tamper, reply: String) -> String {
    match mode {
        Tamper::Off => reply,
        Tamper::FlipByte => reply.replacen("hello", "hellp", 1),
        Tamper::DropUpsert => {
            let mut value: Value = serde_json::from_str(&reply).unwrap();
            let parts = value["result"]["namespaces"].as_object_mut().unwrap();
            let part = parts
                .values_mut()
                .find(|p| !p["upserts"].as_array().unwrap().is_empty())
                .expect("an upsert to drop");
            part["upserts"].as_array_mut().unwrap().remove(0);
            value.to_string()
        }
    }
}

/// A fresh signing key written to a file, and its public key.
pub fn signing_key() -> (PathBuf, VerifyKey) {
    let (pem, public) = Signer::generate().unwrap();
    let path = std::env::temp_dir().join(format!("{}.pem", unique_name()));
    std::fs::write(&path, pem).unwrap();
    (path, public)
}

pub async fn signing_center(backend: Backend, key: PathBuf) -> TestApp {
    TestApp::builder()
        .center()
        .backend(backend)
        .with(move |s| s.server.signing_key_file = Some(key))
        .spawn()
        .await
}

fn both() -> Vec<Namespace> {
    ["default", "geo"]
        .map(|n| Namespace::parse(n).unwrap())
        .to_vec()
}

/// An edge of `default` and `geo` verifying with `keys`.
async fn verifying_edge(upstream: &str, keys: Vec<VerifyKey>) -> TestApp {
    TestApp::builder()
        .edge(vec![upstream.to_string()])
        .with(move |s| {
            s.client.namespaces = Selection::Listed(both());
            s.client.verify_keys = keys;
        })
        .spawn()
        .await
}

fn refused_digest(report: &TickReport) -> bool {
    matches!(report, TickReport::Refused(ApplyError::Digest { .. }))
}

async fn digest_refusals(edge: &TestApp) -> u64 {
    edge.status().await["digest_refusals"].as_u64().unwrap()
}

async fn tampering_is_refused_and_recovered_from(backend: Backend) {
    let (key, public) = signing_key();
    let center = signing_center(backend, key).await;
    // Every kind of write, so the center's digest upkeep is exercised:
    // inserts, an update, a delete, a change set in another namespace.
    center.put("a", json!("hello")).await;
    center.put("b", json!(1)).await;
    center.put("b", json!({"x": [1, 2.5, null]})).await;
    center.put("gone", json!(true)).await;
    center.result("records.delete", json!(["gone"])).await;
    center.result("namespaces.create", json!(["geo"])).await;
    let changes = json!({"upserts": {"fr": "Paris", "de": "Berlin"}, "deletes": []});
    center
        .result(
            "records.apply",
            json!({"changes": changes, "namespace": "geo"}),
        )
        .await;
    let proxy = TamperingProxy::start(center.rpc_url()).await;
    let edge = verifying_edge(&proxy.url, vec![public.clone()]).await;
    assert_eq!(
        edge.tick().await,
        TickReport::Applied,
        "a full pull verifies"
    );
    assert_eq!(edge.json("/api/cache/a").await, json!("hello"));
    center.put("a", json!("hello again")).await;
    assert_eq!(edge.tick().await, TickReport::Applied, "so does a delta");

    // One byte flipped on the path: refused, counted, the old data stays.
    center.put("d", json!("hello world")).await;
    proxy.set(Tamper::FlipByte);
    let report = edge.tick().await;
    assert!(refused_digest(&report), "{report:?}");
    assert_eq!(edge.get("/api/cache/d").await.status(), 404);
    assert_eq!(digest_refusals(&edge).await, 1);
    let metrics = edge.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains(r#"syncdict_edge_refusals_total{guard="digest"} 1"#));
    let page = edge.get("/").await.text().await.unwrap();
    assert!(page.contains("signed digest refused"), "the page says why");
    // The path is clean again: the edge asks for everything and verifies.
    proxy.set(Tamper::Off);
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(proxy.last_since(), 0, "a full pull after a mismatch");
    assert_eq!(edge.json("/api/cache/d").await, json!("hello world"));

    // An upsert dropped from a delta, then from the full pull that
    // follows: both refused; the last verified data stays.
    let at = edge.status().await["revision"].as_i64().unwrap();
    center.put("e", json!(5)).await;
    center.put("f", json!(6)).await;
    proxy.set(Tamper::DropUpsert);
    assert!(refused_digest(&edge.tick().await));
    assert_eq!(proxy.last_since(), at);
    assert!(refused_digest(&edge.tick().await));
    assert_eq!(proxy.last_since(), 0);
    assert_eq!(edge.get("/api/cache/e").await.status(), 404);
    assert_eq!(edge.json("/api/cache/d").await, json!("hello world"));
    assert_eq!(digest_refusals(&edge).await, 3);
    proxy.set(Tamper::Off);
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/f").await, json!(6));

    // A key the edge does not trust: nothing is applied.
    let (_, stranger) = signing_key();
    let wary = verifying_edge(&center.rpc_url(), vec![stranger]).await;
    assert!(refused_digest(&wary.tick().await));
    assert_eq!(wary.get("/api/cache/a").await.status(), 404);
    // An unsigned center: refused too.
    let unsigned = TestApp::builder().center().backend(backend).spawn().await;
    unsigned.put("a", json!(1)).await;
    let edge = TestApp::builder()
        .edge(vec![unsigned.rpc_url()])
        .with(move |s| s.client.verify_keys = vec![public])
        .spawn()
        .await;
    let report = edge.tick().await;
    assert!(
        matches!(&report, TickReport::Refused(ApplyError::Digest { why, .. }) if why.contains("no signature")),
        "{report:?}"
    );
}

crate::on_backends!(tampering_is_refused_and_recovered_from);

/// FNV-1a 64, as the snapshot's header checksum (not a secret: anyone who
/// edits the file can recompute it, which is why the signature matters).
fn fnv64(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

/// The snapshot with `from` replaced by `to` in its body, the header's
/// length and checksum fixed up.
fn edited(snapshot: &str, from: &str, to: &str) -> String {
    let (header, body) = snapshot.split_once('\n').unwrap();
    let body = body.replacen(from, to, 1);
    let header: Vec<String> = header
        .split(' ')
        .map(|field| {
            if field.starts_with("body_len=") {
                format!("body_len={}", body.len())
            } else if field.starts_with("fnv64=") {
                format!("fnv64={:016x}", fnv64(body.as_bytes()))
            } else {
                field.to_string()
            }
        })
        .collect();
    format!("{}\n{body}", header.join(" "))
}

#[actix_web::test]
async fn a_snapshot_edited_on_disk_is_refused_at_start() {
    let (key, public) = signing_key();
    let center = signing_center(Backend::Sqlite, key).await;
    center.put("a", json!("hello")).await;
    center.result("namespaces.create", json!(["geo"])).await;
    let keys = vec![public];
    let edge = verifying_edge(&center.rpc_url(), keys.clone()).await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert!(edge.edge().save_snapshot().await);
    let saved = std::fs::read_to_string(edge.snapshot.as_ref().unwrap()).unwrap();
    assert!(
        saved.lines().next().unwrap().contains(" signed={"),
        "{saved}"
    );

    // Each start reads its own copy of the file (a test app removes its
    // snapshot when it is dropped).
    let start_from = async |text: String| {
        let path = std::env::temp_dir().join(format!("{}.snapshot", unique_name()));
        std::fs::write(&path, text).unwrap();
        let keys = keys.clone();
        TestApp::builder()
            .edge(vec![center.rpc_url()])
            .with(move |s| {
                s.client.namespaces = Selection::Listed(both());
                s.client.verify_keys = keys;
                s.client.snapshot_path = Some(path);
            })
            .spawn()
            .await
    };
    let intact = start_from(saved.clone()).await;
    assert_eq!(intact.json("/api/cache/a").await, json!("hello"));
    assert_eq!(intact.status().await["snapshot_error"], Value::Null);

    let forged = start_from(edited(&saved, "hello", "hellp")).await;
    assert_eq!(forged.get("/api/cache/a").await.status(), 404);
    let error = forged.status().await["snapshot_error"].to_string();
    assert!(error.contains("signed digest"), "{error}");
}
