//! `RpcClient`: one JSON-RPC request per pull over HTTP or HTTPS (no
//! long-lived connections are relied on; TLS sessions are resumed), trying
//! each upstream in order, with the edge's credentials.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use actix::prelude::*;

use crate::configuration::UpstreamUrl;
use crate::configuration::{ClientSettings, PullMode};
use crate::domain::{DigestReport, EdgeName, HealthReport, ReleaseId};
use crate::edge::protocol::{self, Pulled};
use crate::edge::upstreams::Upstreams;
use crate::edge::PullError;

mod auth;
mod fetch;
pub(super) use auth::authorize;
pub use auth::{TokenFileError, UpstreamAuth};
use fetch::{fetch, Identity, Reply};

pub struct RpcClient {
    http: reqwest::Client,
    /// `client.name` (or the host name), sent with each pull.
    name: EdgeName,
    /// `client.labels`, canonical, sent with each pull unless empty.
    labels: Option<Arc<str>>,
    auth: UpstreamAuth,
    /// Order of preference and cooldowns; shared with the status and metrics.
    upstreams: Arc<Mutex<Upstreams>>,
    settings: ClientSettings,
}

impl Actor for RpcClient {
    type Context = Context<Self>;
}

impl RpcClient {
    pub fn new(
        upstreams: Arc<Mutex<Upstreams>>,
        settings: ClientSettings,
        auth: UpstreamAuth,
        tls: rustls::ClientConfig,
    ) -> Result<Self, reqwest::Error> {
        let http = reqwest::Client::builder()
            .tls_backend_preconfigured(tls)
            .timeout(settings.timeout.get())
            .connect_timeout(settings.timeout.get().min(Duration::from_secs(3)))
            // A connection per pull, as edges of the original design; a
            // holding edge keeps its one connection, as its next pull
            // follows at once (dropped after 2 s idle, well before a
            // server's keep-alive ends, so a closing one is never reused).
            .pool_max_idle_per_host(usize::from(!settings.hold.get().is_zero()))
            .pool_idle_timeout(Duration::from_secs(2))
            // An upstream may not send the edge's POST, credentials
            // included, anywhere else: a redirect is a failed pull.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("syncdict/", env!("CARGO_PKG_VERSION")))
            .build()?;
        let labels = crate::domain::Labels::from_map(&settings.labels)
            .ok()
            .filter(|l| !l.is_empty())
            .map(|l| Arc::from(l.as_str()));
        Ok(RpcClient {
            http,
            labels,
            name: settings.edge_name(),
            auth,
            upstreams,
            settings,
        })
    }
}

/// What a pull fetched.
#[derive(Debug)]
pub struct Fetched {
    pub pulled: Pulled,
    pub upstream: String,
    /// In `method` mode, the reply's hash, for the scheduler to remember
    /// once the data is applied.
    pub body_hash: Option<u64>,
    /// `url: reason` of each upstream that failed before this one answered.
    pub failed_over: Vec<String>,
    /// Bytes of the reply body.
    pub reply_bytes: u64,
    /// The revision the upstream refused as invalid, if the pull started
    /// over from 0 because of it.
    pub restarted_from: Option<i64>,
    /// Whether the upstream that answered was asked to hold the pull.
    pub held: bool,
}

/// Fetches what changed since `since` (or the whole dataset in `method`
/// mode) from the first upstream that answers, in `Upstreams::order` at
/// `at`; answers the data and the upstream that served it.
#[derive(Message)]
#[rtype(result = "Result<Fetched, PullError>")]
pub struct Pull {
    pub since: i64,
    /// The time the pull is made at: upstreams cooling down at `at` are
    /// tried last, and one that fails cools down from `at`.
    pub at: Instant,
    /// In `method` mode, the hash of the last applied reply: a reply with
    /// the same hash is reported unchanged without being parsed.
    pub applied_hash: Option<u64>,
    /// A held pull: ask upstreams to hold it this long while nothing changes.
    pub wait: Option<Duration>,
    /// The last digest check, told to the upstreams (`Syncdict-Edge-Digest`).
    pub digest: DigestReport,
    /// The gray releases its data holds (`Syncdict-Gray`).
    pub releases: Vec<ReleaseId>,
    /// Its health on that data (`Syncdict-Health`), when known.
    pub health: Option<HealthReport>,
}

impl Handler<Pull> for RpcClient {
    type Result = ResponseFuture<Result<Fetched, PullError>>;

    fn handle(&mut self, msg: Pull, _: &mut Self::Context) -> Self::Result {
        let http = self.http.clone();
        let auth = self.auth.clone();
        let upstreams = self.upstreams.clone();
        let s = self.settings.clone();
        let who = self.identity(&msg);
        Box::pin(async move {
            let body = |wait| match s.mode {
                PullMode::Changes => protocol::changes_request(msg.since, &s.namespaces, wait),
                PullMode::Method => protocol::method_request(&s.method, s.jsonrpc_version),
            };
            let (order, list) = {
                let u = lock(&upstreams);
                (u.order(msg.at), u.list().to_vec())
            };
            let mut failures = Vec::new();
            for i in order {
                let upstream = &list[i];
                let mut restarted_from = None;
                let mut wait = msg.wait.filter(|_| lock(&upstreams).may_hold(i, msg.at));
                let mut fetched = fetch(
                    &http,
                    (upstream, &who),
                    &auth,
                    &body(wait),
                    &s,
                    msg.applied_hash,
                    wait,
                )
                .await;
                if wait.is_some() && invalid_params(&fetched) {
                    // A center from before held pulls refuses `wait`: ask
                    // without it (if that is refused too, `since` was).
                    fetched =
                        fetch(&http, (upstream, &who), &auth, &body(None), &s, None, None).await;
                    if !invalid_params(&fetched) {
                        lock(&upstreams).refused_wait(i, msg.at);
                        tracing::info!(upstream = %upstream.url, "the upstream does not hold pulls; pulling every client.interval");
                        wait = None;
                    }
                }
                if refused_since(&fetched, s.mode, msg.since) {
                    // The upstream does not know our revision (a bad one
                    // kept from before, another store): start over, once.
                    restarted_from = Some(msg.since);
                    let from_zero = protocol::changes_request(0, &s.namespaces, wait);
                    fetched =
                        fetch(&http, (upstream, &who), &auth, &from_zero, &s, None, wait).await;
                }
                match fetched {
                    Ok(Reply {
                        pulled,
                        body_hash,
                        bytes,
                    }) => {
                        lock(&upstreams).succeeded(i, crate::domain::now_us());
                        return Ok(Fetched {
                            pulled,
                            upstream: upstream.url.clone(),
                            body_hash,
                            failed_over: failures,
                            reply_bytes: bytes,
                            restarted_from,
                            held: wait.is_some(),
                        });
                    }
                    Err(e) => {
                        let now_us = crate::domain::now_us();
                        lock(&upstreams).failed(i, msg.at, now_us, e.to_string());
                        failures.push(format!("{}: {e}", upstream.url));
                    }
                }
            }
            Err(PullError::AllFailed(failures))
        })
    }
}

/// Whether an upstream refused `since` itself (invalid params) in `changes`
/// mode, so that asking from 0 may succeed.
fn refused_since(fetched: &Result<Reply, PullError>, mode: PullMode, since: i64) -> bool {
    mode == PullMode::Changes && since != 0 && invalid_params(fetched)
}

/// Whether the upstream answered "invalid params".
fn invalid_params(fetched: &Result<Reply, PullError>) -> bool {
    let invalid_params = crate::rpc::error::INVALID_PARAMS;
    matches!(fetched, Err(PullError::Rpc { code, .. }) if *code == invalid_params)
}

fn lock(upstreams: &Mutex<Upstreams>) -> std::sync::MutexGuard<'_, Upstreams> {
    upstreams.lock().unwrap_or_else(|p| p.into_inner())
}

impl RpcClient {
    /// What a call other than a pull needs: the HTTP client, the
    /// credentials, and the upstreams in the order to try them now.
    pub(super) fn caller(&self) -> (reqwest::Client, UpstreamAuth, Vec<UpstreamUrl>) {
        let u = lock(&self.upstreams);
        let (order, list) = (u.order(Instant::now()), u.list());
        let ordered = order.into_iter().map(|i| list[i].clone()).collect();
        (self.http.clone(), self.auth.clone(), ordered)
    }

    /// The edge's name, as each request to an upstream says.
    pub(super) fn settings_name(&self) -> String {
        self.name.as_str().to_string()
    }

    /// What this edge says of itself with `pull`.
    fn identity(&self, pull: &Pull) -> Identity {
        Identity {
            name: self.name,
            labels: self.labels.clone(),
            digest: pull.digest,
            releases: (!pull.releases.is_empty()).then(|| {
                let ids: Vec<String> = pull.releases.iter().map(|id| id.0.to_string()).collect();
                ids.join(",")
            }),
            health: pull.health.map(|h| h.to_header()),
        }
    }
}
