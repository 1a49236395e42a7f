//! The browser editor and moderation: an activity's description markup (`text` or
//! `markdown`) and the words a moderator hid from its cloud, a meeting's blocked words, and
//! attendees removed by a moderator (their answers stop counting, their seat cannot rejoin).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    Markup,
    HiddenWords,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    BlockedWords,
}

#[derive(DeriveIden)]
enum Attendees {
    Table,
    Removed,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(text(Activities::Markup).default("text"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Activities::Table)
                    .add_column(text(Activities::HiddenWords).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Meetings::Table)
                    .add_column(text(Meetings::BlockedWords).default("[]"))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Attendees::Table)
                    .add_column(boolean(Attendees::Removed).default(false))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                Activities::Table.into_iden(),
                Activities::Markup.into_iden(),
            ),
            (
                Activities::Table.into_iden(),
                Activities::HiddenWords.into_iden(),
            ),
            (
                Meetings::Table.into_iden(),
                Meetings::BlockedWords.into_iden(),
            ),
            (Attendees::Table.into_iden(), Attendees::Removed.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
