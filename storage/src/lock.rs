//! [`ServerLock`]: one server per database. Two servers on one database would each run their
//! own copy of a meeting and split its audience, so `serve` takes an advisory lock that the
//! kernel (SQLite: `flock` on a lock file next to the database) or the database (PostgreSQL:
//! a session-level advisory lock) releases when the process dies, so a restart after
//! `kill -9` just works. Other commands (`user`, `meeting import`, …) never take it.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use sea_orm::sqlx::postgres::PgConnection;
use sea_orm::sqlx::{Connection, Row};

use crate::StorageError;

/// The key of PostgreSQL's advisory lock (`"LibreKas"` in ASCII): one per database.
const PG_LOCK_KEY: i64 = 0x4c69_6272_654b_6173;

/// Held for as long as the server runs; dropping it releases the lock.
#[derive(Debug)]
pub enum ServerLock {
    /// The open, `flock`ed lock file.
    File { _file: File, path: PathBuf },
    /// The connection that holds the advisory lock (a lock of its session).
    Postgres(Box<PgConnection>),
    /// An in-memory database belongs to one process anyway.
    None,
}

impl ServerLock {
    /// Takes the lock for `database_url`, or says who holds it. `holder` describes this
    /// process for the next one that finds the lock taken (e.g. "pid 42, http://…").
    pub async fn acquire(database_url: &str, holder: &str) -> Result<ServerLock, StorageError> {
        if database_url.starts_with("sqlite:") {
            match crate::store::sqlite_file(database_url)? {
                Some(file) => lock_file(&lock_path(&file), holder),
                // An in-memory database belongs to one process anyway.
                None => Ok(ServerLock::None),
            }
        } else {
            lock_postgres(database_url).await
        }
    }

    /// Releases the lock at once (dropping it also does, but PostgreSQL notices a dropped
    /// connection only a moment later, and the next server may already be starting).
    pub async fn release(self) {
        if let ServerLock::Postgres(mut conn) = self {
            let _ = sea_orm::sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(PG_LOCK_KEY)
                .execute(&mut *conn)
                .await;
            let _ = conn.close().await;
        }
    }

    /// Where the lock lives, for messages.
    pub fn describe(&self) -> String {
        match self {
            ServerLock::File { path, .. } => format!("lock file {}", path.display()),
            ServerLock::Postgres(_) => "PostgreSQL advisory lock".into(),
            ServerLock::None => "in-memory database, no lock".into(),
        }
    }
}

/// `librekast.db` → `librekast.db.lock`, in the same directory.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

fn lock_file(path: &Path, holder: &str) -> Result<ServerLock, StorageError> {
    let io = |e: std::io::Error| {
        StorageError::Locked(format!("cannot open the lock file {}: {e}", path.display()))
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        crate::files::create_private_dir(dir).map_err(io)?;
    }
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .mode(0o600)
        .open(path)
        .map_err(io)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) => {
            let mut who = String::new();
            let _ = file.read_to_string(&mut who);
            let who = who.trim();
            let who = if who.is_empty() {
                "another process"
            } else {
                who
            };
            return Err(StorageError::Locked(format!(
                "another LibreKast server already serves this database ({who}; lock file {}): stop it first, or give this one its own DATABASE_URL",
                path.display()
            )));
        }
        Err(std::fs::TryLockError::Error(e)) => return Err(io(e)),
    }
    // Who holds it, for the next one: rewritten in place, never read for the decision.
    let _ = file.set_len(0);
    let _ = file.rewind();
    let _ = writeln!(file, "{holder}");
    let _ = file.sync_all();
    Ok(ServerLock::File {
        _file: file,
        path: path.to_path_buf(),
    })
}

async fn lock_postgres(url: &str) -> Result<ServerLock, StorageError> {
    let db =
        |e: sea_orm::sqlx::Error| StorageError::Database(sea_orm::DbErr::Custom(e.to_string()));
    let mut conn = PgConnection::connect(url).await.map_err(db)?;
    let got: bool = sea_orm::sqlx::query("SELECT pg_try_advisory_lock($1)")
        .bind(PG_LOCK_KEY)
        .fetch_one(&mut conn)
        .await
        .map_err(db)?
        .try_get(0)
        .map_err(db)?;
    if got {
        return Ok(ServerLock::Postgres(Box::new(conn)));
    }
    // Name the holder: its backend's client address and application name.
    let who = sea_orm::sqlx::query(
        "SELECT a.pid, coalesce(host(a.client_addr), 'local socket') AS addr, a.application_name \
         FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
         WHERE l.locktype = 'advisory' AND l.granted \
           AND l.objid = ($1::bigint & 4294967295) AND l.database = \
               (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1",
    )
    .bind(PG_LOCK_KEY)
    .fetch_optional(&mut conn)
    .await
    .ok()
    .flatten()
    .map(|row| {
        let pid: i32 = row.try_get("pid").unwrap_or_default();
        let addr: String = row.try_get("addr").unwrap_or_default();
        let app: String = row.try_get("application_name").unwrap_or_default();
        format!("database session {pid} from {addr}, application {app:?}")
    })
    .unwrap_or_else(|| "another session".into());
    let _ = conn.close().await;
    Err(StorageError::Locked(format!(
        "another LibreKast server already serves this PostgreSQL database ({who}): stop it first, or give this one its own database"
    )))
}
