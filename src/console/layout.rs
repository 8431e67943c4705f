//! The console's page chrome, its security headers and its embedded
//! assets (one stylesheet, one script; nothing is fetched from elsewhere).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, HttpResponseBuilder};
use maud::{html, Markup, DOCTYPE};

use crate::center::ConsoleUser;
use crate::routes::page::CSP;
use crate::routes::page_style::serve_asset;

const CSS: &str = include_str!("assets/console.css");
const JS: &str = include_str!("assets/console.js");
/// age-encryption, bundled (`scripts/console_age.sh`): secret namespaces'
/// pages seal values with it before they are sent.
const AGE_JS: &str = include_str!("assets/age.js");

/// A response with the console's headers (no caching: pages show data).
pub fn respond(status: StatusCode) -> HttpResponseBuilder {
    let mut b = HttpResponse::build(status);
    b.insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
    b
}

/// A whole page: the header with navigation (when signed in), then `body`.
pub fn page(title: &str, user: Option<&ConsoleUser>, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · syncdict console" }
                link rel="stylesheet" href="/console/assets/console.css";
                script src="/console/assets/console.js" defer {}
            }
            body {
                header.top {
                    a.brand href="/console" { "syncdict" span { "console" } }
                    @if let Some(user) = user {
                        nav.main aria-label="Sections" {
                            a href="/console" { "Namespaces" }
                            a href="/console/reviews" #nav-reviews { "Reviews"
                                @if user.open_reviews > 0 { " " span.count { "(" (user.open_reviews) ")" } } }
                            @if user.grants.is_admin() {
                                a href="/console/fleet" { "Fleet" }
                                a href="/console/users" { "Users" }
                                a href="/console/tokens" { "Tokens" }
                                a href="/console/webhooks" { "Webhooks" }
                            }
                            a href="/" { "Edge status" }
                        }
                        form.signout method="post" action="/console/logout" {
                            input type="hidden" name="csrf" value=(user.csrf);
                            span.who { (user.username.as_str())
                                @if user.grants.is_admin() { " · admin" } }
                            button.link type="submit" { "Sign out" }
                        }
                    }
                }
                main #main data-csrf=[user.map(|u| u.csrf.as_str())] { (body) }
            }
        }
    }
}

/// Sends `markup` with `status`.
pub fn send(status: StatusCode, markup: Markup) -> HttpResponse {
    respond(status)
        .content_type("text/html; charset=utf-8")
        .body(markup.into_string())
}

/// A page saying what went wrong and what to do.
pub fn error_page(status: StatusCode, title: &str, text: &str) -> HttpResponse {
    send(
        status,
        page(
            title,
            None,
            html! {
                section.card.error {
                    h1 { (title) }
                    p { (text) }
                    p { a href="/console" { "Back to the console" } }
                }
            },
        ),
    )
}

/// A notice or an error shown at the top of a page.
pub fn notice(kind: &str, text: &str) -> Markup {
    html! { div class=(format!("notice {kind}")) role=(if kind == "error" { "alert" } else { "status" }) { (text) } }
}

/// `GET /console/assets/{file}`.
pub async fn asset(file: web::Path<String>) -> HttpResponse {
    serve_asset(
        &[("console.css", CSS), ("console.js", JS), ("age.js", AGE_JS)],
        &file,
    )
}
