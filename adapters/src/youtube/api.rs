//! The YouTube Data API calls the adapter makes. `videos.list`, `liveBroadcasts.list`,
//! `channels.list`, `liveChatMessages.list` and `insert` go through google-youtube3's hub
//! (its base URL is `LIBREKAST_YOUTUBE_API_URL`, a fake on loopback in tests; the access
//! token is our stored one: the crate implements its `GetToken` for `String`).
//! `liveChatMessages.streamList` is our own streaming request: the crate's call reads the
//! whole body, which never ends while the chat is live ([`super::stream`]).
//!
//! TLS: rustls with the ring provider given explicitly, and webpki roots, like the Twitch
//! transport (STACK.md: never depend on which provider is the process default).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use google_youtube3::YouTube;
use google_youtube3::api::{
    LiveChatMessage, LiveChatMessageListResponse, LiveChatMessageSnippet,
    LiveChatTextMessageDetails,
};
use google_youtube3::common;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::Value;
use thiserror::Error;

use super::stream::{ArrayReader, StreamError};
use crate::AdapterError;
use crate::config::PlatformConfig;

pub type Connector = hyper_rustls::HttpsConnector<HttpConnector>;

/// One request (other than the stream) waits at most this long.
pub const HTTP_TIMEOUT: Duration = Duration::from_secs(15);
/// `maxResults` of list calls: the most Google allows, so a busy chat needs fewer calls.
pub const MAX_RESULTS: u32 = 2_000;
/// Error bodies read at most (they are small JSON documents).
const MAX_ERROR_BODY: usize = 64 * 1024;

const PARTS: [&str; 3] = ["id", "snippet", "authorDetails"];

/// What went wrong with a call, as the session must tell it apart.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// 403 `quotaExceeded`: the project's daily quota is spent.
    #[error("the YouTube Data API quota is exhausted")]
    Quota,
    /// 403 `liveChatEnded`: the broadcast is over.
    #[error("the live chat has ended")]
    ChatEnded,
    /// 404 `liveChatNotFound`.
    #[error("the live chat was not found")]
    ChatNotFound,
    /// 401: the access token is expired or revoked.
    #[error("YouTube refused the access token")]
    Unauthorized,
    /// 400 `invalidPageToken`.
    #[error("YouTube refused the page token")]
    InvalidPageToken,
    /// 404 (not a chat) or 501: the method is not available here (streamList).
    #[error("not available ({0})")]
    Unavailable(u16),
    /// Another 403: the account may not do this (`forbidden`, `liveChatDisabled`…).
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The stream's body is not what we expect (its framing is documented nowhere we
    /// could find): the session falls back to `list`.
    #[error("unreadable streamList answer: {0}")]
    Unreadable(String),
    /// Network failure, timeout, server error, unexpected answer.
    #[error("{0}")]
    Other(String),
}

impl From<ApiError> for AdapterError {
    fn from(e: ApiError) -> AdapterError {
        match e {
            ApiError::Unauthorized => AdapterError::AuthRefused(e.to_string()),
            ApiError::Forbidden(_) => AdapterError::Refused(e.to_string()),
            _ => AdapterError::Platform(e.to_string()),
        }
    }
}

impl From<StreamError> for ApiError {
    fn from(e: StreamError) -> ApiError {
        ApiError::Unreadable(e.to_string())
    }
}

/// Sorts an error answer by HTTP status and Google's `reason`.
pub fn classify(status: u16, body: &Value) -> ApiError {
    let error = &body["error"];
    let reason = error["errors"][0]["reason"].as_str().unwrap_or_default();
    let message = error["message"].as_str().unwrap_or_default();
    match (status, reason) {
        (_, "quotaExceeded" | "dailyLimitExceeded") => ApiError::Quota,
        (_, "liveChatEnded") => ApiError::ChatEnded,
        (_, "liveChatNotFound") => ApiError::ChatNotFound,
        (_, "invalidPageToken") => ApiError::InvalidPageToken,
        (401, _) => ApiError::Unauthorized,
        (404 | 501, _) => ApiError::Unavailable(status),
        (403, _) => ApiError::Forbidden(if reason.is_empty() { message } else { reason }.into()),
        _ => ApiError::Other(format!(
            "YouTube answered {status} {reason} {}",
            message.chars().take(200).collect::<String>()
        )),
    }
}

fn from_hub(e: common::Error) -> ApiError {
    match e {
        common::Error::BadRequest(body) => {
            let status = body["error"]["code"]
                .as_u64()
                .and_then(|c| u16::try_from(c).ok())
                .unwrap_or(400);
            classify(status, &body)
        }
        common::Error::Failure(response) => classify(response.status().as_u16(), &Value::Null),
        common::Error::HttpError(e) => {
            ApiError::Other(format!("cannot reach YouTube: {}", chain(&e)))
        }
        // Not the body: it is chat text, not worth a log line.
        common::Error::JsonDecodeError(_, e) => {
            ApiError::Other(format!("unexpected answer from YouTube: {e}"))
        }
        common::Error::MissingToken(_) => ApiError::Unauthorized,
        e => ApiError::Other(e.to_string().trim().to_string()),
    }
}

/// An error with its causes ("client error (Connect): tcp connect error: refused").
fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

async fn call<T>(
    request: impl Future<Output = common::Result<(common::Response, T)>>,
) -> Result<T, ApiError> {
    match tokio::time::timeout(HTTP_TIMEOUT, request).await {
        Err(_) => Err(ApiError::Other(format!(
            "YouTube did not answer within {} s",
            HTTP_TIMEOUT.as_secs()
        ))),
        Ok(Ok((_, value))) => Ok(value),
        Ok(Err(e)) => Err(from_hub(e)),
    }
}

/// A page of chat: a list answer or one object of the stream.
#[derive(Debug, Default)]
pub struct Page {
    pub items: Vec<LiveChatMessage>,
    pub next_page_token: Option<String>,
    pub polling: Option<Duration>,
    /// `offlineAt` was set: the broadcast ended, no more messages will come.
    pub offline: bool,
}

impl From<LiveChatMessageListResponse> for Page {
    fn from(r: LiveChatMessageListResponse) -> Page {
        Page {
            items: r.items.unwrap_or_default(),
            next_page_token: r.next_page_token.filter(|t| !t.is_empty()),
            polling: r
                .polling_interval_millis
                .map(|ms| Duration::from_millis(u64::from(ms))),
            offline: r.offline_at.is_some(),
        }
    }
}

/// A broadcast's chat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LiveChat {
    pub video_id: String,
    pub chat_id: String,
}

pub struct YoutubeApi {
    client: common::Client<Connector>,
    base_url: String,
    stream_http: reqwest::Client,
}

impl YoutubeApi {
    pub fn new(config: &PlatformConfig) -> Result<YoutubeApi, AdapterError> {
        let base_url = base_url(&config.youtube_api_url)?;
        let roots = rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        };
        let tls = rustls::ClientConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .map_err(|e| AdapterError::Platform(format!("TLS for YouTube: {e}")))?
        .with_root_certificates(roots)
        .with_no_client_auth();
        let connector = hyper_rustls::HttpsConnectorBuilder::new()
            .with_tls_config(tls)
            .https_or_http()
            .enable_http1()
            .build();
        let client =
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build(connector);
        // No total timeout: the stream stays open as long as the chat is live. Keepalive
        // probes notice a peer that vanished.
        let stream_http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .tcp_keepalive(Duration::from_secs(30))
            .build()
            .map_err(|e| AdapterError::Platform(e.to_string()))?;
        Ok(YoutubeApi {
            client,
            base_url,
            stream_http,
        })
    }

    /// A hub that calls with `token` (cheap: the connection pool is shared).
    fn hub(&self, token: &str) -> YouTube<Connector> {
        let mut hub = YouTube::new(self.client.clone(), token.to_string());
        hub.base_url(self.base_url.clone());
        hub.root_url(self.base_url.clone());
        hub
    }

    /// The live chat of a video, if it is live (`videos.list`, 1 unit).
    pub async fn video_chat(
        &self,
        token: &str,
        video_id: &str,
    ) -> Result<Option<LiveChat>, ApiError> {
        let hub = self.hub(token);
        let list = call(
            hub.videos()
                .list(&vec!["liveStreamingDetails".into()])
                .add_id(video_id)
                .doit(),
        )
        .await?;
        Ok(list
            .items
            .unwrap_or_default()
            .into_iter()
            .find_map(|v| v.live_streaming_details?.active_live_chat_id)
            .filter(|c| !c.is_empty())
            .map(|chat_id| LiveChat {
                video_id: video_id.to_string(),
                chat_id,
            }))
    }

    /// The account's live broadcast and its chat (`liveBroadcasts.list`, 1 unit). Only
    /// `broadcastStatus` is sent: Google takes exactly one filter, and it implies the
    /// authenticated user's broadcasts.
    pub async fn active_broadcast(&self, token: &str) -> Result<Option<LiveChat>, ApiError> {
        let hub = self.hub(token);
        let list = call(
            hub.live_broadcasts()
                .list(&vec!["snippet".into()])
                .broadcast_status("active")
                .doit(),
        )
        .await?;
        Ok(list.items.unwrap_or_default().into_iter().find_map(|b| {
            let chat_id = b.snippet?.live_chat_id.filter(|c| !c.is_empty())?;
            Some(LiveChat {
                video_id: b.id.unwrap_or_default(),
                chat_id,
            })
        }))
    }

    /// The account's channel: (id, title) (`channels.list`, 1 unit).
    pub async fn my_channel(&self, token: &str) -> Result<Option<(String, String)>, ApiError> {
        let hub = self.hub(token);
        let list = call(
            hub.channels()
                .list(&vec!["snippet".into()])
                .mine(true)
                .doit(),
        )
        .await?;
        Ok(list.items.unwrap_or_default().into_iter().find_map(|c| {
            let id = c.id?;
            let title = c
                .snippet
                .and_then(|s| s.title)
                .unwrap_or_else(|| id.clone());
            Some((id, title))
        }))
    }

    /// One page of chat after `page_token` (`liveChatMessages.list`, 5 units).
    pub async fn list(
        &self,
        token: &str,
        chat_id: &str,
        page_token: Option<&str>,
    ) -> Result<Page, ApiError> {
        let hub = self.hub(token);
        let parts: Vec<String> = PARTS.iter().map(|p| p.to_string()).collect();
        let mut request = hub
            .live_chat_messages()
            .list(chat_id, &parts)
            .max_results(MAX_RESULTS);
        if let Some(t) = page_token {
            request = request.page_token(t);
        }
        call(request.doit()).await.map(Page::from)
    }

    /// Posts a text message (`liveChatMessages.insert`, 20 units).
    pub async fn insert(&self, token: &str, chat_id: &str, text: &str) -> Result<(), ApiError> {
        let hub = self.hub(token);
        let message = LiveChatMessage {
            snippet: Some(LiveChatMessageSnippet {
                live_chat_id: Some(chat_id.to_string()),
                type_: Some("textMessageEvent".into()),
                text_message_details: Some(LiveChatTextMessageDetails {
                    message_text: Some(text.to_string()),
                }),
                ..Default::default()
            }),
            ..Default::default()
        };
        call(hub.live_chat_messages().insert(message).doit())
            .await
            .map(|_| ())
    }

    /// Opens `liveChatMessages.streamList` (5 units per connection) after `page_token`.
    pub async fn stream(
        &self,
        token: &str,
        chat_id: &str,
        page_token: Option<&str>,
    ) -> Result<ChatStream, ApiError> {
        let mut query: Vec<(&str, &str)> = vec![("liveChatId", chat_id)];
        query.extend(PARTS.iter().map(|p| ("part", *p)));
        query.push(("maxResults", "2000"));
        query.push(("alt", "json"));
        if let Some(t) = page_token {
            query.push(("pageToken", t));
        }
        let request = self
            .stream_http
            .get(format!(
                "{}youtube/v3/liveChat/messages/stream",
                self.base_url
            ))
            .query(&query)
            .bearer_auth(token)
            .send();
        let response = tokio::time::timeout(HTTP_TIMEOUT, request)
            .await
            .map_err(|_| ApiError::Other("YouTube did not open the chat stream in time".into()))?
            .map_err(|e| ApiError::Other(format!("cannot reach YouTube: {}", chain(&e))))?;
        let status = response.status();
        if !status.is_success() {
            let body = read_error_body(response).await;
            return Err(classify(status.as_u16(), &body));
        }
        Ok(ChatStream {
            response,
            reader: ArrayReader::default(),
        })
    }
}

async fn read_error_body(mut response: reqwest::Response) -> Value {
    let mut body = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        body.extend_from_slice(&chunk);
        if body.len() > MAX_ERROR_BODY {
            break;
        }
    }
    serde_json::from_slice(&body).unwrap_or(Value::Null)
}

/// `LIBREKAST_YOUTUBE_API_URL` checked (http or https) and ending with `/`, as the hub
/// appends paths to it.
fn base_url(url: &str) -> Result<String, AdapterError> {
    let parsed = reqwest::Url::parse(url).map_err(|e| {
        AdapterError::NotConfigured(format!("LIBREKAST_YOUTUBE_API_URL={url:?}: {e}"))
    })?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(AdapterError::NotConfigured(format!(
            "LIBREKAST_YOUTUBE_API_URL={url:?}: use an https:// (or http://) address"
        )));
    }
    let mut url = parsed.to_string();
    if !url.ends_with('/') {
        url.push('/');
    }
    Ok(url)
}

/// An open `streamList` response.
pub struct ChatStream {
    response: reqwest::Response,
    reader: ArrayReader,
}

impl ChatStream {
    /// The next object; `None` when the stream closed (`]` or end of body). Cancel-safe:
    /// it waits only for the next chunk, and keeps what it read.
    pub async fn next(&mut self) -> Result<Option<Page>, ApiError> {
        loop {
            if let Some(object) = self.reader.next_object()? {
                let page: LiveChatMessageListResponse = serde_json::from_slice(&object)
                    .map_err(|e| ApiError::Unreadable(e.to_string()))?;
                return Ok(Some(page.into()));
            }
            if self.reader.is_done() {
                return Ok(None);
            }
            match self.response.chunk().await {
                Ok(Some(bytes)) => self.reader.push(&bytes)?,
                Ok(None) => return Ok(None),
                Err(e) => {
                    return Err(ApiError::Other(format!(
                        "the chat stream broke: {}",
                        chain(&e)
                    )));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn errors_are_sorted_by_reason_then_status() {
        let body = |code: u16, reason: &str| json!({"error": {"code": code, "message": "m", "errors": [{"reason": reason, "domain": "d"}]}});
        assert_eq!(classify(403, &body(403, "quotaExceeded")), ApiError::Quota);
        assert_eq!(
            classify(403, &body(403, "liveChatEnded")),
            ApiError::ChatEnded
        );
        assert_eq!(
            classify(404, &body(404, "liveChatNotFound")),
            ApiError::ChatNotFound
        );
        assert_eq!(
            classify(401, &body(401, "authError")),
            ApiError::Unauthorized
        );
        assert_eq!(
            classify(501, &body(501, "notImplemented")),
            ApiError::Unavailable(501)
        );
        assert_eq!(classify(404, &Value::Null), ApiError::Unavailable(404));
        assert_eq!(
            classify(403, &body(403, "liveChatDisabled")),
            ApiError::Forbidden("liveChatDisabled".into())
        );
        assert!(matches!(classify(500, &Value::Null), ApiError::Other(_)));
        assert_eq!(
            from_hub(common::Error::BadRequest(body(403, "quotaExceeded"))),
            ApiError::Quota
        );
    }

    #[test]
    fn the_base_url_ends_with_a_slash() {
        assert_eq!(
            base_url("http://127.0.0.1:9").unwrap(),
            "http://127.0.0.1:9/"
        );
        assert_eq!(
            base_url("https://youtube.googleapis.com/").unwrap(),
            "https://youtube.googleapis.com/"
        );
        assert!(base_url("ftp://x/").is_err());
        assert!(base_url("youtube").is_err());
    }

    #[test]
    fn pages_from_the_recorded_shape() {
        let r: LiveChatMessageListResponse = serde_json::from_value(json!({
            "kind": "youtube#liveChatMessageListResponse",
            "etag": "e",
            "nextPageToken": "GOCw",
            "pollingIntervalMillis": 2008,
            "offlineAt": "2026-07-01T12:00:00.123456+00:00",
            "pageInfo": {"totalResults": 1, "resultsPerPage": 1},
            "items": [{
                "kind": "youtube#liveChatMessage", "etag": "x", "id": "LCC.1",
                "snippet": {"type": "textMessageEvent", "liveChatId": "c", "authorChannelId": "UC1",
                    "publishedAt": "2026-07-01T11:59:59.5+00:00", "hasDisplayContent": true,
                    "displayMessage": "#a", "textMessageDetails": {"messageText": "#a"}},
                "authorDetails": {"channelId": "UC1", "displayName": "Viewer", "isChatOwner": false}
            }]
        }))
        .unwrap();
        let page = Page::from(r);
        assert_eq!(page.items.len(), 1);
        assert_eq!(page.next_page_token.as_deref(), Some("GOCw"));
        assert_eq!(page.polling, Some(Duration::from_millis(2008)));
        assert!(page.offline);
    }
}
