//! Schema migrations, applied in order by [`Store::connect`](crate::Store::connect).
//!
//! A migration file is never edited once released: schema changes go in a new
//! `mYYYYMMDD_NNNNNN_name.rs` module appended to [`Migrator::migrations`].

use sea_orm_migration::{MigrationTrait, MigratorTrait};

mod m20261124_000001_initial;
mod m20261206_000001_roles;
mod m20261206_000002_sessions;
mod m20261206_000003_streams;
mod m20261206_000004_editor;
mod m20261206_000005_session_details;
mod m20261206_000006_bots;
mod m20261206_000007_notes;
mod m20261206_000008_media;
mod m20261206_000009_timers;
mod m20261206_000010_ratings;
mod m20261206_000011_posts;

pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_initial::Migration),
            Box::new(m20261206_000001_roles::Migration),
            Box::new(m20261206_000002_sessions::Migration),
            Box::new(m20261206_000003_streams::Migration),
            Box::new(m20261206_000004_editor::Migration),
            Box::new(m20261206_000005_session_details::Migration),
            Box::new(m20261206_000006_bots::Migration),
            Box::new(m20261206_000007_notes::Migration),
            Box::new(m20261206_000008_media::Migration),
            Box::new(m20261206_000009_timers::Migration),
            Box::new(m20261206_000010_ratings::Migration),
            Box::new(m20261206_000011_posts::Migration),
        ]
    }
}
