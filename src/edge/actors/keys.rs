//! `AskKeys`: the secret namespaces' keys granted to this edge, asked of
//! the upstreams in order with the pull's credentials (`secrets.keys`).

use actix::prelude::*;

use super::rpc_client::{authorize, RpcClient, UpstreamAuth};
use crate::configuration::UpstreamUrl;
use crate::domain::{Namespace, EDGE_HEADER};
use crate::edge::keyring::{keys_reply, keys_request, KeysReply};
use crate::edge::protocol::Pulled;
use crate::edge::store::EdgeStore;
use crate::sealing::Recipient;

/// Largest `secrets.keys` reply read (one grant is a few hundred bytes).
const MAX_KEYS_REPLY: usize = 256 << 10;

/// Asks each namespace's sealing; a namespace no upstream answered for is
/// left out (asked again with the next pull).
#[derive(Message)]
#[rtype(result = "Vec<(Namespace, KeysReply)>")]
pub struct AskKeys {
    pub namespaces: Vec<Namespace>,
    pub recipient: Option<Recipient>,
}

impl Handler<AskKeys> for RpcClient {
    type Result = ResponseFuture<Vec<(Namespace, KeysReply)>>;

    fn handle(&mut self, msg: AskKeys, _: &mut Self::Context) -> Self::Result {
        let (http, auth, upstreams) = self.caller();
        let name = self.settings_name();
        Box::pin(async move {
            let mut answers = Vec::new();
            for ns in msg.namespaces {
                let body = keys_request(&ns, msg.recipient.as_ref());
                for upstream in &upstreams {
                    let reply = post(&http, upstream, &auth, &name, &body).await;
                    if let Some(reply) = reply.as_deref().and_then(keys_reply) {
                        answers.push((ns.clone(), reply));
                        break;
                    }
                }
            }
            answers
        })
    }
}

/// Asks the keys applying `pulled` needs and learns them; answers the
/// namespaces whose key changed (to open again whole).
pub async fn learn_keys(
    client: &Addr<RpcClient>,
    store: &EdgeStore,
    pulled: &Pulled,
) -> Vec<Namespace> {
    let keyring = store.keyring();
    let wanted = keyring.wanted(pulled, &store.namespaces());
    if wanted.is_empty() {
        return Vec::new();
    }
    let ask = AskKeys {
        namespaces: wanted,
        recipient: keyring.recipient(),
    };
    let answers = client.send(ask).await.unwrap_or_default();
    answers
        .into_iter()
        .filter(|(ns, reply)| keyring.learn(ns, reply.clone()))
        .map(|(ns, _)| ns)
        .collect()
}

/// The body `upstream` answers to `body`, if it answers 200 within the
/// bound.
async fn post(
    http: &reqwest::Client,
    upstream: &UpstreamUrl,
    auth: &UpstreamAuth,
    name: &str,
    body: &str,
) -> Option<Vec<u8>> {
    let request = http
        .post(&upstream.url)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EDGE_HEADER, name)
        .body(body.to_string());
    let mut response = authorize(request, upstream, auth).send().await.ok()?;
    if !response.status().is_success() {
        return None;
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.ok()? {
        if bytes.len() + chunk.len() > MAX_KEYS_REPLY {
            return None;
        }
        bytes.extend_from_slice(&chunk);
    }
    Some(bytes)
}
