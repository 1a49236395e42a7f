//! Adapter errors.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AdapterError {
    /// The source is gone (disconnected, stopped); the supervisor decides whether to reconnect.
    #[error("chat source closed")]
    Closed,
    /// The platform refused a message we tried to post (rate limit, permissions).
    #[error("message refused by the platform: {0}")]
    Refused(String),
}
