//! Where a staff session was opened: `session_details` holds the browser's `User-Agent` and
//! the client address of a login, shown on the account page next to each session. A table
//! of its own, one row per staff session, so the participant sessions a keynote inserts by
//! the thousand keep their narrow rows; it goes with its session (`ON DELETE CASCADE`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Token,
}

#[derive(DeriveIden)]
enum SessionDetails {
    Table,
    Token,
    UserAgent,
    Address,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(SessionDetails::Table)
                    .col(string(SessionDetails::Token).primary_key())
                    .col(string_null(SessionDetails::UserAgent))
                    .col(string_null(SessionDetails::Address))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_session_details_session")
                            .from(SessionDetails::Table, SessionDetails::Token)
                            .to(Sessions::Table, Sessions::Token)
                            .on_delete(ForeignKeyAction::Cascade)
                            .on_update(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SessionDetails::Table).to_owned())
            .await
    }
}
