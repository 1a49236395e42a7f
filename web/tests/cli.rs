//! The `librekast` binary's operator commands, as scripts use them.

use std::io::Write;
use std::process::{Command, Output, Stdio};

fn temp_db(tag: &str) -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let path = std::env::temp_dir().join(format!(
        "librekast-cli-{tag}-{}-{nanos}.db",
        std::process::id()
    ));
    format!("sqlite://{}?mode=rwc", path.display())
}

fn run(db: &str, args: &[&str], stdin: Option<&str>) -> Output {
    run_env(db, args, stdin, &[])
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string()
}

const MEETING: &str = r#"{
  "title": "Round trip",
  "code": "abc123",
  "reward_fastest": true,
  "flag_prefix": "CTF",
  "activities": [
    {"kind": "text", "title": "Hello", "description": "line one\nline two"},
    {"kind": "poll", "title": "Pick", "choices": [{"text": "One", "slug": "a"}, {"text": "Two", "slug": "b"}]},
    {"kind": "quiz", "title": "Right?", "choices": [{"text": "Yes", "slug": "y", "correct": true}, {"text": "No", "slug": "n"}]},
    {"kind": "wordcloud", "title": "Words", "word_limit": 5}
  ],
  "flags": [{"name": "F", "code": "c0de", "points": 10, "first_blood": 5}]
}"#;

#[test]
fn import_export_round_trip() {
    let db = temp_db("roundtrip");
    let dir = std::env::temp_dir();
    let file = dir.join(format!("librekast-cli-{}.json", std::process::id()));
    std::fs::write(&file, MEETING).unwrap_or_else(|e| panic!("{e}"));
    let out = run(
        &db,
        &["meeting", "import", &file.display().to_string()],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    let id = text.lines().last().unwrap_or("").trim().to_string();
    assert!(
        id.parse::<i64>().is_ok(),
        "last line is the id alone: {text:?}"
    );

    let exported = run(&db, &["meeting", "export", &id], None);
    assert!(exported.status.success());
    let first: serde_json::Value = serde_json::from_str(&stdout(&exported)).unwrap_or_default();
    let original: serde_json::Value = serde_json::from_str(MEETING).unwrap_or_default();
    assert_eq!(first["activities"][3]["word_limit"], 5);
    assert_eq!(first["title"], original["title"]);
    assert_eq!(first["flags"], original["flags"]);

    // Export → import → export gives the same file.
    let again = run(&db, &["meeting", "import", "-"], Some(&stdout(&exported)));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let id2 = stdout(&again)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .to_string();
    assert_ne!(id, id2);
    let second = run(&db, &["meeting", "export", &id2], None);
    assert_eq!(stdout(&second), stdout(&exported));
    let _ = std::fs::remove_file(file);
}

#[test]
fn bad_input_gets_clear_errors() {
    let db = temp_db("bad");
    let out = run(&db, &["meeting", "import", "-"], Some("{\"title\": 3}"));
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("not a valid meeting file"));
    let bad = MEETING.replace("\"slug\": \"b\"", "\"slug\": \"a\"");
    let out = run(&db, &["meeting", "import", "-"], Some(&bad));
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("slug"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Every problem at once, one per line.
    let broken = MEETING
        .replace("\"slug\": \"b\"", "\"slug\": \"a\"")
        .replacen("\"code\": \"", "\"code\": \"has space ", 1);
    let out = run(&db, &["meeting", "import", "-"], Some(&broken));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        err.contains("2 problem(s)") && err.contains("  - code") && err.contains("slug"),
        "{err}"
    );
    let out = run(&db, &["meeting", "export", "424242"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no meeting with id 424242"));
    let out = run("mysql://nope", &["meeting", "export", "1"], None);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("DATABASE_URL"));
}

#[test]
fn user_add_reads_one_line_from_stdin() {
    let db = temp_db("user");
    let out = run(
        &db,
        &["user", "add", "alice", "--password-stdin"],
        Some("pa ss\nignored second line\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&db, &["user", "add", "bob", "--password-stdin"], Some("\n"));
    assert!(!out.status.success(), "empty password refused");
    // The stored hash verifies the password without its newline.
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        let store = librekast_storage::Store::connect(&db)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let user = store
            .find_user("alice")
            .await
            .ok()
            .flatten()
            .unwrap_or_else(|| panic!("alice missing"));
        assert!(librekast_web::auth::verify_password(
            "pa ss",
            &user.password_hash
        ));
        assert!(!librekast_web::auth::verify_password(
            "pa ss\n",
            &user.password_hash
        ));
    });
}

/// `--role` on a new account sets it (admin without it); on an existing account it changes
/// the role only when given. `meeting import --owner` gives the meeting to that account.
#[test]
fn roles_and_owners() {
    let db = temp_db("roles");
    let add = |name: &str, role: Option<&str>| {
        let mut args = vec!["user", "add", name, "--password-stdin"];
        if let Some(r) = role {
            args.extend(["--role", r]);
        }
        run(&db, &args, Some("secret\n"))
    };
    assert!(add("root", None).status.success());
    let out = add("olga", Some("organizer"));
    assert!(out.status.success());
    assert!(stdout(&out).contains("organizer"), "{}", stdout(&out));
    // A new password without --role keeps the role.
    assert!(add("olga", None).status.success());
    let out = add("eve", Some("superuser"));
    assert!(!out.status.success(), "unknown role refused");
    assert!(String::from_utf8_lossy(&out.stderr).contains("organizer"));

    let out = run(
        &db,
        &["meeting", "import", "-", "--owner", "olga"],
        Some(MEETING),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let owned: i64 = stdout(&out)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .parse()
        .unwrap_or(-1);
    let out = run(&db, &["meeting", "import", "-"], Some(MEETING));
    let unowned: i64 = stdout(&out)
        .lines()
        .last()
        .unwrap_or("")
        .trim()
        .parse()
        .unwrap_or(-1);
    let out = run(
        &db,
        &["meeting", "import", "-", "--owner", "nobody"],
        Some(MEETING),
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no staff account \"nobody\""),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(async {
        use librekast_storage::{MeetingId, Role, Store};
        let store = Store::connect(&db).await.unwrap_or_else(|e| panic!("{e}"));
        let role = |name: &'static str| {
            let store = store.clone();
            async move { store.find_user(name).await.ok().flatten().map(|u| u.role) }
        };
        assert_eq!(role("root").await, Some(Role::Admin));
        assert_eq!(role("olga").await, Some(Role::Organizer));
        let olga = store.find_user("olga").await.ok().flatten().map(|u| u.id);
        let access = store.meeting_access(MeetingId(owned)).await.ok().flatten();
        assert_eq!(access.and_then(|a| a.owner), olga);
        let access = store
            .meeting_access(MeetingId(unowned))
            .await
            .ok()
            .flatten();
        assert_eq!(access.map(|a| a.owner), Some(None));
    });
}

/// A `serve` child whose first stdout line ("LibreKast is running on …") has been read.
/// A running server and its URL.
struct Serving(std::process::Child, String);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve(db: &str) -> Result<Serving, String> {
    use std::io::{BufRead, BufReader, Read};
    let mut child = Command::new(env!("CARGO_BIN_EXE_librekast"))
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("DATABASE_URL", db)
        .env_remove("LIBREKAST_LOG")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let mut line = String::new();
    let _ = BufReader::new(stdout).read_line(&mut line);
    if let Some(url) = line.split("is running on ").nth(1) {
        let url = url
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        return Ok(Serving(child, url));
    }
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut err);
    }
    let status = child.wait().map_err(|e| e.to_string())?;
    Err(format!("{status}: {err}"))
}

#[cfg(unix)]
fn mode(path: &str) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0)
}

/// Two servers on one database would split every meeting: the second `serve` exits naming
/// the first; other commands still work; after kill -9 the lock is free again. The database,
/// its WAL and the lock file are private (0600).
#[test]
fn one_server_per_database() {
    let db = temp_db("lock");
    let path = db
        .trim_start_matches("sqlite://")
        .trim_end_matches("?mode=rwc")
        .to_string();
    let first = serve(&db).unwrap_or_else(|e| panic!("first server: {e}"));
    let second = serve(&db)
        .err()
        .unwrap_or_else(|| panic!("a second server started"));
    assert!(
        second.contains("another LibreKast server")
            && second.contains(&format!("pid {}", first.0.id()))
            && second.contains(".lock"),
        "{second}"
    );
    let out = run(
        &db,
        &["user", "add", "ops", "--password-stdin"],
        Some("pw\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for file in [path.clone(), format!("{path}-wal"), format!("{path}.lock")] {
        assert_eq!(mode(&file), 0o600, "{file} is private");
    }
    drop(first); // SIGKILL: the kernel releases the lock.
    let again = serve(&db).unwrap_or_else(|e| panic!("restart after kill -9: {e}"));
    drop(again);
}

/// `user passwd` sets a new password and ends the account's sessions; `user list` shows
/// name, role and last login; `user remove` deletes the account and ends its sessions.
#[test]
fn user_passwd_list_remove() {
    let db = temp_db("users");
    let ok = |o: &Output| assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    ok(&run(
        &db,
        &["user", "add", "alice", "--password-stdin"],
        Some("first\n"),
    ));
    ok(&run(
        &db,
        &[
            "user",
            "add",
            "olga",
            "--password-stdin",
            "--role",
            "organizer",
        ],
        Some("pw\n"),
    ));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| panic!("{e}"));
    let store = rt
        .block_on(librekast_storage::Store::connect(&db))
        .unwrap_or_else(|e| panic!("{e}"));
    let alice = rt
        .block_on(store.find_user("alice"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("alice missing"));
    let subject = librekast_storage::SessionSubject::Staff {
        user_id: alice.id,
        username: "alice".into(),
        role: alice.role,
    };
    rt.block_on(store.create_session("alice-token", &subject))
        .unwrap_or_else(|e| panic!("{e}"));
    rt.block_on(store.record_login(alice.id))
        .unwrap_or_else(|e| panic!("{e}"));

    let out = run(
        &db,
        &["user", "passwd", "alice", "--password-stdin"],
        Some("second\n"),
    );
    ok(&out);
    assert!(
        stdout(&out).contains("1 session(s) ended"),
        "{}",
        stdout(&out)
    );
    let found = rt
        .block_on(store.find_session("alice-token"))
        .ok()
        .flatten();
    assert_eq!(found, None, "the old session ended");
    let alice = rt
        .block_on(store.find_user("alice"))
        .ok()
        .flatten()
        .unwrap_or_else(|| panic!("alice missing"));
    assert!(librekast_web::auth::verify_password(
        "second",
        &alice.password_hash
    ));
    let out = run(
        &db,
        &["user", "passwd", "nobody", "--password-stdin"],
        Some("x\n"),
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no staff account"));

    let out = run(&db, &["user", "list"], None);
    ok(&out);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("name") && lines[0].contains("last login"),
        "{text}"
    );
    let alice_line = lines
        .iter()
        .find(|l| l.starts_with("alice"))
        .copied()
        .unwrap_or("");
    assert!(
        alice_line.contains("admin") && alice_line.contains('T') && alice_line.ends_with('Z'),
        "{text}"
    );
    let olga_line = lines
        .iter()
        .find(|l| l.starts_with("olga"))
        .copied()
        .unwrap_or("");
    assert!(
        olga_line.contains("organizer") && olga_line.ends_with("never"),
        "{text}"
    );

    ok(&run(&db, &["user", "remove", "olga"], None));
    let out = run(&db, &["user", "remove", "olga"], None);
    assert!(!out.status.success(), "removing twice is an error");
    assert!(!stdout(&run(&db, &["user", "list"], None)).contains("olga"));
}

/// `librekast loadtest --floor` runs the scenario against a server, then against the floor
/// in a child process of its own (whose memory is then measured too), and reports both
/// with the ratios.
#[test]
fn loadtest_with_the_floor() {
    let db = temp_db("floor");
    let out = run(
        &db,
        &["user", "add", "admin", "--password-stdin"],
        Some("floor-test-password\n"),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let server = serve(&db).unwrap_or_else(|e| panic!("server: {e}"));
    let url = server.1.clone();
    let pid = server.0.id().to_string();
    let out = Command::new(env!("CARGO_BIN_EXE_librekast"))
        .args([
            "loadtest",
            "--url",
            &url,
            "--meeting",
            "1",
            "--participants",
            "20",
            "--ramp",
            "200",
            "--server-pid",
            &pid,
            "--floor",
            "--json",
        ])
        .env("LIBREKAST_LOADTEST_PASSWORD", "floor-test-password")
        .env("DATABASE_URL", &db)
        .output()
        .unwrap_or_else(|e| panic!("spawn loadtest: {e}"));
    assert!(
        out.status.success(),
        "{}\n{}",
        stdout(&out),
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("JSON report: {e}"));
    assert_eq!(report["passed"], true);
    assert_eq!(report["floor"]["passed"], true);
    assert_eq!(report["floor"]["connect"]["opened"], 20);
    assert!(
        report["floor"]["server"]["rss_before_mib"].is_number(),
        "{}",
        report["floor"]["server"]
    );
    assert_ne!(report["floor"]["server"]["pid"], report["server"]["pid"]);
    assert!(report["vs_floor"]["poll_first_vote_to_last_ack"].is_number());
    drop(server);
}

/// `run` with extra environment variables (the fake Twitch's addresses, a data directory).
/// `LIBREKAST_SECRET_KEY` is cleared so a key file is generated where the test expects it.
fn run_env(db: &str, args: &[&str], stdin: Option<&str>, env: &[(&str, String)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_librekast"));
    cmd.args(args)
        .env("DATABASE_URL", db)
        .env_remove("LIBREKAST_LOG")
        .env_remove("LIBREKAST_SECRET_KEY")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("spawn librekast: {e}"));
    if let (Some(text), Some(mut input)) = (stdin, child.stdin.take()) {
        let _ = input.write_all(text.as_bytes());
    }
    child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait: {e}"))
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).to_string()
}

/// `librekast connect twitch`: an existing token from stdin (validated, sealed with a key
/// generated 0600 in the data directory), the device flow (prints the URL and code, waits
/// for the approval), `--user` required when there are several staff accounts, and
/// `disconnect`. Against the fake Twitch on loopback.
#[test]
fn connect_and_disconnect_twitch() {
    use std::io::{BufRead, BufReader};
    use std::os::unix::fs::PermissionsExt;

    let fake =
        librekast_fakes::twitch::FakeTwitch::start_detached().unwrap_or_else(|e| panic!("{e}"));
    let db = temp_db("connect");
    let data = std::env::temp_dir().join(format!("librekast-cli-connect-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let env = vec![
        ("LIBREKAST_DATA_DIR", data.display().to_string()),
        (
            "LIBREKAST_TWITCH_CLIENT_ID",
            librekast_fakes::twitch::FAKE_CLIENT_ID.to_string(),
        ),
        ("LIBREKAST_TWITCH_ID_URL", fake.id_url()),
        ("LIBREKAST_TWITCH_IRC_URL", fake.irc_url()),
    ];
    let out = run(
        &db,
        &["user", "add", "alice", "--password-stdin"],
        Some("pw\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));

    // A token from stdin, validated by Twitch.
    fake.add_token("cli-access", Some("cli-refresh"), "alicetv", "1001", 14_400);
    let out = run_env(
        &db,
        &["connect", "twitch", "--token-stdin"],
        Some("oauth:cli-access\ncli-refresh\n"),
        &env,
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(stdout(&out).contains("connected Twitch account alicetv for staff user alice"));
    assert!(
        stderr(&out).contains("generated the secret key"),
        "{}",
        stderr(&out)
    );
    let key = data.join("secret.key");
    let mode = std::fs::metadata(&key)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0);
    assert_eq!(mode, 0o600);
    // The database holds the token only sealed.
    let raw = std::fs::read(
        db.trim_start_matches("sqlite://")
            .trim_end_matches("?mode=rwc"),
    )
    .unwrap_or_default();
    assert!(
        !raw.windows(10).any(|w| w == b"cli-access"),
        "the token is stored in clear"
    );
    // An invalid token is refused with what to do.
    let out = run_env(
        &db,
        &["connect", "twitch", "--token-stdin"],
        Some("nope\n"),
        &env,
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("invalid or expired"),
        "{}",
        stderr(&out)
    );

    // Several staff accounts: --user is required, and the error lists them.
    let out = run(
        &db,
        &["user", "add", "bob", "--password-stdin"],
        Some("pw\n"),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run_env(
        &db,
        &["connect", "twitch", "--token-stdin"],
        Some("x\n"),
        &env,
    );
    assert!(!out.status.success());
    let e = stderr(&out);
    assert!(
        e.contains("--user") && e.contains("alice") && e.contains("bob"),
        "{e}"
    );

    // The device flow: URL and code printed, then it waits for the approval.
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_librekast"));
    cmd.args(["connect", "twitch", "--user", "bob"])
        .env("DATABASE_URL", &db)
        .env_remove("LIBREKAST_SECRET_KEY")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("{e}"));
    let out = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut lines = BufReader::new(out).lines();
    let mut code = None;
    let mut shown = Vec::new();
    for line in lines.by_ref() {
        let line = line.unwrap_or_default();
        shown.push(line.clone());
        if let Some(c) = line.split("shows the code ").nth(1) {
            code = Some(c.trim().to_string());
            break;
        }
    }
    let code = code.unwrap_or_else(|| panic!("no code in {shown:?}"));
    assert!(
        shown.iter().any(|l| l.contains("twitch.tv/activate")),
        "{shown:?}"
    );
    fake.approve_device(&code, "bobtv", "2002");
    let rest: Vec<String> = lines.map(|l| l.unwrap_or_default()).collect();
    let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
    assert!(status.success(), "{rest:?}");
    assert!(
        rest.iter()
            .any(|l| l.contains("connected Twitch account bobtv for staff user bob")),
        "{rest:?}"
    );

    // Removed, then there is nothing left to remove.
    let out = run(&db, &["disconnect", "twitch", "--user", "bob"], None);
    assert!(out.status.success(), "{}", stderr(&out));
    let out = run(&db, &["disconnect", "twitch", "--user", "bob"], None);
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("no twitch account"),
        "{}",
        stderr(&out)
    );

    // Without the app's client id, the device flow says what to set.
    let out = run_env(
        &db,
        &["connect", "twitch", "--user", "alice"],
        None,
        &env[..1],
    );
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("LIBREKAST_TWITCH_CLIENT_ID"),
        "{}",
        stderr(&out)
    );
    fake.shutdown();
    let _ = std::fs::remove_dir_all(&data);
}
