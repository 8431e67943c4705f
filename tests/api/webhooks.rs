//! Webhooks: every event of a change, signed per Standard Webhooks and
//! checked by an independent verifier (PyPI `standardwebhooks`), delivered
//! from the outbox in order, retried while a receiver is down, delivered
//! after a center stopped before sending, once across two centers, never
//! to a private address unless allowed.

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use serde_json::{json, Value};
use syncdict::configuration::WebhookSettings;
use syncdict::domain::{now_us, Level};

use crate::helpers::{add_user, Backend, TestApp, TestDb, ADMIN, WRITER};

/// `whsec_` and the base64 of 32 bytes.
const SECRET: &str = "whsec_c3luY2RpY3QtdGVzdC1zZWNyZXQtMDEyMzQ1Njc4OWFi";
const SECOND: i64 = 1_000_000;

/// One POST as the receiver got it.
#[derive(Debug, Clone)]
pub struct Delivery {
    id: String,
    timestamp: String,
    signature: String,
    pub body: String,
}

impl Delivery {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }
}

/// A receiver on a port of its own that records every POST and answers
/// `status` (set it to 503 to take it down).
pub struct Receiver {
    pub url: String,
    got: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let got = Arc::new(Mutex::new(Vec::new()));
        let status = Arc::new(AtomicU16::new(204));
        let (g, s) = (got.clone(), status.clone());
        let server = HttpServer::new(move || {
            let (g, s) = (g.clone(), s.clone());
            App::new().default_service(web::to(move |req: HttpRequest, body: String| {
                let (g, s) = (g.clone(), s.clone());
                async move {
                    let header = |name: &str| {
                        req.headers()
                            .get(name)
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string()
                    };
                    g.lock().unwrap().push(Delivery {
                        id: header("webhook-id"),
                        timestamp: header("webhook-timestamp"),
                        signature: header("webhook-signature"),
                        body,
                    });
                    let code = s.load(Ordering::Acquire);
                    if code == 0 {
                        // Hangs: the sender is mid-delivery until it gives up.
                        actix_web::rt::time::sleep(std::time::Duration::from_secs(3600)).await;
                    }
                    let mut reply =
                        HttpResponse::build(actix_web::http::StatusCode::from_u16(code).unwrap());
                    if code == 302 {
                        reply.insert_header(("Location", "http://127.0.0.1:9/elsewhere"));
                    }
                    reply.finish()
                }
            }))
        })
        .workers(1)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        actix_web::rt::spawn(server.run());
        Receiver {
            url: format!("http://127.0.0.1:{port}/hook"),
            got,
            status,
        }
    }

    pub fn got(&self) -> Vec<Delivery> {
        self.got.lock().unwrap().clone()
    }

    fn answer(&self, status: u16) {
        self.status.store(status, Ordering::Release);
    }
}

/// A webhook named `name` to `url`.
pub fn webhook(name: &str, url: &str) -> WebhookSettings {
    WebhookSettings {
        name: name.to_string(),
        url: url.to_string(),
        secret: SECRET.to_string(),
        events: Vec::new(),
        namespaces: Vec::new(),
    }
}

/// A center on `db` (or a fresh one) with `hooks`, private addresses allowed.
async fn center(db: Option<&TestDb>, hooks: Vec<WebhookSettings>) -> TestApp {
    let mut builder = TestApp::builder().center();
    if let Some(db) = db {
        builder = builder.database(db.url.clone(), None);
    }
    builder
        .with(move |s| {
            s.webhook = hooks;
            s.server.webhook_allow_private = true;
        })
        .spawn()
        .await
}

/// Checks every delivery's signature with PyPI's `standardwebhooks`;
/// answers how many it verified.
pub fn verify(deliveries: &[Delivery]) -> usize {
    verify_with(SECRET, deliveries)
}

/// As `verify`, with `secret`.
pub fn verify_with(secret: &str, deliveries: &[Delivery]) -> usize {
    let Some(python) = crate::helpers::peer("SYNCDICT_RPC4DJANGO_PYTHON") else {
        eprintln!("skipping the independent signature check");
        return deliveries.len();
    };
    let script = "import json, sys\n\
                  from standardwebhooks.webhooks import Webhook\n\
                  hook = Webhook(sys.argv[1])\n\
                  n = 0\n\
                  for d in json.load(sys.stdin):\n    \
                      hook.verify(d['body'], {'webhook-id': d['id'], 'webhook-timestamp': d['timestamp'], 'webhook-signature': d['signature']})\n    \
                      n += 1\n\
                  print(n)";
    let input: Vec<Value> = deliveries
        .iter()
        .map(|d| json!({"id": d.id, "timestamp": d.timestamp, "signature": d.signature, "body": d.body}))
        .collect();
    let mut child = std::process::Command::new(python)
        .args(["-c", script, secret])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(serde_json::to_string(&input).unwrap().as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

fn types(deliveries: &[Delivery]) -> Vec<String> {
    deliveries
        .iter()
        .map(|d| d.json()["type"].as_str().unwrap().to_string())
        .collect()
}

async fn every_event_is_signed_and_carries_its_change(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let receiver = Receiver::start().await;
    let app = center(Some(&db), vec![webhook("all", &receiver.url)]).await;
    add_user(&db.url, ("carol", "carol-password"), &[("*", Level::Write)]);
    let first = app.put("a", json!(1)).await;
    let params = json!([{"upserts": {"a": 2, "b": [3]}}, "default", null, "raise a"]);
    app.result("records.apply", params).await;
    app.result("namespaces.create", json!(["geo"])).await;
    app.result("namespaces.set_schema", json!(["geo", {"type": "integer"}]))
        .await;
    app.result("namespaces.rollback", json!(["default", first]))
        .await;
    let (_, reply) = app
        .call_as(
            Some(ADMIN),
            "namespaces.set_policy",
            json!(["geo", {"reviews_required": 1}]),
        )
        .await;
    assert_eq!(reply["result"], true);
    // A request proposed by WRITER and reviewed by carol: its id.
    let reviewed = |changes: Value, comment: &'static str, verdict: &'static str| {
        let app = &app;
        async move {
            let id = app
                .result("changes.propose", json!(["geo", changes, comment]))
                .await["id"]
                .clone();
            let carol = Some(("carol", "carol-password"));
            let params = json!([id, verdict, "fine"]);
            let (_, reply) = app.call_as(carol, "changes.review", params).await;
            assert_eq!(reply["result"], true, "{reply}");
            id
        }
    };
    let id = reviewed(json!({"upserts": {"x": 1}}), "add x", "approve").await;
    app.result("changes.publish", json!([id])).await;
    reviewed(json!({"upserts": {"y": 2}}), "add y", "reject").await;
    // Gray releases: each step, and a promotion with the revision it makes.
    let create = json!(["default", {"upserts": {"g": 1}}, {"percent": 10}]);
    let gray = app.result("gray.create", create.clone()).await["id"].clone();
    app.result("gray.update", json!([gray, {"percent": 20}]))
        .await;
    app.result("gray.abort", json!([gray, "enough"])).await;
    let promoted = app.result("gray.create", create).await["id"].clone();
    app.result("gray.promote", json!([promoted])).await;
    app.call_as(Some(ADMIN), "namespaces.delete", json!(["geo", true]))
        .await;

    assert!(receiver.got().is_empty(), "nothing is sent before a round");
    let delivered = app.maintenance().deliver(now_us()).await.unwrap();
    let got = receiver.got();
    assert_eq!(delivered, got.len());
    assert_eq!(
        types(&got),
        [
            "publish",
            "publish",
            "namespace.created",
            "schema.changed",
            "publish",
            "rollback",
            "review.opened",
            "review.approved",
            "publish",
            "review.published",
            "review.opened",
            "review.rejected",
            "gray.created",
            "gray.retargeted",
            "gray.aborted",
            "gray.created",
            "publish",
            "gray.promoted",
            "namespace.deleted"
        ]
    );
    assert_eq!(verify(&got), got.len(), "every signature verifies");
    let ids: Vec<i64> = got
        .iter()
        .map(|d| d.id.strip_prefix("evt_").unwrap().parse().unwrap())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    let apply = got[1].json();
    assert_eq!(apply["data"]["comment"], "raise a");
    assert_eq!(apply["data"]["author"], WRITER.0);
    assert_eq!(
        apply["data"]["changes"],
        json!([{"key": "a", "old": 1, "new": 2}, {"key": "b", "old": null, "new": [3]}])
    );
    assert_eq!(
        got[5].json()["data"]["changes"][0],
        json!({"key": "a", "old": 2, "new": 1})
    );
    let published = got[9].json();
    assert_eq!(published["data"]["approvers"], json!(["carol"]));
    assert_eq!(published["data"]["request"], id);
    assert_eq!(published["data"]["comment"], "add x");
    let widened = got[13].json();
    assert_eq!(widened["data"]["release"], gray);
    assert_eq!(widened["data"]["target"], json!({"percent": 20.0}));
    let aborted = got[14].json();
    assert_eq!(aborted["data"]["comment"], "enough");
    let merged = got[17].json();
    assert_eq!(merged["data"]["release"], promoted);
    assert!(merged["data"]["revision"].as_i64().is_some(), "{merged}");
    // Nothing is sent twice.
    assert_eq!(app.maintenance().deliver(now_us()).await.unwrap(), 0);
}

async fn a_receiver_that_is_down_gets_every_event_later_in_order(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let receiver = Receiver::start().await;
    let app = center(Some(&db), vec![webhook("down", &receiver.url)]).await;
    let deliver = |at: i64| {
        let app = &app;
        async move { app.maintenance().deliver(at).await.unwrap() }
    };
    receiver.answer(503);
    for i in 0..3 {
        app.put(&format!("k{i}"), json!(i)).await;
    }
    let t0 = now_us();
    assert_eq!(deliver(t0).await, 0);
    assert_eq!(receiver.got().len(), 1, "one attempt, then it waits");
    assert_eq!(deliver(t0 + SECOND / 2).await, 0);
    assert_eq!(receiver.got().len(), 1, "the backoff is not over");
    assert_eq!(deliver(t0 + 2 * SECOND).await, 0);
    assert_eq!(receiver.got().len(), 2);
    receiver.answer(200);
    assert_eq!(deliver(t0 + 60 * SECOND).await, 3);
    let got = receiver.got();
    let ids: Vec<&str> = got.iter().map(|d| d.id.as_str()).collect();
    assert_eq!(ids[0], ids[1], "a retry keeps its id");
    assert_eq!(ids[1], ids[2]);
    let keys: Vec<Value> = got[2..]
        .iter()
        .map(|d| d.json()["data"]["changes"][0]["key"].clone())
        .collect();
    assert_eq!(keys, [json!("k0"), json!("k1"), json!("k2")]);
    assert_eq!(verify(&got), got.len());

    // Still failing a day after the first failure: logged as failed and
    // passed, and so is what follows while the receiver keeps failing
    // (one attempt each); once it answers, deliveries resume.
    receiver.answer(500);
    app.put("lost", json!(1)).await;
    let t1 = t0 + 120 * SECOND;
    assert_eq!(deliver(t1).await, 0);
    app.put("also-lost", json!(1)).await;
    let attempts = receiver.got().len();
    assert_eq!(deliver(t1 + 25 * 3600 * SECOND).await, 0, "both given up");
    assert_eq!(receiver.got().len(), attempts + 2, "one attempt each");
    receiver.answer(204);
    app.put("after", json!(1)).await;
    assert_eq!(deliver(t1 + 26 * 3600 * SECOND).await, 1);
    let last = receiver.got().last().unwrap().json();
    assert_eq!(last["data"]["changes"][0]["key"], "after");
    let metrics = app.get("/metrics").await.text().await.unwrap();
    for (outcome, n) in [("delivered", 4), ("retried", 3), ("failed", 2)] {
        let line = format!(
            "syncdict_webhook_deliveries_total{{webhook=\"down\",outcome=\"{outcome}\"}} {n}\n"
        );
        assert!(metrics.contains(&line), "{line} in\n{metrics}");
    }
}

async fn a_center_stopped_before_sending_delivers_after_restart(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let receiver = Receiver::start().await;
    let hooks = vec![webhook("restart", &receiver.url)];
    let mut first = center(Some(&db), hooks.clone()).await;
    first.put("committed", json!(true)).await;
    first.stop().await;
    assert!(receiver.got().is_empty());
    let second = center(Some(&db), hooks).await;
    assert_eq!(second.maintenance().deliver(now_us()).await.unwrap(), 1);
    assert_eq!(
        receiver.got()[0].json()["data"]["changes"][0]["key"],
        "committed"
    );
}

async fn two_centers_deliver_each_event_once(backend: Backend) {
    const CHANGES: usize = 1000;
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let receiver = Receiver::start().await;
    let hooks = vec![webhook("once", &receiver.url)];
    let a = center(Some(&db), hooks.clone()).await;
    let b = center(Some(&db), hooks).await;
    for i in 0..CHANGES {
        let via = if i % 2 == 0 { &a } else { &b };
        via.put(&format!("k{i:04}"), json!(i)).await;
    }
    let mut rounds = 0;
    while receiver.got().len() < CHANGES {
        rounds += 1;
        assert!(rounds < 100, "only {} delivered", receiver.got().len());
        let now = now_us();
        let (x, y) =
            futures_util::future::join(a.maintenance().deliver(now), b.maintenance().deliver(now))
                .await;
        x.unwrap();
        y.unwrap();
    }
    let got = receiver.got();
    assert_eq!(got.len(), CHANGES, "each event once");
    let keys: Vec<String> = got
        .iter()
        .map(|d| {
            d.json()["data"]["changes"][0]["key"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    let expected: Vec<String> = (0..CHANGES).map(|i| format!("k{i:04}")).collect();
    assert_eq!(keys, expected, "in order");
}

crate::on_backends!(
    every_event_is_signed_and_carries_its_change,
    a_receiver_that_is_down_gets_every_event_later_in_order,
    a_center_stopped_before_sending_delivers_after_restart,
    two_centers_deliver_each_event_once,
);

/// A webhook aimed at a private address is refused unless allowed, and a
/// redirect is a failed delivery, never followed.
#[actix_web::test]
async fn private_addresses_and_redirects_are_refused() {
    let receiver = Receiver::start().await;
    let app = TestApp::builder()
        .center()
        .with({
            let url = receiver.url.clone();
            let by_name = url.replace("127.0.0.1", "localhost");
            move |s| s.webhook = vec![webhook("private", &url), webhook("by-name", &by_name)]
        })
        .spawn()
        .await;
    app.put("a", json!(1)).await;
    assert_eq!(app.maintenance().deliver(now_us()).await.unwrap(), 0);
    assert!(receiver.got().is_empty(), "nothing reached 127.0.0.1");

    let receiver = Receiver::start().await;
    receiver.answer(302);
    let app = center(None, vec![webhook("redirected", &receiver.url)]).await;
    app.put("a", json!(1)).await;
    assert_eq!(app.maintenance().deliver(now_us()).await.unwrap(), 0);
    assert_eq!(receiver.got().len(), 1, "one attempt, not followed");
}

/// Administrators add, list and remove webhooks over RPC; the secret is
/// shown once; the delivery log shows each attempt; an event can be sent
/// again with its id.
#[actix_web::test]
async fn webhooks_added_over_rpc() {
    let receiver = Receiver::start().await;
    let app = center(
        None,
        vec![webhook("fixed", &format!("{}/fixed", receiver.url))],
    )
    .await;
    let admin = |method: &'static str, params: Value| {
        let app = &app;
        async move { app.call_as(Some(ADMIN), method, params).await.1 }
    };
    let (status, _) = app
        .call_as(Some(WRITER), "webhooks.add", json!(["mine", receiver.url]))
        .await;
    assert_eq!(status, 403);
    for bad in [
        json!(["Bad Name", receiver.url]),
        json!(["x", "ftp://example.com"]),
        json!(["x", receiver.url, ["published"]]),
        json!(["fixed", receiver.url]),
    ] {
        let reply = admin("webhooks.add", bad.clone()).await;
        assert_eq!(reply["error"]["code"], -32602, "{bad}: {reply}");
    }
    let added = admin(
        "webhooks.add",
        json!(["rpc-hook", receiver.url, ["publish"], ["default"]]),
    )
    .await;
    let secret = added["result"]["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{added}");
    let listed = admin("webhooks.list", json!([])).await["result"].clone();
    assert_eq!(listed[0]["source"], "settings");
    assert_eq!(listed[1]["name"], "rpc-hook");
    assert_eq!(listed[1]["source"], "rpc");
    assert!(
        !listed.to_string().contains("whsec_"),
        "never the secret: {listed}"
    );

    app.put("a", json!(1)).await;
    app.result("namespaces.create", json!(["geo"])).await;
    app.maintenance().deliver(now_us()).await.unwrap();
    let mine: Vec<Delivery> = receiver
        .got()
        .into_iter()
        .filter(|d| !d.body.is_empty())
        .collect();
    let to_rpc_hook: Vec<Delivery> = mine
        .iter()
        .filter(|d| d.json()["type"] == "publish")
        .cloned()
        .collect();
    assert_eq!(to_rpc_hook.len(), 2, "publish to both webhooks");
    assert_eq!(mine.len(), 3, "namespace.created only to the fixed one");
    let log = admin("webhooks.log", json!(["rpc-hook"])).await["result"].clone();
    assert_eq!(log.as_array().unwrap().len(), 1);
    assert_eq!(log[0]["outcome"], "delivered");
    let event = log[0]["event"].as_i64().unwrap();
    let again = admin("webhooks.redeliver", json!(["rpc-hook", event])).await;
    assert_eq!(again["result"]["delivered"], true, "{again}");
    let last = receiver.got().last().unwrap().clone();
    assert_eq!(last.id, format!("evt_{event}"), "the same id");
    assert_eq!(
        verify_with(&secret, &[last]),
        1,
        "signed with the secret shown"
    );
    let log = admin("webhooks.log", json!(["rpc-hook"])).await["result"].clone();
    assert_eq!(log[0]["outcome"], "redelivered");

    let reply = admin("webhooks.remove", json!(["fixed"])).await;
    assert_eq!(
        reply["error"]["code"], -32602,
        "settings are changed in the settings"
    );
    assert_eq!(
        admin("webhooks.remove", json!(["rpc-hook"])).await["result"],
        true
    );
    assert_eq!(
        admin("webhooks.remove", json!(["rpc-hook"])).await["result"],
        false
    );
    let before = receiver.got().len();
    app.put("b", json!(2)).await;
    app.maintenance().deliver(now_us()).await.unwrap();
    assert_eq!(receiver.got().len(), before + 1, "only the fixed one now");
}

/// A center process killed (SIGKILL) while a delivery is under way, after
/// the change committed: restarted, it sends the event again, with the
/// same id.
#[actix_web::test]
async fn a_center_killed_mid_delivery_sends_the_event_after_restart() {
    use crate::processes::{add_writer, Process};
    let receiver = Receiver::start().await;
    receiver.answer(0);
    let dir = crate::helpers::Scratch::new();
    add_writer(&dir);
    let settings = format!(
        "[server]\nroles = [\"center\"]\nport = 0\nwebhook_allow_private = true\n\
         [database]\nurl = \"sqlite://center.db\"\n\
         [[webhook]]\nname = \"killed\"\nurl = \"{}\"\nsecret = \"{SECRET}\"\n",
        receiver.url
    );
    std::fs::write(dir.join("Settings.toml"), settings).unwrap();
    let mut center = Process::start(&dir, &[], None);
    let port = center.port().await;
    let body = json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k", 1], "id": 1});
    let reply: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/RPC"))
        .basic_auth(WRITER.0, Some(WRITER.1))
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(reply["result"], 1, "{reply}");
    crate::helpers::eventually(
        std::time::Duration::from_secs(20),
        "the delivery began",
        async || !receiver.got().is_empty(),
    )
    .await;
    // The receiver hangs (for an hour); writes go on regardless.
    let body = json!({"jsonrpc": "2.0", "method": "records.put", "params": ["k2", 2], "id": 2});
    let reply: Value = reqwest::Client::new()
        .post(format!("http://127.0.0.1:{port}/RPC"))
        .basic_auth(WRITER.0, Some(WRITER.1))
        .timeout(std::time::Duration::from_secs(60))
        .json(&body)
        .send()
        .await
        .expect("a write while the receiver hangs")
        .json()
        .await
        .unwrap();
    assert_eq!(reply["result"], 2, "{reply}");
    center.kill();
    receiver.answer(204);
    // Once the killed center's lease has run out (20 s).
    let _restarted = Process::start(&dir, &[], None);
    crate::helpers::eventually(
        std::time::Duration::from_secs(90),
        "delivered after restart",
        async || receiver.got().len() >= 2,
    )
    .await;
    let got = receiver.got();
    assert_eq!(got[0].id, got[1].id, "the same event, the same id");
    assert_eq!(got[1].json()["data"]["changes"][0]["key"], "k");
    assert_eq!(verify(&got[1..2]), 1);
}

/// An attempt logged twice (a center stopped after logging a delivery and
/// before moving its cursor sends it again) is kept once and stops nothing.
#[actix_web::test]
async fn an_attempt_logged_twice_is_kept_once() {
    let app = center(None, Vec::new()).await;
    let settings = syncdict::configuration::DatabaseSettings {
        url: app.database_url().unwrap().clone(),
        ..Default::default()
    };
    let mut conn = syncdict::db::connect(&settings).unwrap();
    let attempt = syncdict::db::outbox::Attempt {
        webhook: "w".into(),
        event_id: 1,
        attempt: 1,
        at_us: 1,
        outcome: "delivered".into(),
        status: Some(204),
        error: String::new(),
    };
    syncdict::db::outbox::log(&mut conn, &attempt).unwrap();
    syncdict::db::outbox::log(&mut conn, &attempt).unwrap();
    assert_eq!(
        syncdict::db::outbox::attempts(&mut conn, "w", 10)
            .unwrap()
            .len(),
        1
    );
}
