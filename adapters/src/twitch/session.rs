//! One run of a meeting's Twitch adapter. It returns only with an error (the supervisor
//! restarts it with backoff); within a run, twitch-irc reconnects dropped connections and
//! rejoins by itself, and the run switches credentials when Twitch refuses them.
//!
//! Statuses: `connecting` → `connected` on our own JOIN echo; `reconnecting` on RECONNECT or
//! a failed connection attempt; `auth_required` when Twitch refuses the account's token
//! (login NOTICE, or a refused refresh), after which the run reads on anonymously.
//!
//! With an account, the run also keeps the alerts going ([`super::eventsub`]): started with
//! the account, given its refreshed tokens, restarted when the account changes, stopped when
//! the run reads anonymously. Their note ("alerts: …") ends the `connected` message.

use std::time::Duration;

use librekast_engine::chat::Badges;
use librekast_engine::{ChatMessage, ExtensionContext};
use librekast_storage::{AccountRecord, Platform, PlatformTokens, UserId, now_micros};
use tokio::sync::mpsc;
use tokio::time::Instant;
use twitch_irc::login::StaticLoginCredentials;
use twitch_irc::message::{PrivmsgMessage, ServerMessage};
use twitch_irc::{ClientConfig, TwitchIRCClient};

use super::eventsub::{AlertsArgs, EventSub};
use crate::AdapterError;
use crate::accounts::{fresh_twitch, refresh_at};
use crate::env::AdapterEnv;
use crate::irc_transport::{IrcTransport, connect_failures};
use crate::outbox::{Outbox, Throttle};
use crate::status::{AUTH_REQUIRED, CONNECTED, CONNECTING, ERROR, RECONNECTING, Reporter};

/// Chat lines handed to the meeting at once at most. Under load a batch fills while the
/// previous one is being stored, so the cost per line falls as the rate rises (8,192:
/// +14 % messages/s over 2,048 in the ingest benchmark; a full batch takes about 0.2 s from
/// read to stored, and at low rates batches stay small).
pub const MAX_BATCH: usize = 8_192;
/// Without our own JOIN echo this long after the client started, the channel is most
/// likely misspelled, suspended or banned: the status says so (the client keeps trying).
pub const JOIN_TIMEOUT: Duration = Duration::from_secs(30);
/// How often a connected account's token is validated (Twitch requires hourly checks).
pub const VALIDATE_EVERY: Duration = Duration::from_secs(3_600);

pub struct SessionArgs {
    pub channel: String,
    pub delay_secs: u32,
    pub account_user: Option<UserId>,
    pub env: std::sync::Arc<AdapterEnv>,
    pub ctx: ExtensionContext,
}

type Client = TwitchIRCClient<IrcTransport, StaticLoginCredentials>;

/// Why the IRC client must be replaced.
enum Switch {
    /// Twitch refused the account: read on anonymously.
    Anonymous,
    /// The token was refreshed: log in again with the new one (the old client would fail
    /// at its next reconnect).
    Renewed,
    /// The stored account changed (connected, replaced or removed from another process).
    AccountChanged,
}

pub async fn run(args: SessionArgs) -> Result<(), AdapterError> {
    let channel = args.channel.clone();
    let mut reporter = Reporter::new(
        args.ctx.handle.clone(),
        args.ctx.meeting,
        Platform::Twitch,
        format!("#{channel}"),
    );
    reporter.set(CONNECTING, format!("joining #{channel}"));
    let (out_tx, mut out_rx) = mpsc::channel(librekast_engine::sources::OUTBOX);
    args.ctx.handle.register_outbox(Platform::Twitch, out_tx);

    // The tokens last read from storage (in use, or refused by Twitch): a change to them
    // means someone connected, replaced or removed the account.
    let (mut account, mut known) = load_account(&args, &mut reporter).await;
    let mut outbox = Outbox::default();
    // The alerts of the account in use; a new account (not a refreshed token) restarts them.
    let mut alerts: Option<EventSub> = None;
    let mut restart_alerts = true;
    let mut said_anonymous = false;
    loop {
        let anonymous = account.is_none();
        match &account {
            Some(a) => match &alerts {
                Some(running) if !restart_alerts && running.user_id() == a.platform_user_id => {
                    running.set_token(&a.tokens.access_token);
                }
                _ => {
                    alerts = Some(EventSub::spawn(AlertsArgs {
                        handle: args.ctx.handle.clone(),
                        meeting: args.ctx.meeting,
                        channel: channel.clone(),
                        login: a.login.clone(),
                        user_id: a.platform_user_id.clone(),
                        token: a.tokens.access_token.clone(),
                        config: args.env.config.clone(),
                    }));
                }
            },
            None => {
                // EventSub needs a user token: no alerts for anonymous readers.
                alerts = None;
                if !said_anonymous {
                    said_anonymous = true;
                    tracing::info!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", "no Twitch alerts: reading anonymously (EventSub needs a connected account)");
                }
            }
        }
        restart_alerts = false;
        let (login, token) = match &account {
            Some(a) => (a.login.clone(), Some(a.tokens.access_token.clone())),
            None => (
                format!("justinfan{}", rand::random_range(10_000..99_999)),
                None,
            ),
        };
        let mut config =
            ClientConfig::new_simple(StaticLoginCredentials::new(login.clone(), token));
        config.connect_timeout = Duration::from_secs(10);
        config.new_connection_every = args.env.config.twitch_reconnect_every;
        let (mut incoming, client) = Client::new(config);
        client
            .join(channel.clone())
            .map_err(|e| AdapterError::NotConfigured(format!("Twitch channel {channel:?}: {e}")))?;
        args.ctx.handle.set_can_post(Platform::Twitch, !anonymous);
        let mut failures = connect_failures();
        let mut throttle = Throttle::twitch_user();
        let mut joins = 0u64;
        let mut validate_at = Instant::now() + VALIDATE_EVERY;
        let join_deadline = Instant::now() + JOIN_TIMEOUT;
        let mut recheck = tokio::time::interval_at(
            Instant::now() + args.env.config.account_recheck,
            args.env.config.account_recheck,
        );
        let refresh_due = account.as_ref().and_then(refresh_at).map(|at| {
            Instant::now() + Duration::from_micros(u64::try_from(at - now_micros()).unwrap_or(0))
        });
        // Read anonymously because Twitch refused the account: the status stays
        // `auth_required` (staff must act) while the chat is read.
        let auth_problem = (anonymous && reporter.status() == Some(AUTH_REQUIRED))
            .then(|| reporter.message().unwrap_or_default().to_string());
        let connected = if anonymous {
            format!(
                "reading #{channel} anonymously (connect a Twitch account to post and to get alerts)"
            )
        } else {
            format!("reading and posting in #{channel} as {login}")
        };

        let switch: Switch = loop {
            let next_post = if !anonymous && !outbox.is_empty() {
                Some(throttle.next_slot(Instant::now()))
            } else {
                None
            };
            tokio::select! {
                message = incoming.recv() => {
                    let Some(message) = message else {
                        return Err(AdapterError::Closed);
                    };
                    let mut lines = Vec::new();
                    let mut next = Some(message);
                    // Drain what already arrived: one batch per round trip to the meeting.
                    while let Some(message) = next.take() {
                        match message {
                            // Our own account's lines never count.
                            ServerMessage::Privmsg(m) if !m.sender.login.eq_ignore_ascii_case(&login) => {
                                lines.push(chat_line(m, args.delay_secs));
                            }
                            ServerMessage::Join(j) if j.user_login.eq_ignore_ascii_case(&login) => {
                                joins += 1;
                                if joins > 1 {
                                    tracing::info!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", rejoins = joins - 1, "reconnected");
                                }
                                match &auth_problem {
                                    Some(problem) => reporter.set(AUTH_REQUIRED, problem.clone()),
                                    None => reporter.set(CONNECTED, with_note(&connected, alerts.as_ref())),
                                }
                            }
                            ServerMessage::Notice(n) if is_login_failure(&n.message_text) => {
                                reporter.set(AUTH_REQUIRED, format!("Twitch refused the account's login ({}): reading anonymously; connect the account again", n.message_text));
                                if !anonymous {
                                    break;
                                }
                            }
                            // The channel refuses us (suspended, banned, no such channel).
                            ServerMessage::Notice(n) if n.message_id.as_deref().is_some_and(is_channel_refusal) => {
                                reporter.set(ERROR, format!("Twitch refuses #{channel}: {} ({})", n.message_text, n.message_id.as_deref().unwrap_or("")));
                            }
                            ServerMessage::Reconnect(_) => {
                                reporter.set(RECONNECTING, "Twitch asked to reconnect");
                            }
                            ServerMessage::UserState(u) => {
                                let privileged = u.badges.iter().any(|b| b.name == "moderator" || b.name == "broadcaster");
                                throttle.set_limit(if privileged { 100 } else { 20 });
                            }
                            _ => {}
                        }
                        if lines.len() < MAX_BATCH {
                            next = incoming.try_recv().ok();
                        }
                    }
                    if reporter.status() == Some(AUTH_REQUIRED) && !anonymous {
                        break Switch::Anonymous;
                    }
                    if !lines.is_empty() {
                        // Stored before the next batch is read: the meeting sets the pace.
                        args.ctx.handle.chat(lines).await.map_err(|e| {
                            AdapterError::Platform(format!("the meeting did not take chat lines: {e}"))
                        })?;
                    }
                }
                _ = tokio::time::sleep_until(join_deadline), if joins == 0 && reporter.status() != Some(ERROR) => {
                    reporter.set(ERROR, format!("could not join #{channel} within {} s: check the channel name (as in twitch.tv/NAME); still trying", JOIN_TIMEOUT.as_secs()));
                }
                Ok(error) = failures.recv() => {
                    reporter.set(RECONNECTING, error.to_string());
                }
                Some(line) = out_rx.recv() => {
                    if anonymous {
                        tracing::debug!(meeting_id = %args.ctx.meeting, adapter = "twitch", "line not posted: no account connected");
                    } else if outbox.push(line) {
                        args.ctx.handle.count_dropped(1);
                    }
                }
                _ = sleep_until(next_post), if next_post.is_some() => {
                    if let Some(line) = outbox.pop() {
                        throttle.record(Instant::now());
                        if let Err(e) = client.privmsg(channel.clone(), line).await {
                            tracing::warn!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", error = %e, "could not post");
                        }
                    }
                }
                Ok(()) = note_changed(&mut alerts) => {
                    if reporter.status() == Some(CONNECTED) {
                        reporter.set(CONNECTED, with_note(&connected, alerts.as_ref()));
                    }
                }
                _ = recheck.tick(), if args.account_user.is_some() => {
                    if account_changed(&args, known.as_ref()).await {
                        break Switch::AccountChanged;
                    }
                }
                _ = sleep_until(refresh_due.map(|r| r.min(validate_at)).or(Some(validate_at))), if !anonymous => {
                    validate_at = Instant::now() + VALIDATE_EVERY;
                    if let Some(mut record) = account.clone() {
                        match fresh_twitch(&args.env.store, &args.env.twitch, &mut record).await {
                            Ok(()) => {
                                let renewed = record.tokens != account.as_ref().map(|a| a.tokens.clone()).unwrap_or(record.tokens.clone());
                                known = Some(record.tokens.clone());
                                account = Some(record);
                                if renewed {
                                    break Switch::Renewed;
                                }
                            }
                            Err(AdapterError::AuthRefused(why)) => {
                                reporter.set(AUTH_REQUIRED, format!("{why}; reading anonymously"));
                                break Switch::Anonymous;
                            }
                            Err(e) => {
                                tracing::warn!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", error = %e, "could not check the token; trying again later");
                            }
                        }
                    }
                }
            }
        };
        match switch {
            Switch::Anonymous => account = None,
            Switch::Renewed => reporter.set(
                CONNECTING,
                format!("token refreshed; joining #{channel} again"),
            ),
            Switch::AccountChanged => {
                restart_alerts = true;
                reporter.set(
                    CONNECTING,
                    format!("account changed; joining #{channel} again"),
                );
                (account, known) = load_account(&args, &mut reporter).await;
            }
        }
        if outbox.dropped > 0 {
            tracing::warn!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", dropped = outbox.dropped, "outgoing lines dropped (queue full)");
        }
    }
}

/// Whether the stored account differs from the one in use (another process connected,
/// replaced or removed it). A read error changes nothing.
async fn account_changed(args: &SessionArgs, known: Option<&PlatformTokens>) -> bool {
    let Some(user) = args.account_user else {
        return false;
    };
    match args.env.store.account(user, Platform::Twitch).await {
        Ok(stored) => stored.map(|a| a.tokens).as_ref() != known,
        Err(_) => false,
    }
}

/// The `connected` message with the alerts' note.
fn with_note(connected: &str, alerts: Option<&EventSub>) -> String {
    match alerts.map(EventSub::current_note).filter(|n| !n.is_empty()) {
        Some(note) => format!("{connected}; {note}"),
        None => connected.to_string(),
    }
}

/// The alerts' note changed (never, without alerts).
async fn note_changed(alerts: &mut Option<EventSub>) -> Result<(), ()> {
    match alerts {
        Some(running) => running.note().changed().await.map_err(|_| ()),
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// NOTICE msg-ids that mean the channel cannot be read or written as configured.
fn is_channel_refusal(id: &str) -> bool {
    matches!(
        id,
        "msg_channel_suspended" | "msg_banned" | "msg_channel_blocked" | "tos_ban" | "invalid_user"
    )
}

fn is_login_failure(text: &str) -> bool {
    text.contains("Login authentication failed") || text.contains("Improperly formatted auth")
}

fn chat_line(m: PrivmsgMessage, delay_secs: u32) -> ChatMessage {
    let has = |name: &str| m.badges.iter().any(|b| b.name == name);
    let badges = Badges {
        broadcaster: has("broadcaster"),
        moderator: has("moderator"),
        vip: has("vip") || m.source.tags.0.contains_key("vip"),
        subscriber: has("subscriber") || has("founder"),
        member: false,
    };
    ChatMessage {
        platform: Platform::Twitch,
        id: Some(m.message_id),
        user_id: m.sender.id,
        user_name: m.sender.name,
        text: m.message_text,
        at: now_micros() - i64::from(delay_secs) * 1_000_000,
        badges,
    }
}

/// The account to read and post with, fresh; `None` to read anonymously (no account, or
/// Twitch refused it: then the status says so). Also the stored tokens as read.
async fn load_account(
    args: &SessionArgs,
    reporter: &mut Reporter,
) -> (Option<AccountRecord>, Option<PlatformTokens>) {
    let Some(user) = args.account_user else {
        return (None, None);
    };
    let env = &args.env;
    let mut record = match env.store.account(user, Platform::Twitch).await {
        Ok(Some(r)) => r,
        Ok(None) => return (None, None),
        Err(e) => {
            reporter.set(
                AUTH_REQUIRED,
                format!("cannot read the connected Twitch account ({e}); reading anonymously"),
            );
            return (None, None);
        }
    };
    let read = record.tokens.clone();
    match fresh_twitch(&env.store, &env.twitch, &mut record).await {
        Ok(()) => {
            let tokens = record.tokens.clone();
            (Some(record), Some(tokens))
        }
        Err(AdapterError::AuthRefused(why)) => {
            reporter.set(AUTH_REQUIRED, format!("{why}; reading anonymously"));
            (None, Some(read))
        }
        Err(e) => {
            // Twitch's auth service is down, not the token: try with it anyway.
            tracing::warn!(meeting_id = %args.ctx.meeting, actor = "adapter", adapter = "twitch", error = %e, "could not validate the token; using it anyway");
            (Some(record), Some(read))
        }
    }
}
