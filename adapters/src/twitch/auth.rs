//! Twitch OAuth (https://dev.twitch.tv/docs/authentication): the device code flow for
//! public clients, refresh, and validation. Twitch answers errors as `{status, message}`
//! (not RFC 8628's `error`), e.g. `authorization_pending`, `invalid device code`,
//! `Invalid refresh token`.

use std::time::Duration;

use serde::Deserialize;

use crate::AdapterError;
use crate::config::{OAuthClient, PlatformConfig};

/// What reading and posting in chat needs, and the alerts (EventSub): follows need
/// `moderator:read:followers`, subscriptions and gifted subs `channel:read:subscriptions`
/// (raids need none).
pub const SCOPES: &[&str] = &[
    "chat:read",
    "chat:edit",
    "moderator:read:followers",
    "channel:read:subscriptions",
];

/// One HTTP request waits at most this long.
const HTTP_TIMEOUT: Duration = Duration::from_secs(15);

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceStart {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub expires_in: u64,
    pub interval: u64,
}

#[derive(Clone, Deserialize)]
pub struct TokenResponse {
    pub access_token: String,
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// Refresh answers may omit it (Twitch's documented example does).
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default, deserialize_with = "scopes")]
    pub scope: Vec<String>,
}

impl std::fmt::Debug for TokenResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenResponse(…)")
    }
}

/// `scope` is a list, a space-separated string, or absent (no scopes requested).
fn scopes<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scopes {
        List(Vec<String>),
        Text(String),
        Null,
    }
    Ok(match Scopes::deserialize(d)? {
        Scopes::List(l) => l,
        Scopes::Text(t) => t.split_whitespace().map(str::to_owned).collect(),
        Scopes::Null => Vec::new(),
    })
}

#[derive(Debug, Clone, Deserialize)]
pub struct Validation {
    pub login: String,
    pub user_id: String,
    #[serde(default, deserialize_with = "scopes")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub expires_in: Option<u64>,
    #[serde(default)]
    pub client_id: String,
}

/// One poll of the device flow.
#[derive(Debug)]
pub enum DevicePoll {
    Pending,
    SlowDown,
    Done(TokenResponse),
}

#[derive(Deserialize)]
struct TwitchError {
    #[serde(default)]
    message: String,
}

#[derive(Debug, Clone)]
pub struct TwitchAuth {
    http: reqwest::Client,
    id_url: String,
    client: Option<OAuthClient>,
}

impl TwitchAuth {
    pub fn new(config: &PlatformConfig) -> Result<TwitchAuth, AdapterError> {
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .build()
            .map_err(|e| AdapterError::Platform(e.to_string()))?;
        Ok(TwitchAuth {
            http,
            id_url: config.twitch_id_url.trim_end_matches('/').to_string(),
            client: config.twitch.clone(),
        })
    }

    fn client(&self) -> Result<&OAuthClient, AdapterError> {
        self.client.as_ref().ok_or_else(|| {
            AdapterError::NotConfigured(
                "LIBREKAST_TWITCH_CLIENT_ID is not set: register an application at https://dev.twitch.tv/console (category Chat Bot, client type Public) and set its client id (docs/streaming.md)".into(),
            )
        })
    }

    /// Starts the device flow: show `verification_uri` and `user_code` to the user.
    pub async fn start_device(&self) -> Result<DeviceStart, AdapterError> {
        let client = self.client()?;
        let scopes = SCOPES.join(" ");
        let response = self
            .http
            .post(format!("{}/oauth2/device", self.id_url))
            .form(&[
                ("client_id", client.id.as_str()),
                ("scopes", scopes.as_str()),
            ])
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if !status.is_success() {
            return Err(platform_error("start the device flow", status, &body));
        }
        serde_json::from_str(&body)
            .map_err(|e| AdapterError::Platform(format!("Twitch's device answer: {e}")))
    }

    /// Asks once whether the user approved the code.
    pub async fn poll_device(&self, device_code: &str) -> Result<DevicePoll, AdapterError> {
        let client = self.client()?;
        let scopes = SCOPES.join(" ");
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.id_url))
            .form(&[
                ("client_id", client.id.as_str()),
                ("scopes", scopes.as_str()),
                ("device_code", device_code),
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
            ])
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status.is_success() {
            return serde_json::from_str(&body)
                .map(DevicePoll::Done)
                .map_err(|e| AdapterError::Platform(format!("Twitch's token answer: {e}")));
        }
        let message = serde_json::from_str::<TwitchError>(&body)
            .map(|e| e.message)
            .unwrap_or_default();
        match message.as_str() {
            "authorization_pending" => Ok(DevicePoll::Pending),
            "slow_down" => Ok(DevicePoll::SlowDown),
            "invalid device code" => Err(AdapterError::Expired(
                "the code expired or was already used: start again".into(),
            )),
            _ => Err(platform_error("finish the device flow", status, &body)),
        }
    }

    /// Polls until the user approves (or the code expires), at the interval Twitch asks.
    pub async fn wait_device(&self, start: &DeviceStart) -> Result<TokenResponse, AdapterError> {
        let mut interval = Duration::from_secs(start.interval.max(1));
        let deadline = tokio::time::Instant::now() + Duration::from_secs(start.expires_in.max(1));
        loop {
            tokio::time::sleep(interval).await;
            match self.poll_device(&start.device_code).await? {
                DevicePoll::Done(tokens) => return Ok(tokens),
                DevicePoll::Pending => {}
                DevicePoll::SlowDown => interval += Duration::from_secs(5),
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(AdapterError::Expired(
                    "the code expired before it was approved: start again".into(),
                ));
            }
        }
    }

    /// A new access token from a refresh token; `AuthRefused` when Twitch refuses it.
    pub async fn refresh(&self, refresh_token: &str) -> Result<TokenResponse, AdapterError> {
        let client = self.client()?;
        let mut form = vec![
            ("client_id", client.id.as_str()),
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ];
        if let Some(secret) = &client.secret {
            form.push(("client_secret", secret.as_str()));
        }
        let response = self
            .http
            .post(format!("{}/oauth2/token", self.id_url))
            .form(&form)
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status.is_success() {
            return serde_json::from_str(&body)
                .map_err(|e| AdapterError::Platform(format!("Twitch's refresh answer: {e}")));
        }
        if status.is_client_error() {
            let message = serde_json::from_str::<TwitchError>(&body)
                .map(|e| e.message)
                .unwrap_or_else(|_| status.to_string());
            return Err(AdapterError::AuthRefused(format!(
                "Twitch refused to refresh the token ({message}): connect the account again"
            )));
        }
        Err(platform_error("refresh the token", status, &body))
    }

    /// Who a token belongs to; `None` when Twitch says it is invalid or expired.
    pub async fn validate(&self, access_token: &str) -> Result<Option<Validation>, AdapterError> {
        let response = self
            .http
            .get(format!("{}/oauth2/validate", self.id_url))
            .header("Authorization", format!("OAuth {access_token}"))
            .send()
            .await?;
        let status = response.status();
        let body = response.text().await?;
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Ok(None);
        }
        if !status.is_success() {
            return Err(platform_error("validate the token", status, &body));
        }
        serde_json::from_str(&body)
            .map(Some)
            .map_err(|e| AdapterError::Platform(format!("Twitch's validation answer: {e}")))
    }
}

fn platform_error(what: &str, status: reqwest::StatusCode, body: &str) -> AdapterError {
    let message = serde_json::from_str::<TwitchError>(body)
        .map(|e| e.message)
        .unwrap_or_default();
    AdapterError::Platform(format!(
        "Twitch would not {what}: {status} {}",
        message.chars().take(200).collect::<String>()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_bodies_as_twitch_sends_them() {
        // Documented refresh answer: no expires_in; scope as a list.
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"a","refresh_token":"r","scope":["chat:read"],"token_type":"bearer"}"#,
        )
        .unwrap();
        assert_eq!(t.expires_in, None);
        assert_eq!(t.scope, vec!["chat:read"]);
        // Recorded device success without scopes.
        let t: TokenResponse = serde_json::from_str(
            r#"{"access_token":"a","expires_in":14124,"refresh_token":"r","token_type":"bearer"}"#,
        )
        .unwrap();
        assert!(t.scope.is_empty());
        let v: Validation = serde_json::from_str(
            r#"{"client_id":"c","login":"l","scopes":null,"user_id":"1","expires_in":0}"#,
        )
        .unwrap();
        assert!(v.scopes.is_empty());
        assert!(!format!("{t:?}").contains('a'), "tokens never in Debug");
    }
}
