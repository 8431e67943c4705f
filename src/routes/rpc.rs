//! `POST /RPC`: origin, Content-Type, credentials and body size are
//! admitted or refused here, then the protocol core answers.

use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::auth::{parse_basic, FailureLimiter};
use crate::center::Center;
use crate::domain::Username;
use crate::rpc::jsonrpc::Limits;
use crate::rpc::registry::Protocol;
use crate::rpc::{self, Answer, CallError, Caller, Refusal};

/// What the endpoint needs, shared by all workers.
pub struct RpcState {
    pub center: Center,
    pub limits: Limits,
    pub max_body: usize,
    /// `server.cors_origins`.
    pub cors_origins: std::sync::Arc<Vec<String>>,
    /// `server.read_access = "users"`.
    pub reads_need_user: bool,
    pub limiter: FailureLimiter,
}

/// Whether a browser page of `origin` may call us: the listed origins, and
/// this server's own (the `Host` it was reached at).
pub fn origin_allowed(origin: &str, host: Option<&str>, allowed: &[String]) -> bool {
    let own = host.is_some_and(|h| {
        origin
            .strip_prefix("http://")
            .or(origin.strip_prefix("https://"))
            == Some(h)
    });
    own || allowed.iter().any(|o| o == origin)
}

/// Media types accepted as JSON-RPC and XML-RPC. Anything else (notably the
/// `text/plain` and form types a cross-site page can send without a
/// preflight) is refused before anything runs.
const JSON_TYPES: [&str; 2] = ["application/json", "application/json-rpc"];
const XML_TYPES: [&str; 2] = ["text/xml", "application/xml"];

/// `POST /RPC`: admitted requests go to the protocol core; a refusal is
/// logged here, once, and rendered by the core like any answer. Every
/// response is counted by status and timed for `/metrics`.
pub async fn rpc(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<RpcState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    // Refusals before the Content-Type is judged still answer in the
    // protocol the client asked for, when it can be told.
    let protocol = protocol_of(req.headers().get(header::CONTENT_TYPE)).unwrap_or(Protocol::Json);
    let answer = match admit(&req, payload, &state).await {
        Ok((protocol, caller, body)) => {
            rpc::handle(protocol, &body, &state.limits, &caller, &state.center).await
        }
        Err(refusal) => {
            log_refusal(&refusal, client(&req).as_deref());
            Answer::refused(protocol, refusal)
        }
    };
    let response = respond(protocol, answer);
    state
        .center
        .metrics()
        .observe_request(response.status().as_u16(), started.elapsed());
    response
}

/// Logs a request refused before its calls ran: one line, the user name
/// for a failed login, never a secret. (A failed call is logged by the
/// executor's `observe`, so nothing is logged twice.)
fn log_refusal(refusal: &Refusal, client: Option<&str>) {
    let status = refusal.status();
    match refusal {
        Refusal::WrongCredentials { user } => {
            let user: String = user.chars().take(64).collect();
            tracing::warn!(user, client, status, "login failed");
        }
        other => tracing::info!(reason = other.label(), client, status, "request refused"),
    }
}

/// The client's address, for logs.
fn client(req: &HttpRequest) -> Option<String> {
    req.peer_addr().map(|a| a.ip().to_string())
}

/// The one way an answer becomes an HTTP response: 200 (204 with no body),
/// or the refusal's status, with the Basic challenge or `Retry-After` it
/// calls for.
fn respond(protocol: Protocol, answer: Answer) -> HttpResponse {
    let status = match (&answer.refusal, &answer.body) {
        (Some(refusal), _) => {
            StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
        }
        (None, Some(_)) => StatusCode::OK,
        (None, None) => StatusCode::NO_CONTENT,
    };
    let mut builder = HttpResponse::build(status);
    if let Some(refusal) = &answer.refusal {
        if refusal.challenges() {
            builder.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="syncdict""#));
        }
        if let Some(wait) = refusal.retry_after() {
            builder.insert_header((header::RETRY_AFTER, wait.as_secs().to_string()));
        }
    }
    match answer.body {
        None => builder.finish(),
        Some(body) => builder
            .content_type(match protocol {
                Protocol::Json => "application/json",
                Protocol::Xml => "text/xml; charset=utf-8",
            })
            .body(body),
    }
}

/// Checks what must hold before any call runs: the origin, the Content-Type,
/// the credentials and the body size. Answers the protocol, the caller and
/// the body, or why the request is refused.
async fn admit(
    req: &HttpRequest,
    mut payload: web::Payload,
    state: &RpcState,
) -> Result<(Protocol, Caller, web::BytesMut), Refusal> {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if !origin_allowed(origin.to_str().unwrap_or(""), host, &state.cors_origins) {
            // Browsers preflight JSON and XML, so this is no browser call we
            // allowed; nothing runs.
            return Err(Refusal::ForbiddenOrigin);
        }
    }
    let protocol = protocol_of(req.headers().get(header::CONTENT_TYPE))?;
    let caller = authenticate(req, state).await?;
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
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() > state.max_body => return Err(too_large),
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(e) => {
                tracing::debug!(error = %e, "request body could not be read");
                return Err(Refusal::BodyUnreadable);
            }
        }
    }
    Ok((protocol, caller, body))
}

/// Who is calling: anonymous, or a user whose Basic credentials checked out.
/// Wrong or unreadable credentials are refused (401) even where anonymous
/// callers would pass; an address with repeated failures gets 429 for a while.
async fn authenticate(req: &HttpRequest, state: &RpcState) -> Result<Caller, Refusal> {
    let anonymous = Caller {
        user: None,
        can_write: false,
        reads_need_user: state.reads_need_user,
    };
    let Some(header) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(anonymous);
    };
    let ip = req
        .peer_addr()
        .map(|a| a.ip())
        .unwrap_or(std::net::Ipv4Addr::UNSPECIFIED.into());
    let now = std::time::Instant::now();
    if state.limiter.blocked(ip, now) {
        return Err(Refusal::TooManyFailures {
            retry_after: crate::auth::rate_limit::WINDOW,
        });
    }
    let Some((username, password)) = header.to_str().ok().and_then(parse_basic) else {
        state.limiter.record_failure(ip, now);
        return Err(Refusal::UnreadableCredentials);
    };
    // A name no user can have is checked like an unknown one (same time).
    let user = Username::parse(&username).ok();
    let checked = state.center.authenticate(user.clone(), password).await;
    match (checked, user) {
        (Ok(Some(can_write)), Some(user)) => {
            state.limiter.record_success(ip);
            Ok(Caller {
                user: Some(user),
                can_write,
                reads_need_user: state.reads_need_user,
            })
        }
        (Ok(_), _) => {
            state.limiter.record_failure(ip, now);
            Err(Refusal::WrongCredentials { user: username })
        }
        // Credentials cannot be checked while the database is down: answer
        // like any call would, with "database unavailable".
        (Err(CallError::Unavailable), _) => Err(Refusal::DatabaseUnavailable),
        (Err(_), _) => Err(Refusal::Internal),
    }
}

/// Anything but POST (calls) and GET (the method browser) on the endpoint.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "GET, POST"))
        .content_type("application/json")
        .body(r#"{"error":"use POST with a JSON-RPC body"}"#)
}

/// The protocol the Content-Type asks for (charset UTF-8 if given).
fn protocol_of(value: Option<&HeaderValue>) -> Result<Protocol, Refusal> {
    let wanted = "use Content-Type: application/json (JSON-RPC) or text/xml (XML-RPC)";
    let refuse = |detail: String| Refusal::UnsupportedMediaType { detail };
    let raw = value
        .ok_or_else(|| refuse(format!("missing Content-Type; {wanted}")))?
        .to_str()
        .map_err(|_| refuse(format!("unreadable Content-Type; {wanted}")))?;
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let protocol = if JSON_TYPES.contains(&essence.as_str()) {
        Protocol::Json
    } else if XML_TYPES.contains(&essence.as_str()) {
        Protocol::Xml
    } else {
        let shown: String = raw.chars().take(100).collect();
        return Err(refuse(format!(
            "unsupported Content-Type {shown:?}; {wanted}"
        )));
    };
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"').to_ascii_lowercase();
            if name.trim().eq_ignore_ascii_case("charset") && value != "utf-8" && value != "utf8" {
                let shown: String = value.chars().take(40).collect();
                return Err(refuse(format!(
                    "unsupported charset {shown:?}; request bodies are UTF-8"
                )));
            }
        }
    }
    Ok(protocol)
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
