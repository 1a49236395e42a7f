//! Timers and scoring: an activity's time limit, its points under speed scoring and when
//! its open timer closes (honoured after a restart); a meeting's scoring rule and whether
//! Next opens the next activity directly.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    TimeLimitSecs,
    Points,
    ClosesAt,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Scoring,
    AutoStart,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        let columns = [
            (
                Activities::Table.into_iden(),
                integer(Activities::TimeLimitSecs).default(0).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                integer_null(Activities::Points).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                big_integer_null(Activities::ClosesAt).to_owned(),
            ),
            (
                Meetings::Table.into_iden(),
                text(Meetings::Scoring).default("first_bonus").to_owned(),
            ),
            (
                Meetings::Table.into_iden(),
                boolean(Meetings::AutoStart).default(false).to_owned(),
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
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (table, column) in [
            (
                Activities::Table.into_iden(),
                Activities::TimeLimitSecs.into_iden(),
            ),
            (
                Activities::Table.into_iden(),
                Activities::Points.into_iden(),
            ),
            (
                Activities::Table.into_iden(),
                Activities::ClosesAt.into_iden(),
            ),
            (Meetings::Table.into_iden(), Meetings::Scoring.into_iden()),
            (Meetings::Table.into_iden(), Meetings::AutoStart.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
