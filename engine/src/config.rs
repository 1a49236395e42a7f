//! [`EngineConfig`]: the engine's settings, filled by the binary from its configuration.

use std::time::Duration;

use crate::extension::Extensions;

#[derive(Debug, Clone)]
pub struct EngineConfig {
    /// Events kept per meeting for a slow connection before it must resync from a snapshot.
    pub broadcast_capacity: usize,
    /// At most this often are tallies and word clouds published (coalescing window).
    pub flush_interval: Duration,
    /// How long a connection waits for its ack.
    pub ack_timeout: Duration,
    /// A meeting with no connection and no running chat source for this long stops and
    /// frees its memory (`LIBREKAST_IDLE_SECS`); the next request starts it again.
    pub idle: Duration,
    /// Adapters and bots, started in every meeting's tree.
    pub extensions: Extensions,
    /// Meeting starts that may wait in the start queue ([`crate::meetings`]); beyond it a
    /// request is refused with [`crate::EngineError::Busy`].
    pub start_queue: usize,
    /// Meetings loading from storage at once.
    pub start_concurrency: usize,
    /// How long a request waits for its meeting to start.
    pub start_wait: Duration,
}

/// `LIBREKAST_IDLE_SECS`' default: ten minutes.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(600);

/// Meeting starts that may wait for their turn at most; beyond it a request is answered
/// [`crate::EngineError::Busy`] at once.
pub const START_QUEUE: usize = 4_096;
/// Trees loading from storage at once. Loading is mostly waiting for the database: a few at
/// a time keep it busy without starving the writer of connections.
pub const START_CONCURRENCY: usize = 8;
/// How long a request waits for its meeting to start before it is answered
/// [`crate::EngineError::Busy`] (503 with `Retry-After`).
pub const START_WAIT: Duration = Duration::from_secs(30);

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            broadcast_capacity: 256,
            flush_interval: Duration::from_millis(100),
            ack_timeout: Duration::from_secs(10),
            idle: DEFAULT_IDLE,
            extensions: Extensions::default(),
            start_queue: START_QUEUE,
            start_concurrency: START_CONCURRENCY,
            start_wait: START_WAIT,
        }
    }
}
