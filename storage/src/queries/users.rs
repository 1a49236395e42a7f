//! Staff users.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};

use crate::StorageError;
use crate::entities::users;
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
        Ok(UserId(user.id))
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
    })
}
