//! The RPC path (`server.rpc_path`) as one service of its own: `POST` is a
//! call (`routes::rpc`), `GET` the method browser, anything else 405. A
//! resource of three routes judged each route's guard in turn, and its
//! handlers took their state through extractors: about 1,400 instructions
//! of a repeated pull's 32,800 (BENCHMARKS.md).

use actix_cors::Cors;
use actix_web::dev::{
    fn_service, AppService, HttpServiceFactory, ResourceDef, ServiceRequest, ServiceResponse,
};
use actix_web::http::Method;
use actix_web::web;

use super::method_browser::method_browser;
use super::rpc::{method_not_allowed, rpc, RpcState};
use super::service::register;

pub struct RpcRoutes {
    /// `server.rpc_path`.
    pub path: String,
    pub state: web::Data<RpcState>,
    /// With `server.cors_origins`.
    pub cors: Option<Cors>,
}

impl HttpServiceFactory for RpcRoutes {
    fn register(self, config: &mut AppService) {
        let RpcRoutes { path, state, cors } = self;
        let service = fn_service(move |request: ServiceRequest| {
            let state = state.clone();
            async move {
                let (req, payload) = request.into_parts();
                let response = match *req.method() {
                    Method::POST => rpc(req.clone(), payload, state).await,
                    Method::GET => method_browser(req.clone()).await,
                    _ => method_not_allowed().await,
                };
                Ok(ServiceResponse::new(req, response))
            }
        });
        register(config, ResourceDef::new(path), service, cors)
    }
}
