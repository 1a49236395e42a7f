//! Fake Twitch and YouTube servers on loopback, for tests and benchmarks: they speak the
//! platforms' real wire formats (samples with provenance in `tests/fixtures/`).
//!
//! - [`twitch`]: IRC chat (IRCv3 tags) and the OAuth device, token, refresh and validate
//!   endpoints.
//! - [`youtube`]: the Data API's live broadcasts, videos and live chat messages (list,
//!   streamList, insert), quota and chat-ended errors, and Google's OAuth endpoints.

pub mod twitch;
pub mod youtube;
