use sea_orm::entity::prelude::*;

/// One file of the media store. The bytes are in `{data_dir}/media/{id}`; the id (32 hex
/// digits, 128 random bits) is the file's address and the only thing that opens it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "media")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Sniffed from the content at upload (`image/png`, `video/webm`, …), never from a name.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// The name the file had on the uploader's computer, cleaned; shown, never trusted.
    pub name: Option<String>,
    /// The staff user who uploaded it; `None` once that account is deleted.
    pub uploaded_by: Option<i64>,
    pub created_at: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::users::Entity",
        from = "Column::UploadedBy",
        to = "super::users::Column::Id",
        on_delete = "SetNull"
    )]
    User,
}

impl ActiveModelBehavior for ActiveModel {}
