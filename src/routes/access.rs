//! Who is calling, and may they read records: the one place Basic
//! credentials are checked and `server.read_access` is applied, for `/RPC`
//! and for every route that shows record data (`/api/cache*`, the page).

use std::net::IpAddr;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse, HttpResponseBuilder};

use crate::auth::rate_limit::Refused;
use crate::auth::tokens::parse_bearer;
use crate::auth::{parse_basic, FailureLimiter};
use crate::center::{Center, CheckFailed};
use crate::configuration::Cidr;
use crate::domain::{Grants, Namespace, Principal, Username};
use crate::rpc::{CallError, Caller, Denied, Refusal};

/// The center's users and the read rule, shared by all workers.
pub struct Access {
    pub center: Center,
    /// `server.read_access = "users"`.
    pub reads_need_user: bool,
    pub limiter: FailureLimiter,
    /// `server.trusted_proxies`.
    pub trusted_proxies: Vec<Cidr>,
}

impl Access {
    /// The client's address: the peer, or, when the peer is a trusted
    /// proxy, the last address in `X-Forwarded-For` that is not one (an
    /// address a client wrote there itself comes before its proxy's and is
    /// never taken while a trusted proxy appended the real one).
    pub fn client_ip(&self, req: &HttpRequest) -> IpAddr {
        let peer = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let trusted = |ip: IpAddr| self.trusted_proxies.iter().any(|c| c.contains(ip));
        if !trusted(peer) {
            return peer;
        }
        let forwarded = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .collect::<Vec<_>>();
        for hop in forwarded.iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(ip) if trusted(ip) => continue,
                Ok(ip) => return ip,
                // Unreadable: stop believing the header here.
                Err(_) => return peer,
            }
        }
        peer
    }

    /// Who is calling: anonymous, a token, or a user whose Basic
    /// credentials checked out. Wrong or unreadable credentials are refused
    /// (401) even where anonymous callers would pass; an address with
    /// repeated failures gets 429 for a while.
    pub async fn caller(&self, req: &HttpRequest) -> Result<Caller, Refusal> {
        // Anonymous callers never write, so their address (for the audit
        // log) is not worked out on this, every read's, path.
        let anonymous = Caller {
            principal: None,
            grants: Grants::default(),
            reads_need_user: self.reads_need_user,
            address: None,
            hello: None,
            noted: Default::default(),
        };
        let Some(header) = req.headers().get(header::AUTHORIZATION) else {
            return Ok(anonymous);
        };
        let ip = self.client_ip(req);
        let now = std::time::Instant::now();
        let locked = |why| match why {
            Refused::Busy => Refusal::LoginsInFlight,
            Refused::Slowed(retry_after) => Refusal::TooManyFailures { retry_after },
        };
        let header = header.to_str().unwrap_or("");
        if let Some(token) = parse_bearer(header) {
            // One hash and one lookup; a wrong token counts as a failed
            // login of the address (256 random bits are not guessed, but a
            // flood of tries is still limited like one).
            return match self.center.check_token(token).await {
                Ok(Some((name, grants))) => Ok(Caller {
                    principal: Some(Principal::Token(name)),
                    grants,
                    address: Some(ip),
                    ..anonymous
                }),
                Ok(None) => {
                    self.limiter.attempt(ip, "", now).map_err(locked)?.failed();
                    Err(Refusal::WrongToken)
                }
                Err(CallError::Unavailable) => Err(Refusal::DatabaseUnavailable),
                Err(_) => Err(Refusal::Internal),
            };
        }
        let Some((username, password)) = parse_basic(header) else {
            // Counted like a failed login, under no user name.
            self.limiter.attempt(ip, "", now).map_err(locked)?.failed();
            return Err(Refusal::UnreadableCredentials);
        };
        // A name no user can have is checked like an unknown one (same time).
        let user = Username::parse(&username).ok();
        // A login that checked out lately is no guess: it needs neither the
        // limiter nor argon2id.
        if let Some(known) = &user {
            if let Ok(Some(grants)) = self.center.remembered(known, &password).await {
                return Ok(Caller {
                    principal: Some(Principal::User(known.clone())),
                    grants,
                    address: Some(ip),
                    ..anonymous
                });
            }
        }
        // Admitted before the (costly) check, so a burst of guesses cannot
        // all run; settled by its outcome (dropped: it counts for no one).
        let attempt = self.limiter.attempt(ip, &username, now).map_err(locked)?;
        let checked = self.center.authenticate(user.clone(), password).await;
        match (checked, user) {
            (Ok(Some(grants)), Some(user)) => {
                attempt.succeeded();
                Ok(Caller {
                    principal: Some(Principal::User(user)),
                    grants,
                    address: Some(ip),
                    ..anonymous
                })
            }
            (Ok(_), _) => {
                attempt.failed();
                Err(Refusal::WrongCredentials { user: username })
            }
            // Credentials cannot be checked while the database is down:
            // answer like any call would, with "database unavailable"; the
            // attempt counts against no one.
            (Err(CheckFailed::Call(CallError::Unavailable)), _) => {
                Err(Refusal::DatabaseUnavailable)
            }
            (Err(CheckFailed::Busy), _) => Err(Refusal::PasswordsBusy),
            (Err(CheckFailed::Call(_)), _) => Err(Refusal::Internal),
        }
    }

    /// Whether the request may see the records of `ns`: anyone while reads
    /// are public (credentials are then not even looked at, so the hot read
    /// path costs nothing); with `read_access = "users"`, a user with a
    /// grant on that namespace.
    pub async fn may_read(&self, req: &HttpRequest, ns: &Namespace) -> Result<(), Refusal> {
        if !self.reads_need_user {
            return Ok(());
        }
        let caller = self.caller(req).await?;
        match caller.principal {
            Some(_) if caller.grants.may_read(ns) => Ok(()),
            Some(principal) => Err(Refusal::PermissionDenied {
                principal,
                what: Denied::Read(ns.clone()),
            }),
            None => Err(Refusal::CredentialsRequired),
        }
    }
}

/// Applies `server.read_access` to a route that shows the records of `ns`
/// (with no center role there are no users, and reads are public): `Err`
/// is the response to send, a JSON error with the refusal's status, logged
/// once.
pub async fn check_read(
    req: &HttpRequest,
    access: Option<&web::Data<Access>>,
    ns: &Namespace,
) -> Result<(), HttpResponse> {
    let Some(access) = access else {
        return Ok(());
    };
    access.may_read(req, ns).await.map_err(|refusal| {
        log_refusal(&refusal, Some(&access.client_ip(req).to_string()));
        refused(&refusal)
            .content_type("application/json")
            .body(serde_json::json!({ "error": refusal.error().message }).to_string())
    })
}

/// A response with the refusal's status, and the Basic challenge or
/// `Retry-After` it calls for.
pub fn refused(refusal: &Refusal) -> HttpResponseBuilder {
    let status =
        StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut builder = HttpResponse::build(status);
    if refusal == &Refusal::WrongToken {
        // RFC 6750: a bearer token was sent and is not valid.
        builder.insert_header((
            header::WWW_AUTHENTICATE,
            r#"Bearer realm="syncdict", error="invalid_token""#,
        ));
    } else if refusal.challenges() {
        builder.insert_header((header::WWW_AUTHENTICATE, r#"Basic realm="syncdict""#));
    }
    if let Some(wait) = refusal.retry_after() {
        builder.insert_header((header::RETRY_AFTER, wait.as_secs().to_string()));
    }
    builder
}

/// Logs a request refused before its calls ran: one line, the user name
/// for a failed login, never a secret. (A failed call is logged by the
/// executor's `observe`, so nothing is logged twice.)
pub fn log_refusal(refusal: &Refusal, client: Option<&str>) {
    let status = refusal.status();
    match refusal {
        Refusal::WrongCredentials { user } => {
            let user: String = user.chars().take(64).collect();
            tracing::warn!(user, client, status, "login failed");
        }
        other => tracing::info!(reason = other.label(), client, status, "request refused"),
    }
}
