//! `POST /RPC`: origin, Content-Type, credentials and body size are
//! admitted or refused here (`admit`), then the protocol core answers.

use actix_web::body::SizedStream;
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};

use super::access::{log_refusal, refused, Access};
use super::later::LaterStream;
pub use super::origin::Origins;
use crate::center::Center;
use crate::rpc::charset::Charset;
use crate::rpc::jsonrpc::Limits;
use crate::rpc::registry::Protocol;
use crate::rpc::replay::Asked;
use crate::rpc::{self, Answer, Caller};

mod admit;
use admit::{admit, protocol_of, Admitted};

/// What the endpoint needs, shared by all workers.
pub struct RpcState {
    pub center: Center,
    /// Who the caller is (shared with the other routes that show records).
    pub access: web::Data<Access>,
    pub limits: Limits,
    pub max_body: usize,
    /// `server.request_timeout`: the deadline for the body, from the start.
    pub request_timeout: std::time::Duration,
    /// Which browser pages may call.
    pub origins: std::sync::Arc<Origins>,
}

/// `POST /RPC`: admitted requests go to the protocol core; a refusal is
/// logged here, once, and rendered by the core like any answer. Every
/// response is counted by status and timed for `/metrics`.
pub fn rpc(
    req: HttpRequest,
    payload: Payload,
    state: web::Data<RpcState>,
) -> futures_util::future::LocalBoxFuture<'static, HttpResponse> {
    // Boxed: the request's state (its caller, body and answer, a few
    // hundred bytes) would otherwise be copied each time actix-web moves
    // the handler's future, a dozen times a request.
    Box::pin(answer_http(req, payload, state))
}

async fn answer_http(
    req: HttpRequest,
    payload: Payload,
    state: web::Data<RpcState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let in_flight = state.center.metrics().request_started();
    // Refusals before the Content-Type is judged still answer in the
    // protocol the client asked for, when it can be told.
    let judged = protocol_of(req.headers().get(header::CONTENT_TYPE));
    let protocol = judged
        .as_ref()
        .map_or(Protocol::Json, |(protocol, _)| *protocol);
    let answer = match admit(&req, judged, payload, &state).await {
        Ok((admitted, caller)) => answer(&req, admitted, caller, &state, started).await,
        Err(refusal) => {
            log_refusal(&refusal, Some(&state.access.client_ip(&req).to_string()));
            Answer::refused(protocol, refusal)
        }
    };
    if let Some(later) = answer.later {
        // Held: the head now, the body when the call ends (`later`).
        return HttpResponse::Ok()
            .insert_header(content_type(protocol))
            .streaming(LaterStream::new(later, in_flight, started));
    }
    let response = respond(protocol, answer);
    in_flight.answered(response.status().as_u16(), started);
    response
}

/// The answer to an admitted request: a kept reply when the same bytes
/// from the same caller were answered at the current stamp
/// (`rpc::replay`), else the protocol core's, kept if it may be replayed.
async fn answer(
    req: &HttpRequest,
    admitted: Admitted,
    mut caller: Caller,
    state: &RpcState,
    started: std::time::Instant,
) -> Answer {
    let center = &state.center;
    let says_gray = || req.headers().contains_key(GRAY);
    if center.fleet().is_some() || center.gray.in_use() || says_gray() {
        // For the fleet view and gray releases: who is pulling (read only
        // here, and only while either is in use).
        caller.address = Some(state.access.client_ip(req));
        caller.hello = Some(Box::new(hello(req)));
    }
    // Latin-1 XML decodes the same bytes differently: never replayed.
    let stamp = match admitted.charset {
        None | Some(Charset::Utf8) => center.reply_stamp(started, &caller),
        Some(_) => None,
    };
    let asked = Asked {
        protocol: admitted.protocol,
        principal: caller.principal.as_ref(),
        body: &admitted.body,
    };
    if let Some(kept) = stamp.and_then(|stamp| center.replay(stamp, asked, &caller)) {
        return kept;
    }
    let request = rpc::Incoming {
        protocol: admitted.protocol,
        body: &admitted.body,
        charset: admitted.charset,
    };
    // Boxed: the core's future is large, and this one (moved a few times
    // on every request) stays small for replays.
    let answer = Box::pin(rpc::handle(request, &state.limits, &caller, center)).await;
    if let Some(stamp) = stamp {
        center.keep_reply(stamp, asked, &caller, &answer);
    }
    answer
}

/// The reply's Content-Type, a static value (not parsed per reply).
fn content_type(protocol: Protocol) -> (HeaderName, HeaderValue) {
    let value = match protocol {
        Protocol::Json => "application/json",
        Protocol::Xml => "text/xml; charset=utf-8",
    };
    (header::CONTENT_TYPE, HeaderValue::from_static(value))
}

const GRAY: HeaderName = HeaderName::from_static(crate::domain::GRAY_HEADER);

/// What the request's headers say of the client (`domain::EdgeHello`),
/// read in one pass over them (a request has a handful; six look-ups by
/// name cost more); the header names are made once, not parsed per
/// request.
fn hello(req: &HttpRequest) -> crate::domain::EdgeHello {
    const EDGE: HeaderName = HeaderName::from_static(crate::domain::EDGE_HEADER);
    const DIGEST: HeaderName = HeaderName::from_static(crate::domain::DIGEST_HEADER);
    const LABELS: HeaderName = HeaderName::from_static(crate::domain::LABELS_HEADER);
    const HEALTH: HeaderName = HeaderName::from_static(crate::domain::HEALTH_HEADER);
    let [mut edge, mut agent, mut digest, mut labels, mut gray, mut health] = [None; 6];
    for (name, value) in req.headers() {
        let slot = match name {
            n if n == header::USER_AGENT => &mut agent,
            n if n == EDGE => &mut edge,
            n if n == DIGEST => &mut digest,
            n if n == LABELS => &mut labels,
            n if n == GRAY => &mut gray,
            n if n == HEALTH => &mut health,
            _ => continue,
        };
        // The first of a repeated header, as `HeaderMap::get` gives.
        slot.get_or_insert(value.as_bytes());
    }
    let mut hello = crate::domain::EdgeHello::from_headers(edge, agent, digest, labels);
    hello.releases = crate::domain::held_releases(gray);
    hello.health = health.and_then(crate::domain::HealthReport::from_header);
    hello
}

/// Where a signing center puts the signed digest of each namespace whose
/// `records.list` a reply holds (one header each; JSON: namespace,
/// revision, key, sig), since the list itself is a bare array.
pub const SIGNATURE_HEADER: &str = "Syncdict-Signature";

/// The one way an answer becomes an HTTP response: 200 (204 with no body),
/// or the refusal's status, with the Basic challenge or `Retry-After` it
/// calls for.
fn respond(protocol: Protocol, answer: Answer) -> HttpResponse {
    let mut builder = match (&answer.refusal, &answer.body) {
        (Some(refusal), _) => refused(refusal),
        (None, Some(_)) => HttpResponse::Ok(),
        (None, None) => HttpResponse::NoContent(),
    };
    for vouch in &answer.vouches {
        // Namespaces and hex digits only: always a valid header value.
        if let Ok(value) = HeaderValue::try_from(serde_json::to_string(vouch).unwrap_or_default()) {
            builder.append_header((SIGNATURE_HEADER, value));
        }
    }
    match answer.body {
        None => builder.finish(),
        Some(body) => {
            builder.insert_header(content_type(protocol));
            let len = body.len() as u64;
            let mut pieces = body.into_chunks();
            if pieces.len() == 1 {
                // One piece (every small reply) goes out as it is.
                return builder.body(pieces.pop().unwrap_or_default());
            }
            // The pieces go out as they are (large ones shared with the
            // read cache), with a Content-Length.
            let pieces = pieces.into_iter().map(Ok::<_, std::convert::Infallible>);
            builder.body(SizedStream::new(len, futures_util::stream::iter(pieces)))
        }
    }
}

/// Anything but POST (calls) and GET (the method browser) on the endpoint.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .content_type("application/json")
        .body(r#"{"error":"use POST with a JSON-RPC body"}"#)
}
