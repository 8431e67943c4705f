//! `POST /RPC`: origin, Content-Type, credentials and body size are
//! admitted or refused here, then the protocol core answers.

use actix_web::body::SizedStream;
use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use super::access::{log_refusal, refused, Access};
use super::later::LaterStream;
pub use super::origin::Origins;
use crate::center::Center;
use crate::rpc::charset::Charset;
use crate::rpc::jsonrpc::Limits;
use crate::rpc::registry::Protocol;
use crate::rpc::replay::Asked;
use crate::rpc::{self, Answer, Caller, Refusal};

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

/// Media types accepted as JSON-RPC and XML-RPC. Anything else (notably the
/// `text/plain` and form types a cross-site page can send without a
/// preflight) is refused before anything runs.
const JSON_TYPES: [&str; 2] = ["application/json", "application/json-rpc"];
const XML_TYPES: [&str; 2] = ["text/xml", "application/xml"];

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

/// Checks what must hold before any call runs, cheapest first: the origin,
/// the Content-Type (as `protocol_of` judged it), the body size (declared,
/// then counted while reading), and only then the credentials (argon2id is
/// the expensive part). Answers the protocol, the caller and the body, or
/// why the request is refused.
async fn admit(
    req: &HttpRequest,
    judged: Result<(Protocol, Option<Charset>), Refusal>,
    mut payload: Payload,
    state: &RpcState,
) -> Result<(Admitted, Caller), Refusal> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if !state.origins.allow(origin.to_str().unwrap_or(""), host) {
            // Browsers preflight JSON and XML, so this is no browser call we
            // allowed; nothing runs.
            return Err(Refusal::ForbiddenOrigin);
        }
    }
    let (protocol, charset) = judged?;
    let too_large = Refusal::BodyTooLarge {
        max_bytes: state.max_body,
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body) {
        return Err(too_large);
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(state.max_body));
    let read = async {
        while let Some(chunk) = payload.next().await {
            match chunk {
                Ok(chunk) if body.len() + chunk.len() > state.max_body => return Err(too_large),
                Ok(chunk) => body.extend_from_slice(&chunk),
                Err(e) => {
                    tracing::debug!(error = ?e.to_string(), "request body could not be read");
                    return Err(Refusal::BodyUnreadable);
                }
            }
        }
        Ok(())
    };
    futures_util::pin_mut!(read);
    match first_polls(read.as_mut()).await {
        Some(done) => done?,
        None => actix_web::rt::time::timeout(state.request_timeout, read)
            .await
            .map_err(|_| Refusal::BodyTimeout)??,
    }
    let caller = state.access.caller(req).await?;
    Ok((
        Admitted {
            protocol,
            charset,
            body,
        },
        caller,
    ))
}

/// `read` polled twice, without a timer: a body that came with the head
/// (nearly every call) is done by the second poll, as actix-http feeds it
/// between the handler's first poll and the next, in the same turn. The
/// first `Pending` wakes the task, so a second poll always comes. `None`:
/// the body is still to come (then the caller arms the timer).
async fn first_polls<F: std::future::Future + Unpin>(mut read: F) -> Option<F::Output> {
    use std::task::Poll;
    let mut pending = 0;
    std::future::poll_fn(|cx| match std::pin::Pin::new(&mut read).poll(cx) {
        Poll::Ready(done) => Poll::Ready(Some(done)),
        Poll::Pending if pending == 0 => {
            pending += 1;
            cx.waker().wake_by_ref();
            Poll::Pending
        }
        Poll::Pending => Poll::Ready(None),
    })
    .await
}

/// A request that passed `admit`.
struct Admitted {
    protocol: Protocol,
    charset: Option<Charset>,
    body: web::BytesMut,
}

/// Anything but POST (calls) and GET (the method browser) on the endpoint.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .content_type("application/json")
        .body(r#"{"error":"use POST with a JSON-RPC body"}"#)
}

/// The protocol the Content-Type asks for (charset UTF-8 if given).
fn protocol_of(value: Option<&HeaderValue>) -> Result<(Protocol, Option<Charset>), Refusal> {
    let wanted = "use Content-Type: application/json (JSON-RPC) or text/xml (XML-RPC)";
    let refuse = |detail: String| Refusal::UnsupportedMediaType { detail };
    let value = value.ok_or_else(|| refuse(format!("missing Content-Type; {wanted}")))?;
    if value.as_bytes() == JSON_TYPES[0].as_bytes() {
        // What nearly every client sends.
        return Ok((Protocol::Json, None));
    }
    let raw = value
        .to_str()
        .map_err(|_| refuse(format!("unreadable Content-Type; {wanted}")))?;
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim();
    let is = |types: &[&str]| types.iter().any(|t| t.eq_ignore_ascii_case(essence));
    let protocol = if is(&JSON_TYPES) {
        Protocol::Json
    } else if is(&XML_TYPES) {
        Protocol::Xml
    } else {
        let shown: String = raw.chars().take(100).collect();
        return Err(refuse(format!(
            "unsupported Content-Type {shown:?}; {wanted}"
        )));
    };
    let mut charset = None;
    for param in parts {
        let Some((name, value)) = param.split_once('=') else {
            continue;
        };
        if !name.trim().eq_ignore_ascii_case("charset") {
            continue;
        }
        let value = value.trim().trim_matches('"');
        // JSON is UTF-8 (RFC 8259); XML-RPC may also be ISO-8859-1.
        charset = match (protocol, Charset::named(value)) {
            (_, Some(Charset::Utf8)) => Some(Charset::Utf8),
            (Protocol::Xml, Some(latin1)) => Some(latin1),
            _ => {
                let shown: String = value.chars().take(40).collect();
                return Err(refuse(format!(
                    "unsupported charset {shown:?}; JSON-RPC is UTF-8, XML-RPC UTF-8 or ISO-8859-1"
                )));
            }
        };
    }
    Ok((protocol, charset))
}

#[cfg(test)]
mod tests {
    use super::protocol_of;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn only_json_types_pass() {
        let check = |v: &str| protocol_of(Some(&HeaderValue::from_str(v).unwrap())).is_ok();
        assert!(check("application/json"));
        assert!(check("Application/JSON; charset=UTF-8"));
        assert!(check("application/json-rpc"));
        assert!(check("text/xml") && check("application/xml; charset=utf-8"));
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/jsonx",
            "text/html",
        ] {
            assert!(!check(refused), "{refused}");
        }
        assert!(protocol_of(None).is_err());
    }
}
