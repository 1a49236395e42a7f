//! The fake Twitch's EventSub: the WebSocket server (`ws://…/ws`, standing for
//! `wss://eventsub.wss.twitch.tv/ws`) and Helix `POST /helix/eventsub/subscriptions`.
//!
//! Every frame sent is a copy of a recorded (or documented) one from
//! `tests/fixtures/twitch-eventsub-ws.json` with only its ids, timestamps, session, subscription
//! and event replaced. What it reproduces (dev.twitch.tv/docs/eventsub/handling-websocket-events):
//!
//! - **Welcome.** A new connection gets `session_welcome` with a new session id (the newer
//!   `AgoQ…IGY2VsbC1i` form) and `keepalive_timeout_seconds` from the URL's
//!   `keepalive_timeout_seconds` query parameter (default 10; Twitch accepts 10–600, the fake
//!   any value from 1, so tests can be quick).
//! - **Keepalive.** `session_keepalive` whenever nothing was sent for the keepalive timeout
//!   ([`FakeTwitch::eventsub_stop_keepalives`] stops them for a connection). A connection
//!   with no subscription when the keepalive timeout after its welcome has passed is closed
//!   with 4003 "connection unused"; one that sends a text or binary message is closed with
//!   4001.
//! - **Subscriptions.** `POST /helix/eventsub/subscriptions` needs `Authorization: Bearer` and
//!   `Client-Id` (401 otherwise, as for `/users`), a connected session (400 otherwise), and
//!   Twitch's authorization: `channel.follow` v2 the `moderator:read:followers` scope with
//!   `moderator_user_id` the token's user; `channel.subscribe`, `channel.subscription.message`
//!   and `channel.subscription.gift` the `channel:read:subscriptions` scope and the
//!   broadcaster's own token; `channel.raid` nothing (403 "subscription missing proper
//!   authorization" otherwise). The same subscription twice on a session gives 409
//!   "subscription already exists"; a new one 202 with its `data`. Every request is
//!   recorded with its answer ([`FakeTwitch::eventsub_requests`]). A session's subscriptions
//!   end with its connection (unless it moved with `session_reconnect`).
//! - **Reconnect.** [`FakeTwitch::eventsub_send_reconnect`] sends `session_reconnect` whose
//!   `reconnect_url` has the recorded form (`?challenge=…&id=SESSION`). A connection to it
//!   takes the session over with its subscriptions (its welcome has the same session id) and
//!   the old connection is closed when the client has not closed it itself within
//!   [`EVENTSUB_RECONNECT_GRACE`] (with 4004 when nobody took the session over).
//! - **Notifications and revocations** for the sessions subscribed to a broadcaster
//!   ([`FakeTwitch::eventsub_notify`], [`FakeTwitch::eventsub_revoke`]); a notification can be
//!   sent again with the same `message_id`, as Twitch does when unsure it was received.
//! - **Disconnects.** [`FakeTwitch::eventsub_close`] closes with a code (4000–4007),
//!   [`FakeTwitch::eventsub_drop`] drops the TCP connection without a close frame.
//!
//! Not reproduced: TLS, the subscription cost and limits, moderators other than the
//! broadcaster for `channel.follow`, `GET`/`DELETE` of subscriptions, conduits.

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use warp::Filter;
use warp::http::StatusCode;
use warp::reply::{Reply, Response};
use warp::ws::{Message, WebSocket};

use super::{FakeTwitch, MIXED_ALNUM, Params, State, auth_token, json_reply, parse_form};

const FIXTURE: &str = include_str!("../../../fixtures/twitch-eventsub-ws.json");
/// Twitch's default keepalive timeout.
pub const DEFAULT_KEEPALIVE_SECS: u64 = 10;
/// How long an old connection stays open after `session_reconnect` (Twitch: 30 s).
pub const EVENTSUB_RECONNECT_GRACE: Duration = Duration::from_secs(30);
const BASE64URL: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// One `POST /helix/eventsub/subscriptions` the fake received, with its answer.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSubRequest {
    pub kind: String,
    pub version: String,
    pub condition: Value,
    pub session_id: String,
    /// 202 created, 409 already exists, 400, 401 or 403.
    pub status: u16,
}

/// An enabled subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSubSubscription {
    pub id: String,
    pub kind: String,
    pub version: String,
    pub condition: Value,
    pub session_id: String,
    pub created_at: String,
}

impl EventSubSubscription {
    /// Whether it is about `broadcaster` (its channel's events, or raids into it).
    pub fn is_for(&self, broadcaster: &str) -> bool {
        self.condition["broadcaster_user_id"] == broadcaster
            || self.condition["to_broadcaster_user_id"] == broadcaster
    }

    fn json(&self, status: &str) -> Value {
        json!({
            "id": self.id,
            "status": status,
            "type": self.kind,
            "version": self.version,
            "condition": self.condition,
            "transport": {"method": "websocket", "session_id": self.session_id},
            "created_at": self.created_at,
            "cost": 0,
        })
    }
}

/// The recorded `event` of a notification of subscription type `kind` (for
/// `channel.follow`, the v2 one), for tests to adapt.
pub fn recorded_event(kind: &str) -> Value {
    notification_template(kind, None)["payload"]["event"].clone()
}

enum Out {
    Text(String),
    Close(u16, &'static str),
    /// Close without a close frame (the TCP connection just ends).
    Drop,
    /// `session_reconnect` was sent: close this connection after the grace time.
    Grace,
}

struct Conn {
    session_id: String,
    tx: mpsc::UnboundedSender<Out>,
    keepalives: bool,
}

struct Session {
    /// The connection that carries it now.
    conn: u64,
    keepalive_secs: u64,
    connected_at: String,
    /// `session_reconnect` was sent: a connection with `id=` this session takes it over.
    reconnecting: bool,
}

/// The EventSub part of the fake's state.
#[derive(Default)]
pub(super) struct EventSubState {
    next_conn: u64,
    conns: HashMap<u64, Conn>,
    sessions: HashMap<String, Session>,
    subscriptions: Vec<EventSubSubscription>,
    requests: Vec<EventSubRequest>,
    /// The query string of every connection accepted, in order.
    accepted: Vec<String>,
}

impl EventSubState {
    /// Sessions with a subscription for `broadcaster`.
    fn sessions_of(&self, broadcaster: &str) -> Vec<String> {
        let mut ids: Vec<String> = self
            .subscriptions
            .iter()
            .filter(|s| s.is_for(broadcaster))
            .map(|s| s.session_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }

    fn send(&self, session_id: &str, out: Out) -> bool {
        self.sessions
            .get(session_id)
            .and_then(|s| self.conns.get(&s.conn))
            .is_some_and(|c| c.tx.send(out).is_ok())
    }
}

fn templates() -> &'static [Value] {
    static ALL: OnceLock<Vec<Value>> = OnceLock::new();
    ALL.get_or_init(|| serde_json::from_str(FIXTURE).unwrap_or_default())
}

/// The fixture's message whose name starts with `name`.
fn template(name: &str) -> Value {
    templates()
        .iter()
        .find(|e| e["name"].as_str().is_some_and(|n| n.starts_with(name)))
        .map(|e| e["message"].clone())
        .unwrap_or(Value::Null)
}

/// A recorded notification of `kind` (and `version`, when there is one of that version).
fn notification_template(kind: &str, version: Option<&str>) -> Value {
    let of_kind = |e: &&Value| {
        e["message"]["metadata"]["message_type"] == "notification"
            && e["message"]["metadata"]["subscription_type"] == kind
    };
    let all = templates();
    let by_version = version.and_then(|v| {
        all.iter()
            .filter(of_kind)
            .find(|e| e["message"]["metadata"]["subscription_version"] == v)
    });
    // The newest version recorded: the last of its kind in the file (follow v2 after v1).
    by_version
        .or_else(|| all.iter().rfind(of_kind))
        .map(|e| e["message"].clone())
        .unwrap_or(Value::Null)
}

/// RFC 3339 in UTC with nanoseconds, as Twitch writes its timestamps.
fn now_rfc3339() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let secs = now.as_secs();
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Days since 1970-01-01 to a civil date (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:09}Z",
        rem / 3_600,
        rem % 3_600 / 60,
        rem % 60,
        now.subsec_nanos()
    )
}

fn metadata(st: &mut State, frame: &mut Value, message_id: Option<String>) {
    let id = message_id.unwrap_or_else(|| st.uuid());
    frame["metadata"]["message_id"] = json!(id);
    frame["metadata"]["message_timestamp"] = json!(now_rfc3339());
}

fn welcome_frame(st: &mut State, session_id: &str, session: &Session) -> String {
    let mut frame = template("session_welcome (recorded");
    metadata(st, &mut frame, None);
    let s = &mut frame["payload"]["session"];
    s["id"] = json!(session_id);
    s["status"] = json!("connected");
    s["connected_at"] = json!(session.connected_at);
    s["keepalive_timeout_seconds"] = json!(session.keepalive_secs);
    frame.to_string()
}

fn keepalive_frame(st: &mut State) -> String {
    let mut frame = template("session_keepalive");
    metadata(st, &mut frame, None);
    frame.to_string()
}

/// A notification message id in the recorded form (base64 of 32 bytes).
fn notification_id(st: &mut State) -> String {
    format!("{}=", st.random_string(43, BASE64URL))
}

impl FakeTwitch {
    /// `ws://127.0.0.1:PORT/ws`, standing for `wss://eventsub.wss.twitch.tv/ws`. Add
    /// `?keepalive_timeout_seconds=N` for a short keepalive timeout.
    pub fn eventsub_url(&self) -> String {
        format!("ws://{}/ws", self.inner.http_addr)
    }

    /// Every subscription request received, in order.
    pub fn eventsub_requests(&self) -> Vec<EventSubRequest> {
        self.lock().eventsub.requests.clone()
    }

    /// The enabled subscriptions about `broadcaster`.
    pub fn eventsub_subscriptions(&self, broadcaster: &str) -> Vec<EventSubSubscription> {
        self.lock()
            .eventsub
            .subscriptions
            .iter()
            .filter(|s| s.is_for(broadcaster))
            .cloned()
            .collect()
    }

    /// Open WebSocket connections of `session_id` (two while it moves to a reconnect URL).
    pub fn eventsub_connections(&self, session_id: &str) -> usize {
        self.lock()
            .eventsub
            .conns
            .values()
            .filter(|c| c.session_id == session_id)
            .count()
    }

    /// Connections accepted so far whose query string contains `part`.
    pub fn eventsub_accepted_with(&self, part: &str) -> usize {
        self.lock()
            .eventsub
            .accepted
            .iter()
            .filter(|q| q.contains(part))
            .count()
    }

    /// Waits for a session, not one of `except`, with enabled subscriptions of every type in
    /// `kinds` about `broadcaster`; its id.
    pub async fn wait_eventsub_session(
        &self,
        broadcaster: &str,
        kinds: &[&str],
        except: &[String],
    ) -> String {
        self.wait_for(
            &format!("an EventSub session subscribed to {kinds:?} of {broadcaster}"),
            |st| {
                st.eventsub
                    .sessions_of(broadcaster)
                    .into_iter()
                    .filter(|id| !except.contains(id))
                    .find(|id| {
                        kinds.iter().all(|k| {
                            st.eventsub.subscriptions.iter().any(|s| {
                                s.session_id == *id && s.kind == *k && s.is_for(broadcaster)
                            })
                        })
                    })
            },
        )
        .await
    }

    /// Waits until at least `n` subscription requests named `session_id`; returns them.
    pub async fn wait_eventsub_requests(&self, session_id: &str, n: usize) -> Vec<EventSubRequest> {
        self.wait_for(
            &format!("{n} subscription requests for session {session_id}"),
            |st| {
                let of: Vec<EventSubRequest> = st
                    .eventsub
                    .requests
                    .iter()
                    .filter(|r| r.session_id == session_id)
                    .cloned()
                    .collect();
                (of.len() >= n).then_some(of)
            },
        )
        .await
    }

    /// Waits until `session_id` has exactly `n` open connections.
    pub async fn wait_eventsub_connections(&self, session_id: &str, n: usize) {
        self.wait_for(&format!("{n} connections of session {session_id}"), |st| {
            (st.eventsub
                .conns
                .values()
                .filter(|c| c.session_id == session_id)
                .count()
                == n)
                .then_some(())
        })
        .await
    }

    /// Sends a notification of subscription type `kind` with `event` to every session
    /// subscribed to it for `broadcaster`; returns its `message_id` (new).
    pub fn eventsub_notify(&self, broadcaster: &str, kind: &str, event: &Value) -> String {
        let id = notification_id(&mut self.lock());
        self.eventsub_notify_with_id(broadcaster, kind, event, &id);
        id
    }

    /// The same with a given `message_id` (Twitch resends a notification under the same id);
    /// returns how many sessions it reached.
    pub fn eventsub_notify_with_id(
        &self,
        broadcaster: &str,
        kind: &str,
        event: &Value,
        message_id: &str,
    ) -> usize {
        let mut st = self.lock();
        let subs: Vec<EventSubSubscription> = st
            .eventsub
            .subscriptions
            .iter()
            .filter(|s| s.kind == kind && s.is_for(broadcaster))
            .cloned()
            .collect();
        let mut reached = 0;
        for sub in subs {
            let mut frame = notification_template(kind, Some(&sub.version));
            metadata(&mut st, &mut frame, Some(message_id.to_owned()));
            frame["metadata"]["subscription_type"] = json!(sub.kind);
            frame["metadata"]["subscription_version"] = json!(sub.version);
            frame["payload"]["subscription"] = sub.json("enabled");
            frame["payload"]["event"] = event.clone();
            if st
                .eventsub
                .send(&sub.session_id, Out::Text(frame.to_string()))
            {
                reached += 1;
            }
        }
        reached
    }

    /// Ends the `kind` subscriptions about `broadcaster` with a `revocation` (`status`:
    /// `authorization_revoked`, `user_removed`, `version_removed`); how many.
    pub fn eventsub_revoke(&self, broadcaster: &str, kind: &str, status: &str) -> usize {
        let mut st = self.lock();
        let (gone, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut st.eventsub.subscriptions)
            .into_iter()
            .partition(|s| s.kind == kind && s.is_for(broadcaster));
        st.eventsub.subscriptions = kept;
        for sub in &gone {
            let mut frame = template("revocation");
            metadata(&mut st, &mut frame, None);
            frame["metadata"]["subscription_type"] = json!(sub.kind);
            frame["metadata"]["subscription_version"] = json!(sub.version);
            frame["payload"]["subscription"] = sub.json(status);
            st.eventsub
                .send(&sub.session_id, Out::Text(frame.to_string()));
        }
        drop(st);
        self.bump();
        gone.len()
    }

    /// Sends `session_reconnect` to the sessions subscribed for `broadcaster`; how many.
    pub fn eventsub_send_reconnect(&self, broadcaster: &str) -> usize {
        let addr = self.inner.http_addr;
        let mut st = self.lock();
        let ids = st.eventsub.sessions_of(broadcaster);
        for id in &ids {
            let challenge = st.uuid();
            let Some(session) = st.eventsub.sessions.get_mut(id) else {
                continue;
            };
            session.reconnecting = true;
            let connected_at = session.connected_at.clone();
            let mut frame = template("session_reconnect (recorded");
            metadata(&mut st, &mut frame, None);
            let s = &mut frame["payload"]["session"];
            s["id"] = json!(id);
            s["status"] = json!("reconnecting");
            s["connected_at"] = json!(connected_at);
            s["keepalive_timeout_seconds"] = Value::Null;
            s["reconnect_url"] = json!(format!("ws://{addr}/ws?challenge={challenge}&id={id}"));
            st.eventsub.send(id, Out::Text(frame.to_string()));
            st.eventsub.send(id, Out::Grace);
        }
        ids.len()
    }

    /// Closes the connections of the sessions subscribed for `broadcaster` with `code`
    /// (4000–4007 are Twitch's); how many.
    pub fn eventsub_close(&self, broadcaster: &str, code: u16) -> usize {
        let reason = match code {
            4000 => "internal server error",
            4001 => "client sent inbound traffic",
            4002 => "client failed ping-pong",
            4003 => "connection unused",
            4004 => "reconnect grace time expired",
            4005 => "network timeout",
            4006 => "network error",
            4007 => "invalid reconnect",
            _ => "",
        };
        self.eventsub_each(broadcaster, || Out::Close(code, reason))
    }

    /// Drops the connections of the sessions subscribed for `broadcaster` without a close
    /// frame; how many.
    pub fn eventsub_drop(&self, broadcaster: &str) -> usize {
        self.eventsub_each(broadcaster, || Out::Drop)
    }

    /// The current connections of the sessions subscribed for `broadcaster` send no more
    /// keepalives (a later connection does again); how many.
    pub fn eventsub_stop_keepalives(&self, broadcaster: &str) -> usize {
        let mut st = self.lock();
        let ids = st.eventsub.sessions_of(broadcaster);
        let conns: Vec<u64> = ids
            .iter()
            .filter_map(|id| st.eventsub.sessions.get(id).map(|s| s.conn))
            .collect();
        for conn in &conns {
            if let Some(c) = st.eventsub.conns.get_mut(conn) {
                c.keepalives = false;
            }
        }
        conns.len()
    }

    fn eventsub_each(&self, broadcaster: &str, out: impl Fn() -> Out) -> usize {
        let st = self.lock();
        st.eventsub
            .sessions_of(broadcaster)
            .iter()
            .filter(|id| st.eventsub.send(id, out()))
            .count()
    }

    pub(super) fn eventsub_routes(
        &self,
    ) -> impl Filter<Extract = (Response,), Error = warp::Rejection> + Clone + Send + Sync + 'static
    {
        let fake = self.clone();
        let with_fake = warp::any().map(move || fake.clone());
        let query = warp::query::raw().or(warp::any().map(String::new)).unify();
        let socket = warp::path!("ws")
            .and(query)
            .and(warp::ws())
            .and(with_fake.clone())
            .map(|q: String, ws: warp::ws::Ws, f: FakeTwitch| {
                ws.on_upgrade(move |socket| f.serve_eventsub(socket, q))
                    .into_response()
            });
        let subscribe = warp::path!("helix" / "eventsub" / "subscriptions")
            .and(warp::post())
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("client-id"))
            .and(warp::body::bytes())
            .and(with_fake)
            .map(
                |auth: Option<String>,
                 client: Option<String>,
                 body: bytes::Bytes,
                 f: FakeTwitch| {
                    f.http_eventsub_subscribe(auth.as_deref(), client.as_deref(), &body)
                },
            );
        socket.or(subscribe).unify()
    }

    /// One EventSub connection: the welcome, then what the tests send, keepalives, and the
    /// 4003/4001/4004 closes.
    async fn serve_eventsub(self, socket: WebSocket, query: String) {
        let params = Params(parse_form(&query));
        let (tx, mut rx) = mpsc::unbounded_channel();
        let (conn, session_id, keepalive, fresh, welcome) = {
            let mut st = self.lock();
            st.eventsub.accepted.push(query);
            st.eventsub.next_conn += 1;
            let conn = st.eventsub.next_conn;
            let takeover = params
                .get("id")
                .filter(|id| {
                    st.eventsub
                        .sessions
                        .get(*id)
                        .is_some_and(|s| s.reconnecting)
                })
                .map(str::to_owned);
            let (session_id, fresh) = match takeover {
                Some(id) => (id, false),
                None => (
                    format!("AgoQ{}IGY2VsbC1i", st.random_string(22, MIXED_ALNUM)),
                    true,
                ),
            };
            let keepalive = params
                .get("keepalive_timeout_seconds")
                .and_then(|k| k.parse::<u64>().ok())
                .map(|k| k.clamp(1, 600));
            let session = match st.eventsub.sessions.remove(&session_id) {
                Some(old) => Session {
                    conn,
                    keepalive_secs: keepalive.unwrap_or(old.keepalive_secs),
                    connected_at: old.connected_at,
                    reconnecting: false,
                },
                None => Session {
                    conn,
                    keepalive_secs: keepalive.unwrap_or(DEFAULT_KEEPALIVE_SECS),
                    connected_at: now_rfc3339(),
                    reconnecting: false,
                },
            };
            let welcome = welcome_frame(&mut st, &session_id, &session);
            let keepalive = Duration::from_secs(session.keepalive_secs);
            st.eventsub.sessions.insert(session_id.clone(), session);
            st.eventsub.conns.insert(
                conn,
                Conn {
                    session_id: session_id.clone(),
                    tx,
                    keepalives: true,
                },
            );
            (conn, session_id, keepalive, fresh, welcome)
        };
        self.bump();
        let (mut sink, mut stream) = socket.split();
        let mut open = sink.send(Message::text(welcome)).await.is_ok();
        let welcomed = tokio::time::Instant::now();
        let mut last_sent = welcomed;
        let mut check_unused = fresh;
        let mut grace: Option<tokio::time::Instant> = None;
        while open {
            tokio::select! {
                out = rx.recv() => match out {
                    Some(Out::Text(text)) => {
                        open = sink.send(Message::text(text)).await.is_ok();
                        last_sent = tokio::time::Instant::now();
                    }
                    Some(Out::Close(code, reason)) => {
                        let _ = sink.send(Message::close_with(code, reason)).await;
                        open = false;
                    }
                    Some(Out::Grace) => grace = Some(tokio::time::Instant::now() + EVENTSUB_RECONNECT_GRACE),
                    Some(Out::Drop) | None => open = false,
                },
                incoming = stream.next() => match incoming {
                    Some(Ok(m)) if m.is_text() || m.is_binary() => {
                        let _ = sink.send(Message::close_with(4001u16, "client sent inbound traffic")).await;
                        open = false;
                    }
                    Some(Ok(m)) if m.is_close() => open = false,
                    Some(Ok(_)) => {}
                    Some(Err(_)) | None => open = false,
                },
                _ = tokio::time::sleep_until(last_sent + keepalive) => {
                    let frame = {
                        let mut st = self.lock();
                        let on = st.eventsub.conns.get(&conn).is_some_and(|c| c.keepalives);
                        on.then(|| keepalive_frame(&mut st))
                    };
                    if let Some(frame) = frame {
                        open = sink.send(Message::text(frame)).await.is_ok();
                    }
                    last_sent = tokio::time::Instant::now();
                }
                _ = tokio::time::sleep_until(welcomed + keepalive), if check_unused => {
                    check_unused = false;
                    let used = self
                        .lock()
                        .eventsub
                        .subscriptions
                        .iter()
                        .any(|s| s.session_id == session_id);
                    if !used {
                        let _ = sink.send(Message::close_with(4003u16, "connection unused")).await;
                        open = false;
                    }
                }
                _ = sleep_until(grace), if grace.is_some() => {
                    let moved = self
                        .lock()
                        .eventsub
                        .sessions
                        .get(&session_id)
                        .is_none_or(|s| s.conn != conn);
                    if !moved {
                        let _ = sink.send(Message::close_with(4004u16, "reconnect grace time expired")).await;
                    }
                    open = false;
                }
            }
        }
        {
            let mut st = self.lock();
            st.eventsub.conns.remove(&conn);
            // The session ends with its connection, unless it moved to another one.
            if st
                .eventsub
                .sessions
                .get(&session_id)
                .is_some_and(|s| s.conn == conn)
            {
                st.eventsub.sessions.remove(&session_id);
                st.eventsub
                    .subscriptions
                    .retain(|s| s.session_id != session_id);
            }
        }
        self.bump();
    }

    fn http_eventsub_subscribe(
        &self,
        authorization: Option<&str>,
        client_id: Option<&str>,
        body: &[u8],
    ) -> Response {
        let helix_error = |status: StatusCode, message: &str| {
            json_reply(
                status,
                &json!({
                    "error": status.canonical_reason().unwrap_or(""),
                    "status": status.as_u16(),
                    "message": message,
                }),
            )
        };
        let mut st = self.lock();
        let Some(access) = authorization.and_then(|a| auth_token(a, &["bearer"])) else {
            return helix_error(StatusCode::UNAUTHORIZED, "OAuth token is missing");
        };
        let Some(token) = st.valid_token(access) else {
            return helix_error(StatusCode::UNAUTHORIZED, "Invalid OAuth token");
        };
        let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
            return helix_error(StatusCode::UNAUTHORIZED, "Client-Id header required");
        };
        if token.client_id.as_deref().is_some_and(|c| c != client_id) {
            return helix_error(
                StatusCode::UNAUTHORIZED,
                "Client ID and OAuth token do not match",
            );
        }
        let (me, scopes) = (token.user_id.clone(), token.scopes.clone());
        let body: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let text = |v: &Value| v.as_str().unwrap_or_default().to_owned();
        let request = EventSubRequest {
            kind: text(&body["type"]),
            version: text(&body["version"]),
            condition: body["condition"].clone(),
            session_id: text(&body["transport"]["session_id"]),
            status: 0,
        };
        let has = |scope: &str| scopes.iter().any(|s| s == scope);
        let condition = &request.condition;
        let broadcaster = text(&condition["broadcaster_user_id"]);
        let refused = match (request.kind.as_str(), request.version.as_str()) {
            ("channel.follow", "2") => {
                !(has("moderator:read:followers")
                    && condition["moderator_user_id"] == me.as_str()
                    && broadcaster == me)
            }
            (
                "channel.subscribe" | "channel.subscription.message" | "channel.subscription.gift",
                "1",
            ) => !(has("channel:read:subscriptions") && broadcaster == me),
            ("channel.raid", "1") => false,
            _ => {
                return self.answer(
                    &mut st,
                    request,
                    helix_error(
                        StatusCode::BAD_REQUEST,
                        "unsupported subscription type or version",
                    ),
                    StatusCode::BAD_REQUEST,
                );
            }
        };
        if text(&body["transport"]["method"]) != "websocket"
            || !st.eventsub.sessions.contains_key(&request.session_id)
        {
            // Twitch's wording is not recorded; the meaning is documented.
            return self.answer(
                &mut st,
                request,
                helix_error(
                    StatusCode::BAD_REQUEST,
                    "websocket transport session does not exist or has already disconnected",
                ),
                StatusCode::BAD_REQUEST,
            );
        }
        if refused {
            return self.answer(
                &mut st,
                request,
                helix_error(
                    StatusCode::FORBIDDEN,
                    "subscription missing proper authorization",
                ),
                StatusCode::FORBIDDEN,
            );
        }
        let exists = st.eventsub.subscriptions.iter().any(|s| {
            s.kind == request.kind
                && s.version == request.version
                && s.condition == request.condition
                && s.session_id == request.session_id
        });
        if exists {
            return self.answer(
                &mut st,
                request,
                helix_error(StatusCode::CONFLICT, "subscription already exists"),
                StatusCode::CONFLICT,
            );
        }
        let sub = EventSubSubscription {
            id: st.uuid(),
            kind: request.kind.clone(),
            version: request.version.clone(),
            condition: request.condition.clone(),
            session_id: request.session_id.clone(),
            created_at: now_rfc3339(),
        };
        let connected_at = st
            .eventsub
            .sessions
            .get(&sub.session_id)
            .map(|s| s.connected_at.clone())
            .unwrap_or_default();
        let mut data = sub.json("enabled");
        data["transport"]["connected_at"] = json!(connected_at);
        st.eventsub.subscriptions.push(sub);
        let total = st.eventsub.subscriptions.len();
        let reply = json_reply(
            StatusCode::ACCEPTED,
            &json!({"data": [data], "total": total, "total_cost": 0, "max_total_cost": 10}),
        );
        self.answer(&mut st, request, reply, StatusCode::ACCEPTED)
    }

    /// Records the request with its status, wakes the waiters, answers.
    fn answer(
        &self,
        st: &mut std::sync::MutexGuard<'_, State>,
        mut request: EventSubRequest,
        reply: Response,
        status: StatusCode,
    ) -> Response {
        request.status = status.as_u16();
        st.eventsub.requests.push(request);
        self.bump();
        reply
    }
}

async fn sleep_until(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_frame_has_its_recorded_template() {
        for name in [
            "session_welcome (recorded",
            "session_keepalive",
            "session_reconnect (recorded",
            "revocation",
        ] {
            assert!(template(name).is_object(), "{name}");
        }
        for kind in [
            "channel.follow",
            "channel.subscribe",
            "channel.subscription.message",
            "channel.subscription.gift",
            "channel.raid",
        ] {
            assert!(recorded_event(kind).is_object(), "{kind}");
        }
        assert_eq!(
            recorded_event("channel.follow")["user_name"],
            "555gerson555"
        );
        assert_eq!(
            notification_template("channel.follow", Some("1"))["metadata"]["subscription_version"],
            "1"
        );
        let t = now_rfc3339();
        assert_eq!(t.len(), "2023-07-19T14:56:51.634234626Z".len(), "{t}");
        assert!(t.starts_with("20") && t.ends_with('Z'), "{t}");
    }
}
