//! Chat sources from the dashboard: a meeting's sources and chat rules (read, replaced
//! while it runs), the staff user's connected platform accounts (Twitch's device flow,
//! removal), and posting a line to the meeting's chats. Plus the server's side of it: the
//! secret key that seals platform tokens, the adapters' environment, and pruning of the
//! chat ids remembered for deduplication.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use librekast_adapters::accounts::save_twitch_response;
use librekast_adapters::{AdapterEnv, AdapterError, IrcTarget, irc_transport};
use librekast_engine::{Action, Principal};
use librekast_storage::{
    Backend, ChatRules, MeetingId, Platform, SecretKey, Source, Store, StoredSource, UserId,
};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::watch;
use warp::Reply;
use warp::http::HeaderMap;
use warp::reply::Response;

use crate::api_error::ApiError;
use crate::app::{App, internal};
use crate::pending::DeviceFlow;
use crate::{Config, WebError, principal};

/// How often counted chat ids older than 24 hours are forgotten.
const PRUNE_EVERY: Duration = Duration::from_secs(3_600);

/// Seals platform tokens with `LIBREKAST_SECRET_KEY`, or (SQLite) the data directory's
/// key file, generated on first use. Without a usable key the server still runs; connecting
/// an account then says what to set.
pub fn with_secret_key(store: Store, config: &Config) -> Result<Store, WebError> {
    let postgres = store.backend() == Backend::Postgres;
    match SecretKey::load(
        config.secret_key.as_deref(),
        config.data_dir.as_deref(),
        postgres,
    ) {
        Ok((key, source)) => {
            tracing::info!(source = ?source, "secret key for platform tokens ready");
            Ok(store.with_secret_key(key))
        }
        // A malformed key is an operator's mistake worth stopping for.
        Err(e) if config.secret_key.is_some() => Err(WebError::Config(e.to_string())),
        Err(e) => {
            tracing::warn!(error = %e, "no secret key: Twitch and YouTube accounts cannot be connected");
            Ok(store)
        }
    }
}

/// The adapters' shared environment; points twitch-irc at the configured address.
pub fn adapter_env(store: &Store, config: &Config) -> Result<Arc<AdapterEnv>, WebError> {
    irc_transport::install_crypto_provider();
    let target = IrcTarget::parse(&config.platforms.twitch_irc_url).map_err(WebError::Config)?;
    irc_transport::set_irc_target(target);
    AdapterEnv::new(store.clone(), config.platforms.clone())
        .map(Arc::new)
        .map_err(|e| WebError::Config(e.to_string()))
}

/// Forgets counted chat ids older than 24 hours, hourly, until shutdown.
pub async fn prune_chat_ids(store: Store, mut shutdown: watch::Receiver<bool>) {
    loop {
        let before = librekast_storage::now_micros() - librekast_storage::CHAT_SEEN_MICROS;
        match store.prune_chat_seen(before).await {
            Ok(n) if n > 0 => tracing::debug!(pruned = n, "old chat ids forgotten"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "could not prune old chat ids"),
        }
        tokio::select! {
            _ = tokio::time::sleep(PRUNE_EVERY) => {}
            _ = shutdown.changed() => return,
        }
    }
}

fn staff_user(p: &Principal) -> Option<UserId> {
    match p {
        Principal::Staff { user, .. } => Some(*user),
        _ => None,
    }
}

fn adapter_error(e: AdapterError) -> Response {
    match e {
        AdapterError::NotConfigured(m) => ApiError::NotConfigured.reply(Some(&m)),
        AdapterError::AuthRefused(m) | AdapterError::Expired(m) => {
            ApiError::BadRequest.reply(Some(&m))
        }
        AdapterError::Storage(librekast_storage::StorageError::SecretKey(m)) => {
            ApiError::NotConfigured.reply(Some(&m))
        }
        other => {
            tracing::warn!(error = %other, "platform request failed");
            ApiError::Unavailable.reply(Some(&other.to_string()))
        }
    }
}

/// The sources part of the answers: as configured, with each one's live status.
async fn sources_view(app: &App, meeting: MeetingId) -> Result<serde_json::Value, Response> {
    let record = app
        .engine
        .store()
        .meeting(meeting)
        .await
        .map_err(internal)?
        .ok_or_else(|| ApiError::NotFound.reply(Some("no such meeting")))?;
    let running = app.engine.running(meeting);
    let statuses = running
        .as_ref()
        .map(|h| h.source_statuses())
        .unwrap_or_default();
    let (idle_status, idle_message) = if running.is_some() {
        ("connecting", "starting")
    } else {
        (
            "offline",
            "the meeting is not running: its sources start with it",
        )
    };
    let sources: Vec<serde_json::Value> = record
        .sources
        .iter()
        .map(|s| {
            let platform = s.source.platform().code();
            let status = statuses.iter().find(|st| st.platform == platform);
            let mut v = serde_json::to_value(&s.source).unwrap_or_default();
            if let Some(map) = v.as_object_mut() {
                map.insert(
                    "status".into(),
                    json!(status.map_or(idle_status, |s| s.status.as_str())),
                );
                map.insert(
                    "message".into(),
                    json!(status.map_or(idle_message, |s| s.message.as_str())),
                );
                map.insert("quota".into(), json!(status.and_then(|s| s.quota)));
            }
            v
        })
        .collect();
    Ok(json!({"sources": sources, "chat": record.chat}))
}

/// `GET /api/meetings/{id}/sources` (staff who may control it).
pub async fn get_sources(id: i64, headers: HeaderMap, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    match sources_view(&app, meeting).await {
        Ok(v) => warp::reply::json(&v).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SourcesBody {
    sources: Vec<Source>,
    #[serde(default)]
    chat: Option<ChatRules>,
}

/// `PUT /api/meetings/{id}/sources` `{"sources": [...], "chat": {...}}`: replaces the
/// meeting's sources (and chat rules, when given); a running meeting restarts its adapters
/// with the new set at once.
pub async fn put_sources(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    let staff = match principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let body: SourcesBody = match serde_json::from_slice(&body) {
        Ok(b) => b,
        Err(e) => {
            return ApiError::BadRequest.reply(Some(&format!(
                "expected {{\"sources\": [{{\"platform\": \"twitch\", \"channel\": \"NAME\", \"delay_secs\": 0}}, {{\"platform\": \"youtube\", \"video_id\": \"ID\"}}], \"chat\": {{…}}}}: {e}"
            )));
        }
    };
    let store = app.engine.store();
    let record = match store.meeting(meeting).await {
        Ok(Some(r)) => r,
        Ok(None) => return ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => return internal(e),
    };
    // A source left as it was keeps whose accounts it uses; a new or changed one uses the
    // accounts of whoever set it (when the meeting has no owner).
    let sources: Vec<StoredSource> = body
        .sources
        .into_iter()
        .map(Source::normalized)
        .map(|source| {
            let kept = record
                .sources
                .iter()
                .find(|old| old.source == source)
                .and_then(|old| old.added_by);
            StoredSource {
                added_by: kept.or(staff_user(&staff).map(|u| u.0)),
                source,
            }
        })
        .collect();
    let chat = body.chat.unwrap_or(record.chat);
    match store.set_meeting_streams(meeting, &sources, &chat).await {
        Ok(()) => {}
        Err(librekast_storage::StorageError::InvalidMeeting(m)) => {
            return ApiError::BadRequest.reply(Some(&m));
        }
        Err(librekast_storage::StorageError::NotFound) => {
            return ApiError::NotFound.reply(Some("no such meeting"));
        }
        Err(e) => return internal(e),
    }
    tracing::info!(meeting_id = %meeting, sources = sources.len(), "chat sources changed");
    if let Some(handle) = app.engine.running(meeting) {
        handle.reload_streams();
    }
    match sources_view(&app, meeting).await {
        Ok(v) => warp::reply::json(&v).into_response(),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct PostBody {
    text: String,
}

/// `POST /api/meetings/{id}/chat` `{"text"}`: posts a line to the meeting's chats (through
/// each adapter's throttled queue), with the bot prefix so it never counts as an answer.
pub async fn post_chat(id: i64, headers: HeaderMap, body: bytes::Bytes, app: App) -> Response {
    let meeting = MeetingId(id);
    if let Err(r) = principal::staff_allowed(&app, &headers, Action::Control, meeting).await {
        return r;
    }
    let Ok(body) = serde_json::from_slice::<PostBody>(&body) else {
        return ApiError::BadRequest.reply(Some("expected {\"text\"}"));
    };
    let text: String = body.text.trim().chars().take(400).collect();
    if text.is_empty() {
        return ApiError::BadRequest.reply(Some("the text is empty"));
    }
    let Some(handle) = app.engine.running(meeting) else {
        return ApiError::BadRequest.reply(Some("the meeting is not running"));
    };
    let prefix = match app.engine.store().meeting(meeting).await {
        Ok(Some(r)) => r.chat.bot_prefix,
        Ok(None) => return ApiError::NotFound.reply(Some("no such meeting")),
        Err(e) => return internal(e),
    };
    let sent = handle.post(&format!("{prefix}{text}"));
    warp::reply::json(&json!({"sent": sent})).into_response()
}

/// Restarts the adapters of every running meeting (an account changed: sources that use
/// it pick it up at once).
fn reload_running(app: &App) {
    for handle in app.engine.running_meetings() {
        handle.reload_streams();
    }
}

/// `GET /api/accounts`: the staff user's connected accounts, and which platforms this
/// server can connect (its OAuth clients).
pub async fn get_accounts(headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(user) = staff_user(&staff) else {
        return ApiError::Unauthorized.reply(None);
    };
    let accounts = match app.engine.store().accounts_of(user).await {
        Ok(a) => a,
        Err(e) => return internal(e),
    };
    let config = &app.adapters.config;
    warp::reply::json(&json!({
        "accounts": accounts,
        "platforms": {
            "twitch": {"configured": config.twitch.is_some()},
            "youtube": {
                "configured": config.google_web.is_some() && config.public_url.is_some(),
                "redirect_uri": config.youtube_redirect_uri(),
            },
        },
        "device": app.device_flows.get((user, Platform::Twitch)),
    }))
    .into_response()
}

/// `POST /api/accounts/twitch/device`: starts Twitch's device flow for the staff user:
/// `{verification_uri, user_code, expires_in}` to show; the server waits for the approval
/// and stores the account (`GET /api/accounts/twitch/device` tells how it went).
pub async fn start_twitch_device(headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(user) = staff_user(&staff) else {
        return ApiError::Unauthorized.reply(None);
    };
    let env = app.adapters.clone();
    let start = match env.twitch.start_device().await {
        Ok(s) => s,
        Err(e) => return adapter_error(e),
    };
    let key = (user, Platform::Twitch);
    let flow = DeviceFlow {
        status: "pending",
        verification_uri: start.verification_uri.clone(),
        user_code: start.user_code.clone(),
        expires_in: start.expires_in,
        login: None,
        message: None,
    };
    app.device_flows.set(key, flow.clone());
    let waiting = app.clone();
    tokio::spawn(async move {
        let result = match env.twitch.wait_device(&start).await {
            Ok(tokens) => save_twitch_response(&env.store, &env.twitch, user, &tokens).await,
            Err(e) => Err(e),
        };
        match result {
            Ok(record) => {
                tracing::info!(user = user.0, login = %record.login, "Twitch account connected");
                waiting.device_flows.update(key, |f| {
                    f.status = "connected";
                    f.login = Some(record.login.clone());
                });
                reload_running(&waiting);
            }
            Err(e) => {
                tracing::warn!(user = user.0, error = %e, "Twitch device flow failed");
                waiting.device_flows.update(key, |f| {
                    f.status = "failed";
                    f.message = Some(e.to_string());
                });
            }
        }
    });
    warp::reply::json(&flow).into_response()
}

/// `GET /api/accounts/twitch/device`: the staff user's latest device flow.
pub async fn twitch_device(headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(user) = staff_user(&staff) else {
        return ApiError::Unauthorized.reply(None);
    };
    match app.device_flows.get((user, Platform::Twitch)) {
        Some(flow) => warp::reply::json(&flow).into_response(),
        None => ApiError::NotFound.reply(Some("no device flow started")),
    }
}

/// `DELETE /api/accounts/{platform}`: removes the staff user's account on that platform
/// (its tokens are deleted; sources using it read anonymously or stop).
pub async fn delete_account(platform: String, headers: HeaderMap, app: App) -> Response {
    let staff = match principal::staff(&app, &headers).await {
        Ok(p) => p,
        Err(r) => return r,
    };
    let Some(user) = staff_user(&staff) else {
        return ApiError::Unauthorized.reply(None);
    };
    let Some(platform) = Platform::from_code(&platform).filter(|p| *p != Platform::Room) else {
        return ApiError::NotFound.reply(Some("use twitch or youtube"));
    };
    match app.engine.store().delete_account(user, platform).await {
        Ok(true) => {
            tracing::info!(
                user = user.0,
                platform = platform.code(),
                "platform account removed"
            );
            reload_running(&app);
            warp::reply::json(&json!({"removed": platform.code()})).into_response()
        }
        Ok(false) => ApiError::NotFound.reply(Some("no such account connected")),
        Err(e) => internal(e),
    }
}

fn redirect(to: &str) -> Response {
    warp::reply::with_header(
        warp::reply::with_status(warp::reply(), warp::http::StatusCode::SEE_OTHER),
        warp::http::header::LOCATION,
        to,
    )
    .into_response()
}

/// The dashboard page to come back to, with the outcome for its toast.
fn back_to(path: &str, key: &str, value: &str) -> String {
    let sep = if path.contains('?') { '&' } else { '?' };
    let value: String = value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect();
    format!("{path}{sep}{key}={value}")
}

/// `GET /oauth/youtube/start?meeting=ID` (staff): sends the browser to Google's consent
/// page for the web client; Google sends it back to `/oauth/youtube/callback`.
pub async fn youtube_start(
    headers: HeaderMap,
    query: HashMap<String, String>,
    app: App,
) -> Response {
    // A browser without a staff session goes to the dashboard's login first.
    let Ok(staff) = principal::staff(&app, &headers).await else {
        return redirect("/organize.html");
    };
    let Some(user) = staff_user(&staff) else {
        return redirect("/organize.html");
    };
    let back = match query.get("meeting").and_then(|m| m.parse::<i64>().ok()) {
        Some(m) => format!("/organize.html?meeting={m}"),
        None => "/organize.html".to_string(),
    };
    match librekast_adapters::youtube::accounts::connect_start(&app.adapters, user) {
        Ok(url) => {
            if let Some(state) = url
                .split(['?', '&'])
                .find_map(|kv| kv.strip_prefix("state="))
            {
                app.oauth_returns.put(state.to_string(), back);
            }
            redirect(&url)
        }
        Err(e) => redirect(&back_to(&back, "account_error", &e.to_string())),
    }
}

/// `GET /oauth/youtube/callback?state=…&code=…` (or `&error=…`): Google's redirect. The
/// state must be one this server issued, unused and recent; the account is connected for
/// the staff user who started the flow, and the browser goes back to the dashboard.
pub async fn youtube_callback(query: HashMap<String, String>, app: App) -> Response {
    let state = query.get("state").cloned().unwrap_or_default();
    let back = app
        .oauth_returns
        .take(&state)
        .unwrap_or_else(|| "/organize.html".to_string());
    if let Some(error) = query.get("error") {
        librekast_adapters::youtube::accounts::forget_state(&app.adapters, &state);
        let why = if error == "access_denied" {
            "access was not granted on Google's page".to_string()
        } else {
            format!("Google answered {error}")
        };
        return redirect(&back_to(&back, "account_error", &why));
    }
    let Some(code) = query.get("code") else {
        return redirect(&back_to(&back, "account_error", "Google sent no code"));
    };
    match librekast_adapters::youtube::accounts::connect_callback(&app.adapters, &state, code).await
    {
        Ok(record) => {
            tracing::info!(user = record.user_id.0, login = %record.login, "YouTube account connected");
            reload_running(&app);
            redirect(&back_to(&back, "account_connected", &record.login))
        }
        Err(e) => {
            tracing::warn!(error = %e, "YouTube sign-in failed");
            redirect(&back_to(&back, "account_error", &e.to_string()))
        }
    }
}
