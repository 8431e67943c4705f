//! Interoperation with a Lua client of the original design (lua5.1 +
//! LuaSocket + cjson, installed by `.ci/run`).

use std::process::Command;

use serde_json::{json, Value};

use crate::helpers::TestApp;

/// Runs `tests/lua/rpc_call.lua`; `None` if Lua is not installed (outside CI).
async fn lua_call(url: String, method: &str, args: &[&str]) -> Option<(bool, String)> {
    let have_lua = Command::new("lua5.1").arg("-v").output().is_ok();
    if !have_lua {
        assert!(!crate::helpers::in_ci(), "lua5.1 must be installed in CI");
        eprintln!("skipping: lua5.1 is not installed");
        return None;
    }
    let mut command = Command::new("lua5.1");
    command
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/lua/rpc_call.lua"
        ))
        .arg(url)
        .arg(method)
        .args(args);
    let out = actix_web::rt::task::spawn_blocking(move || command.output())
        .await
        .unwrap()
        .unwrap();
    let text = String::from_utf8_lossy(if out.status.success() {
        &out.stdout
    } else {
        &out.stderr
    });
    Some((out.status.success(), text.trim().to_string()))
}

#[actix_web::test]
async fn lua_json_rpc_call_reads_testrpc_myrpc() {
    let app = TestApp::builder().center().spawn().await;
    app.put("rule", json!({"deny": ["10.0.0.1"]})).await;
    let Some((ok, out)) = lua_call(app.rpc_url(), "testrpc.MyRPC", &[]).await else {
        return;
    };
    assert!(ok, "{out}");
    let result: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(result[0]["key"], "rule");
    assert_eq!(result[0]["value"], json!({"deny": ["10.0.0.1"]}));

    let (user, password) = crate::helpers::WRITER;
    let with_credentials = app
        .rpc_url()
        .replace("http://", &format!("http://{user}:{password}@"));
    let (ok, out) = lua_call(with_credentials, "records.put", &["\"from-lua\"", "[1,2]"])
        .await
        .unwrap();
    assert!(ok, "{out}");
    assert_eq!(
        app.result("records.get", json!(["from-lua"])).await["value"],
        json!([1, 2])
    );

    let (ok, out) = lua_call(app.rpc_url(), "records.get", &["\"absent\""])
        .await
        .unwrap();
    assert!(!ok && out.contains("-32002"), "{out}");
}
