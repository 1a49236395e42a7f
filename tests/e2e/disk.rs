//! No acknowledgement without a durable write, whatever the disk does. A burst of answers and
//! a control run into a storage fault, and every `ok` is audited against the database:
//!
//! - SQLite: the server runs in a mount namespace on a small tmpfs that the test fills
//!   mid-burst (real `SQLITE_FULL`), then frees; the server must recover by itself.
//! - PostgreSQL: the server's own connections are killed with `pg_terminate_backend`
//!   mid-burst (found by their `application_name`, so parallel tests are not disturbed).

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::bail;
use futures_util::future::join_all;
use librekast_storage::{ActivityState, LoadedMeeting, MeetingId, Store};
use librekast_tests::*;
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use serde_json::{Value, json};

use crate::child::{connect, post, spawn_server_in};

const PEOPLE: usize = 40;

struct Person {
    id: i64,
    client: Client,
}

/// What the client was told for one answer.
#[derive(Debug, Clone)]
struct Outcome {
    attendee: i64,
    choice: i64,
    code: String,
}

fn code_of(ack: &Value) -> String {
    if ack["ok"] == true {
        "ok".into()
    } else {
        error_code(ack).to_string()
    }
}

async fn join(addr: &str, meeting: i64, name: &str) -> anyhow::Result<(i64, String)> {
    let v = post(
        addr,
        &format!("/api/meetings/{meeting}/join"),
        json!({"code": "Pour1nf0", "name": name}),
    )
    .await?;
    Ok((
        v["attendee_id"].as_i64().unwrap_or(-1),
        v["token"].as_str().unwrap_or("").to_string(),
    ))
}

/// Votes concurrently (one batch or a few for the writer) and records every ack.
async fn vote_all(people: &mut [Person], poll: i64, choices: &[i64]) -> Vec<Outcome> {
    let votes = people.iter_mut().enumerate().map(|(i, p)| async move {
        let choice = choices[i % choices.len()];
        let code = match p.client.vote(poll, choice).await {
            Ok(ack) => code_of(&ack),
            Err(e) => format!("transport: {e}"),
        };
        Outcome {
            attendee: p.id,
            choice,
            code,
        }
    });
    join_all(votes).await
}

/// Retries an answer refused as `unavailable` until it gets a final answer: the server must
/// recover by itself once the fault is gone.
async fn vote_until_final(p: &mut Person, poll: i64, choice: i64) -> anyhow::Result<Outcome> {
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    loop {
        let code = code_of(&p.client.vote(poll, choice).await?);
        if code != "unavailable" {
            return Ok(Outcome {
                attendee: p.id,
                choice,
                code,
            });
        }
        if tokio::time::Instant::now() > deadline {
            bail!(
                "attendee {} still refused as unavailable after the fault",
                p.id
            );
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// A storage fault the scenario switches on and off.
trait Fault {
    async fn begin(&mut self) -> anyhow::Result<()>;
    async fn end(&mut self) -> anyhow::Result<()>;
    /// Whether the fault is sure to refuse the writes made while it is on.
    fn certain(&self) -> bool;
}

/// The scenario both backends run; `stored` reads what the database holds.
async fn burst_through_fault<F, L>(
    addr: &str,
    admin_token: &str,
    meeting: i64,
    fault: &mut F,
    stored: L,
) -> anyhow::Result<()>
where
    F: Fault,
    L: AsyncFnOnce() -> anyhow::Result<LoadedMeeting>,
{
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let (id, token) = join(addr, meeting, &format!("p{i}")).await?;
        people.push(Person {
            id,
            client: connect(addr, meeting, &token).await?,
        });
    }
    let mut org = connect(addr, meeting, admin_token).await?;
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&org.state);
    let (a, rest) = people.split_at_mut(10);
    let (b, c) = rest.split_at_mut(15);

    let mut outcomes = vote_all(a, poll, &choices).await;
    for o in &outcomes {
        assert_eq!(o.code, "ok", "before the fault: {o:?}");
    }

    fault.begin().await?;
    let during = vote_all(b, poll, &choices).await;
    let control = code_of(&org.control("results").await?);
    let joined_during = join(addr, meeting, "during the fault").await;
    let refused = during.iter().filter(|o| o.code == "unavailable").count();
    eprintln!(
        "during the fault: {refused} of {} answers unavailable, `results` → {control}, join → {}",
        during.len(),
        if joined_during.is_ok() {
            "ok"
        } else {
            "refused"
        }
    );
    for o in &during {
        assert!(
            o.code == "ok" || o.code == "unavailable",
            "an answer during the fault: {o:?}"
        );
    }
    if fault.certain() {
        assert!(
            refused > 0,
            "the fault refused no write: it was not injected"
        );
    }
    outcomes.extend(during.iter().cloned());
    fault.end().await?;

    // Recovery without a restart: the rest vote, the refused vote again, a join works.
    if control != "ok" {
        for p in c.iter_mut() {
            outcomes.push(vote_until_final(p, poll, choices[p.id as usize % choices.len()]).await?);
        }
        for (p, o) in b.iter_mut().zip(&during) {
            if o.code == "unavailable" {
                let again = vote_until_final(p, poll, o.choice).await?;
                assert!(
                    again.code == "ok" || again.code == "already_voted",
                    "after the fault: {again:?}"
                );
                outcomes.push(again);
            }
        }
        let deadline = tokio::time::Instant::now() + TIMEOUT;
        loop {
            match code_of(&org.control("results").await?).as_str() {
                "ok" => break,
                "unavailable" if tokio::time::Instant::now() < deadline => {
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await
                }
                other => bail!("`results` after the fault: {other}"),
            }
        }
    }
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    while let Err(e) = join(addr, meeting, "after the fault").await {
        if tokio::time::Instant::now() > deadline {
            bail!("joins still refused after the fault: {e}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }

    // The audit: every `ok` is in the database, with the choice that was acknowledged (an
    // `ok` for a control is a promise too: the poll is closed there).
    let loaded = stored().await?;
    let votes: HashMap<i64, i64> = loaded
        .votes
        .iter()
        .filter(|v| v.activity_id.0 == poll)
        .map(|v| (v.attendee_id.0, v.choice_id.0))
        .collect();
    let mut audited = 0;
    for o in outcomes.iter().filter(|o| o.code == "ok") {
        assert_eq!(
            votes.get(&o.attendee),
            Some(&o.choice),
            "acknowledged vote of attendee {} is not in the database",
            o.attendee
        );
        audited += 1;
    }
    let state = loaded
        .activities
        .iter()
        .find(|x| x.id.0 == poll)
        .map(|x| x.state);
    assert_eq!(
        state,
        Some(ActivityState::Closed),
        "acknowledged `results` stored"
    );
    eprintln!("audit: {audited} acknowledged answers, all stored");
    Ok(())
}

// ---------------------------------------------------------------------------- SQLite

/// A tmpfs seen only by the server's mount namespace, filled and freed through
/// `/proc/PID/root`.
struct FullDisk {
    fill: PathBuf,
}

impl Fault for FullDisk {
    async fn begin(&mut self) -> anyhow::Result<()> {
        let mut f = std::fs::File::create(&self.fill)?;
        let chunk = vec![0u8; 16 * 1024];
        loop {
            match f.write(&chunk) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) if e.raw_os_error() == Some(libc_enospc()) => break,
                Err(e) => return Err(e.into()),
            }
        }
        // The last partial block too.
        let _ = f.write_all(&[0u8; 512]);
        let _ = f.sync_all();
        Ok(())
    }

    async fn end(&mut self) -> anyhow::Result<()> {
        std::fs::remove_file(&self.fill)?;
        Ok(())
    }

    fn certain(&self) -> bool {
        true
    }
}

fn libc_enospc() -> i32 {
    28
}

/// The mount-namespace wrapper, or `None` when this machine cannot make one.
fn unshare_wrapper() -> Option<Vec<&'static str>> {
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0"));
    // Unprivileged: a user namespace maps us to root inside it, which may mount a tmpfs.
    let unshare: Vec<&'static str> = if root {
        vec!["unshare", "-m"]
    } else {
        vec!["unshare", "-r", "-m"]
    };
    let works = std::process::Command::new(unshare[0])
        .args(&unshare[1..])
        .args(["sh", "-c", "mount -t tmpfs lk-probe /mnt"])
        .status()
        .is_ok_and(|s| s.success());
    works.then_some(unshare)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_full_disk_never_acks_a_lost_write() -> anyhow::Result<()> {
    let wrapper = unshare_wrapper();
    if !require(
        "a mount namespace (unshare -m) for the full-disk test",
        wrapper.is_some(),
        "run as root or allow unprivileged user namespaces (util-linux unshare)",
    ) {
        return Ok(());
    }
    let base = std::env::temp_dir().join(format!("librekast-disk-{}", std::process::id()));
    let (dir, out) = (base.join("tmpfs"), base.join("audit"));
    std::fs::create_dir_all(&dir)?;
    std::fs::create_dir_all(&out)?;
    let (dir_s, out_s) = (dir.to_string_lossy(), out.to_string_lossy());
    let mut argv = wrapper.unwrap_or_default();
    // `sh -c SCRIPT DIR OUT CMD…`: mount a small tmpfs over DIR (seen only in this mount
    // namespace), run the server there and, once it is killed, copy what it left on disk out.
    argv.extend([
        "sh",
        "-c",
        "mount -t tmpfs -o size=3m lk-test \"$0\" || exit 1; out=$1; shift; \"$@\"; \
         cp \"$0\"/lk.db* \"$out\"/",
    ]);
    argv.push(&dir_s);
    argv.push(&out_s);
    let db = format!("sqlite://{dir_s}/lk.db?mode=rwc");
    let mut server = spawn_server_in(&argv, &db)?;
    // SQLite would resolve the magic link to our own namespace; the kernel does not.
    let shell = server.child.id();
    let meeting = server.first_meeting().await?;
    let token = server.admin_token().await?;
    let mut fault = FullDisk {
        fill: PathBuf::from(format!("/proc/{shell}/root{dir_s}/fill")),
    };
    let addr = server.addr.clone();
    let stored = async || {
        // What a SIGKILL leaves on disk is what was durable.
        let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))?;
        for pid in children.split_whitespace() {
            std::process::Command::new("kill")
                .args(["-KILL", pid])
                .status()?;
        }
        server.child.wait()?;
        let store = Store::connect(&format!("sqlite://{out_s}/lk.db?mode=rw")).await?;
        Ok(store.load_meeting(MeetingId(meeting)).await?)
    };
    let result = burst_through_fault(&addr, &token, meeting, &mut fault, stored).await;
    let _ = std::fs::remove_dir_all(&base);
    result
}

// ---------------------------------------------------------------------------- PostgreSQL

/// Kills the server's database connections again and again until ended.
struct KilledConnections {
    admin: sea_orm::DatabaseConnection,
    app: String,
    stop: Arc<AtomicBool>,
    task: Option<tokio::task::JoinHandle<u64>>,
}

impl Fault for KilledConnections {
    async fn begin(&mut self) -> anyhow::Result<()> {
        let (admin, app, stop) = (self.admin.clone(), self.app.clone(), self.stop.clone());
        self.task = Some(tokio::spawn(async move {
            let mut killed = 0;
            while !stop.load(Ordering::SeqCst) {
                let sql = Statement::from_sql_and_values(
                    DbBackend::Postgres,
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE application_name = $1 AND pid <> pg_backend_pid()",
                    [app.clone().into()],
                );
                if let Ok(rows) = admin.query_all_raw(sql).await {
                    killed += rows.len() as u64;
                }
                tokio::time::sleep(std::time::Duration::from_millis(2)).await;
            }
            killed
        }));
        // At least one round has run before the burst goes on.
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Ok(())
    }

    async fn end(&mut self) -> anyhow::Result<()> {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(task) = self.task.take() {
            let killed = task.await?;
            eprintln!("pg_terminate_backend: {killed} server connections killed");
        }
        Ok(())
    }

    fn certain(&self) -> bool {
        false
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_killed_connections_never_ack_a_lost_write() -> anyhow::Result<()> {
    let Some(pg) = PgDatabase::create("disk").await? else {
        return Ok(());
    };
    let app = pg.name.clone();
    let sep = if pg.url.contains('?') { '&' } else { '?' };
    let url = format!("{}{sep}application_name={app}", pg.url);
    let server = TestServer::start_on(url).await?;
    let addr = server.server.addr.to_string();
    let meeting = server.demo_meeting().await?;
    let token = server.admin_token().await?;
    let mut fault = KilledConnections {
        admin: pg.admin().clone(),
        app,
        stop: Arc::new(AtomicBool::new(false)),
        task: None,
    };
    let stored = async || server.stored(meeting).await;
    let result = burst_through_fault(&addr, &token, meeting, &mut fault, stored).await;
    server.server.shutdown().await;
    pg.drop_database().await?;
    result
}
