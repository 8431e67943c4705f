//! `POST /RPC`: content-type and size checks, then the protocol core.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{web, HttpRequest, HttpResponse};
use futures_util::StreamExt;

use crate::center::Center;
use crate::rpc::error::INVALID_REQUEST;
use crate::rpc::jsonrpc::Limits;
use crate::rpc::{self, Caller};

/// What the endpoint needs, shared by all workers.
pub struct RpcState {
    pub center: Center,
    pub limits: Limits,
    pub max_body: usize,
}

/// Media types accepted as JSON-RPC. Anything else (notably the `text/plain`
/// and form types a cross-site page can send without a preflight) is refused.
const JSON_TYPES: [&str; 2] = ["application/json", "application/json-rpc"];

pub async fn rpc(
    req: HttpRequest,
    mut payload: web::Payload,
    state: web::Data<RpcState>,
) -> HttpResponse {
    if let Err(why) = check_content_type(req.headers().get(header::CONTENT_TYPE)) {
        return refuse(HttpResponse::UnsupportedMediaType(), &why);
    }
    let too_large = || {
        refuse(
            HttpResponse::PayloadTooLarge(),
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
                return refuse(HttpResponse::BadRequest(), "request body could not be read");
            }
        }
    }
    match rpc::handle_json(&body, &state.limits, &Caller, &state.center).await {
        Some(reply) => HttpResponse::Ok()
            .content_type("application/json")
            .body(reply),
        None => HttpResponse::NoContent().finish(),
    }
}

/// Anything but POST on the endpoint.
pub async fn method_not_allowed() -> HttpResponse {
    HttpResponse::MethodNotAllowed()
        .insert_header((header::ALLOW, "POST"))
        .content_type("application/json")
        .body(r#"{"error":"use POST with a JSON-RPC body"}"#)
}

fn check_content_type(value: Option<&HeaderValue>) -> Result<(), String> {
    let wanted = "use Content-Type: application/json";
    let raw = value
        .ok_or_else(|| format!("missing Content-Type; {wanted}"))?
        .to_str()
        .map_err(|_| format!("unreadable Content-Type; {wanted}"))?;
    let mut parts = raw.split(';');
    let essence = parts.next().unwrap_or("").trim().to_ascii_lowercase();
    if !JSON_TYPES.contains(&essence.as_str()) {
        return Err(format!("unsupported Content-Type {raw:?}; {wanted}"));
    }
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
    Ok(())
}

/// An HTTP-level refusal, with a JSON-RPC error body so clients can show it.
fn refuse(mut builder: actix_web::HttpResponseBuilder, message: &str) -> HttpResponse {
    let body = serde_json::json!({
        "jsonrpc": "2.0",
        "error": { "code": INVALID_REQUEST, "message": message },
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
        for refused in [
            "text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json; charset=latin1",
            "application/jsonx",
            "text/xml",
        ] {
            assert!(!check(refused), "{refused}");
        }
        assert!(check_content_type(None).is_err());
    }
}
