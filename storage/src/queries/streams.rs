//! Chat sources: a meeting's sources and chat rules, the chat message ids already counted,
//! where a source resumes reading, and the YouTube quota spent.

use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{ColumnTrait, EntityTrait, ExprTrait, QueryFilter, QuerySelect};

use crate::StorageError;
use crate::entities::{chat_seen, meetings, quota_usage, source_cursors};
use crate::model::*;
use crate::store::{Store, map_err};
use crate::streams::{ChatRules, StoredSource, validate_sources};

/// How long a counted chat message id is remembered.
pub const CHAT_SEEN_MICROS: Micros = 24 * 3_600 * 1_000_000;

impl Store {
    /// Replaces a meeting's sources and chat rules (validated first).
    pub async fn set_meeting_streams(
        &self,
        id: MeetingId,
        sources: &[StoredSource],
        chat: &ChatRules,
    ) -> Result<(), StorageError> {
        let plain: Vec<_> = sources.iter().map(|s| s.source.clone()).collect();
        validate_sources(&plain)?;
        chat.validate()?;
        let sources = serde_json::to_string(sources)
            .map_err(|e| StorageError::InvalidMeeting(e.to_string()))?;
        let chat = if chat.is_default() {
            "{}".to_string()
        } else {
            serde_json::to_string(chat).map_err(|e| StorageError::InvalidMeeting(e.to_string()))?
        };
        let _guard = self.write_guard().await;
        let result = meetings::Entity::update_many()
            .col_expr(meetings::Column::Sources, Expr::value(sources))
            .col_expr(meetings::Column::Chat, Expr::value(chat))
            .filter(meetings::Column::Id.eq(id.0))
            .exec(&self.db)
            .await
            .map_err(|e| map_err("meeting sources", e))?;
        if result.rows_affected == 0 {
            return Err(StorageError::NotFound);
        }
        Ok(())
    }

    /// Ids of the chat messages of a meeting counted since `since`, oldest first.
    pub async fn chat_seen_since(
        &self,
        meeting: MeetingId,
        since: Micros,
    ) -> Result<Vec<(Platform, String, Micros)>, StorageError> {
        let rows: Vec<(String, String, i64)> = chat_seen::Entity::find()
            .select_only()
            .column(chat_seen::Column::Platform)
            .column(chat_seen::Column::MessageId)
            .column(chat_seen::Column::At)
            .filter(chat_seen::Column::MeetingId.eq(meeting.0))
            .filter(chat_seen::Column::At.gte(since))
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut out: Vec<_> = rows
            .into_iter()
            .filter_map(|(p, id, at)| Platform::from_code(&p).map(|p| (p, id, at)))
            .collect();
        out.sort_by_key(|r| r.2);
        Ok(out)
    }

    /// Forgets counted message ids older than `before` (every meeting). Returns how many.
    pub async fn prune_chat_seen(&self, before: Micros) -> Result<u64, StorageError> {
        let _guard = self.write_guard().await;
        let result = chat_seen::Entity::delete_many()
            .filter(chat_seen::Column::At.lt(before))
            .exec(&self.db)
            .await?;
        Ok(result.rows_affected)
    }

    /// Where a source resumes reading (YouTube's page token), if it saved one.
    pub async fn source_cursor(
        &self,
        meeting: MeetingId,
        platform: Platform,
    ) -> Result<Option<String>, StorageError> {
        Ok(
            source_cursors::Entity::find_by_id((meeting.0, platform.code().to_owned()))
                .one(&self.db)
                .await?
                .map(|r| r.cursor),
        )
    }

    pub async fn set_source_cursor(
        &self,
        meeting: MeetingId,
        platform: Platform,
        cursor: &str,
    ) -> Result<(), StorageError> {
        let _guard = self.write_guard().await;
        source_cursors::Entity::insert(source_cursors::ActiveModel {
            meeting_id: Set(meeting.0),
            platform: Set(platform.code().to_owned()),
            cursor: Set(cursor.to_owned()),
            updated_at: Set(now_micros()),
        })
        .on_conflict(
            OnConflict::columns([
                source_cursors::Column::MeetingId,
                source_cursors::Column::Platform,
            ])
            .update_columns([
                source_cursors::Column::Cursor,
                source_cursors::Column::UpdatedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(&self.db)
        .await
        .map_err(|e| map_err("source cursor", e))?;
        Ok(())
    }

    /// Adds `units` to a project's quota spent on `day` and returns the day's total.
    pub async fn spend_quota(
        &self,
        project: &str,
        day: &str,
        units: i64,
    ) -> Result<i64, StorageError> {
        {
            let _guard = self.write_guard().await;
            quota_usage::Entity::insert(quota_usage::ActiveModel {
                project: Set(project.to_owned()),
                day: Set(day.to_owned()),
                units: Set(units),
            })
            .on_conflict(
                OnConflict::columns([quota_usage::Column::Project, quota_usage::Column::Day])
                    .value(
                        quota_usage::Column::Units,
                        Expr::col((quota_usage::Entity, quota_usage::Column::Units)).add(units),
                    )
                    .to_owned(),
            )
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| map_err("quota", e))?;
        }
        self.quota_spent(project, day).await
    }

    pub async fn quota_spent(&self, project: &str, day: &str) -> Result<i64, StorageError> {
        Ok(
            quota_usage::Entity::find_by_id((project.to_owned(), day.to_owned()))
                .one(&self.db)
                .await?
                .map_or(0, |r| r.units),
        )
    }
}
