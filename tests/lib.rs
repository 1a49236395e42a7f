//! Shared harness for LibreKast's end-to-end tests: a real server on a random loopback port
//! (its own SQLite file, or PostgreSQL when asked) and HTTP helpers. The WebSocket client is
//! the shared protocol client, [`librekast_client::Client`], re-exported here.
//!
//! - [`browser`]: headless Chromium sessions at phone and projector size, waits, screenshots.

use anyhow::{Context, anyhow, bail};
use librekast_web::{Config, Server};
use serde_json::{Value, json};

pub mod browser;

pub use librekast_client::{Client, TIMEOUT, choice_ids, error_code, ok};

/// A unique SQLite database file under the system temp dir.
pub fn temp_sqlite_url(tag: &str) -> String {
    let n: u64 = rand_u64();
    let path =
        std::env::temp_dir().join(format!("librekast-{tag}-{}-{n:x}.db", std::process::id()));
    format!("sqlite://{}?mode=rwc", path.display())
}

fn rand_u64() -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    h.finish()
}

static FAKE_TWITCH: std::sync::OnceLock<librekast_fakes::twitch::FakeTwitch> =
    std::sync::OnceLock::new();

/// The fake Twitch of this test process (one per process: twitch-irc's address is
/// process-wide, see `librekast_adapters::irc_transport`). Tests tell their meetings apart
/// by channel.
pub fn fake_twitch() -> anyhow::Result<&'static librekast_fakes::twitch::FakeTwitch> {
    if let Some(f) = FAKE_TWITCH.get() {
        return Ok(f);
    }
    let fake = librekast_fakes::twitch::FakeTwitch::start_detached()?;
    Ok(FAKE_TWITCH.get_or_init(|| fake))
}

/// A server whose platform settings point at a new fake YouTube (which knows the web OAuth
/// client [`FAKE_GOOGLE_WEB`]) and at this process's fake Twitch.
pub async fn server_with_fake_youtube(
    tag: &str,
) -> anyhow::Result<(TestServer, librekast_fakes::youtube::FakeYoutube)> {
    let youtube = librekast_fakes::youtube::FakeYoutube::start().await?;
    youtube.add_client(FAKE_GOOGLE_WEB.0, FAKE_GOOGLE_WEB.1);
    let config = librekast_web::Config::for_tests(&temp_sqlite_url(tag))
        .with_platforms(fake_platforms_with_youtube(&youtube)?)?;
    Ok((TestServer::start_with(config).await?, youtube))
}

/// Reads a staff connection until the meeting's YouTube source reports `connected` (in an
/// `adapter` frame or a `state`'s `sources`).
pub async fn wait_youtube_connected(staff: &mut Client) -> anyhow::Result<()> {
    staff
        .wait_for(|v| {
            (v["type"] == "adapter" && v["platform"] == "youtube" && v["status"] == "connected")
                || (v["type"] == "state"
                    && v["sources"].as_array().is_some_and(|s| {
                        s.iter()
                            .any(|x| x["platform"] == "youtube" && x["status"] == "connected")
                    }))
        })
        .await
        .context("YouTube connected")?;
    Ok(())
}

/// The Twitch client id the fake knows.
pub const FAKE_TWITCH_CLIENT: &str = librekast_fakes::twitch::FAKE_CLIENT_ID;

/// Platform settings pointing at this process's fakes, with short reconnect pauses.
pub fn fake_platforms() -> anyhow::Result<librekast_adapters::PlatformConfig> {
    let twitch = fake_twitch()?;
    Ok(librekast_adapters::PlatformConfig {
        twitch: Some(librekast_adapters::OAuthClient {
            id: FAKE_TWITCH_CLIENT.into(),
            secret: None,
        }),
        twitch_irc_url: twitch.irc_url(),
        twitch_id_url: twitch.id_url(),
        twitch_api_url: twitch.api_url(),
        twitch_eventsub_url: twitch.eventsub_url(),
        twitch_reconnect_every: std::time::Duration::from_millis(50),
        account_recheck: std::time::Duration::from_millis(500),
        ..librekast_adapters::PlatformConfig::default()
    })
}

/// The Google web client the YouTube fakes of the tests accept.
pub const FAKE_GOOGLE_WEB: (&str, &str) = ("lk-web-client", "lk-web-secret");

/// Gives the admin of `ts` a connected YouTube account on the fake `youtube`, as the
/// dashboard's Google sign-in stores it: token `yt-{tag}`, channel `UC{tag}channel`,
/// broadcasting `{tag}-video` whose live chat is `{tag}-chat`. Returns the admin's id.
pub async fn youtube_account(
    ts: &TestServer,
    youtube: &librekast_fakes::youtube::FakeYoutube,
    tag: &str,
) -> anyhow::Result<librekast_storage::UserId> {
    use librekast_adapters::youtube::auth::{GoogleClient, SCOPE_FORCE_SSL};
    use librekast_storage::{AccountRecord, Platform, PlatformTokens, now_micros};
    let (token, refresh) = (format!("yt-{tag}"), format!("yt-{tag}-refresh"));
    youtube.add_token(&token, Some(&refresh), FAKE_GOOGLE_WEB.0, 3600);
    youtube.set_broadcast(&format!("{tag}-video"), &format!("{tag}-chat"), &token);
    let store = ts.server.engine.store();
    let owner = store.find_user("admin").await?.context("admin")?;
    store
        .save_account(&AccountRecord {
            user_id: owner.id,
            platform: Platform::Youtube,
            client: GoogleClient::Web.code().into(),
            login: format!("{tag} channel"),
            platform_user_id: format!("UC{tag}channel"),
            tokens: PlatformTokens {
                access_token: token,
                refresh_token: Some(refresh),
            },
            expires_at: Some(now_micros() + 3_600_000_000),
            scopes: vec![SCOPE_FORCE_SSL.into()],
            updated_at: now_micros(),
        })
        .await?;
    Ok(owner.id)
}

/// [`fake_platforms`] plus a fake YouTube (started by the test: its address is not
/// process-wide) and short YouTube waits.
pub fn fake_platforms_with_youtube(
    youtube: &librekast_fakes::youtube::FakeYoutube,
) -> anyhow::Result<librekast_adapters::PlatformConfig> {
    let d = std::time::Duration::from_millis(50);
    Ok(librekast_adapters::PlatformConfig {
        google_web: Some(librekast_adapters::OAuthClient {
            id: FAKE_GOOGLE_WEB.0.into(),
            secret: Some(FAKE_GOOGLE_WEB.1.into()),
        }),
        public_url: Some("http://127.0.0.1:9".into()),
        youtube_api_url: youtube.api_url(),
        google_auth_url: youtube.auth_url(),
        google_token_url: youtube.token_url(),
        google_device_url: youtube.device_url(),
        youtube_timing: librekast_adapters::config::YoutubeTiming {
            account_poll: d,
            offline_retry: d,
            quota_retry: Some(std::time::Duration::from_millis(200)),
            poll_floor: std::time::Duration::from_millis(20),
            reconnect_floor: std::time::Duration::from_millis(20),
            ..librekast_adapters::config::YoutubeTiming::default()
        },
        ..fake_platforms()?
    })
}

pub struct TestServer {
    pub server: Server,
    pub http: reqwest::Client,
    pub database_url: String,
}

impl TestServer {
    pub async fn start(tag: &str) -> anyhow::Result<TestServer> {
        Self::start_on(temp_sqlite_url(tag)).await
    }

    pub async fn start_on(database_url: String) -> anyhow::Result<TestServer> {
        Self::start_with(Config::for_tests(&database_url)).await
    }

    /// A server with a configuration of the test's own (e.g. a short idle time). Twitch
    /// and YouTube are the fakes of this process unless the test points elsewhere: no
    /// test reaches the internet.
    pub async fn start_with(mut config: Config) -> anyhow::Result<TestServer> {
        if config.platforms.twitch_irc_url == librekast_adapters::config::TWITCH_IRC_URL {
            config = config.with_platforms(fake_platforms()?)?;
        }
        let database_url = config.database_url.clone();
        let server = Server::start(config).await?;
        Ok(TestServer {
            server,
            http: reqwest::Client::new(),
            database_url,
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// The demo meeting created on first start.
    pub async fn demo_meeting(&self) -> anyhow::Result<i64> {
        let list: Value = self
            .http
            .get(self.url("/api/meetings"))
            .send()
            .await?
            .json()
            .await?;
        list.as_array()
            .and_then(|l| l.iter().find(|m| m["title"] == "LibreKast demo"))
            .and_then(|m| m["id"].as_i64())
            .ok_or_else(|| anyhow!("no demo meeting in {list}"))
    }

    /// Joins and returns (attendee_id, token).
    pub async fn join(
        &self,
        meeting: i64,
        code: &str,
        name: &str,
    ) -> anyhow::Result<(i64, String)> {
        let res = self
            .http
            .post(self.url(&format!("/api/meetings/{meeting}/join")))
            .json(&json!({"code": code, "name": name}))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("join failed: {status} {body}");
        }
        Ok((
            body["attendee_id"].as_i64().unwrap_or(-1),
            body["token"].as_str().unwrap_or("").to_string(),
        ))
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<String> {
        let res = self
            .http
            .post(self.url("/api/login"))
            .json(&json!({"username": username, "password": password}))
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await?;
        if !status.is_success() {
            bail!("login failed: {status} {body}");
        }
        Ok(body["token"].as_str().unwrap_or("").to_string())
    }

    /// A request with `Authorization: Bearer TOKEN`, as scripts send it: its status and JSON
    /// body (`Null` when there is none).
    pub async fn bearer(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let res = self
            .http
            .request(method, self.url(path))
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"))
            .send()
            .await?;
        let status = res.status();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    /// A JSON call with `Authorization: Bearer` and an optional JSON body: its status and
    /// JSON answer (`Null` when there is none).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(reqwest::StatusCode, Value)> {
        let mut req = self
            .http
            .request(method, self.url(path))
            .header(reqwest::header::AUTHORIZATION, format!("Bearer {token}"));
        if let Some(body) = body {
            req = req.json(&body);
        }
        let res = req.send().await?;
        let status = res.status();
        Ok((status, res.json().await.unwrap_or(Value::Null)))
    }

    /// What storage holds for a meeting: the ground truth an acknowledged answer must be in.
    pub async fn stored(&self, meeting: i64) -> anyhow::Result<librekast_storage::LoadedMeeting> {
        Ok(self
            .server
            .engine
            .store()
            .load_meeting(librekast_storage::MeetingId(meeting))
            .await?)
    }

    /// A new display link's token for the meeting (as the dashboard's Presenter button
    /// makes one), created by the admin.
    pub async fn display_token(&self, meeting: i64) -> anyhow::Result<String> {
        let admin = self.admin_token().await?;
        let (status, body) = self
            .bearer(
                reqwest::Method::POST,
                &format!("/api/meetings/{meeting}/display"),
                &admin,
            )
            .await?;
        if !status.is_success() {
            bail!("display link refused: {status} {body}");
        }
        body["token"]
            .as_str()
            .map(str::to_owned)
            .context("no display token")
    }

    /// Uploads a file to the media store as `token` (`POST /api/media`): its id.
    pub async fn upload_media(&self, token: &str, bytes: &[u8]) -> anyhow::Result<String> {
        let res = self
            .http
            .post(self.url("/api/media"))
            .bearer_auth(token)
            .header(reqwest::header::CONTENT_TYPE, "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .await?;
        let status = res.status();
        let body: Value = res.json().await.unwrap_or(Value::Null);
        anyhow::ensure!(status == reqwest::StatusCode::CREATED, "{status} {body}");
        body["id"]
            .as_str()
            .map(str::to_owned)
            .ok_or_else(|| anyhow::anyhow!("no media id in {body}"))
    }

    pub async fn admin_token(&self) -> anyhow::Result<String> {
        let password = self
            .server
            .admin_password
            .clone()
            .context("no admin password on this start")?;
        self.login("admin", &password).await
    }

    /// A new organizer account (password "organizer password"): its id and a session token.
    pub async fn organizer(
        &self,
        name: &str,
    ) -> anyhow::Result<(librekast_storage::UserId, String)> {
        let hash = librekast_web::auth::hash_password("organizer password")?;
        let id = self
            .server
            .engine
            .store()
            .put_user_with_role(name, &hash, Some(librekast_storage::Role::Organizer))
            .await?;
        Ok((id, self.login(name, "organizer password").await?))
    }

    pub async fn connect(&self, meeting: i64, token: &str) -> anyhow::Result<Client> {
        let url = format!(
            "ws://{}/ws/meetings/{meeting}?token={token}",
            self.server.addr
        );
        Client::connect(&url).await
    }
}

/// Fails when CI requires every optional backend and this one is missing; otherwise prints a
/// loud skip message and returns false.
pub fn require(what: &str, available: bool, hint: &str) -> bool {
    if available {
        return true;
    }
    if std::env::var("LIBREKAST_REQUIRE_ALL").is_ok_and(|v| v == "1") {
        panic!("LIBREKAST_REQUIRE_ALL=1 but {what} is not available: {hint}");
    }
    eprintln!("\n!!!!!!!! SKIPPED {what}: {hint} !!!!!!!!\n");
    false
}

use librekast_storage::with_database;

/// A fresh PostgreSQL database made through `LIBREKAST_TEST_POSTGRES` (a URL whose role may
/// CREATE DATABASE); `None` (after a loud skip, or a failure under `LIBREKAST_REQUIRE_ALL`)
/// when that variable is not set. Drop it with [`PgDatabase::drop_database`].
pub struct PgDatabase {
    pub url: String,
    pub name: String,
    admin: sea_orm::DatabaseConnection,
}

impl PgDatabase {
    pub async fn create(tag: &str) -> anyhow::Result<Option<PgDatabase>> {
        use sea_orm::ConnectionTrait;
        let admin_url = std::env::var("LIBREKAST_TEST_POSTGRES").ok();
        if !require(
            "PostgreSQL",
            admin_url.is_some(),
            "set LIBREKAST_TEST_POSTGRES=postgres://librekast:librekast@127.0.0.1:5432/postgres (a role with CREATEDB)",
        ) {
            return Ok(None);
        }
        let admin_url = admin_url.unwrap_or_default();
        let name = format!("lk_{tag}_{:x}", rand_u64() & 0xffff_ffff_ffff);
        let admin = sea_orm::Database::connect(admin_url.as_str()).await?;
        admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await?;
        Ok(Some(PgDatabase {
            url: with_database(&admin_url, &name),
            name,
            admin,
        }))
    }

    /// The connection the database was created with (to the cluster's `postgres` database).
    pub fn admin(&self) -> &sea_orm::DatabaseConnection {
        &self.admin
    }

    pub async fn drop_database(self) -> anyhow::Result<()> {
        use sea_orm::ConnectionTrait;
        let sql = format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name);
        self.admin.execute_unprepared(&sql).await?;
        self.admin.close().await?;
        Ok(())
    }
}
