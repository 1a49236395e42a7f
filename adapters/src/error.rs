//! Adapter errors.

use librekast_storage::StorageError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum AdapterError {
    /// The source is gone (disconnected, stopped); the supervisor decides whether to reconnect.
    #[error("chat source closed")]
    Closed,
    /// The platform refused a message we tried to post (rate limit, permissions).
    #[error("message refused by the platform: {0}")]
    Refused(String),
    /// The platform refused our credentials (expired, revoked, wrong client): the account
    /// must be connected again.
    #[error("{0}")]
    AuthRefused(String),
    /// The platform could not be reached or answered something unexpected.
    #[error("{0}")]
    Platform(String),
    /// Something the operator must configure first; the text says what.
    #[error("{0}")]
    NotConfigured(String),
    /// The user gave up or the code expired (device flow).
    #[error("{0}")]
    Expired(String),
    #[error("{0}")]
    Storage(#[from] StorageError),
}

impl From<reqwest::Error> for AdapterError {
    fn from(e: reqwest::Error) -> Self {
        // reqwest's text names the URL, never a token (tokens travel in bodies and headers).
        AdapterError::Platform(e.to_string())
    }
}
