//! `GET /RPC`: every method with its signature and help, and a form to try
//! each one from the browser (JavaScript calling the JSON-RPC endpoint).

use actix_web::{HttpRequest, HttpResponse};
use maud::html;

use super::page::{html_response, layout};
use crate::center::Center;
use crate::rpc;
use crate::rpc::method::RpcMethod;
use crate::rpc::registry::Protocol;

pub async fn method_browser(req: HttpRequest) -> HttpResponse {
    let path = req.path().to_string();
    html_response(layout(
        true,
        html! {
        section {
            h2 { "JSON-RPC and XML-RPC at " code { (path) } }
            p {
                "POST JSON-RPC 2.0 or 1.0 with " code { "Content-Type: application/json" }
                ", or XML-RPC with " code { "Content-Type: text/xml" } ". "
                code { (<rpc::Discover as RpcMethod<Center>>::SPEC.name) } " returns the OpenRPC document; "
                code { (<rpc::Multicall as RpcMethod<Center>>::SPEC.name) } " is XML-RPC only. Params below are JSON; optional ones (marked ?) may stay empty."
            }
        }
        @for m in crate::methods::TABLE.iter().map(|d| d.spec) {
            @let xml_only = !m.offered_on(Protocol::Json);
            section.method id=(m.name) {
                h2 {
                    code { (m.name) "(" }
                    @for (i, (name, ty)) in m.params.iter().enumerate() {
                        @if i > 0 { ", " }
                        code { (name) @if i >= m.required { "?" } ": " em { (ty.xmlrpc_name()) } }
                    }
                    code { ") → " em { (m.returns.xmlrpc_name()) } }
                }
                p { (m.help) }
                @if xml_only {
                    p.empty { "Callable over XML-RPC only." }
                } @else {
                    form.try data-method=(m.name) {
                        @for (i, (name, ty)) in m.params.iter().enumerate() {
                            @let optional = i >= m.required;
                            label {
                                (name) @if optional { " (optional)" } " "
                                input name=(name) data-optional[optional] placeholder=(placeholder(ty.xmlrpc_name()));
                            }
                        }
                        button type="submit" { "Call" }
                    }
                    pre.out {}
                }
            }
        }
        script src="/assets/methods.js" defer {}
        },
    ))
}

fn placeholder(ty: &str) -> &'static str {
    match ty {
        "string" => "\"text\"",
        "int" => "0",
        _ => "JSON",
    }
}
