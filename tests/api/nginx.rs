//! Interoperation with the original design's edge for real: Debian's nginx
//! with its Lua module pulls `testrpc.MyRPC` from syncdict into
//! `lua_shared_dict g_dict` (`row.name -> row.value`) and serves a value
//! (`tests/nginx/edge.conf`; `.ci/run` installs `libnginx-mod-http-lua`).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{eventually, free_port, in_ci, TestApp};

const NGINX: &str = "/usr/sbin/nginx";
const LUA_MODULE: &str = "/usr/lib/nginx/modules/ngx_http_lua_module.so";
const CJSON: &str = "/usr/lib/x86_64-linux-gnu/lua/5.1/cjson.so";

/// nginx, stopped when dropped.
struct Nginx(Child);

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[actix_web::test]
async fn an_nginx_lua_edge_of_the_original_design_serves_syncdict_data() {
    if ![NGINX, LUA_MODULE, CJSON]
        .iter()
        .all(|p| Path::new(p).exists())
    {
        assert!(
            !in_ci(),
            "nginx with the Lua module and lua-cjson must be installed in CI"
        );
        return eprintln!("skipping: nginx, its Lua module or lua-cjson is not installed");
    }
    let center = TestApp::builder().center().spawn().await;
    center.put("10.0.0.1", json!("deny")).await;
    center
        .put("route \"b\"", json!({"to": ["10.0.0.2"], "weight": 3}))
        .await;

    let dir = crate::helpers::Scratch::new();
    let port = free_port();
    let center_port = center.address.rsplit(':').next().unwrap();
    let cpath = format!("{};;", CJSON.replace("cjson.so", "?.so"));
    let conf = include_str!("../nginx/edge.conf")
        .replace("@DIR@", &dir.display().to_string())
        .replace("@PORT@", &port.to_string())
        .replace("@CENTER_HOST@", "127.0.0.1")
        .replace("@CENTER_PORT@", center_port)
        .replace("@CPATH@", &cpath);
    std::fs::write(dir.join("nginx.conf"), conf).unwrap();
    let _nginx = Nginx(
        Command::new(NGINX)
            .arg("-p")
            .arg(&dir)
            .arg("-c")
            .arg(dir.join("nginx.conf"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("nginx starts"),
    );
    let get = async |key: &str| -> Option<Value> {
        let url = format!("http://127.0.0.1:{port}/get?key={key}");
        let response = reqwest::get(url).await.ok()?;
        if response.status() != 200 {
            return None;
        }
        serde_json::from_str(&response.text().await.ok()?).ok()
    };
    let log = || std::fs::read_to_string(dir.join("error.log")).unwrap_or_default();
    let limit = Duration::from_secs(30);
    eventually(limit, "nginx serves the pulled value", async || {
        get("10.0.0.1").await == Some(json!("deny"))
    })
    .await;
    assert_eq!(
        get("route%20%22b%22").await,
        Some(json!({"to": ["10.0.0.2"], "weight": 3})),
        "{}",
        log()
    );
    // A change at the center reaches nginx's shared dictionary.
    center.put("10.0.0.1", json!("allow")).await;
    eventually(limit, "nginx follows the change", async || {
        get("10.0.0.1").await == Some(json!("allow"))
    })
    .await;
}
