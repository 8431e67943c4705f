//! The route table: which endpoints a process serves, from its roles.

use std::sync::Arc;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{web, App};

use crate::auth::FailureLimiter;
use crate::center::start::CenterRole;
use crate::configuration::{ReadAccess, Settings};
use crate::console::ConsoleState;
use crate::edge::start::EdgeHandle;
use crate::edge::status::EdgeView;
use crate::routes;
use crate::routes::access::Access;
use crate::routes::rpc::{Origins, RpcState};
use crate::rpc::jsonrpc::Limits;
use crate::tls::server::TlsStats;

/// What every HTTP worker's `App` is built from.
#[derive(Clone)]
pub(super) struct Shared {
    rpc: Option<web::Data<RpcState>>,
    /// With the center role: who may read record data on every route.
    access: Option<web::Data<Access>>,
    edge: Option<web::Data<EdgeView>>,
    started: web::Data<routes::metrics::Started>,
    rpc_path: String,
    origins: Arc<Origins>,
    /// With HTTPS: handshake and reload counts for `/metrics`.
    pub(super) tls: Option<web::Data<TlsStats>>,
    /// With the center role: the console (`/console`).
    console: Option<web::Data<ConsoleState>>,
    /// `server.max_body`: the largest console form or JSON body.
    max_body: usize,
}

impl Shared {
    pub(super) fn new(
        settings: &Settings,
        center: Option<&CenterRole>,
        edge: Option<&EdgeHandle>,
    ) -> Shared {
        let s = &settings.server;
        let origins = Arc::new(Origins {
            listed: s.cors_origins.clone(),
            public_hosts: s.public_hosts.clone(),
        });
        let access = center.map(|role| {
            web::Data::new(Access {
                center: role.center.clone(),
                reads_need_user: s.read_access == ReadAccess::Users,
                limiter: FailureLimiter::new(&settings.login, std::time::Instant::now()),
                trusted_proxies: s.trusted_proxies.clone(),
            })
        });
        let rpc = center.zip(access.clone()).map(|(role, access)| {
            web::Data::new(RpcState {
                center: role.center.clone(),
                access,
                limits: Limits {
                    max_reply: s.max_reply.bytes() as usize,
                    max_batch: s.max_batch,
                    max_depth: s.max_json_depth,
                },
                max_body: s.max_body.bytes() as usize,
                request_timeout: s.request_timeout.get(),
                origins: origins.clone(),
            })
        });
        let console = center.zip(access.clone()).map(|(role, access)| {
            web::Data::new(ConsoleState {
                center: role.center.clone(),
                access,
                https: s.tls_cert_file.is_some(),
            })
        });
        Shared {
            rpc,
            console,
            max_body: s.max_body.bytes() as usize,
            access,
            edge: edge.map(|e| web::Data::new(e.view.clone())),
            started: web::Data::new(routes::metrics::Started {
                at_us: crate::domain::now_us(),
            }),
            rpc_path: s.rpc_path.clone(),
            origins,
            tls: None,
        }
    }

    /// One worker's `App`. Hot read routes come first: actix tries routes
    /// in registration order.
    pub(super) fn app(
        &self,
    ) -> App<
        impl ServiceFactory<
            ServiceRequest,
            Config = (),
            Response = ServiceResponse<impl MessageBody>,
            Error = actix_web::Error,
            InitError = (),
        >,
    > {
        let mut app = App::new();
        if let Some(access) = &self.access {
            app = app.app_data(access.clone());
        }
        if let Some(view) = &self.edge {
            app = app
                .app_data(view.clone())
                .service(routes::cache_api::CacheRoutes {
                    edge: view.clone(),
                    access: self.access.clone(),
                    cors: self.cors(),
                })
                .route("/api/status", web::get().to(routes::status::api_status))
                .route("/healthz", web::get().to(routes::status::healthz));
        }
        if let Some(state) = &self.rpc {
            app = app
                .app_data(state.clone())
                .service(routes::rpc_routes::RpcRoutes {
                    path: self.rpc_path.clone(),
                    state: state.clone(),
                    cors: self.cors(),
                });
        }
        if let Some(console) = &self.console {
            app = app
                .app_data(console.clone())
                .app_data(web::FormConfig::default().limit(self.max_body))
                .app_data(web::JsonConfig::default().limit(self.max_body))
                .configure(crate::console::routes);
        }
        if let Some(tls) = &self.tls {
            app = app.app_data(tls.clone());
        }
        app.app_data(self.started.clone())
            .route("/metrics", web::get().to(routes::metrics::metrics))
            .route("/", web::get().to(routes::page::status_page))
            .route("/assets/{file}", web::get().to(routes::page_style::asset))
    }

    /// CORS for `/RPC` and `/api/cache`, when listed origins may call them
    /// from a browser (the console and the pages are same-origin only).
    fn cors(&self) -> Option<actix_cors::Cors> {
        let cross_origin = !self.origins.listed.is_empty();
        cross_origin.then(|| cors(self.origins.clone()))
    }
}

/// CORS: the listed origins and this server's own may call it from a
/// browser, sending Content-Type and Authorization. A request from any other
/// origin gets no CORS headers and is refused before it runs.
fn cors(origins: Arc<Origins>) -> actix_cors::Cors {
    actix_cors::Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let host = head
                .headers()
                .get(actix_web::http::header::HOST)
                .and_then(|h| h.to_str().ok());
            origins.allow(origin.to_str().unwrap_or(""), host)
        })
        .allowed_methods(["GET", "POST"])
        .allowed_headers([
            actix_web::http::header::CONTENT_TYPE,
            actix_web::http::header::AUTHORIZATION,
        ])
        .max_age(3600)
}
