//! The database side of `librekast backup` and `restore` (SQLite only: PostgreSQL has
//! `pg_dump`).
//!
//! - [`snapshot`]: an online copy of a live database with `VACUUM INTO`. It runs in one read
//!   transaction on a connection of its own, so the copy is one consistent snapshot (every
//!   group-commit batch whole or absent) while the server keeps writing: in WAL mode a
//!   reader never blocks the writer. A file copy would not do: the database is a file plus
//!   its `-wal`, each changing under the copier.
//! - [`DatabaseCopy`]: a private copy (the snapshot, or one unpacked by a restore): its
//!   applied migrations, what it holds ([`Counts`]), its media rows, and [`migrate`]
//!   for an older one.
//! - [`check_schema`]: whether this binary knows every migration a copy has seen.
//!
//! [`migrate`]: DatabaseCopy::migrate

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sea_orm::SqlxSqliteConnector;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sea_orm::sqlx::{Row, SqlitePool};
use sea_orm_migration::MigratorTrait;

use crate::StorageError;
use crate::migrations::Migrator;

/// How long a statement waits for another connection's lock (a checkpoint of the server).
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

fn db_err(e: sea_orm::sqlx::Error) -> StorageError {
    StorageError::Database(sea_orm::DbErr::Custom(e.to_string()))
}

fn backup_err(msg: impl Into<String>) -> StorageError {
    StorageError::Backup(msg.into())
}

/// The file of a `sqlite:` URL; an error naming the problem for an in-memory database or
/// another backend (callers say what to use instead).
pub fn database_file(database_url: &str) -> Result<PathBuf, StorageError> {
    if !database_url.starts_with("sqlite:") {
        return Err(backup_err(
            "only a SQLite database (DATABASE_URL=sqlite://…) can be backed up or restored by LibreKast",
        ));
    }
    crate::store::sqlite_file(database_url)?.ok_or_else(|| {
        backup_err(
            "an in-memory database (sqlite::memory:) lives and dies with its server: there is nothing to back up or restore",
        )
    })
}

/// The names of the migrations this binary knows, oldest first.
pub fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|m| m.name().to_string())
        .collect()
}

/// How a copy's schema compares with this binary's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Schema {
    /// Every migration this binary knows, and no other.
    Current,
    /// Made by an older LibreKast: these migrations are still to run.
    Older { pending: Vec<String> },
    /// Made by a newer LibreKast: this binary does not know these migrations and must not
    /// open the database (its code would misread the newer tables).
    Newer { unknown: Vec<String> },
}

/// Compares the migrations a database has seen with the ones this binary knows.
pub fn check_schema(applied: &[String]) -> Schema {
    let known = known_migrations();
    let unknown: Vec<String> = applied
        .iter()
        .filter(|m| !known.contains(m))
        .cloned()
        .collect();
    if !unknown.is_empty() {
        return Schema::Newer { unknown };
    }
    let pending: Vec<String> = known.into_iter().filter(|m| !applied.contains(m)).collect();
    if pending.is_empty() {
        Schema::Current
    } else {
        Schema::Older { pending }
    }
}

/// Writes a consistent copy of the live SQLite database at `database_url` to `target` (which
/// must not exist), while a server may be writing to it. Never creates the live database and
/// never migrates it (the server that owns it does).
pub async fn snapshot(database_url: &str, target: &Path) -> Result<(), StorageError> {
    let file = database_file(database_url)?;
    if !file.is_file() {
        return Err(backup_err(format!(
            "no database at {}: check DATABASE_URL (the server's own setting)",
            file.display()
        )));
    }
    let opts = SqliteConnectOptions::from_str(database_url)
        .map_err(|e| StorageError::BadUrl(e.to_string()))?
        // `mode=rwc` in the server's URL must not create a missing file here.
        .create_if_missing(false)
        .busy_timeout(BUSY_TIMEOUT);
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(opts)
        .await
        .map_err(|e| backup_err(format!("cannot open the database {}: {e}", file.display())))?;
    let target_text = target.to_str().ok_or_else(|| {
        backup_err(format!(
            "the backup's working path {} is not valid UTF-8: choose another place for the file",
            target.display()
        ))
    })?;
    // `VACUUM INTO` reads the whole database in one read transaction and writes a compact
    // copy; SQLite's documentation calls the result a consistent snapshot.
    let result = sea_orm::sqlx::query("VACUUM INTO ?1")
        .bind(target_text)
        .execute(&pool)
        .await
        .map(|_| ())
        .map_err(|e| backup_err(format!("copying the database {}: {e}", file.display())));
    pool.close().await;
    result
}

/// What a database holds, for the operator's summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Counts {
    pub meetings: u64,
    pub attendees: u64,
    pub votes: u64,
    pub words: u64,
    pub ratings: u64,
    pub flag_captures: u64,
    pub posts: u64,
    pub users: u64,
    pub media: u64,
}

impl Counts {
    /// Votes, words, ratings and flag captures: what participants answered.
    pub fn answers(&self) -> u64 {
        self.votes + self.words + self.ratings + self.flag_captures
    }
}

/// A private copy of a database (a snapshot being archived, or one being restored), opened
/// alone: it is switched to a rollback journal so it stays one self-contained file.
pub struct DatabaseCopy {
    pool: SqlitePool,
    path: PathBuf,
}

impl DatabaseCopy {
    pub async fn open(path: &Path) -> Result<DatabaseCopy, StorageError> {
        let opts = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(false)
            .foreign_keys(true)
            .busy_timeout(BUSY_TIMEOUT)
            .journal_mode(SqliteJournalMode::Delete);
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(opts)
            .await
            .map_err(|e| {
                backup_err(format!(
                    "{} is not a readable SQLite database: {e}",
                    path.display()
                ))
            })?;
        Ok(DatabaseCopy {
            pool,
            path: path.to_path_buf(),
        })
    }

    /// The migrations applied to it, oldest first; an error when it is no LibreKast database.
    pub async fn migrations(&self) -> Result<Vec<String>, StorageError> {
        let rows = sea_orm::sqlx::query("SELECT version FROM seaql_migrations ORDER BY version")
            .fetch_all(&self.pool)
            .await
            .map_err(|e| {
                backup_err(format!(
                    "{} is not a LibreKast database (no migration table: {e})",
                    self.path.display()
                ))
            })?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db_err))
            .collect()
    }

    /// What it holds; a table an older schema lacks counts 0.
    pub async fn counts(&self) -> Result<Counts, StorageError> {
        Ok(Counts {
            meetings: self
                .count("meetings", "SELECT count(*) FROM meetings")
                .await?,
            attendees: self
                .count("attendees", "SELECT count(*) FROM attendees")
                .await?,
            votes: self.count("votes", "SELECT count(*) FROM votes").await?,
            words: self.count("words", "SELECT count(*) FROM words").await?,
            ratings: self
                .count("ratings", "SELECT count(*) FROM ratings")
                .await?,
            flag_captures: self
                .count("flag_captures", "SELECT count(*) FROM flag_captures")
                .await?,
            posts: self.count("posts", "SELECT count(*) FROM posts").await?,
            users: self.count("users", "SELECT count(*) FROM users").await?,
            media: self.count("media", "SELECT count(*) FROM media").await?,
        })
    }

    /// `sql` counts the rows of `table` (static text: sqlx takes no table name as a bind).
    async fn count(&self, table: &str, sql: &'static str) -> Result<u64, StorageError> {
        if !self.has_table(table).await? {
            return Ok(0);
        }
        let n: i64 = sea_orm::sqlx::query(sql)
            .fetch_one(&self.pool)
            .await
            .and_then(|r| r.try_get(0))
            .map_err(db_err)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn has_table(&self, table: &str) -> Result<bool, StorageError> {
        let n: i64 = sea_orm::sqlx::query(
            "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1",
        )
        .bind(table)
        .fetch_one(&self.pool)
        .await
        .and_then(|r| r.try_get(0))
        .map_err(db_err)?;
        Ok(n > 0)
    }

    /// The ids of the media rows, whose bytes live in the data directory's `media/`.
    pub async fn media_ids(&self) -> Result<Vec<String>, StorageError> {
        if !self.has_table("media").await? {
            return Ok(Vec::new());
        }
        let rows = sea_orm::sqlx::query("SELECT id FROM media ORDER BY id")
            .fetch_all(&self.pool)
            .await
            .map_err(db_err)?;
        rows.iter()
            .map(|r| r.try_get::<String, _>(0).map_err(db_err))
            .collect()
    }

    /// Drops media rows whose file is gone (deleted on the server after the snapshot: the
    /// server removes the row, then the file), so the copy lists no file it lacks.
    pub async fn forget_media(&self, ids: &[String]) -> Result<(), StorageError> {
        for id in ids {
            sea_orm::sqlx::query("DELETE FROM media WHERE id = ?1")
                .bind(id)
                .execute(&self.pool)
                .await
                .map_err(db_err)?;
        }
        Ok(())
    }

    /// Applies the migrations this binary has and the copy lacks.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        let db = SqlxSqliteConnector::from_sqlx_sqlite_pool(self.pool.clone());
        Migrator::up(&db, None).await?;
        Ok(())
    }

    /// Closes the connection, so the file is whole and may be moved.
    pub async fn close(self) {
        self.pool.close().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schema_comparison() {
        let known = known_migrations();
        assert!(known.len() > 1);
        assert_eq!(check_schema(&known), Schema::Current);
        let older = known[..known.len() - 1].to_vec();
        assert_eq!(
            check_schema(&older),
            Schema::Older {
                pending: vec![known[known.len() - 1].clone()]
            }
        );
        let mut newer = known.clone();
        newer.push("m20991231_000001_future".into());
        assert_eq!(
            check_schema(&newer),
            Schema::Newer {
                unknown: vec!["m20991231_000001_future".into()]
            }
        );
    }

    #[test]
    fn only_sqlite_files() {
        let file = database_file("sqlite:///var/lib/librekast/lk.db?mode=rwc");
        assert_eq!(file.ok(), Some(PathBuf::from("/var/lib/librekast/lk.db")));
        assert!(database_file("sqlite::memory:").is_err());
        assert!(database_file("postgres://u:p@h/db").is_err());
    }

    /// A snapshot of a live database taken while another connection writes: a consistent,
    /// migrated copy with its rows, and never a created database.
    #[tokio::test]
    async fn snapshot_of_a_live_database() {
        let dir = std::env::temp_dir().join(format!(
            "librekast-snapshot-{}-{}",
            std::process::id(),
            crate::now_micros()
        ));
        let live = dir.join("live.db");
        let url = format!("sqlite://{}?mode=rwc", live.display());
        let store = crate::Store::connect(&url)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .put_user("admin", "x")
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let copy = dir.join("copy.db");
        snapshot(&url, &copy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let db = DatabaseCopy::open(&copy)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            db.migrations().await.unwrap_or_default(),
            known_migrations()
        );
        assert_eq!(db.counts().await.map(|c| c.users).ok(), Some(1));
        db.close().await;
        // Never onto an existing file; never a new database.
        assert!(snapshot(&url, &copy).await.is_err());
        let missing = format!("sqlite://{}?mode=rwc", dir.join("none.db").display());
        let e = snapshot(&missing, &dir.join("x.db")).await.err();
        assert!(e.is_some_and(|e| e.to_string().contains("no database at")));
        assert!(!dir.join("none.db").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
