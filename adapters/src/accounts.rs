//! Connected accounts: storing a platform's tokens for a staff user (validated first) and
//! keeping them fresh (validated hourly, refreshed before they expire).

use std::time::Duration;

use librekast_storage::{
    AccountRecord, Micros, Platform, PlatformTokens, Store, UserId, now_micros,
};

use crate::AdapterError;
use crate::twitch::auth::{TokenResponse, TwitchAuth};

/// `AccountRecord::client` of tokens from the Twitch app.
pub const CLIENT_TWITCH: &str = "twitch";

/// Refresh this long before the access token expires.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(300);

fn micros(d: Duration) -> Micros {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

/// Validates a Twitch token and stores it for `user`.
pub async fn save_twitch_tokens(
    store: &Store,
    auth: &TwitchAuth,
    user: UserId,
    access_token: &str,
    refresh_token: Option<&str>,
) -> Result<AccountRecord, AdapterError> {
    let v = auth.validate(access_token).await?.ok_or_else(|| {
        AdapterError::AuthRefused(
            "Twitch says this access token is invalid or expired: create a new one".into(),
        )
    })?;
    let record = AccountRecord {
        user_id: user,
        platform: Platform::Twitch,
        client: CLIENT_TWITCH.into(),
        login: v.login,
        platform_user_id: v.user_id,
        tokens: PlatformTokens {
            access_token: access_token.to_string(),
            refresh_token: refresh_token.map(str::to_owned),
        },
        expires_at: v
            .expires_in
            .filter(|s| *s > 0)
            .map(|s| now_micros() + micros(Duration::from_secs(s))),
        scopes: v.scopes,
        updated_at: now_micros(),
    };
    store.save_account(&record).await?;
    Ok(record)
}

/// Stores what a device flow or refresh returned.
pub async fn save_twitch_response(
    store: &Store,
    auth: &TwitchAuth,
    user: UserId,
    tokens: &TokenResponse,
) -> Result<AccountRecord, AdapterError> {
    save_twitch_tokens(
        store,
        auth,
        user,
        &tokens.access_token,
        tokens.refresh_token.as_deref(),
    )
    .await
}

/// Whether the token must be refreshed now (expired, or expiring within the margin).
pub fn due_for_refresh(record: &AccountRecord, now: Micros) -> bool {
    record
        .expires_at
        .is_some_and(|at| at - micros(REFRESH_MARGIN) <= now)
}

/// When the token should be refreshed, if it expires.
pub fn refresh_at(record: &AccountRecord) -> Option<Micros> {
    record.expires_at.map(|at| at - micros(REFRESH_MARGIN))
}

/// Makes sure the account's token works: refreshed when due, validated otherwise (and
/// refreshed when Twitch no longer accepts it). The new tokens are stored.
pub async fn fresh_twitch(
    store: &Store,
    auth: &TwitchAuth,
    record: &mut AccountRecord,
) -> Result<(), AdapterError> {
    if !due_for_refresh(record, now_micros())
        && auth.validate(&record.tokens.access_token).await?.is_some()
    {
        return Ok(());
    }
    let refresh = record.tokens.refresh_token.clone().ok_or_else(|| {
        AdapterError::AuthRefused(
            "the Twitch token expired and there is no refresh token: connect the account again"
                .into(),
        )
    })?;
    let tokens = auth.refresh(&refresh).await?;
    let v = auth.validate(&tokens.access_token).await?.ok_or_else(|| {
        AdapterError::AuthRefused(
            "Twitch refused the token it had just refreshed: connect the account again".into(),
        )
    })?;
    record.tokens = PlatformTokens {
        access_token: tokens.access_token.clone(),
        refresh_token: tokens.refresh_token.clone().or(Some(refresh)),
    };
    record.expires_at = v
        .expires_in
        .filter(|s| *s > 0)
        .map(|s| now_micros() + micros(Duration::from_secs(s)));
    record.scopes = v.scopes;
    record.updated_at = now_micros();
    if !store.refresh_account(record).await? {
        return Err(AdapterError::AuthRefused(
            "the Twitch account was disconnected".into(),
        ));
    }
    tracing::info!(adapter = "twitch", login = %record.login, "token refreshed");
    Ok(())
}
