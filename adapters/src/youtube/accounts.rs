//! Connecting a YouTube account, three ways, and keeping its token fresh. Each stored
//! token remembers its client (`AccountRecord::client`: `google_web` or `google_device`),
//! because Google refreshes a token only with the client that issued it.
//!
//! - Dashboard (redirect flow, web client, can post): [`connect_start`] gives the consent
//!   page address, [`connect_callback`] takes the callback's `state` and `code`.
//! - CLI `librekast connect youtube` (device flow, device client, read-only):
//!   [`device_start`], show `verification_url` and `user_code`, then [`device_finish`].
//! - CLI `librekast connect youtube --refresh-token-stdin` (web client):
//!   [`connect_refresh_token`].

use std::time::Duration;

use librekast_storage::{AccountRecord, Micros, Platform, PlatformTokens, UserId, now_micros};

use super::api::ApiError;
use super::auth::{DeviceStart, GoogleClient, SCOPE_FORCE_SSL, SCOPE_FULL, TokenResponse};
use super::quota::{COST_CHANNELS, now_secs, pacific_day};
use crate::AdapterError;
use crate::accounts::due_for_refresh;
use crate::env::AdapterEnv;

/// `AccountRecord::login` when the account has no channel (or YouTube could not say).
pub const UNNAMED_ACCOUNT: &str = "YouTube account";

fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

fn expires_at(tokens: &TokenResponse) -> Option<Micros> {
    tokens
        .expires_in
        .filter(|s| *s > 0)
        .map(|s| now_micros() + micros(Duration::from_secs(s)))
}

/// Starts the dashboard's flow for `user`: the address of Google's consent page. The
/// callback must come back within ten minutes (`auth::STATE_TTL`).
pub fn connect_start(env: &AdapterEnv, user: UserId) -> Result<String, AdapterError> {
    let auth = &env.youtube.auth;
    // Check the configuration before a state is issued for nothing.
    auth.client(GoogleClient::Web)?;
    auth.redirect_uri()?;
    auth.authorize_url(&env.youtube.states.issue(user))
}

/// The dashboard's callback (`/oauth/youtube/callback?state=…&code=…`): the state must be
/// one we issued, unused and recent; the account is connected for the user who started the
/// flow. When Google sends `error=access_denied` instead of a code, the web layer should
/// still call [`forget_state`].
pub async fn connect_callback(
    env: &AdapterEnv,
    state: &str,
    code: &str,
) -> Result<AccountRecord, AdapterError> {
    let user = env.youtube.states.take(state).ok_or_else(|| {
        AdapterError::Expired(
            "this YouTube sign-in is unknown, expired or already used: connect again".into(),
        )
    })?;
    let auth = &env.youtube.auth;
    let tokens = auth.exchange_code(code, auth.redirect_uri()?).await?;
    save_tokens(env, user, GoogleClient::Web, &tokens, None).await
}

/// Drops a pending dashboard flow (the user denied access); returns whose it was.
pub fn forget_state(env: &AdapterEnv, state: &str) -> Option<UserId> {
    env.youtube.states.take(state)
}

/// Starts the CLI's device flow (device client, read-only scope).
pub async fn device_start(env: &AdapterEnv) -> Result<DeviceStart, AdapterError> {
    env.youtube.auth.start_device().await
}

/// Waits until the user approves the code, then stores the tokens for `user`.
pub async fn device_finish(
    env: &AdapterEnv,
    user: UserId,
    start: &DeviceStart,
) -> Result<AccountRecord, AdapterError> {
    let tokens = env.youtube.auth.wait_device(start).await?;
    save_tokens(env, user, GoogleClient::Device, &tokens, None).await
}

/// Connects with a refresh token the user obtained for our web client (for example with
/// the OAuth playground, using our client id and secret): it is refreshed once to check it
/// and learn its scopes.
pub async fn connect_refresh_token(
    env: &AdapterEnv,
    user: UserId,
    refresh_token: &str,
) -> Result<AccountRecord, AdapterError> {
    let refresh_token = refresh_token.trim();
    if refresh_token.is_empty() {
        return Err(AdapterError::AuthRefused(
            "no refresh token was given".into(),
        ));
    }
    let tokens = env
        .youtube
        .auth
        .refresh(GoogleClient::Web, refresh_token)
        .await?;
    save_tokens(env, user, GoogleClient::Web, &tokens, Some(refresh_token)).await
}

/// Stores tokens for `user`, with the channel they belong to (`channels.list`, 1 unit).
pub async fn save_tokens(
    env: &AdapterEnv,
    user: UserId,
    client: GoogleClient,
    tokens: &TokenResponse,
    refresh_token: Option<&str>,
) -> Result<AccountRecord, AdapterError> {
    let project = env.youtube.auth.client(client)?.id.clone();
    if let Err(e) = env
        .store
        .spend_quota(&project, &pacific_day(now_secs()), COST_CHANNELS)
        .await
    {
        tracing::warn!(adapter = "youtube", error = %e, "cannot store the quota spent");
    }
    let (channel_id, title) = match env.youtube.api.my_channel(&tokens.access_token).await {
        Ok(Some(channel)) => channel,
        Ok(None) => (String::new(), UNNAMED_ACCOUNT.to_string()),
        Err(ApiError::Unauthorized) => {
            return Err(AdapterError::AuthRefused(
                "YouTube refused the new token: connect the account again".into(),
            ));
        }
        Err(e) => {
            // The account works without a name; it shows as "YouTube account".
            tracing::warn!(adapter = "youtube", error = %e, "cannot read the account's channel");
            (String::new(), UNNAMED_ACCOUNT.to_string())
        }
    };
    let record = AccountRecord {
        user_id: user,
        platform: Platform::Youtube,
        client: client.code().to_string(),
        login: title,
        platform_user_id: channel_id,
        tokens: PlatformTokens {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens
                .refresh_token
                .clone()
                .or(refresh_token.map(str::to_owned)),
        },
        expires_at: expires_at(tokens),
        scopes: tokens.scopes(),
        updated_at: now_micros(),
    };
    env.store.save_account(&record).await?;
    tracing::info!(adapter = "youtube", user = user.0, client = client.code(), channel = %record.login, "YouTube account connected");
    Ok(record)
}

/// Refreshes the account's token with its own client when it is due (or `force`, after
/// YouTube refused it), and stores the new one. `Ok(true)` when it was refreshed.
pub async fn fresh_youtube(
    env: &AdapterEnv,
    record: &mut AccountRecord,
    force: bool,
) -> Result<bool, AdapterError> {
    if !force && !due_for_refresh(record, now_micros()) {
        return Ok(false);
    }
    let client = GoogleClient::from_code(&record.client).ok_or_else(|| {
        AdapterError::AuthRefused(format!(
            "the stored YouTube token belongs to an unknown client ({}): connect the account again",
            record.client
        ))
    })?;
    let refresh = record.tokens.refresh_token.clone().ok_or_else(|| {
        AdapterError::AuthRefused(
            "the YouTube token expired and there is no refresh token: connect the account again"
                .into(),
        )
    })?;
    let tokens = env.youtube.auth.refresh(client, &refresh).await?;
    record.tokens = PlatformTokens {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone().or(Some(refresh)),
    };
    record.expires_at = expires_at(&tokens);
    let scopes = tokens.scopes();
    if !scopes.is_empty() {
        record.scopes = scopes;
    }
    record.updated_at = now_micros();
    // Not an upsert: a refresh racing `disconnect` must not bring the account back.
    if !env.store.refresh_account(record).await? {
        return Err(AdapterError::AuthRefused(
            "the YouTube account was disconnected".into(),
        ));
    }
    tracing::info!(adapter = "youtube", channel = %record.login, "token refreshed");
    Ok(true)
}

/// Whether the account may post: a web-client token with a posting scope (device-flow
/// tokens are read-only).
pub fn may_post(record: &AccountRecord) -> bool {
    record.client == GoogleClient::Web.code()
        && record
            .scopes
            .iter()
            .any(|s| s == SCOPE_FORCE_SSL || s == SCOPE_FULL)
}

/// The quota project of the account's calls: its OAuth client's id.
pub fn project_of(env: &AdapterEnv, record: &AccountRecord) -> String {
    GoogleClient::from_code(&record.client)
        .and_then(|c| env.youtube.auth.client(c).ok())
        .map_or_else(|| record.client.clone(), |c| c.id.clone())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::youtube::auth::SCOPE_READONLY;

    fn record(client: &str, scopes: &[&str]) -> AccountRecord {
        AccountRecord {
            user_id: UserId(1),
            platform: Platform::Youtube,
            client: client.into(),
            login: "c".into(),
            platform_user_id: "UC1".into(),
            tokens: PlatformTokens {
                access_token: "a".into(),
                refresh_token: None,
            },
            expires_at: None,
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            updated_at: 0,
        }
    }

    #[test]
    fn only_web_tokens_with_a_posting_scope_post() {
        assert!(may_post(&record("google_web", &[SCOPE_FORCE_SSL])));
        assert!(may_post(&record(
            "google_web",
            &[SCOPE_READONLY, SCOPE_FULL]
        )));
        assert!(!may_post(&record("google_web", &[SCOPE_READONLY])));
        assert!(!may_post(&record("google_device", &[SCOPE_FORCE_SSL])));
    }
}
