//! One run of a meeting's YouTube adapter. It handles the platform's ups and downs itself
//! (no account, no broadcast, quota spent, chat ended, streams that close, expired tokens)
//! and returns only when the meeting stops taking chat lines, so the supervisor's restart
//! budget is kept for real failures.
//!
//! Statuses: `auth_required` without a usable account (YouTube has no anonymous reading);
//! `connecting` while it looks for the live chat; `connected` once the first page is read;
//! `offline` without a live broadcast or after the chat ended (it looks again every minute);
//! `quota_exhausted` when Google says so (it waits for the reset at midnight Pacific);
//! `reconnecting` after a network failure; `error` for refusals it cannot fix.
//!
//! Reading: `streamList` first; where it is unavailable (404, 501) `list`, every
//! `pollingIntervalMillis`. Each page's lines are handed to the meeting, and only once the
//! meeting committed them is the page token stored (`Store::set_source_cursor`, as
//! `"{liveChatId} {pageToken}"`): a restart resumes there, and a page seen twice (YouTube
//! sometimes repeats one) is harmless because message ids are remembered. On a first read
//! without a token, YouTube returns recent history; messages published before this session
//! started listening are not counted.
//!
//! Alerts (new members, milestones, gifted memberships, Super Chats and Super Stickers,
//! [`super::alerts`]) come in the same pages: raised once the page's chat lines are taken,
//! once per message id, and not for history published before the session started.

use std::future::Future;
use std::time::Duration;

use google_youtube3::api::LiveChatMessage;
use librekast_engine::chat::Badges;
use librekast_engine::{ChatMessage, ExtensionContext};
use librekast_storage::{AccountRecord, Micros, Platform, UserId, now_micros};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::accounts::{fresh_youtube, may_post, project_of};
use super::alerts::alert_of;
use super::api::{ApiError, ChatStream, LiveChat, Page};
use super::quota::{
    COST_BROADCASTS, COST_INSERT, COST_LIST, COST_STREAM, COST_VIDEOS, QuotaMeter, hhmm_utc,
    next_reset, now_secs,
};
use crate::AdapterError;
use crate::accounts::refresh_at;
use crate::env::AdapterEnv;
use crate::outbox::{Outbox, Throttle};
use crate::recent::Seen;
use crate::status::{
    AUTH_REQUIRED, CONNECTED, CONNECTING, ERROR, OFFLINE, QUOTA_EXHAUSTED, RECONNECTING, Reporter,
};

/// Chat lines handed to the meeting at once at most.
pub const MAX_BATCH: usize = 2_048;
/// Backlog published this long before the session started still counts (clock skew
/// between Google and us).
pub const BACKLOG_SLACK: Duration = Duration::from_secs(5);
/// Posts at most this many per [`POST_WINDOW`]. YouTube documents no chat rate limit for
/// the API (each post costs 20 units); spacing keeps a burst of bot lines from reading as
/// spam.
pub const POSTS_PER_WINDOW: usize = 5;
pub const POST_WINDOW: Duration = Duration::from_secs(10);
/// The longest wait between retries after failures.
pub const MAX_BACKOFF: Duration = Duration::from_secs(60);
/// Alert message ids remembered: YouTube repeats a page at most, so a small ring does.
pub const ALERT_IDS: usize = 1_000;

pub struct SessionArgs {
    pub video_id: Option<String>,
    pub delay_secs: u32,
    pub account_user: Option<UserId>,
    pub env: std::sync::Arc<AdapterEnv>,
    pub ctx: ExtensionContext,
}

/// Why reading stopped, and what to do before trying again.
enum Stop {
    /// No usable account: wait for one.
    AuthRequired(String),
    /// No live chat (none yet, or it ended): look again later.
    Offline(String),
    /// Google says the quota is spent: wait for the reset.
    Quota,
    /// A refusal we cannot fix by retrying at once.
    Refused(String),
    /// A failure worth retrying soon (network, server error).
    Retry(String),
    /// The meeting no longer takes chat lines: the run ends.
    Fatal(AdapterError),
}

/// What the reading loop waits for.
enum Reader {
    Stream(Box<ChatStream>),
    /// Open the stream, or poll, at this moment.
    Due(Instant),
}

pub async fn run(args: SessionArgs) -> Result<(), AdapterError> {
    let (out_tx, out_rx) = mpsc::channel(librekast_engine::sources::OUTBOX);
    args.ctx.handle.register_outbox(Platform::Youtube, out_tx);
    let target = args
        .video_id
        .clone()
        .unwrap_or_else(|| "active broadcast".into());
    let reporter = Reporter::new(
        args.ctx.handle.clone(),
        args.ctx.meeting,
        Platform::Youtube,
        target,
    );
    let mut session = Session {
        since: now_micros() - micros(BACKLOG_SLACK),
        args,
        reporter,
        out_rx,
        out_open: true,
        outbox: Outbox::default(),
        throttle: Throttle::new(POSTS_PER_WINDOW, POST_WINDOW),
        refused_at: None,
        auth_why: None,
        failures: 0,
        alert_ids: Seen::new(ALERT_IDS),
    };
    session.run().await
}

fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn until(at: Micros) -> Duration {
    Duration::from_micros(u64::try_from(at - now_micros()).unwrap_or(0))
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

struct Session {
    args: SessionArgs,
    reporter: Reporter,
    out_rx: mpsc::Receiver<String>,
    out_open: bool,
    outbox: Outbox,
    throttle: Throttle,
    /// Backlog published before this is not counted.
    since: Micros,
    /// `updated_at` of the stored account Google last refused: not tried again until it
    /// changes (connected again).
    refused_at: Option<Micros>,
    /// Why the last refresh was refused.
    auth_why: Option<String>,
    /// Consecutive failures, for the backoff.
    failures: u32,
    /// Ids of the messages that raised an alert lately (a repeated page raises none).
    alert_ids: Seen,
}

impl Session {
    async fn run(&mut self) -> Result<(), AdapterError> {
        let timing = self.args.env.youtube.timing;
        loop {
            let Some(mut account) = self.load_account().await else {
                self.idle(timing.account_poll).await;
                continue;
            };
            let project = project_of(&self.args.env, &account);
            let mut meter = QuotaMeter::load(
                self.args.env.store.clone(),
                self.args.ctx.meeting,
                project,
                timing.daily_limit,
            )
            .await;
            self.reporter.set_quota(meter.quota());
            let stop = self.with_account(&mut account, &mut meter).await;
            let wait = match stop {
                Stop::Fatal(e) => return Err(e),
                Stop::AuthRequired(why) => {
                    self.refused_at = Some(account.updated_at);
                    self.reporter.set(AUTH_REQUIRED, why);
                    timing.account_poll
                }
                Stop::Offline(why) => {
                    self.failures = 0;
                    self.reporter.set(
                        OFFLINE,
                        format!(
                            "{why}; looking again in {} s",
                            timing.offline_retry.as_secs()
                        ),
                    );
                    timing.offline_retry
                }
                Stop::Quota => {
                    let now = now_secs();
                    let reset = next_reset(now);
                    self.reporter.set(
                        QUOTA_EXHAUSTED,
                        format!(
                            "quota exhausted; retrying after the reset at midnight Pacific ({} UTC)",
                            hhmm_utc(reset)
                        ),
                    );
                    // A minute past the reset: Google's clock and ours may differ a little.
                    timing.quota_retry.unwrap_or(Duration::from_secs(
                        u64::try_from(reset - now + 60).unwrap_or(60),
                    ))
                }
                Stop::Refused(why) => {
                    self.reporter.set(ERROR, why);
                    // Refusals seldom lift by themselves; each try costs units.
                    timing.offline_retry.saturating_mul(5)
                }
                Stop::Retry(why) => {
                    self.reporter.set(RECONNECTING, why);
                    self.backoff()
                }
            };
            self.idle(wait).await;
        }
    }

    fn log_warn(&self, what: &str, error: &dyn std::fmt::Display) {
        tracing::warn!(meeting_id = %self.args.ctx.meeting, actor = "adapter", adapter = "youtube", error = %error, "{what}");
    }

    /// The next wait after a failure: the floor, doubling, at most a minute.
    fn backoff(&mut self) -> Duration {
        let floor = self.args.env.youtube.timing.reconnect_floor;
        let wait = floor
            .saturating_mul(1 << self.failures.min(10))
            .min(MAX_BACKOFF.max(floor));
        self.failures = self.failures.saturating_add(1);
        wait
    }

    /// Waits, dropping the lines the meeting posts meanwhile (nobody reads them).
    async fn idle(&mut self, wait: Duration) {
        let deadline = Instant::now() + wait;
        loop {
            tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return,
                line = self.out_rx.recv(), if self.out_open => match line {
                    Some(_) => tracing::debug!(meeting_id = %self.args.ctx.meeting, adapter = "youtube", "line not posted: not connected"),
                    None => self.out_open = false,
                },
            }
        }
    }

    /// The account to read with, unless there is none or Google refused it and it was not
    /// connected again since (then the status says so).
    async fn load_account(&mut self) -> Option<AccountRecord> {
        let connect = "connect a YouTube account (dashboard, or `librekast connect youtube`)";
        let Some(user) = self.args.account_user else {
            self.reporter.set(
                AUTH_REQUIRED,
                format!("{connect}: this meeting has no owner whose account could read the chat"),
            );
            return None;
        };
        match self.args.env.store.account(user, Platform::Youtube).await {
            Ok(Some(record)) if Some(record.updated_at) == self.refused_at => None,
            Ok(Some(record)) => Some(record),
            Ok(None) => {
                self.reporter.set(AUTH_REQUIRED, connect);
                None
            }
            Err(e) => {
                self.reporter.set(
                    ERROR,
                    format!("cannot read the connected YouTube account: {e}"),
                );
                None
            }
        }
    }

    /// Reads (and posts) with one account until something stops it.
    async fn with_account(&mut self, account: &mut AccountRecord, meter: &mut QuotaMeter) -> Stop {
        let looking = match &self.args.video_id {
            Some(v) => format!("looking for the live chat of video {v}"),
            None => format!("looking for the live broadcast of {}", account.login),
        };
        self.reporter.set(CONNECTING, looking);
        if let Err(stop) = self.refresh_if_due(account).await {
            return stop;
        }
        let chat = match self.find_chat(account, meter).await {
            Ok(Some(chat)) => chat,
            Ok(None) => {
                return Stop::Offline(match &self.args.video_id {
                    Some(v) => format!("video {v} is not live"),
                    None => format!("{} has no live broadcast", account.login),
                });
            }
            Err(stop) => return stop,
        };
        self.reporter.set_target(chat.video_id.clone());
        self.read_chat(account, meter, &chat).await
    }

    async fn refresh_if_due(&mut self, account: &mut AccountRecord) -> Result<(), Stop> {
        match fresh_youtube(&self.args.env, account, false).await {
            Ok(_) => Ok(()),
            Err(e) => Err(self.refresh_failed(e)),
        }
    }

    fn refresh_failed(&mut self, e: AdapterError) -> Stop {
        match e {
            AdapterError::AuthRefused(why) => Stop::AuthRequired(why),
            AdapterError::NotConfigured(why) => Stop::Refused(why),
            e => Stop::Retry(format!("cannot refresh the YouTube token: {e}")),
        }
    }

    /// One Data API call, counted on the meter; after a 401 the token is refreshed once and
    /// the call made again.
    async fn api<T, F, Fut>(
        &mut self,
        account: &mut AccountRecord,
        meter: &mut QuotaMeter,
        cost: i64,
        call: F,
    ) -> Result<T, ApiError>
    where
        F: Fn(String) -> Fut,
        Fut: Future<Output = Result<T, ApiError>>,
    {
        meter.spend(cost).await;
        self.reporter.set_quota(meter.quota());
        match call(account.tokens.access_token.clone()).await {
            Err(ApiError::Unauthorized) => {
                if let Err(e) = fresh_youtube(&self.args.env, account, true).await {
                    self.log_warn(
                        "YouTube refused the token and it could not be refreshed",
                        &e,
                    );
                    return Err(match e {
                        // Only Google's refusal needs the account connected again.
                        AdapterError::AuthRefused(why) => {
                            self.auth_why = Some(why);
                            ApiError::Unauthorized
                        }
                        AdapterError::NotConfigured(why) => ApiError::Forbidden(why),
                        e => ApiError::Other(format!(
                            "YouTube refused the token and refreshing it failed: {e}"
                        )),
                    });
                }
                meter.spend(cost).await;
                self.reporter.set_quota(meter.quota());
                call(account.tokens.access_token.clone()).await
            }
            other => other,
        }
    }

    /// What a failed call means for the session.
    fn stop(&mut self, e: ApiError) -> Stop {
        match e {
            ApiError::Quota => Stop::Quota,
            ApiError::ChatEnded => Stop::Offline("the live chat ended".into()),
            ApiError::ChatNotFound => Stop::Offline("the live chat was not found".into()),
            ApiError::Unauthorized => {
                Stop::AuthRequired(self.auth_why.take().unwrap_or_else(|| {
                    "YouTube refused the account's token: connect the account again".into()
                }))
            }
            ApiError::Forbidden(why) => Stop::Refused(format!("YouTube refused: {why}")),
            e @ (ApiError::Unavailable(_)
            | ApiError::InvalidPageToken
            | ApiError::Unreadable(_)
            | ApiError::Other(_)) => Stop::Retry(e.to_string()),
        }
    }

    async fn find_chat(
        &mut self,
        account: &mut AccountRecord,
        meter: &mut QuotaMeter,
    ) -> Result<Option<LiveChat>, Stop> {
        let env = self.args.env.clone();
        let yt = &env.youtube.api;
        let found = match self.args.video_id.clone() {
            Some(video) => {
                let video = video.as_str();
                self.api(
                    account,
                    meter,
                    COST_VIDEOS,
                    move |token: String| async move { yt.video_chat(&token, video).await },
                )
                .await
            }
            None => {
                self.api(
                    account,
                    meter,
                    COST_BROADCASTS,
                    move |token: String| async move { yt.active_broadcast(&token).await },
                )
                .await
            }
        };
        found.map_err(|e| self.stop(e))
    }

    /// Where this meeting's reading of `chat` stopped, if it was this chat.
    async fn load_cursor(&self, chat: &str) -> Option<String> {
        match self
            .args
            .env
            .store
            .source_cursor(self.args.ctx.meeting, Platform::Youtube)
            .await
        {
            Ok(Some(stored)) => {
                let (stored_chat, token) = stored.split_once(' ')?;
                (stored_chat == chat && !token.is_empty()).then(|| token.to_string())
            }
            Ok(None) => None,
            Err(e) => {
                self.log_warn("cannot read where the chat was left; starting afresh", &e);
                None
            }
        }
    }

    async fn save_cursor(&self, chat: &str, token: Option<&str>) {
        let value = token.map_or_else(String::new, |t| format!("{chat} {t}"));
        if let Err(e) = self
            .args
            .env
            .store
            .set_source_cursor(self.args.ctx.meeting, Platform::Youtube, &value)
            .await
        {
            self.log_warn("cannot store where the chat was read to", &e);
        }
    }

    /// Hands a page's lines to the meeting, then stores its token. `Ok(true)` when the
    /// page says the chat is offline.
    async fn take_page(
        &mut self,
        account: &AccountRecord,
        chat: &LiveChat,
        page: Page,
        cursor: &mut Option<String>,
    ) -> Result<bool, Stop> {
        // History fetched without a token goes back before we listened.
        let since = cursor.is_none().then_some(self.since);
        let lines: Vec<ChatMessage> = page
            .items
            .iter()
            .filter_map(|m| chat_line(m, account, self.args.delay_secs, since))
            .collect();
        for batch in lines.chunks(MAX_BATCH) {
            // Stored before the page token moves: the meeting sets the pace.
            self.args
                .ctx
                .handle
                .chat(batch.to_vec())
                .await
                .map_err(|e| {
                    Stop::Fatal(AdapterError::Platform(format!(
                        "the meeting did not take chat lines: {e}"
                    )))
                })?;
        }
        self.raise_alerts(&page.items, since);
        if page.next_page_token.is_some() && page.next_page_token != *cursor {
            *cursor = page.next_page_token;
            self.save_cursor(&chat.chat_id, cursor.as_deref()).await;
        }
        Ok(page.offline)
    }

    /// The page's alerts, each once; none for history published before `since`.
    fn raise_alerts(&mut self, items: &[LiveChatMessage], since: Option<Micros>) {
        for m in items {
            let published = m.snippet.as_ref().and_then(|s| s.published_at);
            if let (Some(since), Some(published)) = (since, published)
                && published.timestamp_micros() < since
            {
                continue;
            }
            let Some(alert) = alert_of(m) else {
                continue;
            };
            if let Some(id) = m.id.as_deref()
                && !self.alert_ids.insert(id)
            {
                continue;
            }
            self.args.ctx.handle.alert(alert);
        }
    }

    /// What a failed read (opening the stream, or a list call) leads to: read again after
    /// a backoff (a page token YouTube no longer knows is dropped first), or stop.
    async fn after_read_error(
        &mut self,
        e: ApiError,
        chat: &LiveChat,
        cursor: &mut Option<String>,
    ) -> Result<Reader, Stop> {
        match e {
            ApiError::InvalidPageToken => {
                *cursor = None;
                self.save_cursor(&chat.chat_id, None).await;
                Ok(Reader::Due(Instant::now() + self.backoff()))
            }
            ApiError::Other(why) => {
                self.reporter.set(RECONNECTING, why);
                Ok(Reader::Due(Instant::now() + self.backoff()))
            }
            ApiError::ChatEnded => Err(self.chat_ended(chat).await),
            e => Err(self.stop(e)),
        }
    }

    fn connected_text(
        &self,
        account: &AccountRecord,
        chat: &LiveChat,
        streaming: bool,
        posting_paused: bool,
    ) -> String {
        let how = if streaming {
            ""
        } else {
            " (polling: streaming unavailable)"
        };
        if posting_paused {
            format!(
                "reading the live chat of {} as {}{how}; posting paused until the quota resets (the rest is kept for reading)",
                chat.video_id, account.login
            )
        } else if may_post(account) {
            format!(
                "reading and posting in the live chat of {} as {}{how}",
                chat.video_id, account.login
            )
        } else {
            format!(
                "reading the live chat of {} as {}{how}; read-only account: cannot post (connect it from the dashboard to post)",
                chat.video_id, account.login
            )
        }
    }

    async fn read_chat(
        &mut self,
        account: &mut AccountRecord,
        meter: &mut QuotaMeter,
        chat: &LiveChat,
    ) -> Stop {
        let env = self.args.env.clone();
        let yt = &env.youtube.api;
        let timing = env.youtube.timing;
        let mut cursor = self.load_cursor(&chat.chat_id).await;
        let mut streaming = true;
        let mut reader = Reader::Due(Instant::now());
        // Whether the open stream brought anything (else its close counts as a failure).
        let mut stream_news = false;
        let mut refresh_retry: Option<Instant> = None;
        let can_post = may_post(account);
        self.args
            .ctx
            .handle
            .set_can_post(Platform::Youtube, can_post);
        let mut posting_paused = false;
        loop {
            let next_post = (can_post && !self.outbox.is_empty())
                .then(|| self.throttle.next_slot(Instant::now()));
            let refresh_due =
                refresh_retry.or_else(|| refresh_at(account).map(|at| Instant::now() + until(at)));
            enum Event {
                Page(Result<Option<Page>, ApiError>),
                Due,
                Line(Option<String>),
                Post,
                Refresh,
            }
            let event = tokio::select! {
                page = async {
                    match &mut reader {
                        Reader::Stream(stream) => Event::Page(stream.next().await),
                        Reader::Due(at) => {
                            tokio::time::sleep_until(*at).await;
                            Event::Due
                        }
                    }
                } => page,
                line = self.out_rx.recv(), if self.out_open => Event::Line(line),
                _ = sleep_until(next_post), if next_post.is_some() => Event::Post,
                _ = sleep_until(refresh_due), if refresh_due.is_some() => Event::Refresh,
            };
            // The calls below are made here, never raced: a call cut off by another event
            // would have been paid for and lost.
            match event {
                Event::Due if streaming => {
                    let token = cursor.clone();
                    let opened = self
                        .api(account, meter, COST_STREAM, |t: String| {
                            let token = token.clone();
                            async move { yt.stream(&t, &chat.chat_id, token.as_deref()).await }
                        })
                        .await;
                    match opened {
                        Ok(stream) => {
                            stream_news = false;
                            reader = Reader::Stream(Box::new(stream));
                        }
                        Err(ApiError::Unavailable(status)) => {
                            tracing::info!(meeting_id = %self.args.ctx.meeting, actor = "adapter", adapter = "youtube", status, "streamList unavailable; polling list");
                            streaming = false;
                            reader = Reader::Due(Instant::now());
                        }
                        Err(e) => match self.after_read_error(e, chat, &mut cursor).await {
                            Ok(next) => reader = next,
                            Err(stop) => return stop,
                        },
                    }
                }
                Event::Due => {
                    let token = cursor.clone();
                    let listed = self
                        .api(account, meter, COST_LIST, |t: String| {
                            let token = token.clone();
                            async move { yt.list(&t, &chat.chat_id, token.as_deref()).await }
                        })
                        .await;
                    match listed {
                        Ok(page) => {
                            self.failures = 0;
                            let wait = page.polling.unwrap_or_default().max(timing.poll_floor);
                            match self.take_page(account, chat, page, &mut cursor).await {
                                Ok(false) => {}
                                Ok(true) => return self.chat_ended(chat).await,
                                Err(stop) => return stop,
                            }
                            self.reporter.set(
                                CONNECTED,
                                self.connected_text(account, chat, false, posting_paused),
                            );
                            reader = Reader::Due(Instant::now() + wait);
                        }
                        Err(e) => match self.after_read_error(e, chat, &mut cursor).await {
                            Ok(next) => reader = next,
                            Err(stop) => return stop,
                        },
                    }
                }
                Event::Page(Ok(Some(page))) => {
                    self.failures = 0;
                    stream_news = true;
                    match self.take_page(account, chat, page, &mut cursor).await {
                        Ok(false) => {}
                        Ok(true) => return self.chat_ended(chat).await,
                        Err(stop) => return stop,
                    }
                    self.reporter.set(
                        CONNECTED,
                        self.connected_text(account, chat, true, posting_paused),
                    );
                }
                Event::Page(Ok(None)) => {
                    // The server closed the stream: reopen where it stopped; at once if it
                    // brought news, later and later while streams close empty.
                    let wait = if stream_news {
                        self.failures = 0;
                        Duration::ZERO
                    } else {
                        self.backoff()
                    };
                    reader = Reader::Due(Instant::now() + wait);
                }
                Event::Page(Err(ApiError::ChatEnded)) => return self.chat_ended(chat).await,
                Event::Page(Err(e @ ApiError::Unreadable(_))) => {
                    // Polling costs more, but reads what we understand.
                    self.log_warn("cannot read the chat stream; polling list instead", &e);
                    streaming = false;
                    reader = Reader::Due(Instant::now());
                }
                Event::Page(Err(e)) => {
                    self.reporter.set(RECONNECTING, e.to_string());
                    reader = Reader::Due(Instant::now() + self.backoff());
                }
                Event::Line(None) => self.out_open = false,
                Event::Line(Some(line)) => {
                    if can_post {
                        if self.outbox.push(line) {
                            self.args.ctx.handle.count_dropped(1);
                        }
                    } else {
                        tracing::debug!(meeting_id = %self.args.ctx.meeting, adapter = "youtube", "line not posted: read-only account");
                    }
                }
                Event::Post => {
                    let Some(line) = self.outbox.pop() else {
                        continue;
                    };
                    if !meter.may_post() {
                        if !posting_paused {
                            posting_paused = true;
                            tracing::warn!(meeting_id = %self.args.ctx.meeting, actor = "adapter", adapter = "youtube", used = meter.quota().used, limit = meter.quota().limit, "posting paused: the rest of today's quota is kept for reading");
                            if self.reporter.status() == Some(CONNECTED) {
                                self.reporter.set(
                                    CONNECTED,
                                    self.connected_text(account, chat, streaming, true),
                                );
                            }
                        }
                        continue;
                    }
                    if posting_paused {
                        posting_paused = false;
                        self.reporter.set(
                            CONNECTED,
                            self.connected_text(account, chat, streaming, false),
                        );
                    }
                    self.throttle.record(Instant::now());
                    let posted = self
                        .api(account, meter, COST_INSERT, |t: String| {
                            let line = line.as_str();
                            async move { yt.insert(&t, &chat.chat_id, line).await }
                        })
                        .await;
                    match posted {
                        Ok(()) => {}
                        Err(
                            e @ (ApiError::Quota | ApiError::ChatEnded | ApiError::Unauthorized),
                        ) => {
                            if e == ApiError::ChatEnded {
                                return self.chat_ended(chat).await;
                            }
                            return self.stop(e);
                        }
                        Err(e) => self.log_warn("could not post", &e),
                    }
                }
                Event::Refresh => match fresh_youtube(&env, account, false).await {
                    // The open stream goes on; the next calls use the new token.
                    Ok(_) => refresh_retry = None,
                    Err(e @ AdapterError::AuthRefused(_)) => return self.refresh_failed(e),
                    Err(e) => {
                        self.log_warn("could not refresh the token; trying again in a minute", &e);
                        refresh_retry = Some(Instant::now() + MAX_BACKOFF);
                    }
                },
            }
            if self.outbox.dropped > 0 {
                tracing::warn!(meeting_id = %self.args.ctx.meeting, actor = "adapter", adapter = "youtube", dropped = self.outbox.dropped, "outgoing lines dropped (queue full)");
                self.outbox.dropped = 0;
            }
        }
    }

    /// The broadcast is over: its page token is useless now.
    async fn chat_ended(&mut self, chat: &LiveChat) -> Stop {
        self.save_cursor(&chat.chat_id, None).await;
        Stop::Offline(format!("the live chat of {} ended", chat.video_id))
    }
}

/// A chat line from a YouTube message: text messages and Super Chat comments; not our own
/// account's messages; not history published before `since`.
fn chat_line(
    m: &LiveChatMessage,
    account: &AccountRecord,
    delay_secs: u32,
    since: Option<Micros>,
) -> Option<ChatMessage> {
    let snippet = m.snippet.as_ref()?;
    let text = snippet
        .text_message_details
        .as_ref()
        .and_then(|t| t.message_text.clone())
        .or_else(|| {
            snippet
                .super_chat_details
                .as_ref()
                .and_then(|s| s.user_comment.clone())
        })?;
    let author = m.author_details.as_ref();
    let user_id = author
        .and_then(|a| a.channel_id.clone())
        .or_else(|| snippet.author_channel_id.clone())?;
    if !account.platform_user_id.is_empty() && user_id == account.platform_user_id {
        return None;
    }
    if let (Some(since), Some(published)) = (since, snippet.published_at)
        && published.timestamp_micros() < since
    {
        return None;
    }
    Some(ChatMessage {
        platform: Platform::Youtube,
        id: m.id.clone(),
        user_name: author
            .and_then(|a| a.display_name.clone())
            .unwrap_or_else(|| user_id.clone()),
        user_id,
        text,
        at: now_micros() - i64::from(delay_secs) * 1_000_000,
        badges: Badges {
            broadcaster: author.and_then(|a| a.is_chat_owner).unwrap_or(false),
            moderator: author.and_then(|a| a.is_chat_moderator).unwrap_or(false),
            vip: false,
            subscriber: false,
            member: author.and_then(|a| a.is_chat_sponsor).unwrap_or(false),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use librekast_storage::PlatformTokens;
    use serde_json::json;

    fn account(channel: &str) -> AccountRecord {
        AccountRecord {
            user_id: UserId(1),
            platform: Platform::Youtube,
            client: "google_web".into(),
            login: "Me".into(),
            platform_user_id: channel.into(),
            tokens: PlatformTokens {
                access_token: "a".into(),
                refresh_token: None,
            },
            expires_at: None,
            scopes: vec![],
            updated_at: 0,
        }
    }

    fn message(v: serde_json::Value) -> LiveChatMessage {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn chat_lines_from_messages() {
        let text = message(json!({
            "id": "LCC.1",
            "snippet": {"type": "textMessageEvent", "authorChannelId": "UCv",
                "publishedAt": "2026-07-01T12:00:00.000000+00:00",
                "textMessageDetails": {"messageText": "#a"}},
            "authorDetails": {"channelId": "UCv", "displayName": "Viewer"}
        }));
        let line = chat_line(&text, &account("UCme"), 3, None).unwrap();
        assert_eq!(line.id.as_deref(), Some("LCC.1"));
        assert_eq!(
            (line.user_id.as_str(), line.user_name.as_str()),
            ("UCv", "Viewer")
        );
        assert_eq!(line.text, "#a");
        assert!(line.at <= now_micros() - 3_000_000);
        // Our own account's messages never count.
        assert!(chat_line(&text, &account("UCv"), 0, None).is_none());
        // History from before we listened does not count.
        let after = 1_782_907_200_000_000 + 1; // 2026-07-01T12:00:00Z + 1 µs
        assert!(chat_line(&text, &account("UCme"), 0, Some(after)).is_none());
        assert!(chat_line(&text, &account("UCme"), 0, Some(after - 2)).is_some());
        let super_chat = message(json!({
            "id": "LCC.2",
            "snippet": {"type": "superChatEvent", "authorChannelId": "UCs",
                "superChatDetails": {"userComment": "#b", "amountMicros": "1000000"}},
        }));
        let line = chat_line(&super_chat, &account(""), 0, None).unwrap();
        assert_eq!((line.text.as_str(), line.user_name.as_str()), ("#b", "UCs"));
        let member = message(json!({
            "id": "LCC.3",
            "snippet": {"type": "newSponsorEvent", "authorChannelId": "UCm"}
        }));
        assert!(chat_line(&member, &account(""), 0, None).is_none());
    }
}
