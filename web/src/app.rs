//! [`App`]: what every route and connection shares (the engine, limits, the shutdown
//! signal), and the error answers for failures that are not the caller's fault.

use std::sync::Arc;

use librekast_engine::{Engine, EngineError};
use tokio::sync::{Semaphore, mpsc, watch};
use warp::reply::Response;

use crate::api_error::ApiError;

#[derive(Clone)]
pub struct App {
    pub engine: Engine,
    pub shutdown: watch::Receiver<bool>,
    /// Held by every WebSocket task so shutdown can wait for them.
    pub alive: mpsc::Sender<()>,
    pub limit: Arc<Semaphore>,
    /// Password checks running at once. Each argon2id check holds 19 MiB for tens of ms:
    /// unbounded, a burst of 1,000 logins took 9 GiB of memory. One per core.
    pub password_slots: Arc<Semaphore>,
    /// `LIBREKAST_PUBLIC_URL`, for join links and QR codes.
    pub public_url: Option<Arc<str>>,
}

impl App {
    pub fn new(
        engine: Engine,
        shutdown: watch::Receiver<bool>,
        alive: mpsc::Sender<()>,
        limit: Arc<Semaphore>,
    ) -> App {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        App {
            engine,
            shutdown,
            alive,
            limit,
            password_slots: Arc::new(Semaphore::new(cores)),
            public_url: None,
        }
    }
}

pub fn internal(e: impl std::fmt::Display) -> Response {
    tracing::error!(error = %e, "request failed");
    ApiError::Unavailable.reply(Some("try again in a moment"))
}

pub fn engine_error(e: EngineError) -> Response {
    match e {
        EngineError::MeetingNotFound => ApiError::NotFound.reply(Some("no such meeting")),
        other => internal(other),
    }
}
