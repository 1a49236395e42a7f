//! Chat sources: a meeting's `sources` and `chat` rules (JSON, as in the meeting file),
//! staff users' connected platform accounts (tokens sealed, see [`crate::vault`]), the chat
//! message ids already counted (pruned after 24 hours), where a source resumes reading
//! (YouTube's page token) and the YouTube quota spent per project and day.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    Sources,
    Chat,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PlatformAccounts {
    Table,
    Id,
    UserId,
    Platform,
    Client,
    Login,
    PlatformUserId,
    Sealed,
    ExpiresAt,
    Scopes,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ChatSeen {
    Table,
    MeetingId,
    Platform,
    MessageId,
    At,
}

#[derive(DeriveIden)]
enum SourceCursors {
    Table,
    MeetingId,
    Platform,
    Cursor,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum QuotaUsage {
    Table,
    Project,
    Day,
    Units,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Two statements: SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Meetings::Table)
                    .add_column(text(Meetings::Sources).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Meetings::Table)
                    .add_column(text(Meetings::Chat).default("{}"))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(PlatformAccounts::Table)
                    .col(big_pk_auto(PlatformAccounts::Id))
                    .col(big_integer(PlatformAccounts::UserId))
                    .col(string(PlatformAccounts::Platform))
                    .col(string(PlatformAccounts::Client))
                    .col(string(PlatformAccounts::Login))
                    .col(string(PlatformAccounts::PlatformUserId))
                    .col(text(PlatformAccounts::Sealed))
                    .col(big_integer_null(PlatformAccounts::ExpiresAt))
                    .col(text(PlatformAccounts::Scopes))
                    .col(big_integer(PlatformAccounts::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_platform_accounts_user")
                            .from(PlatformAccounts::Table, PlatformAccounts::UserId)
                            .to(Users::Table, Users::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_platform_accounts_user_platform")
                    .table(PlatformAccounts::Table)
                    .col(PlatformAccounts::UserId)
                    .col(PlatformAccounts::Platform)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(ChatSeen::Table)
                    .col(big_integer(ChatSeen::MeetingId))
                    .col(string(ChatSeen::Platform))
                    .col(string(ChatSeen::MessageId))
                    .col(big_integer(ChatSeen::At))
                    .primary_key(
                        Index::create()
                            .col(ChatSeen::MeetingId)
                            .col(ChatSeen::Platform)
                            .col(ChatSeen::MessageId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_chat_seen_meeting")
                            .from(ChatSeen::Table, ChatSeen::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_chat_seen_at")
                    .table(ChatSeen::Table)
                    .col(ChatSeen::At)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SourceCursors::Table)
                    .col(big_integer(SourceCursors::MeetingId))
                    .col(string(SourceCursors::Platform))
                    .col(text(SourceCursors::Cursor))
                    .col(big_integer(SourceCursors::UpdatedAt))
                    .primary_key(
                        Index::create()
                            .col(SourceCursors::MeetingId)
                            .col(SourceCursors::Platform),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_source_cursors_meeting")
                            .from(SourceCursors::Table, SourceCursors::MeetingId)
                            .to(Meetings::Table, Meetings::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(QuotaUsage::Table)
                    .col(string(QuotaUsage::Project))
                    .col(string(QuotaUsage::Day))
                    .col(big_integer(QuotaUsage::Units))
                    .primary_key(
                        Index::create()
                            .col(QuotaUsage::Project)
                            .col(QuotaUsage::Day),
                    )
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            QuotaUsage::Table.into_iden(),
            SourceCursors::Table.into_iden(),
            ChatSeen::Table.into_iden(),
            PlatformAccounts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        for column in [Meetings::Chat.into_iden(), Meetings::Sources.into_iden()] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Meetings::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
