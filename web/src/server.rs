//! [`Server`]: opens storage, bootstraps an empty database, starts the engine and runs the
//! accept loop. Admission control: at most `max_connections` open connections (new ones wait
//! in the kernel's backlog) and `max_connections_per_ip` from one client address (beyond it,
//! closed at once; trusted proxies are exempt); accept errors back off instead of spinning.
//! No connection holds its slot for free: the first request head must arrive within
//! `header_timeout` of accept, an idle keep-alive connection is closed after
//! `keepalive_idle`, a body must arrive within `body_timeout`. HTTP/1.1 only
//! (cleartext HTTP/2 is refused: put HTTP/2 in the TLS proxy). Graceful shutdown: stop
//! accepting, tell every WebSocket to reconnect (close 1012), give HTTP requests
//! [`DRAIN_TIMEOUT`] to finish, then flush every queued write, within a container's 10 s.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use librekast_adapters::StreamsFactory;
use librekast_engine::{Engine, EngineConfig, Extensions};
use librekast_storage::{ServerLock, Store};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tower_service::Service;

use crate::app::App;
use crate::net::{HeldSlot, PerAddress};
use crate::routes;
use crate::site;
use crate::ws::UpgradeSlot;
use crate::{Config, WebError, bootstrap};

/// How long shutdown waits for connections to finish before dropping them (all of it, HTTP
/// and WebSockets together), leaving time to flush writes inside a 10 s stop timeout.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(7);

pub struct Server {
    pub addr: SocketAddr,
    /// Where `GET /metrics` listens, when `LIBREKAST_METRICS_BIND` is set.
    pub metrics_addr: Option<SocketAddr>,
    pub engine: Engine,
    /// The password of the `admin` account when this start created it (shown once).
    pub admin_password: Option<String>,
    shutdown: watch::Sender<bool>,
    alive: mpsc::Receiver<()>,
    task: JoinHandle<()>,
    /// One server per database: released when the server stops or the process dies.
    lock: ServerLock,
}

impl Server {
    pub async fn start(config: Config) -> Result<Server, WebError> {
        if let Some(dir) = &config.data_dir {
            librekast_storage::files::create_private_dir(dir).map_err(|e| {
                WebError::Config(format!(
                    "LIBREKAST_DATA_DIR={}: cannot create it: {e}",
                    dir.display()
                ))
            })?;
        }
        let holder = format!(
            "pid {}, listening on {}, started {}",
            std::process::id(),
            config.bind,
            librekast_storage::now_rfc3339()
        );
        let lock = ServerLock::acquire(&config.database_url, &holder).await?;
        tracing::debug!(lock = %lock.describe(), "database lock taken");
        let limits = librekast_storage::SessionLimits {
            staff_idle: micros(config.session_idle),
            staff_max: micros(config.session_max),
        };
        let store = Store::connect(&config.database_url)
            .await?
            .with_session_limits(limits);
        tracing::info!(backend = ?store.backend(), "storage ready");
        let store = crate::streams::with_secret_key(store, &config)?;
        let admin_password = bootstrap::run(&store).await?;
        let adapters = crate::streams::adapter_env(&store, &config)?;
        let engine_config = EngineConfig {
            idle: config.idle,
            extensions: Extensions(vec![
                Arc::new(StreamsFactory {
                    env: adapters.clone(),
                }),
                Arc::new(librekast_engine::bot_actor::BotsFactory),
            ]),
            ..EngineConfig::default()
        };
        let engine = Engine::start(store, engine_config).await?;
        let listener = TcpListener::bind(config.bind)
            .await
            .map_err(|source| WebError::Bind {
                addr: config.bind,
                source,
            })?;
        let addr = listener.local_addr().map_err(|source| WebError::Bind {
            addr: config.bind,
            source,
        })?;
        let (shutdown, shutdown_rx) = watch::channel(false);
        let (alive_tx, alive) = mpsc::channel(1);
        let limit = Arc::new(Semaphore::new(config.max_connections));
        let app = App::new(
            engine.clone(),
            config.clone(),
            shutdown_rx.clone(),
            alive_tx,
            limit.clone(),
            adapters,
        );
        tokio::spawn(crate::sessions::sweep(
            app.sessions.clone(),
            engine.store().clone(),
            shutdown_rx.clone(),
        ));
        tokio::spawn(crate::streams::prune_chat_ids(
            engine.store().clone(),
            shutdown_rx.clone(),
        ));
        let per_ip = PerAddress::new(
            config.max_connections_per_ip,
            config.trusted_proxies.clone(),
        );
        let timeouts = (config.header_timeout, config.keepalive_idle);
        let task = tokio::spawn(accept_loop(
            listener,
            app,
            limit,
            per_ip,
            timeouts,
            shutdown_rx.clone(),
        ));
        let metrics_addr = match config.metrics_bind {
            None => None,
            Some(bind) => {
                let listener = TcpListener::bind(bind)
                    .await
                    .map_err(|source| WebError::Bind { addr: bind, source })?;
                let bound = listener
                    .local_addr()
                    .map_err(|source| WebError::Bind { addr: bind, source })?;
                tokio::spawn(crate::metrics::serve(listener, engine.clone(), shutdown_rx));
                tracing::info!(addr = %bound, "metrics on http://{bound}/metrics");
                Some(bound)
            }
        };
        tracing::info!(%addr, "LibreKast listening on http://{addr}");
        Ok(Server {
            addr,
            metrics_addr,
            engine,
            admin_password,
            shutdown,
            alive,
            task,
            lock,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, closes WebSockets with 1012 (reconnect), waits for connections to
    /// finish (at most [`DRAIN_TIMEOUT`] in all), flushes every pending write, then releases
    /// the database lock.
    pub async fn shutdown(mut self) {
        let deadline = tokio::time::Instant::now() + DRAIN_TIMEOUT;
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout_at(deadline, &mut self.task).await;
        self.task.abort();
        // Every WebSocket task holds a sender: recv() returns None once all have ended.
        let _ = tokio::time::timeout_at(deadline, self.alive.recv()).await;
        self.engine.shutdown().await;
        self.lock.release().await;
        tracing::info!("server stopped; pending writes flushed");
    }
}

fn micros(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Whether a connection is worth its slot: requests in flight, and when it last finished one.
struct Activity {
    in_flight: AtomicUsize,
    served: AtomicBool,
    /// Milliseconds since the connection's start at which the last request finished.
    last_done_ms: AtomicU64,
}

/// Counts a request in flight until dropped (the response is ready, or the client left).
struct InFlight(Arc<Activity>, Instant);

impl Drop for InFlight {
    fn drop(&mut self) {
        let ms = u64::try_from(self.1.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.0.last_done_ms.store(ms, Ordering::Relaxed);
        self.0.served.store(true, Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: App,
    limit: Arc<Semaphore>,
    per_ip: PerAddress,
    (header_timeout, keepalive_idle): (Duration, Duration),
    mut shutdown: watch::Receiver<bool>,
) {
    let filter = routes::routes(app.clone());
    let graceful = GracefulShutdown::new();
    loop {
        let permit = tokio::select! {
            p = limit.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
            _ = shutdown.changed() => break,
        };
        let (stream, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and similar: back off rather than spin.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => break,
        };
        let Ok(address_slot) = per_ip.take(peer.ip()) else {
            tracing::debug!(%peer, "per-address connection cap reached: closed");
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let started = Instant::now();
        let activity = Arc::new(Activity {
            in_flight: AtomicUsize::new(0),
            served: AtomicBool::new(false),
            last_done_ms: AtomicU64::new(0),
        });
        // A WebSocket takes this connection's place among its address's connections with
        // it: an open WebSocket counts against the per-address cap as long as it lives.
        let address_slot = HeldSlot::new(address_slot);
        let svc = warp::service(filter.clone());
        let counted = activity.clone();
        let held = address_slot.clone();
        let app = app.clone();
        let svc = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
            counted.in_flight.fetch_add(1, Ordering::Relaxed);
            let guard = InFlight(counted.clone(), started);
            // Who is asking, and the cross-site rules, read from the request in place.
            let remote = app.remote(Some(peer), req.headers());
            let refused = site::check(
                &app,
                req.uri().path(),
                req.method(),
                req.headers(),
                req.uri().query().unwrap_or(""),
                &remote,
            )
            .err();
            req.extensions_mut().insert(remote);
            if req.uri().path().starts_with("/ws/") {
                let on_upgrade = hyper::upgrade::on(&mut req);
                req.extensions_mut().insert(UpgradeSlot::new(on_upgrade));
                req.extensions_mut().insert(held.clone());
            }
            req.extensions_mut().insert(peer);
            let route = crate::metrics::route_label(req.uri().path());
            let metrics = app.engine.metrics().clone();
            let mut svc = svc.clone();
            let call = refused.is_none().then(|| svc.call(req));
            async move {
                let response = match (call, refused) {
                    (Some(call), _) => call.await,
                    (None, refused) => Ok(refused.map(|r| r.reply()).unwrap_or_default()),
                };
                if let Ok(r) = &response {
                    metrics.http(&route, r.status().as_u16());
                }
                drop(guard);
                response
            }
        });
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(header_timeout);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
            let conn = watcher.watch(conn);
            let mut conn = std::pin::pin!(conn);
            // When this connection must next show that it is worth its slot: a first request
            // head within `header_timeout`, then a new request within `keepalive_idle` of
            // the last one finishing. A request in flight (its body has its own deadline)
            // postpones the check.
            let deadline = |a: &Activity| {
                if a.in_flight.load(Ordering::Relaxed) > 0 {
                    Instant::now() + keepalive_idle
                } else if a.served.load(Ordering::Relaxed) {
                    started
                        + Duration::from_millis(a.last_done_ms.load(Ordering::Relaxed))
                        + keepalive_idle
                } else {
                    started + header_timeout
                }
            };
            let mut check = deadline(&activity);
            loop {
                tokio::select! {
                    r = &mut conn => {
                        if let Err(e) = r {
                            tracing::debug!(error = %e, %peer, "connection ended with an error");
                        }
                        break;
                    }
                    _ = tokio::time::sleep_until(check.into()) => {
                        check = deadline(&activity);
                        if check <= Instant::now() {
                            // Sent nothing, or nothing more: its slot goes to someone else.
                            tracing::debug!(%peer, "idle connection closed");
                            break;
                        }
                    }
                }
            }
            drop(address_slot);
            drop(permit);
        });
    }
    drop(listener);
    if tokio::time::timeout(DRAIN_TIMEOUT, graceful.shutdown())
        .await
        .is_err()
    {
        tracing::warn!("some HTTP connections did not finish in time");
    }
}
