//! Google OAuth 2.0 for YouTube (https://developers.google.com/identity/protocols/oauth2):
//! the redirect flow of a "Web application" client (the dashboard; the `youtube.force-ssl`
//! scope that posting needs), the device flow of a "TVs and Limited Input devices" client
//! (the CLI; Google allows only some scopes there, so it asks for `youtube.readonly`), and
//! refreshing a token with the client that issued it (Google refuses a refresh token from
//! another client with `unauthorized_client`).
//!
//! Google answers token errors as RFC 6749 `{error, error_description}`; the device flow's
//! polling answers 428 `authorization_pending`, 403 `slow_down` or `access_denied`, and 400
//! `expired_token` (developers.google.com/youtube/v3/live/guides/auth/devices).

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Duration;

use librekast_storage::UserId;
use serde::Deserialize;
use tokio::time::Instant;

use crate::AdapterError;
use crate::config::{OAuthClient, PlatformConfig};

/// Read, and post in live chat (the dashboard's redirect flow).
pub const SCOPE_FORCE_SSL: &str = "https://www.googleapis.com/auth/youtube.force-ssl";
/// Read only: what the device flow asks for.
pub const SCOPE_READONLY: &str = "https://www.googleapis.com/auth/youtube.readonly";
/// Full access also allows posting (an account connected elsewhere may carry it).
pub const SCOPE_FULL: &str = "https://www.googleapis.com/auth/youtube";

/// The device code grant type (RFC 8628).
pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// One HTTP request waits at most this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

/// How long a dashboard connection may take between the redirect and the callback.
pub const STATE_TTL: Duration = Duration::from_secs(600);
/// Pending dashboard connections remembered at most; beyond it the oldest is forgotten
/// (its callback then fails with "start again"), so a flood of starts cannot grow memory.
pub const MAX_PENDING_STATES: usize = 1_024;

/// Which of the two Google clients a token belongs to (`AccountRecord::client`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GoogleClient {
    /// `LIBREKAST_GOOGLE_CLIENT_ID`: "Web application" (redirect flow, refresh tokens
    /// pasted into the CLI).
    Web,
    /// `LIBREKAST_GOOGLE_DEVICE_CLIENT_ID`: "TVs and Limited Input devices" (device flow).
    Device,
}

impl GoogleClient {
    pub fn code(self) -> &'static str {
        match self {
            GoogleClient::Web => "google_web",
            GoogleClient::Device => "google_device",
        }
    }

    pub fn from_code(code: &str) -> Option<GoogleClient> {
        [GoogleClient::Web, GoogleClient::Device]
            .into_iter()
            .find(|c| c.code() == code)
    }

    fn variables(self) -> &'static str {
        match self {
            GoogleClient::Web => "LIBREKAST_GOOGLE_CLIENT_ID and LIBREKAST_GOOGLE_CLIENT_SECRET",
            GoogleClient::Device => {
                "LIBREKAST_GOOGLE_DEVICE_CLIENT_ID and LIBREKAST_GOOGLE_DEVICE_CLIENT_SECRET"
            }
        }
    }

    fn kind(self) -> &'static str {
        match self {
            GoogleClient::Web => "Web application",
            GoogleClient::Device => "TVs and Limited Input devices",
        }
    }
}

/// What the device flow start returns: show `verification_url` and `user_code`.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceStart {
    pub device_code: String,
    pub user_code: String,
    /// Google names it `verification_url` (RFC 8628 says `verification_uri`).
    #[serde(alias = "verification_uri")]
    pub verification_url: String,
    pub expires_in: u64,
    #[serde(default = "default_interval")]
    pub interval: u64,
}

fn default_interval() -> u64 {
    5
}

#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    /// Absent from refresh answers: the old refresh token stays valid.
    #[serde(default)]
    pub refresh_token: Option<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    /// Space-separated, as granted.
    #[serde(default)]
    pub scope: Option<String>,
}

impl TokenResponse {
    pub fn scopes(&self) -> Vec<String> {
        self.scope
            .as_deref()
            .unwrap_or_default()
            .split_whitespace()
            .map(str::to_owned)
            .collect()
    }
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens never reach a log.
        f.write_str("TokenResponse(…)")
    }
}

/// One poll of the device flow.
#[derive(Debug)]
pub enum DevicePoll {
    Pending,
    SlowDown,
    Done(TokenResponse),
}

#[derive(Deserialize)]
struct OAuthErrorBody {
    #[serde(default)]
    error: String,
    #[serde(default)]
    error_description: String,
}

fn oauth_error(body: &str) -> (String, String) {
    serde_json::from_str::<OAuthErrorBody>(body)
        .map(|e| (e.error, e.error_description))
        .unwrap_or_default()
}

/// The consent page address for the redirect flow (`access_type=offline` and
/// `prompt=consent`, so Google returns a refresh token every time, even to an account that
/// consented before).
pub fn authorize_url(
    auth_url: &str,
    client: &OAuthClient,
    redirect_uri: &str,
    state: &str,
    scopes: &[&str],
) -> Result<String, AdapterError> {
    let mut url = reqwest::Url::parse(auth_url).map_err(|e| {
        AdapterError::NotConfigured(format!("LIBREKAST_GOOGLE_AUTH_URL={auth_url:?}: {e}"))
    })?;
    url.query_pairs_mut()
        .append_pair("client_id", &client.id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", state)
        .append_pair("access_type", "offline")
        .append_pair("prompt", "consent")
        .append_pair("include_granted_scopes", "true");
    Ok(url.into())
}

/// Google's OAuth endpoints and our two clients.
#[derive(Debug, Clone)]
pub struct GoogleAuth {
    http: reqwest::Client,
    auth_url: String,
    token_url: String,
    device_url: String,
    web: Option<OAuthClient>,
    device: Option<OAuthClient>,
    redirect_uri: Option<String>,
}

impl GoogleAuth {
    pub fn new(config: &PlatformConfig) -> Result<GoogleAuth, AdapterError> {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| AdapterError::Platform(e.to_string()))?;
        Ok(GoogleAuth {
            http,
            auth_url: config.google_auth_url.clone(),
            token_url: config.google_token_url.clone(),
            device_url: config.google_device_url.clone(),
            web: config.google_web.clone(),
            device: config.google_device.clone(),
            redirect_uri: config.youtube_redirect_uri(),
        })
    }

    /// A configured client, or what to configure.
    pub fn client(&self, which: GoogleClient) -> Result<&OAuthClient, AdapterError> {
        let client = match which {
            GoogleClient::Web => self.web.as_ref(),
            GoogleClient::Device => self.device.as_ref(),
        };
        client.ok_or_else(|| {
            AdapterError::NotConfigured(format!(
                "{} are not set: create a \"{}\" OAuth client for the YouTube Data API v3 in the Google Cloud console (docs/streaming.md)",
                which.variables(),
                which.kind()
            ))
        })
    }

    /// The redirect URI registered for the dashboard's flow.
    pub fn redirect_uri(&self) -> Result<&str, AdapterError> {
        self.redirect_uri.as_deref().ok_or_else(|| {
            AdapterError::NotConfigured(
                "LIBREKAST_PUBLIC_URL is not set: Google needs it to send the browser back to {LIBREKAST_PUBLIC_URL}/oauth/youtube/callback".into(),
            )
        })
    }

    /// The consent page for the dashboard's flow, with the web client, our redirect URI and
    /// the posting scope.
    pub fn authorize_url(&self, state: &str) -> Result<String, AdapterError> {
        authorize_url(
            &self.auth_url,
            self.client(GoogleClient::Web)?,
            self.redirect_uri()?,
            state,
            &[SCOPE_FORCE_SSL],
        )
    }

    /// Exchanges the code the callback received (web client).
    pub async fn exchange_code(
        &self,
        code: &str,
        redirect_uri: &str,
    ) -> Result<TokenResponse, AdapterError> {
        let client = self.client(GoogleClient::Web)?;
        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", redirect_uri),
            ("client_id", client.id.as_str()),
        ];
        if let Some(secret) = &client.secret {
            form.push(("client_secret", secret.as_str()));
        }
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status.is_success() {
            return parse_tokens(&body);
        }
        let (error, description) = oauth_error(&body);
        Err(match error.as_str() {
            "invalid_grant" => AdapterError::Expired(
                "Google refused the code (expired or already used): connect again".into(),
            ),
            "invalid_client" | "unauthorized_client" | "redirect_uri_mismatch" => {
                AdapterError::NotConfigured(format!(
                    "Google refused the web client ({error}: {description}): check LIBREKAST_GOOGLE_CLIENT_ID/_SECRET and that {redirect_uri} is an authorized redirect URI"
                ))
            }
            _ => token_error("exchange the code", status, &error, &description),
        })
    }

    /// Starts the device flow (device client, read-only scope).
    pub async fn start_device(&self) -> Result<DeviceStart, AdapterError> {
        let client = self.client(GoogleClient::Device)?;
        let mut form = vec![("client_id", client.id.as_str()), ("scope", SCOPE_READONLY)];
        // Google's device endpoint needs only the id; the secret identifies the client
        // where an endpoint checks it.
        if let Some(secret) = &client.secret {
            form.push(("client_secret", secret.as_str()));
        }
        let (status, body) = self.post(&self.device_url, &form).await?;
        if !status.is_success() {
            let (error, description) = oauth_error(&body);
            return Err(match error.as_str() {
                "invalid_client" | "unauthorized_client" => AdapterError::NotConfigured(format!(
                    "Google refused the device client ({error}: {description}): LIBREKAST_GOOGLE_DEVICE_CLIENT_ID must be a \"TVs and Limited Input devices\" client"
                )),
                _ => token_error("start the device flow", status, &error, &description),
            });
        }
        serde_json::from_str(&body)
            .map_err(|e| AdapterError::Platform(format!("Google's device answer: {e}")))
    }

    /// Asks once whether the user approved the code.
    pub async fn poll_device(&self, device_code: &str) -> Result<DevicePoll, AdapterError> {
        let client = self.client(GoogleClient::Device)?;
        let mut form = vec![
            ("client_id", client.id.as_str()),
            ("device_code", device_code),
            ("grant_type", DEVICE_GRANT),
        ];
        if let Some(secret) = &client.secret {
            form.push(("client_secret", secret.as_str()));
        }
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status.is_success() {
            return parse_tokens(&body).map(DevicePoll::Done);
        }
        let (error, description) = oauth_error(&body);
        match error.as_str() {
            "authorization_pending" => Ok(DevicePoll::Pending),
            "slow_down" => Ok(DevicePoll::SlowDown),
            "access_denied" => Err(AdapterError::AuthRefused(
                "access was denied on the Google consent page".into(),
            )),
            "expired_token" | "invalid_grant" => Err(AdapterError::Expired(
                "the code expired or was already used: start again".into(),
            )),
            _ => Err(token_error(
                "finish the device flow",
                status,
                &error,
                &description,
            )),
        }
    }

    /// Polls until the user approves (or the code expires), at the interval Google asks.
    pub async fn wait_device(&self, start: &DeviceStart) -> Result<TokenResponse, AdapterError> {
        let mut interval = Duration::from_secs(start.interval.max(1));
        let deadline = Instant::now() + Duration::from_secs(start.expires_in.max(1));
        loop {
            tokio::time::sleep(interval).await;
            match self.poll_device(&start.device_code).await? {
                DevicePoll::Done(tokens) => return Ok(tokens),
                DevicePoll::Pending => {}
                // RFC 8628 §3.5: add 5 seconds to the interval.
                DevicePoll::SlowDown => interval += Duration::from_secs(5),
            }
            if Instant::now() >= deadline {
                return Err(AdapterError::Expired(
                    "the code expired before it was approved: start again".into(),
                ));
            }
        }
    }

    /// A new access token from a refresh token, with the client that issued it.
    /// `AuthRefused` when Google no longer accepts the refresh token (revoked, expired,
    /// issued to another client).
    pub async fn refresh(
        &self,
        which: GoogleClient,
        refresh_token: &str,
    ) -> Result<TokenResponse, AdapterError> {
        let client = self.client(which)?;
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", client.id.as_str()),
        ];
        if let Some(secret) = &client.secret {
            form.push(("client_secret", secret.as_str()));
        }
        let (status, body) = self.post(&self.token_url, &form).await?;
        if status.is_success() {
            return parse_tokens(&body);
        }
        let (error, description) = oauth_error(&body);
        Err(match error.as_str() {
            "invalid_grant" | "unauthorized_client" => AdapterError::AuthRefused(format!(
                "Google refused to refresh the token ({error}: {description}): connect the YouTube account again"
            )),
            "invalid_client" => AdapterError::NotConfigured(format!(
                "Google refused the {} client ({description}): check {}",
                which.kind(),
                which.variables()
            )),
            _ => token_error("refresh the token", status, &error, &description),
        })
    }

    async fn post(
        &self,
        url: &str,
        form: &[(&str, &str)],
    ) -> Result<(reqwest::StatusCode, String), AdapterError> {
        let response = self.http.post(url).form(form).send().await?;
        let status = response.status();
        Ok((status, response.text().await?))
    }
}

fn parse_tokens(body: &str) -> Result<TokenResponse, AdapterError> {
    // serde's message names the field, never the value.
    serde_json::from_str(body)
        .map_err(|e| AdapterError::Platform(format!("Google's token answer: {e}")))
}

fn token_error(
    what: &str,
    status: reqwest::StatusCode,
    error: &str,
    description: &str,
) -> AdapterError {
    AdapterError::Platform(format!(
        "Google would not {what}: {status} {error} {}",
        description.chars().take(200).collect::<String>()
    ))
}

/// Dashboard connections under way: the `state` sent to Google and the user who started
/// the flow. A callback is accepted only with a state we issued, once, within
/// [`STATE_TTL`], and connects the account of the user who started it (not of whoever
/// holds the callback URL). Bounded by [`MAX_PENDING_STATES`] (the oldest is dropped).
#[derive(Debug, Default)]
pub struct OAuthStates {
    pending: Mutex<VecDeque<(String, UserId, Instant)>>,
}

impl OAuthStates {
    /// A fresh unguessable state for `user`.
    pub fn issue(&self, user: UserId) -> String {
        let state: String = (0..32)
            .map(|_| char::from(b"0123456789abcdef"[rand::random_range(0..16usize)]))
            .collect();
        if let Ok(mut pending) = self.pending.lock() {
            let now = Instant::now();
            pending.retain(|(_, _, at)| now.duration_since(*at) < STATE_TTL);
            if pending.len() >= MAX_PENDING_STATES {
                pending.pop_front();
            }
            pending.push_back((state.clone(), user, now));
        }
        state
    }

    /// The user who started the flow with `state`; the state is used up.
    pub fn take(&self, state: &str) -> Option<UserId> {
        let mut pending = self.pending.lock().ok()?;
        let index = pending.iter().position(|(s, _, _)| s == state)?;
        let (_, user, at) = pending.remove(index)?;
        (Instant::now().duration_since(at) < STATE_TTL).then_some(user)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consent_url_asks_for_offline_access_and_the_posting_scope() {
        let client = OAuthClient {
            id: "web id".into(),
            secret: Some("s".into()),
        };
        let url = authorize_url(
            "https://accounts.google.com/o/oauth2/auth",
            &client,
            "https://q.example.org/oauth/youtube/callback",
            "st&te",
            &[SCOPE_FORCE_SSL],
        )
        .unwrap();
        let parsed = reqwest::Url::parse(&url).unwrap();
        let q: std::collections::HashMap<_, _> = parsed.query_pairs().into_owned().collect();
        assert_eq!(q["client_id"], "web id");
        assert_eq!(
            q["redirect_uri"],
            "https://q.example.org/oauth/youtube/callback"
        );
        assert_eq!(q["scope"], SCOPE_FORCE_SSL);
        assert_eq!(q["state"], "st&te");
        assert_eq!(q["access_type"], "offline");
        assert_eq!(q["prompt"], "consent");
        assert_eq!(q["response_type"], "code");
        assert!(
            !url.contains("client_secret"),
            "the secret never leaves the server"
        );
        assert!(authorize_url("not a url", &client, "r", "s", &[]).is_err());
    }

    #[test]
    fn token_bodies_as_google_sends_them() {
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"ya29.a","expires_in":3599,"refresh_token":"1//0r","scope":"https://www.googleapis.com/auth/youtube.readonly https://www.googleapis.com/auth/youtube.force-ssl","token_type":"Bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.scopes(), vec![SCOPE_READONLY, SCOPE_FORCE_SSL]);
        // A refresh answer has no refresh token.
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"ya29.b","expires_in":3599,"token_type":"Bearer"}"#,
        )
        .unwrap();
        assert!(t.refresh_token.is_none() && t.scopes().is_empty());
        assert!(!format!("{t:?}").contains("ya29"), "tokens never in Debug");
        let d: DeviceStart = serde_json::from_str(
            r#"{"device_code":"AH-1","user_code":"GQVQ-JKEC","verification_url":"https://www.google.com/device","expires_in":1800,"interval":5}"#,
        )
        .unwrap();
        assert_eq!(d.verification_url, "https://www.google.com/device");
        assert_eq!(
            oauth_error(
                r#"{"error":"authorization_pending","error_description":"Precondition Required"}"#
            )
            .0,
            "authorization_pending"
        );
        assert_eq!(
            GoogleClient::from_code("google_device"),
            Some(GoogleClient::Device)
        );
        assert_eq!(GoogleClient::from_code("twitch"), None);
    }

    #[test]
    fn states_are_single_use_and_bound_to_their_user() {
        let states = OAuthStates::default();
        let a = states.issue(UserId(1));
        let b = states.issue(UserId(2));
        assert_ne!(a, b);
        assert_eq!(a.len(), 32);
        assert_eq!(states.take(&b), Some(UserId(2)));
        assert_eq!(states.take(&b), None, "used up");
        assert_eq!(states.take("forged"), None);
        for i in 0..MAX_PENDING_STATES {
            states.issue(UserId(i as i64));
        }
        assert_eq!(states.take(&a), None, "the oldest was dropped when full");
    }
}
