//! Secret namespaces on an edge: a granted edge opens values once, at
//! apply, and serves plaintext; an edge not granted serves nothing and
//! says why; its snapshot and its page keep and show no plaintext.

use std::path::{Path, PathBuf};

use serde_json::json;
use syncdict::configuration::{HumanDuration, OutputFormat, OutputSettings};
use syncdict::domain::Namespace;

use crate::helpers::{Scratch, TestApp};
use crate::secrets::{keygen, run, secrets, stored};
use crate::transfer::ok;

/// An edge of `center` with `identity` (if any), keeping its snapshot at
/// `snapshot`.
async fn edge(center: &TestApp, identity: Option<PathBuf>, snapshot: PathBuf) -> TestApp {
    let output = OutputSettings {
        path: snapshot.with_file_name("vault.json"),
        format: OutputFormat::Json,
        namespaces: vec![Namespace::parse("vault").unwrap()],
        template: None,
        mode: "0644".into(),
        check_command: None,
        command: None,
        command_timeout: HumanDuration(std::time::Duration::from_secs(30)),
    };
    TestApp::builder()
        .edge(vec![center.rpc_url()])
        .with(move |s| {
            s.client.identity_file = identity;
            s.client.snapshot_path = Some(snapshot);
            s.output = vec![output];
        })
        .spawn()
        .await
}

/// What the edge serves under `/api/cache/{ns}/{key}`: (status, body).
async fn served(edge: &TestApp, ns: &str, key: &str) -> (u16, String) {
    let response = edge.get(&format!("/api/cache/{ns}/{key}")).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

async fn page(edge: &TestApp, ns: &str) -> String {
    edge.get(&format!("/?ns={ns}")).await.text().await.unwrap()
}

fn snapshot_text(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned()
}

async fn granted_edges_open_and_revoked_ones_close(center: TestApp) {
    let dir = Scratch::new();
    let (holder_key, holder) = keygen(&center, &dir, "holder.key").await;
    let (edge_key, edge_recipient) = keygen(&center, &dir, "edge.key").await;
    let id = holder_key.to_str().unwrap();
    let recipient = ok(&secrets(&center, &["create", "vault", "--holder", &holder], None).await);
    ok(&secrets(&center, &["put", "vault", "db"], Some(b"s3cret-EDGE-1")).await);
    let envelope = br#"{"ns": "vault", "key": "api", "value": "from-age"}"#;
    let by_age = String::from_utf8(run("age", &["-a", "-r", recipient.trim()], envelope)).unwrap();
    center
        .result("records.put", json!(["api", by_age, "vault"]))
        .await;
    center
        .result("records.put", json!(["plain", "visible"]))
        .await;

    let snapshot = dir.join("edge.snapshot");
    let edge = edge(&center, Some(edge_key.clone()), snapshot.clone()).await;
    edge.tick().await;
    assert_eq!(served(&edge, "vault", "db").await.0, 404, "not granted yet");
    assert_eq!(served(&edge, "default", "plain").await.1, "\"visible\"");
    assert!(page(&edge, "vault")
        .await
        .contains(&format!("not granted to {edge_recipient}")));

    // Granted later: the next pull opens what it already holds.
    ok(&secrets(
        &center,
        &["grant", "vault", &edge_recipient, "--identity", id],
        None,
    )
    .await);
    edge.tick().await;
    assert_eq!(
        served(&edge, "vault", "db").await,
        (200, "\"s3cret-EDGE-1\"".into())
    );
    assert_eq!(
        served(&edge, "vault", "api").await,
        (200, "\"from-age\"".into())
    );
    ok(&secrets(&center, &["put", "vault", "db"], Some(b"s3cret-EDGE-2")).await);
    edge.tick().await;
    assert_eq!(served(&edge, "vault", "db").await.1, "\"s3cret-EDGE-2\"");
    let shown = page(&edge, "vault").await;
    assert!(
        shown.contains("sealed ·") && shown.contains("Secret: opened"),
        "{shown}"
    );
    assert!(
        !shown.contains("s3cret") && !shown.contains("BEGIN AGE"),
        "{shown}"
    );
    // An output of it has the plaintext, for its owner alone.
    let output = dir.join("vault.json");
    let has = async || std::fs::read_to_string(&output).is_ok_and(|t| t.contains("s3cret-EDGE-2"));
    crate::helpers::eventually(std::time::Duration::from_secs(30), "the output", has).await;
    let mode = std::fs::metadata(&output).unwrap().permissions();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode) & 0o777,
        0o600
    );
    restarted_from_a_copy(&dir, &snapshot, &edge_key).await;
    let kept = snapshot_text(&snapshot);
    assert!(kept.contains("BEGIN AGE ENCRYPTED FILE") && !kept.contains("s3cret"));

    // A ciphertext moved to another key is not served there.
    let sealed = stored(&center, "vault", "db").await;
    center
        .result("records.put", json!(["moved", sealed, "vault"]))
        .await;
    edge.tick().await;
    assert_eq!(served(&edge, "vault", "moved").await.0, 404);
    assert!(page(&edge, "vault").await.contains("1 values did not open"));

    // A value that does not open stops a rotation, which names it.
    let refused = crate::transfer::failed(
        &secrets(
            &center,
            &["revoke", "vault", &edge_recipient, "--identity", id],
            None,
        )
        .await,
    );
    assert!(refused.contains("cannot open \"moved\""), "{refused}");
    center
        .result("records.delete", json!(["moved", "vault"]))
        .await;

    // Revoked: the key rotates and the edge serves nothing new.
    ok(&secrets(
        &center,
        &["revoke", "vault", &edge_recipient, "--identity", id],
        None,
    )
    .await);
    ok(&secrets(&center, &["put", "vault", "db"], Some(b"s3cret-EDGE-3")).await);
    edge.tick().await;
    assert_eq!(served(&edge, "vault", "db").await.0, 404);
    assert_eq!(served(&edge, "vault", "api").await.0, 404);
    assert!(!snapshot_text(&snapshot).contains("s3cret"));
}

/// Edges started from a copy of `snapshot` (and its keys file) with no
/// center: the identity opens the namespace at once; without it nothing
/// of it is served, not even ciphertext.
async fn restarted_from_a_copy(dir: &Path, snapshot: &Path, identity: &Path) {
    use syncdict::edge::keys_file::path_of;
    for (with, want) in [(Some(identity.to_path_buf()), 200), (None, 404)] {
        let copy = dir.join(format!("copy-{want}.snapshot"));
        std::fs::copy(snapshot, &copy).unwrap();
        std::fs::copy(path_of(snapshot), path_of(&copy)).unwrap();
        let restarted = TestApp::builder()
            .edge(vec!["http://127.0.0.1:9/RPC".into()])
            .with(move |s| {
                s.client.identity_file = with;
                s.client.snapshot_path = Some(copy);
            })
            .spawn()
            .await;
        let (status, body) = served(&restarted, "vault", "db").await;
        assert_eq!(status, want, "{body}");
        assert!(!body.contains("BEGIN AGE"), "{body}");
    }
}

async fn an_edge_without_an_identity_serves_nothing_secret(center: TestApp) {
    let dir = Scratch::new();
    let (_, holder) = keygen(&center, &dir, "holder.key").await;
    ok(&secrets(&center, &["create", "vault", "--holder", &holder], None).await);
    ok(&secrets(&center, &["put", "vault", "db"], Some(b"s3cret-NONE")).await);
    let edge = edge(&center, None, dir.join("edge.snapshot")).await;
    edge.tick().await;
    assert_eq!(served(&edge, "vault", "db").await.0, 404);
    let shown = page(&edge, "vault").await;
    assert!(
        shown.contains("this edge has no client.identity_file"),
        "{shown}"
    );
    assert!(!shown.contains("s3cret"));
}

crate::on_backends!(
    center: granted_edges_open_and_revoked_ones_close,
    an_edge_without_an_identity_serves_nothing_secret,
);
