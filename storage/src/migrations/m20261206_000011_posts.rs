//! Open questions and Q&A: a `posts` table (text answers and questions, with their
//! moderation state) and an `upvotes` table; an image with its alt text on any activity,
//! `auto_approve` and `hide_results` on activities, and the meeting's `sounds` switch.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    Image,
    Alt,
    AutoApprove,
    HideResults,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Sounds,
}

#[derive(DeriveIden)]
enum Attendees {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Posts {
    Table,
    Id,
    ActivityId,
    Number,
    AttendeeId,
    Text,
    Status,
    Pinned,
    Answered,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Upvotes {
    Table,
    Id,
    ActivityId,
    Number,
    AttendeeId,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        let columns = [
            (
                Activities::Table.into_iden(),
                text_null(Activities::Image).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                text(Activities::Alt).default("").to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                boolean(Activities::AutoApprove).default(false).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                boolean(Activities::HideResults).default(false).to_owned(),
            ),
            (
                Meetings::Table.into_iden(),
                boolean(Meetings::Sounds).default(true).to_owned(),
            ),
        ];
        for (table, mut column) in columns {
            manager
                .alter_table(
                    Table::alter()
                        .table(table)
                        .add_column(&mut column)
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(Posts::Table)
                    .col(big_pk_auto(Posts::Id))
                    .col(big_integer(Posts::ActivityId))
                    .col(integer(Posts::Number))
                    .col(big_integer(Posts::AttendeeId))
                    .col(text(Posts::Text))
                    .col(string_len(Posts::Status, 16))
                    .col(boolean(Posts::Pinned).default(false))
                    .col(boolean(Posts::Answered).default(false))
                    .col(big_integer(Posts::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_posts_activity")
                            .from(Posts::Table, Posts::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_posts_attendee")
                            .from(Posts::Table, Posts::AttendeeId)
                            .to(Attendees::Table, Attendees::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_posts_activity_number")
                    .table(Posts::Table)
                    .col(Posts::ActivityId)
                    .col(Posts::Number)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_posts_attendee")
                    .table(Posts::Table)
                    .col(Posts::AttendeeId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Upvotes::Table)
                    .col(big_pk_auto(Upvotes::Id))
                    .col(big_integer(Upvotes::ActivityId))
                    .col(integer(Upvotes::Number))
                    .col(big_integer(Upvotes::AttendeeId))
                    .col(big_integer(Upvotes::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_upvotes_activity")
                            .from(Upvotes::Table, Upvotes::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_upvotes_attendee")
                            .from(Upvotes::Table, Upvotes::AttendeeId)
                            .to(Attendees::Table, Attendees::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_upvotes_activity_number_attendee")
                    .table(Upvotes::Table)
                    .col(Upvotes::ActivityId)
                    .col(Upvotes::Number)
                    .col(Upvotes::AttendeeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_upvotes_attendee")
                    .table(Upvotes::Table)
                    .col(Upvotes::AttendeeId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Upvotes::Table).to_owned())
            .await?;
        manager
            .drop_table(Table::drop().table(Posts::Table).to_owned())
            .await?;
        for (table, column) in [
            (Activities::Table.into_iden(), Activities::Image.into_iden()),
            (Activities::Table.into_iden(), Activities::Alt.into_iden()),
            (
                Activities::Table.into_iden(),
                Activities::AutoApprove.into_iden(),
            ),
            (
                Activities::Table.into_iden(),
                Activities::HideResults.into_iden(),
            ),
            (Meetings::Table.into_iden(), Meetings::Sounds.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
