//! The method browser (GET /RPC) and `rpc.discover` (OpenRPC), both from the registry.

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::TestApp;

#[actix_web::test]
async fn the_method_browser_lists_every_method() {
    let app = TestApp::builder().center().spawn().await;
    let response = app.client.get(app.rpc_url()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert!(response.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let page = response.text().await.unwrap();
    let methods = app.result("system.listMethods", json!([])).await;
    for name in methods.as_array().unwrap() {
        let name = name.as_str().unwrap();
        assert!(
            page.contains(&format!("data-method=\"{name}\"")),
            "a form for {name}"
        );
        let help = app.result("system.methodHelp", json!([name])).await;
        assert!(page.contains(help.as_str().unwrap()), "help of {name}");
    }
    assert!(page.contains("key: <em>string</em>") && page.contains("value: <em>undef</em>"));
    assert!(
        page.contains("Callable over XML-RPC only"),
        "multicall is shown as XML-RPC only"
    );
}

#[actix_web::test]
async fn rpc_discover_describes_the_registry() {
    let app = TestApp::builder().center().spawn().await;
    let doc = app.result("rpc.discover", json!([])).await;
    assert_eq!(doc["openrpc"], "1.3.2");
    let names: Vec<&str> = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    let listed = app.result("system.listMethods", json!([])).await;
    assert_eq!(json!(names), listed, "the same registry, in the same order");
    let put = doc["methods"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "records.put")
        .unwrap();
    assert_eq!(
        put["params"][0],
        json!({"name": "key", "required": true, "schema": {"type": "string"}})
    );
    assert_eq!(put["result"]["schema"], json!({"type": "integer"}));
    validate_against_meta_schema(&doc);
}

/// Validates with Python's jsonschema against the OpenRPC meta-schema from
/// npm (both installed by tests/interop/setup.sh).
fn validate_against_meta_schema(doc: &Value) {
    let peers = (
        crate::helpers::peer("SYNCDICT_RPC4DJANGO_PYTHON"),
        crate::helpers::peer("SYNCDICT_OPENRPC_SCHEMA"),
    );
    let (Some(python), Some(schema)) = peers else {
        eprintln!("skipping meta-schema validation");
        return;
    };
    // The referenced JSON Schema meta-schema is registered locally, so
    // nothing is fetched.
    let script = "import json, os, sys, jsonschema\n\
                  from referencing import Registry, Resource\n\
                  from referencing.jsonschema import DRAFT7\n\
                  schema = json.load(open(sys.argv[1]))\n\
                  meta = json.load(open(os.path.join(os.path.dirname(sys.argv[1]), 'json-schema-meta-schema.json')))\n\
                  res = Resource.from_contents(meta, default_specification=DRAFT7)\n\
                  reg = Registry().with_resources([('https://meta.json-schema.tools', res), ('https://meta.json-schema.tools/', res)])\n\
                  jsonschema.Draft7Validator(schema, registry=reg).validate(json.loads(sys.stdin.read()))\n\
                  print('valid')";
    let mut child = Command::new(python)
        .args(["-c", script, &schema])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(doc.to_string().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "OpenRPC document invalid: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}
