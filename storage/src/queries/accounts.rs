//! Connected platform accounts of staff users. Tokens are sealed with the store's secret
//! key on the way in and opened on the way out; nothing else sees them.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::StorageError;
use crate::entities::platform_accounts;
use crate::model::*;
use crate::store::{Store, map_err};

impl Store {
    fn vault(&self) -> Result<&crate::vault::SecretKey, StorageError> {
        self.vault.as_ref().ok_or_else(|| {
            StorageError::SecretKey(
                "no secret key for platform tokens: set LIBREKAST_SECRET_KEY (64 hex digits)"
                    .into(),
            )
        })
    }

    /// Stores (or replaces) a user's account on a platform.
    pub async fn save_account(&self, account: &AccountRecord) -> Result<(), StorageError> {
        let plain = serde_json::to_vec(&account.tokens)
            .map_err(|e| StorageError::SecretKey(e.to_string()))?;
        let sealed = self.vault()?.seal(&plain)?;
        let _guard = self.write_guard().await;
        platform_accounts::Entity::insert(platform_accounts::ActiveModel {
            id: NotSet,
            user_id: Set(account.user_id.0),
            platform: Set(account.platform.code().to_owned()),
            client: Set(account.client.clone()),
            login: Set(account.login.clone()),
            platform_user_id: Set(account.platform_user_id.clone()),
            sealed: Set(sealed),
            expires_at: Set(account.expires_at),
            scopes: Set(account.scopes.join(" ")),
            updated_at: Set(now_micros()),
        })
        .on_conflict(
            OnConflict::columns([
                platform_accounts::Column::UserId,
                platform_accounts::Column::Platform,
            ])
            .update_columns([
                platform_accounts::Column::Client,
                platform_accounts::Column::Login,
                platform_accounts::Column::PlatformUserId,
                platform_accounts::Column::Sealed,
                platform_accounts::Column::ExpiresAt,
                platform_accounts::Column::Scopes,
                platform_accounts::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| map_err("platform account", e))?;
        Ok(())
    }

    /// Stores refreshed tokens of an account that is still connected; false (nothing
    /// written) when it was removed meanwhile: a refresh racing `disconnect` must not bring
    /// the account back.
    pub async fn refresh_account(&self, account: &AccountRecord) -> Result<bool, StorageError> {
        let plain = serde_json::to_vec(&account.tokens)
            .map_err(|e| StorageError::SecretKey(e.to_string()))?;
        let sealed = self.vault()?.seal(&plain)?;
        let _guard = self.write_guard().await;
        let result = platform_accounts::Entity::update_many()
            .col_expr(platform_accounts::Column::Sealed, Expr::value(sealed))
            .col_expr(
                platform_accounts::Column::ExpiresAt,
                Expr::value(account.expires_at),
            )
            .col_expr(
                platform_accounts::Column::Scopes,
                Expr::value(account.scopes.join(" ")),
            )
            .col_expr(
                platform_accounts::Column::UpdatedAt,
                Expr::value(now_micros()),
            )
            .filter(platform_accounts::Column::UserId.eq(account.user_id.0))
            .filter(platform_accounts::Column::Platform.eq(account.platform.code()))
            .exec(&self.db)
            .await
            .map_err(|e| map_err("platform account", e))?;
        Ok(result.rows_affected > 0)
    }

    /// A user's account on a platform, tokens opened.
    pub async fn account(
        &self,
        user: UserId,
        platform: Platform,
    ) -> Result<Option<AccountRecord>, StorageError> {
        let Some(row) = platform_accounts::Entity::find()
            .filter(platform_accounts::Column::UserId.eq(user.0))
            .filter(platform_accounts::Column::Platform.eq(platform.code()))
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        let plain = self.vault()?.open(&row.sealed)?;
        let tokens: PlatformTokens = serde_json::from_slice(&plain)
            .map_err(|e| StorageError::SecretKey(format!("stored tokens: {e}")))?;
        Ok(Some(AccountRecord {
            user_id: user,
            platform,
            client: row.client,
            login: row.login,
            platform_user_id: row.platform_user_id,
            tokens,
            expires_at: row.expires_at,
            scopes: row.scopes.split_whitespace().map(str::to_owned).collect(),
            updated_at: row.updated_at,
        }))
    }

    /// A user's accounts as the dashboard lists them (no key needed: nothing is opened).
    pub async fn accounts_of(&self, user: UserId) -> Result<Vec<AccountSummary>, StorageError> {
        let rows = platform_accounts::Entity::find()
            .filter(platform_accounts::Column::UserId.eq(user.0))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .filter_map(|r| {
                Some(AccountSummary {
                    platform: Platform::from_code(&r.platform)?,
                    login: r.login,
                    client: r.client,
                    expires_at: r.expires_at,
                    scopes: r.scopes.split_whitespace().map(str::to_owned).collect(),
                })
            })
            .collect())
    }

    /// Removes a user's account on a platform; false when there was none.
    pub async fn delete_account(
        &self,
        user: UserId,
        platform: Platform,
    ) -> Result<bool, StorageError> {
        let _guard = self.write_guard().await;
        let result = platform_accounts::Entity::delete_many()
            .filter(platform_accounts::Column::UserId.eq(user.0))
            .filter(platform_accounts::Column::Platform.eq(platform.code()))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected > 0)
    }
}
