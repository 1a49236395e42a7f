//! Meeting ownership: who owns a meeting and whom it is shared with.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::StorageError;
use crate::entities::{meeting_shares, meetings};
use crate::model::*;
use crate::store::{Store, map_err};

impl Store {
    /// The owner and sharers of a meeting; `None` when there is no such meeting.
    pub async fn meeting_access(
        &self,
        meeting: MeetingId,
    ) -> Result<Option<MeetingAccess>, StorageError> {
        let owner: Option<Option<i64>> = meetings::Entity::find_by_id(meeting.0)
            .select_only()
            .column(meetings::Column::OwnerId)
            .into_tuple()
            .one(&self.db)
            .await?;
        let Some(owner) = owner else {
            return Ok(None);
        };
        let shared: Vec<i64> = meeting_shares::Entity::find()
            .select_only()
            .column(meeting_shares::Column::UserId)
            .filter(meeting_shares::Column::MeetingId.eq(meeting.0))
            .into_tuple()
            .all(&self.db)
            .await?;
        Ok(Some(MeetingAccess {
            owner: owner.map(UserId),
            shared_with: shared.into_iter().map(UserId).collect(),
        }))
    }

    /// Gives the meeting to `owner` (`None`: to no organizer, admins only).
    pub async fn set_meeting_owner(
        &self,
        meeting: MeetingId,
        owner: Option<UserId>,
    ) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        let done = meetings::Entity::update_many()
            .col_expr(meetings::Column::OwnerId, owner.map(|u| u.0).into())
            .filter(meetings::Column::Id.eq(meeting.0))
            .exec(&self.db)
            .await?;
        if done.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Shares the meeting with an organizer (idempotent).
    pub async fn share_meeting(
        &self,
        meeting: MeetingId,
        user: UserId,
    ) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        meeting_shares::Entity::insert(meeting_shares::ActiveModel {
            meeting_id: Set(meeting.0),
            user_id: Set(user.0),
        })
        .on_conflict(
            OnConflict::columns([
                meeting_shares::Column::MeetingId,
                meeting_shares::Column::UserId,
            ])
            .do_nothing()
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
            _ => map_err("meeting share", e),
        })?;
        Ok(())
    }
}
