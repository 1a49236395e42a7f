//! Sessions that end, stored hashed: `sessions.token` now holds the SHA-256 of the token
//! (existing rows are hashed in place, so nobody is logged out), `sessions.last_seen_at`
//! (a staff session's idle limit), `sessions.expires_at` (set on a meeting's participant
//! sessions when it ends: 30 days later) and `users.last_login_at` (shown by
//! `librekast user list`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use sea_orm_migration::sea_orm::{ConnectionTrait, Statement};

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Sessions {
    Table,
    LastSeenAt,
    ExpiresAt,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    LastLoginAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer(Sessions::LastSeenAt).default(0))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Users::Table)
                    .add_column(big_integer_null(Users::LastLoginAt))
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Sessions::Table)
                    .add_column(big_integer_null(Sessions::ExpiresAt))
                    .to_owned(),
            )
            .await?;
        let db = manager.get_connection();
        let backend = db.get_database_backend();
        db.execute_unprepared("UPDATE sessions SET last_seen_at = created_at")
            .await?;
        // Meetings that already ended: their participants get the same 30 days from now.
        let expires = crate::model::now_micros() + crate::model::PARTICIPANT_GRACE;
        db.execute_unprepared(&format!(
            "UPDATE sessions SET expires_at = {expires} WHERE kind = 'participant' AND \
             meeting_id IN (SELECT id FROM meetings WHERE status = '{}')",
            crate::model::MeetingStatus::After.code()
        ))
        .await?;
        // Existing tokens are replaced by their hash: the same browsers stay logged in.
        let rows = db
            .query_all_raw(Statement::from_string(
                backend,
                "SELECT token FROM sessions",
            ))
            .await?;
        let (a, b) = match backend {
            sea_orm_migration::sea_orm::DbBackend::Postgres => ("$1", "$2"),
            _ => ("?", "?"),
        };
        for row in rows {
            let token: String = row.try_get("", "token")?;
            db.execute_raw(Statement::from_sql_and_values(
                backend,
                format!("UPDATE sessions SET token = {a} WHERE token = {b}"),
                [crate::tokens::token_hash(&token).into(), token.into()],
            ))
            .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // Hashes cannot be turned back into tokens: going down logs everybody out.
        manager
            .get_connection()
            .execute_unprepared("DELETE FROM sessions")
            .await?;
        for (table, column) in [
            (
                Sessions::Table.into_iden(),
                Sessions::LastSeenAt.into_iden(),
            ),
            (Users::Table.into_iden(), Users::LastLoginAt.into_iden()),
            (Sessions::Table.into_iden(), Sessions::ExpiresAt.into_iden()),
        ] {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}
