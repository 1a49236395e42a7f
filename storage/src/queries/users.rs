//! Staff users.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::StorageError;
use crate::entities::{meeting_shares, meetings, sessions, users};
use crate::model::*;
use crate::store::{Store, map_err};

impl Store {
    /// Creates the user (an admin), or replaces the password hash of an existing one.
    pub async fn put_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserId, StorageError> {
        self.put_user_with_role(username, password_hash, None).await
    }

    /// Creates the user with `role` (admin when `None`, so scripts written before roles keep
    /// making admins), or replaces an existing one's password hash, and its role only when
    /// one is given.
    pub async fn put_user_with_role(
        &self,
        username: &str,
        password_hash: &str,
        role: Option<Role>,
    ) -> Result<UserId, StorageError> {
        let _guard = self.write_guard().await;
        let mut update = vec![users::Column::PasswordHash];
        if role.is_some() {
            update.push(users::Column::Role);
        }
        users::Entity::insert(users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(now_micros()),
            role: Set(role.unwrap_or(Role::Admin).code().to_owned()),
            last_login_at: Set(None),
        })
        .on_conflict(
            OnConflict::column(users::Column::Username)
                .update_columns(update)
                .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| map_err("user", e))?;
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await?
            .ok_or(StorageError::NotFound)?;
        // A new password ends every session opened with the old one.
        sessions::Entity::delete_many()
            .filter(sessions::Column::UserId.eq(user.id))
            .exec(&self.db)
            .await?;
        Ok(UserId(user.id))
    }

    /// Sets a new password hash; every session of the user ends except `keep` (the one that
    /// made the change, when it came from the web app). Returns the sessions ended.
    pub async fn change_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<u64, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let updated = users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
                .filter(users::Column::Id.eq(user.0))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 0 {
                return Err(StorageError::NotFound);
            }
            let mut ended =
                sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user.0));
            if let Some(keep) = keep {
                ended = ended.filter(sessions::Column::Token.ne(crate::tokens::token_hash(keep)));
            }
            Ok(ended.exec(&txn).await?.rows_affected)
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// Removes a staff account: its sessions end, its meetings become admins-only, its
    /// shares go. `false` when there was no such user.
    pub async fn remove_user(&self, username: &str) -> Result<bool, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let Some(user) = users::Entity::find()
                .filter(users::Column::Username.eq(username))
                .one(&txn)
                .await?
            else {
                return Ok(false);
            };
            sessions::Entity::delete_many()
                .filter(sessions::Column::UserId.eq(user.id))
                .exec(&txn)
                .await?;
            meeting_shares::Entity::delete_many()
                .filter(meeting_shares::Column::UserId.eq(user.id))
                .exec(&txn)
                .await?;
            meetings::Entity::update_many()
                .col_expr(meetings::Column::OwnerId, Expr::value(None::<i64>))
                .filter(meetings::Column::OwnerId.eq(user.id))
                .exec(&txn)
                .await?;
            users::Entity::delete_by_id(user.id).exec(&txn).await?;
            Ok(true)
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// Every staff account, by name.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, StorageError> {
        users::Entity::find()
            .order_by_asc(users::Column::Username)
            .all(&self.db)
            .await?
            .into_iter()
            .map(user_record)
            .collect()
    }

    /// Remembers a successful login (shown by `librekast user list`).
    pub async fn record_login(&self, user: UserId) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        users::Entity::update_many()
            .col_expr(users::Column::LastLoginAt, Expr::value(now_micros()))
            .filter(users::Column::Id.eq(user.0))
            .exec(&self.db)
            .await?;
        Ok(())
    }
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        user.map(user_record).transpose()
    }
    pub async fn user(&self, id: UserId) -> Result<Option<UserRecord>, StorageError> {
        users::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(user_record)
            .transpose()
    }
    pub async fn user_count(&self) -> Result<u64, StorageError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }
}

pub(crate) fn user_record(u: users::Model) -> Result<UserRecord, StorageError> {
    let role = Role::from_code(&u.role)
        .ok_or_else(|| crate::convert::corrupt(format!("user {} has role {:?}", u.id, u.role)))?;
    Ok(UserRecord {
        id: UserId(u.id),
        username: u.username,
        password_hash: u.password_hash,
        role,
        last_login_at: u.last_login_at,
    })
}
