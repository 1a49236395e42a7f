//! Storage errors. Never shown raw to a participant: the engine maps them to wire codes.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StorageError {
    #[error("not found")]
    NotFound,
    /// A unique index refused the write (a second vote, the same word again, a flag twice).
    #[error("duplicate: {0}")]
    Duplicate(String),
    /// A meeting file that cannot be imported; the text says what to fix.
    #[error("invalid meeting file: {0}")]
    InvalidMeeting(String),
    /// A plan (a meeting file sent by an editor) with problems, every one with its field.
    #[error("invalid plan: {}", .0.iter().map(|e| e.message.as_str()).collect::<Vec<_>>().join("; "))]
    InvalidPlan(Vec<crate::meeting_file::FieldError>),
    /// A plan that changes, moves or deletes something the meeting already used (an
    /// activity already reached, a flag already captured).
    #[error("{message}")]
    PlanLocked { field: String, message: String },
    /// A DATABASE_URL that is not sqlite:// or postgres://; the text says how to fix it.
    #[error("invalid database URL: {0}")]
    BadUrl(String),
    /// Another server holds this database; the text names it and says what to do.
    #[error("{0}")]
    Locked(String),
    /// The secret key for platform tokens is missing, malformed or not the one they were
    /// sealed with; the text says what to do.
    #[error("{0}")]
    SecretKey(String),
    /// A backup that cannot be made or restored (`librekast backup`/`restore`); the text
    /// says why and what to do.
    #[error("{0}")]
    Backup(String),
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
}
