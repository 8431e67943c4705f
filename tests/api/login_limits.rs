//! Password guessing is slowed, and cannot be turned into a lockout of the
//! rightful user (`[login]`, ARCHITECTURE.md "Logins"). The trickle is set
//! to the window (an hour), so no assertion depends on how fast the
//! machine answers.

use std::time::Duration;

use serde_json::json;
use syncdict::configuration::{Cidr, HumanDuration, LoginSettings};

use crate::helpers::{TestApp, ADMIN, READER, WRITER};

const HOUR: Duration = Duration::from_secs(3600);

fn list() -> String {
    json!({"jsonrpc": "2.0", "method": "records.list", "id": 1}).to_string()
}

/// A center behind a trusted proxy (loopback), so each request may say
/// which client address it comes from; the trickle is an hour, and no
/// login is remembered (each one meets the limiter).
async fn center() -> TestApp {
    spawn(true).await
}

async fn spawn(behind_proxy: bool) -> TestApp {
    TestApp::builder()
        .center()
        .with(move |s| {
            if behind_proxy {
                s.server.trusted_proxies = vec![Cidr::parse("127.0.0.0/8").unwrap()];
            }
            s.server.remember_logins = HumanDuration(Duration::ZERO);
            s.login = LoginSettings {
                window: HumanDuration(HOUR),
                trickle: HumanDuration(HOUR),
                ..LoginSettings::default()
            };
        })
        .spawn()
        .await
}

/// `/RPC` with Basic credentials from `client`: the status.
async fn basic(app: &TestApp, client: &str, (user, password): (&str, &str)) -> u16 {
    app.client
        .post(app.rpc_url())
        .header("Content-Type", "application/json")
        .header("X-Forwarded-For", client)
        .basic_auth(user, Some(password))
        .body(list())
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// The console's sign-in form from `client`: the status (303 signed in).
async fn console(app: &TestApp, client: &str, (user, password): (&str, &str)) -> u16 {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .post(format!("{}/console/login", app.address))
        .header("Content-Type", "application/x-www-form-urlencoded")
        .header("X-Forwarded-For", client)
        .body(format!(
            "username={user}&password={password}&next=%2Fconsole"
        ))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// One address guessing one user: `pair_failures` checks, one more (the
/// trickle's), then 429 with `Retry-After`, even for the right password
/// from there. Another user from that address and the same user from
/// another address are not held up.
#[actix_web::test]
async fn a_guesser_is_slowed_for_its_address_and_user_only() {
    let app = center().await;
    let wrong = (WRITER.0, "guess");
    for _ in 0..LoginSettings::default().pair_failures + 1 {
        assert_eq!(basic(&app, "198.51.100.1", wrong).await, 401);
    }
    let slowed = app
        .client
        .post(app.rpc_url())
        .header("Content-Type", "application/json")
        .header("X-Forwarded-For", "198.51.100.1")
        .basic_auth(WRITER.0, Some(WRITER.1))
        .body(list())
        .send()
        .await
        .unwrap();
    assert_eq!(slowed.status(), 429, "the pair waits for its trickle");
    let wait: u64 = slowed.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 0 && wait <= HOUR.as_secs(), "{wait}");
    assert_eq!(
        basic(&app, "198.51.100.1", READER).await,
        200,
        "another user"
    );
    assert_eq!(
        basic(&app, "198.51.100.2", WRITER).await,
        200,
        "from elsewhere"
    );
}

/// The lockout attack: many addresses fail logins for the administrator;
/// meanwhile the administrator signs in at the first try from new
/// addresses, in the console and with Basic, and another user signs in
/// from an address where others failed. The attackers' own addresses are
/// slowed to one shared trickle.
#[actix_web::test]
async fn many_addresses_failing_for_a_user_cannot_lock_it_out() {
    let app = center().await;
    for i in 0..80 {
        let client = format!("203.0.113.{i}");
        let status = match i % 2 {
            0 => basic(&app, &client, (ADMIN.0, "guess")).await,
            _ => console(&app, &client, (ADMIN.0, "guess")).await,
        };
        assert_eq!(status, 401, "each new address gets its check");
    }
    assert_eq!(console(&app, "192.0.2.10", ADMIN).await, 303, "console");
    assert_eq!(basic(&app, "192.0.2.11", ADMIN).await, 200, "Basic");
    assert_eq!(basic(&app, "203.0.113.5", READER).await, 200, "a reader");
    // The attackers: one check between them, then they wait.
    assert_eq!(basic(&app, "203.0.113.1", (ADMIN.0, "guess")).await, 401);
    for i in 2..40 {
        let client = format!("203.0.113.{i}");
        assert_eq!(basic(&app, &client, (ADMIN.0, "guess")).await, 429);
    }
}

/// An office behind one address: many users' typos there do not refuse a
/// user signing in from it, up to `address_failures`; past it, a user who
/// signed in from there before still passes.
#[actix_web::test]
async fn one_address_shared_by_many_users() {
    let app = center().await;
    assert_eq!(basic(&app, "198.51.100.7", READER).await, 200);
    let limit = LoginSettings::default().address_failures;
    for i in 0..limit {
        let name = format!("user{i}");
        assert_eq!(basic(&app, "198.51.100.7", (&name, "typo")).await, 401);
    }
    assert_eq!(
        basic(&app, "198.51.100.7", ADMIN).await,
        200,
        "the trickle's one"
    );
    assert_eq!(basic(&app, "198.51.100.7", (WRITER.0, "x")).await, 429);
    assert_eq!(basic(&app, "198.51.100.7", READER).await, 200, "known here");
}

/// Concurrent guesses from one address: attempts are admitted before the
/// password check, at most `max_in_flight` at once, so a burst sent before
/// any has failed cannot run them all.
#[actix_web::test]
async fn concurrent_guesses_are_limited_too() {
    let app = TestApp::builder().center().spawn().await;
    let guesses = (0..12).map(|i| {
        let request = app
            .client
            .post(app.rpc_url())
            .header("Content-Type", "application/json")
            .basic_auth(WRITER.0, Some(format!("guess-{i}")))
            .body(list());
        async move { request.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    let in_flight = LoginSettings::default().max_in_flight as usize;
    assert_eq!(checked + refused, 12, "{statuses:?}");
    assert!(
        checked <= in_flight,
        "at most {in_flight} ran: {statuses:?}"
    );
}

/// Without `server.trusted_proxies` the `X-Forwarded-For` header is not
/// believed: every guess counts for the peer.
#[actix_web::test]
async fn forwarded_addresses_count_only_from_trusted_proxies() {
    let app = spawn(false).await;
    for i in 0..=LoginSettings::default().pair_failures {
        let client = format!("198.51.100.{i}");
        assert_eq!(basic(&app, &client, (WRITER.0, "guess")).await, 401);
    }
    assert_eq!(
        basic(&app, "198.51.100.99", (WRITER.0, "guess")).await,
        429,
        "an untrusted peer's header is ignored"
    );
}
