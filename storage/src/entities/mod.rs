//! One sea-orm entity per table. Ids and times are `i64` (BIGINT on PostgreSQL, INTEGER on
//! SQLite); enums are stored as their string codes from [`crate::model`].

pub mod activities;
pub mod attendees;
pub mod chat_seen;
pub mod choices;
pub mod flag_attempts;
pub mod flag_captures;
pub mod flags;
pub mod media;
pub mod meeting_shares;
pub mod meetings;
pub mod platform_accounts;
pub mod posts;
pub mod quota_usage;
pub mod ratings;
pub mod session_details;
pub mod sessions;
pub mod source_cursors;
pub mod upvotes;
pub mod users;
pub mod votes;
pub mod words;
