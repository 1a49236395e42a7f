//! Engine errors (causes) and the stable snake_case codes sent to clients.

use serde::Serialize;
use thiserror::Error;

/// The error codes of the wire protocol. Stable: clients match on them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    AlreadyVoted,
    NotOpen,
    UnknownChoice,
    LimitReached,
    AlreadyFlagged,
    NotFound,
    Forbidden,
    InvalidControl,
    /// A control carried an `expect` that no longer holds: another organizer moved first.
    StaleControl,
    BadRequest,
    RateLimited,
    /// The answer could not be stored (database outage, meeting restarting): nothing was
    /// recorded, the client may retry.
    Unavailable,
    /// A moderator removed this attendee: their answers no longer count.
    Removed,
    /// The word (or name) holds one of the meeting's blocked words.
    BlockedWord,
    /// A multi-select vote picked more choices than the activity allows.
    TooManyChoices,
    /// A rating outside the activity's scale.
    OutOfRange,
}

impl ErrorCode {
    pub const ALL: [ErrorCode; 16] = [
        Self::AlreadyVoted,
        Self::NotOpen,
        Self::UnknownChoice,
        Self::LimitReached,
        Self::AlreadyFlagged,
        Self::NotFound,
        Self::Forbidden,
        Self::InvalidControl,
        Self::StaleControl,
        Self::BadRequest,
        Self::RateLimited,
        Self::Unavailable,
        Self::Removed,
        Self::BlockedWord,
        Self::TooManyChoices,
        Self::OutOfRange,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AlreadyVoted => "already_voted",
            Self::NotOpen => "not_open",
            Self::UnknownChoice => "unknown_choice",
            Self::LimitReached => "limit_reached",
            Self::AlreadyFlagged => "already_flagged",
            Self::NotFound => "not_found",
            Self::Forbidden => "forbidden",
            Self::InvalidControl => "invalid_control",
            Self::StaleControl => "stale_control",
            Self::BadRequest => "bad_request",
            Self::RateLimited => "rate_limited",
            Self::Unavailable => "unavailable",
            Self::Removed => "removed",
            Self::BlockedWord => "blocked_word",
            Self::TooManyChoices => "too_many_choices",
            Self::OutOfRange => "out_of_range",
        }
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Error)]
pub enum EngineError {
    #[error("meeting not found")]
    MeetingNotFound,
    #[error("the meeting is restarting or unavailable")]
    Unavailable,
    /// Too many meetings are starting at once (the start queue is full, or this one did not
    /// start within [`crate::config::START_WAIT`]): try again shortly.
    #[error("too many meetings are starting at once; try again in a moment")]
    Busy,
    #[error("storage: {0}")]
    Storage(#[from] librekast_storage::StorageError),
    #[error("actor: {0}")]
    Actor(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_serialize_as_their_names() {
        for code in ErrorCode::ALL {
            let json = serde_json::to_string(&code).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", code.as_str()));
        }
    }
}
