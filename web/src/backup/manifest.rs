//! `manifest.json`, the archive's last entry: what made it, what the database holds, and
//! the size and SHA-256 of every other entry. Restore believes nothing it does not list.

use librekast_storage::backup::Counts;
use serde::{Deserialize, Serialize};

/// Says what the file is to someone who opens it without knowing LibreKast.
pub const FORMAT: &str = "librekast-backup";
/// Raised when an older `restore` could no longer read the archive correctly.
pub const FORMAT_VERSION: u32 = 1;
pub const MANIFEST: &str = "manifest.json";
/// The database snapshot's entry.
pub const DATABASE: &str = "database.sqlite";
/// The data directory's files are under this entry prefix (`data/media/ID`, `data/secret.key`).
pub const DATA_PREFIX: &str = "data/";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Manifest {
    pub format: String,
    pub format_version: u32,
    /// The LibreKast that wrote it.
    pub librekast_version: String,
    /// RFC 3339, UTC.
    pub created_at: String,
    pub database: DatabaseInfo,
    /// Where the key that seals platform tokens was: `file` (`data/secret.key` is in the
    /// archive), `environment` (`LIBREKAST_SECRET_KEY`: not in the archive) or `none`.
    pub secret_key: KeyPlace,
    /// Every entry but this manifest.
    pub files: Vec<FileEntry>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatabaseInfo {
    pub backend: String,
    /// The newest migration applied: the schema version.
    pub schema: String,
    /// Every migration applied, oldest first.
    pub migrations: Vec<String>,
    pub counts: Counts,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyPlace {
    File,
    Environment,
    None,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    /// Lowercase hex.
    pub sha256: String,
}

impl Manifest {
    pub fn new(
        database: DatabaseInfo,
        secret_key: KeyPlace,
        files: Vec<FileEntry>,
        created_at: String,
    ) -> Manifest {
        Manifest {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            librekast_version: env!("CARGO_PKG_VERSION").into(),
            created_at,
            database,
            secret_key,
            files,
        }
    }

    /// The media files listed (for the summary).
    pub fn media_files(&self) -> usize {
        self.files
            .iter()
            .filter(|f| f.path.starts_with("data/media/"))
            .count()
    }
}
