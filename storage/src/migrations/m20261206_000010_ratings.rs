//! Ratings and multi-select: an activity's answer rules (how many choices, partial credit,
//! a rating scale, a grid's prior weight), a meeting's streak bonus, a `ratings` table for
//! scale and grid answers, and votes unique per (activity, attendee, choice) so one
//! attendee can pick several choices of a multi-select poll or quiz.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    MaxChoices,
    PartialCredit,
    Scale,
    PriorWeight,
}

#[derive(DeriveIden)]
enum Meetings {
    Table,
    StreakBonus,
}

#[derive(DeriveIden)]
enum Votes {
    Table,
    ActivityId,
    AttendeeId,
    ChoiceId,
}

#[derive(DeriveIden)]
enum Attendees {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Choices {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Ratings {
    Table,
    Id,
    ActivityId,
    AttendeeId,
    ChoiceId,
    Value,
    CreatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // One column per statement: SQLite adds one column per ALTER TABLE.
        let columns = [
            (
                Activities::Table.into_iden(),
                integer(Activities::MaxChoices).default(1).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                boolean(Activities::PartialCredit).default(false).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                text_null(Activities::Scale).to_owned(),
            ),
            (
                Activities::Table.into_iden(),
                integer_null(Activities::PriorWeight).to_owned(),
            ),
            (
                Meetings::Table.into_iden(),
                integer(Meetings::StreakBonus).default(0).to_owned(),
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
            .drop_index(
                Index::drop()
                    .name("ux_votes_activity_attendee")
                    .table(Votes::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_votes_activity_attendee_choice")
                    .table(Votes::Table)
                    .col(Votes::ActivityId)
                    .col(Votes::AttendeeId)
                    .col(Votes::ChoiceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Ratings::Table)
                    .col(big_pk_auto(Ratings::Id))
                    .col(big_integer(Ratings::ActivityId))
                    .col(big_integer(Ratings::AttendeeId))
                    // A grid's item; `NULL` for a scale.
                    .col(big_integer_null(Ratings::ChoiceId))
                    .col(integer(Ratings::Value))
                    .col(big_integer(Ratings::CreatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ratings_activity")
                            .from(Ratings::Table, Ratings::ActivityId)
                            .to(Activities::Table, Activities::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ratings_attendee")
                            .from(Ratings::Table, Ratings::AttendeeId)
                            .to(Attendees::Table, Attendees::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .name("fk_ratings_choice")
                            .from(Ratings::Table, Ratings::ChoiceId)
                            .to(Choices::Table, Choices::Id)
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        // Unique for grid items; a scale's single rating is kept unique by the engine
        // (NULLs are distinct in a unique index on both databases).
        manager
            .create_index(
                Index::create()
                    .name("ux_ratings_activity_attendee_choice")
                    .table(Ratings::Table)
                    .col(Ratings::ActivityId)
                    .col(Ratings::AttendeeId)
                    .col(Ratings::ChoiceId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ix_ratings_attendee")
                    .table(Ratings::Table)
                    .col(Ratings::AttendeeId)
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(Ratings::Table).to_owned())
            .await?;
        manager
            .drop_index(
                Index::drop()
                    .name("ux_votes_activity_attendee_choice")
                    .table(Votes::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("ux_votes_activity_attendee")
                    .table(Votes::Table)
                    .col(Votes::ActivityId)
                    .col(Votes::AttendeeId)
                    .unique()
                    .to_owned(),
            )
            .await?;
        for (table, column) in [
            (
                Activities::Table.into_iden(),
                Activities::MaxChoices.into_iden(),
            ),
            (
                Activities::Table.into_iden(),
                Activities::PartialCredit.into_iden(),
            ),
            (Activities::Table.into_iden(), Activities::Scale.into_iden()),
            (
                Activities::Table.into_iden(),
                Activities::PriorWeight.into_iden(),
            ),
            (
                Meetings::Table.into_iden(),
                Meetings::StreakBonus.into_iden(),
            ),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
