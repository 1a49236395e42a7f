//! The media store (issue 13): one row per uploaded file (videos and images for alerts,
//! revolutions and, later, image slides). The bytes live in `{LIBREKAST_DATA_DIR}/media/{id}`;
//! this table holds what was learnt at upload (the type sniffed from the content, the size,
//! the name it had) and who sent it. The id is 128 random bits in hex, so the file's address
//! is its own secret: no sequence to walk. A deleted account leaves its uploads in place,
//! owned by nobody (`ON DELETE SET NULL`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Media {
    Table,
    Id,
    ContentType,
    Size,
    Name,
    UploadedBy,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Media::Table)
                    .col(string(Media::Id).primary_key())
                    .col(string(Media::ContentType))
                    .col(big_integer(Media::Size))
                    .col(string_null(Media::Name))
                    .col(big_integer_null(Media::UploadedBy))
                    .col(big_integer(Media::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_media_uploaded_by")
                            .from(Media::Table, Media::UploadedBy)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::SetNull),
                    )
                    .to_owned(),
            )
            .await?;
        // The dashboard lists the newest first.
        manager
            .create_index(
                Index::create()
                    .name("ix_media_created_at")
                    .table(Media::Table)
                    .col(Media::CreatedAt)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Media::Table).to_owned())
            .await
    }
}
