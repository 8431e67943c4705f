//! The console over HTTP on every backend: signing in and out, the
//! session cookie, CSRF and same-site checks, an ended session, a cookie
//! that authorizes nothing on /RPC, and publishing a change set with a
//! comment and `if_revision`. (Chromium drives the pages in
//! `console_browser.rs`.)

use reqwest::{redirect, Client, Response, StatusCode};
use serde_json::json;
use syncdict::domain::now_us;

use crate::helpers::{TestApp, ADMIN, READER};

/// `application/x-www-form-urlencoded`, as a browser sends a form.
fn encoded(fields: &[(&str, &str)]) -> String {
    let enc = |s: &str| {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                    (b as char).to_string()
                }
                b' ' => "+".to_string(),
                _ => format!("%{b:02X}"),
            })
            .collect::<String>()
    };
    let pairs: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect();
    pairs.join("&")
}

trait Form {
    fn form_of(self, fields: &[(&str, &str)]) -> Self;
}

impl Form for reqwest::RequestBuilder {
    fn form_of(self, fields: &[(&str, &str)]) -> Self {
        self.header("Content-Type", "application/x-www-form-urlencoded")
            .body(encoded(fields))
    }
}

/// A client that shows redirects instead of following them.
fn client() -> Client {
    Client::builder()
        .redirect(redirect::Policy::none())
        .build()
        .unwrap()
}

fn location(r: &Response) -> String {
    r.headers()["location"].to_str().unwrap().to_string()
}

/// Signs in; answers the session cookie (`name=value`).
pub(crate) async fn sign_in(app: &TestApp, (user, password): (&str, &str)) -> String {
    let r = client()
        .post(format!("{}/console/login", app.address))
        .form_of(&[
            ("username", user),
            ("password", password),
            ("next", "/console"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER, "signed in");
    let set = r.headers()["set-cookie"].to_str().unwrap().to_string();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
        assert!(set.contains(attribute), "{set}");
    }
    assert!(!set.contains("Secure"), "plain HTTP: {set}");
    set.split(';').next().unwrap().to_string()
}

pub(crate) async fn get(app: &TestApp, path: &str, cookie: &str) -> Response {
    client()
        .get(format!("{}{path}", app.address))
        .header("Cookie", cookie)
        .send()
        .await
        .unwrap()
}

/// The session's CSRF token, from a page's forms.
async fn csrf(app: &TestApp, cookie: &str) -> String {
    let page = get(app, "/console", cookie).await.text().await.unwrap();
    let at = page
        .find(r#"name="csrf" value=""#)
        .expect("a form with a token")
        + 19;
    page[at..at + 64].to_string()
}

async fn post(
    app: &TestApp,
    path: &str,
    cookie: &str,
    form: &[(&str, &str)],
    origin: Option<&str>,
) -> Response {
    let mut request = client()
        .post(format!("{}{path}", app.address))
        .header("Cookie", cookie)
        .form_of(form);
    if let Some(origin) = origin {
        request = request.header("Origin", origin);
    }
    request.send().await.unwrap()
}

async fn sessions_cookies_and_forgeries(app: TestApp) {
    let r = get(&app, "/console/ns/default", "").await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&r), "/console/login?next=/console/ns/default");
    let wrong = client()
        .post(format!("{}/console/login", app.address))
        .form_of(&[("username", ADMIN.0), ("password", "wrong")])
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert!(wrong
        .text()
        .await
        .unwrap()
        .contains("Wrong user name or password"));

    let cookie = sign_in(&app, ADMIN).await;
    let page = get(&app, "/console", &cookie).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(page
        .text()
        .await
        .unwrap()
        .contains(r#"href="/console/ns/default""#));
    let token = csrf(&app, &cookie).await;

    // Forgeries change nothing: no token, a wrong one, another site's page.
    let create = |t: &str| vec![("csrf", t.to_string()), ("name", "geo".to_string())];
    for (form, origin) in [
        (vec![("name", "geo".to_string())], None),
        (create(&"0".repeat(64)), None),
        (create(&token), Some("http://evil.example")),
    ] {
        let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let r = post(&app, "/console/namespaces", &cookie, &form, origin).await;
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{form:?} {origin:?}");
    }
    let listed = app.result("namespaces.list", json!([])).await;
    assert_eq!(listed.as_array().unwrap().len(), 1, "nothing was created");
    let same_site = Some(app.address.as_str());
    let r = post(
        &app,
        "/console/namespaces",
        &cookie,
        &[("csrf", &token), ("name", "geo")],
        same_site,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(location(&r).starts_with("/console/ns/geo"));
    assert_eq!(
        app.result("namespaces.list", json!([]))
            .await
            .as_array()
            .unwrap()
            .len(),
        2
    );

    // The cookie authorizes nothing on /RPC.
    let rpc = client()
        .post(app.rpc_url())
        .header("Cookie", &cookie)
        .header("Content-Type", "application/json")
        .body(
            json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", 1], "id": 1})
                .to_string(),
        )
        .send()
        .await
        .unwrap();
    let reply: serde_json::Value = rpc.json().await.unwrap();
    assert_eq!(reply["error"]["code"], json!(-32003), "{reply}");

    // A reader sees, but may not create.
    let reader = sign_in(&app, READER).await;
    let reader_token = csrf(&app, &reader).await;
    let r = post(
        &app,
        "/console/namespaces",
        &reader,
        &[("csrf", &reader_token), ("name", "x")],
        None,
    )
    .await;
    assert!(location(&r).contains("error="), "{}", location(&r));

    // Signing out ends the session everywhere.
    let r = post(&app, "/console/logout", &cookie, &[("csrf", &token)], None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Max-Age=0"));
    let r = get(&app, "/console", &cookie).await;
    assert_eq!(location(&r), "/console/login?next=/console&ended=1");

    // An idle session ends: looked up 31 minutes on (the time passed in),
    // it is gone, and the browser is sent to sign in again.
    let cookie = sign_in(&app, ADMIN).await;
    let value = cookie.split_once('=').unwrap().1;
    assert!(app
        .center()
        .session(value, now_us())
        .await
        .unwrap()
        .is_some());
    let later = now_us() + 31 * 60 * 1_000_000;
    assert!(app.center().session(value, later).await.unwrap().is_none());
    let r = get(&app, "/console", &cookie).await;
    assert!(location(&r).ends_with("ended=1"));
}

async fn a_change_set_is_published_with_its_comment_or_refused_on_conflict(app: TestApp) {
    let cookie = sign_in(&app, ADMIN).await;
    let token = csrf(&app, &cookie).await;
    let base = app.put("a", json!(1)).await;
    let changes = json!({"upserts": {"a": 2, "b": {"x": true}}, "deletes": []}).to_string();
    let base_text = base.to_string();
    let form = [
        ("csrf", token.as_str()),
        ("changes", changes.as_str()),
        ("if_revision", base_text.as_str()),
        ("comment", "raise a, add b"),
    ];
    let r = post(&app, "/console/ns/default/publish", &cookie, &form, None).await;
    assert_eq!(
        location(&r),
        format!("/console/ns/default?published={}", base + 1)
    );
    let audit = app.result("audit.list", json!([base])).await;
    assert_eq!(audit[0]["comment"], json!("raise a, add b"));
    assert_eq!(audit[0]["author"], json!(ADMIN.0));
    assert_eq!(audit[0]["keys"], json!(2));

    // The same base again: someone (this test) changed the namespace since.
    let r = post(&app, "/console/ns/default/publish", &cookie, &form, None).await;
    assert_eq!(location(&r), "/console/ns/default?conflict=1");
    let page = get(&app, "/console/ns/default?conflict=1", &cookie)
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Conflict."), "the page says so");
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        json!(2)
    );
}

async fn export_and_import(app: TestApp) {
    let cookie = sign_in(&app, ADMIN).await;
    let token = csrf(&app, &cookie).await;
    let first = app.put("a", json!(1)).await;
    let second = app.put("b", json!("x,y")).await;
    let json_file = get(&app, "/console/ns/default/export?format=json", &cookie).await;
    assert_eq!(
        json_file.headers()["content-disposition"],
        "attachment; filename=\"default.json\""
    );
    assert_eq!(
        json_file.text().await.unwrap(),
        "{\n  \"a\": 1,\n  \"b\": \"x,y\"\n}\n"
    );
    let path = format!("/console/ns/default/export?format=csv&at={first}");
    let csv = get(&app, &path, &cookie).await;
    assert_eq!(
        csv.headers()["content-disposition"],
        format!("attachment; filename=\"default-r{first}.csv\"").as_str()
    );
    assert_eq!(
        csv.text().await.unwrap(),
        "key,value\na,1\n",
        "as it was then"
    );
    let ndjson = get(&app, "/console/ns/default/export?format=ndjson", &cookie).await;
    assert_eq!(
        ndjson.text().await.unwrap(),
        "{\"key\":\"a\",\"value\":1}\n{\"key\":\"b\",\"value\":\"x,y\"}\n"
    );

    let data = "key,value\nc,3\na,2\n";
    let dry = [
        ("csrf", token.as_str()),
        ("format", "csv"),
        ("data", data),
        ("replace", "1"),
    ];
    let page = post(&app, "/console/ns/default/import", &cookie, &dry, None).await;
    assert_eq!(page.status(), 200);
    let page = page.text().await.unwrap();
    assert!(
        page.contains("1 to add, 1 to change, 1 to remove"),
        "the dry run"
    );
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        json!(1),
        "nothing written"
    );
    let base = second.to_string();
    let publish = [
        ("csrf", token.as_str()),
        ("format", "csv"),
        ("data", data),
        ("replace", "1"),
        ("step", "publish"),
        ("if_revision", base.as_str()),
        ("comment", "from a file"),
    ];
    let r = post(&app, "/console/ns/default/import", &cookie, &publish, None).await;
    assert!(location(&r).contains("Imported"), "{}", location(&r));
    let list = app.result("records.list", json!([])).await;
    let pairs: Vec<(&str, &serde_json::Value)> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["key"].as_str().unwrap(), &r["value"]))
        .collect();
    assert_eq!(pairs, [("a", &json!(2)), ("c", &json!(3))]);
    let r = post(&app, "/console/ns/default/import", &cookie, &publish, None).await;
    assert!(
        location(&r).contains("changed%20after%20the%20dry%20run"),
        "{}",
        location(&r)
    );
    let bad = [
        ("csrf", token.as_str()),
        ("format", "ndjson"),
        ("data", "{\"key\":\"k\"}\nnot json\n"),
    ];
    let r = post(&app, "/console/ns/default/import", &cookie, &bad, None).await;
    assert!(
        location(&r).contains("line%201"),
        "the bad line is named: {}",
        location(&r)
    );

    // Expiries: exported with NDJSON and CSV, imported back; JSON refuses.
    let put = json!({"key": "ttl", "value": 1, "expires_at": "2030-03-17T17:46:40Z"});
    let revision = app.result("records.put", put).await.as_i64().unwrap();
    let ndjson = get(&app, "/console/ns/default/export?format=ndjson", &cookie).await;
    let ndjson = ndjson.text().await.unwrap();
    assert!(
        ndjson.contains("\"expires_at\":\"2030-03-17T17:46:40.000000Z\""),
        "{ndjson}"
    );
    let json_file = get(&app, "/console/ns/default/export?format=json", &cookie).await;
    assert!(
        location(&json_file).contains("ndjson%20or%20csv"),
        "{}",
        location(&json_file)
    );
    let later = ndjson.replace("2030-03-17", "2031-03-17");
    let dry = [
        ("csrf", token.as_str()),
        ("format", "ndjson"),
        ("data", later.as_str()),
    ];
    let page = post(&app, "/console/ns/default/import", &cookie, &dry, None).await;
    let page = page.text().await.unwrap();
    assert!(
        page.contains("1 to change"),
        "a new expiry alone is a change"
    );
    for year in ["2030", "2031"] {
        let shown = format!("(expires at {year}-03-17T17:46:40.000000Z)");
        assert!(page.contains(&shown), "the diff shows {shown}");
    }
    let base = revision.to_string();
    let publish = [
        ("csrf", token.as_str()),
        ("format", "ndjson"),
        ("data", later.as_str()),
        ("step", "publish"),
        ("if_revision", base.as_str()),
    ];
    let r = post(&app, "/console/ns/default/import", &cookie, &publish, None).await;
    assert!(location(&r).contains("Imported"), "{}", location(&r));
    let ttl = app.result("records.get", json!(["ttl"])).await;
    assert_eq!(ttl["expires_at"], "2031-03-17T17:46:40.000000Z", "{ttl}");
}

/// A namespace that requires reviews refuses the console's publish and
/// import, and the page says what to do instead.
async fn the_console_meets_the_review_policy(app: TestApp) {
    let cookie = sign_in(&app, ADMIN).await;
    let token = csrf(&app, &cookie).await;
    let base = app.put("a", json!(1)).await.to_string();
    let policy = json!(["default", {"reviews_required": 1}]);
    let (_, reply) = app
        .call_as(Some(ADMIN), "namespaces.set_policy", policy)
        .await;
    assert_eq!(reply["result"], true, "{reply}");
    let changes = json!({"upserts": {"a": 2}}).to_string();
    let publish = [
        ("csrf", token.as_str()),
        ("changes", changes.as_str()),
        ("if_revision", base.as_str()),
        ("comment", ""),
    ];
    let import = [
        ("csrf", token.as_str()),
        ("format", "json"),
        ("data", "{\"a\": 3}"),
        ("step", "publish"),
        ("if_revision", base.as_str()),
        ("comment", ""),
    ];
    for (path, form) in [("publish", &publish[..]), ("import", &import[..])] {
        let r = post(
            &app,
            &format!("/console/ns/default/{path}"),
            &cookie,
            form,
            None,
        )
        .await;
        let to = location(&r);
        assert!(to.contains("approving%20review"), "{path}: {to}");
    }
    assert_eq!(
        app.result("records.get", json!(["a"])).await["value"],
        json!(1)
    );
}

crate::on_backends!(center:
    the_console_meets_the_review_policy,
    export_and_import,
    sessions_cookies_and_forgeries,
    a_change_set_is_published_with_its_comment_or_refused_on_conflict,
);
