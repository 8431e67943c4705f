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
