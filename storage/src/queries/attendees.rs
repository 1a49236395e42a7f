//! Attendees: in-room participants and chat viewers, keyed by platform and user id.
//!
//! Their ids are handed out by this process ([`Store::allocate_attendee_ids`]), not by the
//! database: a join then needs no round trip for its id and its rows are written by the
//! group commit ([`crate::WriteOp::Join`]) like any answer. This holds because one server
//! process owns a database at a time ([`crate::ServerLock`]) and every attendee row is
//! written by it, always with an allocated id (on PostgreSQL the column's sequence is
//! never used).

use std::sync::atomic::{AtomicI64, Ordering};

use sea_orm::ActiveValue::{NotSet, Set};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, SqlErr};

use crate::entities::attendees;
use crate::model::*;
use crate::store::{Store, finish, map_err};
use crate::{StorageError, convert};

impl Store {
    /// Hands out `n` fresh attendee ids (the first is returned, the rest follow it). Ids
    /// handed out but never written leave gaps, which nothing relies on.
    pub async fn allocate_attendee_ids(&self, n: usize) -> Result<AttendeeId, StorageError> {
        let last = self
            .attendee_ids
            .get_or_try_init(|| async {
                let max: Option<i64> = attendees::Entity::find()
                    .select_only()
                    .column_as(attendees::Column::Id.max(), "max")
                    .into_tuple()
                    .one(&self.db)
                    .await?
                    .flatten();
                Ok::<_, StorageError>(AtomicI64::new(max.unwrap_or(0)))
            })
            .await?;
        let n = i64::try_from(n.max(1)).unwrap_or(i64::MAX);
        Ok(AttendeeId(last.fetch_add(n, Ordering::Relaxed) + 1))
    }

    /// One fresh attendee id (see [`Store::allocate_attendee_ids`]).
    pub async fn allocate_attendee_id(&self) -> Result<AttendeeId, StorageError> {
        self.allocate_attendee_ids(1).await
    }

    /// Finds the attendee keyed by (meeting, platform, platform_user_id) or creates it with
    /// score 0; an existing attendee's name is updated.
    pub async fn upsert_attendee(
        &self,
        meeting: MeetingId,
        name: &str,
        platform: Platform,
        platform_user_id: &str,
    ) -> Result<AttendeeRecord, StorageError> {
        let find = || {
            attendees::Entity::find()
                .filter(attendees::Column::MeetingId.eq(meeting.0))
                .filter(attendees::Column::Platform.eq(platform.code()))
                .filter(attendees::Column::PlatformUserId.eq(platform_user_id))
        };
        // Most calls are for someone already known under the same name: no write needed.
        if let Some(existing) = find().one(&self.db).await?
            && existing.name == name
        {
            return convert::attendee(existing);
        }

        // ON CONFLICT (in upsert_attendees) rather than insert-or-update in two steps: two
        // connections may meet the same new chat user at once.
        let viewer = [(platform_user_id.to_owned(), name.to_owned())];
        self.upsert_attendees(meeting, platform, &viewer)
            .await?
            .pop()
            .ok_or(StorageError::NotFound)
    }

    /// Finds or creates many attendees of one platform at once (chat viewers), in one
    /// transaction; names of known ones are updated. Returns them in no particular order.
    pub async fn upsert_attendees(
        &self,
        meeting: MeetingId,
        platform: Platform,
        viewers: &[(String, String)],
    ) -> Result<Vec<AttendeeRecord>, StorageError> {
        // 7 parameters a row: 500 rows stay far below every backend's parameter limit.
        const CHUNK: usize = 500;
        if viewers.is_empty() {
            return Ok(Vec::new());
        }
        // Known viewers keep their id (the conflict updates only the name): theirs are gaps.
        let first = self.allocate_attendee_ids(viewers.len()).await?.0;
        let _guard = self.write_guard().await;
        let txn = self.begin_write().await?;
        let result = async {
            let now = now_micros();
            let mut out = Vec::with_capacity(viewers.len());
            for (c, chunk) in viewers.chunks(CHUNK).enumerate() {
                let base = first + (c * CHUNK) as i64;
                let rows =
                    chunk
                        .iter()
                        .enumerate()
                        .map(|(i, (user_id, name))| attendees::ActiveModel {
                            id: Set(base + i as i64),
                            meeting_id: Set(meeting.0),
                            name: Set(name.clone()),
                            platform: Set(platform.code().to_owned()),
                            platform_user_id: Set(user_id.clone()),
                            score: Set(0),
                            created_at: Set(now),
                            // The column's default (false): keeps every row's width as the batch sizes assume.
                            removed: NotSet,
                        });
                attendees::Entity::insert_many(rows)
                    .on_conflict(
                        OnConflict::columns([
                            attendees::Column::MeetingId,
                            attendees::Column::Platform,
                            attendees::Column::PlatformUserId,
                        ])
                        .update_column(attendees::Column::Name)
                        .to_owned(),
                    )
                    .exec_without_returning(&txn)
                    .await
                    .map_err(|e| match e.sql_err() {
                        Some(SqlErr::ForeignKeyConstraintViolation(_)) => StorageError::NotFound,
                        _ => map_err("attendees", e),
                    })?;
                let ids = chunk.iter().map(|(user_id, _)| user_id.clone());
                for row in attendees::Entity::find()
                    .filter(attendees::Column::MeetingId.eq(meeting.0))
                    .filter(attendees::Column::Platform.eq(platform.code()))
                    .filter(attendees::Column::PlatformUserId.is_in(ids))
                    .all(&txn)
                    .await?
                {
                    out.push(convert::attendee(row)?);
                }
            }
            Ok(out)
        }
        .await;
        finish(txn, result).await
    }

    pub async fn attendee(&self, id: AttendeeId) -> Result<Option<AttendeeRecord>, StorageError> {
        attendees::Entity::find_by_id(id.0)
            .one(&self.db)
            .await?
            .map(convert::attendee)
            .transpose()
    }
}
