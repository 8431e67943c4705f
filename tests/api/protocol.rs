//! JSON-RPC over HTTP: status codes, content types, limits, batches.

use serde_json::{json, Value};

use syncdict::configuration::ByteSize;

use crate::helpers::TestApp;

async fn app() -> TestApp {
    TestApp::builder().center().spawn().await
}

#[actix_web::test]
async fn only_json_content_types_run() {
    let app = app().await;
    let put = json!({"jsonrpc":"2.0","method":"records.put","params":["k",1],"id":1}).to_string();
    for refused in [
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "text/html",
    ] {
        let response = app.post(refused, put.clone()).await;
        assert_eq!(response.status(), 415, "{refused}");
    }
    let no_type = app
        .client
        .post(app.rpc_url())
        .body(put.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(no_type.status(), 415);
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "nothing ran"
    );
    assert_eq!(
        app.post("application/json-rpc", put.clone()).await.status(),
        200
    );
    assert_eq!(
        app.post("application/json; charset=utf-8", put)
            .await
            .status(),
        200
    );
}

#[actix_web::test]
async fn errors_travel_with_http_200() {
    let app = app().await;
    let response = app.post("application/json", "{not json").await;
    assert_eq!(response.status(), 200);
    let reply: Value = response.json().await.unwrap();
    assert_eq!(
        reply,
        json!({"jsonrpc":"2.0","error":{"code":-32700,"message":reply["error"]["message"]},"id":null})
    );
    let invalid_utf8 = app
        .post("application/json", &b"{\"method\":\"\xff\"}"[..])
        .await;
    let reply: Value = invalid_utf8.json().await.unwrap();
    assert_eq!(reply["error"]["code"], -32700);
    let deep = "[".repeat(40) + &"]".repeat(40);
    let reply: Value = app
        .post("application/json", deep)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reply["error"]["code"], -32700);
    assert!(reply["error"]["message"].as_str().unwrap().contains("32"));
}

#[actix_web::test]
async fn notifications_and_batches() {
    let app = app().await;
    let note = json!({"jsonrpc":"2.0","method":"records.put","params":["n",1]}).to_string();
    let response = app.post("application/json", note).await;
    assert_eq!(response.status(), 204);
    assert_eq!(
        app.result("records.get", json!(["n"])).await["value"],
        1,
        "the notification ran"
    );

    let batch = json!([
        {"jsonrpc":"2.0","method":"records.put","params":["b",2],"id":"first"},
        {"jsonrpc":"2.0","method":"records.put","params":["c",3]},
        {"jsonrpc":"2.0","method":"records.get","params":["nope"],"id":3},
        5,
        {"method":"records.get","params":["b"],"id":4},
    ]);
    let replies: Value = app
        .post("application/json", batch.to_string())
        .await
        .json()
        .await
        .unwrap();
    let replies = replies.as_array().unwrap();
    assert_eq!(replies.len(), 4);
    assert_eq!(replies[0], json!({"jsonrpc":"2.0","result":2,"id":"first"}));
    assert_eq!(replies[1]["error"]["code"], -32002);
    assert_eq!(replies[2]["error"]["code"], -32600);
    assert_eq!(
        replies[3]["result"]["value"], 2,
        "an element without jsonrpc runs"
    );
    assert_eq!(
        (replies[3]["jsonrpc"].as_str(), replies[3].get("error")),
        (Some("2.0"), None),
        "and is answered in 2.0 shape, as everything in a batch"
    );
    let malformed =
        json!([{"method": 5, "id": 9}, {"method": "records.get", "params": ["b"], "id": null}]);
    let replies: Value = app
        .post("application/json", malformed.to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        replies[0],
        json!({"jsonrpc": "2.0", "error": {"code": -32600, "message": "Invalid Request: \"method\" must be a string"}, "id": 9})
    );
    assert_eq!(replies[1]["id"], Value::Null, "id null is an id in a batch");
    assert_eq!(replies[1]["result"]["value"], 2);

    let empty: Value = app
        .post("application/json", "[]")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(empty["error"]["code"], -32600);
    assert!(empty.is_object());
    let numbers: Value = app
        .post("application/json", "[1,2]")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(numbers.as_array().unwrap().len(), 2);
    let all_notes =
        json!([{"jsonrpc":"2.0","method":"records.list"},{"jsonrpc":"2.0","method":"nope"}]);
    assert_eq!(
        app.post("application/json", all_notes.to_string())
            .await
            .status(),
        204
    );
    let too_many: Vec<Value> = (0..101)
        .map(|i| json!({"jsonrpc":"2.0","method":"records.list","id":i}))
        .collect();
    let reply: Value = app
        .post("application/json", Value::Array(too_many).to_string())
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reply["error"]["code"], -32600);
}

#[actix_web::test]
async fn version_1_clients_of_the_original_design() {
    let app = app().await;
    app.put("rule", json!({"allow": ["a"]})).await;
    // What json.rpc.call(url, "testrpc.MyRPC") sends.
    let body = r#"{"method":"testrpc.MyRPC","params":[],"id":"JSON_RPC_1"}"#;
    let reply: Value = app
        .post("application/json", body)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(reply["id"], "JSON_RPC_1");
    assert_eq!(reply["error"], Value::Null);
    assert_eq!(reply["result"][0]["value"], json!({"allow": ["a"]}));
    assert!(reply.get("jsonrpc").is_none());
}

#[actix_web::test]
async fn oversized_bodies_get_413_declared_or_chunked() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.max_body = ByteSize::parse("4k").unwrap())
        .spawn()
        .await;
    let big =
        json!({"jsonrpc":"2.0","method":"records.put","params":["big","x".repeat(5000)],"id":1})
            .to_string();
    assert_eq!(
        app.post("application/json", big.clone()).await.status(),
        413
    );

    let chunks: Vec<Result<Vec<u8>, std::io::Error>> = big
        .as_bytes()
        .chunks(1000)
        .map(|c| Ok(c.to_vec()))
        .collect();
    let stream = futures_util::stream::iter(chunks);
    let chunked = app
        .client
        .post(app.rpc_url())
        .header("Content-Type", "application/json")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(chunked.status(), 413);
    let (code, _) = app.error("records.get", json!(["big"])).await;
    assert_eq!(code, -32002, "nothing was stored");
    let fits =
        json!({"jsonrpc":"2.0","method":"records.put","params":["small","x".repeat(3000)],"id":1})
            .to_string();
    assert_eq!(app.post("application/json", fits).await.status(), 200);
}

#[actix_web::test]
async fn only_get_and_post_are_allowed() {
    let app = app().await;
    let response = app.client.put(app.rpc_url()).send().await.unwrap();
    assert_eq!(response.status(), 405);
    assert_eq!(response.headers()["allow"], "GET, POST");
}

#[actix_web::test]
async fn introspection_over_http() {
    let app = app().await;
    let methods = app.result("system.listMethods", json!([])).await;
    for name in [
        "records.list",
        "records.get",
        "records.put",
        "records.delete",
        "records.changes",
        "testrpc.MyRPC",
    ] {
        assert!(methods.as_array().unwrap().contains(&json!(name)), "{name}");
        let help = app.result("system.methodHelp", json!([name])).await;
        assert!(!help.as_str().unwrap().is_empty());
    }
    let signature = app
        .result("system.methodSignature", json!(["records.changes"]))
        .await;
    assert_eq!(
        signature,
        json!([
            ["struct", "int"],
            ["struct", "int", "array"],
            ["struct", "int", "array", "double"]
        ])
    );
}

/// DNS rebinding: a page of `http://evil.example:PORT` whose name now points
/// here sends `Host: evil.example:PORT` with a matching `Origin`. It is not
/// our own origin unless `server.public_hosts` names that host.
#[actix_web::test]
async fn a_rebound_host_name_is_not_our_origin() {
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    let send = async |app: &TestApp, host: &str| {
        app.client
            .post(app.rpc_url())
            .header("Content-Type", "application/json")
            .header("Host", host)
            .header("Origin", format!("http://{host}"))
            .body(list.clone())
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    };
    let app = TestApp::builder().center().spawn().await;
    let port = app.address.rsplit(':').next().unwrap().to_string();
    assert_eq!(send(&app, &format!("evil.example:{port}")).await, 403);
    assert_eq!(
        send(&app, &format!("127.0.0.1:{port}")).await,
        200,
        "loopback is ours"
    );
    let named = TestApp::builder()
        .center()
        .with(|s| s.server.public_hosts = vec!["sync.example".into()])
        .spawn()
        .await;
    let port = named.address.rsplit(':').next().unwrap().to_string();
    assert_eq!(send(&named, &format!("sync.example:{port}")).await, 200);
    assert_eq!(send(&named, &format!("evil.example:{port}")).await, 403);
}

/// Amplification: a small batch or multicall of `records.list` may not make
/// a reply larger than `server.max_reply`; the calls past it get -32006,
/// the ones before it their result, and nothing is a 5xx.
#[actix_web::test]
async fn a_small_request_cannot_make_a_large_reply() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.max_reply = ByteSize::parse("8k").unwrap())
        .spawn()
        .await;
    for i in 0..3 {
        app.put(&format!("k{i}"), json!("x".repeat(900))).await;
    }
    let call = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1});
    let batch = Value::Array(vec![call; 5]).to_string();
    let response = app.post_as(None, "application/json", batch.clone()).await;
    assert_eq!(response.status(), 200);
    let replies: Value = response.json().await.unwrap();
    let codes: Vec<Option<i64>> = replies
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["error"]["code"].as_i64())
        .collect();
    assert_eq!(
        codes,
        [None, None, Some(-32006), Some(-32006), Some(-32006)]
    );
    assert!(replies[2]["error"]["message"]
        .as_str()
        .unwrap()
        .contains("server.max_reply"));

    let entry = "<value><struct><member><name>methodName</name><value>records.list</value></member></struct></value>";
    let multicall = format!(
        "<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>{}</data></array></value></param></params></methodCall>",
        entry.repeat(5)
    );
    let response = app.post_as(None, "text/xml", multicall).await;
    assert_eq!(response.status(), 200);
    let text = response.text().await.unwrap();
    assert_eq!(text.matches("<int>-32006</int>").count(), 3, "{text}");

    // A result larger than the whole budget is an error alone too.
    for i in 3..12 {
        app.put(&format!("k{i}"), json!("x".repeat(900))).await;
    }
    assert_eq!(app.error("records.list", json!([])).await.0, -32006);
    assert_eq!(app.error("records.changes", json!([0])).await.0, -32006);
}

/// The size limit comes before any password check: an oversized body with
/// credentials costs no argon2 run and counts as no failed login.
#[actix_web::test]
async fn oversized_bodies_are_refused_before_credentials_are_checked() {
    let app = TestApp::builder()
        .center()
        .with(|s| s.server.max_body = ByteSize::parse("4k").unwrap())
        .spawn()
        .await;
    let big = "x".repeat(8 * 1024);
    for _ in 0..10 {
        let response = app
            .post_as(Some(("tester", "wrong")), "application/json", big.clone())
            .await;
        assert_eq!(
            response.status(),
            413,
            "refused for its size, not its password"
        );
    }
    let list = json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string();
    let ok = app
        .post_as(Some(crate::helpers::WRITER), "application/json", list)
        .await;
    assert_eq!(ok.status(), 200, "no failed login was counted");
}
