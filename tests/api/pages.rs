//! The status page and the method browser: their security headers, their
//! assets, and the way to the console.

use crate::helpers::TestApp;

const CSP_PARTS: [&str; 3] = [
    "default-src 'none'",
    "script-src 'self'",
    "frame-ancestors 'none'",
];

#[actix_web::test]
async fn the_status_page_has_a_csp_and_links_to_the_console_of_a_center() {
    let both = TestApp::builder().center().edge(vec![]).spawn().await;
    for path in ["/", "/RPC"] {
        let page = both.get(path).await;
        assert_eq!(page.status(), 200, "{path}");
        let csp = page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        for part in CSP_PARTS {
            assert!(csp.contains(part), "{path}: {csp}");
        }
        let html = page.text().await.unwrap();
        assert!(
            html.contains(r#"href="/console""#),
            "{path} links to the console"
        );
        assert!(
            !html.contains("<script>") && !html.contains("style="),
            "no inline code: {path}"
        );
    }
    // What the pages load is served, with its type.
    for (asset, kind) in [
        ("/assets/status.css", "text/css"),
        ("/assets/status.js", "text/javascript"),
        ("/assets/methods.js", "text/javascript"),
    ] {
        let r = both.get(asset).await;
        assert_eq!(r.status(), 200, "{asset}");
        assert!(r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with(kind));
    }
    assert_eq!(both.get("/assets/nothing.js").await.status(), 404);

    // An edge alone has no console to link to.
    let edge = TestApp::builder()
        .edge(vec![format!("{}/RPC", both.address)])
        .spawn()
        .await;
    let html = edge.get("/").await.text().await.unwrap();
    assert!(!html.contains(r#"href="/console""#));
}
