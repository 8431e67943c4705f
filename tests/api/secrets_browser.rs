//! A secret namespace in the console, in Chromium (`tests/browser/secrets.js`):
//! listed without values, its grants shown, a value sealed in the browser.

use crate::browser::{playwright, run_node};
use crate::helpers::{Scratch, TestApp, WRITER};
use crate::secrets::{keygen, secrets};
use crate::transfer::ok;

#[actix_web::test]
async fn a_secret_namespace_in_a_browser() {
    let Some(node_path) = playwright() else {
        return;
    };
    let app = TestApp::builder().center().spawn().await;
    let dir = Scratch::new();
    let (holder_key, holder) = keygen(&app, &dir, "holder.key").await;
    ok(&secrets(&app, &["create", "vault", "--holder", &holder], None).await);
    ok(&secrets(&app, &["put", "vault", "db"], Some(b"cli-value")).await);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/secrets");
    std::fs::create_dir_all(&out).unwrap();
    let args = vec![
        app.address.clone(),
        out.display().to_string(),
        format!("{}:{}", WRITER.0, WRITER.1),
    ];
    let shown = run_node(&node_path, "secrets.js", args).await;
    assert!(
        shown.contains("ok: the plaintext never left the browser"),
        "{shown}"
    );
    // What the browser sealed opens with the holder's identity.
    let id = holder_key.to_str().unwrap();
    let opened = ok(&secrets(&app, &["get", "vault", "browser", "--identity", id], None).await);
    assert_eq!(opened, "browser-MARKER-1\n");
}
