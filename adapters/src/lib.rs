//! LibreKast chat sources: Twitch and YouTube audiences in the same meeting as the room.
//! Each configured source becomes an adapter actor in its meeting's supervision tree
//! (through [`StreamsFactory`]), reports its status to staff, hands chat lines to the
//! meeting in batches and posts through a throttled outbox.
//!
//! - [`factory`]: [`StreamsFactory`], a meeting's adapters from its stored sources.
//! - [`env`]: [`AdapterEnv`], what every adapter shares; [`config`]: the platforms'
//!   addresses and OAuth clients (`LIBREKAST_*`).
//! - [`twitch`]: the Twitch adapter (IRC via twitch-irc) and Twitch OAuth.
//! - [`youtube`]: the YouTube adapter (Data API live chat: streamList or list, insert),
//!   Google OAuth and the quota meter.
//! - [`irc_transport`]: TLS (rustls, ring) or plain TCP for twitch-irc.
//! - [`accounts`]: storing a platform's tokens for a staff user and keeping them fresh.
//! - [`status`]: reporting an adapter's status to staff and the log.
//! - [`outbox`]: the throttled outgoing queue (drop-oldest when full).
//! - [`recent`]: the ids of the platform events handled last (alerts raised once).
//! - [`source`], [`room`]: the platform-neutral chat source trait and the in-room source.
//! - [`error`]: the [`AdapterError`] enum.

pub mod accounts;
pub mod config;
pub mod env;
pub mod error;
pub mod factory;
pub mod irc_transport;
pub mod outbox;
pub mod recent;
pub mod room;
pub mod source;
pub mod status;
pub mod twitch;
pub mod youtube;

pub use config::{IrcTarget, OAuthClient, PlatformConfig};
pub use env::AdapterEnv;
pub use error::AdapterError;
pub use factory::StreamsFactory;
pub use librekast_engine::chat::{ChatMessage, Intent, parse_intent};
pub use room::RoomSource;
pub use source::ChatSource;
