//! LibreKast engine: the meeting domain and its actors. No HTTP, no SQL strings, no platform SDKs.
//!
//! - [`chat`]: chat lines from any platform and what they ask for.
//! - [`transition`]: the meeting status machine as a pure function (`apply`), tested as a table.
//! - [`words`], [`flags`], [`scoring`]: pure rules for word clouds, flag codes and quiz points.
//! - [`meeting`]: the live, in-memory state of one meeting and the changes each command makes.
//! - [`wire`]: server→client frames, serialized once per audience.
//! - [`writer`]: the group-commit writer; an answer is acknowledged only after it is durable.
//! - [`actor`]: `MeetingActor`, the only writer of a meeting's live state.
//! - [`supervisor`]: `MeetingSupervisor`, restarts failed meeting actors with backoff.
//! - [`hub`]: [`Engine`] and [`MeetingHandle`], what the web layer and adapters talk to.
//! - [`error`]: the [`EngineError`] enum and the stable wire [`ErrorCode`]s.

pub mod actor;
pub mod chat;
pub mod error;
pub mod flags;
pub mod hub;
pub mod meeting;
pub mod scoring;
pub mod supervisor;
pub mod transition;
pub mod wire;
pub mod words;
pub mod writer;

pub use chat::{ChatMessage, ChatReport};
pub use error::{EngineError, ErrorCode};
pub use hub::{Audience, Command, Engine, EngineConfig, MeetingHandle, Outbound, Sender};
pub use meeting::Expect;
pub use transition::Control;
pub use wire::{AckOk, AckResult, Answer, FlagAck, Snapshot, Standings, You};
