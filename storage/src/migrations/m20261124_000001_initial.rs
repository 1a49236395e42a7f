//! The first schema: meetings with their activities, choices, attendees, answers and flags,
//! plus staff users and sessions.
//!
//! Ids and microsecond times are BIGINT (INTEGER on SQLite, which is 64-bit there) so the
//! same schema holds on both backends.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Meetings {
    Table,
    Id,
    Title,
    Code,
    RewardFastest,
    FlagPrefix,
    Status,
    Position,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Activities {
    Table,
    Id,
    MeetingId,
    Position,
    Kind,
    Title,
    Description,
    WordLimit,
    State,
}

#[derive(DeriveIden)]
enum Choices {
    Table,
    Id,
    ActivityId,
    Position,
    Text,
    Slug,
    Correct,
}

#[derive(DeriveIden)]
enum Attendees {
    Table,
    Id,
    MeetingId,
    Name,
    Platform,
    PlatformUserId,
    Score,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Votes {
    Table,
    Id,
    ActivityId,
    AttendeeId,
    ChoiceId,
    Points,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Words {
    Table,
    Id,
    ActivityId,
    AttendeeId,
    Text,
    Normalized,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Flags {
    Table,
    Id,
    MeetingId,
    Name,
    Code,
    Points,
    FirstBlood,
    Position,
}

#[derive(DeriveIden)]
enum FlagCaptures {
    Table,
    Id,
    FlagId,
    AttendeeId,
    Points,
    FirstBlood,
    CreatedAt,
}

#[derive(DeriveIden)]
enum FlagAttempts {
    Table,
    Id,
    MeetingId,
    AttendeeId,
    Submitted,
    FlagId,
    Outcome,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
    Username,
    PasswordHash,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Sessions {
    Table,
    Token,
    Kind,
    UserId,
    MeetingId,
    AttendeeId,
    CreatedAt,
}

/// Every reference cascades: deleting a meeting removes everything recorded for it.
fn fk(
    name: &str,
    from: (impl IntoIden, impl IntoIden),
    to: (impl IntoIden, impl IntoIden),
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .name(name)
        .from(from.0, from.1)
        .to(to.0, to.1)
        .on_delete(ForeignKeyAction::Cascade)
        .on_update(ForeignKeyAction::Cascade)
        .to_owned()
}

fn index(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    let mut stmt = Index::create();
    stmt.name(name).table(table);
    for col in cols {
        stmt.col(col);
    }
    stmt.to_owned()
}

fn unique(name: &str, table: impl IntoIden, cols: Vec<DynIden>) -> IndexCreateStatement {
    index(name, table, cols).unique().to_owned()
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Meetings::Table)
                    .col(big_pk_auto(Meetings::Id))
                    .col(string(Meetings::Title))
                    .col(string(Meetings::Code))
                    .col(boolean(Meetings::RewardFastest).default(false))
                    .col(string(Meetings::FlagPrefix))
                    .col(string(Meetings::Status))
                    .col(integer(Meetings::Position).default(0))
                    .col(big_integer(Meetings::CreatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_meetings_status",
                Meetings::Table,
                vec![Meetings::Status.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Activities::Table)
                    .col(big_pk_auto(Activities::Id))
                    .col(big_integer(Activities::MeetingId))
                    .col(integer(Activities::Position))
                    .col(string(Activities::Kind))
                    .col(string(Activities::Title))
                    .col(text(Activities::Description))
                    .col(integer(Activities::WordLimit))
                    .col(string(Activities::State))
                    .foreign_key(&mut fk(
                        "fk_activities_meeting",
                        (Activities::Table, Activities::MeetingId),
                        (Meetings::Table, Meetings::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_activities_meeting_position",
                Activities::Table,
                vec![
                    Activities::MeetingId.into_iden(),
                    Activities::Position.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Choices::Table)
                    .col(big_pk_auto(Choices::Id))
                    .col(big_integer(Choices::ActivityId))
                    .col(integer(Choices::Position))
                    .col(string(Choices::Text))
                    .col(string(Choices::Slug))
                    .col(boolean(Choices::Correct).default(false))
                    .foreign_key(&mut fk(
                        "fk_choices_activity",
                        (Choices::Table, Choices::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_choices_activity_slug",
                Choices::Table,
                vec![Choices::ActivityId.into_iden(), Choices::Slug.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Attendees::Table)
                    .col(big_pk_auto(Attendees::Id))
                    .col(big_integer(Attendees::MeetingId))
                    .col(string(Attendees::Name))
                    .col(string(Attendees::Platform))
                    .col(string(Attendees::PlatformUserId))
                    .col(big_integer(Attendees::Score).default(0))
                    .col(big_integer(Attendees::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_attendees_meeting",
                        (Attendees::Table, Attendees::MeetingId),
                        (Meetings::Table, Meetings::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_attendees_meeting_platform_user",
                Attendees::Table,
                vec![
                    Attendees::MeetingId.into_iden(),
                    Attendees::Platform.into_iden(),
                    Attendees::PlatformUserId.into_iden(),
                ],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Votes::Table)
                    .col(big_pk_auto(Votes::Id))
                    .col(big_integer(Votes::ActivityId))
                    .col(big_integer(Votes::AttendeeId))
                    .col(big_integer(Votes::ChoiceId))
                    .col(big_integer_null(Votes::Points))
                    .col(big_integer(Votes::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_votes_activity",
                        (Votes::Table, Votes::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_votes_attendee",
                        (Votes::Table, Votes::AttendeeId),
                        (Attendees::Table, Attendees::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_votes_choice",
                        (Votes::Table, Votes::ChoiceId),
                        (Choices::Table, Choices::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        // The database, not the engine, is the last word on "one vote per attendee".
        manager
            .create_index(unique(
                "ux_votes_activity_attendee",
                Votes::Table,
                vec![Votes::ActivityId.into_iden(), Votes::AttendeeId.into_iden()],
            ))
            .await?;
        // Cascading deletes of attendees and choices would scan the table without these.
        manager
            .create_index(index(
                "ix_votes_attendee",
                Votes::Table,
                vec![Votes::AttendeeId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_votes_choice",
                Votes::Table,
                vec![Votes::ChoiceId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Words::Table)
                    .col(big_pk_auto(Words::Id))
                    .col(big_integer(Words::ActivityId))
                    .col(big_integer(Words::AttendeeId))
                    .col(string(Words::Text))
                    .col(string(Words::Normalized))
                    .col(big_integer(Words::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_words_activity",
                        (Words::Table, Words::ActivityId),
                        (Activities::Table, Activities::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_words_attendee",
                        (Words::Table, Words::AttendeeId),
                        (Attendees::Table, Attendees::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_words_activity_attendee_normalized",
                Words::Table,
                vec![
                    Words::ActivityId.into_iden(),
                    Words::AttendeeId.into_iden(),
                    Words::Normalized.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_words_attendee",
                Words::Table,
                vec![Words::AttendeeId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Flags::Table)
                    .col(big_pk_auto(Flags::Id))
                    .col(big_integer(Flags::MeetingId))
                    .col(string(Flags::Name))
                    .col(string(Flags::Code))
                    .col(big_integer(Flags::Points))
                    .col(big_integer(Flags::FirstBlood).default(0))
                    .col(integer(Flags::Position))
                    .foreign_key(&mut fk(
                        "fk_flags_meeting",
                        (Flags::Table, Flags::MeetingId),
                        (Meetings::Table, Meetings::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_flags_meeting_code",
                Flags::Table,
                vec![Flags::MeetingId.into_iden(), Flags::Code.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FlagCaptures::Table)
                    .col(big_pk_auto(FlagCaptures::Id))
                    .col(big_integer(FlagCaptures::FlagId))
                    .col(big_integer(FlagCaptures::AttendeeId))
                    .col(big_integer(FlagCaptures::Points))
                    .col(boolean(FlagCaptures::FirstBlood).default(false))
                    .col(big_integer(FlagCaptures::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_flag_captures_flag",
                        (FlagCaptures::Table, FlagCaptures::FlagId),
                        (Flags::Table, Flags::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_flag_captures_attendee",
                        (FlagCaptures::Table, FlagCaptures::AttendeeId),
                        (Attendees::Table, Attendees::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(unique(
                "ux_flag_captures_flag_attendee",
                FlagCaptures::Table,
                vec![
                    FlagCaptures::FlagId.into_iden(),
                    FlagCaptures::AttendeeId.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_flag_captures_attendee",
                FlagCaptures::Table,
                vec![FlagCaptures::AttendeeId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(FlagAttempts::Table)
                    .col(big_pk_auto(FlagAttempts::Id))
                    .col(big_integer(FlagAttempts::MeetingId))
                    .col(big_integer(FlagAttempts::AttendeeId))
                    .col(string(FlagAttempts::Submitted))
                    .col(big_integer_null(FlagAttempts::FlagId))
                    .col(string(FlagAttempts::Outcome))
                    .col(big_integer(FlagAttempts::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_flag_attempts_meeting",
                        (FlagAttempts::Table, FlagAttempts::MeetingId),
                        (Meetings::Table, Meetings::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_flag_attempts_attendee",
                        (FlagAttempts::Table, FlagAttempts::AttendeeId),
                        (Attendees::Table, Attendees::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_flag_attempts_flag",
                        (FlagAttempts::Table, FlagAttempts::FlagId),
                        (Flags::Table, Flags::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(index(
                "ix_flag_attempts_meeting_id",
                FlagAttempts::Table,
                vec![
                    FlagAttempts::MeetingId.into_iden(),
                    FlagAttempts::Id.into_iden(),
                ],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_flag_attempts_attendee",
                FlagAttempts::Table,
                vec![FlagAttempts::AttendeeId.into_iden()],
            ))
            .await?;
        manager
            .create_index(index(
                "ix_flag_attempts_flag",
                FlagAttempts::Table,
                vec![FlagAttempts::FlagId.into_iden()],
            ))
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Users::Table)
                    .col(big_pk_auto(Users::Id))
                    .col(string_uniq(Users::Username))
                    .col(string(Users::PasswordHash))
                    .col(big_integer(Users::CreatedAt))
                    .to_owned(),
            )
            .await?;

        manager
            .create_table(
                Table::create()
                    .table(Sessions::Table)
                    .col(string(Sessions::Token).primary_key())
                    .col(string(Sessions::Kind))
                    .col(big_integer_null(Sessions::UserId))
                    .col(big_integer_null(Sessions::MeetingId))
                    .col(big_integer_null(Sessions::AttendeeId))
                    .col(big_integer(Sessions::CreatedAt))
                    .foreign_key(&mut fk(
                        "fk_sessions_user",
                        (Sessions::Table, Sessions::UserId),
                        (Users::Table, Users::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_meeting",
                        (Sessions::Table, Sessions::MeetingId),
                        (Meetings::Table, Meetings::Id),
                    ))
                    .foreign_key(&mut fk(
                        "fk_sessions_attendee",
                        (Sessions::Table, Sessions::AttendeeId),
                        (Attendees::Table, Attendees::Id),
                    ))
                    .to_owned(),
            )
            .await?;
        for (name, col) in [
            ("ix_sessions_user", Sessions::UserId),
            ("ix_sessions_meeting", Sessions::MeetingId),
            ("ix_sessions_attendee", Sessions::AttendeeId),
        ] {
            manager
                .create_index(index(name, Sessions::Table, vec![col.into_iden()]))
                .await?;
        }

        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Children first, so no foreign key points at a dropped table.
        let tables: [DynIden; 11] = [
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            FlagAttempts::Table.into_iden(),
            FlagCaptures::Table.into_iden(),
            Flags::Table.into_iden(),
            Words::Table.into_iden(),
            Votes::Table.into_iden(),
            Attendees::Table.into_iden(),
            Choices::Table.into_iden(),
            Activities::Table.into_iden(),
            Meetings::Table.into_iden(),
        ];
        for table in tables {
            manager
                .drop_table(Table::drop().table(table).if_exists().to_owned())
                .await?;
        }
        Ok(())
    }

    /// SQLite runs migrations outside a transaction by default; a crash mid-way would leave a
    /// half-built schema that the next start could not repair.
    fn use_transaction(&self) -> Option<bool> {
        Some(true)
    }
}
