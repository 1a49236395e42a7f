//! [`App`]: what every route and connection shares (the engine, the configuration, limits,
//! throttles, the shutdown signal), and the error answers for failures that are not the
//! caller's fault.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use librekast_engine::{Engine, EngineError};
use librekast_storage::StorageError;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use warp::Reply;
use warp::http::HeaderMap;
use warp::http::StatusCode;
use warp::reply::Response;

use crate::Config;
use crate::api_error::ApiError;
use crate::auth::PasswordChecker;
use crate::net::{self, Remote};
use crate::sessions::Sessions;
use crate::throttle::{Allowance, Backoff, Concurrency};

/// Failed logins from one address: free ones, then a doubling lockout from 1 s to 15 min.
pub const LOGIN_FREE_PER_IP: u32 = 10;
/// Failed logins for one account from one address (never account-wide: nobody can lock
/// `admin` out from elsewhere).
pub const LOGIN_FREE_PER_ACCOUNT_IP: u32 = 5;
pub const LOGIN_BACKOFF_BASE: Duration = Duration::from_secs(1);
pub const LOGIN_BACKOFF_MAX: Duration = Duration::from_secs(15 * 60);
/// Wrong join codes per address: a burst, then a steady rate. A hall behind one NAT
/// address where some mistype stays under it; guessing a 6-character code does not.
pub const WRONG_CODE_BURST: f64 = 100.0;
pub const WRONG_CODE_PER_SECOND: f64 = 2.0;
/// Password checks in progress from one address at most.
pub const LOGINS_IN_FLIGHT_PER_IP: usize = 4;

#[derive(Clone)]
pub struct App {
    pub engine: Engine,
    pub config: Arc<Config>,
    pub shutdown: watch::Receiver<bool>,
    /// Held by every WebSocket task so shutdown can wait for them.
    pub alive: mpsc::Sender<()>,
    pub limit: Arc<Semaphore>,
    pub passwords: Arc<PasswordChecker>,
    pub login_by_ip: Arc<Backoff<IpAddr>>,
    pub login_by_account: Arc<Backoff<(String, IpAddr)>>,
    pub wrong_codes: Arc<Allowance<IpAddr>>,
    pub logins_in_flight: Arc<Concurrency<IpAddr>>,
    /// Open WebSockets per session, and their revocation.
    pub sessions: Arc<Sessions>,
    /// The chat adapters' shared environment (accounts, platform clients).
    pub adapters: Arc<librekast_adapters::AdapterEnv>,
    /// Device flows in progress, by staff user.
    pub device_flows: Arc<crate::pending::DeviceFlows>,
    /// Where Google's sign-in returns the browser, by OAuth state.
    pub oauth_returns: Arc<crate::pending::OAuthReturns>,
}

impl App {
    pub fn new(
        engine: Engine,
        config: Config,
        shutdown: watch::Receiver<bool>,
        alive: mpsc::Sender<()>,
        limit: Arc<Semaphore>,
        adapters: Arc<librekast_adapters::AdapterEnv>,
    ) -> App {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        App {
            engine,
            config: Arc::new(config),
            shutdown,
            alive,
            limit,
            passwords: Arc::new(PasswordChecker::start(cores)),
            login_by_ip: Arc::new(Backoff::new(
                LOGIN_FREE_PER_IP,
                LOGIN_BACKOFF_BASE,
                LOGIN_BACKOFF_MAX,
            )),
            login_by_account: Arc::new(Backoff::new(
                LOGIN_FREE_PER_ACCOUNT_IP,
                LOGIN_BACKOFF_BASE,
                LOGIN_BACKOFF_MAX,
            )),
            wrong_codes: Arc::new(Allowance::new(WRONG_CODE_BURST, WRONG_CODE_PER_SECOND)),
            logins_in_flight: Arc::new(Concurrency::new(LOGINS_IN_FLIGHT_PER_IP)),
            sessions: Arc::new(Sessions::default()),
            adapters,
            device_flows: Arc::default(),
            oauth_returns: Arc::default(),
        }
    }

    /// `LIBREKAST_PUBLIC_URL`, for join links and QR codes.
    pub fn public_url(&self) -> Option<&str> {
        self.config.public_url.as_deref()
    }

    /// Who is asking: the peer, or the client a trusted proxy forwarded for.
    pub fn remote(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> Remote {
        let peer = peer.unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 0)));
        net::client_of(peer, headers, &self.config.trusted_proxies)
    }
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    ApiError::Unavailable.reply(Some("try again in a moment"))
}

pub fn engine_error(e: EngineError) -> Response {
    match e {
        EngineError::MeetingNotFound => ApiError::NotFound.reply(Some("no such meeting")),
        EngineError::Busy => ApiError::Busy.reply_retry(
            Some("too many meetings are starting at once; try again in a moment"),
            std::time::Duration::from_secs(2),
        ),
        other => internal(other),
    }
}

/// `400 invalid_plan` with every problem, or `409 plan_locked` with its field.
pub fn storage_error(e: StorageError) -> Response {
    match e {
        StorageError::InvalidPlan(errors) => {
            let body = json!({
                "error": "invalid_plan",
                "message": "the plan has problems; each says how to fix it",
                "errors": errors,
            });
            warp::reply::with_status(warp::reply::json(&body), StatusCode::BAD_REQUEST)
                .into_response()
        }
        StorageError::InvalidMeeting(message) => storage_error(StorageError::InvalidPlan(vec![
            librekast_storage::FieldError::from_message(message),
        ])),
        StorageError::PlanLocked { field, message } => {
            let body = json!({"error": "plan_locked", "field": field, "message": message});
            warp::reply::with_status(warp::reply::json(&body), StatusCode::CONFLICT).into_response()
        }
        StorageError::NotFound => ApiError::NotFound.reply(Some("no such meeting")),
        other => internal(other),
    }
}
