//! The console: run the reference data from a browser (`/console`).
//! Server-rendered pages (maud) with a little plain JavaScript where it
//! earns its place (the JSON editor, staged changes and their diff), all
//! embedded in the binary.
//!
//! Every action is an in-process call (`rpc::call_json`) of the
//! signed-in user: the same params, permission check and executor as
//! `/RPC`, so the console can do nothing the API would refuse. Sessions
//! live in the database (`center::sessions`), so any center serves them.
//! `/RPC` never looks at the session cookie: a console session authorizes
//! nothing there.
//!
//! Files: `session.rs` (cookie, CSRF, same-origin checks, who is signed
//! in), `login.rs`, `layout.rs` (page chrome, headers, assets),
//! `namespaces.rs`, `records.rs` (browse, search, edit, publish),
//! `history.rs` (timeline, a key's writes, rollback with a preview),
//! `reviews.rs` (change requests: list, diff, review, publish, withdraw),
//! `gray.rs` and `gray_page.rs` (gray releases: start from staged
//! changes, a release's members and health, widen, promote, abort),
//! `transfer.rs` (export, import with a dry run), `tokens.rs`
//! (administrators: list, create shown once, revoke), `users.rs`
//! (administrators: add, grants, administrator, password, remove),
//! `webhooks.rs` (administrators: delivery logs, redeliver).

/// The signed-in user of `$req`, or return the response that sends the
/// browser to sign in (or says why not).
macro_rules! signed_in_or_return {
    ($req:expr, $state:expr) => {
        match $crate::console::session::signed_in(&$req, &$state).await {
            Ok(user) => user,
            Err(refused) => return refused.response(&$req),
        }
    };
}

/// The signed-in user of a state-changing `$req` carrying CSRF token
/// `$token`, or return the refusal.
macro_rules! may_change_or_return {
    ($req:expr, $state:expr, $token:expr) => {
        match $crate::console::session::may_change(&$req, &$state, $token).await {
            Ok(user) => user,
            Err(refused) => return refused.response(&$req),
        }
    };
}

mod fleet;
mod gray;
mod gray_page;
mod history;
mod layout;
mod login;
mod namespaces;
mod records;
mod records_forms;
mod reviews;
mod session;
mod tokens;
mod transfer;
mod users;
mod webhooks;

use actix_web::web;
use serde_json::{json, Value};

use crate::center::{Center, ConsoleUser};
use crate::domain::Principal;
use crate::routes::access::Access;
use crate::rpc::method::RpcMethod;
use crate::rpc::{call_json, Caller, RpcError};

/// What every console handler shares.
pub struct ConsoleState {
    pub center: Center,
    pub access: web::Data<Access>,
    /// Mark the session cookie `Secure` (HTTPS served here).
    pub https: bool,
}

impl ConsoleState {
    /// `call` for a method that answers an array (a list of tokens, users,
    /// writes...): its items, or the redirect back to `back` with what
    /// went wrong, for the handler to return.
    pub async fn items<M: RpcMethod<Center>>(
        &self,
        user: &ConsoleUser,
        req: &actix_web::HttpRequest,
        params: Value,
        back: &str,
    ) -> Result<Vec<Value>, actix_web::HttpResponse> {
        match self.call::<M>(user, req, params).await {
            Ok(Value::Array(items)) => Ok(items),
            Ok(_) => Ok(Vec::new()),
            Err(e) => Err(namespaces::back_to(back, "error", &e.message)),
        }
    }

    /// Runs method `M` with `params` as `user` would over `/RPC`, and
    /// reads its result.
    pub async fn call<M: RpcMethod<Center>>(
        &self,
        user: &ConsoleUser,
        req: &actix_web::HttpRequest,
        params: Value,
    ) -> Result<Value, RpcError> {
        let caller = Caller {
            principal: Some(Principal::User(user.username.clone())),
            grants: user.grants.clone(),
            reads_need_user: self.access.reads_need_user,
            address: Some(self.access.client_ip(req)),
            hello: None,
            noted: Default::default(),
        };
        let raw = call_json::<Center, M>(&self.center, &caller, params).await?;
        serde_json::from_str(raw.as_str())
            .map_err(|_| RpcError::new(crate::rpc::error::INTERNAL_ERROR, "internal error"))
    }
}

impl ConsoleState {
    /// Namespace `ns` as `user` sees it (`None` when it does not exist or
    /// cannot be read).
    pub async fn namespace_row(
        &self,
        user: &ConsoleUser,
        req: &actix_web::HttpRequest,
        ns: &str,
    ) -> Option<Value> {
        let found = self.call::<crate::namespaces::Get>(user, req, json!([ns]));
        found.await.ok()
    }

    /// The JSON Schema of `ns`, if it has one.
    pub async fn namespace_schema(
        &self,
        user: &ConsoleUser,
        req: &actix_web::HttpRequest,
        ns: &str,
    ) -> Option<Value> {
        let row = self.namespace_row(user, req, ns).await?;
        Some(row["schema"].clone()).filter(|s| !s.is_null())
    }
}

/// The console's routes, under `/console`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/console")
            .route("", web::get().to(namespaces::list))
            .route("/", web::get().to(namespaces::list))
            .route("/login", web::get().to(login::form))
            .route("/login", web::post().to(login::sign_in))
            .route("/logout", web::post().to(login::sign_out))
            .route("/assets/{file}", web::get().to(layout::asset))
            .route("/namespaces", web::post().to(namespaces::create))
            .route("/fleet", web::get().to(fleet::fleet))
            .route("/reviews", web::get().to(reviews::list))
            .route("/reviews/{id}", web::get().to(reviews::show))
            .route("/reviews/{id}/gray", web::get().to(gray::request_form))
            .route("/reviews/{id}/gray", web::post().to(gray::release_request))
            .route("/reviews/{id}/{action}", web::post().to(reviews::act))
            .route("/webhooks", web::get().to(webhooks::list))
            .route(
                "/webhooks/{name}/redeliver",
                web::post().to(webhooks::redeliver),
            )
            .route("/tokens", web::get().to(tokens::list))
            .route("/tokens", web::post().to(tokens::create))
            .route("/tokens/{name}/revoke", web::post().to(tokens::revoke))
            .route("/users", web::get().to(users::list))
            .route("/users", web::post().to(users::add))
            .route("/users/{name}", web::get().to(users::edit))
            .route("/users/{name}", web::post().to(users::change))
            .route("/ns/{ns}", web::get().to(records::browse))
            .route("/ns/{ns}/value", web::get().to(records::value))
            .route("/ns/{ns}/check", web::post().to(records::check))
            .route("/ns/{ns}/publish", web::post().to(records::publish))
            .route("/ns/{ns}/gray", web::post().to(gray::start))
            .route("/gray/{id}", web::get().to(gray_page::show))
            .route("/gray/{id}/{action}", web::post().to(gray::act))
            .route("/ns/{ns}/schema", web::post().to(namespaces::set_schema))
            .route("/ns/{ns}/delete", web::post().to(namespaces::delete))
            .route("/ns/{ns}/history", web::get().to(history::timeline))
            .route("/ns/{ns}/key", web::get().to(history::key))
            .route("/ns/{ns}/rollback", web::get().to(history::preview))
            .route("/ns/{ns}/rollback", web::post().to(history::rollback))
            .route("/ns/{ns}/export", web::get().to(transfer::export))
            .route("/ns/{ns}/import", web::post().to(transfer::import)),
    );
}
