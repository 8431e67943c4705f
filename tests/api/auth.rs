//! Users, permissions and credentials, on every backend.

use serde_json::{json, Value};

use crate::helpers::{TestApp, READER, WRITER};

fn put_body(key: &str) -> String {
    json!({"jsonrpc": "2.0", "method": "records.put", "params": [key, 1], "id": 1}).to_string()
}

async fn reply(response: reqwest::Response) -> (u16, Option<String>, Value) {
    let status = response.status().as_u16();
    let challenge = response
        .headers()
        .get("www-authenticate")
        .map(|v| v.to_str().unwrap().to_string());
    (
        status,
        challenge,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn writes_need_a_writer(app: TestApp) {
    let (status, challenge, body) =
        reply(app.post_as(None, "application/json", put_body("a")).await).await;
    assert_eq!(
        (status, challenge.as_deref()),
        (401, Some(r#"Basic realm="syncdict""#))
    );
    assert_eq!(body["error"]["code"], -32003);
    let (status, _, body) = reply(
        app.post_as(Some(READER), "application/json", put_body("a"))
            .await,
    )
    .await;
    assert_eq!(status, 403);
    assert_eq!(body["error"]["code"], -32004);
    for wrong in [("tester", "nope"), ("nobody", "tester-password")] {
        let (status, challenge, _) = reply(
            app.post_as(Some(wrong), "application/json", put_body("a"))
                .await,
        )
        .await;
        assert_eq!((status, challenge.is_some()), (401, true), "{wrong:?}");
    }
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "nothing refused was stored"
    );
    let (status, _, body) = reply(
        app.post_as(Some(WRITER), "application/json", put_body("a"))
            .await,
    )
    .await;
    assert_eq!(
        (status, body["result"].clone()),
        (200, json!(1)),
        "refused writes took no revision"
    );
}

async fn wrong_credentials_are_refused_even_for_public_reads(app: TestApp) {
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    assert_eq!(
        app.post_as(None, "application/json", list.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_as(Some(READER), "application/json", list.clone())
            .await
            .status(),
        200
    );
    assert_eq!(
        app.post_as(Some(("reader", "wrong")), "application/json", list)
            .await
            .status(),
        401
    );
}

async fn batches_and_multicalls_refuse_element_by_element(app: TestApp) {
    let batch = json!([
        {"jsonrpc": "2.0", "method": "records.put", "params": ["x", 1], "id": 1},
        {"jsonrpc": "2.0", "method": "records.list", "id": 2},
    ]);
    let (status, _, body) = reply(
        app.post_as(Some(READER), "application/json", batch.to_string())
            .await,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(body[0]["error"]["code"], -32004);
    assert!(body[0]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("permission"));
    assert_eq!(body[1]["result"], json!([]));

    let entry = |method: &str, params: &str| {
        format!("<value><struct><member><name>methodName</name><value>{method}</value></member><member><name>params</name><value><array><data>{params}</data></array></value></member></struct></value>")
    };
    let calls = entry("records.put", "<value>y</value><value><int>1</int></value>")
        + &entry("records.list", "");
    let xml = format!("<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>{calls}</data></array></value></param></params></methodCall>");
    let response = app.post_as(None, "text/xml", xml).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert!(
        text.contains("<int>-32003</int>") && text.contains("credentials"),
        "{text}"
    );
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "the refused calls changed nothing"
    );
}

crate::on_backends!(
    center:
    writes_need_a_writer,
    wrong_credentials_are_refused_even_for_public_reads,
    batches_and_multicalls_refuse_element_by_element,
);

#[actix_web::test]
async fn private_reads_need_a_user() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.read_access = syncdict::configuration::ReadAccess::Users)
        .spawn()
        .await;
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    assert_eq!(
        app.post_as(None, "application/json", list.clone())
            .await
            .status(),
        401
    );
    assert_eq!(
        app.post_as(Some(READER), "application/json", list)
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn repeated_failures_are_rate_limited() {
    let app = TestApp::builder().center().spawn().await;
    for _ in 0..syncdict::auth::rate_limit::MAX_PER_ADDRESS {
        assert_eq!(
            app.post_as(Some(("tester", "guess")), "application/json", put_body("k"))
                .await
                .status(),
            401
        );
    }
    let locked = app
        .post_as(Some(WRITER), "application/json", put_body("k"))
        .await;
    assert_eq!(locked.status(), 429, "even the right password waits");
    assert!(locked.headers().contains_key("retry-after"));
    assert_eq!(
        app.post_as(None, "application/json", put_body("k"))
            .await
            .status(),
        401,
        "anonymous is not locked out of reads"
    );
}

/// Concurrent guesses from one address: attempts are admitted before the
/// password check, at most `MAX_IN_FLIGHT` at once, so a burst sent before
/// any has failed cannot run them all.
#[actix_web::test]
async fn concurrent_guesses_are_limited_too() {
    let app = TestApp::builder().center().spawn().await;
    let guesses = (0..12).map(|i| {
        let password = format!("guess-{i}");
        let request = app
            .client
            .post(app.rpc_url())
            .header("Content-Type", "application/json")
            .basic_auth("tester", Some(password))
            .body(put_body("k"));
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let in_flight = syncdict::auth::rate_limit::MAX_IN_FLIGHT as usize;
    assert_eq!(checked + refused, 12, "{statuses:?}");
    assert!(
        checked <= in_flight,
        "at most {in_flight} checks ran: {statuses:?}"
    );
}

/// A success by one account does not wipe another's failures from the
/// same address (a reader cannot guess the writer's password forever).
#[actix_web::test]
async fn a_readers_login_does_not_reset_guesses_at_another_user() {
    let app = TestApp::builder().center().spawn().await;
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    let guess = async || {
        let wrong = Some(("tester", "guess"));
        app.post_as(wrong, "application/json", list.clone())
            .await
            .status()
            .as_u16()
    };
    let reader = async || {
        app.post_as(Some(READER), "application/json", list.clone())
            .await
            .status()
            .as_u16()
    };
    for _ in 1..syncdict::auth::rate_limit::MAX_PER_ADDRESS {
        assert_eq!(guess().await, 401);
        assert_eq!(reader().await, 200, "the reader may still log in");
    }
    assert_eq!(guess().await, 401, "the last guess the address is allowed");
    assert_eq!(
        guess().await,
        429,
        "the reader's logins did not reset the count"
    );
}

/// Behind a trusted proxy the login limit follows `X-Forwarded-For`, so one
/// client's typos do not lock out everyone behind the same proxy; without
/// `server.trusted_proxies` the header is not believed.
#[actix_web::test]
async fn the_login_limit_follows_trusted_proxies_only() {
    let guess_from = async |app: &TestApp, client: &str| {
        app.client
            .post(app.rpc_url())
            .header("Content-Type", "application/json")
            .header("X-Forwarded-For", format!("203.0.113.9, {client}"))
            .basic_auth("tester", Some("guess"))
            .body(put_body("k"))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let proxied = TestApp::builder()
        .center()
        .with(|s| {
            s.server.trusted_proxies =
                vec![syncdict::configuration::Cidr::parse("127.0.0.0/8").unwrap()]
        })
        .spawn()
        .await;
    for _ in 0..syncdict::auth::rate_limit::MAX_PER_ADDRESS {
        assert_eq!(guess_from(&proxied, "198.51.100.1").await, 401);
    }
    assert_eq!(guess_from(&proxied, "198.51.100.1").await, 429);
    assert_eq!(
        guess_from(&proxied, "198.51.100.2").await,
        401,
        "another client"
    );

    let direct = TestApp::builder().center().spawn().await;
    for _ in 0..syncdict::auth::rate_limit::MAX_PER_ADDRESS {
        assert_eq!(guess_from(&direct, "198.51.100.1").await, 401);
    }
    assert_eq!(
        guess_from(&direct, "198.51.100.2").await,
        429,
        "an untrusted peer's header is ignored"
    );
}
