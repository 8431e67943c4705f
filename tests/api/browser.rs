//! CORS from a real browser: headless Chromium loads a page from an allowed
//! and from a refused origin, and the page calls /RPC with fetch.

use actix_web::{web, App, HttpResponse, HttpServer};
use serde_json::json;

use crate::helpers::TestApp;

const CHROMIUM: &str = "/usr/bin/chromium";

fn chromium_present() -> bool {
    if std::path::Path::new(CHROMIUM).exists() {
        return true;
    }
    assert!(!crate::helpers::in_ci(), "chromium must be installed in CI");
    eprintln!("skipping: {CHROMIUM} is not installed (apt-get install chromium)");
    false
}

/// The DOM of `url` after its scripts ran, as headless Chromium renders it.
async fn rendered(url: String) -> String {
    let profile = crate::helpers::Scratch::new();
    let out = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new(CHROMIUM)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--virtual-time-budget=10000",
                &format!("--user-data-dir={}", profile.display()),
                "--dump-dom",
                &url,
            ])
            .output()
    })
    .await
    .unwrap()
    .expect("chromium runs");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Serves one page whose script calls `rpc_url` and shows the outcome.
async fn page_server(rpc_url: String) -> u16 {
    let html = format!(
        r#"<html><body><div id="out">pending</div><script>
fetch("{rpc_url}", {{method: "POST",
  headers: {{"Content-Type": "application/json", "Authorization": "Basic " + btoa("{user}:{password}")}},
  body: JSON.stringify({{jsonrpc: "2.0", method: "records.put", params: ["from-browser", 1], id: 1}})}})
  .then(r => r.json())
  .then(j => {{ document.getElementById("out").textContent = "RESULT:" + JSON.stringify(j.result); }})
  .catch(e => {{ document.getElementById("out").textContent = "ERROR:" + e.name; }});
</script></body></html>"#,
        user = crate::helpers::WRITER.0,
        password = crate::helpers::WRITER.1,
    );
    let server = HttpServer::new(move || {
        let html = html.clone();
        App::new().route(
            "/",
            web::get().to(move || {
                let html = html.clone();
                async move { HttpResponse::Ok().content_type("text/html").body(html) }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    actix_web::rt::spawn(server.run());
    port
}

#[actix_web::test]
async fn a_browser_may_call_from_allowed_origins_only() {
    if !chromium_present() {
        return;
    }
    // The page server's port must be known before the app's settings.
    let app_port = crate::helpers::free_port();
    let page_port = page_server(format!("http://127.0.0.1:{app_port}/RPC")).await;

    let app = TestApp::builder()
        .center()
        .with(move |s| {
            s.server.port = app_port;
            s.server.cors_origins = vec![format!("http://127.0.0.1:{page_port}")];
        })
        .spawn()
        .await;

    let refused = rendered(format!("http://localhost:{page_port}/")).await;
    assert!(
        refused.contains("ERROR:TypeError"),
        "a refused origin cannot call: {refused}"
    );
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "nothing ran"
    );

    let allowed = rendered(format!("http://127.0.0.1:{page_port}/")).await;
    assert!(
        allowed.contains("RESULT:1"),
        "an allowed origin can call: {allowed}"
    );
    assert_eq!(
        app.result("records.get", json!(["from-browser"])).await["value"],
        1
    );
}

#[actix_web::test]
async fn preflight_headers() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.cors_origins = vec!["https://app.example".into()])
        .spawn()
        .await;
    let preflight = |origin: &'static str| {
        app.client
            .request(reqwest::Method::OPTIONS, app.rpc_url())
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .header(
                "Access-Control-Request-Headers",
                "content-type, authorization",
            )
            .send()
    };
    let ok = preflight("https://app.example").await.unwrap();
    assert_eq!(
        ok.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    let allowed_headers = ok.headers()["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_lowercase();
    assert!(allowed_headers.contains("authorization") && allowed_headers.contains("content-type"));
    let refused = preflight("https://evil.example").await.unwrap();
    assert!(!refused
        .headers()
        .contains_key("access-control-allow-origin"));

    // A non-browser client that forges a refused Origin runs nothing either.
    let forged = app
        .client
        .post(app.rpc_url())
        .header("Origin", "https://evil.example")
        .header("Content-Type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "method": "records.put", "params": ["x", 1], "id": 1})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert!(!forged.headers().contains_key("access-control-allow-origin"));
    assert_eq!(app.result("records.list", json!([])).await, json!([]));
}

/// CORS covers `/RPC` and `/api/cache` alone: a listed origin may read the
/// cache from a browser, and the pages answer it no CORS headers.
#[actix_web::test]
async fn cors_covers_the_api_and_not_the_pages() {
    let app = TestApp::builder()
        .center()
        .edge(vec!["http://127.0.0.1:9/RPC".into()])
        .with(|s| s.server.cors_origins = vec!["https://app.example".into()])
        .spawn()
        .await;
    let get = |path: &str| {
        app.client
            .get(format!("{}{path}", app.address))
            .header("Origin", "https://app.example")
            .send()
    };
    let cache = get("/api/cache/absent").await.unwrap();
    assert_eq!(cache.status(), 404);
    assert_eq!(
        cache.headers()["access-control-allow-origin"],
        "https://app.example"
    );
    for page in ["/", "/console/login", "/api/status"] {
        let response = get(page).await.unwrap();
        assert!(response.status().is_success(), "{page}");
        assert!(
            !response
                .headers()
                .contains_key("access-control-allow-origin"),
            "{page}"
        );
    }
}

/// Where playwright-core is (`SYNCDICT_NODE_PATH`, from
/// tests/interop/setup.sh), with Chromium installed; `None` skips outside
/// CI and fails in CI.
pub fn playwright() -> Option<String> {
    crate::helpers::peer("SYNCDICT_NODE_PATH").filter(|_| chromium_present())
}

/// Runs `tests/browser/{script}` with node and `args`; panics (showing
/// its output) if it fails; answers what it printed.
pub async fn run_node(node_path: &str, script: &str, args: Vec<String>) -> String {
    let path = format!("{}/tests/browser/{script}", env!("CARGO_MANIFEST_DIR"));
    let node_path = node_path.to_string();
    let out = actix_web::rt::task::spawn_blocking(move || {
        // One Chromium at a time: several at once load the two cores
        // enough to make the suite's other tests miss their timeouts.
        static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());
        let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(|p| p.into_inner());
        std::process::Command::new("node")
            .arg(path)
            .args(args)
            .env("NODE_PATH", node_path)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let shown = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{script} failed:\n{shown}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    shown
}

/// The method browser's "Call" button, clicked in Chromium by playwright-core
/// (`SYNCDICT_NODE_PATH`, from tests/interop/setup.sh).
#[actix_web::test]
async fn the_method_browser_calls_from_the_page() {
    let Some(node_path) = playwright() else {
        return;
    };
    let app = TestApp::builder().center().spawn().await;
    app.put("greeting", json!("hello from the page")).await;
    let url = app.rpc_url();
    let out = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/browser/try_it.js"
            ))
            .args([&url, "\"greeting\""])
            .env("NODE_PATH", node_path)
            .output()
    })
    .await
    .unwrap()
    .expect("node runs");
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        shown.contains("HTTP 200") && shown.contains("hello from the page"),
        "{shown}"
    );
}
