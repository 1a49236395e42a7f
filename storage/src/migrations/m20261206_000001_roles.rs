//! Staff roles and meeting ownership: `users.role` (existing accounts become `admin`, so
//! nothing they could do is taken away), `meetings.owner_id` (existing meetings belong to no
//! organizer: only admins control them) and `meeting_shares` (organizers a meeting is shared
//! with).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Role,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    OwnerId,
}

#[derive(DeriveIden)]
enum MeetingShares {
    Table,
    MeetingId,
    UserId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(string(Users::Role).default("admin"))
                    .to_owned(),
            )
            .await?;
        // No foreign key here: SQLite cannot add one to an existing table. Users are never
        // deleted; a dangling owner would only mean "admins only".
        manager
            .alter_table(
                Table::alter()
                    .table(Meetings::Table)
                    .add_column(big_integer_null(Meetings::OwnerId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_meetings_owner")
                    .table(Meetings::Table)
                    .col(Meetings::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(MeetingShares::Table)
                    .col(big_integer(MeetingShares::MeetingId))
                    .col(big_integer(MeetingShares::UserId))
                    .primary_key(
                        Index::create()
                            .col(MeetingShares::MeetingId)
                            .col(MeetingShares::UserId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_meeting_shares_meeting")
                            .from(MeetingShares::Table, MeetingShares::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_meeting_shares_user")
                            .from(MeetingShares::Table, MeetingShares::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(
                Table::drop()
                    .table(MeetingShares::Table)
                    .if_exists()
                    .to_owned(),
            )
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ix_meetings_owner")
                    .table(Meetings::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Meetings::Table)
                    .drop_column(Meetings::OwnerId)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .drop_column(Users::Role)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
