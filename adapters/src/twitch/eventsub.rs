//! Twitch alerts over EventSub WebSocket
//! (<https://dev.twitch.tv/docs/eventsub/handling-websocket-events>): follows, new
//! subscriptions, resubscriptions (with their months and message), gifted subs and raids
//! become the meeting's `alert` frames through [`MeetingHandle::alert`]. No public URL is
//! needed: we hold the connection, and the subscriptions are made with the connected
//! account's token. Anonymous readers get no alerts (EventSub needs a user token).
//!
//! One task per connected account, next to the IRC session ([`super::session`]), which
//! starts it, hands it refreshed tokens and stops it with itself. A run:
//!
//! 1. looks up the channel's user id (Helix `GET /users`, unless the account is the
//!    channel's own);
//! 2. connects to `LIBREKAST_TWITCH_EVENTSUB_URL` and waits for `session_welcome`;
//! 3. creates the five subscriptions for that session (Helix `POST /eventsub/subscriptions`,
//!    all at once: Twitch closes a connection that has none when the welcome's keepalive
//!    timeout passes, with 4003). Those Twitch refuses (missing scope, not the broadcaster)
//!    are named in the status; the others work;
//! 4. reads: a notification becomes an alert, once per `message_id` (Twitch delivers at
//!    least once); any message resets the keepalive deadline; `session_reconnect` opens a
//!    second connection to its `reconnect_url`, keeps reading the old one until the new
//!    one's welcome, closes the old one and renews the subscriptions (409 "already exists"
//!    is fine: Twitch carries them over); `revocation` is logged and named in the status;
//! 5. silence past the keepalive timeout plus a margin, a close (4000–4007), an error: a
//!    fresh connection after a backoff, and every subscription created again.
//!
//! The run publishes a short note ("alerts: follows, …", or which alerts are unavailable and
//! why) that the session appends to the adapter's status message.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use librekast_engine::{AlertIn, AlertKind, MeetingHandle};
use librekast_storage::{MeetingId, Platform};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_rustls::TlsConnector;
use tokio_rustls::rustls::pki_types::ServerName;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, WebSocketConfig};

use super::helix::{Helix, Subscribed};
use crate::AdapterError;
use crate::config::PlatformConfig;
use crate::recent::Seen;

/// Notification ids remembered to drop Twitch's repeats (at-least-once delivery). Repeats
/// come within seconds, so the last thousand are plenty and the memory stays bounded.
pub const SEEN_IDS: usize = 1_000;
/// Opening a connection (TCP, TLS, the WebSocket handshake) takes at most this long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The welcome must come this soon after the connection opened.
pub const WELCOME_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest message accepted: Twitch's notifications are a few kilobytes.
pub const MAX_MESSAGE: usize = 256 * 1024;
/// The longest wait between two connection attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
const BACKOFF_FLOOR: Duration = Duration::from_secs(1);
/// A connection that lasted this long was healthy: after it, the backoff starts over.
const STABLE: Duration = Duration::from_secs(60);
/// Twitch's default, for a welcome without one.
const DEFAULT_KEEPALIVE: Duration = Duration::from_secs(10);

/// What each subscription is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    Follow,
    Subscribe,
    Resub,
    Gift,
    Raid,
}

impl Topic {
    pub const ALL: [Topic; 5] = [
        Topic::Follow,
        Topic::Subscribe,
        Topic::Resub,
        Topic::Gift,
        Topic::Raid,
    ];

    /// The EventSub subscription type.
    pub fn kind(self) -> &'static str {
        match self {
            Topic::Follow => "channel.follow",
            Topic::Subscribe => "channel.subscribe",
            Topic::Resub => "channel.subscription.message",
            Topic::Gift => "channel.subscription.gift",
            Topic::Raid => "channel.raid",
        }
    }

    pub fn version(self) -> &'static str {
        // channel.follow v1 is withdrawn; v2 needs a moderator (or the broadcaster).
        match self {
            Topic::Follow => "2",
            _ => "1",
        }
    }

    pub fn parse(kind: &str) -> Option<Topic> {
        Topic::ALL.into_iter().find(|t| t.kind() == kind)
    }

    /// The subscription's condition for `broadcaster`, with `me` (the token's user) as the
    /// moderator of the follow subscription.
    pub fn condition(self, broadcaster: &str, me: &str) -> Value {
        match self {
            Topic::Follow => {
                json!({"broadcaster_user_id": broadcaster, "moderator_user_id": me})
            }
            // Raids into the channel (from_broadcaster_user_id would be raids it sends).
            Topic::Raid => json!({"to_broadcaster_user_id": broadcaster}),
            _ => json!({"broadcaster_user_id": broadcaster}),
        }
    }

    /// How staff read it in the status.
    pub fn label(self) -> &'static str {
        match self {
            Topic::Follow => "follows",
            Topic::Subscribe => "subscriptions",
            Topic::Resub => "resubscriptions",
            Topic::Gift => "gifted subs",
            Topic::Raid => "raids",
        }
    }
}

// ----- the wire ----------------------------------------------------------------------------

#[derive(Deserialize)]
struct Frame {
    metadata: Metadata,
    #[serde(default)]
    payload: Payload,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    message_id: String,
    message_type: String,
    #[serde(default)]
    subscription_type: Option<String>,
}

#[derive(Deserialize, Default)]
struct Payload {
    #[serde(default)]
    session: Option<SessionInfo>,
    #[serde(default)]
    subscription: Option<SubscriptionInfo>,
    #[serde(default)]
    event: Option<Value>,
}

#[derive(Deserialize)]
struct SessionInfo {
    id: String,
    #[serde(default)]
    keepalive_timeout_seconds: Option<u64>,
    #[serde(default)]
    reconnect_url: Option<String>,
}

#[derive(Deserialize)]
struct SubscriptionInfo {
    #[serde(rename = "type", default)]
    kind: String,
    #[serde(default)]
    status: String,
}

/// A message from the EventSub server.
#[derive(Debug, Clone, PartialEq)]
pub enum Incoming {
    Welcome {
        session_id: String,
        keepalive: Option<Duration>,
    },
    Keepalive,
    Notification {
        message_id: String,
        kind: String,
        event: Value,
    },
    Reconnect {
        url: String,
    },
    Revocation {
        kind: String,
        status: String,
    },
    /// A message type this client does not know (Twitch may add some).
    Unknown(String),
}

/// Reads one text frame.
pub fn parse(text: &str) -> Result<Incoming, String> {
    let frame: Frame = serde_json::from_str(text).map_err(|e| e.to_string())?;
    let Frame { metadata, payload } = frame;
    Ok(match metadata.message_type.as_str() {
        "session_welcome" => {
            let session = payload.session.ok_or("a welcome without its session")?;
            Incoming::Welcome {
                session_id: session.id,
                keepalive: session.keepalive_timeout_seconds.map(Duration::from_secs),
            }
        }
        "session_keepalive" => Incoming::Keepalive,
        "session_reconnect" => Incoming::Reconnect {
            url: payload
                .session
                .and_then(|s| s.reconnect_url)
                .ok_or("a reconnect without its reconnect_url")?,
        },
        "notification" => Incoming::Notification {
            message_id: metadata.message_id,
            kind: metadata
                .subscription_type
                .or(payload.subscription.map(|s| s.kind))
                .unwrap_or_default(),
            event: payload.event.unwrap_or(Value::Null),
        },
        "revocation" => {
            let sub = payload
                .subscription
                .ok_or("a revocation without its subscription")?;
            Incoming::Revocation {
                kind: metadata.subscription_type.unwrap_or(sub.kind),
                status: sub.status,
            }
        }
        other => Incoming::Unknown(other.to_string()),
    })
}

#[derive(Deserialize)]
struct UserEvent {
    #[serde(default)]
    user_name: Option<String>,
    #[serde(default)]
    user_login: Option<String>,
    #[serde(default)]
    is_gift: bool,
    #[serde(default)]
    is_anonymous: bool,
    #[serde(default)]
    total: Option<u32>,
    #[serde(default)]
    cumulative_months: Option<u32>,
    #[serde(default)]
    message: Option<SubMessage>,
}

#[derive(Deserialize)]
struct SubMessage {
    #[serde(default)]
    text: Option<String>,
}

#[derive(Deserialize)]
struct RaidEvent {
    #[serde(default)]
    from_broadcaster_user_name: Option<String>,
    #[serde(default)]
    from_broadcaster_user_login: Option<String>,
    #[serde(default)]
    viewers: Option<u64>,
}

/// The display name, else the login; `None` when Twitch sent neither.
fn who(name: Option<String>, login: Option<String>) -> Option<String> {
    name.filter(|n| !n.trim().is_empty())
        .or(login.filter(|l| !l.trim().is_empty()))
}

/// The alert a notification of subscription type `kind` raises; `None` for what raises
/// none (an unknown type, a gifted sub's recipient, an event without a name).
pub fn alert_of(kind: &str, event: &Value) -> Option<AlertIn> {
    let twitch = Some(Platform::Twitch);
    match Topic::parse(kind)? {
        Topic::Raid => {
            let e = RaidEvent::deserialize(event).ok()?;
            Some(AlertIn {
                amount: e.viewers.map(|v| v as f64),
                ..AlertIn::new(
                    AlertKind::Raid,
                    twitch,
                    &who(e.from_broadcaster_user_name, e.from_broadcaster_user_login)?,
                )
            })
        }
        topic => {
            let e = UserEvent::deserialize(event).ok()?;
            match topic {
                Topic::Follow => Some(AlertIn::new(
                    AlertKind::Follow,
                    twitch,
                    &who(e.user_name, e.user_login)?,
                )),
                // Each recipient of gifted subs gets a channel.subscribe with is_gift; the
                // gifter's channel.subscription.gift reports them all at once.
                Topic::Subscribe if e.is_gift => None,
                // channel.subscribe is only for new subscriptions (resubs come as
                // channel.subscription.message): the first month.
                Topic::Subscribe => Some(AlertIn {
                    months: Some(1),
                    ..AlertIn::new(AlertKind::Sub, twitch, &who(e.user_name, e.user_login)?)
                }),
                Topic::Resub => Some(AlertIn {
                    months: e.cumulative_months,
                    text: e.message.and_then(|m| m.text).unwrap_or_default(),
                    ..AlertIn::new(AlertKind::Sub, twitch, &who(e.user_name, e.user_login)?)
                }),
                Topic::Gift => {
                    let user = if e.is_anonymous {
                        "Anonymous".to_string()
                    } else {
                        who(e.user_name, e.user_login).unwrap_or_else(|| "Anonymous".into())
                    };
                    Some(AlertIn {
                        amount: Some(f64::from(e.total.unwrap_or(1))),
                        ..AlertIn::new(AlertKind::Gift, twitch, &user)
                    })
                }
                Topic::Raid => None,
            }
        }
    }
}

/// Why Twitch closed the connection (<https://dev.twitch.tv/docs/eventsub/handling-websocket-events/#close-message>).
/// Whatever the code, the next step is a fresh connection after the backoff.
pub fn close_text(code: Option<u16>) -> String {
    let Some(code) = code else {
        return "Twitch closed the connection".into();
    };
    let why = match code {
        4000 => "internal server error",
        4001 => "we sent something other than a pong",
        4002 => "we failed a ping",
        // The subscriptions were not made within the welcome's keepalive timeout: they
        // are made all at once, right after the welcome, so only a slow Helix does this.
        4003 => "connection unused: no subscription in time",
        4004 => "reconnect grace time expired",
        4005 => "network timeout",
        4006 => "network error",
        4007 => "invalid reconnect",
        _ => "closed",
    };
    format!("Twitch closed the connection: {why} ({code})")
}

/// The wait before connection attempt `failures + 1`: none after the first loss, then
/// doubling from a second up to [`MAX_BACKOFF`].
pub fn backoff(failures: u32) -> Duration {
    if failures == 0 {
        return Duration::ZERO;
    }
    BACKOFF_FLOOR
        .saturating_mul(1 << (failures - 1).min(10))
        .min(MAX_BACKOFF)
}

/// How long silence may last: the keepalive timeout plus half of it (at least a second),
/// so a keepalive that is a little late does not cost a reconnect.
pub fn silence_limit(keepalive: Duration) -> Duration {
    keepalive + (keepalive / 2).max(Duration::from_secs(1))
}

/// Where a subscription stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Active,
    /// Twitch refused it (401/403): its message.
    Refused(String),
    /// It could not be made (network, server error): tried again at the next connection.
    Failed(String),
    /// Twitch ended it (`revocation`): its status.
    Revoked(String),
}

fn list(labels: &[&str]) -> String {
    match labels {
        [] => String::new(),
        [one] => (*one).to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The status note for staff: which alerts work and which do not, and what to do.
pub fn note(outcomes: &[(Topic, Outcome)]) -> String {
    let labels = |f: &dyn Fn(&Outcome) -> bool| -> Vec<&str> {
        outcomes
            .iter()
            .filter(|(_, o)| f(o))
            .map(|(t, _)| t.label())
            .collect()
    };
    let active = labels(&|o| *o == Outcome::Active);
    let mut parts = vec![if active.is_empty() {
        "no Twitch alerts".to_string()
    } else {
        format!("alerts: {}", list(&active))
    }];
    let refused = labels(&|o| matches!(o, Outcome::Refused(_)));
    if !refused.is_empty() {
        let why = outcomes.iter().find_map(|(_, o)| match o {
            Outcome::Refused(m) if !m.is_empty() => Some(format!(" ({m})")),
            _ => None,
        });
        parts.push(format!(
            "Twitch refused {}{}: connect the Twitch account again to grant the alert scopes (subscriptions need the broadcaster's own account, follows the broadcaster's or a moderator's)",
            list(&refused),
            why.unwrap_or_default()
        ));
    }
    let revoked = labels(&|o| matches!(o, Outcome::Revoked(_)));
    if !revoked.is_empty() {
        let why = outcomes.iter().find_map(|(_, o)| match o {
            Outcome::Revoked(s) => Some(s.clone()),
            _ => None,
        });
        parts.push(format!(
            "Twitch stopped {} ({}): connect the Twitch account again",
            list(&revoked),
            why.unwrap_or_default()
        ));
    }
    let failed = labels(&|o| matches!(o, Outcome::Failed(_)));
    if !failed.is_empty() {
        parts.push(format!(
            "{} not subscribed yet (trying again)",
            list(&failed)
        ));
    }
    parts.join("; ")
}

// ----- the connection ----------------------------------------------------------------------

trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

type Ws = WebSocketStream<Box<dyn Io>>;
/// A connection to a `reconnect_url`, with its welcome.
type Opening = Pin<Box<dyn Future<Output = Result<(Ws, String, Duration), String>> + Send>>;

/// Opens a WebSocket to `url` (`wss://`, or `ws://` for a fake or a local proxy). TLS is
/// our own rustls (ring) stream, as for IRC.
async fn open(url: &str) -> Result<Ws, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("{url:?}: {e}"))?;
    let tls = match parsed.scheme() {
        "wss" => true,
        "ws" => false,
        other => return Err(format!("{url:?}: {other}:// is not a WebSocket address")),
    };
    let host = parsed
        .host_str()
        .ok_or_else(|| format!("{url:?}: no host"))?
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let port = parsed
        .port_or_known_default()
        .ok_or_else(|| format!("{url:?}: no port"))?;
    let connect = async {
        let tcp = TcpStream::connect((host.as_str(), port))
            .await
            .map_err(|e| format!("cannot reach {host}:{port}: {e}"))?;
        let _ = tcp.set_nodelay(true);
        let io: Box<dyn Io> = if tls {
            let name = ServerName::try_from(host.clone()).map_err(|e| e.to_string())?;
            let stream = TlsConnector::from(crate::irc_transport::tls_config())
                .connect(name, tcp)
                .await
                .map_err(|e| format!("TLS with {host}: {e}"))?;
            Box::new(stream)
        } else {
            Box::new(tcp)
        };
        let config = WebSocketConfig::default()
            .max_message_size(Some(MAX_MESSAGE))
            .max_frame_size(Some(MAX_MESSAGE));
        let (ws, _) = tokio_tungstenite::client_async_with_config(url, io, Some(config))
            .await
            .map_err(|e| format!("WebSocket handshake with {host}: {e}"))?;
        Ok(ws)
    };
    tokio::time::timeout(CONNECT_TIMEOUT, connect)
        .await
        .map_err(|_| format!("no connection to {host}:{port} within {CONNECT_TIMEOUT:?}"))?
}

fn close_code(frame: Option<&CloseFrame>) -> Option<u16> {
    frame.map(|f| u16::from(f.code))
}

/// Waits for the welcome: the session id and its keepalive timeout.
async fn welcome(ws: &mut Ws) -> Result<(String, Duration), String> {
    let deadline = Instant::now() + WELCOME_TIMEOUT;
    loop {
        let message = tokio::time::timeout_at(deadline, ws.next())
            .await
            .map_err(|_| format!("no welcome from Twitch within {WELCOME_TIMEOUT:?}"))?;
        match message {
            Some(Ok(Message::Text(text))) => match parse(&text) {
                Ok(Incoming::Welcome {
                    session_id,
                    keepalive,
                }) => return Ok((session_id, keepalive.unwrap_or(DEFAULT_KEEPALIVE))),
                Ok(_) => {}
                Err(e) => return Err(format!("an unreadable first message: {e}")),
            },
            Some(Ok(Message::Close(frame))) => return Err(close_text(close_code(frame.as_ref()))),
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(format!("the connection failed: {e}")),
            None => return Err("the connection closed before its welcome".into()),
        }
    }
}

/// Closes politely, but never waits long for a peer that does not read.
async fn close(ws: &mut Ws) {
    let _ = tokio::time::timeout(Duration::from_secs(2), ws.close(None)).await;
}

async fn open_welcomed(url: String) -> Result<(Ws, String, Duration), String> {
    let mut ws = open(&url).await?;
    let (id, keepalive) = welcome(&mut ws).await?;
    Ok((ws, id, keepalive))
}

async fn opened(next: &mut Option<Opening>) -> Result<(Ws, String, Duration), String> {
    match next {
        Some(opening) => opening.await,
        None => std::future::pending().await,
    }
}

// ----- the task ----------------------------------------------------------------------------

/// What the alerts of one connected account need.
pub struct AlertsArgs {
    pub handle: Arc<MeetingHandle>,
    pub meeting: MeetingId,
    /// The channel read (its login).
    pub channel: String,
    /// The connected account: its login, user id and access token.
    pub login: String,
    pub user_id: String,
    pub token: String,
    pub config: PlatformConfig,
}

/// The running alerts of one account. Dropping it stops them.
pub struct EventSub {
    user_id: String,
    token: watch::Sender<String>,
    note: watch::Receiver<String>,
    task: JoinHandle<()>,
}

impl Drop for EventSub {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl EventSub {
    pub fn spawn(args: AlertsArgs) -> EventSub {
        let (token_tx, token_rx) = watch::channel(args.token.clone());
        let (note_tx, note_rx) = watch::channel(String::new());
        let user_id = args.user_id.clone();
        let task = match Helix::new(&args.config) {
            Ok(helix) => {
                let runner = Runner {
                    seen: Seen::new(SEEN_IDS),
                    outcomes: Vec::new(),
                    failures: 0,
                    helix,
                    token: token_rx,
                    note: note_tx,
                    args,
                };
                tokio::spawn(runner.run())
            }
            Err(e) => {
                note_tx.send_replace(format!("no Twitch alerts: {e}"));
                // Keeps the note's sender alive for the session to read it.
                tokio::spawn(async move {
                    note_tx.closed().await;
                })
            }
        };
        EventSub {
            user_id,
            token: token_tx,
            note: note_rx,
            task,
        }
    }

    /// Whose account the alerts use.
    pub fn user_id(&self) -> &str {
        &self.user_id
    }

    /// The account's token was refreshed: the next Helix calls use the new one.
    pub fn set_token(&self, token: &str) {
        self.token.send_if_modified(|t| {
            let changed = t != token;
            if changed {
                *t = token.to_string();
            }
            changed
        });
    }

    /// What the status should say about the alerts (changes are signalled).
    pub fn note(&mut self) -> &mut watch::Receiver<String> {
        &mut self.note
    }

    /// The note as it stands.
    pub fn current_note(&self) -> String {
        self.note.borrow().clone()
    }
}

/// How one connection (and the ones it migrated to) ended.
enum End {
    /// Lost or timed out: connect again after the backoff.
    Lost(String),
    /// Twitch refused every subscription: wait for another token.
    NothingSubscribed,
}

struct Runner {
    args: AlertsArgs,
    helix: Helix,
    token: watch::Receiver<String>,
    note: watch::Sender<String>,
    seen: Seen,
    outcomes: Vec<(Topic, Outcome)>,
    /// Consecutive lost connections, for the backoff.
    failures: u32,
}

impl Runner {
    fn log_warn(&self, what: &str, why: &str) {
        tracing::warn!(meeting_id = %self.args.meeting, actor = "adapter", adapter = "twitch", part = "eventsub", why, "{what}");
    }

    fn set_note(&self, note: String) {
        self.note.send_if_modified(|n| {
            let changed = *n != note;
            if changed {
                *n = note;
            }
            changed
        });
    }

    /// Waits for the session to hand over another token; false when it stopped.
    async fn new_token(&mut self) -> bool {
        self.token.changed().await.is_ok()
    }

    async fn run(mut self) {
        let Some(broadcaster) = self.broadcaster().await else {
            return;
        };
        loop {
            let started = Instant::now();
            match self.connection(&broadcaster).await {
                End::Lost(why) => {
                    self.log_warn("EventSub connection lost; connecting again", &why);
                    if started.elapsed() >= STABLE {
                        self.failures = 0;
                    }
                    tokio::time::sleep(backoff(self.failures)).await;
                    self.failures = self.failures.saturating_add(1);
                }
                End::NothingSubscribed => {
                    self.log_warn(
                        "Twitch refused every alert subscription; waiting for the account to be connected again",
                        &note(&self.outcomes),
                    );
                    if !self.new_token().await {
                        return;
                    }
                    self.failures = 0;
                }
            }
        }
    }

    /// The channel's user id: the account's own when it is the channel's, else from Helix
    /// (tried again after failures). `None` when the session stopped meanwhile.
    async fn broadcaster(&mut self) -> Option<String> {
        if self.args.login.eq_ignore_ascii_case(&self.args.channel) {
            return Some(self.args.user_id.clone());
        }
        let mut failures = 0;
        loop {
            let token = self.token.borrow().clone();
            match self.helix.user_id(&token, &self.args.channel).await {
                Ok(Some(id)) => return Some(id),
                Ok(None) => {
                    self.set_note(format!(
                        "no Twitch alerts: Twitch knows no channel {}",
                        self.args.channel
                    ));
                    if !self.new_token().await {
                        return None;
                    }
                }
                Err(AdapterError::AuthRefused(why)) => {
                    self.set_note(format!("no Twitch alerts: {why}"));
                    if !self.new_token().await {
                        return None;
                    }
                }
                Err(e) => {
                    self.log_warn("cannot look up the channel for alerts", &e.to_string());
                    failures += 1;
                    tokio::time::sleep(backoff(failures)).await;
                }
            }
        }
    }

    /// Creates (or renews) every subscription for `session_id`, all at once. `Ok(())` when
    /// at least one works; else whether to try again later or wait for another token.
    async fn subscribe(&mut self, broadcaster: &str, session_id: &str) -> Result<(), End> {
        let token = self.token.borrow().clone();
        let me = self.args.user_id.clone();
        let helix = &self.helix;
        let results = futures_util::future::join_all(Topic::ALL.into_iter().map(|topic| {
            let token = token.as_str();
            let me = me.as_str();
            async move {
                let result = helix
                    .subscribe(
                        token,
                        topic.kind(),
                        topic.version(),
                        topic.condition(broadcaster, me),
                        session_id,
                    )
                    .await;
                (topic, result)
            }
        }))
        .await;
        self.outcomes = results
            .into_iter()
            .map(|(topic, result)| {
                let outcome = match result {
                    Subscribed::Created | Subscribed::Exists => Outcome::Active,
                    Subscribed::Refused { status, message } => {
                        self.log_warn(
                            &format!("Twitch refused the {} subscription", topic.kind()),
                            &format!("{status} {message}"),
                        );
                        Outcome::Refused(message)
                    }
                    Subscribed::Failed(why) => {
                        self.log_warn(
                            &format!("could not create the {} subscription", topic.kind()),
                            &why,
                        );
                        Outcome::Failed(why)
                    }
                };
                (topic, outcome)
            })
            .collect();
        self.set_note(note(&self.outcomes));
        tracing::info!(meeting_id = %self.args.meeting, actor = "adapter", adapter = "twitch", part = "eventsub", session_id, note = %note(&self.outcomes), "subscribed");
        if self.outcomes.iter().any(|(_, o)| *o == Outcome::Active) {
            Ok(())
        } else if self
            .outcomes
            .iter()
            .any(|(_, o)| matches!(o, Outcome::Failed(_)))
        {
            Err(End::Lost("no subscription could be made".into()))
        } else {
            Err(End::NothingSubscribed)
        }
    }

    /// One connection, and those it migrates to on `session_reconnect`, until it is lost.
    async fn connection(&mut self, broadcaster: &str) -> End {
        let url = self.args.config.twitch_eventsub_url.clone();
        let mut ws = match open(&url).await {
            Ok(ws) => ws,
            Err(e) => return End::Lost(e),
        };
        let (session_id, mut keepalive) = match welcome(&mut ws).await {
            Ok(w) => w,
            Err(e) => return End::Lost(e),
        };
        if let Err(end) = self.subscribe(broadcaster, &session_id).await {
            close(&mut ws).await;
            return end;
        }
        let mut limit = silence_limit(keepalive);
        let mut deadline = Instant::now() + limit;
        let mut next: Option<Opening> = None;
        loop {
            tokio::select! {
                message = ws.next() => {
                    deadline = Instant::now() + limit;
                    let lost = match message {
                        Some(Ok(Message::Text(text))) => {
                            if let Some(url) = self.on_text(&text)
                                && next.is_none()
                            {
                                next = Some(Box::pin(open_welcomed(url)));
                            }
                            None
                        }
                        Some(Ok(Message::Close(frame))) => Some(close_text(close_code(frame.as_ref()))),
                        // Pings are answered by tungstenite itself.
                        Some(Ok(_)) => None,
                        Some(Err(e)) => Some(format!("the connection failed: {e}")),
                        None => Some("the connection closed".into()),
                    };
                    if let Some(why) = lost {
                        // Closed while moving to the reconnect URL (Twitch closes the old
                        // connection once the grace time is over): the new one takes over.
                        let Some(opening) = next.take() else {
                            return End::Lost(why);
                        };
                        match opening.await {
                            Ok((new, id, timeout)) => {
                                ws = new;
                                keepalive = timeout;
                                limit = silence_limit(keepalive);
                                deadline = Instant::now() + limit;
                                if let Err(end) = self.subscribe(broadcaster, &id).await {
                                    return end;
                                }
                            }
                            Err(e) => return End::Lost(format!("{why}; the reconnect URL failed: {e}")),
                        }
                    }
                }
                result = opened(&mut next) => {
                    next = None;
                    match result {
                        Ok((new, id, timeout)) => {
                            // The new connection is welcomed: Twitch wants the old one closed.
                            close(&mut ws).await;
                            ws = new;
                            keepalive = timeout;
                            limit = silence_limit(keepalive);
                            deadline = Instant::now() + limit;
                            tracing::info!(meeting_id = %self.args.meeting, actor = "adapter", adapter = "twitch", part = "eventsub", session_id = %id, "moved to Twitch's reconnect URL");
                            // Twitch carries the subscriptions over; renewing them checks
                            // that (409) and recreates any that were lost.
                            if let Err(end) = self.subscribe(broadcaster, &id).await {
                                return end;
                            }
                        }
                        Err(e) => return End::Lost(format!("the reconnect URL failed: {e}")),
                    }
                }
                _ = tokio::time::sleep_until(deadline) => {
                    return End::Lost(format!(
                        "no message for {} ms (keepalive timeout {} s)",
                        limit.as_millis(),
                        keepalive.as_secs()
                    ));
                }
            }
        }
    }

    /// Handles one message; the reconnect URL when Twitch asks to move.
    fn on_text(&mut self, text: &str) -> Option<String> {
        match parse(text) {
            Ok(Incoming::Notification {
                message_id,
                kind,
                event,
            }) => {
                if !message_id.is_empty() && !self.seen.insert(&message_id) {
                    tracing::debug!(meeting_id = %self.args.meeting, adapter = "twitch", message_id, "notification repeated: skipped");
                    return None;
                }
                match alert_of(&kind, &event) {
                    Some(alert) => {
                        self.args.handle.alert(alert);
                    }
                    None => {
                        tracing::debug!(meeting_id = %self.args.meeting, adapter = "twitch", kind, "notification without an alert");
                    }
                }
                None
            }
            Ok(Incoming::Reconnect { url }) => {
                tracing::info!(meeting_id = %self.args.meeting, actor = "adapter", adapter = "twitch", part = "eventsub", "Twitch asked to reconnect");
                Some(url)
            }
            Ok(Incoming::Revocation { kind, status }) => {
                self.log_warn(&format!("Twitch revoked the {kind} subscription"), &status);
                if let Some(topic) = Topic::parse(&kind) {
                    match self.outcomes.iter_mut().find(|(t, _)| *t == topic) {
                        Some((_, outcome)) => *outcome = Outcome::Revoked(status),
                        None => self.outcomes.push((topic, Outcome::Revoked(status))),
                    }
                    self.set_note(note(&self.outcomes));
                }
                None
            }
            Ok(Incoming::Keepalive | Incoming::Welcome { .. }) => None,
            Ok(Incoming::Unknown(kind)) => {
                tracing::debug!(meeting_id = %self.args.meeting, adapter = "twitch", kind, "unknown EventSub message");
                None
            }
            Err(e) => {
                self.log_warn("unreadable EventSub message", &e);
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("../../../tests/fixtures/twitch-eventsub-ws.json");

    /// The recorded (or documented) frame whose name starts with `name`, as Twitch sent it.
    fn frame(name: &str) -> String {
        let all: Vec<Value> = serde_json::from_str(FIXTURE).unwrap();
        let entry = all
            .iter()
            .find(|e| e["name"].as_str().is_some_and(|n| n.starts_with(name)))
            .unwrap_or_else(|| panic!("no fixture {name}"));
        entry["message"].to_string()
    }

    fn notification(name: &str) -> (String, String, Value) {
        match parse(&frame(name)).unwrap() {
            Incoming::Notification {
                message_id,
                kind,
                event,
            } => (message_id, kind, event),
            other => panic!("{name}: {other:?}"),
        }
    }

    #[test]
    fn session_messages_as_recorded() {
        assert_eq!(
            parse(&frame("session_welcome (recorded")).unwrap(),
            Incoming::Welcome {
                session_id: "AgoQYw-xoivNRc-gGlydLD3vABIGY2VsbC1i".into(),
                keepalive: Some(Duration::from_secs(10)),
            }
        );
        assert!(matches!(
            parse(&frame("session_welcome (documented")).unwrap(),
            Incoming::Welcome { .. }
        ));
        assert_eq!(
            parse(&frame("session_keepalive")).unwrap(),
            Incoming::Keepalive
        );
        assert_eq!(
            parse(&frame("session_reconnect (recorded")).unwrap(),
            Incoming::Reconnect {
                url: "wss://cell-b.eventsub.wss.twitch.tv/ws?challenge=cde23fff-2894-432d-93af-561bbb6f08c8&id=AgoQcVTYThJiRFyIqybyp4l47RIGY2VsbC1i".into()
            }
        );
        assert_eq!(
            parse(&frame("revocation")).unwrap(),
            Incoming::Revocation {
                kind: "channel.follow".into(),
                status: "authorization_revoked".into()
            }
        );
        assert!(matches!(
            parse(r#"{"metadata":{"message_id":"x","message_type":"something_new"},"payload":{}}"#),
            Ok(Incoming::Unknown(_))
        ));
        assert!(parse("not json").is_err());
        assert!(parse(r#"{"metadata":{"message_type":"session_welcome"},"payload":{}}"#).is_err());
    }

    #[test]
    fn notifications_become_alerts() {
        let (id, kind, event) = notification("notification channel.follow v2");
        assert_eq!(id, "k1SWN3SGe2BeNYxkD_cjR4maZ99PDRDd6Zx48W9t5qw=");
        let a = alert_of(&kind, &event).unwrap();
        assert_eq!(
            (a.kind, a.platform, a.user.as_str()),
            (
                Some(AlertKind::Follow),
                Some(Platform::Twitch),
                "555gerson555"
            )
        );

        // A gifted sub's recipient: the gift event reports it.
        let (_, kind, event) = notification("notification channel.subscribe");
        assert_eq!(alert_of(&kind, &event), None);
        let mut own = event.clone();
        own["is_gift"] = json!(false);
        let a = alert_of(&kind, &own).unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.months),
            (Some(AlertKind::Sub), "arecaceae_", Some(1))
        );

        let (_, kind, event) = notification("notification channel.subscription.gift");
        let a = alert_of(&kind, &event).unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.amount),
            (Some(AlertKind::Gift), "CloudWalker02", Some(1.0))
        );
        let mut anonymous = event.clone();
        anonymous["is_anonymous"] = json!(true);
        anonymous["user_name"] = Value::Null;
        anonymous["total"] = json!(5);
        let a = alert_of(&kind, &anonymous).unwrap();
        assert_eq!((a.user.as_str(), a.amount), ("Anonymous", Some(5.0)));

        let (_, kind, event) = notification("notification channel.subscription.message");
        let a = alert_of(&kind, &event).unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.months, a.text.as_str()),
            (
                Some(AlertKind::Sub),
                "Cool_User",
                Some(15),
                "Love the stream! FevziGG"
            )
        );

        let (_, kind, event) = notification("notification channel.raid");
        let a = alert_of(&kind, &event).unwrap();
        assert_eq!(
            (a.kind, a.user.as_str(), a.amount),
            (Some(AlertKind::Raid), "ChapORon_", Some(2.0))
        );

        // Chat messages are read over IRC: no alert.
        let (_, kind, event) =
            notification("notification channel.chat.message (recorded; moderator");
        assert_eq!(alert_of(&kind, &event), None);
        // Nameless or malformed events raise nothing.
        assert_eq!(alert_of("channel.follow", &json!({})), None);
        assert_eq!(alert_of("channel.raid", &json!("x")), None);
        assert_eq!(
            alert_of(
                "channel.follow",
                &json!({"user_name": " ", "user_login": "l"})
            )
            .map(|a| a.user),
            Some("l".into())
        );
    }

    #[test]
    fn subscriptions_as_twitch_wants_them() {
        let kinds: Vec<_> = Topic::ALL.iter().map(|t| (t.kind(), t.version())).collect();
        assert_eq!(
            kinds,
            [
                ("channel.follow", "2"),
                ("channel.subscribe", "1"),
                ("channel.subscription.message", "1"),
                ("channel.subscription.gift", "1"),
                ("channel.raid", "1")
            ]
        );
        assert_eq!(
            Topic::Follow.condition("1", "2"),
            json!({"broadcaster_user_id": "1", "moderator_user_id": "2"})
        );
        assert_eq!(
            Topic::Raid.condition("1", "2"),
            json!({"to_broadcaster_user_id": "1"})
        );
        assert_eq!(
            Topic::Gift.condition("1", "2"),
            json!({"broadcaster_user_id": "1"})
        );
    }

    #[test]
    fn closes_backoff_and_keepalive() {
        for (code, text) in [
            (Some(4003), "connection unused"),
            (Some(4000), "internal server error"),
            (Some(4007), "invalid reconnect"),
            (Some(1000), "closed (1000)"),
            (None, "closed the connection"),
        ] {
            assert!(close_text(code).contains(text), "{code:?}");
        }
        let waits: Vec<u64> = (0..9).map(|f| backoff(f).as_secs()).collect();
        assert_eq!(waits, [0, 1, 2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(backoff(u32::MAX), MAX_BACKOFF);
        assert_eq!(
            silence_limit(Duration::from_secs(10)),
            Duration::from_secs(15)
        );
        assert_eq!(
            silence_limit(Duration::from_secs(1)),
            Duration::from_secs(2)
        );
    }

    #[test]
    fn the_note_names_what_works_and_what_to_do() {
        let all: Vec<_> = Topic::ALL.iter().map(|t| (*t, Outcome::Active)).collect();
        assert_eq!(
            note(&all),
            "alerts: follows, subscriptions, resubscriptions, gifted subs and raids"
        );
        let mut some = all.clone();
        for (t, o) in some.iter_mut() {
            if *t != Topic::Raid {
                *o = Outcome::Refused("subscription missing proper authorization".into());
            }
        }
        let text = note(&some);
        assert!(text.starts_with("alerts: raids; Twitch refused follows, subscriptions, resubscriptions and gifted subs (subscription missing proper authorization): connect the Twitch account again"), "{text}");
        some[4].1 = Outcome::Revoked("authorization_revoked".into());
        let text = note(&some);
        assert!(text.starts_with("no Twitch alerts;"), "{text}");
        assert!(
            text.contains("Twitch stopped raids (authorization_revoked)"),
            "{text}"
        );
        some[0].1 = Outcome::Failed("500".into());
        assert!(note(&some).ends_with("follows not subscribed yet (trying again)"));
    }
}
