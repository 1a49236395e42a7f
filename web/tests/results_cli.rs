//! `librekast meeting results ID [--csv]`: with `--csv` it prints exactly the bytes the
//! server's `GET /api/meetings/ID/results.csv` sends; without, a readable summary. The
//! answers are written straight into a database file (names with a comma, quotes, a line
//! break, a formula; a Twitch viewer), then the real binary serves and reads it.
//! (The route's own end-to-end test, through a played meeting: tests/e2e/results.rs.)

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};

use librekast_storage::{
    MeetingFile, MeetingStatus, Platform, Role, SessionSubject, Store, WriteOp,
};

fn temp_db() -> (String, std::path::PathBuf) {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = std::env::temp_dir().join(format!(
        "librekast-cli-results-{}-{nanos}.db",
        std::process::id()
    ));
    (format!("sqlite://{}?mode=rwc", path.display()), path)
}

fn librekast(db: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_librekast"))
        .args(args)
        .env("DATABASE_URL", db)
        .env_remove("LIBREKAST_LOG")
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("running librekast: {e}"))
}

/// A served database; the server is killed on drop.
struct Serving(Child, String);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &str) -> Serving {
    let mut child = Command::new(env!("CARGO_BIN_EXE_librekast"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", db)
        .env_remove("LIBREKAST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("spawning librekast serve: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(stdout).lines();
    // Read until the server says where it listens (or exits: no more lines).
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|l| {
            l.split("is running on http://")
                .nth(1)
                .map(|rest| rest.split_whitespace().next().unwrap_or("").to_string())
        })
        .unwrap_or_else(|| panic!("librekast serve did not start"));
    Serving(child, addr)
}

/// A plain HTTP/1.1 GET with a bearer token: the status line, the headers and the body's
/// bytes (the routes send a Content-Length).
fn get(addr: &str, path: &str, token: &str) -> (String, Vec<u8>) {
    let mut s = std::net::TcpStream::connect(addr).unwrap_or_else(|e| panic!("{addr}: {e}"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nConnection: close\r\n\r\n"
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap_or_else(|e| panic!("{e}"));
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers"));
    let head = String::from_utf8_lossy(&raw[..split]).to_lowercase();
    let body = raw[split + 4..].to_vec();
    assert!(
        head.contains(&format!("content-length: {}", body.len())),
        "{head}"
    );
    (head, body)
}

const MEETING: &str = r#"{
  "title": "CLI results",
  "code": "abc123",
  "reward_fastest": true,
  "flag_prefix": "CTF",
  "activities": [
    {"kind": "poll", "title": "Pick", "choices": [{"text": "One", "slug": "a"}, {"text": "Two", "slug": "b"}]},
    {"kind": "quiz", "title": "Right?", "choices": [{"text": "Yes", "slug": "y", "correct": true}, {"text": "No", "slug": "n"}]},
    {"kind": "wordcloud", "title": "Words", "word_limit": 3}
  ],
  "flags": [{"name": "F", "code": "c0de", "points": 10, "first_blood": 5}]
}"#;

/// Writes a played meeting into `db`; returns its id and a staff token for the route.
async fn played_meeting(db: &str) -> anyhow::Result<(i64, String)> {
    let store = Store::connect(db).await?;
    let file: MeetingFile = serde_json::from_str(MEETING)?;
    let meeting = store.import_meeting(&file).await?;
    let loaded = store.load_meeting(meeting).await?;
    let (poll, quiz, cloud) = (
        &loaded.activities[0],
        &loaded.activities[1],
        &loaded.activities[2],
    );
    let mut people = Vec::new();
    for (name, platform) in [
        ("=HYPERLINK(\"http://x\")", Platform::Room),
        ("Smith, \"Bob\"\nJr.", Platform::Room),
        ("@viewer", Platform::Twitch),
        ("plain", Platform::Room),
    ] {
        let id = format!("id-{}", people.len());
        people.push(
            store
                .upsert_attendee(meeting, name, platform, &id)
                .await?
                .id,
        );
    }
    let mut ops = Vec::new();
    for (i, &who) in people.iter().enumerate() {
        let at = 1_796_542_623_000_000 + i as i64 * 1_500;
        ops.push(WriteOp::Vote {
            activity: poll.id,
            attendee: who,
            choice: poll.choices[i % 2].id,
            at,
        });
        ops.push(WriteOp::Vote {
            activity: quiz.id,
            attendee: who,
            choice: quiz.choices[i % 2].id,
            at: at + 1_000_000,
        });
        ops.push(WriteOp::Word {
            activity: cloud.id,
            attendee: who,
            text: if i == 1 {
                "-minus, \"q\"".into()
            } else {
                "Rust".into()
            },
            normalized: if i == 1 {
                "-minus, \"q\"".into()
            } else {
                "rust".into()
            },
            at: at + 2_000_000,
        });
    }
    ops.push(WriteOp::Award {
        activity: quiz.id,
        awards: vec![
            (people[0], 3),
            (people[1], 0),
            (people[2], 1),
            (people[3], 0),
        ],
    });
    ops.push(WriteOp::Capture {
        flag: loaded.flags[0].id,
        attendee: people[3],
        points: 15,
        first_blood: true,
        at: 1_796_542_630_000_000,
    });
    ops.push(WriteOp::Progress {
        meeting,
        status: MeetingStatus::After,
        position: 2,
        activities: vec![],
    });
    store.apply(&ops).await?;

    let hash = librekast_web::auth::hash_password("a password")?;
    let user = store
        .put_user_with_role("alice", &hash, Some(Role::Admin))
        .await?;
    let token = librekast_web::auth::new_token();
    store
        .create_session(
            &token,
            &SessionSubject::Staff {
                user_id: user,
                username: "alice".into(),
                role: Role::Admin,
            },
        )
        .await?;
    store.connection().clone().close().await?;
    Ok((meeting.0, token))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn results_csv_from_the_command_equals_the_route() -> anyhow::Result<()> {
    let (db, path) = temp_db();
    let (meeting, token) = played_meeting(&db).await?;

    let route = {
        let server = serve(&db);
        let (head, body) = get(
            &server.1,
            &format!("/api/meetings/{meeting}/results.csv"),
            &token,
        );
        assert!(head.starts_with("http/1.1 200"), "{head}");
        assert!(
            head.contains("content-type: text/csv; charset=utf-8"),
            "{head}"
        );
        body
    };
    let out = librekast(&db, &["meeting", "results", &meeting.to_string(), "--csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&route),
        "the command prints what the route sends"
    );
    assert_eq!(out.stdout, route);

    let csv = String::from_utf8(out.stdout)?;
    assert!(csv.starts_with(
        "\u{feff}time,activity,kind,attendee_id,name,platform,answer,correct,points\r\n"
    ));
    assert_eq!(csv.matches("\r\n").count(), 1 + 4 * 3 + 1, "{csv}");
    assert!(
        csv.contains("2026-12-06T07:37:03.000Z,1,poll,"),
        "RFC 3339 times: {csv}"
    );
    assert!(
        csv.contains(",\"'=HYPERLINK(\"\"http://x\"\")\",room,y,true,3\r\n"),
        "{csv}"
    );
    assert!(
        csv.contains(",\"Smith, \"\"Bob\"\"\nJr.\",room,n,false,0\r\n"),
        "{csv}"
    );
    assert!(csv.contains(",'@viewer,twitch,a,,\r\n"), "{csv}");
    assert!(csv.contains(",\"'-minus, \"\"q\"\"\",,\r\n"), "{csv}");
    assert!(csv.contains(",,flag,"), "{csv}");
    assert!(csv.ends_with(",plain,room,F,,15\r\n"), "{csv}");

    // The summary: counts with the correct choice marked, words, scoreboard, platforms.
    let out = librekast(&db, &["meeting", "results", &meeting.to_string()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.starts_with(&format!("Meeting {meeting}: CLI results (after)\n")),
        "{text}"
    );
    assert!(
        text.contains("2. Quiz: Right? (4 answered: room 3, twitch 1)"),
        "{text}"
    );
    assert!(text.contains("  ✓ y  Yes      2   50%"), "{text}");
    assert!(text.contains("    Rust 3, -minus, \"q\" 1"), "{text}");
    assert!(
        text.contains("Smith, \"Bob\" Jr."),
        "a line break is not printed: {text}"
    );
    assert!(text.contains("    1. plain"), "{text}");
    assert!(
        text.contains("  twitch   1 attendees, 1 answered"),
        "{text}"
    );

    let out = librekast(&db, &["meeting", "results", "424242", "--csv"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no meeting with id 424242"));

    for suffix in ["", "-wal", "-shm", ".lock"] {
        let mut name = path.clone().into_os_string();
        name.push(suffix);
        let _ = std::fs::remove_file(name);
    }
    Ok(())
}
