//! Bearer tokens and remembered logins, on every backend: scope, expiry,
//! revoke (seen by a second center on the same database), the audit
//! author, an edge pulling with a token, and Basic logins that pay argon2id
//! once and are forgotten when the password changes.

use std::time::Duration;

use serde_json::{json, Value};
use syncdict::auth::tokens;
use syncdict::configuration::{DatabaseSettings, DatabaseUrl, HumanDuration, ReadAccess};
use syncdict::db::tokens::TokenScope;
use syncdict::domain::{Level, Scope};
use syncdict::edge::state::TickReport;

use crate::helpers::{eventually, Backend, TestApp, TestDb, WRITER};

/// `server.revision_check_interval` of the centers here.
const CHECK_INTERVAL: Duration = Duration::from_millis(200);

fn connect(url: &DatabaseUrl) -> syncdict::db::AnyConnection {
    let settings = DatabaseSettings {
        url: url.clone(),
        ..Default::default()
    };
    syncdict::db::connect(&settings).expect("test database reachable")
}

/// Adds a token and returns its secret.
fn add_token(
    url: &DatabaseUrl,
    name: &str,
    scopes: &[&str],
    level: Level,
    expires_at_us: Option<i64>,
) -> String {
    let token = tokens::generate();
    let scope = TokenScope {
        scopes: scopes.iter().map(|s| Scope::parse(s).unwrap()).collect(),
        level,
    };
    let now = syncdict::domain::now_us();
    let added = syncdict::db::tokens::add(
        &mut connect(url),
        name,
        &tokens::hash(&token),
        &scope,
        now,
        expires_at_us,
    )
    .unwrap();
    assert!(added);
    token
}

/// Sends one JSON-RPC call with `Authorization: Bearer token`.
async fn call_with(
    app: &TestApp,
    token: &str,
    method: &str,
    params: Value,
) -> (u16, Option<String>, Value) {
    let body = json!({"jsonrpc": "2.0", "method": method, "params": params, "id": 1});
    let response = reqwest::Client::new()
        .post(app.rpc_url())
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (status, challenge, response.json().await.unwrap())
}

async fn center(backend: Backend, db: &TestDb) -> TestApp {
    TestApp::builder()
        .center()
        .backend(backend)
        .database(db.url.clone(), None)
        .with(|s| {
            s.server.revision_check_interval = HumanDuration(CHECK_INTERVAL);
            s.server.read_access = ReadAccess::Users;
        })
        .spawn()
        .await
}

async fn tokens_have_a_scope_an_expiry_and_an_author(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let app = center(backend, &db).await;
    app.result("namespaces.create", json!(["geo"])).await;
    let reader = add_token(&db.url, "edge-1", &["default"], Level::Read, None);
    let writer = add_token(&db.url, "deployer", &["geo"], Level::Write, None);
    let expired = add_token(&db.url, "old", &["*"], Level::Write, Some(1));

    // The reader reads its namespace, not another, and writes nothing.
    let (status, _, reply) = call_with(&app, &reader, "records.list", json!([])).await;
    assert_eq!((status, reply["result"].clone()), (200, json!([])));
    let (status, _, reply) =
        call_with(&app, &reader, "records.list", json!({"namespace": "geo"})).await;
    assert_eq!(status, 403, "{reply}");
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("this token may not read"));
    let (status, _, _) = call_with(&app, &reader, "records.put", json!(["k", 1])).await;
    assert_eq!(status, 403);

    // The writer writes geo, and the audit log names it.
    let (status, _, reply) = call_with(
        &app,
        &writer,
        "records.put",
        json!({"key": "k", "value": 1, "namespace": "geo"}),
    )
    .await;
    assert_eq!(status, 200, "{reply}");
    let revision = reply["result"].as_i64().unwrap();
    let audit = app.result("audit.list", json!({"limit": 1})).await;
    assert_eq!(audit[0]["revision"], revision, "{audit}");
    assert_eq!(audit[0]["author"], "token:deployer", "{audit}");
    let (status, _, _) = call_with(&app, &writer, "records.put", json!(["k", 1])).await;
    assert_eq!(status, 403, "geo only");

    // Expired, unknown and revoked tokens get one and the same answer.
    let (status, challenge, wrong) = call_with(&app, &expired, "records.list", json!([])).await;
    assert_eq!(status, 401);
    assert_eq!(
        challenge.as_deref(),
        Some(r#"Bearer realm="syncdict", error="invalid_token""#)
    );
    let unknown = call_with(&app, &tokens::generate(), "records.list", json!([])).await;
    assert_eq!((unknown.0, &unknown.2), (401, &wrong));
    assert!(syncdict::db::tokens::revoke(&mut connect(&db.url), "edge-1").unwrap());
    eventually(Duration::from_secs(10), "the revoke is seen", async || {
        call_with(&app, &reader, "records.list", json!([])).await.2 == wrong
    })
    .await;
    // The table holds the two tokens left (the expired one included).
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(metrics.contains("syncdict_tokens 2"), "{metrics}");
}

async fn a_revoke_is_seen_by_every_center(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let (a, b) = (center(backend, &db).await, center(backend, &db).await);
    let token = add_token(&db.url, "edge-2", &["*"], Level::Read, None);
    for app in [&a, &b] {
        let (status, _, _) = call_with(app, &token, "records.list", json!([])).await;
        assert_eq!(status, 200);
    }
    // Revoked in the database (as `syncdict token revoke` does): both
    // centers refuse it once their revision check comes round.
    assert!(syncdict::db::tokens::revoke(&mut connect(&db.url), "edge-2").unwrap());
    for app in [&a, &b] {
        eventually(Duration::from_secs(10), "revoked everywhere", async || {
            call_with(app, &token, "records.list", json!([])).await.0 == 401
        })
        .await;
    }
}

async fn an_edge_pulls_with_a_token(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let app = center(backend, &db).await;
    app.put("greeting", json!("hello")).await;
    let token = add_token(&db.url, "edge-3", &["default"], Level::Read, None);
    let file = std::env::temp_dir().join(format!("{}.token", crate::helpers::unique_name()));
    std::fs::write(&file, format!("{token}\n")).unwrap();
    let edge = TestApp::builder()
        .edge(vec![app.rpc_url()])
        .with(move |s| s.client.token_file = Some(file))
        .spawn()
        .await;
    assert_eq!(edge.tick().await, TickReport::Applied);
    assert_eq!(edge.json("/api/cache/greeting").await, json!("hello"));
    let wrong = TestApp::builder()
        .edge(vec![app.rpc_url()])
        .with(|s| s.client.token = Some(tokens::generate()))
        .spawn()
        .await;
    let report = wrong.tick().await;
    assert!(matches!(report, TickReport::Failed(_)), "{report:?}");
    assert!(wrong.status().await["last_error"]
        .as_str()
        .unwrap()
        .contains("401"));
}

async fn logins_are_remembered_until_the_password_changes(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let app = center(backend, &db).await;
    let checks = async || -> u64 {
        let text = app.get("/metrics").await.text().await.unwrap();
        text.lines()
            .find_map(|l| l.strip_prefix("syncdict_password_checks_total "))
            .unwrap()
            .parse()
            .unwrap()
    };
    let before = checks().await;
    for _ in 0..5 {
        assert_eq!(
            app.call_as(Some(WRITER), "records.list", json!([])).await.0,
            200
        );
    }
    assert_eq!(
        checks().await - before,
        1,
        "argon2id ran once for five calls"
    );
    // A wrong password is never remembered: each costs a check.
    let wrong = (WRITER.0, "not-the-password");
    assert_eq!(
        app.call_as(Some(wrong), "records.list", json!([])).await.0,
        401
    );
    assert_eq!(checks().await - before, 2);
    // A new password: the remembered login is forgotten.
    let hash = syncdict::auth::password::hash("a-new-password").unwrap();
    assert!(syncdict::db::users::set_password(&mut connect(&db.url), WRITER.0, &hash).unwrap());
    eventually(
        Duration::from_secs(10),
        "the old password is refused",
        async || app.call_as(Some(WRITER), "records.list", json!([])).await.0 == 401,
    )
    .await;
    let new = (WRITER.0, "a-new-password");
    assert_eq!(
        app.call_as(Some(new), "records.list", json!([])).await.0,
        200
    );
}

crate::on_backends!(
    tokens_have_a_scope_an_expiry_and_an_author,
    a_revoke_is_seen_by_every_center,
    an_edge_pulls_with_a_token,
    logins_are_remembered_until_the_password_changes,
);

/// `tokens.*` over RPC: administrators only (a writer, a token: refused);
/// a token made this way works at once and is refused once revoked.
async fn administrators_manage_tokens_over_rpc(app: TestApp) {
    use crate::helpers::ADMIN;
    let (status, reply) = app.call_as(Some(WRITER), "tokens.list", json!([])).await;
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (403, json!(-32004)),
        "{reply}"
    );
    let (_, made) = app
        .call_as(
            Some(ADMIN),
            "tokens.add",
            json!({"name": "edge-1", "namespaces": ["default"], "expires_in": 3600}),
        )
        .await;
    let token = made["result"]["token"]
        .as_str()
        .expect("shown once")
        .to_string();
    assert!(
        token.starts_with("sdt_") && made["result"]["expires_at"].is_string(),
        "{made}"
    );
    let (status, _, reply) = call_with(&app, &token, "records.list", json!([])).await;
    assert_eq!(status, 200, "{reply}");
    let (status, _, reply) = call_with(&app, &token, "tokens.list", json!([])).await;
    assert_eq!(status, 403, "a token is never an administrator: {reply}");
    let (_, listed) = app.call_as(Some(ADMIN), "tokens.list", json!([])).await;
    assert_eq!(listed["result"][0]["name"], json!("edge-1"));
    assert_eq!(listed["result"][0]["namespaces"], json!(["default"]));
    assert!(!listed.to_string().contains(&token), "never shown again");
    let (_, again) = app
        .call_as(Some(ADMIN), "tokens.add", json!(["edge-1"]))
        .await;
    assert_eq!(again["error"]["code"], json!(-32602), "{again}");
    let (_, revoked) = app
        .call_as(Some(ADMIN), "tokens.revoke", json!(["edge-1"]))
        .await;
    assert_eq!(revoked["result"], json!(true));
    let (status, _, _) = call_with(&app, &token, "records.list", json!([])).await;
    assert_eq!(status, 401, "refused once revoked");
}

/// `users.*` over RPC: administrators add users, change their grants,
/// passwords and role, and remove them; never demote or remove
/// themselves; a writer is refused.
async fn administrators_manage_users_over_rpc(app: TestApp) {
    use crate::helpers::ADMIN;
    let (status, _) = app.call_as(Some(WRITER), "users.list", json!([])).await;
    assert_eq!(status, 403);
    let admin = |method: &'static str, params: Value| {
        let app = &app;
        async move { app.call_as(Some(ADMIN), method, params).await.1 }
    };
    let short = admin("users.add", json!(["viewer", "short"])).await;
    assert_eq!(short["error"]["code"], json!(-32602), "{short}");
    let added = admin("users.add", json!(["viewer", "viewer-password"])).await;
    assert_eq!(added["result"], json!(true), "{added}");
    let viewer = Some(("viewer", "viewer-password"));
    let (status, _) = app.call_as(viewer, "records.put", json!(["k", 1])).await;
    assert_eq!(status, 403, "added as a reader");
    let grants = json!({"name": "viewer", "grants": {"*": null, "default": "write"}});
    assert_eq!(admin("users.update", grants).await["result"], json!(true));
    let (status, reply) = app.call_as(viewer, "records.put", json!(["k", 1])).await;
    assert_eq!(status, 200, "writes default now, at once: {reply}");
    let listed = admin("users.list", json!([])).await;
    let entry = listed["result"]
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["name"] == "viewer")
        .unwrap()
        .clone();
    assert_eq!(entry["grants"], json!({"default": "write"}));
    assert_eq!(entry["admin"], json!(false));
    let reset = json!({"name": "viewer", "password": "another-password"});
    assert_eq!(admin("users.update", reset).await["result"], json!(true));
    let (status, _) = app.call_as(viewer, "records.list", json!([])).await;
    assert_eq!(status, 401, "the old password is refused at once");
    let me = json!({"name": ADMIN.0, "admin": false});
    assert_eq!(
        admin("users.update", me).await["error"]["code"],
        json!(-32602)
    );
    assert_eq!(
        admin("users.remove", json!([ADMIN.0])).await["error"]["code"],
        json!(-32602)
    );
    assert_eq!(
        admin("users.remove", json!(["viewer"])).await["result"],
        json!(true)
    );
    assert_eq!(
        admin("users.remove", json!(["viewer"])).await["result"],
        json!(false)
    );
    let nobody = json!({"name": "nobody", "admin": true});
    assert_eq!(admin("users.update", nobody).await["result"], json!(false));
}

mod administrators {
    use super::*;
    crate::on_backends!(center:
        administrators_manage_tokens_over_rpc,
        administrators_manage_users_over_rpc,
    );
}
