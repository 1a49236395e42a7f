//! Sessions: the tokens of staff, participants and display links.

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, SqlErr};

use crate::entities::{sessions, users};
use crate::model::*;
use crate::store::{Store, map_err};
use crate::{StorageError, convert};

impl Store {
    pub async fn create_session(
        &self,
        token: &str,
        subject: &SessionSubject,
    ) -> Result<(), StorageError> {
        // Staff sessions keep only the user id: the username is read at lookup, so a renamed
        // or deleted user is never served from a stale copy.
        let (kind, user_id, meeting_id, attendee_id) = match subject {
            SessionSubject::Staff { user_id, .. } => {
                (sessions::KIND_STAFF, Some(user_id.0), None, None)
            }
            SessionSubject::Participant {
                meeting_id,
                attendee_id,
            } => (
                sessions::KIND_PARTICIPANT,
                None,
                Some(meeting_id.0),
                Some(attendee_id.0),
            ),
            SessionSubject::Display { meeting_id } => {
                (sessions::KIND_DISPLAY, None, Some(meeting_id.0), None)
            }
        };
        let _guard = self.write_guard().await;
        sessions::Entity::insert(sessions::ActiveModel {
            token: Set(token.to_owned()),
            kind: Set(kind.to_owned()),
            user_id: Set(user_id),
            meeting_id: Set(meeting_id),
            attendee_id: Set(attendee_id),
            created_at: Set(now_micros()),
        })
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| match e.sql_err() {
            Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
            _ => map_err("session", e),
        })?;
        Ok(())
    }
    /// Ends a session (logout). Unknown tokens are fine: the outcome is the same.
    pub async fn delete_session(&self, token: &str) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        sessions::Entity::delete_by_id(token.to_owned())
            .exec(&self.db)
            .await?;
        Ok(())
    }
    /// Revokes every display link of a meeting; returns how many there were.
    pub async fn delete_display_sessions(&self, meeting: MeetingId) -> Result<u64, StorageError> {
        let _guard = self.write_guard().await;
        let done = sessions::Entity::delete_many()
            .filter(sessions::Column::Kind.eq(sessions::KIND_DISPLAY))
            .filter(sessions::Column::MeetingId.eq(meeting.0))
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected)
    }
    pub async fn find_session(&self, token: &str) -> Result<Option<SessionSubject>, StorageError> {
        let Some(session) = sessions::Entity::find_by_id(token.to_owned())
            .one(&self.db)
            .await?
        else {
            return Ok(None);
        };
        match (
            session.kind.as_str(),
            session.user_id,
            session.meeting_id,
            session.attendee_id,
        ) {
            (sessions::KIND_STAFF, Some(user_id), _, _) => {
                let user = users::Entity::find_by_id(user_id).one(&self.db).await?;
                let user = user.map(super::users::user_record).transpose()?;
                Ok(user.map(|u| SessionSubject::Staff {
                    user_id: u.id,
                    username: u.username,
                    role: u.role,
                }))
            }
            (sessions::KIND_DISPLAY, _, Some(meeting_id), _) => Ok(Some(SessionSubject::Display {
                meeting_id: MeetingId(meeting_id),
            })),
            (sessions::KIND_PARTICIPANT, _, Some(meeting_id), Some(attendee_id)) => {
                Ok(Some(SessionSubject::Participant {
                    meeting_id: MeetingId(meeting_id),
                    attendee_id: AttendeeId(attendee_id),
                }))
            }
            (kind, ..) => Err(convert::corrupt(format!(
                "a session of kind {kind:?} lacks its ids"
            ))),
        }
    }
}
