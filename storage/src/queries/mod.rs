//! The queries of [`crate::Store`], one module per aggregate, each an `impl Store` block.
//!
//! - [`meetings`]: import and export as a meeting file, lists, a meeting loaded whole.
//! - [`editing`]: what the browser editor does: create, replace the plan (ids kept, what
//!   the meeting already used locked), duplicate, reset, delete, share.
//! - [`attendees`]: in-room participants and chat viewers, keyed by platform and user id.
//! - [`answers`]: the meeting actors' writes (answers, controls, scores), one batch at a time.
//! - [`sessions`]: the tokens of staff and participants.
//! - [`users`]: staff accounts and their roles.
//! - [`results`]: a meeting's results (counts, clouds, every answer, the final scoreboard).
//! - [`access`]: who owns a meeting and whom it is shared with.
//! - [`streams`]: a meeting's chat sources and rules, chat ids already counted, cursors,
//!   the YouTube quota spent.
//! - [`accounts`]: staff users' connected platform accounts (tokens sealed).
//! - [`media`]: the media store's records (the files themselves are the web layer's).

pub mod access;
pub mod accounts;
pub mod answers;
pub mod attendees;
pub mod editing;
pub mod media;
pub mod meetings;
pub mod results;
pub mod sessions;
pub mod streams;
pub mod users;
