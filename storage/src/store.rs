//! [`Store`]: the database handle, its connection settings and transactions. The queries are
//! `impl Store` blocks in [`crate::queries`], one module per aggregate.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::sqlx::postgres::PgConnectOptions;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    AccessMode, ConnectOptions, Database, DatabaseConnection, DatabaseTransaction, DbErr,
    IsolationLevel, SqlErr, SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, MutexGuard};

use crate::StorageError;
use crate::migrations::Migrator;
use crate::model::SessionLimits;

const URL_HELP: &str =
    "use sqlite://librekast.db?mode=rwc, sqlite::memory: or postgres://user:pass@host/db";

/// A writer waiting longer than this for another process's SQLite lock gets SQLITE_BUSY.
const SQLITE_BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// WAL lets these read while one connection writes; writes from this process queue on
/// [`Store::write_lock`] instead of spinning in SQLite's busy handler.
const SQLITE_FILE_POOL: u32 = 4;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Cheap to clone (a pool handle).
#[derive(Debug, Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
    /// SQLite allows one writer at a time; taking this first makes writers of this process
    /// wait in FIFO order rather than in the busy handler's sleep-and-retry loop.
    write_lock: Arc<Mutex<()>>,
    session_limits: SessionLimits,
    /// The last attendee id handed out (see [`Store::allocate_attendee_ids`]); read from the
    /// table on first use.
    pub(crate) attendee_ids: Arc<tokio::sync::OnceCell<std::sync::atomic::AtomicI64>>,
    /// Seals platform tokens; `None` until the server (or a CLI command) sets one.
    pub(crate) vault: Option<crate::vault::SecretKey>,
}

impl Store {
    /// Connects, applies pending migrations, and for SQLite creates the file if missing and
    /// turns on WAL, foreign keys and a busy timeout. Accepts `sqlite://path?mode=rwc`,
    /// `sqlite::memory:` and `postgres://…`/`postgresql://…`.
    pub async fn connect(url: &str) -> Result<Store, StorageError> {
        let backend = backend_of(url)?;
        let mut opts = ConnectOptions::new(url);
        // Statement logging at info would log every vote.
        opts.sqlx_logging(false);
        match backend {
            Backend::Sqlite => {
                configure_sqlite(&mut opts, url)?;
                opts.map_sqlx_sqlite_pool_opts(|o| {
                    o.after_release(|conn, _| Box::pin(left_outside_transactions(conn)))
                });
            }
            Backend::Postgres => {
                // Parsed here only to report a malformed URL as BadUrl rather than as a
                // connection failure; sqlx's message names the bad part, not the password.
                url.parse::<PgConnectOptions>()
                    .map_err(|e| StorageError::BadUrl(format!("{e}: {URL_HELP}")))?;
                opts.map_sqlx_postgres_pool_opts(|o| {
                    o.after_release(|conn, _| Box::pin(left_outside_transactions(conn)))
                });
            }
        }
        let db = Database::connect(opts).await?;
        Migrator::up(&db, None).await?;
        tracing::debug!(backend = ?backend, "storage connected and migrated");
        Ok(Store {
            db,
            backend,
            write_lock: Arc::new(Mutex::new(())),
            session_limits: SessionLimits::default(),
            attendee_ids: Arc::default(),
            vault: None,
        })
    }

    /// How long staff sessions last (the server's settings; defaults otherwise).
    pub fn with_session_limits(mut self, limits: SessionLimits) -> Store {
        self.session_limits = limits;
        self
    }

    /// The key platform tokens are sealed with ([`crate::vault`]).
    pub fn with_secret_key(mut self, key: crate::vault::SecretKey) -> Store {
        self.vault = Some(key);
        self
    }

    pub fn session_limits(&self) -> SessionLimits {
        self.session_limits
    }
    pub fn backend(&self) -> Backend {
        self.backend
    }
    pub fn connection(&self) -> &DatabaseConnection {
        &self.db
    }

    pub(crate) async fn write_guard(&self) -> Option<MutexGuard<'_, ()>> {
        match self.backend {
            Backend::Sqlite => Some(self.write_lock.lock().await),
            Backend::Postgres => None,
        }
    }

    pub(crate) async fn begin_write(&self) -> Result<DatabaseTransaction, StorageError> {
        let txn = match self.backend {
            // IMMEDIATE takes the write lock up front (waiting up to the busy timeout). A
            // deferred transaction that reads before writing can instead fail at once with
            // SQLITE_BUSY when another connection committed in between.
            Backend::Sqlite => {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            Backend::Postgres => self.db.begin().await,
        };
        Ok(txn?)
    }

    /// One snapshot for multi-query reads, so a batch committed half-way through cannot show
    /// a vote whose attendee is missing.
    pub(crate) async fn begin_read(&self) -> Result<DatabaseTransaction, StorageError> {
        let txn = match self.backend {
            // A deferred SQLite transaction reads from one WAL snapshot.
            Backend::Sqlite => self.db.begin().await,
            Backend::Postgres => {
                self.db
                    .begin_with_config(
                        Some(IsolationLevel::RepeatableRead),
                        Some(AccessMode::ReadOnly),
                    )
                    .await
            }
        };
        Ok(txn?)
    }
}

/// Whether a connection coming back to the pool may be reused: only when it is outside every
/// transaction. A COMMIT that failed (`SQLITE_FULL`, a lost server) followed by a ROLLBACK
/// that failed too leaves sqlx counting an open transaction; on SQLite it may really be open
/// and hold the database's write lock. Reused, the next `begin` would only nest a SAVEPOINT in
/// it, whose "commit" writes nothing: acknowledged answers lost, every other writer locked
/// out. Such a connection is closed instead (closing rolls back and frees the lock).
async fn left_outside_transactions<C>(conn: &mut C) -> Result<bool, sea_orm::sqlx::Error>
where
    C: sea_orm::sqlx::Connection,
{
    if !conn.is_in_transaction() {
        return Ok(true);
    }
    // A rollback started on drop may still be queued: let it run, then look again.
    conn.ping().await?;
    let clean = !conn.is_in_transaction();
    if !clean {
        tracing::warn!("closing a database connection left inside a failed transaction");
    }
    Ok(clean)
}

/// A unique-index refusal becomes [`StorageError::Duplicate`] naming what was written.
/// `DbErr::sql_err` reads the SQLSTATE (PostgreSQL 23505) or the extended result code
/// (SQLite 2067 for UNIQUE, 1555 for a primary key).
pub(crate) fn map_err(what: &str, err: DbErr) -> StorageError {
    match err.sql_err() {
        Some(SqlErr::UniqueConstraintViolation(msg)) => {
            StorageError::Duplicate(format!("{what}: {msg}"))
        }
        _ => StorageError::Database(err),
    }
}

/// Commits on success; on error rolls back and returns the original error.
pub(crate) async fn finish<T>(
    txn: DatabaseTransaction,
    result: Result<T, StorageError>,
) -> Result<T, StorageError> {
    match result {
        Ok(value) => {
            txn.commit().await.map_err(|e| map_err("commit", e))?;
            Ok(value)
        }
        Err(err) => {
            if let Err(rollback) = txn.rollback().await {
                // The first error says what went wrong; a failed rollback only adds noise.
                tracing::warn!(error = %rollback, "rollback failed");
            }
            Err(err)
        }
    }
}

fn backend_of(url: &str) -> Result<Backend, StorageError> {
    if url.starts_with("sqlite:") {
        Ok(Backend::Sqlite)
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Backend::Postgres)
    } else if url.trim().is_empty() {
        Err(StorageError::BadUrl(format!(
            "the database URL is empty: {URL_HELP}"
        )))
    } else {
        // Only the scheme is echoed: the rest may hold a password.
        let scheme = url.split_once(':').map_or("(none)", |(scheme, _)| scheme);
        Err(StorageError::BadUrl(format!(
            "unsupported scheme {scheme:?}: {URL_HELP}"
        )))
    }
}

/// `postgres://u:p@h:5432/postgres?x=y` with the database name replaced: how tools and
/// tests reach a database they created next to the one they were given.
pub fn with_database(url: &str, database: &str) -> String {
    let scheme_end = url.find("://").map_or(0, |i| i + 3);
    let (base, query) = match url.find('?') {
        Some(q) => (&url[..q], &url[q..]),
        None => (url, ""),
    };
    let authority_end = base[scheme_end..]
        .find('/')
        .map_or(base.len(), |i| scheme_end + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// The file of a `sqlite:` URL; `None` for an in-memory database, which has none.
pub fn sqlite_file(database_url: &str) -> Result<Option<std::path::PathBuf>, StorageError> {
    let opts: SqliteConnectOptions = database_url
        .parse()
        .map_err(|e| StorageError::BadUrl(format!("{e}")))?;
    let file = opts.get_filename();
    if database_url.contains(":memory:")
        || database_url.contains("mode=memory")
        || file.as_os_str().is_empty()
    {
        return Ok(None);
    }
    Ok(Some(file.to_path_buf()))
}

fn configure_sqlite(opts: &mut ConnectOptions, url: &str) -> Result<(), StorageError> {
    // Parsed here to report a malformed URL as BadUrl; sea-orm parses it again.
    let parsed = url
        .parse::<SqliteConnectOptions>()
        .map_err(|e| StorageError::BadUrl(format!("{e}: {URL_HELP}")))?;
    let in_memory = url.contains(":memory:") || url.contains("mode=memory");
    // `sqlite:path` without a mode should create the file, like `mode=rwc`; an explicit
    // mode (rw, ro) is respected.
    let create = !url.contains("mode=");
    if !in_memory && (create || url.contains("mode=rwc")) {
        // Created private (0600, in a 0700 directory) before SQLite creates it with 0644.
        let path = parsed.get_filename();
        crate::files::create_private_file(path).map_err(|e| {
            StorageError::BadUrl(format!(
                "cannot create the database file {}: {e}",
                path.display()
            ))
        })?;
    }

    if in_memory {
        // An in-memory database lives as long as its last connection and is private to it:
        // one connection that is never recycled keeps every caller on the same database.
        opts.min_connections(1)
            .max_connections(1)
            .idle_timeout(None::<Duration>)
            .max_lifetime(None::<Duration>);
    } else {
        opts.max_connections(SQLITE_FILE_POOL);
    }
    opts.map_sqlx_sqlite_opts(move |o| {
        let o = o.foreign_keys(true).busy_timeout(SQLITE_BUSY_TIMEOUT);
        let o = if create { o.create_if_missing(true) } else { o };
        if in_memory {
            o
        } else {
            // WAL lets readers run beside the writer. synchronous=FULL fsyncs every commit,
            // so an acknowledged answer survives a power loss too, not only a killed process;
            // the engine's group commit makes that one fsync per batch, not per answer.
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
        }
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn with_database_replaces_only_the_name() {
        let url = "postgres://u:p@h:5432/postgres?sslmode=disable";
        assert_eq!(
            super::with_database(url, "lk_x"),
            "postgres://u:p@h:5432/lk_x?sslmode=disable"
        );
        assert_eq!(super::with_database("postgres://h", "d"), "postgres://h/d");
    }
}
