//! [`Server`]: opens storage, bootstraps an empty database, starts the engine and runs the
//! accept loop. Admission control: at most `max_connections` open connections (new ones wait
//! in the kernel's backlog); accept errors back off instead of spinning. Graceful shutdown:
//! stop accepting, tell every WebSocket to reconnect (close 1012), finish HTTP requests, then
//! flush every queued write.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::graceful::GracefulShutdown;
use librekast_engine::{Engine, EngineConfig};
use librekast_storage::{ServerLock, Store};
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;
use tower_service::Service;

use crate::app::App;
use crate::routes;
use crate::ws::UpgradeSlot;
use crate::{Config, WebError, bootstrap};

/// How long shutdown waits for connections to finish before dropping them.
const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);

pub struct Server {
    pub addr: SocketAddr,
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
        let store = Store::connect(&config.database_url).await?;
        tracing::info!(backend = ?store.backend(), "storage ready");
        let admin_password = bootstrap::run(&store).await?;
        let engine_config = EngineConfig {
            idle: config.idle,
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
        let mut app = App::new(engine.clone(), shutdown_rx.clone(), alive_tx, limit.clone());
        app.public_url = config.public_url.clone().map(Arc::from);
        let task = tokio::spawn(accept_loop(listener, app, limit, shutdown_rx));
        tracing::info!(%addr, "LibreKast listening on http://{addr}");
        Ok(Server {
            addr,
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
    /// finish (at most 10 s), then flushes every pending write.
    pub async fn shutdown(mut self) {
        let _ = self.shutdown.send(true);
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, &mut self.task).await;
        // Every WebSocket task holds a sender: recv() returns None once all have ended.
        let _ = tokio::time::timeout(DRAIN_TIMEOUT, self.alive.recv()).await;
        self.engine.shutdown().await;
        self.lock.release().await;
        tracing::info!("server stopped; pending writes flushed");
    }
}

async fn accept_loop(
    listener: TcpListener,
    app: App,
    limit: Arc<Semaphore>,
    mut shutdown: watch::Receiver<bool>,
) {
    let filter = routes::routes(app);
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
        let _ = stream.set_nodelay(true);
        let svc = warp::service(filter.clone());
        let svc = hyper::service::service_fn(move |mut req: http::Request<Incoming>| {
            if req.uri().path().starts_with("/ws/") {
                let on_upgrade = hyper::upgrade::on(&mut req);
                req.extensions_mut().insert(UpgradeSlot::new(on_upgrade));
            }
            req.extensions_mut().insert(peer);
            let mut svc = svc.clone();
            svc.call(req)
        });
        let watcher = graceful.watcher();
        tokio::spawn(async move {
            let mut builder =
                hyper_util::server::conn::auto::Builder::new(TokioExecutor::new()).http1_only();
            builder
                .http1()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(Duration::from_secs(30));
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), svc);
            if let Err(e) = watcher.watch(conn).await {
                tracing::debug!(error = %e, %peer, "connection ended with an error");
            }
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
