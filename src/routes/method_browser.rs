//! `GET /RPC`: every method with its signature and help, and a form to try
//! each one from the browser (JavaScript calling the JSON-RPC endpoint).

use actix_web::{HttpRequest, HttpResponse};
use maud::{html, PreEscaped};

use super::page::{html_response, layout};
use crate::rpc::registry::{Method, Protocol};

pub async fn method_browser(req: HttpRequest) -> HttpResponse {
    let path = req.path().to_string();
    html_response(layout(html! {
        section {
            h2 { "JSON-RPC and XML-RPC at " code { (path) } }
            p {
                "POST JSON-RPC 2.0 or 1.0 with " code { "Content-Type: application/json" }
                ", or XML-RPC with " code { "Content-Type: text/xml" } ". "
                code { "rpc.discover" } " returns the OpenRPC document; "
                code { "system.multicall" } " is XML-RPC only. Params below are JSON; optional ones (marked ?) may stay empty."
            }
        }
        @for method in Method::ALL {
            @let xml_only = !method.offered_on(Protocol::Json);
            @let m = method.info();
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
        script { (PreEscaped(TRY_JS)) }
    }))
}

fn placeholder(ty: &str) -> &'static str {
    match ty {
        "string" => "\"text\"",
        "int" => "0",
        _ => "JSON",
    }
}

const TRY_JS: &str = r#"
document.querySelectorAll('form.try').forEach(form => {
  form.addEventListener('submit', async event => {
    event.preventDefault();
    const out = form.nextElementSibling;
    // Params by name; an optional one left empty is left out.
    const params = {};
    try {
      for (const input of form.querySelectorAll('input')) {
        if (input.value === '' && input.hasAttribute('data-optional')) continue;
        params[input.name] = JSON.parse(input.value);
      }
    } catch (e) { out.textContent = 'Params must be JSON: ' + e.message; return; }
    const body = {jsonrpc: '2.0', method: form.dataset.method, params, id: Date.now()};
    try {
      const r = await fetch(location.pathname, {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify(body)});
      out.textContent = 'HTTP ' + r.status + '\n' + JSON.stringify(await r.json(), null, 2);
    } catch (e) { out.textContent = 'Request failed: ' + e.message; }
  });
});
"#;
