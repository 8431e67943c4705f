//! What `/RPC` admits before any call runs: the origin, the Content-Type,
//! the body's size and time, then the credentials.

use actix_web::dev::Payload;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use super::RpcState;
use crate::rpc::charset::Charset;
use crate::rpc::registry::Protocol;
use crate::rpc::{Caller, Refusal};

/// Media types accepted as JSON-RPC and XML-RPC. Anything else (notably the
/// `text/plain` and form types a cross-site page can send without a
/// preflight) is refused before anything runs.
const JSON_TYPES: [&str; 2] = ["application/json", "application/json-rpc"];
const XML_TYPES: [&str; 2] = ["text/xml", "application/xml"];

/// Checks what must hold before any call runs, cheapest first: the origin,
/// the Content-Type (as `protocol_of` judged it), the body size (declared,
/// then counted while reading), and only then the credentials (argon2id is
/// the expensive part). Answers the protocol, the caller and the body, or
/// why the request is refused.
pub(super) async fn admit(
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
pub(super) struct Admitted {
    pub protocol: Protocol,
    pub charset: Option<Charset>,
    pub body: web::BytesMut,
}

/// The protocol the Content-Type asks for (charset UTF-8 if given).
pub(super) fn protocol_of(
    value: Option<&HeaderValue>,
) -> Result<(Protocol, Option<Charset>), Refusal> {
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
mod tests;
