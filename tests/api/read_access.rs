//! `server.read_access` covers every route that shows record data, in one
//! rule: `/RPC` reads, `/api/cache`, `/api/cache/{key}`, the page and its
//! live part. Status numbers stay public.

use serde_json::json;
use syncdict::configuration::ReadAccess;
use syncdict::domain::{Namespace, Selection};
use syncdict::edge::state::TickReport;

use crate::helpers::{TestApp, READER};

/// Every route that shows records, and whether it answers 200 to `user`.
async fn answers(app: &TestApp, user: Option<(&str, &str)>) -> Vec<(String, u16, bool)> {
    let routes = ["/api/cache", "/api/cache/k", "/", "/?partial=1"];
    let mut seen = Vec::new();
    for route in routes {
        let mut request = app.client.get(format!("{}{route}", app.address));
        if let Some((name, password)) = user {
            request = request.basic_auth(name, Some(password));
        }
        let response = request.send().await.unwrap();
        let challenge = response.headers().contains_key("www-authenticate");
        let status = response.status().as_u16();
        let body = response.text().await.unwrap();
        assert_eq!(
            body.contains("secret-value"),
            status == 200,
            "{route}: {body}"
        );
        seen.push((route.to_string(), status, challenge));
    }
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    let status = app
        .post_as(user, "application/json", list)
        .await
        .status()
        .as_u16();
    seen.push(("/RPC records.list".into(), status, status == 401));
    seen
}

/// A center with private reads and an edge of `namespaces` pulling from
/// its own /RPC, which needs a user too.
async fn private_center_and_edge(namespaces: Vec<Namespace>) -> TestApp {
    TestApp::builder()
        .center()
        .edge(vec![])
        .with(|s| {
            s.server.read_access = ReadAccess::Users;
            s.client.username = Some(READER.0.into());
            s.client.password = Some(READER.1.into());
            s.client.namespaces = Selection::Listed(namespaces);
        })
        .spawn()
        .await
}

#[actix_web::test]
async fn private_reads_cover_every_route_that_shows_records() {
    let own = private_center_and_edge(vec![Namespace::default()]).await;
    own.put("k", json!("secret-value")).await;
    assert_eq!(own.tick().await, TickReport::Applied);

    for (route, status, challenge) in answers(&own, None).await {
        assert_eq!((status, challenge), (401, true), "anonymous {route}");
    }
    for (route, status, _) in answers(&own, Some(READER)).await {
        assert_eq!(status, 200, "reader {route}");
    }
    // Last: five wrong passwords lock the address out for a minute.
    for (route, status, _) in answers(&own, Some(("reader", "wrong"))).await {
        assert!(
            [401, 429].contains(&status),
            "wrong password {route}: {status}"
        );
    }
    for public in ["/api/status", "/healthz", "/metrics"] {
        let status = own.get(public).await.status().as_u16();
        assert_eq!(status, 200, "{public} stays public");
    }
}

#[actix_web::test]
async fn public_reads_need_no_credentials_anywhere() {
    let app = TestApp::builder().center().edge(vec![]).spawn().await;
    app.put("k", json!("secret-value")).await;
    assert_eq!(app.tick().await, TickReport::Applied);
    for (route, status, _) in answers(&app, None).await {
        assert_eq!(status, 200, "anonymous {route}");
    }
}

/// With private reads, the edge's local routes follow the same grants as
/// /RPC: a user with a grant on one namespace reads that one only.
#[actix_web::test]
async fn local_reads_follow_namespace_grants() {
    use syncdict::domain::Level;
    let geo = Namespace::parse("geo").unwrap();
    let own = private_center_and_edge(vec![Namespace::default(), geo]).await;
    own.result("namespaces.create", json!(["geo"])).await;
    own.put("k", json!("secret-value")).await;
    own.result("records.put", json!(["fr", "France", "geo"]))
        .await;
    assert_eq!(own.tick().await, TickReport::Applied);
    let url = own.database_url().unwrap().clone();
    let geo_only = ("geoonly", "geoonly-password");
    crate::helpers::add_user(&url, geo_only, &[("geo", Level::Read)]);
    let get = |path: &'static str| {
        let own = &own;
        async move {
            own.client
                .get(format!("{}{path}", own.address))
                .basic_auth(geo_only.0, Some(geo_only.1))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get("/api/cache/geo/fr").await, 200);
    assert_eq!(get("/api/cache/geo").await, 200);
    assert_eq!(get("/?ns=geo").await, 200);
    assert_eq!(get("/api/cache/k").await, 403);
    assert_eq!(get("/api/cache").await, 403);
    assert_eq!(get("/?ns=default").await, 403);
}
