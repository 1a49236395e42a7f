//! `librekast backup FILE` and `librekast restore FILE` (docs/operations.md, "Backups").
//!
//! A backup is one archive ([`archive`]): an online snapshot of the SQLite database taken
//! while the server runs (`librekast_storage::backup::snapshot`, `VACUUM INTO`), the data
//! directory's own files (the media files the snapshot lists, `secret.key`), and a
//! [`manifest`]. It is written next to FILE under a temporary name and renamed at the end,
//! so FILE is a whole archive or absent, never half of one.
//!
//! A restore holds the server lock (`ServerLock`) throughout, so it never runs under a
//! server and no server starts meanwhile; unpacks and verifies the archive into staging
//! places before touching anything; migrates an older database; then [`place`]s the copy,
//! keeping what it replaces aside.

mod archive;
mod manifest;
mod place;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, anyhow, bail};
use librekast_storage::backup::{self as db, Counts, DatabaseCopy, Schema};
use librekast_storage::vault::KEY_FILE;
use librekast_storage::{ServerLock, StorageError};
use librekast_web::Config;
use librekast_web::config::DEFAULT_BIND;

use archive::ArchiveWriter;
use manifest::{DATA_PREFIX, DATABASE, DatabaseInfo, KeyPlace, Manifest};

/// Where the key sealing platform tokens comes from when it is not `secret.key`.
const SECRET_KEY_ENV: &str = "LIBREKAST_SECRET_KEY";

#[derive(clap::Args)]
pub struct BackupArgs {
    /// The archive to write (a .tar.gz), or `-` for standard output.
    pub file: PathBuf,
    /// Replace FILE if it exists.
    #[arg(long)]
    pub force: bool,
    /// The server's data directory (media files, secret.key); default: the SQLite file's
    /// directory.
    #[arg(long, env = "LIBREKAST_DATA_DIR")]
    pub data_dir: Option<String>,
}

#[derive(clap::Args)]
pub struct RestoreArgs {
    /// An archive written by `librekast backup`, or `-` for standard input.
    pub file: PathBuf,
    /// The data directory to restore into; default: the SQLite file's directory.
    #[arg(long, env = "LIBREKAST_DATA_DIR")]
    pub data_dir: Option<String>,
}

/// The SQLite file and data directory of `database_url`, or why there are none. PostgreSQL
/// gets the commands that do the job there.
fn locations(
    database_url: &str,
    data_dir: Option<&str>,
    pg_hint: &str,
) -> anyhow::Result<(PathBuf, PathBuf)> {
    if database_url.starts_with("postgres://") || database_url.starts_with("postgresql://") {
        bail!("{pg_hint}");
    }
    let config = Config::new(DEFAULT_BIND, database_url, 1)?.with_data_dir(data_dir)?;
    let file = db::database_file(database_url)?;
    let data_dir = config
        .data_dir
        .ok_or_else(|| anyhow!("no data directory: set LIBREKAST_DATA_DIR"))?;
    Ok((file, data_dir))
}

const PG_BACKUP: &str = "librekast backup copies a SQLite database; this server uses PostgreSQL. Back it up with PostgreSQL's own tool, e.g. `pg_dump --format=custom --file=librekast-$(date +%F).dump \"$DATABASE_URL\"`, plus the data directory (LIBREKAST_DATA_DIR: media files) and LIBREKAST_SECRET_KEY (see docs/operations.md, \"Backups\")";
const PG_RESTORE: &str = "librekast restore restores a SQLite database; this server uses PostgreSQL. With the server stopped, restore a pg_dump archive with `pg_restore --clean --if-exists --no-owner --dbname=\"$DATABASE_URL\" librekast.dump`, and copy the data directory back (see docs/operations.md, \"Backups\")";

/// `librekast backup FILE`.
pub async fn backup(database_url: &str, args: BackupArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (_, data_dir) = locations(database_url, args.data_dir.as_deref(), PG_BACKUP)?;
    let target = Target::new(&args.file, args.force)?;
    let work = target.work_dir()?;

    let copy_path = work.path.join(DATABASE);
    db::snapshot(database_url, &copy_path).await?;
    let copy = DatabaseCopy::open(&copy_path).await?;
    let migrations = copy.migrations().await?;
    if let Schema::Newer { unknown } = db::check_schema(&migrations) {
        eprintln!(
            "note: the database has migrations this librekast does not know ({}): restore this backup with the LibreKast version the server runs",
            unknown.join(", ")
        );
    }
    let media_ids = copy.media_ids().await?;

    // Media and key first: a media file deleted since the snapshot is then dropped from the
    // copy's rows before the copy itself goes in.
    let out = Counted {
        inner: target.open(&work)?,
        bytes: 0,
    };
    let key = data_dir.join(KEY_FILE);
    let media_dir = data_dir.join("media");
    let (writer, has_key, gone) = tokio::task::spawn_blocking(move || {
        let mut writer = ArchiveWriter::new(out);
        let has_key = writer.add_path(&format!("{DATA_PREFIX}{KEY_FILE}"), &key)?;
        let mut gone = Vec::new();
        for id in media_ids {
            let name = format!("{DATA_PREFIX}media/{id}");
            if !writer.add_path(&name, &media_dir.join(&id))? {
                gone.push(id);
            }
        }
        Ok::<_, archive::ArchiveError>((writer, has_key, gone))
    })
    .await??;
    if !gone.is_empty() {
        eprintln!(
            "note: {} media file(s) listed by the database had no file (deleted while the backup ran?): left out of the backup: {}",
            gone.len(),
            gone.join(", ")
        );
        copy.forget_media(&gone).await?;
    }
    let counts = copy.counts().await?;
    copy.close().await;

    let key_place = if std::env::var(SECRET_KEY_ENV).is_ok_and(|k| !k.trim().is_empty()) {
        KeyPlace::Environment
    } else if has_key {
        KeyPlace::File
    } else {
        KeyPlace::None
    };
    let info = DatabaseInfo {
        backend: "sqlite".into(),
        schema: migrations.last().cloned().unwrap_or_default(),
        migrations,
        counts,
    };
    let (out, manifest) = tokio::task::spawn_blocking(move || {
        let mut writer = writer;
        if !writer.add_path(DATABASE, &copy_path)? {
            return Err(archive::ArchiveError::Missing(DATABASE.into()));
        }
        writer
            .finish(|files| Manifest::new(info, key_place, files, librekast_storage::now_rfc3339()))
    })
    .await??;
    let size = target.commit(out, &work)?;
    drop(work);

    let summary = format!(
        "backup written to {} ({} in {:.1} s): {}; database schema {}",
        target.describe(),
        human_size(size),
        started.elapsed().as_secs_f64(),
        describe(&counts, manifest.media_files()),
        manifest.database.schema,
    );
    // On standard output unless the archive itself goes there.
    if target.is_stdout() {
        eprintln!("{summary}");
    } else {
        println!("{summary}");
    }
    match key_place {
        KeyPlace::Environment => eprintln!(
            "WARNING: {SECRET_KEY_ENV} is set, so the key that seals platform tokens (Twitch, YouTube) comes from the environment and is NOT in this backup. Keep a copy of that key with the backup: a server restored without it cannot read the connected accounts' tokens (each account would have to be connected again)."
        ),
        KeyPlace::File => eprintln!(
            "note: the archive holds {KEY_FILE}, which unseals the platform tokens: keep the backup as private as the data directory."
        ),
        KeyPlace::None => {}
    }
    Ok(())
}

/// `librekast restore FILE`.
pub async fn restore(database_url: &str, args: RestoreArgs) -> anyhow::Result<()> {
    let (db_file, data_dir) = locations(database_url, args.data_dir.as_deref(), PG_RESTORE)?;
    let source = describe_source(&args.file);
    let input: Box<dyn std::io::Read + Send> = if args.file.as_os_str() == "-" {
        Box::new(std::io::stdin())
    } else {
        match File::open(&args.file) {
            Ok(f) if f.metadata().is_ok_and(|m| m.is_dir()) => {
                bail!("{source} is a directory, not a backup archive")
            }
            Ok(f) => Box::new(f),
            Err(e) => bail!("cannot read {source}: {e}"),
        }
    };
    let holder = format!(
        "librekast restore, pid {}, started {}",
        std::process::id(),
        librekast_storage::now_rfc3339()
    );
    // Held to the end: no server starts on a half-restored database.
    let lock = match ServerLock::acquire(database_url, &holder).await {
        Ok(lock) => lock,
        Err(StorageError::Locked(why)) => {
            bail!("restore refused, nothing was changed: {why}")
        }
        Err(e) => return Err(e.into()),
    };
    librekast_storage::files::create_private_dir(&data_dir)
        .with_context(|| format!("creating the data directory {}", data_dir.display()))?;
    let stamp = place::stamp();
    let staging = Staging::new(&db_file, &data_dir, &stamp)?;

    let Prepared {
        manifest,
        data_names,
        counts,
        migrated,
    } = prepare(input, &staging)
        .await
        .map_err(|e| anyhow!("cannot restore {source}: {e:#}; nothing was changed"))?;

    let kept = place::put_in_place(
        &staging.db,
        &staging.data,
        &data_names,
        &db_file,
        &data_dir,
        &stamp,
    )?;
    drop(staging);
    lock.release().await;

    println!(
        "restored {source} (made {} by LibreKast {}): {}",
        manifest.created_at,
        manifest.librekast_version,
        describe(&counts, manifest.media_files()),
    );
    println!(
        "database {}, data directory {}",
        db_file.display(),
        data_dir.display()
    );
    if let Some(pending) = migrated {
        println!(
            "the backup's schema ({}) was older: migrated ({})",
            manifest.database.schema,
            pending.join(", ")
        );
    }
    if kept.is_empty() {
        println!("nothing was there before: nothing replaced");
    } else {
        println!("kept aside (delete them once the restore is checked):");
        for path in &kept {
            println!("  {}", path.display());
        }
    }
    if manifest.secret_key == manifest::KeyPlace::Environment {
        eprintln!(
            "WARNING: this backup was made with {SECRET_KEY_ENV} set: start the server with that same key, or connected platform accounts must be connected again."
        );
    }
    Ok(())
}

/// A verified, migrated copy in the staging places, ready to be put in place.
struct Prepared {
    manifest: Manifest,
    data_names: std::collections::BTreeSet<String>,
    counts: Counts,
    /// The migrations run on an older backup.
    migrated: Option<Vec<String>>,
}

/// Everything a restore does before it touches the live files: unpack and verify the
/// archive, check the schema against this binary's, migrate an older one.
async fn prepare(
    input: Box<dyn std::io::Read + Send>,
    staging: &Staging,
) -> anyhow::Result<Prepared> {
    let (staged_db, staged_data) = (staging.db.clone(), staging.data.clone());
    let unpacked =
        tokio::task::spawn_blocking(move || archive::unpack(input, &staged_db, &staged_data))
            .await??;
    let manifest = unpacked.manifest;
    let copy = DatabaseCopy::open(&staging.db).await?;
    let migrations = copy.migrations().await?;
    if migrations != manifest.database.migrations {
        bail!("its database does not match its manifest (the migrations differ)");
    }
    let migrated = match db::check_schema(&migrations) {
        Schema::Newer { unknown } => bail!(
            "it comes from a newer LibreKast ({}, schema {}); this one ({}) does not know {}. Restore it with LibreKast {} or newer",
            manifest.librekast_version,
            manifest.database.schema,
            env!("CARGO_PKG_VERSION"),
            unknown.join(", "),
            manifest.librekast_version,
        ),
        Schema::Older { pending } => {
            copy.migrate()
                .await
                .context("migrating the backup's older database")?;
            Some(pending)
        }
        Schema::Current => None,
    };
    let counts = copy.counts().await?;
    copy.close().await;
    Ok(Prepared {
        manifest,
        data_names: unpacked.data_names,
        counts,
        migrated,
    })
}

fn describe_source(file: &Path) -> String {
    if file.as_os_str() == "-" {
        "standard input".into()
    } else {
        file.display().to_string()
    }
}

/// `3 meetings, 152 attendees, 150 answers, 2 posts, 1 staff user, 2 media files`.
fn describe(c: &Counts, media_files: usize) -> String {
    fn n(count: u64, one: &str, many: &str) -> String {
        format!("{count} {}", if count == 1 { one } else { many })
    }
    format!(
        "{}, {}, {} ({} votes, {} words, {} ratings, {} flag captures), {}, {}, {}",
        n(c.meetings, "meeting", "meetings"),
        n(c.attendees, "attendee", "attendees"),
        n(c.answers(), "answer", "answers"),
        c.votes,
        c.words,
        c.ratings,
        c.flag_captures,
        n(c.posts, "post", "posts"),
        n(c.users, "staff user", "staff users"),
        n(media_files as u64, "media file", "media files"),
    )
}

fn human_size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GiB", b as f64 / f64::from(1u32 << 30)),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / f64::from(1u32 << 20)),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} bytes"),
    }
}

/// Counts the bytes written through it (the size of an archive sent to standard output).
struct Counted<W> {
    inner: W,
    bytes: u64,
}

impl<W: Write> Write for Counted<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// Where the archive goes: a file (through a temporary name beside it) or standard output.
enum Target {
    Stdout,
    File { path: PathBuf, force: bool },
}

/// A private working directory (the database snapshot, the partial archive), removed on
/// drop; a killed backup leaves it, never a half archive under FILE.
struct WorkDir {
    path: PathBuf,
}

impl Drop for WorkDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

const PARTIAL: &str = "archive.partial";

impl Target {
    fn new(file: &Path, force: bool) -> anyhow::Result<Target> {
        if file.as_os_str() == "-" {
            if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                bail!(
                    "standard output is a terminal: redirect the archive, e.g. `librekast backup - > librekast.tar.gz`, or give a file name"
                );
            }
            return Ok(Target::Stdout);
        }
        if file.is_dir() {
            bail!(
                "{} is a directory: give the archive's file name, e.g. {}/librekast-$(date +%F).tar.gz",
                file.display(),
                file.display()
            );
        }
        if file.symlink_metadata().is_ok() && !force {
            bail!(
                "{} already exists: choose another name, or pass --force to replace it",
                file.display()
            );
        }
        let dir = parent(file);
        if !dir.is_dir() {
            bail!("the directory {} does not exist", dir.display());
        }
        Ok(Target::File {
            path: file.to_path_buf(),
            force,
        })
    }

    fn is_stdout(&self) -> bool {
        matches!(self, Target::Stdout)
    }

    fn describe(&self) -> String {
        match self {
            Target::Stdout => "standard output".into(),
            Target::File { path, .. } => path.display().to_string(),
        }
    }

    /// Beside FILE (so the final rename stays in one file system), or in the temp dir.
    fn work_dir(&self) -> anyhow::Result<WorkDir> {
        let (dir, name) = match self {
            Target::Stdout => (std::env::temp_dir(), "librekast-backup".to_string()),
            Target::File { path, .. } => (
                parent(path),
                path.file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            ),
        };
        let path = dir.join(format!(".{name}.partial-{}", std::process::id()));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&path)
            .with_context(|| format!("creating {}", path.display()))?;
        Ok(WorkDir { path })
    }

    fn open(&self, work: &WorkDir) -> anyhow::Result<Box<dyn Write + Send>> {
        Ok(match self {
            Target::Stdout => Box::new(std::io::BufWriter::with_capacity(
                256 * 1024,
                std::io::stdout(),
            )),
            Target::File { .. } => {
                let partial = work.path.join(PARTIAL);
                let file = OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .mode(0o600)
                    .open(&partial)
                    .with_context(|| format!("creating {}", partial.display()))?;
                Box::new(std::io::BufWriter::with_capacity(256 * 1024, file))
            }
        })
    }

    /// Makes the written archive FILE (durably); returns its size.
    fn commit(
        &self,
        mut out: Counted<Box<dyn Write + Send>>,
        work: &WorkDir,
    ) -> anyhow::Result<u64> {
        out.flush().context("writing the archive")?;
        let size = out.bytes;
        drop(out);
        let Target::File { path, force } = self else {
            return Ok(size);
        };
        let partial = work.path.join(PARTIAL);
        let file = File::open(&partial).context("reopening the archive")?;
        file.sync_all().context("flushing the archive to disk")?;
        if *force {
            std::fs::rename(&partial, path)
                .with_context(|| format!("moving the archive to {}", path.display()))?;
        } else {
            // A link never replaces a file created meanwhile (a rename would).
            match std::fs::hard_link(&partial, path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => bail!(
                    "{} appeared while the backup ran: choose another name, or pass --force",
                    path.display()
                ),
                // A file system without hard links.
                Err(_) => std::fs::rename(&partial, path)
                    .with_context(|| format!("moving the archive to {}", path.display()))?,
            }
        }
        if let Ok(d) = File::open(parent(path)) {
            let _ = d.sync_all();
        }
        Ok(size)
    }
}

/// The directory of `file` (`.` for a bare name).
fn parent(file: &Path) -> PathBuf {
    match file.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Restore's staging places, removed on drop (after a failure, or once their content has
/// moved): the database next to the database, the data files inside the data directory, so
/// putting them in place is a rename.
struct Staging {
    db: PathBuf,
    data: PathBuf,
}

impl Staging {
    fn new(db_file: &Path, data_dir: &Path, stamp: &str) -> anyhow::Result<Staging> {
        let tag = format!("restore-{stamp}-{}", std::process::id());
        let mut db = db_file.as_os_str().to_owned();
        db.push(format!(".{tag}"));
        let data = data_dir.join(format!(".{tag}"));
        std::fs::DirBuilder::new()
            .mode(0o700)
            .create(&data)
            .with_context(|| format!("creating {}", data.display()))?;
        Ok(Staging {
            db: PathBuf::from(db),
            data,
        })
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.db);
        for side in ["-journal", "-wal", "-shm"] {
            let mut p = self.db.as_os_str().to_owned();
            p.push(side);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}
