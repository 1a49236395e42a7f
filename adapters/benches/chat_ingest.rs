//! Chat ingest through the real Twitch adapter (issue 11): a fake Twitch IRC server on
//! loopback (`librekast_fakes::twitch`) sends tagged PRIVMSG lines, twitch-irc parses them,
//! the meeting's Twitch adapter hands them to the meeting in batches, and the meeting's
//! answers are committed to a SQLite file. Timed from the first line the fake sends to the
//! moment storage holds every counted answer; then the stored tally is checked exactly.
//!
//! The workload is chat_scale's (engine/benches/chat_scale.rs): 1,000,000 messages from
//! 100,000 viewers, 60 % on a poll (`#a`..`#d`, repeated votes mixed in), then 40 % on a word
//! cloud (`#wordN` from 50 words, 3 per viewer), one line in ten plain talk, every message
//! with its own id. The fake is fed in chunks; the last line of each chunk is a marker (a
//! fresh viewer's answer with a known id) whose `chat_seen` row tells that the chunk is
//! stored, so at most [`WINDOW`] chunks are in flight and the fake's queue stays bounded.
//!
//! `cargo bench -p librekast-adapters --bench chat_ingest` runs the full million; under
//! `cargo test` it runs 20,000 messages from 2,000 viewers and checks the counts only.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::sync::Arc;
use std::time::{Duration, Instant};

use librekast_adapters::irc_transport::{install_crypto_provider, set_irc_target};
use librekast_adapters::{AdapterEnv, IrcTarget, PlatformConfig, StreamsFactory};
use librekast_engine::{Command, Control, Engine, EngineConfig, Extensions, Principal};
use librekast_fakes::twitch::{ChatLine, FakeTwitch};
use librekast_storage::{MeetingFile, Role, SecretKey, Store, UserId};
use sea_orm::{ConnectionTrait, DatabaseConnection, DbBackend, Statement, Value};

const CHANNEL: &str = "bench";
const SLUGS: [&str; 4] = ["a", "b", "c", "d"];
const VOCABULARY: u64 = 50;
const WORD_LIMIT: usize = 3;
/// Chunks sent to the fake and not yet stored, at most. Two keep the adapter busy (eight
/// measured the same rate); every line in flight beyond what the meeting takes waits parsed
/// in twitch-irc's unbounded channels, a few KiB each, and only adds to the peak RSS.
const WINDOW: usize = 2;
/// How long any one wait may take before the run fails.
const DEADLINE: Duration = Duration::from_secs(300);
/// Name of this runtime's threads, to tell its CPU time from the fake's.
const WORKERS: &str = "lk-bench";
const FEEDER: &str = "feeder";

/// A cheap deterministic generator (xorshift), so runs are replayable.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// What one message says.
#[derive(Clone, Copy)]
enum Say {
    Talk,
    Vote(u8),
    Word(u8),
    /// The last line of a chunk: a fresh viewer's counted answer, id `mark-N`.
    Marker(u32),
}

#[derive(Clone, Copy)]
struct Msg {
    viewer: u32,
    say: Say,
}

fn chat_line(index: usize, m: Msg) -> ChatLine {
    let id = match m.say {
        Say::Marker(n) => marker_id(n),
        // UUID-shaped, as Twitch's.
        _ => format!("00000000-0000-4000-8000-{index:012x}"),
    };
    let text = match m.say {
        Say::Talk => "hello chat".to_string(),
        Say::Vote(s) => format!("#{}", SLUGS[usize::from(s)]),
        Say::Word(w) => format!("#word{w}"),
        Say::Marker(_) => "#a marker".to_string(),
    };
    let login = format!("viewer{}", m.viewer);
    ChatLine::new(id, m.viewer.to_string(), login, text)
}

fn marker_id(n: u32) -> String {
    format!("mark-{n}")
}

/// The poll phase then the word-cloud phase, cut into chunks that each end with a marker.
struct Script {
    msgs: Vec<Msg>,
    poll_chunks: Vec<Range<usize>>,
    cloud_chunks: Vec<Range<usize>>,
}

fn script(messages: usize, viewers: u64, chunk: usize) -> Script {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let poll_messages = messages * 6 / 10;
    let mut msgs = Vec::with_capacity(messages);
    let mut markers = 0u32;
    let mut cut = |range: Range<usize>, msgs: &mut Vec<Msg>, poll: bool| {
        let mut chunks = Vec::new();
        let mut start = range.start;
        while start < range.end {
            let end = (start + chunk).min(range.end);
            for i in start..end {
                let viewer = (rng.next() % viewers) as u32;
                let say = if i + 1 == end {
                    markers += 1;
                    Say::Marker(markers)
                } else if rng.next().is_multiple_of(10) {
                    Say::Talk
                } else if poll {
                    Say::Vote((rng.next() % 4) as u8)
                } else {
                    Say::Word((rng.next() % VOCABULARY) as u8)
                };
                let viewer = match say {
                    // Fresh viewers, past the crowd's ids.
                    Say::Marker(n) => viewers as u32 + n,
                    _ => viewer,
                };
                msgs.push(Msg { viewer, say });
            }
            chunks.push(start..end);
            start = end;
        }
        chunks
    };
    let poll_chunks = cut(0..poll_messages, &mut msgs, true);
    let cloud_chunks = cut(poll_messages..messages, &mut msgs, false);
    Script {
        msgs,
        poll_chunks,
        cloud_chunks,
    }
}

/// What storage must hold at the end, computed by the engine's rules: a viewer's first vote
/// counts, a word counts unless the viewer gave it already or gave three.
#[derive(Default)]
struct Expected {
    votes: [usize; 4],
    words: usize,
    attendees: usize,
}

fn expected(s: &Script) -> Expected {
    let mut first_vote: HashMap<u32, u8> = HashMap::new();
    let mut words: HashMap<u32, Vec<u8>> = HashMap::new();
    let mut attendees: HashSet<u32> = HashSet::new();
    let mut e = Expected::default();
    let poll_end = s.poll_chunks.last().map_or(0, |r| r.end);
    for (i, m) in s.msgs.iter().enumerate() {
        let poll = i < poll_end;
        match (m.say, poll) {
            (Say::Talk, _) => continue,
            (Say::Vote(slug), _) => {
                first_vote.entry(m.viewer).or_insert(slug);
            }
            (Say::Marker(_), true) => {
                first_vote.entry(m.viewer).or_insert(0);
            }
            (Say::Word(w), _) => {
                let mine = words.entry(m.viewer).or_default();
                if !mine.contains(&w) && mine.len() < WORD_LIMIT {
                    mine.push(w);
                    e.words += 1;
                }
            }
            (Say::Marker(_), false) => {
                // "#a marker" is the word "a marker" on the cloud.
                words.entry(m.viewer).or_default().push(u8::MAX);
                e.words += 1;
            }
        }
        attendees.insert(m.viewer);
    }
    first_vote
        .values()
        .for_each(|&s| e.votes[usize::from(s)] += 1);
    e.attendees = attendees.len();
    e
}

fn meeting_file() -> MeetingFile {
    let file = serde_json::from_value(serde_json::json!({
        "title": "chat ingest",
        "code": "ingest",
        "activities": [
            {"kind": "poll", "title": "Pick", "choices": [
                {"text": "A", "slug": "a"}, {"text": "B", "slug": "b"},
                {"text": "C", "slug": "c"}, {"text": "D", "slug": "d"}]},
            {"kind": "wordcloud", "title": "Words", "word_limit": WORD_LIMIT}
        ],
        "sources": [{"platform": "twitch", "channel": CHANNEL}],
    }));
    file.unwrap_or_else(|e| panic!("{e}"))
}

async fn count(db: &DatabaseConnection, sql: &str, values: Vec<Value>) -> i64 {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            sql,
            values,
        ))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    row.and_then(|r| r.try_get_by_index::<i64>(0).ok())
        .unwrap_or(0)
}

async fn stored(db: &DatabaseConnection, table: &str, activity: i64) -> usize {
    let sql = format!("SELECT COUNT(*) FROM {table} WHERE activity_id = ?");
    count(db, &sql, vec![activity.into()]).await as usize
}

async fn marker_stored(db: &DatabaseConnection, meeting: i64, marker: u32) -> bool {
    let sql = "SELECT COUNT(*) FROM chat_seen WHERE meeting_id = ? AND platform = 'twitch' AND message_id = ?";
    count(db, sql, vec![meeting.into(), marker_id(marker).into()]).await > 0
}

/// Polls `ready` until it holds; panics with `what` after [`DEADLINE`].
async fn wait_until<F, Fut>(what: &str, mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + DEADLINE;
    while !ready().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// CPU seconds of this process by who spent them, from `/proc/self/task` (threads alive at
/// the end), and the whole process from `getrusage` (exited threads included).
#[derive(Default, Clone, Copy, Debug)]
struct Cpu {
    process: f64,
    /// The fake server: its runtime, the feeder thread that formats the lines.
    fake: f64,
    /// sqlx's SQLite worker threads (the statements themselves).
    sqlite: f64,
}

fn cpu() -> Cpu {
    // SAFETY: getrusage only writes the struct it is given.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let process = if unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) } == 0 {
        let secs = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 / 1e6;
        secs(usage.ru_utime) + secs(usage.ru_stime)
    } else {
        0.0
    };
    let tick = unsafe { libc::sysconf(libc::_SC_CLK_TCK) }.max(1) as f64;
    let mut c = Cpu {
        process,
        ..Cpu::default()
    };
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return c;
    };
    for task in tasks.flatten() {
        let Ok(stat) = std::fs::read_to_string(task.path().join("stat")) else {
            continue;
        };
        let (Some(open), Some(close)) = (stat.find('('), stat.rfind(')')) else {
            continue;
        };
        let comm = &stat[open + 1..close];
        // Fields after the name: state is field 3, utime 14, stime 15.
        let fields: Vec<&str> = stat[close + 2..].split(' ').collect();
        let ticks = |i: usize| fields.get(i - 3).and_then(|f| f.parse::<f64>().ok());
        let secs = ticks(14).unwrap_or(0.0) / tick + ticks(15).unwrap_or(0.0) / tick;
        // The fake's runtime keeps tokio's default thread names (`tokio-rt-worker`, or
        // `tokio-runtime-worker` in older tokio).
        if comm.starts_with("fake-twitch")
            || comm.starts_with("tokio-r")
            || comm.starts_with(FEEDER)
        {
            c.fake += secs;
        } else if comm.starts_with("sqlx-sqlite") {
            c.sqlite += secs;
        }
    }
    c
}

fn status_kib(key: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix(key))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

/// The database file and its WAL, removed at the end, also when a check fails.
struct TempDb(std::path::PathBuf);
impl Drop for TempDb {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.0.display()));
        }
    }
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let (messages, viewers, chunk) = if full {
        (1_000_000usize, 100_000u64, 10_000usize)
    } else {
        (20_000, 2_000, 1_000)
    };
    install_crypto_provider();
    let fake = FakeTwitch::start_detached().unwrap_or_else(|e| panic!("{e}"));
    set_irc_target(IrcTarget::parse(&fake.irc_url()).unwrap_or_else(|e| panic!("{e}")));

    let script = Arc::new(script(messages, viewers, chunk));
    let want = expected(&script);

    // The feeder formats chunks into the fake's wire lines on a thread of its own, so its CPU
    // counts as the fake's.
    let (feed, chunks) = std::sync::mpsc::channel::<Range<usize>>();
    let feeder = {
        let (fake, script) = (fake.clone(), script.clone());
        std::thread::Builder::new()
            .name(FEEDER.into())
            .spawn(move || {
                for range in chunks {
                    let lines: Vec<ChatLine> = range
                        .clone()
                        .map(|i| chat_line(i, script.msgs[i]))
                        .collect();
                    fake.privmsg_many(CHANNEL, &lines);
                }
            })
            .unwrap_or_else(|e| panic!("{e}"))
    };

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name(WORKERS)
        .enable_all()
        .build();
    let rt = rt.unwrap_or_else(|e| panic!("{e}"));
    let path = std::env::temp_dir().join(format!("librekast-ingest-{}.db", std::process::id()));
    let url = format!("sqlite://{}?mode=rwc", path.display());
    let _db = TempDb(path);
    rt.block_on(async {
        let store = Store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let key = SecretKey::from_hex(&"11".repeat(32)).unwrap_or_else(|e| panic!("{e}"));
        let store = store.with_secret_key(key);
        let id = store
            .import_meeting(&meeting_file())
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let loaded = store
            .load_meeting(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let (poll, cloud) = (loaded.activities[0].id.0, loaded.activities[1].id.0);
        let env = AdapterEnv::new(
            store.clone(),
            PlatformConfig {
                twitch_irc_url: fake.irc_url(),
                twitch_id_url: fake.id_url(),
                twitch_reconnect_every: Duration::from_millis(50),
                ..PlatformConfig::default()
            },
        );
        let env = Arc::new(env.unwrap_or_else(|e| panic!("{e}")));
        let config = EngineConfig {
            extensions: Extensions(vec![Arc::new(StreamsFactory { env })]),
            ..EngineConfig::default()
        };
        let engine = Engine::start(store.clone(), config)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        // The Twitch source keeps the meeting alive: no presence needed.
        let handle = engine.meeting(id).await.unwrap_or_else(|e| panic!("{e}"));
        let control = |c| {
            let handle = handle.clone();
            async move {
                let staff = Principal::Staff {
                    user: UserId(1),
                    username: "bench".into(),
                    role: Role::Admin,
                };
                let result = handle.command(staff, Command::Control(c, None)).await;
                assert!(result.is_ok(), "{c:?}: {result:?}");
            }
        };
        control(Control::Start).await;
        fake.wait_joined(CHANNEL).await;
        wait_until("the Twitch source to be connected", || {
            let connected = handle
                .source_statuses()
                .iter()
                .any(|s| s.platform == "twitch" && s.status == "connected");
            async move { connected }
        })
        .await;

        let db = store.connection();
        let meeting = id.0;
        let marker_of = |range: &Range<usize>| match script.msgs[range.end - 1].say {
            Say::Marker(n) => n,
            _ => unreachable!("every chunk ends with a marker"),
        };
        // Sends a phase's chunks, at most WINDOW unconfirmed, until its last marker is stored.
        let run_phase = |chunks: Vec<Range<usize>>| {
            let feed = feed.clone();
            async move {
                let (mut sent, mut done) = (0, 0);
                while done < chunks.len() {
                    while sent < chunks.len() && sent - done < WINDOW {
                        feed.send(chunks[sent].clone())
                            .unwrap_or_else(|e| panic!("{e}"));
                        sent += 1;
                    }
                    let marker = marker_of(&chunks[done]);
                    wait_until(&format!("marker {marker} to be stored"), || {
                        marker_stored(db, meeting, marker)
                    })
                    .await;
                    done += 1;
                }
            }
        };

        let rss_before = status_kib("VmRSS:");
        let cpu_before = cpu();
        let started = Instant::now();
        run_phase(script.poll_chunks.clone()).await;
        let total_votes: usize = want.votes.iter().sum();
        wait_until("every vote to be stored", || async {
            stored(db, "votes", poll).await >= total_votes
        })
        .await;
        let poll_time = started.elapsed();
        control(Control::Next).await;
        control(Control::Start).await;
        let cloud_started = Instant::now();
        run_phase(script.cloud_chunks.clone()).await;
        wait_until("every word to be stored", || async {
            stored(db, "words", cloud).await >= want.words
        })
        .await;
        let elapsed = started.elapsed();
        let cloud_time = cloud_started.elapsed();
        let cpu_after = cpu();
        let peak_kib = status_kib("VmHWM:");

        // The stored tally, exactly.
        let loaded = store
            .load_meeting(id)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let choices = &loaded.activities[0].choices;
        let mut votes = [0usize; 4];
        for v in loaded.votes.iter().filter(|v| v.activity_id.0 == poll) {
            if let Some(i) = choices.iter().position(|c| c.id == v.choice_id) {
                votes[i] += 1;
            }
        }
        let words = loaded
            .words
            .iter()
            .filter(|w| w.activity_id.0 == cloud)
            .count();
        let seen = count(
            db,
            "SELECT COUNT(*) FROM chat_seen WHERE meeting_id = ?",
            vec![meeting.into()],
        )
        .await as usize;
        let exact = votes == want.votes
            && words == want.words
            && loaded.attendees.len() == want.attendees
            && seen == total_votes + want.words;

        let secs = elapsed.as_secs_f64();
        let poll_msgs = script.poll_chunks.last().map_or(0, |r| r.end);
        let cloud_msgs = messages - poll_msgs;
        let markers = script.poll_chunks.len() + script.cloud_chunks.len();
        let cpu_total = cpu_after.process - cpu_before.process;
        let cpu_fake = cpu_after.fake - cpu_before.fake;
        let cpu_sqlite = cpu_after.sqlite - cpu_before.sqlite;
        let per_msg = |s: f64| s * 1e6 / messages as f64;
        println!(
            "chat_ingest: {messages} messages from {viewers} viewers (+{markers} marker viewers) \
             through twitch-irc and the Twitch adapter, chunks of {chunk}, {WINDOW} in flight"
        );
        println!("  elapsed (first line sent → last answer stored)  {secs:.2} s");
        println!(
            "  sustained rate                                  {:.0} messages/s",
            messages as f64 / secs
        );
        println!(
            "  poll phase / word-cloud phase                   {:.0} / {:.0} messages/s ({:.2} s / {:.2} s)",
            poll_msgs as f64 / poll_time.as_secs_f64(),
            cloud_msgs as f64 / cloud_time.as_secs_f64(),
            poll_time.as_secs_f64(),
            cloud_time.as_secs_f64()
        );
        println!(
            "  counted answers stored                          {:.0} /s ({} votes, {} words)",
            (total_votes + want.words) as f64 / secs,
            total_votes,
            want.words
        );
        println!("  stored votes per choice / expected              {votes:?} / {:?}", want.votes);
        println!("  stored words / expected                         {words} / {}", want.words);
        println!(
            "  attendees stored / expected                     {} / {}",
            loaded.attendees.len(),
            want.attendees
        );
        println!("  chat_seen rows (counted message ids)            {seen}");
        println!(
            "  process CPU per message                         {:.2} µs ({:.1} s in all, {:.0} % of 2 cores)",
            per_msg(cpu_total),
            cpu_total,
            cpu_total / secs * 50.0
        );
        println!(
            "    twitch-irc, adapter, engine / SQLite / fake   {:.2} / {:.2} / {:.2} µs",
            per_msg(cpu_total - cpu_fake - cpu_sqlite),
            per_msg(cpu_sqlite),
            per_msg(cpu_fake)
        );
        println!(
            "  RSS before / peak (VmHWM, fake included)        {:.1} / {:.1} MiB",
            rss_before as f64 / 1024.0,
            peak_kib as f64 / 1024.0
        );
        println!(
            "  every answer stored exactly once                {}",
            if exact { "yes" } else { "NO" }
        );
        assert!(exact, "answers were lost or counted twice");
        engine.shutdown().await;
    });
    drop(feed);
    let _ = feeder.join();
    fake.shutdown();
}
