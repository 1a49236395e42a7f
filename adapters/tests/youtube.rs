//! The YouTube adapter against the fake YouTube Data API and Google OAuth server
//! (`librekast_fakes::youtube`), inside a real engine on an in-memory SQLite store: chat
//! messages become votes exactly once (replayed pages, restarts), list polling where
//! streamList is unavailable, token refresh mid-stream, quota exhaustion and recovery, the
//! end of a broadcast, posting, and the three ways to connect an account.
//!
//! Nothing here sleeps for a set time: every wait polls a condition against a deadline.

use std::sync::Arc;
use std::time::Duration;

use librekast_adapters::youtube::YoutubeTiming;
use librekast_adapters::youtube::accounts::{
    connect_callback, connect_refresh_token, connect_start, device_start, save_tokens,
};
use librekast_adapters::youtube::auth::{
    DevicePoll, GoogleClient, SCOPE_FORCE_SSL, SCOPE_READONLY,
};
use librekast_adapters::youtube::quota::{DAILY_LIMIT, now_secs, pacific_day};
use librekast_adapters::{AdapterEnv, AdapterError, OAuthClient, PlatformConfig, StreamsFactory};
use librekast_engine::{
    AdapterStatus, Command, Control, Engine, EngineConfig, Extensions, MeetingHandle, Principal,
};
use librekast_fakes::youtube::{FakeYoutube, YtMessage};
use librekast_storage::{
    AccountRecord, ActivityFile, ActivityKind, ChoiceFile, MeetingFile, MeetingId, Platform,
    PlatformTokens, Role, SecretKey, Source, Store, UserId, now_micros,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const WEB: &str = "web-client";
const WEB_SECRET: &str = "web-secret";
const DEVICE: &str = "tv-client";
const DEVICE_SECRET: &str = "tv-secret";
const DEADLINE: Duration = Duration::from_secs(20);

async fn until(what: &str, mut cond: impl AsyncFnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !cond().await {
        assert!(tokio::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn poll_meeting(video_id: Option<&str>) -> MeetingFile {
    let choice = |slug: &str| ChoiceFile {
        id: None,
        text: slug.to_uppercase(),
        slug: slug.into(),
        correct: false,
    };
    MeetingFile {
        scoring: Default::default(),
        auto_start: false,
        streak_bonus: 0,
        sounds: true,
        blocked_words: vec![],
        bots: vec![],
        title: "YouTube poll".into(),
        code: "yt".into(),
        reward_fastest: false,
        flag_prefix: "LK".into(),
        activities: vec![ActivityFile {
            time_limit_secs: 0,
            points: None,
            max_choices: 1,
            partial_credit: false,
            scale: None,
            prior_weight: None,
            image: None,
            alt: String::new(),
            auto_approve: false,
            hide_results_until_reveal: false,
            id: None,
            notes: String::new(),
            markup: Default::default(),
            kind: ActivityKind::Poll,
            title: "Which?".into(),
            description: String::new(),
            choices: vec![choice("a"), choice("b"), choice("c")],
            word_limit: 3,
        }],
        flags: vec![],
        sources: vec![Source::Youtube {
            video_id: video_id.map(str::to_owned),
            delay_secs: 0,
        }],
        chat: Default::default(),
    }
}

fn config(fake: &FakeYoutube) -> PlatformConfig {
    PlatformConfig {
        google_web: Some(OAuthClient {
            id: WEB.into(),
            secret: Some(WEB_SECRET.into()),
        }),
        google_device: Some(OAuthClient {
            id: DEVICE.into(),
            secret: Some(DEVICE_SECRET.into()),
        }),
        public_url: Some("http://127.0.0.1:9".into()),
        youtube_api_url: fake.api_url(),
        google_auth_url: fake.auth_url(),
        google_token_url: fake.token_url(),
        google_device_url: fake.device_url(),
        ..PlatformConfig::default()
    }
}

/// Short waits: retries in tens of milliseconds instead of the production minutes.
fn fast() -> YoutubeTiming {
    YoutubeTiming {
        account_poll: Duration::from_millis(50),
        offline_retry: Duration::from_millis(50),
        quota_retry: Some(Duration::from_millis(100)),
        poll_floor: Duration::from_millis(20),
        reconnect_floor: Duration::from_millis(20),
        daily_limit: DAILY_LIMIT,
    }
}

async fn store() -> Result<Store, Box<dyn std::error::Error>> {
    Ok(Store::connect("sqlite::memory:")
        .await?
        .with_secret_key(SecretKey::from_hex(&"11".repeat(32))?))
}

fn account(user: UserId, access: &str, refresh: &str, client: GoogleClient) -> AccountRecord {
    let scope = match client {
        GoogleClient::Web => SCOPE_FORCE_SSL,
        GoogleClient::Device => SCOPE_READONLY,
    };
    AccountRecord {
        user_id: user,
        platform: Platform::Youtube,
        client: client.code().into(),
        login: "Test Channel".into(),
        platform_user_id: String::new(),
        tokens: PlatformTokens {
            access_token: access.into(),
            refresh_token: Some(refresh.into()),
        },
        expires_at: Some(now_micros() + 3_600_000_000),
        scopes: vec![scope.into()],
        updated_at: now_micros(),
    }
}

fn viewer(n: u32, text: &str) -> YtMessage {
    YtMessage::new(
        format!("LCC.m{n}"),
        format!("UCviewer{n}"),
        format!("Viewer {n}"),
        text,
    )
}

struct Harness {
    fake: FakeYoutube,
    store: Store,
    engine: Engine,
    handle: Arc<MeetingHandle>,
    meeting: MeetingId,
}

struct Setup<'a> {
    video_id: Option<&'a str>,
    client: GoogleClient,
    stream_list: bool,
    daily_limit: i64,
    /// Messages an earlier run already read: in the chat, with the page token after them
    /// stored as the meeting's cursor.
    read_before: u32,
}

impl Default for Setup<'_> {
    fn default() -> Self {
        Setup {
            video_id: Some("video1"),
            client: GoogleClient::Web,
            stream_list: true,
            daily_limit: DAILY_LIMIT,
            read_before: 0,
        }
    }
}

/// A fake with a live broadcast (`video1`, chat `chat1`) for the account behind `tok-1`,
/// an engine whose meeting reads it with that account, and the poll open.
async fn start(setup: Setup<'_>) -> Result<Harness, Box<dyn std::error::Error>> {
    librekast_adapters::irc_transport::install_crypto_provider();
    let fake = FakeYoutube::start().await?;
    fake.add_client(WEB, WEB_SECRET);
    fake.add_client(DEVICE, DEVICE_SECRET);
    let client_id = match setup.client {
        GoogleClient::Web => WEB,
        GoogleClient::Device => DEVICE,
    };
    fake.add_token("tok-1", Some("ref-1"), client_id, 3600);
    fake.set_broadcast("video1", "chat1", "tok-1");
    fake.set_stream_list(setup.stream_list);
    fake.set_polling_interval_ms(20);

    let store = store().await?;
    let meeting = store.import_meeting(&poll_meeting(setup.video_id)).await?;
    let user = store.put_user("owner", "not-a-hash").await?;
    store.set_meeting_owner(meeting, Some(user)).await?;
    store
        .save_account(&account(user, "tok-1", "ref-1", setup.client))
        .await?;
    if setup.read_before > 0 {
        for n in 1..=setup.read_before {
            fake.push("chat1", viewer(n, "#a"));
        }
        let page: serde_json::Value = reqwest::Client::new()
            .get(format!("{}youtube/v3/liveChat/messages", fake.api_url()))
            .query(&[("liveChatId", "chat1"), ("part", "snippet")])
            .bearer_auth("tok-1")
            .send()
            .await?
            .json()
            .await?;
        let token = page["nextPageToken"].as_str().ok_or("no page token")?;
        store
            .set_source_cursor(meeting, Platform::Youtube, &format!("chat1 {token}"))
            .await?;
    }

    let mut env = AdapterEnv::new(store.clone(), config(&fake))?;
    env.youtube.timing = YoutubeTiming {
        daily_limit: setup.daily_limit,
        ..fast()
    };
    let engine = Engine::start(
        store.clone(),
        EngineConfig {
            extensions: Extensions(vec![Arc::new(StreamsFactory { env: Arc::new(env) })]),
            ..EngineConfig::default()
        },
    )
    .await?;
    let handle = engine.meeting(meeting).await?;
    let staff = Principal::Staff {
        user,
        username: "owner".into(),
        role: Role::Admin,
    };
    handle
        .command(staff, Command::Control(Control::Start, None))
        .await
        .map_err(|e| format!("start refused: {e:?}"))?;
    Ok(Harness {
        fake,
        store,
        engine,
        handle,
        meeting,
    })
}

impl Harness {
    fn status(&self) -> Option<AdapterStatus> {
        self.handle
            .source_statuses()
            .into_iter()
            .find(|s| s.platform == "youtube")
    }

    async fn wait_status(&self, status: &str) -> AdapterStatus {
        until(
            &format!("status {status} (last: {:?})", self.status()),
            async || self.status().is_some_and(|s| s.status == status),
        )
        .await;
        self.status().unwrap_or_else(|| panic!("no status"))
    }

    async fn votes(&self) -> usize {
        self.store
            .load_meeting(self.meeting)
            .await
            .map(|m| m.votes.len())
            .unwrap_or(0)
    }

    async fn wait_votes(&self, n: usize) {
        until(&format!("{n} votes"), async || self.votes().await >= n).await;
        assert_eq!(self.votes().await, n, "exactly {n} votes");
    }

    fn push(&self, chat: &str, n: u32, text: &str) {
        self.fake.push(chat, viewer(n, text));
    }

    async fn stop(self) {
        self.engine.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_votes_count_once_across_replays_and_restarts() -> TestResult {
    let h = start(Setup::default()).await?;
    let connected = h.wait_status("connected").await;
    assert!(
        connected.message.contains("reading and posting"),
        "{connected:?}"
    );
    assert_eq!(connected.target.as_deref(), Some("video1"));
    assert_eq!(h.fake.calls("liveChatMessages.streamList"), 1);

    for n in 1..=3 {
        h.push("chat1", n, "#a");
    }
    h.wait_votes(3).await;

    // YouTube repeats a page now and then: the repeated messages change nothing.
    h.fake.replay_next_page();
    h.push("chat1", 4, "#b");
    h.wait_votes(4).await;
    let cursor = h
        .store
        .source_cursor(h.meeting, Platform::Youtube)
        .await?
        .unwrap_or_default();
    assert!(cursor.starts_with("chat1 "), "{cursor:?}");

    // The adapter restarts (sources reloaded); a message sent meanwhile is read after the
    // stored page token, and nothing before it is counted again.
    h.handle.reload_streams();
    h.push("chat1", 5, "#c");
    until("the stream reopened", async || {
        h.fake.calls("liveChatMessages.streamList") >= 2
    })
    .await;
    h.wait_votes(5).await;
    h.push("chat1", 6, "#a");
    h.wait_votes(6).await;

    // The meter counts the calls: videos.list (1) and streamList (5 each).
    let quota = h.status().and_then(|s| s.quota).ok_or("no quota shown")?;
    assert_eq!(quota.limit, DAILY_LIMIT);
    assert!(quota.used >= 12, "{quota:?}");
    let spent = h.store.quota_spent(WEB, &pacific_day(now_secs())).await?;
    assert!(spent >= quota.used, "{spent} stored, {quota:?} shown");
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reading_resumes_after_the_stored_page_token() -> TestResult {
    // Three messages were read before the restart (and are recent enough that a start
    // from scratch would count them): only what follows the stored token counts.
    let h = start(Setup {
        read_before: 3,
        ..Setup::default()
    })
    .await?;
    h.wait_status("connected").await;
    h.push("chat1", 4, "#b");
    h.wait_votes(1).await;
    let cursor = h
        .store
        .source_cursor(h.meeting, Platform::Youtube)
        .await?
        .unwrap_or_default();
    assert!(cursor.starts_with("chat1 "), "{cursor:?}");
    h.stop().await;

    // A cursor of another chat is ignored: the recent history counts.
    let h = start(Setup {
        read_before: 3,
        stream_list: false,
        ..Setup::default()
    })
    .await?;
    // Once connected, the first run stored its cursor and leaves it alone (no news).
    h.wait_status("connected").await;
    h.store
        .set_source_cursor(h.meeting, Platform::Youtube, "chat0 GOCw")
        .await?;
    h.handle.reload_streams();
    h.wait_votes(3).await;
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn list_polling_without_stream_list_and_a_token_refreshed_mid_stream() -> TestResult {
    let h = start(Setup {
        stream_list: false,
        ..Setup::default()
    })
    .await?;
    let connected = h.wait_status("connected").await;
    assert!(connected.message.contains("polling"), "{connected:?}");
    assert_eq!(h.fake.calls("liveChatMessages.streamList"), 1, "tried once");
    h.push("chat1", 1, "#a");
    h.push("chat1", 2, "#b");
    h.wait_votes(2).await;
    assert!(h.fake.calls("liveChatMessages.list") >= 2);

    // The access token expires: the next call is refused, the token refreshed with the
    // web client, and reading goes on.
    assert_eq!(h.fake.refreshes(), 0);
    h.fake.expire_token("tok-1");
    h.push("chat1", 3, "#c");
    h.wait_votes(3).await;
    assert_eq!(h.fake.refreshes(), 1);
    let user = h
        .store
        .load_meeting(h.meeting)
        .await?
        .meeting
        .owner
        .ok_or("no owner")?;
    let stored = h
        .store
        .account(user, Platform::Youtube)
        .await?
        .ok_or("no account")?;
    assert_ne!(stored.tokens.access_token, "tok-1");
    assert_eq!(stored.tokens.refresh_token.as_deref(), Some("ref-1"));
    assert_eq!(h.status().map(|s| s.status), Some("connected".into()));
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_quota_waits_for_the_reset() -> TestResult {
    let h = start(Setup {
        stream_list: false,
        ..Setup::default()
    })
    .await?;
    h.wait_status("connected").await;
    h.fake.set_quota_exhausted(true);
    let exhausted = h.wait_status("quota_exhausted").await;
    assert!(
        exhausted.message.contains("midnight Pacific") && exhausted.message.contains("UTC)"),
        "{exhausted:?}"
    );
    // The reset (shortened here): reading resumes where it stopped.
    h.push("chat1", 1, "#a");
    h.fake.set_quota_exhausted(false);
    h.wait_status("connected").await;
    h.wait_votes(1).await;
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_end_of_a_broadcast_goes_offline_until_the_next_one() -> TestResult {
    let h = start(Setup {
        video_id: None,
        ..Setup::default()
    })
    .await?;
    let connected = h.wait_status("connected").await;
    assert_eq!(connected.target.as_deref(), Some("video1"));
    h.push("chat1", 1, "#a");
    h.wait_votes(1).await;

    h.fake.end_chat("chat1");
    let offline = h.wait_status("offline").await;
    assert!(
        offline.message.contains("ended") || offline.message.contains("no live broadcast"),
        "{offline:?}"
    );
    until("the cursor forgotten", async || {
        h.store
            .source_cursor(h.meeting, Platform::Youtube)
            .await
            .ok()
            .flatten()
            .is_some_and(|c| c.is_empty())
    })
    .await;

    // The account goes live again: the adapter finds the new broadcast by itself.
    h.fake.set_broadcast("video2", "chat2", "tok-1");
    until("reading video2", async || {
        h.status()
            .is_some_and(|s| s.status == "connected" && s.target.as_deref() == Some("video2"))
    })
    .await;
    h.push("chat2", 2, "#b");
    h.wait_votes(2).await;
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn posting_reaches_the_chat_and_read_only_accounts_do_not_post() -> TestResult {
    let h = start(Setup::default()).await?;
    h.wait_status("connected").await;
    assert_eq!(h.handle.post("🤖 hello"), 1);
    until("the line was posted", async || {
        h.fake.inserted() == vec![("chat1".to_string(), "🤖 hello".to_string())]
    })
    .await;
    // Our own line comes back in the chat and is not an answer.
    h.push("chat1", 1, "#a");
    h.wait_votes(1).await;
    h.stop().await;

    let h = start(Setup {
        client: GoogleClient::Device,
        ..Setup::default()
    })
    .await?;
    let connected = h.wait_status("connected").await;
    assert!(
        connected.message.contains("read-only account: cannot post"),
        "{connected:?}"
    );
    // A read-only account takes no lines: the dashboard is told none were posted.
    assert_eq!(h.handle.post("🤖 hello"), 0);
    h.push("chat1", 1, "#a");
    h.wait_votes(1).await;
    assert!(h.fake.inserted().is_empty());
    h.stop().await;

    // Posting stops while a post would eat into the fifth of the quota kept for reading
    // (here: 6 of 20 units spent, a post costs 20).
    let h = start(Setup {
        daily_limit: 20,
        ..Setup::default()
    })
    .await?;
    h.wait_status("connected").await;
    assert_eq!(h.handle.post("🤖 hello"), 1);
    until("posting paused", async || {
        h.status()
            .is_some_and(|s| s.status == "connected" && s.message.contains("posting paused"))
    })
    .await;
    assert!(h.fake.inserted().is_empty());
    assert_eq!(h.fake.calls("liveChatMessages.insert"), 0);
    h.stop().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_account_the_source_asks_for_one() -> TestResult {
    librekast_adapters::irc_transport::install_crypto_provider();
    let fake = FakeYoutube::start().await?;
    fake.add_token("tok-1", Some("ref-1"), WEB, 3600);
    fake.set_broadcast("video1", "chat1", "tok-1");
    let store = store().await?;
    let meeting = store.import_meeting(&poll_meeting(Some("video1"))).await?;
    let user = store.put_user("owner", "not-a-hash").await?;
    store.set_meeting_owner(meeting, Some(user)).await?;
    let mut env = AdapterEnv::new(store.clone(), config(&fake))?;
    env.youtube.timing = fast();
    let engine = Engine::start(
        store.clone(),
        EngineConfig {
            extensions: Extensions(vec![Arc::new(StreamsFactory { env: Arc::new(env) })]),
            ..EngineConfig::default()
        },
    )
    .await?;
    let handle = engine.meeting(meeting).await?;
    let status = || {
        handle
            .source_statuses()
            .into_iter()
            .find(|s| s.platform == "youtube")
    };
    until("auth_required", async || {
        status().is_some_and(|s| {
            s.status == "auth_required" && s.message.contains("connect a YouTube account")
        })
    })
    .await;
    // Connected from the dashboard meanwhile: the waiting adapter picks it up.
    store
        .save_account(&account(user, "tok-1", "ref-1", GoogleClient::Web))
        .await?;
    until("connected", async || {
        status().is_some_and(|s| s.status == "connected")
    })
    .await;

    // A revoked refresh token on an expired access token: connect again.
    fake.revoke_refresh("ref-1");
    fake.expire_token("tok-1");
    handle.reload_streams();
    until("auth_required after the refusal", async || {
        status().is_some_and(|s| s.status == "auth_required" && s.message.contains("again"))
    })
    .await;
    engine.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_connect_three_ways() -> TestResult {
    librekast_adapters::irc_transport::install_crypto_provider();
    let fake = FakeYoutube::start().await?;
    fake.add_client(WEB, WEB_SECRET);
    fake.add_client(DEVICE, DEVICE_SECRET);
    let store = store().await?;
    let user = store.put_user("owner", "not-a-hash").await?;
    let env = AdapterEnv::new(store.clone(), config(&fake))?;

    // Dashboard: consent page, then the callback with Google's code.
    let url = connect_start(&env, user)?;
    assert!(url.starts_with(&fake.auth_url()), "{url}");
    let http = reqwest::Client::new();
    assert!(http.get(&url).send().await?.status().is_success());
    let request = fake.auth_requests().pop().ok_or("no consent request")?;
    assert_eq!(request.client_id, WEB);
    assert_eq!(
        request.redirect_uri,
        "http://127.0.0.1:9/oauth/youtube/callback"
    );
    assert_eq!(request.scope, SCOPE_FORCE_SSL);
    let param = |k: &str| {
        request
            .params
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    assert_eq!(param("access_type").as_deref(), Some("offline"));
    let code = fake.authorize(&request.state);
    let record = connect_callback(&env, &request.state, &code).await?;
    assert_eq!(record.client, "google_web");
    assert_eq!(record.scopes, vec![SCOPE_FORCE_SSL.to_string()]);
    assert!(record.tokens.refresh_token.is_some() && record.expires_at.is_some());
    let stored = store
        .account(user, Platform::Youtube)
        .await?
        .ok_or("not stored")?;
    assert_eq!(stored.tokens, record.tokens);
    // A state works once, and only a state we issued works.
    let again = connect_callback(&env, &request.state, &code).await;
    assert!(matches!(again, Err(AdapterError::Expired(_))), "{again:?}");
    assert!(connect_callback(&env, "forged", &code).await.is_err());

    // CLI device flow: pending until approved, then a read-only device-client token.
    let start = device_start(&env).await?;
    assert!(matches!(
        env.youtube.auth.poll_device(&start.device_code).await?,
        DevicePoll::Pending
    ));
    fake.approve_device(&start.user_code);
    let DevicePoll::Done(tokens) = env.youtube.auth.poll_device(&start.device_code).await? else {
        return Err("not approved".into());
    };
    let record = save_tokens(&env, user, GoogleClient::Device, &tokens, None).await?;
    assert_eq!(record.client, "google_device");
    assert_eq!(record.scopes, vec![SCOPE_READONLY.to_string()]);

    // CLI --refresh-token-stdin: checked by refreshing it with the web client.
    fake.add_token("acc-x", Some("ref-x"), WEB, 3600);
    let before = fake.refreshes();
    let record = connect_refresh_token(&env, user, " ref-x\n").await?;
    assert_eq!(fake.refreshes(), before + 1);
    assert_eq!(record.client, "google_web");
    assert_eq!(record.tokens.refresh_token.as_deref(), Some("ref-x"));
    assert_ne!(record.tokens.access_token, "acc-x");
    // A refresh token of another client, or a revoked one, is refused.
    fake.add_token("acc-y", Some("ref-y"), DEVICE, 3600);
    let other = connect_refresh_token(&env, user, "ref-y").await;
    assert!(
        matches!(other, Err(AdapterError::AuthRefused(_))),
        "{other:?}"
    );
    fake.revoke_refresh("ref-x");
    let revoked = connect_refresh_token(&env, user, "ref-x").await;
    assert!(
        matches!(revoked, Err(AdapterError::AuthRefused(_))),
        "{revoked:?}"
    );
    Ok(())
}
