//! The floor: an in-process null server for `librekast loadtest --floor`.
//!
//! It speaks the part of the wire the load test uses (login, join, the WebSocket with its
//! first `state`, `control` start / next / results, `vote`, `ack`, coalesced `tally` and
//! `participants`) on the same stack as the server: hyper's HTTP/1.1 with upgrades, and
//! tungstenite with the server's small buffers. It does nothing else: no storage, no
//! sessions, no checks, a fixed plan of one poll then one quiz, and the server's coalescing
//! window for tallies. What the real server costs beyond it is what durability, validation
//! and the meeting logic cost.
//!
//! `librekast loadtest --floor` runs it as a child process of the same binary (the hidden
//! `floor-server` subcommand): its CPU and memory are then read from `/proc` exactly as the
//! server's are, and it has a descriptor table of its own. One process holding both ends of
//! 10,000 WebSockets needs over 20,000 descriptors, more than a common hard limit (20,000 on
//! the CI machine, which may not raise it). Embedded callers (tests) that cannot start the
//! binary run it on a runtime of its own inside their process, whose threads are all named
//! [`THREAD_NAME`], so its CPU time is read from `/proc/self/task` apart from theirs.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::path::Path;

use anyhow::{Context, bail};
use bytes::Bytes;
use futures_util::{SinkExt, StreamExt};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::header::HeaderValue;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use serde::Deserialize;
use serde_json::json;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};
use tokio::net::TcpListener;
use tokio::sync::{Notify, broadcast, oneshot};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::{Role, WebSocketConfig};
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};

/// The name of every thread of the floor's runtime.
pub const THREAD_NAME: &str = "lk-floor";
/// The floor's only meeting (any id is accepted; the load test uses this one).
pub const MEETING: i64 = 1;
/// Its join code (not checked).
pub const CODE: &str = "floor";
/// The hidden subcommand of `librekast` that serves the floor in a child process.
pub const CHILD_COMMAND: &str = "floor-server";

/// The server's coalescing window for tallies and presence, at its default setting.
fn flush_delay(base: Duration, participants: i64) -> Duration {
    let participants = u64::try_from(participants).unwrap_or(0);
    librekast_engine::actor::coalescing_window(base, participants)
}

/// A running floor; [`Floor::stop`] ends it.
pub struct Floor {
    addr: SocketAddr,
    host: Host,
}

enum Host {
    Threads {
        stop: Option<oneshot::Sender<()>>,
        thread: Option<std::thread::JoinHandle<()>>,
    },
    Child(tokio::process::Child),
}

impl Floor {
    /// In this process: binds a loopback port and serves on a new runtime (one worker per
    /// core, as the server's).
    pub fn start() -> anyhow::Result<Floor> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("binding loopback")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(std::thread::available_parallelism().map_or(2, |n| n.get()))
            .thread_name(THREAD_NAME)
            .enable_all()
            .build()
            .context("starting the floor's runtime")?;
        let (stop, stopped) = oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(THREAD_NAME.into())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, stopped).await,
                        Err(e) => eprintln!("floor: {e}"),
                    }
                });
                // Dropping the runtime here, outside any async context, ends its tasks.
            })
            .context("starting the floor's thread")?;
        Ok(Floor {
            addr,
            host: Host::Threads {
                stop: Some(stop),
                thread: Some(thread),
            },
        })
    }

    /// In a child process: `EXE floor-server` (see [`serve_child`]), stopped when its
    /// standard input closes, killed if this process goes away first.
    pub async fn spawn(exe: &Path) -> anyhow::Result<Floor> {
        let mut child = tokio::process::Command::new(exe)
            .arg(CHILD_COMMAND)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("starting {} {CHILD_COMMAND}", exe.display()))?;
        let stdout = child.stdout.take().context("the floor's standard output")?;
        let mut line = String::new();
        let mut stdout = BufReader::new(stdout);
        let read = stdout.read_line(&mut line);
        tokio::time::timeout(Duration::from_secs(10), read)
            .await
            .context("the floor did not start within 10 s")??;
        let Some(addr) = line.trim().strip_prefix("listening ") else {
            bail!("the floor said {line:?} instead of its address");
        };
        let addr = addr
            .parse()
            .with_context(|| format!("the floor's address {addr:?}"))?;
        Ok(Floor {
            addr,
            host: Host::Child(child),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Where its CPU (and, for a child, memory) is read.
    pub fn probe(&self) -> crate::sys::Probe {
        match &self.host {
            Host::Child(child) => match child.id() {
                Some(pid) => crate::sys::Probe::Process(pid),
                None => crate::sys::Probe::Threads(THREAD_NAME),
            },
            Host::Threads { .. } => crate::sys::Probe::Threads(THREAD_NAME),
        }
    }

    pub async fn stop(mut self) {
        match &mut self.host {
            Host::Threads { stop, thread } => {
                if let Some(stop) = stop.take() {
                    let _ = stop.send(());
                }
                if let Some(thread) = thread.take() {
                    let _ = tokio::task::spawn_blocking(move || thread.join()).await;
                }
            }
            Host::Child(child) => {
                drop(child.stdin.take());
                if tokio::time::timeout(Duration::from_secs(5), child.wait())
                    .await
                    .is_err()
                {
                    let _ = child.kill().await;
                }
            }
        }
    }
}

/// `librekast floor-server`: serves the floor on a free loopback port, writes `listening
/// ADDR` as its first line, and stops when its standard input closes (its parent, the load
/// test, ended or went away).
pub async fn serve_child() -> anyhow::Result<()> {
    if let Err(e) = crate::sys::raise_nofile_limit(1 << 20) {
        eprintln!("floor: could not raise the open-file limit: {e}");
    }
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .context("binding loopback")?;
    println!("listening {}", listener.local_addr()?);
    let (stop, stopped) = oneshot::channel();
    tokio::spawn(async move {
        let mut stdin = tokio::io::stdin();
        let mut buf = [0u8; 64];
        while let Ok(n) = stdin.read(&mut buf).await {
            if n == 0 {
                break;
            }
        }
        let _ = stop.send(());
    });
    serve(listener, stopped).await;
    Ok(())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Status {
    Before,
    Waiting,
    Ongoing,
    Results,
    After,
}

impl Status {
    fn as_str(self) -> &'static str {
        match self {
            Status::Before => "before",
            Status::Waiting => "waiting",
            Status::Ongoing => "ongoing",
            Status::Results => "results",
            Status::After => "after",
        }
    }
}

/// The fixed plan: a poll (question 1, choices 11–14), then a quiz (question 2, 21–24).
const KINDS: [&str; 2] = ["poll", "quiz"];
const CHOICES: usize = 4;

fn choice_id(question: usize, k: usize) -> i64 {
    (question as i64 + 1) * 10 + k as i64 + 1
}

struct Meeting {
    status: Status,
    position: usize,
    counts: [[u64; CHOICES]; 2],
}

impl Meeting {
    fn question(&self) -> serde_json::Value {
        let q = self.position.min(KINDS.len() - 1);
        let choices: Vec<_> = (0..CHOICES)
            .map(|k| json!({"id": choice_id(q, k), "text": format!("choice {k}")}))
            .collect();
        json!({"id": q + 1, "kind": KINDS[q], "title": KINDS[q], "choices": choices})
    }

    fn counts(&self, q: usize) -> serde_json::Value {
        let map: serde_json::Map<String, serde_json::Value> = (0..CHOICES)
            .map(|k| (choice_id(q, k).to_string(), json!(self.counts[q][k])))
            .collect();
        serde_json::Value::Object(map)
    }

    /// What an audience sees: staff get the plan and live counts; participants a poll's
    /// live counts, a quiz's only at its results.
    fn state(&self, staff: bool) -> String {
        let q = self.position.min(KINDS.len() - 1);
        let shown = staff
            || self.status == Status::Results
            || (KINDS[q] == "poll" && self.status == Status::Ongoing);
        let mut frame = json!({
            "type": "state",
            "status": self.status.as_str(),
            "position": self.position,
            "question": self.question(),
        });
        if shown && self.status != Status::Before {
            frame["results"] = json!({"question_id": q + 1, "counts": self.counts(q)});
        }
        if staff {
            let plan: Vec<_> = KINDS
                .iter()
                .enumerate()
                .map(|(i, kind)| {
                    let state = if i < self.position || self.status == Status::After {
                        "done"
                    } else {
                        "pending"
                    };
                    json!({"kind": kind, "title": kind, "state": state})
                })
                .collect();
            frame["plan"] = json!(plan);
        }
        frame.to_string()
    }

    /// `false`: refused (the floor has no other rule).
    fn control(&mut self, action: &str) -> bool {
        match (action, self.status) {
            ("start", Status::Before | Status::Waiting) => self.status = Status::Ongoing,
            ("results", Status::Ongoing) => self.status = Status::Results,
            ("next", _) if self.position + 1 < KINDS.len() => {
                self.position += 1;
                self.status = Status::Waiting;
            }
            ("next", _) => self.status = Status::After,
            _ => return false,
        }
        true
    }
}

/// One broadcast frame, serialized once.
#[derive(Clone)]
struct Out {
    staff_only: bool,
    text: Utf8Bytes,
}

struct State {
    meeting: Mutex<Meeting>,
    frames: broadcast::Sender<Out>,
    participants: AtomicI64,
    tally_dirty: AtomicBool,
    presence_dirty: AtomicBool,
    dirty: Notify,
    next_id: AtomicI64,
}

impl State {
    fn publish(&self, staff_only: bool, text: String) {
        let _ = self.frames.send(Out {
            staff_only,
            text: Utf8Bytes::from(text),
        });
    }

    fn publish_states(&self) {
        let (staff, participants) = match self.meeting.lock() {
            Ok(m) => (m.state(true), m.state(false)),
            Err(_) => return,
        };
        self.publish(true, staff);
        self.publish(false, participants);
    }

    /// The coalesced publications: the current tally and the participant count, at most once
    /// per window.
    async fn flush(self: Arc<Self>) {
        let base = librekast_engine::EngineConfig::default().flush_interval;
        loop {
            self.dirty.notified().await;
            let participants = self.participants.load(Ordering::Relaxed);
            tokio::time::sleep(flush_delay(base, participants)).await;
            if self.presence_dirty.swap(false, Ordering::Relaxed) {
                let count = self.participants.load(Ordering::Relaxed);
                self.publish(
                    true,
                    json!({"type": "participants", "count": count}).to_string(),
                );
            }
            if self.tally_dirty.swap(false, Ordering::Relaxed) {
                let tally = self.meeting.lock().ok().map(|m| {
                    let q = m.position.min(KINDS.len() - 1);
                    let frame =
                        json!({"type": "tally", "question_id": q + 1, "counts": m.counts(q)});
                    (KINDS[q] == "quiz", frame.to_string())
                });
                if let Some((staff_only, text)) = tally {
                    self.publish(staff_only, text);
                }
            }
        }
    }

    fn mark(&self, flag: &AtomicBool) {
        flag.store(true, Ordering::Relaxed);
        self.dirty.notify_one();
    }
}

async fn serve(listener: TcpListener, mut stopped: oneshot::Receiver<()>) {
    let state = Arc::new(State {
        meeting: Mutex::new(Meeting {
            status: Status::Before,
            position: 0,
            counts: [[0; CHOICES]; 2],
        }),
        frames: broadcast::channel(256).0,
        participants: AtomicI64::new(0),
        tally_dirty: AtomicBool::new(false),
        presence_dirty: AtomicBool::new(false),
        dirty: Notify::new(),
        next_id: AtomicI64::new(1),
    });
    tokio::spawn(state.clone().flush());
    loop {
        let stream = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
            _ = &mut stopped => return,
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| handle(req, state.clone()));
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

fn reply(status: StatusCode, body: String) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(Bytes::from(body)));
    *res.status_mut() = status;
    res.headers_mut().insert(
        hyper::header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    res
}

#[derive(Deserialize)]
struct JoinBody {
    name: String,
}

async fn handle(
    mut req: Request<Incoming>,
    state: Arc<State>,
) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().to_owned();
    let segments: Vec<&str> = path.trim_matches('/').split('/').collect();
    let res = match (req.method().clone(), segments.as_slice()) {
        (Method::POST, ["api", "login"]) => {
            let id = state.next_id.fetch_add(1, Ordering::Relaxed);
            reply(
                StatusCode::OK,
                json!({"token": format!("s{id}")}).to_string(),
            )
        }
        (Method::POST, ["api", "meetings", _, "join"]) => {
            let body = req.into_body().collect().await.map(|b| b.to_bytes());
            match body
                .ok()
                .and_then(|b| serde_json::from_slice::<JoinBody>(&b).ok())
            {
                Some(j) => {
                    let id = state.next_id.fetch_add(1, Ordering::Relaxed);
                    let answer = json!({"attendee_id": id, "token": format!("p{id}"), "name": j.name, "meeting_id": MEETING});
                    reply(StatusCode::OK, answer.to_string())
                }
                None => reply(StatusCode::BAD_REQUEST, r#"{"error":"bad_request"}"#.into()),
            }
        }
        (Method::GET, ["ws", "meetings", _]) => {
            let staff = req
                .uri()
                .query()
                .and_then(|q| q.split('&').find_map(|kv| kv.strip_prefix("token=")))
                .is_some_and(|t| t.starts_with('s'));
            let key = req
                .headers()
                .get("sec-websocket-key")
                .map(|k| derive_accept_key(k.as_bytes()));
            match key {
                Some(accept) => {
                    let on_upgrade = hyper::upgrade::on(&mut req);
                    tokio::spawn(async move {
                        if let Ok(upgraded) = on_upgrade.await {
                            let config = WebSocketConfig::default()
                                .read_buffer_size(4 * 1024)
                                .write_buffer_size(0)
                                .max_message_size(Some(64 * 1024))
                                .max_frame_size(Some(64 * 1024));
                            let ws = WebSocketStream::from_raw_socket(
                                TokioIo::new(upgraded),
                                Role::Server,
                                Some(config),
                            )
                            .await;
                            connection(ws, staff, state).await;
                        }
                    });
                    let mut res = Response::new(Full::new(Bytes::new()));
                    *res.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
                    let h = res.headers_mut();
                    h.insert(
                        hyper::header::CONNECTION,
                        HeaderValue::from_static("upgrade"),
                    );
                    h.insert(
                        hyper::header::UPGRADE,
                        HeaderValue::from_static("websocket"),
                    );
                    if let Ok(v) = accept.parse() {
                        h.insert(hyper::header::SEC_WEBSOCKET_ACCEPT, v);
                    }
                    res
                }
                None => reply(StatusCode::BAD_REQUEST, r#"{"error":"bad_request"}"#.into()),
            }
        }
        _ => reply(StatusCode::NOT_FOUND, r#"{"error":"not_found"}"#.into()),
    };
    Ok(res)
}

/// The fields of the client frames the floor reads.
#[derive(Deserialize)]
struct ClientFrame {
    #[serde(rename = "type")]
    kind: String,
    #[serde(rename = "ref")]
    reference: Option<serde_json::Value>,
    choice_id: Option<i64>,
    action: Option<String>,
}

fn ack(reference: Option<&serde_json::Value>, ok: bool) -> String {
    let mut frame = json!({"type": "ack", "ok": ok});
    if let Some(r) = reference {
        frame["ref"] = r.clone();
    }
    if !ok {
        frame["error"] = json!("refused");
    }
    frame.to_string()
}

async fn connection<S>(mut ws: WebSocketStream<S>, staff: bool, state: Arc<State>)
where
    S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin,
{
    let mut frames = state.frames.subscribe();
    let first = state.meeting.lock().map(|m| m.state(staff)).ok();
    if !staff {
        state.participants.fetch_add(1, Ordering::Relaxed);
        state.mark(&state.presence_dirty);
    }
    if let Some(first) = first
        && ws.send(Message::text(first)).await.is_ok()
    {
        loop {
            tokio::select! {
                msg = ws.next() => {
                    let text = match msg {
                        Some(Ok(Message::Text(t))) => t,
                        Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
                        Some(Ok(_)) => continue,
                    };
                    let Ok(frame) = serde_json::from_str::<ClientFrame>(text.as_str()) else {
                        continue;
                    };
                    let ok = match frame.kind.as_str() {
                        "vote" => vote(&state, frame.choice_id),
                        "control" if staff => {
                            let done = state
                                .meeting
                                .lock()
                                .is_ok_and(|mut m| m.control(frame.action.as_deref().unwrap_or("")));
                            if done {
                                state.publish_states();
                            }
                            done
                        }
                        _ => false,
                    };
                    if ws.send(Message::text(ack(frame.reference.as_ref(), ok))).await.is_err() {
                        break;
                    }
                }
                out = frames.recv() => match out {
                    Ok(out) => {
                        if (!out.staff_only || staff)
                            && ws.send(Message::Text(out.text)).await.is_err()
                        {
                            break;
                        }
                    }
                    // Behind the ring: a fresh state, as the server does.
                    Err(broadcast::error::RecvError::Lagged(_)) => {
                        let fresh = state.meeting.lock().map(|m| m.state(staff)).ok();
                        if let Some(fresh) = fresh
                            && ws.send(Message::text(fresh)).await.is_err()
                        {
                            break;
                        }
                    }
                    Err(broadcast::error::RecvError::Closed) => break,
                },
            }
        }
    }
    if !staff {
        state.participants.fetch_sub(1, Ordering::Relaxed);
        state.mark(&state.presence_dirty);
    }
    // Sends the reply tungstenite queued when the peer closed, as the server does.
    let _ = tokio::time::timeout(Duration::from_secs(2), SinkExt::close(&mut ws)).await;
}

/// Counts a vote for the open question (the floor trusts it).
fn vote(state: &State, choice: Option<i64>) -> bool {
    let counted = state.meeting.lock().is_ok_and(|mut m| {
        let q = m.position.min(KINDS.len() - 1);
        match (m.status, choice) {
            (Status::Ongoing, Some(c)) => match (0..CHOICES).find(|&k| choice_id(q, k) == c) {
                Some(k) => {
                    m.counts[q][k] += 1;
                    true
                }
                None => false,
            },
            _ => false,
        }
    });
    if counted {
        state.mark(&state.tally_dirty);
    }
    counted
}
