//! The media store's records: one row per uploaded file, written once the file is safely
//! on disk and deleted before the file is, so a listed or served id always has its bytes
//! (the web layer's `media` module owns the files). Nothing here changes a row: a file is
//! immutable under its id, which is what lets browsers cache it for good.

use std::collections::HashMap;

use sea_orm::ActiveValue::Set;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use crate::StorageError;
use crate::entities::{media, users};
use crate::model::{Micros, UserId};
use crate::store::{Store, map_err};

/// A stored file, as the dashboard lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaRecord {
    pub id: String,
    pub content_type: String,
    pub size: u64,
    pub name: Option<String>,
    pub uploaded_by: Option<UserId>,
    /// The uploader's user name (`None`: the account was deleted).
    pub uploader: Option<String>,
    pub created_at: Micros,
}

/// What an upload adds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMedia<'a> {
    pub id: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    pub name: Option<&'a str>,
    pub uploaded_by: Option<UserId>,
    pub created_at: Micros,
}

fn record(row: media::Model, uploader: Option<String>) -> MediaRecord {
    MediaRecord {
        id: row.id,
        content_type: row.content_type,
        size: u64::try_from(row.size).unwrap_or(0),
        name: row.name,
        uploaded_by: row.uploaded_by.map(UserId),
        uploader,
        created_at: row.created_at,
    }
}

impl Store {
    /// Records a file already written under its id; [`StorageError::Duplicate`] when the
    /// id exists (128 random bits: never, in practice).
    pub async fn insert_media(&self, new: &NewMedia<'_>) -> Result<(), StorageError> {
        let row = media::ActiveModel {
            id: Set(new.id.to_owned()),
            content_type: Set(new.content_type.to_owned()),
            size: Set(i64::try_from(new.size).unwrap_or(i64::MAX)),
            name: Set(new.name.map(str::to_owned)),
            uploaded_by: Set(new.uploaded_by.map(|u| u.0)),
            created_at: Set(new.created_at),
        };
        let _guard = self.write_guard().await;
        media::Entity::insert(row)
            .exec_without_returning(&self.db)
            .await
            .map_err(|e| map_err("media", e))?;
        Ok(())
    }

    /// One file's record (no uploader name: the server needs only the type and size).
    pub async fn media(&self, id: &str) -> Result<Option<MediaRecord>, StorageError> {
        let row = media::Entity::find_by_id(id.to_owned())
            .one(&self.db)
            .await?;
        Ok(row.map(|r| record(r, None)))
    }

    /// Every file, the newest first, with its uploader's name.
    pub async fn list_media(&self) -> Result<Vec<MediaRecord>, StorageError> {
        let rows = media::Entity::find()
            .order_by_desc(media::Column::CreatedAt)
            .order_by_asc(media::Column::Id)
            .all(&self.db)
            .await?;
        let mut ids: Vec<i64> = rows.iter().filter_map(|r| r.uploaded_by).collect();
        ids.sort_unstable();
        ids.dedup();
        let names: HashMap<i64, String> = if ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Username)
                .filter(users::Column::Id.is_in(ids))
                .into_tuple::<(i64, String)>()
                .all(&self.db)
                .await?
                .into_iter()
                .collect()
        };
        Ok(rows
            .into_iter()
            .map(|r| {
                let uploader = r.uploaded_by.and_then(|u| names.get(&u).cloned());
                record(r, uploader)
            })
            .collect())
    }

    /// Deletes a file's record; `false` when there was none.
    pub async fn delete_media(&self, id: &str) -> Result<bool, StorageError> {
        let _guard = self.write_guard().await;
        let done = media::Entity::delete_by_id(id.to_owned())
            .exec(&self.db)
            .await?;
        Ok(done.rows_affected > 0)
    }
}
