//! One request to one upstream: what the edge says of itself, the reply
//! read within its bound, and parsed as the pull mode says.

use std::sync::Arc;
use std::time::Duration;

use super::auth::{authorize, UpstreamAuth};
use crate::configuration::{ClientSettings, PullMode, UpstreamUrl};
use crate::domain::{
    now_us, DigestReport, EdgeName, DIGEST_HEADER, EDGE_HEADER, GRAY_HEADER, HEALTH_HEADER,
    LABELS_HEADER,
};
use crate::edge::protocol::{self, Pulled};
use crate::edge::PullError;

/// What one upstream answered.
pub(super) struct Reply {
    pub pulled: Pulled,
    /// `method` mode: the hash of the reply body.
    pub body_hash: Option<u64>,
    pub bytes: u64,
}

/// What the edge says of itself with each pull, for the fleet view, its
/// gray releases and their canaries.
pub(super) struct Identity {
    pub name: EdgeName,
    pub labels: Option<Arc<str>>,
    pub digest: DigestReport,
    pub releases: Option<String>,
    pub health: Option<String>,
}

/// One pull from `upstream`: the request with the edge's identity and
/// credentials, the reply read within `client.max_reply` and parsed.
pub(super) async fn fetch(
    http: &reqwest::Client,
    (upstream, who): (&UpstreamUrl, &Identity),
    auth: &UpstreamAuth,
    body: &str,
    s: &ClientSettings,
    applied_hash: Option<u64>,
    wait: Option<Duration>,
) -> Result<Reply, PullError> {
    let mut request = http
        .post(&upstream.url)
        // A held pull may take its wait, then the usual time to answer.
        .timeout(s.timeout.get() + wait.unwrap_or_default())
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .header(EDGE_HEADER, who.name.as_str())
        .header(DIGEST_HEADER, who.digest.label())
        .body(body.to_string());
    if let Some(labels) = &who.labels {
        request = request.header(LABELS_HEADER, labels.as_ref());
    }
    if let Some(releases) = &who.releases {
        request = request.header(GRAY_HEADER, releases.as_str());
    }
    if let Some(health) = &who.health {
        request = request.header(HEALTH_HEADER, health.as_str());
    }
    request = authorize(request, upstream, auth);
    let mut response = request.send().await.map_err(transport)?;
    if !response.status().is_success() {
        return Err(PullError::Status(response.status().as_u16()));
    }
    let limit = s.max_reply.bytes();
    let too_large = PullError::TooLarge { limit };
    if response.content_length().is_some_and(|n| n > limit) {
        return Err(too_large);
    }
    // Read in chunks, counted against the limit, so an endless or huge
    // reply costs at most `client.max_reply` of memory.
    let mut bytes = Vec::with_capacity(response.content_length().unwrap_or(0) as usize);
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if (bytes.len() + chunk.len()) as u64 > limit {
            return Err(too_large);
        }
        bytes.extend_from_slice(&chunk);
    }
    let size = bytes.len() as u64;
    let (pulled, body_hash) = match s.mode {
        PullMode::Changes => (protocol::parse_changes(&bytes)?, None),
        PullMode::Method => {
            let hash = protocol::body_hash(&bytes);
            if applied_hash == Some(hash) {
                (Pulled::unchanged(), Some(hash))
            } else {
                let (key, value) = (&s.key_field, s.value_field.as_deref());
                let mut pulled = crate::edge::rows::parse_rows(&bytes, key, value, now_us())?;
                for part in &mut pulled.parts {
                    part.namespace = s.method_namespace.clone();
                }
                (pulled, Some(hash))
            }
        }
    };
    Ok(Reply {
        pulled,
        body_hash,
        bytes: size,
    })
}

fn transport(e: reqwest::Error) -> PullError {
    if e.is_timeout() {
        return PullError::Timeout;
    }
    // The URL is named by the caller, the one without credentials.
    let e = e.without_url();
    let mut cause = e.to_string();
    let mut source = std::error::Error::source(&e);
    while let Some(inner) = source {
        cause = inner.to_string();
        source = inner.source();
    }
    PullError::Transport(cause)
}
