//! XML-RPC on the same /RPC URL, over HTTP, and with Python's own client.

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// POSTs an XML-RPC body; returns (status, content type, body).
async fn post_xml(app: &TestApp, body: impl Into<reqwest::Body>) -> (u16, String, String) {
    let response = app.post("text/xml", body).await;
    let status = response.status().as_u16();
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_string();
    let length: usize = response.headers()["content-length"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    let text = response.text().await.unwrap();
    assert_eq!(length, text.len(), "Content-Length is right");
    (status, content_type, text)
}

fn method_call(method: &str, params: &[&str]) -> String {
    let params: String = params
        .iter()
        .map(|p| format!("<param><value>{p}</value></param>"))
        .collect();
    format!("<?xml version=\"1.0\"?><methodCall><methodName>{method}</methodName><params>{params}</params></methodCall>")
}

fn fault_code(body: &str) -> Option<i64> {
    let start = body.find("<name>faultCode</name><value><int>")?
        + "<name>faultCode</name><value><int>".len();
    body[start..].split('<').next()?.parse().ok()
}

#[actix_web::test]
async fn xml_rpc_answers_on_the_same_url() {
    let app = TestApp::builder().center().spawn().await;
    let put = method_call(
        "records.put",
        &[
            "<string>k</string>",
            "<struct><member><name>a</name><value><int>1</int></value></member></struct>",
        ],
    );
    let (status, content_type, body) = post_xml(&app, put).await;
    assert_eq!(
        (status, content_type.as_str()),
        (200, "text/xml; charset=utf-8")
    );
    assert!(
        body.contains("<methodResponse><params><param><value><int>1</int></value>"),
        "{body}"
    );
    assert_eq!(
        app.result("records.get", json!(["k"])).await["value"],
        json!({"a": 1}),
        "same store as JSON-RPC"
    );

    let (_, _, missing) =
        post_xml(&app, method_call("records.get", &["<string>nope</string>"])).await;
    assert_eq!(fault_code(&missing), Some(-32002), "{missing}");
    assert!(missing.contains("nope"));
    let (_, _, unknown) = post_xml(&app, method_call("records.nope", &[])).await;
    assert_eq!(fault_code(&unknown), Some(-32601));
    let (_, _, bad_params) = post_xml(&app, method_call("records.get", &["<int>5</int>"])).await;
    assert_eq!(fault_code(&bad_params), Some(-32602));
}

#[actix_web::test]
async fn malformed_requests_are_faults_never_500() {
    let app = TestApp::builder().center().spawn().await;
    let cases: Vec<(Vec<u8>, i64)> = vec![
        (b"<methodCall><methodName>records.list".to_vec(), -32700),
        (b"\xff<methodCall/>".to_vec(), -32700),
        (b"<!DOCTYPE lol [<!ENTITY a \"aaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;\">]><methodCall><methodName>&b;</methodName></methodCall>".to_vec(), -32700),
        (b"<!DOCTYPE x SYSTEM \"file:///etc/passwd\"><methodCall/>".to_vec(), -32700),
        (b"<methodResponse/>".to_vec(), -32600),
        (method_call("records.changes", &["<int>99999999999</int>"]).into_bytes(), -32600),
        (method_call("records.put", &["<string>k</string>", "<base64>@@@@</base64>"]).into_bytes(), -32600),
        (method_call("records.put", &["<string>k</string>", "<dateTime.iso8601>soon</dateTime.iso8601>"]).into_bytes(), -32600),
    ];
    for (body, code) in cases {
        let shown = String::from_utf8_lossy(&body).to_string();
        let (status, _, reply) = post_xml(&app, body).await;
        assert_eq!(status, 200, "{shown}");
        assert_eq!(fault_code(&reply), Some(code), "{shown}: {reply}");
    }
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "nothing was stored"
    );
}

#[actix_web::test]
async fn multicall_judges_each_call() {
    let app = TestApp::builder().center().spawn().await;
    let entry = |method: &str, params: &str| {
        format!("<value><struct><member><name>methodName</name><value><string>{method}</string></value></member><member><name>params</name><value><array><data>{params}</data></array></value></member></struct></value>")
    };
    let calls = [
        entry(
            "records.put",
            "<value><string>a</string></value><value><int>1</int></value>",
        ),
        entry("records.get", "<value><string>zzz</string></value>"),
        entry(
            "system.multicall",
            "<value><array><data></data></array></value>",
        ),
        entry("records.get", "<value><string>a</string></value>"),
    ]
    .concat();
    let body = method_call(
        "system.multicall",
        &[&format!("<array><data>{calls}</data></array>")],
    );
    let (status, _, reply) = post_xml(&app, body).await;
    assert_eq!(status, 200);
    let results = reply.matches("<name>faultCode</name>").count();
    assert_eq!(results, 2, "two of four calls fault: {reply}");
    assert!(
        reply.contains("-32002") && reply.contains("cannot be nested"),
        "{reply}"
    );
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        1,
        "the good calls ran"
    );

    let too_many: String = (0..101).map(|_| entry("records.list", "")).collect();
    let (_, _, refused) = post_xml(
        &app,
        method_call(
            "system.multicall",
            &[&format!("<array><data>{too_many}</data></array>")],
        ),
    )
    .await;
    assert_eq!(fault_code(&refused), Some(-32600));
    let (_, _, over_json) = post_xml(&app, method_call("rpc.discover", &[])).await;
    assert_eq!(fault_code(&over_json), Some(-32601));
}

#[actix_web::test]
async fn each_protocol_lists_its_own_methods() {
    let app = TestApp::builder().center().spawn().await;
    let (_, _, xml) = post_xml(&app, method_call("system.listMethods", &[])).await;
    assert!(
        xml.contains("<string>system.multicall</string>")
            && xml.contains("<string>records.changes</string>")
    );
    let json_methods = app.result("system.listMethods", json!([])).await;
    assert!(!json_methods
        .as_array()
        .unwrap()
        .contains(&json!("system.multicall")));
    let (code, _) = app.error("system.multicall", json!([[]])).await;
    assert_eq!(code, -32601, "multicall is XML-RPC only");
    let (_, _, help) = post_xml(
        &app,
        method_call("system.methodHelp", &["<string>x.y</string>"]),
    )
    .await;
    assert_eq!(fault_code(&help), Some(-32601));
}

/// Python's standard XML-RPC client, a real peer.
#[actix_web::test]
async fn python_xmlrpc_client_interoperates() {
    if std::process::Command::new("python3")
        .arg("--version")
        .output()
        .is_err()
    {
        assert!(!crate::helpers::in_ci(), "python3 must be installed in CI");
        return eprintln!("skipping: python3 is not installed");
    }
    let app = TestApp::builder().center().spawn().await;
    let script = r#"
import json, sys, xmlrpc.client
s = xmlrpc.client.ServerProxy(sys.argv[1], allow_none=True, use_builtin_types=True)
out = {}
out["put"] = s.records.put("rule", {"deny": ["10.0.0.1"], "weight": 2.5, "on": True, "note": None})
out["get"] = s.records.get("rule")["value"]
mc = xmlrpc.client.MultiCall(s)
mc.records.put("second", "<&>")
mc.records.get("missing")
try:
    list(mc())
except xmlrpc.client.Fault as f:
    out["multicall_fault"] = f.faultCode
out["list"] = [r["key"] for r in s.testrpc.MyRPC()]
out["changes"] = s.records.changes(0)["revision"]
try:
    s.records.get("nope")
except xmlrpc.client.Fault as f:
    out["fault"] = [f.faultCode, f.faultString]
latin1 = xmlrpc.client.ServerProxy(sys.argv[1], encoding="iso-8859-1", allow_none=True)
out["latin1_put"] = latin1.records.put("caf\u00e9", "na\u00efve")
out["latin1_get"] = s.records.get("caf\u00e9")["value"]
print(json.dumps(out))
"#;
    let (user, password) = crate::helpers::WRITER;
    let url = app
        .rpc_url()
        .replace("http://", &format!("http://{user}:{password}@"));
    let out = actix_web::rt::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .args(["-c", script, &url])
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out["put"], 1);
    assert_eq!(
        out["get"],
        json!({"deny": ["10.0.0.1"], "weight": 2.5, "on": true, "note": null})
    );
    assert_eq!(out["multicall_fault"], -32002);
    assert_eq!(out["list"], json!(["rule", "second"]));
    assert_eq!(out["changes"], 2);
    assert_eq!(out["fault"][0], -32002);
    assert_eq!(
        out["latin1_put"], 3,
        "an ISO-8859-1 request is decoded as such"
    );
    assert_eq!(out["latin1_get"], "na\u{ef}ve");
}

/// The charset comes from the Content-Type, else the XML declaration; what
/// is neither UTF-8 nor ISO-8859-1 is a parse fault.
#[actix_web::test]
async fn xml_rpc_requests_in_iso_8859_1() {
    let app = TestApp::builder().center().spawn().await;
    app.put("caf\u{e9}", json!("ok")).await;
    let latin1 = |text: &str| -> Vec<u8> { text.chars().map(|c| c as u8).collect() };
    let call = |prolog: &str| {
        latin1(&format!(
            "{prolog}<methodCall><methodName>records.get</methodName><params><param><value>caf\u{e9}</value></param></params></methodCall>"
        ))
    };
    let declared = call("<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>");
    let (status, _, text) = post_xml(&app, declared).await;
    assert!(status == 200 && text.contains(">ok<"), "{text}");
    let response = app.post("text/xml; charset=iso-8859-1", call("")).await;
    assert!(
        response.text().await.unwrap().contains(">ok<"),
        "by Content-Type"
    );
    let (_, _, text) = post_xml(&app, call("")).await;
    assert_eq!(
        fault_code(&text),
        Some(-32700),
        "undeclared Latin-1 is not UTF-8: {text}"
    );
    let other = call("<?xml version=\"1.0\" encoding=\"Shift_JIS\"?>");
    let (_, _, text) = post_xml(&app, other).await;
    assert!(
        fault_code(&text) == Some(-32700) && text.contains("Shift_JIS"),
        "{text}"
    );
    let json_latin1 = app
        .post("application/json; charset=iso-8859-1", "{}")
        .await
        .status();
    assert_eq!(json_latin1, 415, "JSON is UTF-8");
}

/// Every refusal of an XML-RPC request is an XML-RPC fault with the code the
/// README documents, whatever stage refused it; JSON-RPC gets the same codes.
#[actix_web::test]
async fn refusals_answer_in_the_protocol_of_the_request() {
    let app = TestApp::builder()
        .center()
        .with(|s| {
            s.server.max_body = syncdict::configuration::ByteSize::parse("2k").unwrap();
            // Slowed logins wait an hour, so the 429s below do not depend
            // on how fast the machine answers.
            s.login.window = syncdict::configuration::HumanDuration::parse("1h").unwrap();
            s.login.trickle = s.login.window;
        })
        .spawn()
        .await;
    let put = method_call("records.put", &["k", "<int>1</int>"]);
    let json_put =
        json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", 1], "id": 7}).to_string();
    let send = |content_type: &'static str,
                body: String,
                user: Option<(&'static str, &'static str)>,
                origin: Option<&'static str>| {
        let mut request = app
            .client
            .post(app.rpc_url())
            .header("Content-Type", content_type)
            .body(body);
        if let Some((name, password)) = user {
            request = request.basic_auth(name, Some(password));
        }
        if let Some(origin) = origin {
            request = request.header("Origin", origin);
        }
        async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let kind = response.headers()["content-type"]
                .to_str()
                .unwrap()
                .to_string();
            (status, kind, response.text().await.unwrap())
        }
    };
    let wrong = Some(("tester", "not-the-password"));
    let cases = [
        ("wrong credentials", wrong, None, put.clone(), 401, -32003),
        (
            "no credentials for a write",
            None,
            None,
            put.clone(),
            401,
            -32003,
        ),
        (
            "a reader writing",
            Some(crate::helpers::READER),
            None,
            put.clone(),
            403,
            -32004,
        ),
        (
            "a foreign origin",
            None,
            Some("https://evil.example"),
            put.clone(),
            403,
            -32600,
        ),
        (
            "a body over server.max_body",
            None,
            None,
            method_call("records.put", &["k", &"x".repeat(4096)]),
            413,
            -32600,
        ),
    ];
    for (what, user, origin, body, status, code) in cases {
        let (got, kind, text) = send("text/xml", body, user, origin).await;
        assert_eq!(got, status, "{what}: {text}");
        assert!(kind.starts_with("text/xml"), "{what}: {kind}");
        assert_eq!(fault_code(&text), Some(code), "{what}: {text}");
    }
    let (status, kind, text) = send("application/json", json_put.clone(), wrong, None).await;
    assert_eq!((status, kind.as_str()), (401, "application/json"));
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(reply["error"]["code"], -32003, "{reply}");
    assert!(reply["error"]["message"]
        .as_str()
        .unwrap()
        .contains("wrong user name or password"));

    // After repeated failures (and the slowed pair's one check): 429 with
    // Retry-After, a fault for XML-RPC.
    for _ in 0..syncdict::configuration::LoginSettings::default().pair_failures {
        send("application/json", json_put.clone(), wrong, None).await;
    }
    let (status, kind, text) = send("text/xml", put.clone(), wrong, None).await;
    assert_eq!(status, 429, "{text}");
    assert!(kind.starts_with("text/xml"));
    assert_eq!(fault_code(&text), Some(-32005), "{text}");
    let (status, _, text) = send("application/json", json_put, wrong, None).await;
    let reply: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (status, reply["error"]["code"].clone()),
        (429, json!(-32005))
    );
    assert_eq!(
        app.result("records.list", json!([])).await,
        json!([]),
        "nothing refused was stored"
    );
}

/// A value XML 1.0 cannot carry (U+0001) never makes an unreadable
/// XML-RPC reply: that reply (or that multicall entry) is a fault naming the
/// character, JSON-RPC still returns it, and other calls are unaffected.
#[actix_web::test]
async fn characters_xml_cannot_carry_are_a_fault_not_broken_xml() {
    let app = TestApp::builder().center().spawn().await;
    app.put("bell", json!("ring\u{1}")).await;
    app.put("plain", json!("fine")).await;
    assert_eq!(
        app.result("records.get", json!(["bell"])).await["value"],
        "ring\u{1}"
    );
    let (status, _, text) = post_xml(&app, method_call("records.list", &[])).await;
    assert_eq!(status, 200);
    assert_eq!(fault_code(&text), Some(-32603), "{text}");
    assert!(text.contains("U+0001"), "{text}");
    let (_, _, text) = post_xml(&app, method_call("records.get", &["plain"])).await;
    assert!(
        text.contains("fine") && fault_code(&text).is_none(),
        "{text}"
    );
    let entry = |key: &str| {
        format!("<value><struct><member><name>methodName</name><value>records.get</value></member><member><name>params</name><value><array><data><value>{key}</value></data></array></value></member></struct></value>")
    };
    let calls = entry("bell") + &entry("plain");
    let multicall = format!("<methodCall><methodName>system.multicall</methodName><params><param><value><array><data>{calls}</data></array></value></param></params></methodCall>");
    let (_, _, text) = post_xml(&app, multicall).await;
    assert!(text.contains("U+0001") && text.contains("fine"), "{text}");
    assert!(!text.contains('\u{1}'), "no raw control character in XML");
}
