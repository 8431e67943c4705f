//! `POST /RPC`: content-type and size checks, then the protocol core.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::auth::{parse_basic, FailureLimiter};
use crate::center::Center;
use crate::rpc::error::INVALID_REQUEST;
use crate::rpc::jsonrpc::Limits;
use crate::rpc::{self, Caller};

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

/// Which protocol the Content-Type asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Json,
    Xml,
}

/// Marks a refusal whose cause was logged where it was decided (a failed
/// login, a refused call), so the request is not logged a second time.
struct AlreadyLogged;

/// `POST /RPC`, counted by status and timed for `/metrics`; a refused
/// request is logged here unless its cause already was.
pub async fn rpc(
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<RpcState>,
) -> HttpResponse {
    let started = std::time::Instant::now();
    let response = answer(&req, payload, &state).await;
    let took = started.elapsed();
    let status = response.status();
    state
        .center
        .metrics()
        .observe_request(status.as_u16(), took);
    if !status.is_success() && response.extensions().get::<AlreadyLogged>().is_none() {
        let client = req.peer_addr().map(|a| a.ip().to_string());
        tracing::info!(
            status = status.as_u16(),
            client,
            duration_ms = took.as_millis() as u64,
            "request refused"
        );
    }
    response
}

async fn answer(req: &HttpRequest, mut payload: web::Payload, state: &RpcState) -> HttpResponse {
    if let Some(origin) = req.headers().get(header::ORIGIN) {
        let host = req
            .headers()
            .get(header::HOST)
            .and_then(|h| h.to_str().ok());
        if !origin_allowed(origin.to_str().unwrap_or(""), host, &state.cors_origins) {
            // Browsers preflight JSON and XML, so this is no browser call we
            // allowed; nothing runs.
            return refuse(
                HttpResponse::Forbidden(),
                Kind::Json,
                "this origin may not call the API (server.cors_origins)",
            );
        }
    }
    let kind = match check_content_type(req.headers().get(header::CONTENT_TYPE)) {
        Ok(kind) => kind,
        Err(why) => return refuse(HttpResponse::UnsupportedMediaType(), Kind::Json, &why),
    };
    let caller = match authenticate(req, state).await {
        Ok(caller) => caller,
        Err(response) => return response,
    };
    let too_large = || {
        refuse(
            HttpResponse::PayloadTooLarge(),
            kind,
            &format!("request body exceeds {} bytes", state.max_body),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > state.max_body) {
        return too_large();
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(1024).min(state.max_body));
    while let Some(chunk) = payload.next().await {
        match chunk {
            Ok(chunk) if body.len() + chunk.len() > state.max_body => return too_large(),
            Ok(chunk) => body.extend_from_slice(&chunk),
            Err(e) => {
                tracing::debug!(error = %e, "request body could not be read");
                return refuse(
                    HttpResponse::BadRequest(),
                    kind,
                    "request body could not be read",
                );
            }
        }
    }
    if kind == Kind::Xml {
        let (reply, refused) = rpc::handle_xml(&body, &state.limits, &caller, &state.center).await;
        return status_for(refused)
            .content_type("text/xml; charset=utf-8")
            .body(reply);
    }
    let answer = rpc::handle_json(&body, &state.limits, &caller, &state.center).await;
    match answer.body {
        Some(reply) => status_for(answer.refused)
            .content_type("application/json")
            .body(reply),
        None if answer.refused.is_some() => status_for(answer.refused).finish(),
        None => HttpResponse::NoContent().finish(),
    }
}

/// 200, or 401 (with the Basic challenge) / 403 for a refused single call
/// (logged as a failed call by the executor).
fn status_for(refused: Option<u16>) -> actix_web::HttpResponseBuilder {
    let mut builder = match refused {
        Some(401) => challenge(),
        Some(403) => HttpResponse::Forbidden(),
        _ => return HttpResponse::Ok(),
    };
    builder.extensions_mut().insert(AlreadyLogged);
    builder
}

fn challenge() -> actix_web::HttpResponseBuilder {
    let mut builder = HttpResponse::Unauthorized();
    builder.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="syncdict""#));
    builder
}

/// Who is calling: anonymous, or a user whose Basic credentials checked out.
/// Wrong or unreadable credentials are refused (401) even where anonymous
/// callers would pass; an address with repeated failures gets 429 for a while.
async fn authenticate(req: &HttpRequest, state: &RpcState) -> Result<Caller, HttpResponse> {
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
        let mut builder = HttpResponse::TooManyRequests();
        builder.insert_header((
            header::RETRY_AFTER,
            crate::auth::rate_limit::WINDOW.as_secs().to_string(),
        ));
        return Err(refuse(
            builder,
            Kind::Json,
            "too many failed logins from this address; try again later",
        ));
    }
    let Some((username, password)) = header.to_str().ok().and_then(parse_basic) else {
        state.limiter.record_failure(ip, now);
        return Err(refuse(
            challenge(),
            Kind::Json,
            "unreadable Authorization header; use Basic credentials",
        ));
    };
    match state.center.authenticate(username.clone(), password).await {
        Ok(Some(can_write)) => {
            state.limiter.record_success(ip);
            Ok(Caller {
                user: Some(username),
                can_write,
                reads_need_user: state.reads_need_user,
            })
        }
        Ok(None) => {
            state.limiter.record_failure(ip, now);
            tracing::warn!(user = %username, client = %ip, "login failed");
            let mut builder = challenge();
            builder.extensions_mut().insert(AlreadyLogged);
            Err(refuse(builder, Kind::Json, "wrong user name or password"))
        }
        // Credentials cannot be checked while the database is down: answer
        // like any call would, with "database unavailable".
        Err(e) => {
            let error = crate::rpc::RpcError::from(e);
            Err(refuse_with(
                HttpResponse::Ok(),
                Kind::Json,
                error.code,
                &error.message,
            ))
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

fn check_content_type(value: Option<&HeaderValue>) -> Result<Kind, String> {
    let wanted = "use Content-Type: application/json (JSON-RPC) or text/xml (XML-RPC)";
    let raw = value
        .ok_or_else(|| format!("missing Content-Type; {wanted}"))?
        .to_str()
        .map_err(|_| format!("unreadable Content-Type; {wanted}"))?;
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    let kind = if JSON_TYPES.contains(&essence.as_str()) {
        Kind::Json
    } else if XML_TYPES.contains(&essence.as_str()) {
        Kind::Xml
    } else {
        return Err(format!("unsupported Content-Type {raw:?}; {wanted}"));
    };
    for param in parts {
        if let Some((name, value)) = param.split_once('=') {
            let value = value.trim().trim_matches('"').to_ascii_lowercase();
            if name.trim().eq_ignore_ascii_case("charset") && value != "utf-8" && value != "utf8" {
                return Err(format!(
                    "unsupported charset {value:?}; JSON-RPC bodies are UTF-8"
                ));
            }
        }
    }
    Ok(kind)
}

/// An HTTP-level refusal, with a JSON-RPC error or XML-RPC fault body so
/// clients can show it.
fn refuse(builder: actix_web::HttpResponseBuilder, kind: Kind, message: &str) -> HttpResponse {
    refuse_with(builder, kind, INVALID_REQUEST, message)
}

/// As `refuse`, with the error code given.
fn refuse_with(
    mut builder: actix_web::HttpResponseBuilder,
    kind: Kind,
    code: i64,
    message: &str,
) -> HttpResponse {
    let error = crate::rpc::RpcError::new(code, message);
    if kind == Kind::Xml {
        let fault = crate::rpc::xmlrpc::encode_fault(&error);
        return builder.content_type("text/xml; charset=utf-8").body(fault);
    }
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": error.code, "message": error.message },
        "id": null,
    });
    builder
        .content_type("application/json")
        .body(body.to_string())
}

#[cfg(test)]
mod tests {
    use super::check_content_type;
    use actix_web::http::header::HeaderValue;

    #[test]
    fn only_json_types_pass() {
        let check = |v: &str| check_content_type(Some(&HeaderValue::from_str(v).unwrap())).is_ok();
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
        assert!(check_content_type(None).is_err());
    }
}
