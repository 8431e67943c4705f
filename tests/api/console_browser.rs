//! The console in Chromium, driven by playwright-core
//! (`tests/browser/console.js`) on every backend: sign in, a namespace with
//! a schema, an edit the schema refuses, a change set published with a
//! comment, a conflict from a second session, the history with a key's
//! diff, a rollback with its preview, a file imported after its dry run, a
//! token created (shown once) and revoked, a user added and its grants
//! changed, a password reset and a user removed, a namespace deleted, the
//! fleet of two edges, a cross-site form refused, an ended session sent to sign in. The run leaves screenshots of the main
//! screens at 375 and 1440 px in `target/screenshots/`
//! (`scripts/screenshots.sh` copies them to `docs/screenshots/`).

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::{json, Value};
use syncdict::configuration::HumanDuration;
use syncdict::domain::now_us;
use syncdict::edge::state::TickReport;

use crate::browser::{playwright, run_node};
use crate::helpers::{Backend, TestApp, ADMIN, WRITER};

/// A page on another site whose form posts to the console by itself.
async fn evil_site(console: String) -> String {
    let html = format!(
        r#"<html><body><form id="f" method="post" action="{console}/console/namespaces">
<input name="csrf" value="guessed"><input name="name" value="evil"></form>
<script>document.getElementById("f").submit();</script></body></html>"#
    );
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().default_service(web::to(move || {
            let html = html.clone();
            async move { HttpResponse::Ok().content_type("text/html").body(html) }
        }))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    // "localhost" is another site than "127.0.0.1" to the browser.
    format!("http://localhost:{port}/")
}

async fn the_console_in_a_browser(backend: Backend) {
    let Some(node_path) = playwright() else {
        return;
    };
    // A signing center, so an edge's verified digest shows in the fleet.
    let (key, public) = crate::signed::signing_key();
    let Some(app) = TestApp::builder()
        .center()
        .backend(backend)
        .with(move |s| {
            s.server.signing_key_file = Some(key);
            // The page is judged long after the edges' pulls on a busy
            // machine: they stay current, not lagging or silent.
            let hour = HumanDuration(std::time::Duration::from_secs(3600));
            (s.server.fleet_lag, s.server.fleet_silent) = (hour, hour);
        })
        .try_spawn()
        .await
    else {
        return;
    };
    // Two edges for the fleet page: tokyo verifies and misses the last change.
    let edge = |name: &'static str| {
        let public = public.clone();
        TestApp::builder()
            .edge(vec![app.rpc_url()])
            .with(move |s| {
                s.client.name = name.into();
                s.client.verify_keys = vec![public];
                s.client.labels = [("region".to_string(), "eu".to_string())].into();
            })
            .spawn()
    };
    let (paris, tokyo) = (edge("edge-paris").await, edge("edge-tokyo").await);
    app.put("welcome", json!("hello")).await;
    assert_eq!(paris.tick().await, TickReport::Applied);
    assert_eq!(tokyo.tick().await, TickReport::Applied);
    app.put("welcome", json!("hello again")).await;
    assert_eq!(paris.tick().await, TickReport::Applied);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target/screenshots")
        .join(format!("{backend:?}").to_lowercase());
    std::fs::create_dir_all(&out).unwrap();
    let out = out.display().to_string();
    let evil = evil_site(app.address.clone()).await;
    let credentials = |(u, p): (&str, &str)| format!("{u}:{p}");
    let shown = run_node(
        &node_path,
        "console.js",
        vec![
            "main".into(),
            app.address.clone(),
            evil,
            out.clone(),
            credentials(ADMIN),
            credentials(WRITER),
        ],
    )
    .await;
    assert!(
        shown.contains("ok: a cross-site form post is refused"),
        "{shown}"
    );
    // The token the page showed existed, and is refused now it is revoked.
    let token = shown
        .lines()
        .find_map(|l| l.strip_prefix("token: "))
        .expect("the page showed a token");
    let refused = reqwest::Client::new()
        .post(app.rpc_url())
        .bearer_auth(token)
        .json(&json!({"jsonrpc": "2.0", "method": "records.list", "params": ["geo"], "id": 1}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 401);

    // What the pages did, seen through the API.
    let viewer = Some(("viewer", "viewer-password"));
    let (status, _) = app
        .call_as(viewer, "records.put", json!(["from-viewer", 1, "geo"]))
        .await;
    assert_eq!(status, 200, "the user added in the page writes geo");
    let get = |key: &str| app.result("records.get", json!([key, "geo"]));
    // Published, renamed twice, then rolled back to the first change set.
    assert_eq!(get("fr").await["value"]["name"], json!("France"));
    assert_eq!(get("de").await["value"]["name"], json!("Germany"));
    assert_eq!(
        get("it").await["value"]["name"],
        json!("Italia"),
        "imported"
    );
    assert_eq!(get("es").await["value"]["name"], json!("Spain"), "imported");
    let audit = app.result("audit.list", json!([])).await;
    let comments: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["comment"].as_str().filter(|c| !c.is_empty()))
        .collect();
    assert_eq!(
        comments,
        [
            "first countries",
            "rename de",
            "rename fr",
            "import from file"
        ]
    );
    let methods: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["method"].as_str())
        .collect();
    assert!(methods.contains(&"namespaces.rollback"), "{methods:?}");
    let names: Vec<Value> = app
        .result("namespaces.list", json!([]))
        .await
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["name"].clone())
        .collect();
    assert!(
        !names.contains(&json!("evil")),
        "the forged form created nothing"
    );
    assert!(!names.contains(&json!("scratch")), "deleted in the page");
    let (_, users) = app.call_as(Some(ADMIN), "users.list", json!([])).await;
    let users = users["result"].to_string();
    assert!(
        users.contains("viewer") && !users.contains("temp"),
        "{users}"
    );

    // The browser's session, looked up 13 hours on (past its lifetime):
    // it ends, and the browser is sent to sign in again.
    let state: Value =
        serde_json::from_slice(&std::fs::read(format!("{out}/state.json")).unwrap()).unwrap();
    let cookie = state["cookies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "syncdict_session")
        .expect("the session cookie")["value"]
        .as_str()
        .unwrap()
        .to_string();
    let later = now_us() + 13 * 3600 * 1_000_000;
    assert!(app
        .center()
        .session(&cookie, later)
        .await
        .unwrap()
        .is_none());
    let shown = run_node(
        &node_path,
        "console.js",
        vec!["ended".into(), app.address.clone(), out.clone()],
    )
    .await;
    assert!(
        shown.contains("ok: an ended session is sent to sign in"),
        "{shown}"
    );
    let _ = std::fs::remove_file(format!("{out}/state.json"));
    let _ = std::fs::remove_file(format!("{out}/countries.ndjson"));
}

crate::on_backends!(the_console_in_a_browser);

/// Review before publish and webhooks in Chromium (`tests/browser/reviews.js`):
/// staged edits, an import and a rollback proposed where a review is
/// required, the count in the navigation, the diff approved, the publish,
/// the approver in history, a break-glass publish, a withdrawal; then the
/// webhook delivery log and a redelivery.
#[actix_web::test]
async fn reviews_and_webhooks_in_a_browser() {
    let Some(node_path) = playwright() else {
        return;
    };
    let receiver = crate::webhooks::Receiver::start().await;
    let hook = crate::webhooks::webhook("audit", &receiver.url);
    let app = TestApp::builder()
        .center()
        .with(move |s| {
            s.webhook = vec![hook];
            s.server.webhook_allow_private = true;
        })
        .spawn()
        .await;
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("records.put", json!(["de", {"name": "Germany"}, "geo"]))
        .await;
    let policy = json!(["geo", {"reviews_required": 1}]);
    let (_, reply) = app
        .call_as(Some(ADMIN), "namespaces.set_policy", policy)
        .await;
    assert_eq!(reply["result"], true);
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots/sqlite");
    std::fs::create_dir_all(&out).unwrap();
    let out = out.display().to_string();
    let credentials = |(u, p): (&str, &str)| format!("{u}:{p}");
    let shown = run_node(
        &node_path,
        "reviews.js",
        vec![
            "reviews".into(),
            app.address.clone(),
            out.clone(),
            credentials(ADMIN),
            credentials(WRITER),
        ],
    )
    .await;
    assert!(shown.contains("ok: withdrawn by its author"), "{shown}");
    // What the pages did, seen through the API.
    let get = |key: &str| app.result("records.get", json!([key, "geo"]));
    assert_eq!(get("fr").await["value"]["name"], "France");
    assert_eq!(get("es").await["value"]["name"], "Spain");
    let (_, audit) = app.call_as(Some(ADMIN), "audit.list", json!([])).await;
    let reviews: Vec<Value> = audit["result"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e.get("review").cloned())
        .collect();
    assert_eq!(reviews.len(), 2, "{audit}");
    assert_eq!(reviews[0]["approvals"][0]["by"], ADMIN.0);
    assert_eq!(reviews[0]["approvals"][0]["comment"], "looks right");
    assert_eq!(reviews[1]["break_glass"], "pager: eu down");

    let delivered = app.maintenance().deliver(now_us()).await.unwrap();
    assert!(delivered > 0);
    let before = receiver.got().len();
    let shown = run_node(
        &node_path,
        "reviews.js",
        vec![
            "webhooks".into(),
            app.address.clone(),
            out,
            credentials(ADMIN),
        ],
    )
    .await;
    assert!(
        shown.contains("ok: the log shows the redelivery"),
        "{shown}"
    );
    assert_eq!(receiver.got().len(), before + 1, "one event sent again");
}
