//! LibreKast chat sources: where audience messages come from besides the meeting's own
//! WebSocket. Each platform becomes a [`ChatSource`]; the engine sees only [`ChatMessage`]s.
//!
//! - [`source`]: the [`ChatSource`] trait every platform adapter implements.
//! - [`room`]: the in-room source, an in-process channel (also the test double).
//! - [`error`]: the [`AdapterError`] enum.
//!
//! Twitch (twitch-irc) and YouTube (google-youtube3) adapters come next, behind the same trait.

pub mod error;
pub mod room;
pub mod source;

pub use error::AdapterError;
pub use librekast_engine::chat::{ChatMessage, Intent, parse_intent};
pub use room::RoomSource;
pub use source::ChatSource;
