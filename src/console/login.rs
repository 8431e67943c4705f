//! Signing in and out. A sign-in is a password check like a Basic login on
//! `/RPC`: the same failure limits per address and user (429 when locked),
//! argon2id on the password pool, never on an HTTP worker.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use maud::html;
use serde::Deserialize;

use super::layout::{notice, page, send};
use super::session::{safe_next, same_site, session_cookie, set_cookie, Refused};
use super::ConsoleState;
use crate::auth::rate_limit::Refused as Slowdown;
use crate::center::CheckFailed;
use crate::domain::{now_us, Username};

#[derive(Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    #[serde(default)]
    ended: u8,
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

fn login_page(
    status: StatusCode,
    next: &str,
    username: &str,
    message: Option<(&str, &str)>,
) -> HttpResponse {
    send(
        status,
        page(
            "Sign in",
            None,
            html! {
                section.card.login {
                    h1 { "Sign in" }
                    p.lead { "Manage shared reference data: namespaces, records, change sets and their history." }
                    @if let Some((kind, text)) = message { (notice(kind, text)) }
                    form method="post" action="/console/login" {
                        input type="hidden" name="next" value=(next);
                        label for="username" { "User name" }
                        input #username type="text" name="username" value=(username)
                            autocomplete="username" required autofocus[username.is_empty()];
                        label for="password" { "Password" }
                        input #password type="password" name="password"
                            autocomplete="current-password" required autofocus[!username.is_empty()];
                        button.primary type="submit" { "Sign in" }
                    }
                    p.hint { "No user yet? On the center run " code { "syncdict user add NAME --admin" } "." }
                }
            },
        ),
    )
}

/// `GET /console/login`.
pub async fn form(query: web::Query<LoginQuery>) -> HttpResponse {
    let next = safe_next(query.next.as_deref());
    let message = (query.ended == 1).then_some((
        "info",
        "Your session ended (idle too long, or signed out elsewhere). Sign in again to go on.",
    ));
    login_page(StatusCode::OK, &next, "", message)
}

/// `POST /console/login`: checks the password, opens a session, and goes
/// where the user was headed.
pub async fn sign_in(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    form: web::Form<LoginForm>,
) -> HttpResponse {
    if let Err(refused) = same_site(&req) {
        return refused.response(&req);
    }
    let form = form.into_inner();
    let next = safe_next(form.next.as_deref());
    let ip = state.access.client_ip(&req);
    let attempt = match state
        .access
        .limiter
        .attempt(ip, &form.username, std::time::Instant::now())
    {
        Ok(attempt) => attempt,
        Err(Slowdown::Busy) => {
            return login_page(
                StatusCode::SERVICE_UNAVAILABLE,
                &next,
                &form.username,
                Some((
                    "error",
                    "Too many sign-ins are being checked right now. Try again in a second.",
                )),
            )
        }
        Err(Slowdown::Slowed(wait)) => {
            let wait = wait.as_secs().max(1);
            let text = format!("Too many failed sign-ins from here or for this user: sign-ins are slowed. Try again in {wait} seconds.");
            return login_page(
                StatusCode::TOO_MANY_REQUESTS,
                &next,
                &form.username,
                Some(("error", &text)),
            );
        }
    };
    let user = Username::parse(&form.username).ok();
    let checked = state.center.authenticate(user.clone(), form.password).await;
    let user = match (checked, user) {
        (Ok(Some(_)), Some(user)) => {
            attempt.succeeded();
            user
        }
        (Ok(_), _) => {
            attempt.failed();
            tracing::warn!(user = %form.username.chars().take(64).collect::<String>(), client = %ip, "console sign-in failed");
            return login_page(
                StatusCode::UNAUTHORIZED,
                &next,
                &form.username,
                Some(("error", "Wrong user name or password.")),
            );
        }
        (Err(CheckFailed::Busy), _) => {
            return login_page(
                StatusCode::SERVICE_UNAVAILABLE,
                &next,
                &form.username,
                Some(("error", "Password checks are busy. Try again in a second.")),
            )
        }
        (Err(_), _) => return Refused::Unavailable.response(&req),
    };
    match state.center.open_session(&user, now_us()).await {
        Ok(session) => {
            tracing::info!(user = %user, client = %ip, "console sign-in");
            HttpResponse::SeeOther()
                .insert_header(set_cookie(&state, Some(&session.cookie)))
                .insert_header((header::LOCATION, next))
                .finish()
        }
        Err(_) => Refused::Unavailable.response(&req),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: Option<String>,
}

/// `POST /console/logout`: ends the session here and for every center.
pub async fn sign_out(
    req: HttpRequest,
    state: web::Data<ConsoleState>,
    form: web::Form<LogoutForm>,
) -> HttpResponse {
    if let Err(refused) = super::session::may_change(&req, &state, form.csrf.as_deref()).await {
        return refused.response(&req);
    }
    if let Some(c) = session_cookie(&req) {
        if state.center.close_session(&c).await.is_err() {
            return Refused::Unavailable.response(&req);
        }
    }
    HttpResponse::SeeOther()
        .insert_header(set_cookie(&state, None))
        .insert_header((header::LOCATION, "/console/login"))
        .finish()
}
