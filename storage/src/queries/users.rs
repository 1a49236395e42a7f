//! Staff users.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::StorageError;
use crate::entities::users;
use crate::model::*;
use crate::store::{Store, map_err};

impl Store {
    /// Creates the user, or replaces the password hash of an existing one.
    pub async fn put_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserId, StorageError> {
        let _guard = self.write_guard().await;
        users::Entity::insert(users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(now_micros()),
        })
        .on_conflict(
            OnConflict::column(users::Column::Username)
                .update_column(users::Column::PasswordHash)
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
        Ok(UserId(user.id))
    }
    pub async fn find_user(&self, username: &str) -> Result<Option<UserRecord>, StorageError> {
        let user = users::Entity::find()
            .filter(users::Column::Username.eq(username))
            .one(&self.db)
            .await?;
        Ok(user.map(|u| UserRecord {
            id: UserId(u.id),
            username: u.username,
            password_hash: u.password_hash,
        }))
    }
    pub async fn user_count(&self) -> Result<u64, StorageError> {
        Ok(users::Entity::find().count(&self.db).await?)
    }
}
