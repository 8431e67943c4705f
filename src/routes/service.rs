//! A hot path registered as one service of its own (`CacheRoutes`,
//! `RpcRoutes`): no router or extractors inside it, and CORS only where
//! listed origins may call (`server.cors_origins`), so a server without
//! them pays nothing for it on each request.

use actix_cors::Cors;
use actix_service::{apply, ServiceFactoryExt};
use actix_web::dev::{AppService, ResourceDef, ServiceFactory, ServiceRequest, ServiceResponse};

/// Registers `service` at `rdef`, behind `cors` when given.
pub fn register<S>(config: &mut AppService, rdef: ResourceDef, service: S, cors: Option<Cors>)
where
    S: ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse,
            Error = actix_web::Error,
            InitError = (),
        > + 'static,
{
    match cors {
        None => config.register_service(rdef, None, service, None),
        Some(cors) => {
            let behind = apply(cors, service).map(ServiceResponse::map_into_boxed_body);
            config.register_service(rdef, None, behind, None)
        }
    }
}
