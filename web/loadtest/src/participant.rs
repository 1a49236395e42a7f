//! One simulated participant per task: join, wait until everyone joined, open the
//! WebSocket, then follow the coordinator's phases (vote, check the final view, close) while
//! reading every frame the server pushes, as a phone would. Joining and connecting are
//! separate phases so that the server's cost of each is measured on its own. Everything
//! measured goes back as [`Event`]s.

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::{Instant, sleep_until, timeout};
use tokio_tungstenite::tungstenite::Message;

use librekast_client::http::{Http, error_chain};
use librekast_client::socket::{Ws, close, open, ws_error};
use librekast_client::wire::{Counts, ParticipantFrame, Ref};

/// What every participant task shares.
pub struct Shared {
    pub http: Http,
    /// `ws://host:port`.
    pub ws_base: String,
    pub meeting: i64,
    pub code: String,
    /// Caps joins + handshakes in flight, so a slow server sees a queue, not a stampede.
    pub handshakes: Semaphore,
    pub start: Instant,
    /// Joins per second; `None`: as fast as the server answers (at most
    /// [`Shared::handshakes`] in flight).
    pub join_ramp_per_second: Option<f64>,
    /// WebSocket connections per second, from the start of the connect phase.
    pub ramp_per_second: f64,
    pub timeout: Duration,
    pub events: mpsc::UnboundedSender<Event>,
}

/// What the coordinator asks of every participant; a `watch` so that one send wakes them
/// all at once (the vote burst).
#[derive(Debug, Clone)]
pub enum Phase {
    Idle,
    /// Everyone joined: open the WebSocket, paced from `start`.
    Connect {
        start: Instant,
    },
    /// Vote on `question_id`, picking `choices[idx % len]`; `seq` is the vote's `ref`.
    Vote {
        seq: u64,
        question_id: i64,
        choices: Arc<[i64]>,
    },
    /// Report when this connection's view of `question_id` became `expected`.
    Check {
        seq: u64,
        question_id: i64,
        expected: Arc<Counts>,
        deadline: Instant,
    },
    Close,
}

#[derive(Debug)]
pub enum Event {
    Joined {
        idx: usize,
        join: Duration,
        at: Instant,
    },
    Connected {
        idx: usize,
        handshake: Duration,
        at: Instant,
    },
    Failed {
        idx: usize,
        reason: String,
    },
    /// The connection ended before the coordinator closed it.
    Dropped {
        idx: usize,
        reason: String,
    },
    Acked {
        idx: usize,
        seq: u64,
        sent: Instant,
        at: Instant,
        error: Option<String>,
    },
    /// `exact_at`: when the view (already) held the expected counts; `None`: not by the
    /// deadline.
    Viewed {
        idx: usize,
        seq: u64,
        exact_at: Option<Instant>,
    },
    /// `error`: why the close handshake did not complete, `None` when it did.
    Closed {
        idx: usize,
        error: Option<String>,
        /// Text frames and their bytes received after the first `state`, and the frames
        /// by type (see [`FRAME_TYPES`]).
        frames: u64,
        bytes: u64,
        by_type: [u64; FRAME_TYPES.len() + 1],
    },
}

/// Frame types counted apart; any other counts as `other`.
pub const FRAME_TYPES: [&str; 5] = ["state", "tally", "ack", "score", "words"];

/// The latest counts this connection knows, and since when it has known exactly these.
/// Counts only grow while votes land, so the moment they first equal the expected counts is
/// the moment they last changed: no longer history is needed.
struct View {
    question_id: i64,
    counts: Counts,
    since: Instant,
}

fn observe(view: &mut Option<View>, question_id: i64, counts: Counts, now: Instant) {
    if let Some(v) = view
        && v.question_id == question_id
        && v.counts == counts
    {
        return;
    }
    *view = Some(View {
        question_id,
        counts,
        since: now,
    });
}

fn exact_since(view: &Option<View>, question_id: i64, expected: &Counts) -> Option<Instant> {
    view.as_ref()
        .filter(|v| v.question_id == question_id && v.counts == *expected)
        .map(|v| v.since)
}

struct Check {
    seq: u64,
    question_id: i64,
    expected: Arc<Counts>,
    deadline: Instant,
}

pub async fn run(idx: usize, shared: Arc<Shared>, mut phase: watch::Receiver<Phase>) {
    let events = &shared.events;
    let token = match join(idx, &shared).await {
        Ok(t) => t,
        Err(reason) => {
            let _ = events.send(Event::Failed { idx, reason });
            return;
        }
    };
    // Until the coordinator starts the connect phase; a later phase means this participant
    // joined after everyone else had given up on it.
    let start = loop {
        match &*phase.borrow_and_update() {
            Phase::Idle => {}
            Phase::Connect { start } => break *start,
            _ => return,
        }
        if phase.changed().await.is_err() {
            return;
        }
    };
    let (mut ws, mut view) = match connect(idx, &shared, &token, start).await {
        Ok(c) => c,
        Err(reason) => {
            let _ = events.send(Event::Failed { idx, reason });
            return;
        }
    };
    let mut pending_vote: Option<(u64, Instant)> = None;
    let mut check: Option<Check> = None;
    let (mut frames, mut bytes) = (0u64, 0u64);
    let mut by_type = [0u64; FRAME_TYPES.len() + 1];
    loop {
        let deadline = check.as_ref().map(|c| c.deadline);
        tokio::select! {
            msg = ws.next() => {
                let text = match msg {
                    Some(Ok(Message::Text(t))) => {
                        frames += 1;
                        bytes += t.len() as u64;
                        t
                    }
                    Some(Ok(Message::Close(frame))) => {
                        let code = frame.map(|f| u16::from(f.code).to_string());
                        let reason = format!("closed by the server ({})", code.as_deref().unwrap_or("no code"));
                        let _ = events.send(Event::Dropped { idx, reason });
                        return;
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        let _ = events.send(Event::Dropped { idx, reason: error_chain(&e) });
                        return;
                    }
                    None => {
                        let _ = events.send(Event::Dropped { idx, reason: "connection ended".into() });
                        return;
                    }
                };
                // Frames this client cannot read are not its business (the protocol adds
                // frame types freely); a broken tally shows up as an inexact view anyway.
                let Ok(frame) = serde_json::from_str::<ParticipantFrame>(text.as_str()) else {
                    continue;
                };
                let now = Instant::now();
                let t = FRAME_TYPES
                    .iter()
                    .position(|t| *t == frame.kind)
                    .unwrap_or(FRAME_TYPES.len());
                by_type[t] += 1;
                match &*frame.kind {
                    "ack" => {
                        if let (Some((seq, sent)), Ref(Some(r))) = (pending_vote, frame.reference)
                            && r == seq
                        {
                            pending_vote = None;
                            let error = (frame.ok != Some(true)).then(|| {
                                frame.error.map_or_else(|| "no error code".into(), |e| e.into_owned())
                            });
                            let _ = events.send(Event::Acked { idx, seq, sent, at: now, error });
                        }
                    }
                    "tally" => {
                        if let (Some(q), Some(c)) = (frame.question_id, frame.counts) {
                            observe(&mut view, q, c, now);
                        }
                    }
                    "state" => {
                        if let Some(r) = frame.results {
                            observe(&mut view, r.question_id, r.counts, now);
                        }
                    }
                    _ => {}
                }
                if let Some(c) = &check
                    && let Some(at) = exact_since(&view, c.question_id, &c.expected)
                {
                    let _ = events.send(Event::Viewed { idx, seq: c.seq, exact_at: Some(at) });
                    check = None;
                }
            }
            changed = phase.changed() => {
                if changed.is_err() {
                    return;
                }
                let current = phase.borrow_and_update().clone();
                match current {
                    Phase::Idle | Phase::Connect { .. } => {}
                    Phase::Vote { seq, question_id, choices } => {
                        let Some(&choice) = choices.get(idx % choices.len().max(1)) else {
                            continue;
                        };
                        let text = format!(
                            r#"{{"type":"vote","question_id":{question_id},"choice_id":{choice},"ref":{seq}}}"#
                        );
                        let sent = Instant::now();
                        if let Err(e) = ws.send(Message::text(text)).await {
                            let _ = events.send(Event::Dropped { idx, reason: error_chain(&e) });
                            return;
                        }
                        pending_vote = Some((seq, sent));
                    }
                    Phase::Check { seq, question_id, expected, deadline } => {
                        if let Some(at) = exact_since(&view, question_id, &expected) {
                            let _ = events.send(Event::Viewed { idx, seq, exact_at: Some(at) });
                        } else {
                            check = Some(Check { seq, question_id, expected, deadline });
                        }
                    }
                    Phase::Close => {
                        if let Some(c) = check.take() {
                            let _ = events.send(Event::Viewed { idx, seq: c.seq, exact_at: None });
                        }
                        let error = close(&mut ws).await.err();
                        let _ = events.send(Event::Closed { idx, error, frames, bytes, by_type });
                        return;
                    }
                }
            }
            () = sleep_until(deadline.unwrap_or_else(Instant::now)), if deadline.is_some() => {
                if let Some(c) = check.take() {
                    let _ = events.send(Event::Viewed { idx, seq: c.seq, exact_at: None });
                }
            }
        }
    }
}

/// Waits for this participant's slot in the join ramp (if any), then joins. Errors are
/// short and free of per-participant details so that they aggregate.
async fn join(idx: usize, shared: &Shared) -> Result<String, String> {
    if let Some(rate) = shared.join_ramp_per_second {
        sleep_until(shared.start + Duration::from_secs_f64(idx as f64 / rate)).await;
    }
    let _permit = shared
        .handshakes
        .acquire()
        .await
        .map_err(|_| "stopped".to_string())?;
    let t0 = Instant::now();
    let name = format!("Load test {idx}");
    let token = timeout(
        shared.timeout,
        shared.http.join(shared.meeting, &shared.code, &name),
    )
    .await
    .map_err(|_| "join: timed out".to_string())?
    .map_err(|e| format!("join: {e}"))?;
    let at = Instant::now();
    let _ = shared.events.send(Event::Joined {
        idx,
        join: at - t0,
        at,
    });
    Ok(token)
}

/// Waits for this participant's slot in the connect ramp, then opens the WebSocket and
/// reads its first `state`.
async fn connect(
    idx: usize,
    shared: &Shared,
    token: &str,
    start: Instant,
) -> Result<(Ws, Option<View>), String> {
    let slot = Duration::from_secs_f64(idx as f64 / shared.ramp_per_second);
    sleep_until(start + slot).await;
    let _permit = shared
        .handshakes
        .acquire()
        .await
        .map_err(|_| "stopped".to_string())?;
    let t1 = Instant::now();
    let url = format!(
        "{}/ws/meetings/{}?token={token}",
        shared.ws_base, shared.meeting
    );
    let mut ws = timeout(shared.timeout, open(&url))
        .await
        .map_err(|_| "websocket: timed out".to_string())?
        .map_err(|e| format!("websocket: {}", ws_error(&e)))?;
    let first = timeout(shared.timeout, ws.next())
        .await
        .map_err(|_| "websocket: no first frame".to_string())?;
    let text = match first {
        Some(Ok(Message::Text(t))) => t,
        Some(Ok(Message::Close(f))) => {
            let code = f.map(|f| u16::from(f.code).to_string());
            return Err(format!(
                "websocket: closed at once ({})",
                code.as_deref().unwrap_or("no code")
            ));
        }
        Some(Ok(_)) => return Err("websocket: first frame is not text".into()),
        Some(Err(e)) => return Err(format!("websocket: {}", ws_error(&e))),
        None => return Err("websocket: ended before the first frame".into()),
    };
    let now = Instant::now();
    let frame = serde_json::from_str::<ParticipantFrame>(text.as_str())
        .map_err(|_| "websocket: first frame is not JSON".to_string())?;
    if frame.kind != "state" {
        return Err("websocket: first frame is not a state".into());
    }
    let mut view = None;
    if let Some(r) = frame.results {
        observe(&mut view, r.question_id, r.counts, now);
    }
    let _ = shared.events.send(Event::Connected {
        idx,
        handshake: now - t1,
        at: now,
    });
    Ok((ws, view))
}
