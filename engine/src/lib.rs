//! LibreKast engine: the meeting domain and its actors. No HTTP, no SQL strings, no platform SDKs.
//!
//! The pure domain (no I/O, no audiences, no JSON):
//! - [`transition`]: the meeting status machine as a pure function (`apply`), tested as a table.
//! - [`words`], [`flags`], [`scoring`]: pure rules for word clouds, flag codes and quiz points.
//! - [`text`]: the one rule for names and words (no control, bidi or invisible-only text).
//! - [`meeting`]: the live, in-memory state of one meeting and the changes each command makes.
//! - [`chat`]: chat lines from any platform and what they ask for; [`seen`]: the chat
//!   message ids already handled (a replay counts once).
//! - [`markup`]: organizer text made safe as HTML.
//! - [`alerts`]: on-stream alerts and their ever-increasing ids.
//! - [`bots`]: the chat bots' rules (periodic turns, cooldowns, replies, revolutions) on the
//!   caller's clock.
//!
//! What a meeting publishes and who sees it:
//! - [`event`]: typed events and the data they carry.
//! - [`view`]: renders each event once per audience (`participant`, `staff`, `display`).
//! - [`wire`]: `state` frames with their per-connection `you`, acks, `score`.
//! - [`access`]: who is asking ([`Principal`]) and what they may do ([`Principal::can`]).
//!
//! The runtime (imports point down this list, never back up):
//! - [`engine`]: [`Engine`], the entry point (a meeting's handle, seating a participant
//!   through the group commit); [`config`]: its settings; [`metrics`]: what operators
//!   scrape; [`operations`]: what the live operations page shows; [`journal`]: the
//!   supervision events (logged and kept); [`tree_board`]: each tree's actors' states.
//! - [`meetings`]: the supervision root, one tree per running meeting, started through a
//!   bounded first-come-first-served start queue.
//! - [`supervisor`]: `MeetingSupervisor`, one meeting's tree (actor + extensions).
//! - [`extension`]: what adapters and bots implement to join a meeting's tree;
//!   [`bot_actor`]: the bots actor of a meeting's tree ([`bot_actor::BotsFactory`]).
//! - [`handle`]: [`MeetingHandle`], how connections and extensions talk to a meeting;
//!   [`sources`]: its chat sources' statuses and outboxes.
//! - [`actor`]: `MeetingActor`, the only writer of a meeting's live state.
//! - [`bus`]: a meeting's one bounded event channel; [`command`]: what may be asked of it.
//! - [`writer`]: the supervised group-commit writer; an answer is acked only once durable.
//! - [`restart`]: the restart policy (backoff, jitter, budget) as a pure value.
//! - [`error`]: the [`EngineError`] enum and the stable wire [`ErrorCode`]s.

pub mod access;
pub mod actor;
pub mod alerts;
pub mod bot_actor;
pub mod bots;
pub mod bus;
pub mod chat;
pub mod command;
pub mod config;
pub mod engine;
pub mod error;
pub mod event;
pub mod extension;
pub mod flags;
pub mod handle;
pub mod journal;
pub mod markup;
pub mod meeting;
pub mod meetings;
pub mod metrics;
pub mod operations;
pub mod restart;
pub mod scoring;
pub mod seen;
pub mod sources;
pub mod supervisor;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod transition;
pub mod tree_board;
pub mod view;
pub mod wire;
pub mod words;
pub mod writer;

pub use access::{Action, MeetingRef, Principal};
pub use alerts::{Alert, AlertIn, AlertKind};
pub use chat::{ChatMessage, ChatReport};
pub use command::{Command, Moderation};
pub use config::EngineConfig;
pub use engine::Engine;
pub use error::{EngineError, ErrorCode};
pub use event::{AdapterStatus, Event, FlagAck, Quota, Standings, You};
pub use extension::{Extension, ExtensionContext, ExtensionFactory, ExtensionKind, Extensions};
pub use handle::{MeetingHandle, Presence};
pub use meeting::{Expect, ParticipantRow};
pub use transition::Control;
pub use view::{Audience, Frame, Published, Snapshot};
pub use wire::{AckOk, AckResult};
