//! `librekast backup` and `librekast restore`, run as an operator runs them: the real
//! binary in a process of its own, next to a server that keeps taking votes.
//!
//! The burst test audits every acknowledged vote: each one acknowledged before the backup
//! started is in the restored meeting, with its choice, and nothing the live server never
//! stored is. The restore is first refused while a server holds the target database.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use librekast_tests::*;
use librekast_web::Config;
use serde_json::Value;

/// The `librekast` binary: web/src/main.rs, built by this package too (tests/Cargo.toml
/// says why), so it is always the current code.
const LIBREKAST: &str = env!("CARGO_BIN_EXE_librekast-for-tests");

/// Runs `librekast ARGS` on `database_url`, with a clean environment for what it reads.
async fn run(database_url: &str, args: &[&str], env: &[(&str, &str)]) -> anyhow::Result<Output> {
    let mut cmd = tokio::process::Command::new(LIBREKAST);
    cmd.args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("LIBREKAST_SECRET_KEY")
        .env_remove("LIBREKAST_DATA_DIR")
        .env_remove("LIBREKAST_LOG")
        .env_remove("RUST_BACKTRACE")
        .env_remove("RUST_LIB_BACKTRACE")
        .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    Ok(cmd.output().await?)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// A private directory for one test, removed at the end.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> anyhow::Result<Scratch> {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)?
            .as_nanos();
        let dir = std::env::temp_dir().join(format!(
            "librekast-backup-{tag}-{}-{nanos:x}",
            std::process::id()
        ));
        std::fs::create_dir_all(&dir)?;
        Ok(Scratch(dir))
    }

    /// A SQLite URL for `name/librekast.db`: the directory is also the data directory.
    fn db(&self, name: &str) -> String {
        format!(
            "sqlite://{}?mode=rwc",
            self.0.join(name).join("librekast.db").display()
        )
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Every file under `dir` with its size and content, to prove a refused command changed
/// nothing.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                let name = path
                    .strip_prefix(dir)
                    .unwrap_or(&path)
                    .display()
                    .to_string();
                files.push((name, std::fs::read(&path).unwrap_or_default()));
            }
        }
    }
    files.sort();
    files
}

/// A database at `url` with one staff user, closed (so its files no longer change).
async fn seed(url: &str, user: &str, sql: Option<&str>) -> anyhow::Result<()> {
    let store = librekast_storage::Store::connect(url).await?;
    store.put_user(user, "not a hash").await?;
    if let Some(sql) = sql {
        sea_orm::ConnectionTrait::execute_unprepared(store.connection(), sql).await?;
    }
    store.connection().clone().close().await?;
    Ok(())
}

/// What a refused restore must leave as it was: every file but the lock file, which the
/// restore creates (empty of meaning) when it takes the lock, as a server would.
fn untouched(dir: &Path) -> Vec<(String, Vec<u8>)> {
    snapshot(dir)
        .into_iter()
        .filter(|(n, _)| !n.ends_with(".lock"))
        .collect()
}

/// The names under `dir` (a server running there changes its WAL's bytes, not its names).
fn names(dir: &Path) -> BTreeSet<String> {
    snapshot(dir).into_iter().map(|(n, _)| n).collect()
}

/// `attendee_id → choice` of the poll rows of a results CSV.
fn votes_in_csv(csv: &str) -> HashMap<i64, String> {
    csv.lines()
        .skip(1)
        .filter_map(|line| {
            let cells: Vec<&str> = line.split(',').collect();
            (cells.len() >= 7 && cells[2] == "poll")
                .then(|| Some((cells[3].parse().ok()?, cells[6].to_string())))
                .flatten()
        })
        .collect()
}

async fn results_csv(ts: &TestServer, meeting: i64, token: &str) -> anyhow::Result<String> {
    let res = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/results.csv")))
        .bearer_auth(token)
        .send()
        .await?;
    anyhow::ensure!(res.status().is_success(), "results.csv: {}", res.status());
    Ok(res.text().await?)
}

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82";

/// One participant's vote in the burst: when (if ever) it was acknowledged.
struct Outcome {
    attendee: i64,
    acked_at: Option<Instant>,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_during_a_vote_burst_restores_every_acknowledged_vote() -> anyhow::Result<()> {
    const PEOPLE: usize = 120;
    let scratch = Scratch::new("burst")?;
    let live_url = scratch.db("live");
    let live = TestServer::start_with(Config::for_tests(&live_url)).await?;
    let password = live
        .server
        .admin_password
        .clone()
        .context("admin password")?;
    let admin = live.admin_token().await?;
    let media: Vec<u8> = PNG
        .iter()
        .copied()
        .chain((0..5000).map(|i| i as u8))
        .collect();
    let media_id = live.upload_media(&admin, &media).await?;
    let meeting = live.demo_meeting().await?;

    let mut org = live.connect(meeting, &admin).await?;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let (id, token) = live.join(meeting, "Pour1nf0", &format!("p{i}")).await?;
        people.push((id, live.connect(meeting, &token).await?));
    }
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().context("poll id")?;
    let choices = choice_ids(&org.state);

    // Votes spread over ~3 s; the backup starts once a third are acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, (attendee, mut client)) in people.into_iter().enumerate() {
        let choice = choices[i % choices.len()];
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(i as u64 * 25)).await;
            let ack = client.vote(poll, choice).await;
            let acked_at = matches!(&ack, Ok(a) if a["ok"] == true).then(Instant::now);
            if acked_at.is_some() {
                acked.fetch_add(1, Ordering::SeqCst);
            }
            Outcome { attendee, acked_at }
        }));
    }
    let deadline = Instant::now() + TIMEOUT;
    while acked.load(Ordering::SeqCst) < PEOPLE / 3 {
        anyhow::ensure!(Instant::now() < deadline, "the burst stalled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let archive = scratch.0.join("librekast.tar.gz");
    let archive_arg = archive.display().to_string();
    let backup_started = Instant::now();
    let out = run(&live_url, &["backup", &archive_arg], &[]).await?;
    let backup_took = backup_started.elapsed();
    anyhow::ensure!(out.status.success(), "backup: {}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("backup written to"), "{report}");
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await?);
    }
    assert!(
        outcomes.iter().all(|o| o.acked_at.is_some()),
        "the live server acknowledged every vote"
    );
    let before: Vec<i64> = outcomes
        .iter()
        .filter(|o| o.acked_at.is_some_and(|t| t < backup_started))
        .map(|o| o.attendee)
        .collect();
    let after_start = outcomes.len() - before.len();
    assert!(before.len() >= PEOPLE / 3, "{} before", before.len());
    assert!(after_start > 0, "votes kept coming while the backup ran");
    println!(
        "backup took {backup_took:?} ({} bytes); {} votes acknowledged before it started, {after_start} after",
        std::fs::metadata(&archive)?.len(),
        before.len()
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&archive)?.permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the archive is private");
    }
    let leftovers: Vec<String> = names(&scratch.0)
        .into_iter()
        .filter(|n| n.contains(".partial"))
        .collect();
    assert!(leftovers.is_empty(), "no working files left: {leftovers:?}");
    // What the live server stored: the choice of every vote, by attendee.
    let live_votes = votes_in_csv(&results_csv(&live, meeting, &admin).await?);
    assert_eq!(live_votes.len(), PEOPLE);
    drop(org);
    live.server.shutdown().await;

    // A fresh location with a server on it: the restore is refused and changes nothing.
    let fresh_url = scratch.db("fresh");
    let fresh_dir = scratch.0.join("fresh");
    let squatter = TestServer::start_with(Config::for_tests(&fresh_url)).await?;
    let before_refusal = names(&fresh_dir);
    let out = run(&fresh_url, &["restore", &archive_arg], &[]).await?;
    assert!(!out.status.success(), "restore under a running server");
    let message = text(&out.stderr);
    assert!(
        message.contains("restore refused")
            && message.contains(&format!("pid {}", std::process::id()))
            && message.contains("librekast.db.lock"),
        "names the lock and its holder: {message}"
    );
    assert_eq!(names(&fresh_dir), before_refusal, "nothing changed");
    squatter.server.shutdown().await;

    let out = run(&fresh_url, &["restore", &archive_arg], &[]).await?;
    anyhow::ensure!(out.status.success(), "restore: {}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains(&format!("{PEOPLE} attendees")) && summary.contains("1 media file"),
        "{summary}"
    );
    assert!(
        summary.contains("kept aside") && summary.contains("librekast.db.before-restore-"),
        "the squatter's database is kept: {summary}"
    );

    // A new server on the restored database: every vote acknowledged before the backup.
    let restored = TestServer::start_with(Config::for_tests(&fresh_url)).await?;
    assert!(
        restored.server.admin_password.is_none(),
        "the restored admin"
    );
    let admin = restored.login("admin", &password).await?;
    let restored_votes = votes_in_csv(&results_csv(&restored, meeting, &admin).await?);
    for attendee in &before {
        assert_eq!(
            restored_votes.get(attendee),
            live_votes.get(attendee),
            "vote of {attendee}, acknowledged before the backup, restored with its choice"
        );
    }
    for (attendee, answer) in &restored_votes {
        assert_eq!(
            live_votes.get(attendee),
            Some(answer),
            "restored vote of {attendee} is one the live server stored"
        );
    }
    println!(
        "{} votes restored ({} acknowledged before the backup started)",
        restored_votes.len(),
        before.len()
    );
    // The meeting is where it stood, and its tally is the restored votes.
    let org = restored.connect(meeting, &admin).await?;
    assert_eq!(org.state["status"], "ongoing");
    assert_eq!(org.state["question"]["id"], poll);
    let total: i64 = org.state["results"]["counts"]
        .as_object()
        .map(|c| c.values().filter_map(Value::as_i64).sum())
        .unwrap_or(-1);
    assert_eq!(total, restored_votes.len() as i64, "tally = stored votes");
    // The media file uploaded before the backup is served again.
    let res = restored
        .http
        .get(restored.url(&format!("/media/{media_id}")))
        .send()
        .await?;
    assert!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.bytes().await?.as_ref(), media.as_slice());
    drop(org);
    restored.server.shutdown().await;
    Ok(())
}

/// Every bad input gets its own message and a non-zero exit, and leaves the files as they
/// were: a missing, foreign, truncated or too-new archive; PostgreSQL; an existing FILE.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_and_changes_nothing() -> anyhow::Result<()> {
    let scratch = Scratch::new("bad")?;
    let source = scratch.db("source");
    seed(&source, "admin", None).await?;
    let archive = scratch.0.join("ok.tar.gz").display().to_string();
    let out = run(&source, &["backup", &archive], &[]).await?;
    anyhow::ensure!(out.status.success(), "backup: {}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("WARNING"), "no key warning");

    // An existing FILE is kept unless --force.
    let first = std::fs::read(&archive)?;
    let out = run(&source, &["backup", &archive], &[]).await?;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("already exists"),
        "{}",
        text(&out.stderr)
    );
    assert_eq!(std::fs::read(&archive)?, first);
    // With the key in the environment: replaced, and a warning to keep the key.
    let key = "ab".repeat(32);
    let out = run(
        &source,
        &["backup", "--force", &archive],
        &[("LIBREKAST_SECRET_KEY", &key)],
    )
    .await?;
    anyhow::ensure!(
        out.status.success(),
        "backup --force: {}",
        text(&out.stderr)
    );
    let warning = text(&out.stderr);
    assert!(
        warning.contains("WARNING: LIBREKAST_SECRET_KEY") && warning.contains("NOT in this backup"),
        "{warning}"
    );

    let missing_db = scratch.db("nowhere");
    let out = run(&missing_db, &["backup", &format!("{archive}.2")], &[]).await?;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("no database at"),
        "{}",
        text(&out.stderr)
    );
    assert!(
        !scratch.0.join("nowhere/librekast.db").exists(),
        "not created"
    );

    let pg = "postgres://u:p@127.0.0.1:1/db";
    let out = run(pg, &["backup", &format!("{archive}.3")], &[]).await?;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pg_dump --format=custom"),
        "{}",
        text(&out.stderr)
    );
    let out = run(pg, &["restore", &archive], &[]).await?;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("pg_restore"),
        "{}",
        text(&out.stderr)
    );

    // A database "from the future": a migration this binary does not know.
    let future = scratch.db("future");
    seed(
        &future,
        "admin",
        Some("INSERT INTO seaql_migrations (version, applied_at) VALUES ('m20991231_000001_future', 0)"),
    )
    .await?;
    let future_archive = scratch.0.join("future.tar.gz").display().to_string();
    let out = run(&future, &["backup", &future_archive], &[]).await?;
    anyhow::ensure!(out.status.success(), "backup: {}", text(&out.stderr));

    // The target: an existing database whose files must stay exactly as they are.
    let target = scratch.db("target");
    let target_dir = scratch.0.join("target");
    seed(&target, "someone", None).await?;
    let before = untouched(&target_dir);
    let ok_bytes = std::fs::read(&archive)?;
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "text.tar.gz",
            b"just some text\n".to_vec(),
            "not a LibreKast backup",
        ),
        ("empty.tar.gz", Vec::new(), "the file is empty"),
        (
            "truncated.tar.gz",
            ok_bytes[..ok_bytes.len() / 2].to_vec(),
            "truncated or corrupt",
        ),
    ];
    for (name, bytes, expected) in &cases {
        let path = scratch.0.join(name);
        std::fs::write(&path, bytes)?;
        let out = run(&target, &["restore", &path.display().to_string()], &[]).await?;
        let message = text(&out.stderr);
        assert!(!out.status.success(), "{name} refused");
        assert!(
            message.contains(expected) && message.contains("nothing was changed"),
            "{name}: {message}"
        );
        assert_eq!(untouched(&target_dir), before, "{name} changed nothing");
    }
    let missing = scratch.0.join("missing.tar.gz").display().to_string();
    let out = run(&target, &["restore", &missing], &[]).await?;
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot read"),
        "{}",
        text(&out.stderr)
    );
    let out = run(&target, &["restore", &future_archive], &[]).await?;
    let message = text(&out.stderr);
    assert!(!out.status.success(), "a newer schema is refused");
    assert!(
        message.contains("newer LibreKast") && message.contains("m20991231_000001_future"),
        "{message}"
    );
    assert_eq!(
        untouched(&target_dir),
        before,
        "the newer archive changed nothing"
    );

    // The good archive restores over it, keeping the old database aside.
    let out = run(&target, &["restore", &archive], &[]).await?;
    anyhow::ensure!(out.status.success(), "restore: {}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("LIBREKAST_SECRET_KEY"),
        "made with the key in the environment: the restore says so"
    );
    let kept = names(&target_dir)
        .into_iter()
        .filter(|n| n.contains(".before-restore-"))
        .count();
    assert!(kept >= 1, "the replaced database is kept");
    let restored = librekast_storage::Store::connect(&target).await?;
    assert!(restored.find_user("admin").await?.is_some());
    assert!(restored.find_user("someone").await?.is_none());
    Ok(())
}

/// A backup made before the newest migration: restored, then migrated, and said so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_backup_is_migrated_on_restore() -> anyhow::Result<()> {
    use sea_orm_migration::MigratorTrait;
    let scratch = Scratch::new("older")?;
    let old = scratch.db("old");
    let store = librekast_storage::Store::connect(&old).await?;
    store.put_user("admin", "not a hash").await?;
    librekast_storage::migrations::Migrator::down(store.connection(), Some(1)).await?;
    store.connection().clone().close().await?;
    let known = librekast_storage::backup::known_migrations();
    let newest = known.last().context("no migrations")?;

    let archive = scratch.0.join("old.tar.gz").display().to_string();
    let out = run(&old, &["backup", &archive], &[]).await?;
    anyhow::ensure!(out.status.success(), "backup: {}", text(&out.stderr));
    let target = scratch.db("target");
    let out = run(&target, &["restore", &archive], &[]).await?;
    anyhow::ensure!(out.status.success(), "restore: {}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("was older: migrated") && summary.contains(newest.as_str()),
        "{summary}"
    );
    // Read as it lies on disk: opening it with `Store::connect` would migrate it anyway.
    let copy = librekast_storage::backup::DatabaseCopy::open(
        &scratch.0.join("target").join("librekast.db"),
    )
    .await?;
    assert_eq!(
        copy.migrations().await?,
        known,
        "migrated to this binary's schema"
    );
    copy.close().await;
    let restored = librekast_storage::Store::connect(&target).await?;
    assert!(restored.find_user("admin").await?.is_some());
    Ok(())
}
