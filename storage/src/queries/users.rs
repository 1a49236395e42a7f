//! Staff users. The web app's users page creates, re-roles, resets and removes them with
//! the `*_checked` style queries here, which never leave the server without an admin
//! ([`UserChange::LastAdmin`]) and return the sessions they ended so the caller can close
//! their open sockets at once.

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::Expr;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, SqlErr,
};

use crate::StorageError;
use crate::entities::{meeting_shares, meetings, sessions, users};
use crate::model::*;
use crate::store::{Store, map_err};

/// What a change to a staff account did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserChange {
    /// Done; the stored hashes of the sessions it ended (to close their sockets).
    Done { ended: Vec<String> },
    /// No such user.
    NotFound,
    /// Refused: the server would be left without an admin.
    LastAdmin,
}

/// A staff account with how many staff sessions it has open, for the users page.
#[derive(Debug, Clone, PartialEq)]
pub struct UserOverview {
    pub user: UserRecord,
    pub sessions: u64,
}

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
        match self.reset_password(user, password_hash, keep).await? {
            UserChange::Done { ended } => Ok(ended.len() as u64),
            _ => Err(StorageError::NotFound),
        }
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
            delete_user_rows(&txn, user.id).await?;
            Ok(true)
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// Creates a staff account; `None` when the name is taken (nothing changes then).
    pub async fn create_user(
        &self,
        username: &str,
        password_hash: &str,
        role: Role,
    ) -> Result<Option<UserId>, StorageError> {
        let _guard = self.write_guard().await;
        let inserted = users::Entity::insert(users::ActiveModel {
            id: NotSet,
            username: Set(username.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            created_at: Set(now_micros()),
            role: Set(role.code().to_owned()),
            last_login_at: Set(None),
        })
        .exec(&self.db)
        .await;
        match inserted {
            Ok(done) => Ok(Some(UserId(done.last_insert_id))),
            Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => Ok(None),
            Err(e) => Err(map_err("user", e)),
        }
    }

    /// Gives the user `role`. Demoting an admin ends their sessions (open dashboards must
    /// not keep rights the account lost) and is refused for the last admin.
    pub async fn set_role(&self, username: &str, role: Role) -> Result<UserChange, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let Some(user) = find_by_name(&txn, username).await? else {
                return Ok(UserChange::NotFound);
            };
            let was_admin = user.role == Role::Admin.code();
            if user.role == role.code() {
                return Ok(UserChange::Done { ended: vec![] });
            }
            if was_admin && last_admin(&txn).await? {
                return Ok(UserChange::LastAdmin);
            }
            users::Entity::update_many()
                .col_expr(users::Column::Role, Expr::value(role.code()))
                .filter(users::Column::Id.eq(user.id))
                .exec(&txn)
                .await?;
            let ended = if was_admin {
                end_sessions(&txn, user.id, None).await?
            } else {
                vec![]
            };
            Ok(UserChange::Done { ended })
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// [`Store::remove_user`], refused for the last admin; returns the sessions it ended.
    pub async fn remove_user_checked(&self, username: &str) -> Result<UserChange, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let Some(user) = find_by_name(&txn, username).await? else {
                return Ok(UserChange::NotFound);
            };
            if user.role == Role::Admin.code() && last_admin(&txn).await? {
                return Ok(UserChange::LastAdmin);
            }
            let ended = session_hashes(&txn, user.id, None).await?;
            delete_user_rows(&txn, user.id).await?;
            Ok(UserChange::Done { ended })
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// [`Store::change_password`] that returns the stored hashes of the sessions it ended.
    pub async fn reset_password(
        &self,
        user: UserId,
        password_hash: &str,
        keep: Option<&str>,
    ) -> Result<UserChange, StorageError> {
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let updated = users::Entity::update_many()
                .col_expr(users::Column::PasswordHash, Expr::value(password_hash))
                .filter(users::Column::Id.eq(user.0))
                .exec(&txn)
                .await?;
            if updated.rows_affected == 0 {
                return Ok(UserChange::NotFound);
            }
            let ended = end_sessions(&txn, user.0, keep).await?;
            Ok(UserChange::Done { ended })
        }
        .await;
        crate::store::finish(txn, result).await
    }

    /// Every staff account by name, with its number of staff sessions still valid.
    pub async fn users_overview(&self) -> Result<Vec<UserOverview>, StorageError> {
        let users = self.list_users().await?;
        let now = now_micros();
        let limits = self.session_limits();
        let counts: Vec<(Option<i64>, i64)> = sessions::Entity::find()
            .select_only()
            .column(sessions::Column::UserId)
            .column_as(sessions::Column::Token.count(), "n")
            .filter(sessions::Column::Kind.eq(sessions::KIND_STAFF))
            .filter(sessions::Column::CreatedAt.gte(now - limits.staff_max))
            .filter(sessions::Column::LastSeenAt.gte(now - limits.staff_idle))
            .group_by(sessions::Column::UserId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let counts: std::collections::HashMap<i64, u64> = counts
            .into_iter()
            .filter_map(|(user, n)| Some((user?, u64::try_from(n).unwrap_or(0))))
            .collect();
        Ok(users
            .into_iter()
            .map(|user| UserOverview {
                sessions: counts.get(&user.id.0).copied().unwrap_or(0),
                user,
            })
            .collect())
    }

    /// Whether any staff account ever logged in: until then the login page says where the
    /// first admin password is.
    pub async fn anyone_logged_in(&self) -> Result<bool, StorageError> {
        let n = users::Entity::find()
            .filter(users::Column::LastLoginAt.is_not_null())
            .count(&self.db)
            .await?;
        Ok(n > 0)
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

async fn find_by_name<C: ConnectionTrait>(
    db: &C,
    username: &str,
) -> Result<Option<users::Model>, StorageError> {
    Ok(users::Entity::find()
        .filter(users::Column::Username.eq(username))
        .one(db)
        .await?)
}

/// Whether there is at most one admin. The admins' rows are locked until the transaction
/// ends (PostgreSQL; SQLite's write transaction holds the whole database), so two requests
/// cannot each remove "the other" admin.
async fn last_admin<C: ConnectionTrait>(db: &C) -> Result<bool, StorageError> {
    let admins = users::Entity::find()
        .filter(users::Column::Role.eq(Role::Admin.code()))
        .lock_exclusive()
        .all(db)
        .await?;
    Ok(admins.len() <= 1)
}

/// The stored hashes of the user's sessions, but `keep`'s.
async fn session_hashes<C: ConnectionTrait>(
    db: &C,
    user: i64,
    keep: Option<&str>,
) -> Result<Vec<String>, StorageError> {
    let mut query = sessions::Entity::find().filter(sessions::Column::UserId.eq(user));
    if let Some(keep) = keep {
        query = query.filter(sessions::Column::Token.ne(crate::tokens::token_hash(keep)));
    }
    Ok(query.all(db).await?.into_iter().map(|s| s.token).collect())
}

/// Ends the user's sessions but `keep`'s; their stored hashes.
async fn end_sessions<C: ConnectionTrait>(
    db: &C,
    user: i64,
    keep: Option<&str>,
) -> Result<Vec<String>, StorageError> {
    let ended = session_hashes(db, user, keep).await?;
    let mut delete = sessions::Entity::delete_many().filter(sessions::Column::UserId.eq(user));
    if let Some(keep) = keep {
        delete = delete.filter(sessions::Column::Token.ne(crate::tokens::token_hash(keep)));
    }
    delete.exec(db).await?;
    Ok(ended)
}

/// A user's rows: sessions, shares, ownership (their meetings become admins-only), account.
async fn delete_user_rows<C: ConnectionTrait>(db: &C, user: i64) -> Result<(), StorageError> {
    sessions::Entity::delete_many()
        .filter(sessions::Column::UserId.eq(user))
        .exec(db)
        .await?;
    meeting_shares::Entity::delete_many()
        .filter(meeting_shares::Column::UserId.eq(user))
        .exec(db)
        .await?;
    meetings::Entity::update_many()
        .col_expr(meetings::Column::OwnerId, Expr::value(None::<i64>))
        .filter(meetings::Column::OwnerId.eq(user))
        .exec(db)
        .await?;
    users::Entity::delete_by_id(user).exec(db).await?;
    Ok(())
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
