//! The lockout attack: many addresses keep failing logins for one user
//! (Basic on `/RPC` and the console's sign-in form, half each) for a while,
//! and meanwhile the rightful owner signs in from two new addresses, once
//! with Basic and once in the console, and another user signs in from an
//! address that took part in the attack. Each legitimate login is retried
//! every 500 ms until it succeeds (or the attack ends); its time and tries
//! are reported.

use std::time::{Duration, Instant};

use serde_json::json;

use super::http::{self, exchange, exchange_typed, rpc_body, source, Target};
use super::Statuses;

/// How one legitimate login fared.
pub struct Login {
    pub ok: bool,
    pub tries: u32,
    pub ms: u128,
}

pub struct Outcome {
    pub attack: Statuses,
    pub owner_basic: Login,
    pub owner_console: Login,
    pub other_user: Login,
}

/// First address the attackers use; `addresses` of them from there on.
const ATTACKERS: usize = 6000;

/// `user:password` of the owner and of another user, the attack's length.
pub async fn run(
    center: &Target,
    owner: &str,
    other: &str,
    addresses: usize,
    seconds: u64,
) -> anyhow::Result<Outcome> {
    let (user, _) = owner.split_once(':').unwrap_or((owner, ""));
    let guesser = http::basic(&format!("{user}:not-the-password"))?;
    let until = Instant::now() + Duration::from_secs(seconds);
    let console = center.at("/console/login");
    let wrong_form = format!("username={user}&password=not-the-password&next=%2Fconsole");
    // The attackers: one task per address, guessing back to back.
    let attackers: Vec<_> = (0..addresses)
        .map(|i| {
            let (center, console, guesser, form) = (
                center.clone(),
                console.clone(),
                guesser.clone(),
                wrong_form.clone(),
            );
            tokio::task::spawn_local(async move {
                let mut statuses = Statuses::new();
                let from = source(ATTACKERS + i);
                let body = rpc_body("records.list", json!([]));
                for n in 0u64.. {
                    if Instant::now() >= until {
                        break;
                    }
                    let outcome = match n % 2 {
                        0 => exchange(&center, from, Some(&guesser), Some(&body)).await,
                        _ => exchange_typed(&console, from, FORM, None, Some(&form)).await,
                    };
                    super::count(&mut statuses, outcome.map(|r| r.status));
                }
                statuses
            })
        })
        .collect();
    // Let the attack build up (every user limit passed), then sign in.
    tokio::time::sleep(Duration::from_secs(seconds / 4)).await;
    let basic = http::basic(owner)?;
    let owner_basic = retry(until, || {
        let body = rpc_body("records.list", json!([]));
        let (center, basic) = (center.clone(), basic.clone());
        async move {
            let r = exchange(&center, source(9000), Some(&basic), Some(&body)).await;
            r.is_ok_and(|r| r.status == 200)
        }
    })
    .await;
    let (name, password) = owner.split_once(':').unwrap_or((owner, ""));
    let owner_form = format!("username={name}&password={password}&next=%2Fconsole");
    let owner_console = retry(until, || {
        let (console, form) = (console.clone(), owner_form.clone());
        async move {
            let r = exchange_typed(&console, source(9001), FORM, None, Some(&form)).await;
            r.is_ok_and(|r| r.status == 303)
        }
    })
    .await;
    let other_basic = http::basic(other)?;
    let other_user = retry(until, || {
        let body = rpc_body("records.list", json!([]));
        let (center, basic) = (center.clone(), other_basic.clone());
        async move {
            let r = exchange(&center, source(ATTACKERS), Some(&basic), Some(&body)).await;
            r.is_ok_and(|r| r.status == 200)
        }
    })
    .await;
    let mut attack = Statuses::new();
    for task in attackers {
        for (k, v) in task.await.unwrap_or_default() {
            *attack.entry(k).or_default() += v;
        }
    }
    Ok(Outcome {
        attack,
        owner_basic,
        owner_console,
        other_user,
    })
}

const FORM: &str = "application/x-www-form-urlencoded";

/// Tries `login` every 500 ms until it succeeds or `until` passes.
async fn retry<F, Fut>(until: Instant, login: F) -> Login
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let start = Instant::now();
    let mut tries = 0;
    loop {
        tries += 1;
        if login().await {
            return Login {
                ok: true,
                tries,
                ms: start.elapsed().as_millis(),
            };
        }
        if Instant::now() >= until {
            return Login {
                ok: false,
                tries,
                ms: start.elapsed().as_millis(),
            };
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}
