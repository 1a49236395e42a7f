//! The WebSocket endpoint. The upgrade is done here rather than with `warp::ws()` so the
//! socket gets small buffers (tungstenite's default read buffer is 128 KiB per connection)
//! and a 64 KiB frame limit. Each connection is one task: it reads frames, waits for acks
//! (several in flight), and forwards the meeting's broadcast. The broadcast ring is the
//! connection's bounded outbox: a connection that falls behind it skips to a fresh snapshot
//! instead of slowing anyone, and one that cannot take a frame for 10 s is dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::stream::FuturesUnordered;
use futures_util::{Sink, SinkExt, Stream, StreamExt};
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use librekast_engine::wire::{ack_frame, score_frame};
use librekast_engine::words::normalize;
use librekast_engine::{
    AckOk, AckResult, Action, Audience, Command, ErrorCode, Frame, MeetingHandle, MeetingRef,
    Principal, You,
};
use librekast_storage::{ActivityId, ChoiceId, MeetingAccess, MeetingId};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{OwnedSemaphorePermit, mpsc, watch};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::error::{CapacityError, Error as WsError};
use tokio_tungstenite::tungstenite::handshake::derive_accept_key;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role, WebSocketConfig};
use warp::Reply;
use warp::http::{HeaderMap, StatusCode};
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, engine_error};
use crate::net::{AddressSlot, HeldSlot};
use crate::principal::{self, Caller};
use crate::sessions::SessionGuard;
use crate::{auth, protocol};

/// Largest client frame; a larger one closes the connection with 1009.
pub const MAX_FRAME_BYTES: usize = 64 * 1024;
/// Commands of one connection waiting for their ack; beyond it: `rate_limited`.
pub const MAX_IN_FLIGHT: usize = 32;
/// Sustained frames per second per participant connection, and the burst allowed above it.
pub const RATE_PER_SECOND: f64 = 20.0;
pub const RATE_BURST: f64 = 40.0;
/// Sustained bytes per second per participant connection, and the burst allowed above it.
/// Real frames are a few hundred bytes; a connection sending 64 KiB frames hits this long
/// before the frame rate, and the frames over it are refused unread (never parsed).
pub const BYTE_RATE_PER_SECOND: f64 = 32.0 * 1024.0;
pub const BYTE_RATE_BURST: f64 = 256.0 * 1024.0;
/// Staff connections are authenticated operators (and presenter tools): ten times more.
pub const STAFF_RATE_FACTOR: f64 = 10.0;
const SEND_TIMEOUT: Duration = Duration::from_secs(10);
const PING_EVERY: Duration = Duration::from_secs(30);
const IDLE_LIMIT: Duration = Duration::from_secs(90);

/// Close codes (see docs/protocol.md). 1012 and 1013: reconnect. 1009: do not resend the
/// same frame. 4001: this display link was revoked, do not reconnect with it.
pub mod close {
    pub const PROTOCOL_ERROR: u16 = 1002;
    pub const NOT_UTF8: u16 = 1007;
    pub const TOO_BIG: u16 = 1009;
    pub const RESTARTING: u16 = 1012;
    pub const TRY_AGAIN: u16 = librekast_engine::view::CLOSE_TRY_AGAIN;
    pub const DISPLAY_REVOKED: u16 = librekast_engine::view::CLOSE_DISPLAY_REVOKED;
    /// The same code for a staff session that ended (logout, password change, user
    /// removed, expired): do not reconnect with it.
    pub const SESSION_REVOKED: u16 = librekast_engine::view::CLOSE_DISPLAY_REVOKED;
}

/// The hyper upgrade future of a `/ws/…` request, handed to warp through request extensions.
#[derive(Clone)]
pub struct UpgradeSlot(Arc<Mutex<Option<OnUpgrade>>>);

impl UpgradeSlot {
    pub fn new(on_upgrade: OnUpgrade) -> UpgradeSlot {
        UpgradeSlot(Arc::new(Mutex::new(Some(on_upgrade))))
    }
    fn take(&self) -> Option<OnUpgrade> {
        self.0.lock().ok().and_then(|mut s| s.take())
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// Finds who is connecting: `?token=` first, else the cookies (`?role=` picks one when a
/// browser holds both a staff and a participant session). A participant or display session
/// of another meeting does not count here.
async fn identify(
    app: &App,
    meeting: MeetingId,
    headers: &HeaderMap,
    query: &HashMap<String, String>,
) -> Result<Option<(Caller, String)>, Response> {
    let cookies = header(headers, "cookie");
    let participant = auth::cookie_value(cookies, auth::PARTICIPANT_COOKIE);
    let staff = auth::cookie_value(cookies, auth::STAFF_COOKIE);
    let candidates: Vec<&str> = match (query.get("token"), query.get("role").map(String::as_str)) {
        (Some(t), _) => vec![t.as_str()],
        (None, Some("staff")) => staff.into_iter().collect(),
        (None, Some("participant")) => participant.into_iter().collect(),
        (None, _) => participant.into_iter().chain(staff).collect(),
    };
    for token in candidates {
        if let Some(c) = principal::from_token(app, token).await? {
            let elsewhere = match &c.principal {
                Principal::Participant { meeting: m, .. }
                | Principal::Display { meeting: m, .. } => *m != meeting,
                Principal::Staff { .. } => false,
            };
            if !elsewhere {
                return Ok(Some((c, token.to_string())));
            }
        }
    }
    Ok(None)
}

pub async fn upgrade(
    id: i64,
    headers: HeaderMap,
    query: HashMap<String, String>,
    slot: Option<UpgradeSlot>,
    address: Option<HeldSlot>,
    peer: Option<SocketAddr>,
    app: App,
) -> Response {
    let is_upgrade = header(&headers, "connection")
        .to_ascii_lowercase()
        .contains("upgrade")
        && header(&headers, "upgrade").eq_ignore_ascii_case("websocket")
        && header(&headers, "sec-websocket-version") == "13";
    let key = header(&headers, "sec-websocket-key");
    let Some(on_upgrade) = slot
        .and_then(|s| s.take())
        .filter(|_| is_upgrade && !key.is_empty())
    else {
        return ApiError::BadRequest.reply(Some("expected a WebSocket upgrade"));
    };
    let meeting_id = MeetingId(id);
    let (caller, token) = match identify(&app, meeting_id, &headers, &query).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return ApiError::Unauthorized.reply(Some("join the meeting or log in first"));
        }
        Err(response) => return response,
    };
    // A staff account that may not control this meeting is refused here, not per frame.
    let access =
        match principal::authorize(&app, &caller.principal, Action::Watch, meeting_id).await {
            Ok(a) => a,
            Err(response) => return response,
        };
    let handle = match app.engine.meeting(meeting_id).await {
        Ok(h) => h,
        Err(e) => return engine_error(e),
    };
    let staff = matches!(caller.principal, Principal::Staff { .. });
    let Some(session) = app.sessions.open(&token, staff, meeting_id.0) else {
        return ApiError::RateLimited.reply_retry(
            Some("too many open connections for this session"),
            Duration::from_secs(5),
        );
    };
    let Ok(permit) = app.limit.clone().try_acquire_owned() else {
        return ApiError::ServerFull.reply(Some("too many connections, try again later"));
    };
    let accept = derive_accept_key(key.as_bytes());
    let conn = Conn {
        handle,
        caller,
        access,
        shutdown: app.shutdown.clone(),
        session: Some(session),
        _address: address.and_then(|a| a.take()),
        _alive: app.alive.clone(),
        _permit: permit,
        metrics: app.engine.metrics().clone(),
    };
    tokio::spawn(async move {
        match on_upgrade.await {
            Ok(upgraded) => {
                let config = WebSocketConfig::default()
                    .read_buffer_size(4 * 1024)
                    .write_buffer_size(0)
                    .max_message_size(Some(MAX_FRAME_BYTES))
                    .max_frame_size(Some(MAX_FRAME_BYTES));
                let ws = WebSocketStream::from_raw_socket(
                    TokioIo::new(upgraded),
                    Role::Server,
                    Some(config),
                )
                .await;
                run(ws, conn).await;
            }
            Err(e) => tracing::debug!(error = %e, ?peer, "websocket upgrade failed"),
        }
    });
    let reply = warp::reply::with_status(warp::reply(), StatusCode::SWITCHING_PROTOCOLS);
    let reply = warp::reply::with_header(reply, "connection", "upgrade");
    let reply = warp::reply::with_header(reply, "upgrade", "websocket");
    warp::reply::with_header(reply, "sec-websocket-accept", accept).into_response()
}

/// Everything one connection needs; dropping it releases its connection slot.
pub struct Conn {
    pub handle: Arc<MeetingHandle>,
    pub caller: Caller,
    /// Who owns the meeting, for the permission check of every frame.
    pub access: MeetingAccess,
    pub shutdown: watch::Receiver<bool>,
    /// This connection's place among its session's sockets; tells it when the session is
    /// revoked. `None` in tests that drive [`run`] without a server.
    pub session: Option<SessionGuard>,
    /// This connection's place among its client address's connections.
    pub _address: Option<AddressSlot>,
    pub _alive: mpsc::Sender<()>,
    pub _permit: OwnedSemaphorePermit,
    /// Where this connection's acks are counted (`librekast_acks_total`).
    pub metrics: Arc<librekast_engine::metrics::Metrics>,
}

/// An `ack` frame, counted by its code (`ok` or the error code) for operators.
fn counted_ack(
    metrics: &librekast_engine::metrics::Metrics,
    reference: Option<&serde_json::Value>,
    result: &AckResult,
) -> String {
    metrics.ack(match result {
        Ok(_) => "ok",
        Err(code) => code.as_str(),
    });
    ack_frame(reference, result)
}

/// Per-connection token bucket.
struct Bucket {
    tokens: f64,
    rate: f64,
    burst: f64,
    at: Instant,
}

impl Bucket {
    fn new(rate: f64, burst: f64) -> Bucket {
        Bucket {
            tokens: burst,
            rate,
            burst,
            at: Instant::now(),
        }
    }
    fn take(&mut self, n: f64) -> bool {
        let now = Instant::now();
        self.tokens =
            (self.tokens + now.duration_since(self.at).as_secs_f64() * self.rate).min(self.burst);
        self.at = now;
        if self.tokens >= n {
            self.tokens -= n;
            true
        } else {
            false
        }
    }
}

/// A connection's allowance: frames and bytes, both checked before a frame is parsed.
struct Rate {
    frames: Bucket,
    bytes: Bucket,
}

impl Rate {
    fn new(factor: f64) -> Rate {
        Rate {
            frames: Bucket::new(RATE_PER_SECOND * factor, RATE_BURST * factor),
            bytes: Bucket::new(BYTE_RATE_PER_SECOND * factor, BYTE_RATE_BURST * factor),
        }
    }
    fn allow(&mut self, len: usize) -> bool {
        self.frames.take(1.0) && self.bytes.take(len as f64)
    }
}

type Pending =
    Pin<Box<dyn std::future::Future<Output = (Option<serde_json::Value>, Own, AckResult)> + Send>>;

/// What an accepted command of this connection adds to its own seat (`you.answer`), so the
/// next `state` it renders shows it without asking the meeting.
enum Own {
    Nothing,
    Vote(ActivityId, Vec<ChoiceId>),
    Rate(ActivityId, librekast_engine::command::Rating),
    Word(ActivityId, String),
    Post(ActivityId, String),
    Upvote(ActivityId, u32),
}

impl Own {
    fn of(command: &Command) -> Own {
        match command {
            Command::Vote {
                question_id,
                choice_ids,
            } => Own::Vote(*question_id, choice_ids.clone()),
            Command::Rate {
                question_id,
                rating,
            } => Own::Rate(*question_id, rating.clone()),
            Command::Word { question_id, text } => match normalize(text) {
                Ok(w) => Own::Word(*question_id, w.key),
                Err(_) => Own::Nothing,
            },
            Command::Post {
                question_id, text, ..
            } => Own::Post(*question_id, text.trim().to_string()),
            Command::Upvote {
                question_id,
                item_id,
            } => Own::Upvote(*question_id, *item_id),
            _ => Own::Nothing,
        }
    }

    fn apply(self, you: &mut You) {
        match self {
            Own::Nothing => {}
            Own::Vote(q, c) => you.voted(q, &c),
            Own::Rate(q, r) => you.rated(q, &r),
            Own::Word(q, key) => you.gave_word(q, key),
            Own::Upvote(q, n) => you.upvoted(q, n),
            Own::Post(..) => {}
        }
    }

    /// A post's ack names its id: the seat takes it (and an open question's text).
    fn apply_post(self, you: &mut You, id: u32, answer: bool) {
        if let Own::Post(q, text) = self {
            you.posted(q, id, answer.then_some(text.as_str()));
        }
    }
}

async fn send<S>(sink: &mut S, text: String) -> bool
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    let mut sending = std::pin::pin!(sink.send(Message::text(text)));
    // Nearly every send completes at once (the socket takes the frame): those need no
    // timer. Arming one per frame was 3 % of a burst's CPU (perf, 10,000 participants).
    if let Some(done) = futures_util::FutureExt::now_or_never(&mut sending) {
        return done.is_ok();
    }
    matches!(
        tokio::time::timeout(SEND_TIMEOUT, sending).await,
        Ok(Ok(()))
    )
}

async fn close<S>(sink: &mut S, code: u16, reason: &'static str)
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    let frame = CloseFrame {
        code: CloseCode::from(code),
        reason: reason.into(),
    };
    let _ = tokio::time::timeout(
        Duration::from_secs(2),
        sink.send(Message::Close(Some(frame))),
    )
    .await;
}

/// Serves one connection until the peer leaves, the server shuts down or the peer stalls.
/// Generic over the socket so tests can drive it without a network.
/// What a staff or display connection gets after its `state` (at open and after a resync):
/// the latest alerts (an overlay skips the ids it showed already) and, for staff, the bots'
/// live state.
async fn replay_extras<S>(
    sink: &mut S,
    handle: &librekast_engine::MeetingHandle,
    audience: Audience,
) -> bool
where
    S: Sink<Message, Error = WsError> + Unpin,
{
    for alert in handle.recent_alerts() {
        if !send(sink, librekast_engine::view::alert_json(&alert).to_string()).await {
            return false;
        }
    }
    if audience == Audience::Staff
        && let Some(bots) = handle.bots_status()
    {
        return send(sink, librekast_engine::view::bots_json(&bots).to_string()).await;
    }
    true
}

pub async fn run<S>(ws: S, mut conn: Conn)
where
    S: Stream<Item = Result<Message, WsError>> + Sink<Message, Error = WsError> + Unpin,
{
    let (mut sink, mut stream) = ws.split();
    let metrics = conn.metrics.clone();
    let principal = conn.caller.principal.clone();
    let audience = principal.audience();
    let attendee = conn.caller.attendee.clone();
    // Subscribe before the snapshot so nothing between the two is missed.
    let mut events = conn.handle.subscribe();
    let Ok(snapshot) = conn.handle.snapshot(audience, attendee.clone()).await else {
        close(&mut sink, close::TRY_AGAIN, "meeting unavailable").await;
        return;
    };
    let mut you: Option<You> = snapshot.you;
    if !send(&mut sink, snapshot.state.render(you.as_ref())).await {
        return;
    }
    let attendee_id = attendee.as_ref().map(|a| a.id);
    let _presence = conn.handle.connect_as(audience, attendee_id);
    if audience != Audience::Participant {
        let count = conn.handle.online();
        let _ = send(
            &mut sink,
            format!(r#"{{"type":"participants","count":{count}}}"#),
        )
        .await;
        if !replay_extras(&mut sink, &conn.handle, audience).await {
            return;
        }
    }
    let meeting = MeetingRef {
        id: conn.handle.id,
        access: &conn.access,
    };
    let mut pending: FuturesUnordered<Pending> = FuturesUnordered::new();
    let mut rate = Rate::new(if audience == Audience::Staff {
        STAFF_RATE_FACTOR
    } else {
        1.0
    });
    // Only staff sessions can be revoked while open; the others never fire.
    let mut revoked = conn.session.as_mut().and_then(|s| s.revoked.take());
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.tick().await;
    let mut last_heard = Instant::now();
    loop {
        let ok = tokio::select! {
            frame = stream.next() => {
                last_heard = Instant::now();
                match frame {
                    None | Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => break,
                    Some(Err(WsError::Capacity(CapacityError::MessageTooLong { .. }))) => {
                        close(&mut sink, close::TOO_BIG, "frame over 64 KiB").await;
                        break;
                    }
                    Some(Err(WsError::Utf8(_))) => {
                        close(&mut sink, close::NOT_UTF8, "text frame is not UTF-8").await;
                        break;
                    }
                    Some(Err(WsError::Protocol(e))) => {
                        tracing::debug!(error = %e, "websocket protocol violation");
                        close(&mut sink, close::PROTOCOL_ERROR, "websocket protocol error").await;
                        break;
                    }
                    Some(Err(e)) => {
                        tracing::debug!(error = %e, "websocket read error");
                        break;
                    }
                    Some(Ok(Message::Close(_))) => break,
                    Some(Ok(Message::Text(text))) => {
                        // Every frame spends from the allowance, well-formed or not, and one
                        // over it is refused before it is parsed: refusing must stay cheap.
                        if !rate.allow(text.len()) {
                            let reference = protocol::reference_only(text.as_str());
                            send(&mut sink, counted_ack(&metrics, reference.as_ref(), &Err(ErrorCode::RateLimited))).await;
                            continue;
                        }
                        let parsed = protocol::parse(text.as_str());
                        match parsed.command {
                            None => send(&mut sink, counted_ack(&metrics, parsed.reference.as_ref(), &Err(ErrorCode::BadRequest))).await,
                            // A display watches only; a participant cannot control; an organizer
                            // only controls their meetings (checked at the upgrade too).
                            _ if matches!(audience, Audience::Display | Audience::Prompter) => {
                                send(&mut sink, counted_ack(&metrics, parsed.reference.as_ref(), &Err(ErrorCode::Forbidden))).await
                            }
                            Some(command) if !principal.can(command.action(), Some(meeting)) => {
                                send(&mut sink, counted_ack(&metrics, parsed.reference.as_ref(), &Err(ErrorCode::Forbidden))).await
                            }
                            Some(_) if pending.len() >= MAX_IN_FLIGHT => {
                                send(&mut sink, counted_ack(&metrics, parsed.reference.as_ref(), &Err(ErrorCode::RateLimited))).await
                            }
                            Some(command) => {
                                let handle = conn.handle.clone();
                                let principal = principal.clone();
                                let reference = parsed.reference;
                                let own = Own::of(&command);
                                pending.push(Box::pin(async move { (reference, own, handle.command(principal, command).await) }));
                                true
                            }
                        }
                    }
                    Some(Ok(Message::Binary(data))) => {
                        let code = if rate.allow(data.len()) { ErrorCode::BadRequest } else { ErrorCode::RateLimited };
                        send(&mut sink, counted_ack(&metrics, None, &Err(code))).await
                    }
                    Some(Ok(_)) => true, // ping/pong: tungstenite answers pings itself
                }
            }
            Some((reference, own, result)) = pending.next(), if !pending.is_empty() => {
                if let (Ok(ok), Some(y)) = (&result, you.as_mut()) {
                    match ok {
                        AckOk::Flag(f) => y.score = f.score,
                        AckOk::Plain => own.apply(y),
                        AckOk::Item { id, answer } => own.apply_post(y, *id, *answer),
                    }
                }
                send(&mut sink, counted_ack(&metrics, reference.as_ref(), &result)).await
            }
            event = events.recv() => match event {
                Ok(published) if matches!(published.event(), librekast_engine::Event::Renamed(id, _) if Some(*id) == attendee_id) => {
                    if let (librekast_engine::Event::Renamed(_, name), Some(y)) = (published.event(), you.as_mut()) {
                        y.name = name.to_string();
                    }
                    true
                }
                Ok(published) if matches!(published.event(), librekast_engine::Event::Removed(id) if Some(*id) == attendee_id) => {
                    close(&mut sink, librekast_engine::view::CLOSE_REMOVED, "removed by a moderator").await;
                    false
                }
                Ok(published) => match published.frame(audience) {
                    None => true,
                    Some(Frame::Text(frame)) => send(&mut sink, frame.to_string()).await,
                    Some(Frame::State(state)) => send(&mut sink, state.render(you.as_ref())).await,
                    Some(Frame::Standings(standings)) => {
                        let changed = you.as_mut().and_then(|y| y.apply(standings).then(|| score_frame(y.score, y.rank)));
                        match changed {
                            Some(frame) => send(&mut sink, frame).await,
                            None => true,
                        }
                    }
                    Some(Frame::Close { code, reason }) => {
                        close(&mut sink, *code, reason).await;
                        false
                    }
                },
                Err(RecvError::Lagged(missed)) => {
                    // Fell behind the broadcast ring: skip to the present. Resubscribing at the
                    // tail drops the stale frames still in the ring (older than the snapshot).
                    tracing::debug!(missed, meeting_id = %conn.handle.id, "connection lagged, resyncing");
                    events = events.resubscribe();
                    match conn.handle.snapshot(audience, attendee.clone()).await {
                        Ok(s) => {
                            you = s.you.or(you);
                            send(&mut sink, s.state.render(you.as_ref())).await
                                && (audience == Audience::Participant
                                    || replay_extras(&mut sink, &conn.handle, audience).await)
                        }
                        Err(_) => false,
                    }
                }
                Err(RecvError::Closed) => {
                    close(&mut sink, close::TRY_AGAIN, "meeting stopped").await;
                    false
                }
            },
            _ = ping.tick() => {
                if last_heard.elapsed() > IDLE_LIMIT {
                    false
                } else {
                    matches!(tokio::time::timeout(SEND_TIMEOUT, sink.send(Message::Ping(Vec::new().into()))).await, Ok(Ok(())))
                }
            }
            Some(()) = async {
                match revoked.as_mut() {
                    Some(r) => r.changed().await.ok(),
                    None => std::future::pending().await,
                }
            } => {
                if revoked.as_ref().is_some_and(|r| *r.borrow()) {
                    close(&mut sink, close::SESSION_REVOKED, "session revoked").await;
                    false
                } else {
                    true
                }
            }
            _ = conn.shutdown.changed() => {
                close(&mut sink, close::RESTARTING, "server restarting, reconnect").await;
                false
            }
        };
        if !ok {
            break;
        }
    }
    // Completes the closing handshake: sends the reply tungstenite queued when the peer
    // closed (or our own close frame) and flushes it before the socket is dropped.
    let _ = tokio::time::timeout(Duration::from_secs(2), sink.close()).await;
}
