//! `GET /`: the status page, server-rendered (its content is the edge's,
//! `edge::page`); it refreshes its live part every 2 s by fetching itself
//! with `partial=1`. Also the pages' layout and headers.

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup, DOCTYPE};

use super::access::{check_read, Access};
use crate::domain::Namespace;
use crate::edge::page::{live, shown_namespace, PageQuery};
use crate::edge::status::EdgeView;

/// Shows record values, so it is subject to `server.read_access`.
pub async fn status_page(
    req: HttpRequest,
    query: web::Query<PageQuery>,
    edge: Option<web::Data<EdgeView>>,
    access: Option<web::Data<Access>>,
) -> HttpResponse {
    let Some(edge) = edge else {
        if let Err(refused) = check_read(&req, access.as_ref(), &Namespace::default()).await {
            return refused;
        }
        return html_response(layout(
            true,
            html! {
                p { "This process is a center only (no edge role): nothing is cached here. "
                    "JSON-RPC is served at " code { "POST /RPC" } "; the console at "
                    a href="/console" { "/console" } "." }
            },
        ));
    };
    let shown = shown_namespace(&edge, &query);
    if let Err(refused) = check_read(&req, access.as_ref(), &shown).await {
        return refused;
    }
    let live = live(&edge, &query);
    if query.partial == 1 {
        return html_response(live);
    }
    html_response(layout(
        access.is_some(),
        html! {
            form.filter method="get" action="/" {
                input type="hidden" name="ns" value=(query.ns);
                input type="search" name="q" value=(query.q) placeholder="filter keys";
                button type="submit" { "Filter" }
            }
            div #live { (live) }
            script src="/assets/status.js" defer {}
        },
    ))
}

/// The pages' (and the console's) Content-Security-Policy: scripts and
/// styles from this site only, no framing, no inline code.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
                       connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub(crate) fn html_response(markup: Markup) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(markup.into_string())
}

/// A whole page; `center`: this process is a center, so the header links
/// to its console.
pub(crate) fn layout(center: bool, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { "syncdict" }
                link rel="stylesheet" href="/assets/status.css";
            }
            body {
                header {
                    h1 { "syncdict" } span.sub { "shared reference data" }
                    @if center { nav { a href="/console" { "Console" } a href="/RPC" { "Methods" } } }
                }
                main { (body) }
            }
        }
    }
}
