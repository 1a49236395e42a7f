//! A fake Twitch on loopback: the chat server (IRC over plain TCP with IRCv3 tags), the OAuth
//! endpoints of `id.twitch.tv` and Helix's `GET /helix/users`, so the tests and the chat-ingest
//! benchmark drive the real client code (the `twitch-irc` crate, reqwest) without the network.
//!
//! Every reply copies a real wire format: the samples and their provenance are in
//! `tests/fixtures/twitch-irc.txt`, `tests/fixtures/twitch-oauth.json` and
//! `tests/fixtures/README-twitch.md`. What it reproduces:
//!
//! - **Login.** `CAP REQ` is answered with `:tmi.twitch.tv CAP * ACK :<the requested list>`
//!   (`NAK` if one is unknown). `PASS oauth:TOKEN` + `NICK` with a valid token gives the
//!   001–004, 375, 372, 376 welcome burst and, with `twitch.tv/commands`, a `GLOBALUSERSTATE`.
//!   The identity comes from the token, not from the NICK, as on Twitch. `NICK justinfanNNN` with
//!   any `PASS` or none logs in anonymously. An unknown, expired or revoked token gets
//!   `:tmi.twitch.tv NOTICE * :Login authentication failed`; a missing or malformed `PASS` gets
//!   `:tmi.twitch.tv NOTICE * :Improperly formatted auth`; both are followed by a close.
//!   Commands pipelined right after `NICK` are handled in order: twitch-irc sends its `JOIN`s
//!   without waiting for 001.
//! - **Channels.** `JOIN` is echoed as `:login!login@login.tmi.twitch.tv JOIN #chan`, followed
//!   by the 353/366 NAMES reply, a `USERSTATE` (logged-in users) and a full `ROOMSTATE`
//!   (`USERSTATE`/`ROOMSTATE` only with `twitch.tv/commands`). `PART` is echoed too.
//! - **Chat to the client.** `PRIVMSG` with today's tag set (`badge-info`, `badges`, `color`,
//!   `display-name`, `emotes`, `first-msg`, `flags`, `id`, `mod`, `returning-chatter`, `room-id`,
//!   `subscriber`, `tmi-sent-ts`, `turbo`, `user-id`, `user-type`, `vip`) in Twitch's
//!   alphabetical order, with IRCv3 escaping (`\s` `\:` `\\` `\r` `\n`). Connections that did not
//!   ask for `twitch.tv/tags` get the line without tags, as Twitch does.
//! - **Chat from the client.** A logged-in client's `PRIVMSG` is recorded, answered with
//!   `USERSTATE` and relayed to the other connections in the channel (Twitch does not echo it
//!   to the sender). As on Twitch, the `. ` that twitch-irc's `say()` puts in front is stripped
//!   and `/me text` becomes a CTCP `ACTION`; other `/x` and `.x` commands get
//!   `NOTICE msg-id=unrecognized_cmd` and are not posted. A channel need not be joined to post
//!   (twitch-irc may send from a fresh pool connection). Anonymous `PRIVMSG`s are dropped.
//! - **Keepalive and disconnects.** `PING` gets `:tmi.twitch.tv PONG tmi.twitch.tv :<arg>`;
//!   [`FakeTwitch::send_ping`] pings clients and [`FakeTwitch::pongs`] counts their answers;
//!   [`FakeTwitch::send_reconnect`] sends `:tmi.twitch.tv RECONNECT` and closes shortly after;
//!   [`FakeTwitch::drop_connections`] closes without warning. A client that stops reading is
//!   disconnected once [`MAX_QUEUED_BYTES`] wait for it, as Twitch drops slow readers.
//! - **OAuth** (`id_url()`): the device code grant (`authorization_pending` until approved,
//!   `invalid device code` once used or expired, no `scope` key when none was asked), refresh
//!   grants (refresh tokens are one-time use and rotate, as for Twitch's public clients),
//!   `validate` (`"scopes": null` when there are none) and `revoke`, with Twitch's
//!   `{status, message}` error bodies.
//! - **Helix** (`api_url()`): `GET /helix/users` by `login`/`id`, or the token's own user,
//!   needing `Authorization: Bearer` and `Client-Id`; 401 `Invalid OAuth token` as recorded.
//! - **EventSub** (`eventsub_url()`, [`eventsub`]): the WebSocket server speaking the frames of
//!   `tests/fixtures/twitch-eventsub-ws.json` (welcome, keepalive, reconnect, revocation,
//!   notifications, close codes) and Helix `POST /helix/eventsub/subscriptions` with Twitch's
//!   scope and broadcaster checks.
//!
//! Not reproduced: TLS and IRC's WebSocket transport, rate limits (send the fixture's
//! `msg_ratelimit` NOTICE with [`FakeTwitch::send_raw`]), other users' JOIN/PART
//! (`twitch.tv/membership` is acknowledged but nothing more), Twitch's own keepalive PING every
//! few minutes (use [`FakeTwitch::send_ping`]), scope checks outside EventSub.
//!
//! Everything is recorded behind one `std::sync::Mutex` that is never held across an `.await`;
//! each connection has a reader task and a writer task fed by a channel, so the test-facing
//! methods that send are plain synchronous calls.

use std::collections::{HashMap, HashSet};
use std::fmt::Write as _;
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use serde_json::{Map, Value, json};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader, BufWriter};
use tokio::net::tcp::OwnedWriteHalf;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, mpsc, watch};
use warp::http::StatusCode;
use warp::reply::Response;
use warp::{Filter, Reply};

mod eventsub;
pub use eventsub::{
    DEFAULT_KEEPALIVE_SECS, EVENTSUB_RECONNECT_GRACE, EventSubRequest, EventSubSubscription,
    recorded_event,
};

/// The `client_id` that `validate` reports for tokens registered with [`FakeTwitch::add_token`]
/// (device-flow tokens report the client that asked for them).
pub const FAKE_CLIENT_ID: &str = "fakeclientid000000000000000000";
/// Scopes of tokens registered with [`FakeTwitch::add_token`]: what a chat bot needs.
pub const DEFAULT_SCOPES: &[&str] = &["chat:read", "chat:edit"];
/// Bytes allowed to wait for one client before it counts as not reading and is disconnected.
/// Large enough for a few `privmsg_many` bursts of 100k lines (about 35 MB each).
pub const MAX_QUEUED_BYTES: usize = 256 << 20;
/// How long the fake keeps a connection open after `RECONNECT` (Twitch closes it soon after):
/// long enough for the client to close it itself (twitch-irc does at once), short enough to
/// keep tests quick.
const RECONNECT_GRACE: Duration = Duration::from_millis(500);
/// A `wait_*` call panics after this long, so that a broken test fails with the fake's state in
/// the message instead of hanging CI.
const WAIT_TIMEOUT: Duration = Duration::from_secs(60);
/// Device codes live this long (the documented `expires_in`).
const DEVICE_CODE_LIFETIME: u64 = 1800;
/// `expires_in` of tokens minted by the device and refresh grants (Twitch's are about 4 hours).
const DEFAULT_TOKEN_LIFETIME: u64 = 14_400;
const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
const KNOWN_CAPS: [&str; 3] = [
    "twitch.tv/tags",
    "twitch.tv/commands",
    "twitch.tv/membership",
];
const LOWER_ALNUM: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const MIXED_ALNUM: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const UPPER: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ";

/// One chat message a viewer sends, delivered by [`FakeTwitch::privmsg`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChatLine {
    /// The message's `id` tag (Twitch uses a UUID).
    pub id: String,
    pub user_id: String,
    /// Lowercase login: the IRC prefix `login!login@login.tmi.twitch.tv`.
    pub login: String,
    pub display_name: String,
    /// `(name, version)`, e.g. `("subscriber", "12")`, `("moderator", "1")`,
    /// `("broadcaster", "1")`, `("vip", "1")`. For `subscriber` and `founder` the version is
    /// also sent as the months in `badge-info`. They set `mod`, `subscriber`, `user-type` and
    /// `vip` the way Twitch does.
    pub badges: Vec<(String, String)>,
    /// The text. CR and LF cannot travel in an IRC line and are sent as spaces.
    pub text: String,
}

impl ChatLine {
    /// A viewer without badges whose display name is the login.
    pub fn new(
        id: impl Into<String>,
        user_id: impl Into<String>,
        login: impl Into<String>,
        text: impl Into<String>,
    ) -> ChatLine {
        let login = login.into();
        ChatLine {
            id: id.into(),
            user_id: user_id.into(),
            display_name: login.clone(),
            login,
            badges: Vec::new(),
            text: text.into(),
        }
    }

    /// Adds a badge, e.g. `.badge("subscriber", "12")`.
    pub fn badge(mut self, name: &str, version: &str) -> ChatLine {
        self.badges.push((name.to_owned(), version.to_owned()));
        self
    }

    pub fn display_name(mut self, display_name: &str) -> ChatLine {
        self.display_name = display_name.to_owned();
        self
    }

    fn has_badge(&self, name: &str) -> bool {
        self.badges.iter().any(|(n, _)| n == name)
    }
}

/// The fake server. Cloning is cheap (one `Arc`); every method takes `&self`.
#[derive(Clone)]
pub struct FakeTwitch {
    inner: Arc<Inner>,
}

struct Inner {
    irc_addr: SocketAddr,
    http_addr: SocketAddr,
    state: Mutex<State>,
    /// Bumped after every change of `state`, so the `wait_*` methods wake up instead of polling.
    changed: watch::Sender<u64>,
    /// Set to true by [`FakeTwitch::shutdown`]: stops accepting and the HTTP server.
    stop: watch::Sender<bool>,
}

impl FakeTwitch {
    /// Binds `127.0.0.1:0` for IRC and for HTTP and serves both on the current tokio runtime
    /// (they stop when it does, e.g. at the end of a `#[tokio::test]`).
    pub async fn start() -> io::Result<FakeTwitch> {
        let irc = TcpListener::bind(("127.0.0.1", 0)).await?;
        let http = TcpListener::bind(("127.0.0.1", 0)).await?;
        let fake = FakeTwitch {
            inner: Arc::new(Inner {
                irc_addr: irc.local_addr()?,
                http_addr: http.local_addr()?,
                state: Mutex::new(State::new()),
                changed: watch::channel(0).0,
                stop: watch::channel(false).0,
            }),
        };
        tokio::spawn(fake.clone().accept_irc(irc, fake.inner.stop.subscribe()));
        let mut stop = fake.inner.stop.subscribe();
        let server = warp::serve(fake.routes())
            .incoming(http)
            .graceful(async move {
                stop.changed().await.ok();
            });
        tokio::spawn(server.run());
        Ok(fake)
    }

    /// Like [`start`](Self::start) but on a runtime of its own in a background thread, so one
    /// fake can outlive the runtime of any single test (e.g. one fake for a whole test binary,
    /// each test using its own channel and token). Runs until [`shutdown`](Self::shutdown).
    pub fn start_detached() -> io::Result<FakeTwitch> {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::Builder::new()
            .name("fake-twitch".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(1)
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(e) => {
                        tx.send(Err(e)).ok();
                        return;
                    }
                };
                runtime.block_on(async move {
                    match FakeTwitch::start().await {
                        Ok(fake) => {
                            let mut stop = fake.inner.stop.subscribe();
                            tx.send(Ok(fake)).ok();
                            stop.changed().await.ok();
                        }
                        Err(e) => {
                            tx.send(Err(e)).ok();
                        }
                    }
                });
            })?;
        rx.recv()
            .map_err(|_| io::Error::other("the fake Twitch thread died while starting"))?
    }

    /// Stops accepting connections and HTTP requests and closes every IRC connection.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        self.drop_connections();
    }

    /// `tcp://127.0.0.1:PORT`, the chat server (plain IRC, like `irc.chat.twitch.tv:6667`).
    pub fn irc_url(&self) -> String {
        format!("tcp://{}", self.inner.irc_addr)
    }

    /// The chat server's address, for a client that connects by address.
    pub fn irc_addr(&self) -> SocketAddr {
        self.inner.irc_addr
    }

    /// `http://127.0.0.1:PORT`, standing for `https://id.twitch.tv` (paths `/oauth2/device`,
    /// `/oauth2/token`, `/oauth2/validate`, `/oauth2/revoke`).
    pub fn id_url(&self) -> String {
        format!("http://{}", self.inner.http_addr)
    }

    /// `http://127.0.0.1:PORT/helix`, standing for `https://api.twitch.tv/helix`.
    pub fn api_url(&self) -> String {
        format!("http://{}/helix", self.inner.http_addr)
    }

    // ----- IRC ------------------------------------------------------------------------------

    /// Waits until a logged-in connection (anonymous ones count) has joined `#channel`.
    pub async fn wait_joined(&self, channel: &str) {
        let channel = channel_name(channel);
        self.wait_for(&format!("a JOIN of #{channel}"), |st| {
            st.conns
                .values()
                .any(|c| c.session.is_some() && !c.closing && c.channels.contains(&channel))
                .then_some(())
        })
        .await;
    }

    /// Sends `line` as a tagged PRIVMSG to every connection joined to `channel`; returns the raw
    /// line (tags included, no CRLF).
    pub fn privmsg(&self, channel: &str, line: &ChatLine) -> String {
        let channel = channel_name(channel);
        let (room_id, targets) = {
            let st = self.lock();
            (st.room_id(&channel), st.targets(&channel, None))
        };
        let raw = format_privmsg(&channel, &room_id, line, now_ms());
        deliver(&targets, format!("{raw}\r\n"));
        raw
    }

    /// Like [`privmsg`](Self::privmsg) for many lines, formatted into one buffer and queued as
    /// one write per connection, for throughput benchmarks.
    pub fn privmsg_many(&self, channel: &str, lines: &[ChatLine]) {
        let channel = channel_name(channel);
        let (room_id, targets) = {
            let st = self.lock();
            (st.room_id(&channel), st.targets(&channel, None))
        };
        if targets.is_empty() {
            return;
        }
        let ts = now_ms();
        let mut chunk = String::with_capacity(lines.len() * 320);
        for line in lines {
            chunk.push_str(&format_privmsg(&channel, &room_id, line, ts));
            chunk.push_str("\r\n");
        }
        deliver(&targets, chunk);
    }

    /// Sends one raw line (CRLF added if missing) to every open connection, as it is.
    pub fn send_raw(&self, line: &str) {
        let data = Bytes::from(with_crlf(line));
        for conn in self.lock().conns.values().filter(|c| !c.closing) {
            conn.handle.send(data.clone());
        }
    }

    /// Sends `PING :tmi.twitch.tv` to every logged-in connection; see [`pongs`](Self::pongs).
    pub fn send_ping(&self) {
        for conn in self.lock().conns.values() {
            if conn.session.is_some() && !conn.closing {
                conn.send_line("PING :tmi.twitch.tv");
            }
        }
    }

    /// Sends `:tmi.twitch.tv RECONNECT` to every connection and closes each one shortly after,
    /// unless the client closes first (as twitch-irc does).
    pub fn send_reconnect(&self) {
        self.reconnect_where(|_| true);
    }

    fn reconnect_where(&self, which: impl Fn(&Conn) -> bool) {
        let mut st = self.lock();
        for conn in st.conns.values_mut().filter(|c| !c.closing && which(c)) {
            conn.send_line(":tmi.twitch.tv RECONNECT");
            conn.handle.close_after(RECONNECT_GRACE);
            conn.closing = true;
        }
        drop(st);
        self.bump();
    }

    /// Closes every connection at once, without a RECONNECT (what clients see when Twitch or
    /// the network fails).
    pub fn drop_connections(&self) {
        self.drop_where(|_| true);
    }

    fn drop_where(&self, which: impl Fn(&Conn) -> bool) {
        let mut st = self.lock();
        for conn in st.conns.values_mut().filter(|c| which(c)) {
            conn.closing = true;
            conn.handle.kill.notify_one();
        }
        drop(st);
        self.bump();
    }

    /// Like [`FakeTwitch::drop_connections`], only for the connections joined to `channel`:
    /// tests sharing one fake in a process do not disturb each other.
    pub fn drop_channel(&self, channel: &str) {
        let channel = channel_name(channel);
        self.drop_where(|c| c.channels.contains(&channel));
    }

    /// Like [`FakeTwitch::send_reconnect`], only for the connections joined to `channel`.
    pub fn send_reconnect_in(&self, channel: &str) {
        let channel = channel_name(channel);
        self.reconnect_where(|c| c.channels.contains(&channel));
    }

    /// Logins (JOINs) of `channel` so far: a reconnect shows as one more.
    pub fn joins_of(&self, channel: &str) -> usize {
        let channel = channel_name(channel);
        self.lock().joins.iter().filter(|c| **c == channel).count()
    }

    /// Whether the fake answers clients' PINGs (default true). Set false to play a server that
    /// hangs: twitch-irc then drops the connection 35 s after its last successful ping.
    pub fn set_answer_pings(&self, answer: bool) {
        self.lock().answer_pings = answer;
    }

    /// TCP connections accepted so far (reconnects show here).
    pub fn connections_accepted(&self) -> usize {
        self.lock().accepted
    }

    /// Connections open now.
    pub fn open_connections(&self) -> usize {
        self.lock().conns.len()
    }

    /// Logins that completed, in order: the token's login for a token, `justinfanNNN` for an
    /// anonymous login.
    pub fn logins(&self) -> Vec<String> {
        self.lock().logins.clone()
    }

    /// Waits until at least `n` logins have completed (e.g. 2 after a reconnect); returns all.
    pub async fn wait_logins(&self, n: usize) -> Vec<String> {
        self.wait_for(&format!("{n} logins"), |st| {
            (st.logins.len() >= n).then(|| st.logins.clone())
        })
        .await
    }

    /// Logins refused (`Login authentication failed` or `Improperly formatted auth`).
    pub fn auth_failures(&self) -> usize {
        self.lock().auth_failures
    }

    /// PRIVMSGs that logged-in clients sent: `(channel without '#', login, text as shown in
    /// chat)`, i.e. without twitch-irc's `. ` prefix, and `/me x` as `"\u{1}ACTION x\u{1}"`.
    pub fn posted(&self) -> Vec<(String, String, String)> {
        self.lock().posted.clone()
    }

    /// Waits until at least `n` PRIVMSGs were posted; returns all of them.
    pub async fn wait_posted(&self, n: usize) -> Vec<(String, String, String)> {
        self.wait_for(&format!("{n} posted PRIVMSGs"), |st| {
            (st.posted.len() >= n).then(|| st.posted.clone())
        })
        .await
    }

    /// Waits until at least `n` PRIVMSGs were posted to `channel`; returns those.
    pub async fn wait_posted_in(&self, channel: &str, n: usize) -> Vec<(String, String, String)> {
        let channel = channel_name(channel);
        self.wait_for(&format!("{n} posted PRIVMSGs in #{channel}"), |st| {
            let posted: Vec<_> = st
                .posted
                .iter()
                .filter(|p| p.0 == channel)
                .cloned()
                .collect();
            (posted.len() >= n).then_some(posted)
        })
        .await
    }

    /// Every line received from clients, raw (CRLF removed), in arrival order.
    pub fn received_lines(&self) -> Vec<String> {
        self.lock().received.clone()
    }

    /// PONGs received from clients (answers to [`send_ping`](Self::send_ping)).
    pub fn pongs(&self) -> usize {
        self.lock().pongs
    }

    // ----- accounts / OAuth -----------------------------------------------------------------

    /// Registers a valid user token (scopes [`DEFAULT_SCOPES`], any client) and its user.
    pub fn add_token(
        &self,
        access: &str,
        refresh: Option<&str>,
        login: &str,
        user_id: &str,
        expires_in: u64,
    ) {
        self.add_token_with_scopes(access, refresh, login, user_id, expires_in, DEFAULT_SCOPES);
    }

    /// [`add_token`](Self::add_token) with other scopes (e.g. the alerts' EventSub scopes).
    pub fn add_token_with_scopes(
        &self,
        access: &str,
        refresh: Option<&str>,
        login: &str,
        user_id: &str,
        expires_in: u64,
        scopes: &[&str],
    ) {
        let scopes: Vec<String> = scopes.iter().map(|s| (*s).to_owned()).collect();
        let mut st = self.lock();
        st.add_user(login, user_id, login);
        st.tokens.insert(
            access.to_owned(),
            Token {
                login: login.to_owned(),
                user_id: user_id.to_owned(),
                client_id: None,
                scopes: scopes.clone(),
                expires_at: deadline(expires_in),
                revoked: false,
                refresh: refresh.map(str::to_owned),
            },
        );
        if let Some(refresh) = refresh {
            st.refresh.insert(
                refresh.to_owned(),
                Refresh {
                    login: login.to_owned(),
                    user_id: user_id.to_owned(),
                    client_id: None,
                    scopes,
                    dead: false,
                },
            );
        }
        drop(st);
        self.bump();
    }

    /// Makes a token invalid: `validate` answers 401, Helix 401, and an IRC login with it gets
    /// `NOTICE * :Login authentication failed`. Connections already logged in stay, as on Twitch.
    pub fn expire_token(&self, access: &str) {
        if let Some(token) = self.lock().tokens.get_mut(access) {
            token.revoked = true;
        }
        self.bump();
    }

    /// Whether `access` is currently valid (not expired, revoked or unknown).
    pub fn token_valid(&self, access: &str) -> bool {
        self.lock().valid_token(access).is_some()
    }

    /// Makes a refresh token unusable: the refresh grant answers 400 `Invalid refresh token`.
    pub fn revoke_refresh(&self, refresh: &str) {
        if let Some(r) = self.lock().refresh.get_mut(refresh) {
            r.dead = true;
        }
        self.bump();
    }

    /// The user approved `user_code` in a browser: the next poll of its device code gets a
    /// token for `login`/`user_id`. An unknown code is ignored (see [`device_codes`]).
    ///
    /// [`device_codes`]: Self::device_codes
    pub fn approve_device(&self, user_code: &str, login: &str, user_id: &str) {
        let mut st = self.lock();
        st.add_user(login, user_id, login);
        if let Some(d) = st
            .devices
            .iter_mut()
            .find(|d| d.user_code.eq_ignore_ascii_case(user_code))
        {
            d.approved = Some((login.to_owned(), user_id.to_owned()));
        }
        drop(st);
        self.bump();
    }

    /// User codes issued by `POST /oauth2/device` so far, in order.
    pub fn device_codes(&self) -> Vec<String> {
        self.lock()
            .devices
            .iter()
            .map(|d| d.user_code.clone())
            .collect()
    }

    /// Waits until at least `n` device codes were issued; returns all user codes.
    pub async fn wait_device_codes(&self, n: usize) -> Vec<String> {
        self.wait_for(&format!("{n} device codes"), |st| {
            (st.devices.len() >= n)
                .then(|| st.devices.iter().map(|d| d.user_code.clone()).collect())
        })
        .await
    }

    /// The `interval` returned by `POST /oauth2/device`. Twitch says 5; the fake defaults to 1
    /// so that device-flow tests poll quickly (0 is allowed).
    pub fn set_device_interval(&self, secs: u64) {
        self.lock().device_interval = secs;
    }

    /// `expires_in` of tokens minted by the device and refresh grants (default 14400).
    pub fn set_token_lifetime(&self, secs: u64) {
        self.lock().token_lifetime = secs;
    }

    /// A Twitch user for Helix lookups and `room-id`s (tokens register their user themselves).
    pub fn add_user(&self, login: &str, user_id: &str, display_name: &str) {
        self.lock().add_user(login, user_id, display_name);
    }

    /// Refresh-grant requests received, successful or not.
    pub fn refreshes(&self) -> usize {
        self.lock().refreshes
    }

    /// `GET /oauth2/validate` requests received, successful or not.
    pub fn validations(&self) -> usize {
        self.lock().validations
    }

    // ----- internals ------------------------------------------------------------------------

    fn lock(&self) -> MutexGuard<'_, State> {
        // A test that panicked while holding the lock must not hide its own failure behind a
        // poison error in every later call.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn bump(&self) {
        self.inner.changed.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// Waits until `check` returns `Some`. Subscribing before the first check means no change
    /// can slip between the check and the wait.
    async fn wait_for<T>(&self, what: &str, mut check: impl FnMut(&State) -> Option<T>) -> T {
        let mut changed = self.inner.changed.subscribe();
        let deadline = tokio::time::Instant::now() + WAIT_TIMEOUT;
        loop {
            if let Some(value) = check(&self.lock()) {
                return value;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => {
                    let st = self.lock();
                    panic!(
                        "fake Twitch: gave up after {WAIT_TIMEOUT:?} waiting for {what}; \
                         logins {:?}, joined {:?}, posted {}, last lines received {:?}",
                        st.logins,
                        st.joined(),
                        st.posted.len(),
                        st.received.iter().rev().take(10).collect::<Vec<_>>(),
                    );
                }
            }
        }
    }

    async fn accept_irc(self, listener: TcpListener, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, _)) => {
                        tokio::spawn(self.clone().serve_irc(stream));
                    }
                    // Out of descriptors and the like: back off rather than spin.
                    Err(_) => tokio::time::sleep(Duration::from_millis(10)).await,
                },
                _ = stop.changed() => break,
            }
        }
    }

    /// One connection: this task reads and handles lines; a writer task drains the queue.
    async fn serve_irc(self, stream: TcpStream) {
        stream.set_nodelay(true).ok();
        let (read, write) = stream.into_split();
        let (tx, rx) = mpsc::unbounded_channel();
        let handle = Arc::new(ConnHandle {
            tx,
            queued: AtomicUsize::new(0),
            kill: Notify::new(),
        });
        let id = {
            let mut st = self.lock();
            st.accepted += 1;
            st.next_conn += 1;
            let id = st.next_conn;
            st.conns.insert(id, Conn::new(Arc::clone(&handle)));
            id
        };
        self.bump();
        let writer = tokio::spawn(write_loop(write, rx, Arc::clone(&handle)));
        let mut lines = BufReader::new(read).lines();
        loop {
            tokio::select! {
                () = handle.kill.notified() => break,
                line = lines.next_line() => match line {
                    Ok(Some(line)) => {
                        self.lock().on_line(id, &line);
                        self.bump();
                    }
                    Ok(None) | Err(_) => break,
                },
            }
        }
        writer.abort();
        self.lock().conns.remove(&id);
        self.bump();
    }

    fn routes(
        &self,
    ) -> impl Filter<Extract = (Response,), Error = std::convert::Infallible>
    + Clone
    + Send
    + Sync
    + 'static {
        let fake = self.clone();
        let with_fake = warp::any().map(move || fake.clone());
        // Twitch takes the OAuth parameters from the query string as well as from a
        // form-encoded body, and many clients use either.
        let query = warp::query::raw()
            .or(warp::any().map(String::new))
            .unify()
            .map(|q: String| parse_form(&q));
        let params =
            query
                .and(warp::body::bytes())
                .map(|mut q: Vec<(String, String)>, body: Bytes| {
                    q.extend(parse_form(&String::from_utf8_lossy(&body)));
                    Params(q)
                });
        let device = warp::path!("oauth2" / "device")
            .and(warp::post())
            .and(params)
            .and(with_fake.clone())
            .map(|p: Params, f: FakeTwitch| f.http_device(&p));
        let token = warp::path!("oauth2" / "token")
            .and(warp::post())
            .and(params)
            .and(with_fake.clone())
            .map(|p: Params, f: FakeTwitch| f.http_token(&p));
        let revoke = warp::path!("oauth2" / "revoke")
            .and(warp::post())
            .and(params)
            .and(with_fake.clone())
            .map(|p: Params, f: FakeTwitch| f.http_revoke(&p));
        let validate = warp::path!("oauth2" / "validate")
            .and(warp::get())
            .and(warp::header::optional::<String>("authorization"))
            .and(with_fake.clone())
            .map(|auth: Option<String>, f: FakeTwitch| f.http_validate(auth.as_deref()));
        let users = warp::path!("helix" / "users")
            .and(warp::get())
            .and(query)
            .and(warp::header::optional::<String>("authorization"))
            .and(warp::header::optional::<String>("client-id"))
            .and(with_fake)
            .map(
                |q: Vec<(String, String)>,
                 auth: Option<String>,
                 client: Option<String>,
                 f: FakeTwitch| {
                    f.http_users(&Params(q), auth.as_deref(), client.as_deref())
                },
            );
        device
            .or(token)
            .unify()
            .or(revoke)
            .unify()
            .or(validate)
            .unify()
            .or(users)
            .unify()
            .or(self.eventsub_routes())
            .unify()
            .recover(recover)
            .unify()
    }

    fn http_device(&self, p: &Params) -> Response {
        let Some(client_id) = p.get("client_id") else {
            return twitch_error(StatusCode::BAD_REQUEST, "missing client id");
        };
        let scopes = split_scopes(p.get("scopes"));
        let mut st = self.lock();
        let device_code = st.random_string(40, MIXED_ALNUM);
        let user_code = st.random_string(8, UPPER);
        st.devices.push(Device {
            device_code: device_code.clone(),
            user_code: user_code.clone(),
            client_id: client_id.to_owned(),
            scopes,
            issued: Instant::now(),
            approved: None,
            used: false,
        });
        let interval = st.device_interval;
        drop(st);
        self.bump();
        json_reply(
            StatusCode::OK,
            &json!({
                "device_code": device_code,
                "expires_in": DEVICE_CODE_LIFETIME,
                "interval": interval,
                "user_code": user_code,
                "verification_uri":
                    format!("https://www.twitch.tv/activate?public=true&device-code={user_code}"),
            }),
        )
    }

    fn http_token(&self, p: &Params) -> Response {
        let Some(client_id) = p.get("client_id") else {
            return twitch_error(StatusCode::BAD_REQUEST, "missing client id");
        };
        let reply = match p.get("grant_type") {
            Some(DEVICE_GRANT) => self.lock().device_grant(client_id, p),
            Some("refresh_token") => self.lock().refresh_grant(client_id, p),
            // Not recorded: Twitch's wording for other grant types is unknown.
            _ => twitch_error(StatusCode::BAD_REQUEST, "unsupported grant type"),
        };
        self.bump();
        reply
    }

    fn http_revoke(&self, p: &Params) -> Response {
        if p.get("client_id").is_none() {
            return twitch_error(StatusCode::BAD_REQUEST, "missing client id");
        }
        let mut st = self.lock();
        let Some(token) = p.get("token").and_then(|t| st.tokens.get_mut(t)) else {
            return twitch_error(StatusCode::BAD_REQUEST, "Invalid token");
        };
        // Revoking an access token also ends the refresh token issued with it.
        token.revoked = true;
        let refresh = token.refresh.clone();
        if let Some(r) = refresh.and_then(|r| st.refresh.get_mut(&r)) {
            r.dead = true;
        }
        drop(st);
        self.bump();
        StatusCode::OK.into_response()
    }

    fn http_validate(&self, authorization: Option<&str>) -> Response {
        let mut st = self.lock();
        st.validations += 1;
        let reply = match authorization.and_then(|a| auth_token(a, &["oauth", "bearer"])) {
            None => twitch_error(StatusCode::UNAUTHORIZED, "missing authorization token"),
            Some(access) => match st.valid_token(access) {
                None => twitch_error(StatusCode::UNAUTHORIZED, "invalid access token"),
                Some(t) => json_reply(
                    StatusCode::OK,
                    &json!({
                        "client_id": t.client_id.as_deref().unwrap_or(FAKE_CLIENT_ID),
                        "login": t.login,
                        // Recorded: a token without scopes validates with `"scopes": null`.
                        "scopes": if t.scopes.is_empty() { Value::Null } else { json!(t.scopes) },
                        "user_id": t.user_id,
                        "expires_in": t.expires_at.saturating_duration_since(Instant::now()).as_secs(),
                    }),
                ),
            },
        };
        drop(st);
        self.bump();
        reply
    }

    fn http_users(
        &self,
        query: &Params,
        authorization: Option<&str>,
        client_id: Option<&str>,
    ) -> Response {
        // Recorded 401 body shape: {"error":"Unauthorized","status":401,"message":...}.
        let unauthorized = |message: &str| {
            json_reply(
                StatusCode::UNAUTHORIZED,
                &json!({"error": "Unauthorized", "status": 401, "message": message}),
            )
        };
        let st = self.lock();
        let Some(access) = authorization.and_then(|a| auth_token(a, &["bearer"])) else {
            return unauthorized("OAuth token is missing");
        };
        let Some(token) = st.valid_token(access) else {
            return unauthorized("Invalid OAuth token");
        };
        let Some(client_id) = client_id.filter(|c| !c.is_empty()) else {
            return unauthorized("Client-Id header required");
        };
        if token.client_id.as_deref().is_some_and(|c| c != client_id) {
            return unauthorized("Client ID and OAuth token do not match");
        }
        let logins = query.all("login");
        let ids = query.all("id");
        let mut found: Vec<&User> = Vec::new();
        if logins.is_empty() && ids.is_empty() {
            found.extend(st.users.get(&token.login));
        }
        for login in logins {
            found.extend(st.users.get(&login.to_ascii_lowercase()));
        }
        for id in ids {
            found.extend(st.users.values().find(|u| u.id == id));
        }
        let data: Vec<Value> = found
            .into_iter()
            .map(|u| {
                json!({
                    "id": u.id,
                    "login": u.login,
                    "display_name": u.display_name,
                    "type": "",
                    "broadcaster_type": "",
                    "description": "",
                    "profile_image_url": "",
                    "offline_image_url": "",
                    "view_count": 0,
                    "created_at": "2016-12-14T20:32:28Z",
                })
            })
            .collect();
        json_reply(StatusCode::OK, &json!({ "data": data }))
    }
}

// ----- connection plumbing --------------------------------------------------------------------

enum Out {
    Data(Bytes),
    /// Flush, wait this long, then close (a RECONNECT's grace, or zero after a failed login).
    Close(Duration),
}

/// The sending side of one connection, shared by the state and the broadcast helpers.
struct ConnHandle {
    /// Unbounded so that senders never block or drop a line; `queued` bounds it in bytes.
    tx: mpsc::UnboundedSender<Out>,
    queued: AtomicUsize,
    /// Ends the connection's tasks: an abrupt close, a slow reader, or the writer's end.
    kill: Notify,
}

impl ConnHandle {
    fn send(&self, data: Bytes) {
        let len = data.len();
        if self.queued.fetch_add(len, Ordering::Relaxed) + len > MAX_QUEUED_BYTES {
            self.kill.notify_one();
            return;
        }
        // Fails only when the connection is gone; the line is then lost as on a real socket.
        self.tx.send(Out::Data(data)).ok();
    }

    fn close_after(&self, grace: Duration) {
        self.tx.send(Out::Close(grace)).ok();
    }
}

async fn write_loop(
    write: OwnedWriteHalf,
    mut rx: mpsc::UnboundedReceiver<Out>,
    handle: Arc<ConnHandle>,
) {
    // Small lines that are queued together go out in one write; big chunks pass straight through.
    let mut write = BufWriter::with_capacity(64 * 1024, write);
    'outer: while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        while let Some(out) = next.take() {
            match out {
                Out::Data(data) => {
                    handle.queued.fetch_sub(data.len(), Ordering::Relaxed);
                    if write.write_all(&data).await.is_err() {
                        break 'outer;
                    }
                }
                Out::Close(grace) => {
                    write.flush().await.ok();
                    tokio::time::sleep(grace).await;
                    break 'outer;
                }
            }
            next = rx.try_recv().ok();
        }
        if write.flush().await.is_err() {
            break;
        }
    }
    write.shutdown().await.ok();
    handle.kill.notify_one();
}

fn deliver(targets: &[(Arc<ConnHandle>, bool)], tagged: String) {
    // Connections without twitch.tv/tags get the same lines without tags, built only if needed.
    let plain = targets
        .iter()
        .any(|(_, tags)| !tags)
        .then(|| Bytes::from(strip_tags_all(&tagged)));
    let tagged = Bytes::from(tagged);
    for (handle, tags) in targets {
        match (&plain, tags) {
            (Some(plain), false) => handle.send(plain.clone()),
            _ => handle.send(tagged.clone()),
        }
    }
}

// ----- state ------------------------------------------------------------------------------------

#[derive(Default, Clone, Copy)]
struct Caps {
    tags: bool,
    commands: bool,
}

#[derive(Clone)]
struct Session {
    login: String,
    display_name: String,
    /// None for anonymous (`justinfan`) logins.
    user_id: Option<String>,
}

struct Conn {
    handle: Arc<ConnHandle>,
    caps: Caps,
    pass: Option<String>,
    session: Option<Session>,
    channels: HashSet<String>,
    /// A close is under way: no more broadcasts.
    closing: bool,
}

impl Conn {
    fn new(handle: Arc<ConnHandle>) -> Conn {
        Conn {
            handle,
            caps: Caps::default(),
            pass: None,
            session: None,
            channels: HashSet::new(),
            closing: false,
        }
    }

    fn send_line(&self, line: &str) {
        self.send_lines(&[line.to_owned()]);
    }

    /// Several reply lines in one write, tags removed unless the client asked for them.
    fn send_lines(&self, lines: &[String]) {
        let mut out = String::new();
        for line in lines {
            out.push_str(if self.caps.tags {
                line
            } else {
                without_tags(line)
            });
            out.push_str("\r\n");
        }
        self.handle.send(Bytes::from(out));
    }
}

struct Token {
    login: String,
    user_id: String,
    /// The client the token was issued to; None for [`FakeTwitch::add_token`] (any client).
    client_id: Option<String>,
    scopes: Vec<String>,
    expires_at: Instant,
    revoked: bool,
    refresh: Option<String>,
}

struct Refresh {
    login: String,
    user_id: String,
    client_id: Option<String>,
    scopes: Vec<String>,
    /// Used, revoked, or revoked with its access token.
    dead: bool,
}

struct Device {
    device_code: String,
    user_code: String,
    client_id: String,
    scopes: Vec<String>,
    issued: Instant,
    approved: Option<(String, String)>,
    used: bool,
}

struct User {
    id: String,
    login: String,
    display_name: String,
}

struct State {
    next_conn: u64,
    accepted: usize,
    conns: HashMap<u64, Conn>,
    logins: Vec<String>,
    /// Every JOIN, by channel, in order.
    joins: Vec<String>,
    auth_failures: usize,
    posted: Vec<(String, String, String)>,
    received: Vec<String>,
    pongs: usize,
    answer_pings: bool,
    tokens: HashMap<String, Token>,
    refresh: HashMap<String, Refresh>,
    devices: Vec<Device>,
    users: HashMap<String, User>,
    device_interval: u64,
    token_lifetime: u64,
    refreshes: usize,
    validations: usize,
    /// splitmix64 state for tokens, codes and message ids (unique is all that matters).
    seed: u64,
    eventsub: eventsub::EventSubState,
}

impl State {
    fn new() -> State {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        State {
            next_conn: 0,
            accepted: 0,
            conns: HashMap::new(),
            joins: Vec::new(),
            logins: Vec::new(),
            auth_failures: 0,
            posted: Vec::new(),
            received: Vec::new(),
            pongs: 0,
            answer_pings: true,
            tokens: HashMap::new(),
            refresh: HashMap::new(),
            devices: Vec::new(),
            users: HashMap::new(),
            device_interval: 1,
            token_lifetime: DEFAULT_TOKEN_LIFETIME,
            refreshes: 0,
            validations: 0,
            seed: nanos,
            eventsub: eventsub::EventSubState::default(),
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.seed = self.seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.seed;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_string(&mut self, len: usize, alphabet: &[u8]) -> String {
        (0..len)
            .map(|_| char::from(alphabet[(self.next_u64() % alphabet.len() as u64) as usize]))
            .collect()
    }

    fn uuid(&mut self) -> String {
        let (a, b) = (self.next_u64(), self.next_u64());
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            a >> 32,
            (a >> 16) & 0xffff,
            a & 0xfff,
            0x8000 | (b >> 48) & 0x3fff,
            b & 0xffff_ffff_ffff
        )
    }

    fn add_user(&mut self, login: &str, user_id: &str, display_name: &str) {
        let login = login.to_ascii_lowercase();
        self.users.insert(
            login.clone(),
            User {
                id: user_id.to_owned(),
                login,
                display_name: display_name.to_owned(),
            },
        );
    }

    /// The channel owner's user id, or a stable made-up one for channels nobody registered.
    fn room_id(&self, channel: &str) -> String {
        if let Some(user) = self.users.get(channel) {
            return user.id.clone();
        }
        let hash = channel.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
        (100_000_000 + hash % 900_000_000).to_string()
    }

    fn valid_token(&self, access: &str) -> Option<&Token> {
        self.tokens
            .get(access)
            .filter(|t| !t.revoked && t.expires_at > Instant::now())
    }

    /// Logged-in connections joined to `channel`, with whether they take tags.
    fn targets(&self, channel: &str, except: Option<u64>) -> Vec<(Arc<ConnHandle>, bool)> {
        self.conns
            .iter()
            .filter(|(id, c)| {
                Some(**id) != except
                    && !c.closing
                    && c.session.is_some()
                    && c.channels.contains(channel)
            })
            .map(|(_, c)| (Arc::clone(&c.handle), c.caps.tags))
            .collect()
    }

    fn joined(&self) -> Vec<String> {
        let mut joined: Vec<String> = self
            .conns
            .values()
            .filter_map(|c| c.session.as_ref().map(|s| (s, &c.channels)))
            .flat_map(|(s, chans)| chans.iter().map(move |ch| format!("{}@#{ch}", s.login)))
            .collect();
        joined.sort();
        joined
    }

    fn mint(
        &mut self,
        login: &str,
        user_id: &str,
        client_id: Option<String>,
        scopes: Vec<String>,
    ) -> (String, String) {
        let access = self.random_string(30, LOWER_ALNUM);
        let refresh = self.random_string(50, LOWER_ALNUM);
        self.tokens.insert(
            access.clone(),
            Token {
                login: login.to_owned(),
                user_id: user_id.to_owned(),
                client_id: client_id.clone(),
                scopes: scopes.clone(),
                expires_at: deadline(self.token_lifetime),
                revoked: false,
                refresh: Some(refresh.clone()),
            },
        );
        self.refresh.insert(
            refresh.clone(),
            Refresh {
                login: login.to_owned(),
                user_id: user_id.to_owned(),
                client_id,
                scopes,
                dead: false,
            },
        );
        (access, refresh)
    }

    fn device_grant(&mut self, client_id: &str, p: &Params) -> Response {
        let code = p.get("device_code").unwrap_or_default();
        let Some(device) = self
            .devices
            .iter_mut()
            .find(|d| d.device_code == code && d.client_id == client_id)
        else {
            return twitch_error(StatusCode::BAD_REQUEST, "invalid device code");
        };
        if device.used || device.issued.elapsed() > Duration::from_secs(DEVICE_CODE_LIFETIME) {
            return twitch_error(StatusCode::BAD_REQUEST, "invalid device code");
        }
        let Some((login, user_id)) = device.approved.clone() else {
            return twitch_error(StatusCode::BAD_REQUEST, "authorization_pending");
        };
        device.used = true;
        let scopes = device.scopes.clone();
        let (access, refresh) =
            self.mint(&login, &user_id, Some(client_id.to_owned()), scopes.clone());
        let mut body = Map::new();
        body.insert("access_token".into(), json!(access));
        body.insert("expires_in".into(), json!(self.token_lifetime));
        body.insert("refresh_token".into(), json!(refresh));
        // Recorded: no `scope` key at all when no scopes were requested.
        if !scopes.is_empty() {
            body.insert("scope".into(), json!(scopes));
        }
        body.insert("token_type".into(), json!("bearer"));
        json_reply(StatusCode::OK, &Value::Object(body))
    }

    fn refresh_grant(&mut self, client_id: &str, p: &Params) -> Response {
        self.refreshes += 1;
        let presented = p.get("refresh_token").unwrap_or_default();
        let usable = self
            .refresh
            .get_mut(presented)
            .filter(|r| !r.dead && r.client_id.as_deref().is_none_or(|c| c == client_id));
        let Some(old) = usable else {
            return twitch_error(StatusCode::BAD_REQUEST, "Invalid refresh token");
        };
        // One-time use, as for Twitch's public (device-flow) clients: the app must store the
        // new refresh token.
        old.dead = true;
        let (login, user_id, client, scopes) = (
            old.login.clone(),
            old.user_id.clone(),
            old.client_id.clone(),
            old.scopes.clone(),
        );
        let (access, refresh) = self.mint(&login, &user_id, client, scopes.clone());
        json_reply(
            StatusCode::OK,
            &json!({
                "access_token": access,
                "expires_in": self.token_lifetime,
                "refresh_token": refresh,
                "scope": scopes,
                "token_type": "bearer",
            }),
        )
    }

    /// Handles one line from connection `id`. Replies go into the connection's queue, so the
    /// order of replies follows the order of lines.
    fn on_line(&mut self, id: u64, raw: &str) {
        self.received.push(raw.to_owned());
        let Some(msg) = parse_irc(raw) else { return };
        let command = msg.command.to_ascii_uppercase();
        let param = |i: usize| msg.params.get(i).copied().unwrap_or_default();
        match command.as_str() {
            "CAP" => self.on_cap(id, param(0), param(1)),
            "PASS" => {
                if let Some(conn) = self.conns.get_mut(&id) {
                    conn.pass = Some(param(0).to_owned());
                }
            }
            "NICK" => self.on_nick(id, param(0)),
            "USER" => {}
            "PING" => {
                if let Some(conn) = self.conns.get(&id).filter(|_| self.answer_pings) {
                    let arg = if msg.params.is_empty() {
                        "tmi.twitch.tv"
                    } else {
                        param(0)
                    };
                    conn.send_line(&format!(":tmi.twitch.tv PONG tmi.twitch.tv :{arg}"));
                }
            }
            "PONG" => self.pongs += 1,
            _ => {
                // Before login Twitch ignores everything else.
                let Some(session) = self.conns.get(&id).and_then(|c| c.session.clone()) else {
                    return;
                };
                match command.as_str() {
                    "JOIN" => self.on_join(id, &session, param(0)),
                    "PART" => self.on_part(id, &session, param(0)),
                    "PRIVMSG" => self.on_privmsg(id, &session, param(0), param(1)),
                    _ => {
                        if let Some(conn) = self.conns.get(&id) {
                            conn.send_line(&format!(
                                ":tmi.twitch.tv 421 {} {} :Unknown command",
                                session.login, msg.command
                            ));
                        }
                    }
                }
            }
        }
    }

    fn on_cap(&mut self, id: u64, sub: &str, list: &str) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match sub.to_ascii_uppercase().as_str() {
            "LS" => conn.send_line(&format!(
                ":tmi.twitch.tv CAP * LS :{}",
                KNOWN_CAPS.join(" ")
            )),
            "REQ" => {
                let requested: Vec<&str> = list.split_whitespace().collect();
                if requested.iter().all(|c| KNOWN_CAPS.contains(c)) {
                    for cap in &requested {
                        match *cap {
                            "twitch.tv/tags" => conn.caps.tags = true,
                            "twitch.tv/commands" => conn.caps.commands = true,
                            _ => {}
                        }
                    }
                    conn.send_line(&format!(":tmi.twitch.tv CAP * ACK :{list}"));
                } else {
                    conn.send_line(&format!(":tmi.twitch.tv CAP * NAK :{list}"));
                }
            }
            _ => {}
        }
    }

    fn on_nick(&mut self, id: u64, nick: &str) {
        let nick = nick.to_ascii_lowercase();
        let Some(conn) = self.conns.get(&id) else {
            return;
        };
        if conn.session.is_some() {
            return;
        }
        let session = if nick.starts_with("justinfan") {
            Ok(Session {
                login: nick.clone(),
                display_name: nick.clone(),
                user_id: None,
            })
        } else {
            match conn.pass.as_deref().and_then(|p| p.strip_prefix("oauth:")) {
                None => Err("Improperly formatted auth"),
                Some(access) => match self.valid_token(access) {
                    None => Err("Login authentication failed"),
                    Some(t) => Ok(Session {
                        login: t.login.clone(),
                        display_name: self
                            .users
                            .get(&t.login)
                            .map_or_else(|| t.login.clone(), |u| u.display_name.clone()),
                        user_id: Some(t.user_id.clone()),
                    }),
                },
            }
        };
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        match session {
            Err(reason) => {
                self.auth_failures += 1;
                conn.send_line(&format!(":tmi.twitch.tv NOTICE * :{reason}"));
                conn.handle.close_after(Duration::ZERO);
                conn.closing = true;
            }
            Ok(session) => {
                let l = &session.login;
                let mut lines = vec![
                    format!(":tmi.twitch.tv 001 {l} :Welcome, GLHF!"),
                    format!(":tmi.twitch.tv 002 {l} :Your host is tmi.twitch.tv"),
                    format!(":tmi.twitch.tv 003 {l} :This server is rather new"),
                    format!(":tmi.twitch.tv 004 {l} :-"),
                    format!(":tmi.twitch.tv 375 {l} :-"),
                    format!(
                        ":tmi.twitch.tv 372 {l} :You are in a maze of twisty passages, all alike."
                    ),
                    format!(":tmi.twitch.tv 376 {l} :>"),
                ];
                if let (Some(user_id), true) = (&session.user_id, conn.caps.commands) {
                    lines.push(format!(
                        "@badge-info=;badges=;color=;display-name={};emote-sets=0;user-id={};user-type= :tmi.twitch.tv GLOBALUSERSTATE",
                        escape_tag(&session.display_name),
                        escape_tag(user_id),
                    ));
                }
                conn.send_lines(&lines);
                self.logins.push(session.login.clone());
                conn.session = Some(session);
            }
        }
    }

    fn on_join(&mut self, id: u64, session: &Session, targets: &str) {
        let l = &session.login;
        let mut lines = Vec::new();
        let mut joined = Vec::new();
        for target in targets.split(',') {
            let channel = channel_name(target);
            if !target.starts_with('#') || channel.is_empty() {
                continue;
            }
            lines.push(format!(":{l}!{l}@{l}.tmi.twitch.tv JOIN #{channel}"));
            lines.push(format!(":{l}.tmi.twitch.tv 353 {l} = #{channel} :{l}"));
            lines.push(format!(
                ":{l}.tmi.twitch.tv 366 {l} #{channel} :End of /NAMES list"
            ));
            let commands = self.conns.get(&id).is_some_and(|c| c.caps.commands);
            if commands {
                if session.user_id.is_some() {
                    lines.push(userstate(session, &channel));
                }
                lines.push(format!(
                    "@emote-only=0;followers-only=-1;r9k=0;room-id={};slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #{channel}",
                    self.room_id(&channel)
                ));
            }
            joined.push(channel);
        }
        self.joins.extend(joined.iter().cloned());
        if let Some(conn) = self.conns.get_mut(&id) {
            conn.channels.extend(joined);
            conn.send_lines(&lines);
        }
    }

    fn on_part(&mut self, id: u64, session: &Session, targets: &str) {
        let Some(conn) = self.conns.get_mut(&id) else {
            return;
        };
        let l = &session.login;
        for target in targets.split(',') {
            let channel = channel_name(target);
            if conn.channels.remove(&channel) {
                conn.send_line(&format!(":{l}!{l}@{l}.tmi.twitch.tv PART #{channel}"));
            }
        }
    }

    fn on_privmsg(&mut self, id: u64, session: &Session, target: &str, text: &str) {
        let channel = channel_name(target);
        // Anonymous users cannot chat; Twitch drops their messages without a word.
        let Some(user_id) = session.user_id.clone() else {
            return;
        };
        if channel.is_empty() || text.is_empty() {
            return;
        }
        let shown = match shown_text(text) {
            Ok(shown) => shown,
            Err(command) => {
                if let Some(conn) = self.conns.get(&id) {
                    conn.send_line(&format!(
                        "@msg-id=unrecognized_cmd :tmi.twitch.tv NOTICE #{channel} :Unrecognized command: {command}"
                    ));
                }
                return;
            }
        };
        self.posted
            .push((channel.clone(), session.login.clone(), shown.clone()));
        let commands = self.conns.get(&id).is_some_and(|c| c.caps.commands);
        if let Some(conn) = self.conns.get(&id).filter(|_| commands) {
            conn.send_line(&userstate(session, &channel));
        }
        // Everyone else in the channel sees it, as on Twitch (an app with a separate reading
        // connection sees its own messages).
        let targets = self.targets(&channel, Some(id));
        if !targets.is_empty() {
            let mut line = ChatLine::new(self.uuid(), user_id, session.login.clone(), shown);
            line.display_name = session.display_name.clone();
            if session.login == channel {
                line.badges.push(("broadcaster".to_owned(), "1".to_owned()));
            }
            let raw = format_privmsg(&channel, &self.room_id(&channel), &line, now_ms());
            deliver(&targets, format!("{raw}\r\n"));
        }
    }
}

fn userstate(session: &Session, channel: &str) -> String {
    let badges = if session.login == channel {
        "broadcaster/1"
    } else {
        ""
    };
    format!(
        "@badge-info=;badges={badges};color=;display-name={};emote-sets=0;mod=0;subscriber=0;user-type= :tmi.twitch.tv USERSTATE #{channel}",
        escape_tag(&session.display_name)
    )
}

/// The text other chatters see for a client's PRIVMSG, or `Err(command)` for a chat command.
fn shown_text(text: &str) -> Result<String, String> {
    // twitch-irc's say() sends ". text" so that a text starting with '/' is not a command;
    // Twitch shows just "text".
    if let Some(rest) = text.strip_prefix(". ") {
        return Ok(rest.to_owned());
    }
    if let Some(rest) = text.strip_prefix("/me ") {
        return Ok(format!("\u{1}ACTION {rest}\u{1}"));
    }
    let mut chars = text.chars();
    let is_command = matches!(chars.next(), Some('/' | '.'))
        && chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if is_command {
        return Err(text.split(' ').next().unwrap_or(text).to_owned());
    }
    Ok(text.to_owned())
}

// ----- wire formats -------------------------------------------------------------------------

/// A viewer's PRIVMSG with the tag set Twitch sends today, in its alphabetical order.
fn format_privmsg(channel: &str, room_id: &str, line: &ChatLine, ts: u128) -> String {
    let mut badges = String::new();
    let mut badge_info = String::new();
    for (name, version) in &line.badges {
        if !badges.is_empty() {
            badges.push(',');
        }
        let _ = write!(badges, "{name}/{version}");
        // badge-info carries the exact months; Twitch sends it for these two badges.
        if name == "subscriber" || name == "founder" {
            if !badge_info.is_empty() {
                badge_info.push(',');
            }
            let _ = write!(badge_info, "{name}/{version}");
        }
    }
    let moderator = line.has_badge("moderator");
    let subscriber = line.has_badge("subscriber") || line.has_badge("founder");
    let vip = if line.has_badge("vip") { ";vip=1" } else { "" };
    let text: String = line
        .text
        .chars()
        .map(|c| if c == '\r' || c == '\n' { ' ' } else { c })
        .collect();
    let login = &line.login;
    format!(
        "@badge-info={};badges={};color=;display-name={};emotes=;first-msg=0;flags=;id={};mod={};returning-chatter=0;room-id={};subscriber={};tmi-sent-ts={ts};turbo=0;user-id={};user-type={}{vip} :{login}!{login}@{login}.tmi.twitch.tv PRIVMSG #{channel} :{text}",
        escape_tag(&badge_info),
        escape_tag(&badges),
        escape_tag(&line.display_name),
        escape_tag(&line.id),
        u8::from(moderator),
        escape_tag(room_id),
        u8::from(subscriber),
        escape_tag(&line.user_id),
        if moderator { "mod" } else { "" },
    )
}

/// IRCv3 tag value escaping, as Twitch (and twitch-irc's decoder) do it.
pub fn escape_tag(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            ';' => out.push_str("\\:"),
            ' ' => out.push_str("\\s"),
            '\\' => out.push_str("\\\\"),
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

/// One client line: tags (ignored), prefix (ignored), command, parameters.
struct IrcLine<'a> {
    command: &'a str,
    params: Vec<&'a str>,
}

fn parse_irc(line: &str) -> Option<IrcLine<'_>> {
    let mut rest = line.trim_end_matches(['\r', '\n']);
    if let Some(tagged) = rest.strip_prefix('@') {
        rest = tagged.split_once(' ')?.1.trim_start_matches(' ');
    }
    if rest.starts_with(':') {
        rest = rest.split_once(' ')?.1.trim_start_matches(' ');
    }
    let (command, mut rest) = rest.split_once(' ').unwrap_or((rest, ""));
    if command.is_empty() {
        return None;
    }
    let mut params = Vec::new();
    loop {
        rest = rest.trim_start_matches(' ');
        if rest.is_empty() {
            break;
        }
        if let Some(trailing) = rest.strip_prefix(':') {
            params.push(trailing);
            break;
        }
        match rest.split_once(' ') {
            Some((param, more)) => {
                params.push(param);
                rest = more;
            }
            None => {
                params.push(rest);
                break;
            }
        }
    }
    Some(IrcLine { command, params })
}

fn without_tags(line: &str) -> &str {
    match line.strip_prefix('@') {
        Some(tagged) => tagged.split_once(' ').map_or(line, |(_, rest)| rest),
        None => line,
    }
}

fn strip_tags_all(chunk: &str) -> String {
    let mut out = String::with_capacity(chunk.len());
    for line in chunk.split_terminator("\r\n") {
        out.push_str(without_tags(line));
        out.push_str("\r\n");
    }
    out
}

fn with_crlf(line: &str) -> String {
    let line = line.trim_end_matches(['\r', '\n']);
    format!("{line}\r\n")
}

fn channel_name(target: &str) -> String {
    target.trim_start_matches('#').to_ascii_lowercase()
}

fn now_ms() -> u128 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis())
}

fn deadline(expires_in: u64) -> Instant {
    // Capped at ten years so that a huge `expires_in` cannot overflow Instant.
    Instant::now() + Duration::from_secs(expires_in.min(315_360_000))
}

// ----- HTTP helpers --------------------------------------------------------------------------

/// Request parameters from the query string and the form body, in order, repeats kept.
struct Params(Vec<(String, String)>);

impl Params {
    /// The first non-empty value of `key`.
    fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
    }

    fn all(&self, key: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// `application/x-www-form-urlencoded` decoding (also used for query strings).
fn parse_form(input: &str) -> Vec<(String, String)> {
    input
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (percent_decode(key), percent_decode(value))
        })
        .collect()
}

fn percent_decode(input: &str) -> String {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(value)) => {
                out.push(value);
                i += 3;
            }
            (b'+', _) => {
                out.push(b' ');
                i += 1;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn split_scopes(scopes: Option<&str>) -> Vec<String> {
    scopes
        .unwrap_or_default()
        .split_whitespace()
        .map(str::to_owned)
        .collect()
}

/// The token of an `Authorization: <scheme> <token>` header if the scheme is one of `schemes`.
fn auth_token<'a>(header: &'a str, schemes: &[&str]) -> Option<&'a str> {
    let (scheme, token) = header.trim().split_once(' ')?;
    let token = token.trim();
    (schemes.iter().any(|s| scheme.eq_ignore_ascii_case(s)) && !token.is_empty()).then_some(token)
}

fn json_reply(status: StatusCode, body: &Value) -> Response {
    warp::reply::with_status(warp::reply::json(body), status).into_response()
}

/// id.twitch.tv's error body: `{"status":N,"message":"..."}` (no RFC 8628 `error` field).
fn twitch_error(status: StatusCode, message: &str) -> Response {
    json_reply(
        status,
        &json!({"status": status.as_u16(), "message": message}),
    )
}

async fn recover(rejection: warp::Rejection) -> Result<Response, std::convert::Infallible> {
    let (status, error) = if rejection.is_not_found() {
        (StatusCode::NOT_FOUND, "Not Found")
    } else if rejection.find::<warp::reject::MethodNotAllowed>().is_some() {
        (StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
    } else {
        (StatusCode::BAD_REQUEST, "Bad Request")
    };
    Ok(json_reply(
        status,
        &json!({"error": error, "status": status.as_u16(), "message": format!("{rejection:?}")}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::Lines;
    use tokio::net::tcp::OwnedReadHalf;

    /// Guard against a hang: no single step of these tests takes anywhere near this long.
    const STEP: Duration = Duration::from_secs(20);
    const FIXTURE: &str = include_str!("../../fixtures/twitch-irc.txt");

    /// A raw IRC client, to see exactly what goes over the wire.
    struct Client {
        lines: Lines<BufReader<OwnedReadHalf>>,
        write: OwnedWriteHalf,
    }

    impl Client {
        async fn connect(fake: &FakeTwitch) -> Client {
            let stream = TcpStream::connect(fake.irc_addr()).await.unwrap();
            let (read, write) = stream.into_split();
            Client {
                lines: BufReader::new(read).lines(),
                write,
            }
        }

        /// Sends lines at once, as twitch-irc pipelines its login and JOINs.
        async fn send(&mut self, lines: &[&str]) {
            let mut out = String::new();
            for line in lines {
                out.push_str(line);
                out.push_str("\r\n");
            }
            self.write.write_all(out.as_bytes()).await.unwrap();
        }

        /// The next line, or None at EOF.
        async fn next(&mut self) -> Option<String> {
            tokio::time::timeout(STEP, self.lines.next_line())
                .await
                .expect("no line from the fake in time")
                .unwrap_or(None)
        }

        async fn line(&mut self) -> String {
            self.next().await.expect("connection closed")
        }

        /// Reads up to and including the first line that contains `needle`.
        async fn until(&mut self, needle: &str) -> String {
            loop {
                let line = self.line().await;
                if line.contains(needle) {
                    return line;
                }
            }
        }

        /// A PING round trip: every line sent before it has been handled by the fake.
        async fn sync(&mut self) {
            self.send(&["PING :sync"]).await;
            self.until("PONG tmi.twitch.tv :sync").await;
        }

        /// twitch-irc's login (CAP REQ, PASS, NICK), read up to the end of the welcome.
        async fn login(fake: &FakeTwitch, token: Option<&str>, nick: &str) -> Client {
            let mut client = Client::connect(fake).await;
            let pass = token.map(|t| format!("PASS oauth:{t}"));
            let nick = format!("NICK {nick}");
            let mut lines = vec!["CAP REQ :twitch.tv/tags twitch.tv/commands"];
            lines.extend(pass.as_deref());
            lines.push(&nick);
            client.send(&lines).await;
            client.until(" 376 ").await;
            client
        }
    }

    fn decode_tag(raw: &str) -> String {
        // twitch-irc's decoder (src/message/tags.rs).
        let mut out = String::new();
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            if c != '\\' {
                out.push(c);
                continue;
            }
            match chars.next() {
                Some(':') => out.push(';'),
                Some('s') => out.push(' '),
                Some('\\') => out.push('\\'),
                Some('r') => out.push('\r'),
                Some('n') => out.push('\n'),
                Some(c) => out.push(c),
                None => {}
            }
        }
        out
    }

    fn tags(line: &str) -> Vec<(String, String)> {
        let tags = line.strip_prefix('@').unwrap().split_once(' ').unwrap().0;
        tags.split(';')
            .map(|t| {
                let (k, v) = t.split_once('=').unwrap_or((t, ""));
                (k.to_owned(), decode_tag(v))
            })
            .collect()
    }

    fn tag(line: &str, key: &str) -> String {
        tags(line)
            .into_iter()
            .find(|(k, _)| k == key)
            .unwrap_or_else(|| panic!("no tag {key} in {line}"))
            .1
    }

    fn fixture_lines() -> Vec<&'static str> {
        FIXTURE.lines().filter(|l| !l.starts_with("# ")).collect()
    }

    #[tokio::test]
    async fn twitch_login_join_and_receive_like_the_recording() {
        let fake = FakeTwitch::start().await.unwrap();
        fake.add_token("tok1", Some("ref1"), "lkbot", "1001", 3600);
        fake.add_user("demo", "5000", "Demo");
        let mut c = Client::connect(&fake).await;
        c.send(&[
            "CAP REQ :twitch.tv/tags twitch.tv/commands",
            "PASS oauth:tok1",
            "NICK lkbot",
            "JOIN #demo",
        ])
        .await;
        assert_eq!(
            c.line().await,
            ":tmi.twitch.tv CAP * ACK :twitch.tv/tags twitch.tv/commands"
        );
        // The welcome burst is the recorded one, addressed to our login.
        let recorded: Vec<String> = fixture_lines()
            .iter()
            .filter(|l| l.starts_with(":tmi.twitch.tv ") && l.contains(" nerdachse "))
            .map(|l| l.replace("nerdachse", "lkbot"))
            .collect();
        assert_eq!(recorded.len(), 7);
        for expected in &recorded {
            assert_eq!(&c.line().await, expected);
        }
        let global = c.line().await;
        assert!(
            global.ends_with(" :tmi.twitch.tv GLOBALUSERSTATE"),
            "{global}"
        );
        assert_eq!(tag(&global, "user-id"), "1001");
        assert_eq!(tag(&global, "display-name"), "lkbot");
        assert_eq!(
            c.line().await,
            ":lkbot!lkbot@lkbot.tmi.twitch.tv JOIN #demo"
        );
        assert_eq!(
            c.line().await,
            ":lkbot.tmi.twitch.tv 353 lkbot = #demo :lkbot"
        );
        assert_eq!(
            c.line().await,
            ":lkbot.tmi.twitch.tv 366 lkbot #demo :End of /NAMES list"
        );
        assert!(c.line().await.ends_with(":tmi.twitch.tv USERSTATE #demo"));
        assert_eq!(
            c.line().await,
            "@emote-only=0;followers-only=-1;r9k=0;room-id=5000;slow=0;subs-only=0 :tmi.twitch.tv ROOMSTATE #demo"
        );
        fake.wait_joined("#Demo").await;
        assert_eq!(fake.logins(), ["lkbot"]);
        assert_eq!(fake.connections_accepted(), 1);

        let line = ChatLine::new(
            "c12d44f9-13ce-4cf3-8976-34e1e5a5784f",
            "42",
            "krrruger",
            "!quiz 2",
        )
        .display_name("Krrruger")
        .badge("subscriber", "12")
        .badge("moderator", "1");
        let raw = fake.privmsg("demo", &line);
        assert_eq!(c.line().await, raw);
        assert!(raw.ends_with(" :krrruger!krrruger@krrruger.tmi.twitch.tv PRIVMSG #demo :!quiz 2"));
        assert_eq!(tag(&raw, "badges"), "subscriber/12,moderator/1");
        assert_eq!(tag(&raw, "badge-info"), "subscriber/12");
        assert_eq!(tag(&raw, "mod"), "1");
        assert_eq!(tag(&raw, "user-type"), "mod");
        assert_eq!(tag(&raw, "subscriber"), "1");
        assert_eq!(tag(&raw, "room-id"), "5000");
        assert_eq!(tag(&raw, "user-id"), "42");
        assert_eq!(tag(&raw, "display-name"), "Krrruger");
        assert_eq!(tag(&raw, "id"), line.id);
        assert!(tag(&raw, "tmi-sent-ts").parse::<u64>().unwrap() > 1_600_000_000_000);

        // Same tag set, in the same order, as the PRIVMSG recorded in 2024 (less the
        // client-nonce of a message sent from the web chat).
        let recorded = fixture_lines()
            .into_iter()
            .find(|l| l.contains("client-nonce=8754bd6c"))
            .unwrap();
        let keys = |l: &str| -> Vec<String> {
            tags(l)
                .into_iter()
                .map(|(k, _)| k)
                .filter(|k| k != "client-nonce")
                .collect()
        };
        assert_eq!(keys(&raw), keys(recorded));
        let vip = fake.privmsg(
            "demo",
            &ChatLine::new("v1", "7", "pal", "hi").badge("vip", "1"),
        );
        assert_eq!(c.line().await, vip);
        assert!(vip.contains(";user-type=;vip=1 :pal!pal@pal.tmi.twitch.tv PRIVMSG #demo :hi"));
    }

    #[tokio::test]
    async fn twitch_anonymous_login_reads_without_tags_and_cannot_post() {
        let fake = FakeTwitch::start().await.unwrap();
        let mut c = Client::connect(&fake).await;
        // No CAP, no PASS: the plainest anonymous reader.
        c.send(&["NICK justinfan12345", "JOIN #demo"]).await;
        assert_eq!(
            c.line().await,
            ":tmi.twitch.tv 001 justinfan12345 :Welcome, GLHF!"
        );
        c.until(" 376 ").await;
        assert_eq!(
            c.line().await,
            ":justinfan12345!justinfan12345@justinfan12345.tmi.twitch.tv JOIN #demo"
        );
        c.until(" 366 ").await;
        fake.wait_joined("demo").await;
        let raw = fake.privmsg("demo", &ChatLine::new("m1", "42", "viewer", "hello"));
        // No twitch.tv/tags asked, so no tags (and no ROOMSTATE without twitch.tv/commands).
        let got = c.line().await;
        assert_eq!(got, without_tags(&raw));
        assert_eq!(
            got,
            ":viewer!viewer@viewer.tmi.twitch.tv PRIVMSG #demo :hello"
        );
        c.send(&["PRIVMSG #demo :. anonymous words"]).await;
        c.sync().await;
        assert!(fake.posted().is_empty());
        assert_eq!(fake.logins(), ["justinfan12345"]);

        // Anonymous with a PASS (twitch-irc sends none, other clients send anything).
        let mut c2 = Client::login(&fake, Some("whatever"), "justinfan999").await;
        c2.sync().await;
        assert_eq!(fake.logins(), ["justinfan12345", "justinfan999"]);
    }

    #[tokio::test]
    async fn twitch_tag_values_are_escaped() {
        let fake = FakeTwitch::start().await.unwrap();
        let mut c = Client::login(&fake, None, "justinfan1").await;
        c.send(&["JOIN #demo"]).await;
        c.until("ROOMSTATE #demo").await;
        fake.wait_joined("demo").await;
        let name = "A b;c\\d\r\ne";
        let line =
            ChatLine::new("id with space", "42", "viewer", "two\r\nlines").display_name(name);
        let raw = fake.privmsg("demo", &line);
        assert_eq!(c.line().await, raw);
        assert!(
            raw.contains(";display-name=A\\sb\\:c\\\\d\\r\\ne;"),
            "{raw}"
        );
        assert!(raw.contains(";id=id\\swith\\sspace;"), "{raw}");
        assert_eq!(tag(&raw, "display-name"), name);
        assert_eq!(tag(&raw, "id"), "id with space");
        assert!(raw.ends_with("PRIVMSG #demo :two  lines"), "{raw}");
        // The recorded lines use the same escapes.
        assert!(
            FIXTURE.contains("system-msg=fallenseraphhh\\ssubscribed\\swith\\sTwitch\\sPrime.")
        );
    }

    #[tokio::test]
    async fn twitch_posts_are_recorded_answered_and_relayed() {
        let fake = FakeTwitch::start().await.unwrap();
        fake.add_token("tok1", None, "lkbot", "1001", 3600);
        let mut reader = Client::login(&fake, None, "justinfan7").await;
        reader.send(&["JOIN #demo"]).await;
        reader.until(" 366 ").await;
        let mut bot = Client::login(&fake, Some("tok1"), "lkbot").await;
        bot.send(&["JOIN #demo"]).await;
        bot.until("ROOMSTATE #demo").await;
        bot.send(&[
            "PRIVMSG #demo :. hello chat",
            "PRIVMSG #demo :/me waves",
            "PRIVMSG #demo :/ban someone",
            "@reply-parent-msg-id=abc PRIVMSG #other :. not joined there",
        ])
        .await;
        let posted = fake.wait_posted(3).await;
        assert_eq!(
            posted,
            [
                ("demo".into(), "lkbot".into(), "hello chat".into()),
                (
                    "demo".into(),
                    "lkbot".into(),
                    "\u{1}ACTION waves\u{1}".into()
                ),
                ("other".into(), "lkbot".into(), "not joined there".into()),
            ]
        );
        assert!(bot.line().await.ends_with(":tmi.twitch.tv USERSTATE #demo"));
        assert!(bot.line().await.ends_with(":tmi.twitch.tv USERSTATE #demo"));
        assert_eq!(
            bot.line().await,
            "@msg-id=unrecognized_cmd :tmi.twitch.tv NOTICE #demo :Unrecognized command: /ban"
        );
        assert!(
            bot.line()
                .await
                .ends_with(":tmi.twitch.tv USERSTATE #other")
        );
        // The other connection in #demo sees the messages as other chatters would.
        let relayed = reader.until("PRIVMSG").await;
        assert!(relayed.ends_with(" :lkbot!lkbot@lkbot.tmi.twitch.tv PRIVMSG #demo :hello chat"));
        assert_eq!(tag(&relayed, "user-id"), "1001");
        let action = reader.until("PRIVMSG").await;
        assert!(action.ends_with("PRIVMSG #demo :\u{1}ACTION waves\u{1}"));
        assert!(
            fake.received_lines()
                .contains(&"PRIVMSG #demo :/ban someone".to_owned())
        );
    }

    #[tokio::test]
    async fn twitch_refuses_bad_credentials_and_closes() {
        let fake = FakeTwitch::start().await.unwrap();
        fake.add_token("old", None, "lkbot", "1001", 3600);
        fake.expire_token("old");
        fake.add_token("stale", None, "lkbot", "1001", 0);
        for (pass, notice) in [
            (Some("PASS oauth:old"), "Login authentication failed"),
            (Some("PASS oauth:stale"), "Login authentication failed"),
            (Some("PASS oauth:unknown"), "Login authentication failed"),
            (Some("PASS old"), "Improperly formatted auth"),
            (None, "Improperly formatted auth"),
        ] {
            let mut c = Client::connect(&fake).await;
            let mut lines = vec!["CAP REQ :twitch.tv/tags twitch.tv/commands"];
            lines.extend(pass);
            lines.extend(["NICK lkbot", "JOIN #demo"]);
            c.send(&lines).await;
            assert!(c.line().await.contains("CAP * ACK"));
            assert_eq!(c.line().await, format!(":tmi.twitch.tv NOTICE * :{notice}"));
            assert_eq!(c.next().await, None, "closed after {notice}");
        }
        assert_eq!(fake.auth_failures(), 5);
        assert!(fake.logins().is_empty());
        assert!(!fake.token_valid("old"));
        assert!(!fake.token_valid("stale"));
    }

    #[tokio::test]
    async fn twitch_keepalive_both_ways() {
        let fake = FakeTwitch::start().await.unwrap();
        let mut c = Client::login(&fake, None, "justinfan1").await;
        // twitch-irc's own keepalive: `PING tmi.twitch.tv` every 30 s.
        c.send(&["PING tmi.twitch.tv"]).await;
        assert_eq!(
            c.line().await,
            ":tmi.twitch.tv PONG tmi.twitch.tv :tmi.twitch.tv"
        );
        fake.send_ping();
        assert_eq!(c.line().await, "PING :tmi.twitch.tv");
        c.send(&["PONG tmi.twitch.tv"]).await;
        c.sync().await;
        assert_eq!(fake.pongs(), 1);
        fake.set_answer_pings(false);
        c.send(&["PING tmi.twitch.tv"]).await;
        fake.set_answer_pings(true);
        c.sync().await;
    }

    #[tokio::test]
    async fn twitch_reconnect_and_drop_close_connections() {
        let fake = FakeTwitch::start().await.unwrap();
        let mut a = Client::login(&fake, None, "justinfan1").await;
        let mut b = Client::login(&fake, None, "justinfan2").await;
        b.sync().await;
        fake.send_reconnect();
        for c in [&mut a, &mut b] {
            assert_eq!(c.line().await, ":tmi.twitch.tv RECONNECT");
            assert_eq!(c.next().await, None);
        }
        let mut c = Client::login(&fake, None, "justinfan3").await;
        assert_eq!(fake.wait_logins(3).await.len(), 3);
        fake.drop_connections();
        assert_eq!(c.next().await, None);
        assert_eq!(fake.connections_accepted(), 3);
    }

    #[tokio::test]
    async fn twitch_privmsg_many_arrives_whole_and_in_order() {
        let fake = FakeTwitch::start().await.unwrap();
        let mut tagged = Client::login(&fake, None, "justinfan1").await;
        tagged.send(&["JOIN #bench"]).await;
        tagged.until("ROOMSTATE").await;
        let mut plain = Client::connect(&fake).await;
        plain.send(&["NICK justinfan2", "JOIN #bench"]).await;
        plain.until(" 366 ").await;
        let lines: Vec<ChatLine> = (0..20_000)
            .map(|i| ChatLine::new(format!("id-{i}"), "42", "viewer", format!("!vote {i}")))
            .collect();
        fake.privmsg_many("bench", &lines);
        for i in 0..20_000 {
            let line = tagged.line().await;
            assert!(
                line.ends_with(&format!("PRIVMSG #bench :!vote {i}")),
                "{line}"
            );
            assert_eq!(tag(&line, "id"), format!("id-{i}"));
            let line = plain.line().await;
            assert_eq!(
                line,
                format!(":viewer!viewer@viewer.tmi.twitch.tv PRIVMSG #bench :!vote {i}")
            );
        }
    }

    #[tokio::test]
    async fn twitch_oauth_device_flow_refresh_validate_and_helix() {
        let fake = FakeTwitch::start().await.unwrap();
        let http = reqwest::Client::new();
        let id = fake.id_url();
        let post =
            |path: &str, form: &[(&str, &str)]| http.post(format!("{id}{path}")).form(form).send();
        let json = |r: reqwest::Response| async move {
            let status = r.status().as_u16();
            (status, r.json::<Value>().await.unwrap())
        };

        // Start: the documented body.
        let (status, start) = json(
            post(
                "/oauth2/device",
                &[("client_id", "app1"), ("scopes", "chat:read chat:edit")],
            )
            .await
            .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        let user_code = start["user_code"].as_str().unwrap().to_owned();
        let device_code = start["device_code"].as_str().unwrap().to_owned();
        assert_eq!(user_code.len(), 8);
        assert_eq!(device_code.len(), 40);
        assert_eq!(start["expires_in"], 1800);
        assert_eq!(start["interval"], 1);
        assert_eq!(
            start["verification_uri"],
            format!("https://www.twitch.tv/activate?public=true&device-code={user_code}")
        );
        assert_eq!(fake.wait_device_codes(1).await, [user_code.as_str()]);
        let (status, body) = json(post("/oauth2/device", &[]).await.unwrap()).await;
        assert_eq!(
            (status, body),
            (400, json!({"status": 400, "message": "missing client id"}))
        );

        // Poll before and after approval, then with the used code.
        let poll = [
            ("client_id", "app1"),
            ("scopes", "chat:read chat:edit"),
            ("device_code", device_code.as_str()),
            ("grant_type", DEVICE_GRANT),
        ];
        let (status, body) = json(post("/oauth2/token", &poll).await.unwrap()).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"status": 400, "message": "authorization_pending"})
            )
        );
        fake.approve_device(&user_code, "streamer", "777");
        let (status, token) = json(post("/oauth2/token", &poll).await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(token["token_type"], "bearer");
        assert_eq!(token["scope"], json!(["chat:read", "chat:edit"]));
        assert_eq!(token["expires_in"], 14_400);
        let access = token["access_token"].as_str().unwrap().to_owned();
        let refresh = token["refresh_token"].as_str().unwrap().to_owned();
        let (status, body) = json(post("/oauth2/token", &poll).await.unwrap()).await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"status": 400, "message": "invalid device code"})
            )
        );

        // Validate: 200 with the approved user, 401 for anything else.
        let validate = |auth: String| {
            http.get(format!("{id}/oauth2/validate"))
                .header("Authorization", auth)
                .send()
        };
        let (status, body) = json(validate(format!("OAuth {access}")).await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body["login"], "streamer");
        assert_eq!(body["user_id"], "777");
        assert_eq!(body["client_id"], "app1");
        assert_eq!(body["scopes"], json!(["chat:read", "chat:edit"]));
        assert!(body["expires_in"].as_u64().unwrap() > 14_000);
        let (status, body) = json(validate("OAuth nope".into()).await.unwrap()).await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"status": 401, "message": "invalid access token"})
            )
        );

        // The device token logs in to chat as the approved user.
        let mut c = Client::login(&fake, Some(&access), "streamer").await;
        c.sync().await;
        assert_eq!(fake.logins(), ["streamer"]);

        // Refresh: new pair; the used refresh token is spent.
        let grant = [
            ("client_id", "app1"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
        ];
        let (status, renewed) = json(post("/oauth2/token", &grant).await.unwrap()).await;
        assert_eq!(status, 200);
        let access2 = renewed["access_token"].as_str().unwrap().to_owned();
        let refresh2 = renewed["refresh_token"].as_str().unwrap().to_owned();
        assert_ne!(access2, access);
        assert_ne!(refresh2, refresh);
        assert!(fake.token_valid(&access) && fake.token_valid(&access2));
        let invalid = json!({"status": 400, "message": "Invalid refresh token"});
        let (status, body) = json(post("/oauth2/token", &grant).await.unwrap()).await;
        assert_eq!((status, body), (400, invalid.clone()));
        fake.revoke_refresh(&refresh2);
        let grant2 = [
            ("client_id", "app1"),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh2.as_str()),
        ];
        let (status, body) = json(post("/oauth2/token", &grant2).await.unwrap()).await;
        assert_eq!((status, body), (400, invalid));
        assert_eq!(fake.refreshes(), 3);

        // Helix users: the channel lookup.
        fake.add_user("demo", "5000", "Demo");
        let users = |query: &str, auth: Option<&str>, client: Option<&str>| {
            let mut req = http.get(format!("{}/users{query}", fake.api_url()));
            if let Some(auth) = auth {
                req = req.header("Authorization", format!("Bearer {auth}"));
            }
            if let Some(client) = client {
                req = req.header("Client-Id", client);
            }
            req.send()
        };
        let (status, body) = json(
            users("?login=Demo&login=nobody", Some(&access2), Some("app1"))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 200);
        assert_eq!(body["data"].as_array().unwrap().len(), 1);
        assert_eq!(body["data"][0]["id"], "5000");
        assert_eq!(body["data"][0]["login"], "demo");
        assert_eq!(body["data"][0]["display_name"], "Demo");
        let (_, me) = json(users("", Some(&access2), Some("app1")).await.unwrap()).await;
        assert_eq!(me["data"][0]["login"], "streamer");
        let (status, body) = json(
            users("?login=demo", Some("nope"), Some("app1"))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            (status, body),
            (
                401,
                json!({"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"})
            )
        );
        let (status, _) = json(users("?login=demo", Some(&access2), None).await.unwrap()).await;
        assert_eq!(status, 401);
        let (status, _) = json(
            users("?login=demo", Some(&access2), Some("other"))
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 401);

        // Expiry and revocation.
        fake.expire_token(&access2);
        let (status, _) = json(validate(format!("OAuth {access2}")).await.unwrap()).await;
        assert_eq!(status, 401);
        let revoked = post(
            "/oauth2/revoke",
            &[("client_id", "app1"), ("token", access.as_str())],
        )
        .await
        .unwrap();
        assert_eq!(revoked.status().as_u16(), 200);
        assert!(!fake.token_valid(&access));
        assert_eq!(fake.validations(), 3);

        // Tokens registered by the test validate with the fake's client id and default scopes.
        fake.add_token("tok1", Some("ref1"), "lkbot", "1001", 60);
        let (status, body) = json(validate("OAuth tok1".into()).await.unwrap()).await;
        assert_eq!(status, 200);
        assert_eq!(body["client_id"], FAKE_CLIENT_ID);
        assert_eq!(body["scopes"], json!(DEFAULT_SCOPES));
        assert!(body["expires_in"].as_u64().unwrap() <= 60);
        let (status, body) = json(http.get(format!("{id}/nowhere")).send().await.unwrap()).await;
        assert_eq!((status, &body["status"]), (404, &json!(404)));
    }

    #[tokio::test]
    async fn twitch_device_grant_without_scopes_has_no_scope_key() {
        let fake = FakeTwitch::start().await.unwrap();
        let http = reqwest::Client::new();
        // Parameters in the query string, as some clients send them.
        let start: Value = http
            .post(format!("{}/oauth2/device?client_id=app2", fake.id_url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let user_code = start["user_code"].as_str().unwrap();
        fake.approve_device(&user_code.to_lowercase(), "viewer", "42");
        let token: Value = http
            .post(format!("{}/oauth2/token", fake.id_url()))
            .form(&[
                ("client_id", "app2"),
                ("device_code", start["device_code"].as_str().unwrap()),
                ("grant_type", DEVICE_GRANT),
            ])
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(token.get("scope").is_none(), "{token}");
        let valid: Value = http
            .get(format!("{}/oauth2/validate", fake.id_url()))
            .header(
                "Authorization",
                format!("OAuth {}", token["access_token"].as_str().unwrap()),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(valid["scopes"], Value::Null);
        assert_eq!(valid["login"], "viewer");
    }

    #[test]
    fn twitch_parses_client_lines_and_forms() {
        let l = parse_irc("@reply-parent-msg-id=x PRIVMSG #a :. hi there").unwrap();
        assert_eq!((l.command, l.params), ("PRIVMSG", vec!["#a", ". hi there"]));
        let l = parse_irc(":nick!u@h JOIN #a,#b").unwrap();
        assert_eq!((l.command, l.params), ("JOIN", vec!["#a,#b"]));
        assert!(parse_irc("").is_none());
        assert_eq!(
            parse_form("a=1+2&b=%3Aok%20&c&scopes=chat%3Aread+chat%3Aedit&bad=%zz"),
            [
                ("a".into(), "1 2".into()),
                ("b".into(), ":ok ".into()),
                ("c".into(), String::new()),
                ("scopes".into(), "chat:read chat:edit".into()),
                ("bad".into(), "%zz".into()),
            ]
        );
        assert_eq!(shown_text(". /ban x"), Ok("/ban x".into()));
        assert_eq!(shown_text("..."), Ok("...".into()));
        assert_eq!(shown_text(".color red"), Err(".color".into()));
    }
}
