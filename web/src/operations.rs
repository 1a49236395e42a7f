//! The live operations page (docs/operations.md, "Reading the operations page"), admins
//! only:
//!
//! - `GET /operate.html`: the page, served only to an admin session; anyone else gets a
//!   `403` page of its own (not the page's shell, which would then fail on every request).
//! - `GET /api/operations`: one snapshot ([`librekast_engine::operations::Snapshot`]).
//! - `GET /api/operations/stream`: Server-Sent Events. `snapshot` at once and then once a
//!   second; `events` (the supervision journal) with the backlog first and then new ones,
//!   at most four batches a second, each with the `id` of its last event so a reconnect
//!   (`Last-Event-ID`) resumes after it.
//!
//! Nothing is computed while nobody watches: each open stream builds its own snapshots,
//! and only when hyper asks for the next message, so a slow browser simply gets fewer
//! (the latest state, never a queue of old ones). The session is checked again every
//! [`RECHECK`]: a revoked or demoted admin's stream ends.

use std::convert::Infallible;
use std::time::Duration;

use futures_util::stream::{self, Stream};
use librekast_engine::Action;
use librekast_engine::journal::SupervisionEvent;
use serde_json::json;
use tokio::time::{Instant, MissedTickBehavior};
use warp::filters::BoxedFilter;
use warp::http::{HeaderMap, StatusCode, header};
use warp::reply::Response;
use warp::sse::Event;
use warp::{Filter, Reply};

use crate::app::App;
use crate::input::with_app;
use crate::principal;

/// How often a watching page gets a fresh snapshot.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
/// The shortest gap between two batches of events.
const EVENTS_GAP: Duration = Duration::from_millis(250);
/// How often the watcher's session is checked again.
const RECHECK: Duration = Duration::from_secs(10);

pub fn routes(app: App) -> BoxedFilter<(Response,)> {
    let page = warp::path!("operate.html")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(page);
    let snapshot = warp::path!("api" / "operations")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app.clone()))
        .then(snapshot);
    let stream = warp::path!("api" / "operations" / "stream")
        .and(warp::get())
        .and(warp::header::headers_cloned())
        .and(with_app(app))
        .then(events);
    page.or(snapshot).unify().or(stream).unify().boxed()
}

/// The admin behind the request: `401` without a staff session, `403` for an organizer.
async fn admin(app: &App, headers: &HeaderMap) -> Result<(), Response> {
    let refusal = "only admins see the operations page";
    principal::staff_may(app, headers, Action::Operate, refusal)
        .await
        .map(drop)
}

async fn page(headers: HeaderMap, app: App) -> Response {
    match admin(&app, &headers).await {
        Ok(()) => crate::assets::serve("operate.html"),
        Err(_) => forbidden_page(),
    }
}

/// What a non-admin sees at `/operate.html` (both languages: it has no script to pick one).
fn forbidden_page() -> Response {
    let body = r#"<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Admins only · LibreKast</title>
<link rel="stylesheet" href="/css/app.css">
</head>
<body>
<main class="mid" id="main">
<section class="card">
<h1>Admins only</h1>
<p>The operations page shows every running meeting of this server: only an admin may open it. Log in as an admin, then open it from the header.</p>
<p><a class="button" href="/meetings.html">My meetings (log in)</a></p>
</section>
<section class="card" lang="fr">
<h2>Réservé aux administrateurs</h2>
<p>La page d’exploitation montre toutes les réunions en cours sur ce serveur : seul un administrateur peut l’ouvrir. Connectez-vous en administrateur, puis ouvrez-la depuis l’en-tête.</p>
<p><a class="button" href="/meetings.html">Mes réunions (connexion)</a></p>
</section>
</main>
</body>
</html>
"#;
    let reply = warp::reply::with_status(body, StatusCode::FORBIDDEN);
    let reply = warp::reply::with_header(reply, header::CONTENT_TYPE, "text/html; charset=utf-8");
    let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store");
    let reply = warp::reply::with_header(reply, "x-content-type-options", "nosniff");
    warp::reply::with_header(reply, "content-security-policy", crate::assets::CSP).into_response()
}

async fn snapshot(headers: HeaderMap, app: App) -> Response {
    if let Err(refusal) = admin(&app, &headers).await {
        return refusal;
    }
    let reply = warp::reply::json(&app.engine.operations());
    warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store").into_response()
}

async fn events(headers: HeaderMap, app: App) -> Response {
    if let Err(refusal) = admin(&app, &headers).await {
        return refusal;
    }
    let after = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        // An id beyond the newest event is from before a restart of the server.
        .filter(|&seq| seq <= app.engine.metrics().journal.last_seq())
        .unwrap_or(0);
    let stream = watch(app.clone(), recheck(app, headers), after);
    let reply = warp::sse::reply(warp::sse::keep_alive().stream(stream));
    // A proxy must not hold the stream back (nginx buffers responses by default).
    let reply = warp::reply::with_header(reply, "x-accel-buffering", "no");
    warp::reply::with_header(reply, header::CACHE_CONTROL, "no-store").into_response()
}

/// Becomes `true` once the watcher is no longer an admin (checked every [`RECHECK`] by a
/// task that ends with the stream).
fn recheck(app: App, headers: HeaderMap) -> tokio::sync::watch::Receiver<bool> {
    let (tx, rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RECHECK) => {
                    if admin(&app, &headers).await.is_err() {
                        let _ = tx.send(true);
                        return;
                    }
                }
                _ = tx.closed() => return,
            }
        }
    });
    rx
}

/// What one watcher's stream remembers between messages.
struct Watcher {
    app: App,
    revoked: tokio::sync::watch::Receiver<bool>,
    /// The `seq` of the last event sent.
    sent: u64,
    journal: tokio::sync::watch::Receiver<u64>,
    snapshots: tokio::time::Interval,
    last_batch: Option<Instant>,
    first: bool,
}

enum Next {
    Snapshot,
    Events,
    End,
}

fn watch(
    app: App,
    revoked: tokio::sync::watch::Receiver<bool>,
    after: u64,
) -> impl Stream<Item = Result<Event, Infallible>> + Send + 'static {
    let mut snapshots = tokio::time::interval(SNAPSHOT_EVERY);
    // Missed ticks (a slow reader) are skipped: the next snapshot is simply the current one.
    snapshots.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let journal = app.engine.metrics().journal.watch();
    let watcher = Watcher {
        app,
        revoked,
        sent: after,
        journal,
        snapshots,
        last_batch: None,
        first: true,
    };
    stream::unfold(watcher, |mut w| async move {
        match w.next().await {
            Next::End => None,
            Next::Snapshot => {
                let data = serde_json::to_string(&w.app.engine.operations()).unwrap_or_default();
                Some((Ok(Event::default().event("snapshot").data(data)), w))
            }
            Next::Events => {
                let events = w.app.engine.metrics().journal.since(w.sent);
                w.last_batch = Some(Instant::now());
                let Some(last) = events.last().map(|e| e.seq) else {
                    // Nothing new after all (already sent): an empty batch keeps the order.
                    return Some((Ok(Event::default().comment("")), w));
                };
                w.sent = last;
                Some((Ok(events_message(&events, last)), w))
            }
        }
    })
}

fn events_message(events: &[SupervisionEvent], last: u64) -> Event {
    let data = serde_json::to_string(&json!({ "events": events })).unwrap_or_default();
    Event::default()
        .event("events")
        .id(last.to_string())
        .data(data)
}

impl Watcher {
    /// Waits for what to send next.
    async fn next(&mut self) -> Next {
        if self.first {
            // The first tick is immediate: the snapshot, then the backlog.
            self.first = false;
            self.snapshots.tick().await;
            return Next::Snapshot;
        }
        let mut shutdown = self.app.shutdown.clone();
        loop {
            if *shutdown.borrow() || *self.revoked.borrow() {
                return Next::End;
            }
            if self.app.engine.metrics().journal.last_seq() > self.sent {
                let due = self.last_batch.map_or(Instant::now(), |t| t + EVENTS_GAP);
                tokio::select! {
                    _ = self.snapshots.tick() => return Next::Snapshot,
                    _ = tokio::time::sleep_until(due) => return Next::Events,
                    _ = shutdown.changed() => return Next::End,
                    _ = self.revoked.changed() => return Next::End,
                }
            }
            tokio::select! {
                _ = self.snapshots.tick() => return Next::Snapshot,
                changed = self.journal.changed() => {
                    if changed.is_err() {
                        return Next::End;
                    }
                }
                _ = shutdown.changed() => return Next::End,
                _ = self.revoked.changed() => return Next::End,
            }
        }
    }
}
