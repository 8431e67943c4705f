//! Who a console request is from, and whether a form may change anything.
//!
//! - The session cookie (`syncdict_session`, 256 random bits) is HttpOnly,
//!   SameSite=Strict, Path=/console, Secure under HTTPS; only its hash is
//!   stored. A session ends after `server.session_idle` without a request
//!   or `server.session_lifetime` after sign-in; a request without a valid
//!   one is sent to the login page (pages) or gets 401 (fetches).
//! - Every state-changing request carries the session's CSRF token (a
//!   form field `csrf`, or the `X-CSRF-Token` header), compared in
//!   constant time, and must come from this site: an `Origin` naming
//!   another host or `Sec-Fetch-Site: cross-site` is refused (403) before
//!   anything else is looked at.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};

use super::ConsoleState;
use crate::center::ConsoleUser;
use crate::domain::now_us;

pub const COOKIE: &str = "syncdict_session";

/// Why a console request was not served.
#[derive(Debug)]
pub enum Refused {
    /// Not signed in (or the session ended): sign in, then come back here.
    SignIn { next: String, ended: bool },
    /// A cross-site request, or a form without this session's token.
    Forgery,
    /// The database did not answer.
    Unavailable,
}

impl Refused {
    /// The response: pages go to the login page, fetches get a status.
    pub fn response(self, req: &HttpRequest) -> HttpResponse {
        let wants_json = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/json"));
        match self {
            Refused::SignIn { .. } if wants_json => HttpResponse::Unauthorized()
                .content_type("application/json")
                .body(r#"{"error":"sign in again"}"#),
            Refused::SignIn { next, ended } => {
                let mut to = format!("/console/login?next={}", urlencode(&next));
                if ended {
                    to.push_str("&ended=1");
                }
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .finish()
            }
            Refused::Forgery => super::layout::error_page(
                actix_web::http::StatusCode::FORBIDDEN,
                "Refused",
                "This request did not come from a console page of this site (a cross-site form, or a page older than your session). Nothing was changed. Reload the page and try again.",
            ),
            Refused::Unavailable => super::layout::error_page(
                actix_web::http::StatusCode::SERVICE_UNAVAILABLE,
                "Database unavailable",
                "The center cannot reach its database right now. Nothing was changed; try again in a moment.",
            ),
        }
    }
}

/// The signed-in user of `req`, or why not.
pub async fn signed_in(req: &HttpRequest, state: &ConsoleState) -> Result<ConsoleUser, Refused> {
    let next = req
        .uri()
        .path_and_query()
        .map_or("/console".to_string(), |p| p.to_string());
    let Some(cookie) = session_cookie(req) else {
        return Err(Refused::SignIn { next, ended: false });
    };
    match state.center.session(&cookie, now_us()).await {
        Ok(Some(user)) => Ok(user),
        Ok(None) => Err(Refused::SignIn { next, ended: true }),
        Err(_) => Err(Refused::Unavailable),
    }
}

/// Refuses a request from another site (before any session lookup).
pub fn same_site(req: &HttpRequest) -> Result<(), Refused> {
    let headers = req.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if text("sec-fetch-site").is_some_and(|s| s == "cross-site" || s == "same-site") {
        return Err(Refused::Forgery);
    }
    if let Some(origin) = text("origin") {
        let host = text("host").unwrap_or("");
        let origin_host = origin
            .split_once("://")
            .map_or("", |(_, rest)| rest.trim_end_matches('/'));
        if origin == "null" || origin_host != host {
            return Err(Refused::Forgery);
        }
    }
    Ok(())
}

/// The signed-in user of a state-changing request whose CSRF token is
/// `token` (from the form or the header).
pub async fn may_change(
    req: &HttpRequest,
    state: &ConsoleState,
    token: Option<&str>,
) -> Result<ConsoleUser, Refused> {
    same_site(req)?;
    let user = signed_in(req, state).await?;
    let header = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    let given = token.or(header).unwrap_or("");
    // Compared as BLAKE3 hashes, whose equality is constant-time.
    if blake3::hash(given.as_bytes()) != blake3::hash(user.csrf.as_bytes()) {
        return Err(Refused::Forgery);
    }
    Ok(user)
}

/// The session cookie's value, if the request carries one.
pub fn session_cookie(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get_all(header::COOKIE)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.to_string())
}

/// The `Set-Cookie` value for a new session (or, with `None`, one that
/// ends it). The value is 64 hex digits: nothing to escape.
pub fn set_cookie(state: &ConsoleState, value: Option<&str>) -> (header::HeaderName, String) {
    let secure = if state.https { "; Secure" } else { "" };
    let (value, age) = match value {
        Some(v) => (v, String::new()),
        None => ("", "; Max-Age=0".to_string()),
    };
    (
        header::SET_COOKIE,
        format!("{COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict{secure}{age}"),
    )
}

/// Percent-encodes a query value.
pub fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                out.push(b as char)
            }
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Where to go after signing in: a console path, never another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if n.starts_with("/console") && !n.starts_with("//") && !n.contains('\\') => {
            n.to_string()
        }
        _ => "/console".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_in_the_console() {
        assert_eq!(
            safe_next(Some("/console/ns/geo?q=a")),
            "/console/ns/geo?q=a"
        );
        for bad in [
            "https://evil.example",
            "//evil.example",
            "/consolex\\..",
            "/RPC",
        ] {
            let to = safe_next(Some(bad));
            assert!(
                to == "/console" || to.starts_with("/console"),
                "{bad}: {to}"
            );
            assert!(!to.contains("evil"), "{bad}");
        }
        assert_eq!(
            urlencode("/console/ns/a b?x=1&y"),
            "/console/ns/a%20b%3Fx%3D1%26y"
        );
    }

    #[test]
    fn cross_site_requests_are_refused() {
        use actix_web::test::TestRequest;
        let ok = TestRequest::post()
            .insert_header(("host", "127.0.0.1:8080"))
            .insert_header(("origin", "http://127.0.0.1:8080"))
            .insert_header(("sec-fetch-site", "same-origin"))
            .to_http_request();
        assert!(same_site(&ok).is_ok());
        let no_headers = TestRequest::post()
            .insert_header(("host", "h"))
            .to_http_request();
        assert!(same_site(&no_headers).is_ok(), "curl: the token decides");
        for (name, value) in [
            ("origin", "http://evil.example"),
            ("origin", "null"),
            ("sec-fetch-site", "cross-site"),
        ] {
            let req = TestRequest::post()
                .insert_header(("host", "127.0.0.1:8080"))
                .insert_header((name, value))
                .to_http_request();
            assert!(
                matches!(same_site(&req), Err(Refused::Forgery)),
                "{name}: {value}"
            );
        }
    }
}
