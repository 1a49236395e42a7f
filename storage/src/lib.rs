//! LibreKast storage: sea-orm entities, migrations and the queries the engine needs.
//!
//! - [`model`]: typed ids, string-backed enums and the plain records the engine works with.
//! - [`meeting_file`]: the import/export JSON format and its validation.
//! - [`gift`]: import of Moodle's GIFT question format as activities.
//! - [`entities`]: one sea-orm entity module per table.
//! - [`migrations`]: timestamped schema migrations, applied by [`Store::connect`].
//! - [`store`]: [`Store`], the connection handle and its transactions.
//! - [`queries`]: the queries of [`Store`], one module per aggregate (meetings, attendees,
//!   answers, sessions, users); attendee ids are handed out by the process that owns the
//!   database, so a join is one more row in a group-commit batch.
//! - [`lock`]: [`ServerLock`], one server per database (a lock file or an advisory lock).
//! - [`backup`]: the database side of `librekast backup`/`restore`: an online snapshot
//!   (`VACUUM INTO`), counts, and schema checks against the known migrations.
//! - [`files`]: private files and directories (`0600`, `0700`).
//! - [`tokens`]: session tokens are stored as their SHA-256 only.
//! - [`bots`]: a meeting's chat bots (periodic, command, revolution) and their validation.
//! - [`streams`]: a meeting's chat sources (Twitch, YouTube) and chat rules.
//! - [`stats`]: rating distributions, means, medians and a grid's Bayesian ranking.
//! - [`vault`]: platform tokens sealed at rest under the server's secret key.
//! - [`error`]: the [`StorageError`] enum.
//!
//! SQLite (a file, WAL mode) is the default; PostgreSQL is used when the URL says `postgres://`.

pub mod backup;
mod batch;
pub mod bots;
mod convert;
pub mod entities;
pub mod error;
pub mod files;
pub mod gift;
pub mod lock;
pub mod meeting_file;
pub mod migrations;
pub mod model;
pub mod queries;
pub mod stats;
pub mod store;
pub mod streams;
pub mod tokens;
pub mod vault;

pub use bots::{BUILT_IN_COMMANDS, Bot, bot_problems};
pub use error::StorageError;
pub use gift::{GiftError, GiftImport, GiftWarning, parse_gift};
pub use lock::ServerLock;
pub use stats::{GridStats, ItemStats, RatingStats};
pub use tokens::token_hash;

pub use meeting_file::{ActivityFile, ChoiceFile, FieldError, FlagFile, MeetingFile};
pub use model::*;
pub use queries::editing::{MeetingListing, PlanRecords};
pub use queries::streams::CHAT_SEEN_MICROS;
pub use store::{Backend, Store, with_database};
pub use streams::{ChatRules, Source, StoredSource};
pub use vault::{KeySource, SecretKey};
