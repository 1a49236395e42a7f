//! `librekast loadtest`: drives a running server over the real protocol, the way a room full
//! of phones and one organizer would, and reports what the audience experienced.
//!
//! One task per participant joins over HTTP, opens its WebSocket and reads every frame
//! ([`participant`]); one staff connection drives the meeting ([`organizer`]). The
//! coordinator below moves everyone through the phases: join (as fast as the server answers,
//! or at a set rate), connect at a fixed rate, open the first poll, fire every vote at once,
//! check that every participant ends up with exactly the acknowledged counts, then the same
//! for the next quiz (whose counts reach participants only at the reveal). [`sys`] reads the
//! server's CPU and memory per phase; [`floor`] is the null server `--floor` compares with;
//! [`report`] prints it all.

pub mod floor;
mod organizer;
mod participant;
pub mod report;
pub mod sys;

use std::collections::BTreeMap;
use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinSet;
use tokio::time::{Instant, timeout};

use self::organizer::{Organizer, StaffView};
use self::participant::{Event, Phase, Shared};
use self::report::{BurstReport, ConnectReport, Report, ServerReport, Stats};
use librekast_client::Http;
use librekast_client::wire::Counts;

/// Joins + WebSocket handshakes in flight at once.
const HANDSHAKES: usize = 256;
const PASSWORD_ENV: &str = "LIBREKAST_LOADTEST_PASSWORD";

#[derive(clap::Args, Debug, Clone)]
pub struct Args {
    /// Base URL of the server (plain HTTP).
    #[arg(long, default_value = "http://127.0.0.1:8000")]
    pub url: String,
    /// Meeting to drive. It must still have a poll ahead, then a quiz; each run uses them up.
    #[arg(long)]
    pub meeting: i64,
    /// Drive this many meetings at once: ids MEETING, MEETING+1, … (each with
    /// `--participants` participants, the same join code and one staff login).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..))]
    pub meetings: u32,
    /// The meeting's join code.
    #[arg(long, default_value = "Pour1nf0")]
    pub code: String,
    /// Simulated participants (one WebSocket each).
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..))]
    pub participants: u32,
    /// WebSocket connections opened per second (after everyone joined).
    #[arg(long, value_name = "PER_SECOND", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub ramp: u32,
    /// Joins per second; 0: as fast as the server answers them, with at most 256 in flight
    /// (a hall scanning the QR code at once). The report gives the joins per second reached.
    #[arg(long, value_name = "PER_SECOND", default_value_t = 0)]
    pub join_ramp: u32,
    /// Also run the same scenario against a null server started by the load test (no
    /// storage, no meeting logic: the floor) and report the burst times and server CPU as
    /// ratios to it.
    #[arg(long)]
    pub floor: bool,
    /// Staff account that drives the meeting.
    #[arg(long, default_value = "admin")]
    pub username: String,
    /// Read the staff password from the first line of standard input instead of
    /// LIBREKAST_LOADTEST_PASSWORD.
    #[arg(long)]
    pub password_stdin: bool,
    /// The server's process id, to report its memory and CPU (same machine only).
    #[arg(long)]
    pub server_pid: Option<u32>,
    /// Print one JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
    /// Limit for each wait: one connection, all acks of a burst, all final views.
    #[arg(long, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub timeout_secs: u64,
    /// The password itself, for callers that embed the load test (tests); never a flag.
    #[arg(skip)]
    pub password: Option<String>,
    /// The `librekast` binary, to run the floor in a process of its own; `None`: in this
    /// process (embedded callers).
    #[arg(skip)]
    pub floor_exe: Option<std::path::PathBuf>,
}

/// Runs the load test; prints the report, then fails if any connection failed or dropped,
/// or any participant's final view was not exact.
pub async fn run(args: Args) -> anyhow::Result<()> {
    let total = args.participants as u64 * u64::from(args.meetings);
    // An in-process floor's server side holds a socket per participant too.
    let in_process_floor = args.floor && args.floor_exe.is_none();
    let wanted = if in_process_floor { 2 * total } else { total } + 256;
    match sys::raise_nofile_limit(wanted) {
        Ok((_, hard)) if hard < wanted => eprintln!(
            "warning: at most {hard} open files (RLIMIT_NOFILE) for {total} participants{}: \
             expect failed connections; raise it with `ulimit -Hn` as root",
            if in_process_floor {
                " and the floor"
            } else {
                ""
            }
        ),
        Ok(_) => {}
        Err(e) => eprintln!("warning: could not raise the open-file limit: {e}"),
    }
    let password = match &args.password {
        Some(p) => p.clone(),
        None => read_password(args.password_stdin)?,
    };
    if args.meetings > 1 {
        if args.floor {
            bail!("--floor compares one meeting's run: use it without --meetings");
        }
        return run_many(args, password).await;
    }
    let report = measure(&args, &password).await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    if !report.passed {
        bail!(
            "load test failed: {}",
            report.error.as_deref().unwrap_or(
                "failed or dropped connections, or participants without the exact final counts"
            )
        );
    }
    Ok(())
}

/// One meeting's run (and with `--floor`, the floor's run and the ratios), without printing:
/// what `run` prints, for callers that read the figures (tests).
pub async fn measure(args: &Args, password: &str) -> anyhow::Result<Report> {
    let mut report = run_one(
        args,
        args.meeting,
        password,
        false,
        args.server_pid.map(sys::Probe::Process),
    )
    .await?;
    if args.floor {
        eprintln!("the same scenario against the floor (the null server)…");
        let floor = match &args.floor_exe {
            Some(exe) => floor::Floor::spawn(exe).await,
            None => floor::Floor::start(),
        }
        .context("starting the floor")?;
        let floor_args = Args {
            url: floor.url(),
            meeting: floor::MEETING,
            code: floor::CODE.to_string(),
            server_pid: None,
            ..args.clone()
        };
        let probe = floor.probe();
        let floor_report = run_one(&floor_args, floor::MEETING, "floor", false, Some(probe)).await;
        floor.stop().await;
        let floor_report = floor_report.context("running against the floor")?;
        report.vs_floor = Some(report::VersusFloor::of(&report, &floor_report));
        if !floor_report.passed {
            report.passed = false;
            report.error.get_or_insert_with(|| {
                format!(
                    "the floor's run failed: {}",
                    floor_report.error.as_deref().unwrap_or("see its figures")
                )
            });
        }
        report.floor = Some(Box::new(floor_report));
    }
    Ok(report)
}

/// Many meetings at once: each runs the whole single-meeting test concurrently; the summary
/// gives totals and the worst meeting's figures.
async fn run_many(args: Args, password: String) -> anyhow::Result<()> {
    let probe = args.server_pid.map(sys::Probe::Process);
    let before = probe.map(sys::Probe::sample).transpose()?;
    let start = Instant::now();
    eprintln!(
        "driving {} meetings ({}..={}) with {} participants each…",
        args.meetings,
        args.meeting,
        args.meeting + i64::from(args.meetings) - 1,
        args.participants
    );
    let (http_base, _) = endpoints(&args.url)?;
    let token = login(&args, &Http::new(&http_base, 1), &password).await?;
    let mut set = JoinSet::new();
    for k in 0..i64::from(args.meetings) {
        let (args, token) = (args.clone(), token.clone());
        set.spawn(async move {
            let id = args.meeting + k;
            (id, run_one_with(&args, id, &token, true, None).await)
        });
    }
    let mut reports = Vec::new();
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    while let Some(joined) = set.join_next().await {
        match joined {
            Ok((_, Ok(r))) => {
                if let Some(e) = &r.error {
                    *errors.entry(e.clone()).or_default() += 1;
                }
                reports.push(r);
            }
            Ok((id, Err(e))) => *errors.entry(format!("meeting {id}: {e:#}")).or_default() += 1,
            Err(e) => *errors.entry(format!("task: {e}")).or_default() += 1,
        }
    }
    let end = later_sample(probe);
    let worst = |f: &dyn Fn(&Report) -> Option<f64>| {
        reports
            .iter()
            .filter_map(f)
            .fold(None, |m: Option<f64>, v| Some(m.map_or(v, |m| m.max(v))))
    };
    let passed_count = reports.iter().filter(|r| r.passed).count();
    let mut starts: Vec<f64> = reports.iter().map(|r| r.organizer_connect_ms).collect();
    starts.sort_unstable_by(f64::total_cmp);
    let opened: usize = reports.iter().map(|r| r.connect.opened).sum();
    let failed: usize = reports.iter().map(|r| r.connect.failed).sum();
    let views = |b: &Option<BurstReport>| {
        b.as_ref()
            .map_or((0, 0), |b| (b.exact_views, b.checked_views))
    };
    let (exact, checked) = reports
        .iter()
        .flat_map(|r| [views(&r.poll), views(&r.quiz)])
        .fold((0, 0), |a, v| (a.0 + v.0, a.1 + v.1));
    let summary = serde_json::json!({
        "meetings": args.meetings,
        "meetings_passed": passed_count,
        "participants_per_meeting": args.participants,
        "connections_opened": opened,
        "connections_failed": failed,
        "duration_s": round(start.elapsed().as_secs_f64(), 2),
        "joined": reports.iter().map(|r| r.connect.joined).sum::<usize>(),
        "slowest_join_ms": worst(&|r| r.connect.join_ms.max),
        "slowest_meeting_start_ms": worst(&|r| Some(r.organizer_connect_ms)),
        "median_meeting_start_ms": report::percentile(&starts, 50.0),
        "worst_poll_ack_p99_ms": worst(&|r| r.poll.as_ref().and_then(|b| b.ack_latency_ms.p99)),
        "worst_quiz_ack_p99_ms": worst(&|r| r.quiz.as_ref().and_then(|b| b.ack_latency_ms.p99)),
        "worst_poll_ack_max_ms": worst(&|r| r.poll.as_ref().and_then(|b| b.ack_latency_ms.max)),
        "worst_poll_all_exact_after_last_ack_ms": worst(&|r| r.poll.as_ref().and_then(|b| b.cause_to_all_exact_ms)),
        "exact_final_views": exact,
        "checked_final_views": checked,
        "server_rss_before_mib": before.and_then(|b| b.rss_kib).map(|k| round(k as f64 / 1024.0, 1)),
        "server_rss_end_mib": end.and_then(|e| e.rss_kib).map(|k| round(k as f64 / 1024.0, 1)),
        "server_cpu_s": before.as_ref().zip(end.as_ref()).map(|(b, e)| round(e.cpu_s - b.cpu_s, 2)),
        "errors": errors,
    });
    let passed = passed_count == args.meetings as usize && failed == 0 && exact == checked;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else {
        println!(
            "LibreKast load test: {} meetings at {}: {}",
            args.meetings,
            args.url,
            if passed { "PASSED" } else { "FAILED" }
        );
        if let Some(map) = summary.as_object() {
            for (k, v) in map {
                println!("  {k:<42} {v}");
            }
        }
    }
    if !passed {
        bail!(
            "load test failed: {passed_count} of {} meetings passed",
            args.meetings
        );
    }
    Ok(())
}

/// The whole test against one meeting. `quiet`: no progress lines and no server figures
/// (a multi-meeting run samples the server once for all).
async fn run_one(
    args: &Args,
    meeting: i64,
    password: &str,
    quiet: bool,
    probe: Option<sys::Probe>,
) -> anyhow::Result<Report> {
    let (http_base, _) = endpoints(&args.url)?;
    let http = Http::new(&http_base, HANDSHAKES);
    let token = login(args, &http, password).await?;
    run_one_with(args, meeting, &token, quiet, probe).await
}

async fn login(args: &Args, http: &Http, password: &str) -> anyhow::Result<String> {
    let (http_base, _) = endpoints(&args.url)?;
    timeout(
        Duration::from_secs(args.timeout_secs),
        http.login(&args.username, password),
    )
    .await
    .context("login timed out")?
    .with_context(|| format!("logging in as {:?} at {http_base}", args.username))
}

/// The test against one meeting with an existing staff session (shared by a multi-meeting
/// run: a thousand organizers do not log in in the same second).
async fn run_one_with(
    args: &Args,
    meeting: i64,
    staff_token: &str,
    quiet: bool,
    probe: Option<sys::Probe>,
) -> anyhow::Result<Report> {
    let n = args.participants as usize;
    let limit = Duration::from_secs(args.timeout_secs);
    let (http_base, ws_base) = endpoints(&args.url)?;
    let probe = if quiet { None } else { probe };

    let http = Http::new(&http_base, HANDSHAKES);
    let asked = Instant::now();
    let mut org = Organizer::connect(
        &format!("{ws_base}/ws/meetings/{}?token={staff_token}", meeting),
        limit,
    )
    .await?;
    let organizer_connect_ms = ms(asked.elapsed());
    check_plan(&org.view(), meeting)?;

    let before = match probe {
        Some(p) => Some(p.sample()?),
        None => None,
    };

    if !quiet {
        let pace = match args.join_ramp {
            0 => "as fast as the server answers".to_string(),
            r => format!("at {r}/s"),
        };
        eprintln!("joining {n} participants {pace} to meeting {meeting}…");
    }
    let (events_tx, events_rx) = mpsc::unbounded_channel();
    let (phase_tx, phase_rx) = watch::channel(Phase::Idle);
    let start = Instant::now();
    let shared = Arc::new(Shared {
        http,
        ws_base,
        meeting,
        code: args.code.clone(),
        handshakes: Semaphore::new(HANDSHAKES),
        start,
        join_ramp_per_second: (args.join_ramp > 0).then(|| f64::from(args.join_ramp)),
        ramp_per_second: f64::from(args.ramp),
        timeout: limit,
        events: events_tx,
    });
    let mut tasks = JoinSet::new();
    for idx in 0..n {
        tasks.spawn(participant::run(idx, shared.clone(), phase_rx.clone()));
    }
    let mut tracker = Tracker::new(n, events_rx);
    let join_ramp_time = match args.join_ramp {
        0 => Duration::ZERO,
        r => Duration::from_secs_f64(n as f64 / f64::from(r)),
    };
    tracker
        .pump(Waiting::Join, start + join_ramp_time + limit)
        .await;
    tracker.give_up_joining();
    let joined_sample = later_sample(probe);
    if !quiet {
        eprintln!(
            "{} joined in {:.2} s; connecting at {}/s…",
            tracker.joined(),
            tracker
                .last_joined
                .map_or(0.0, |t| t.saturating_duration_since(start).as_secs_f64()),
            args.ramp
        );
    }
    let connect_start = Instant::now();
    phase_tx.send_replace(Phase::Connect {
        start: connect_start,
    });
    let ramp_time = Duration::from_secs_f64(n as f64 / f64::from(args.ramp));
    tracker
        .pump(Waiting::Connect, connect_start + ramp_time + limit)
        .await;
    tracker.give_up_connecting();
    let connected = later_sample(probe);
    let mut connect = tracker.connect_report(start, connect_start, args);
    // The count is coalesced (at most every 100 ms): give it a moment to catch up.
    let opened = connect.opened as u64;
    let _ = timeout(
        Duration::from_secs(2),
        org.wait("the participant count", |v| {
            v.participants.is_some_and(|c| c >= opened)
        }),
    )
    .await;
    connect.server_participant_count = org.view().participants;
    if !quiet {
        eprintln!(
            "{} connected, {} failed in {:.1} s",
            connect.opened, connect.failed, connect.duration_s
        );
    }

    let mut error = None;
    let mut bursts = [None, None];
    if connect.opened == 0 {
        error = Some("no participant connected".to_string());
    }
    for (k, kind) in [Kind::Poll, Kind::Quiz].into_iter().enumerate() {
        if error.is_some() {
            break;
        }
        if !quiet {
            eprintln!("{} burst…", kind.name());
        }
        match burst(&mut tracker, &mut org, &phase_tx, k, kind, meeting, limit).await {
            Ok(r) => bursts[k] = Some(r),
            Err(e) => error = Some(format!("{} burst: {e:#}", kind.name())),
        }
    }
    let end = later_sample(probe);

    if !quiet {
        eprintln!("closing…");
    }
    phase_tx.send_replace(Phase::Close);
    tracker
        .pump(Waiting::Close, Instant::now() + Duration::from_secs(10))
        .await;
    let org_closed = org.close().await;
    // Participants still waiting for their slot (after a timeout) need not finish.
    tasks.shutdown().await;
    connect.dropped = tracker.dropped;
    connect.drop_reasons = std::mem::take(&mut tracker.drop_reasons);
    connect.closed_cleanly = tracker.closed_cleanly;
    if connect.closed_cleanly > 0 {
        let n = connect.closed_cleanly as f64;
        connect.frames_per_participant = Some(round(tracker.frames_received as f64 / n, 1));
        connect.bytes_per_participant = Some(round(tracker.bytes_received as f64 / n, 0));
        let names = participant::FRAME_TYPES.iter().copied().chain(["other"]);
        connect.frames_by_type = names
            .zip(tracker.frames_by_type)
            .filter(|(_, count)| *count > 0)
            .map(|(name, count)| (name.to_string(), round(count as f64 / n, 2)))
            .collect();
    }
    connect.close_errors = std::mem::take(&mut tracker.close_errors);
    if let Err(e) = org_closed {
        *connect
            .close_errors
            .entry(format!("organizer: {e}"))
            .or_default() += 1;
    }

    let [poll, quiz] = bursts;
    let answers = [&poll, &quiz]
        .iter()
        .filter_map(|b| b.as_ref().map(|b| b.acks_ok))
        .sum();
    let server = match (probe, before, joined_sample, connected, end) {
        (Some(p), Some(b), Some(j), Some(c), Some(e)) => Some(server_report(
            p.pid(),
            [b, j, c, e],
            connect.joined,
            connect.opened,
            answers,
        )),
        _ => None,
    };
    let all_exact = [&poll, &quiz]
        .iter()
        .all(|b| b.as_ref().is_some_and(|b| b.exact_views == b.checked_views));
    let passed = error.is_none() && connect.failed == 0 && connect.dropped == 0 && all_exact;
    let report = Report {
        url: args.url.clone(),
        meeting,
        passed,
        error,
        organizer_connect_ms,
        connect,
        poll,
        quiz,
        server,
        floor: None,
        vs_floor: None,
    };
    Ok(report)
}

/// After the first sample succeeded, a failing one means the server died: the report still
/// matters more than its memory figures.
fn later_sample(probe: Option<sys::Probe>) -> Option<sys::Sample> {
    let probe = probe?;
    probe
        .sample()
        .inspect_err(|e| eprintln!("warning: server {probe:?}: {e:#}"))
        .ok()
}

/// `(http://host:port, ws://host:port)` from `--url`.
fn endpoints(url: &str) -> anyhow::Result<(String, String)> {
    let url = url.trim().trim_end_matches('/');
    if url.starts_with("https://") {
        bail!(
            "--url {url}: TLS is not supported; point the load test at the server's plain-HTTP listener"
        );
    }
    let Some(host) = url.strip_prefix("http://") else {
        bail!("--url {url}: expected http://HOST:PORT");
    };
    if host.is_empty() || host.contains('/') {
        bail!("--url {url}: expected http://HOST:PORT, without a path");
    }
    Ok((format!("http://{host}"), format!("ws://{host}")))
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    let password = if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the password from standard input")?;
        let line = line.strip_suffix('\n').unwrap_or(&line);
        line.strip_suffix('\r').unwrap_or(line).to_string()
    } else {
        std::env::var(PASSWORD_ENV).unwrap_or_default()
    };
    if password.is_empty() {
        bail!("no staff password: set {PASSWORD_ENV} or pipe it in with --password-stdin");
    }
    Ok(password)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Poll,
    Quiz,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Poll => "poll",
            Kind::Quiz => "quiz",
        }
    }
}

/// Index in the plan of the first activity of this kind that can still be opened: the
/// current one unless it was already closed, or a later one not passed yet.
fn next_usable(v: &StaffView, kind: Kind, from: usize) -> Option<usize> {
    let position = usize::try_from(v.position).unwrap_or(0);
    v.plan
        .iter()
        .enumerate()
        .skip(from)
        .position(|(i, a)| {
            a.kind == kind.name()
                && match i.cmp(&position) {
                    std::cmp::Ordering::Less => false,
                    std::cmp::Ordering::Equal => {
                        matches!(v.status.as_str(), "before" | "waiting" | "ongoing")
                    }
                    std::cmp::Ordering::Greater => a.state != "done",
                }
        })
        .map(|i| i + from)
}

fn used_up(meeting: i64, v: &StaffView, what: &str) -> anyhow::Error {
    anyhow::anyhow!(
        "meeting {meeting} (status {:?}, activity {} of {}) has no {what} left to open: \
         each run uses up a poll and a quiz. Import a fresh copy with \
         `librekast meeting import assets/demo/meeting.json` and pass the id it prints to --meeting",
        v.status,
        v.position + 1,
        v.plan.len()
    )
}

/// Fails before anyone connects when the meeting cannot give a poll followed by a quiz.
fn check_plan(v: &StaffView, meeting: i64) -> anyhow::Result<()> {
    if matches!(v.status.as_str(), "after" | "undefined") {
        return Err(used_up(meeting, v, "activity"));
    }
    let poll = next_usable(v, Kind::Poll, 0).ok_or_else(|| used_up(meeting, v, "poll"))?;
    next_usable(v, Kind::Quiz, poll + 1)
        .ok_or_else(|| used_up(meeting, v, "quiz after its next poll"))?;
    Ok(())
}

/// Drives the meeting until an activity of `kind` is open: `start` from before/waiting,
/// `next` past anything else (the demo: start, next, start).
async fn open_activity(org: &mut Organizer, kind: Kind, meeting: i64) -> anyhow::Result<StaffView> {
    let steps = org.view().plan.len() * 2 + 4;
    for _ in 0..steps {
        let v = org.view();
        if matches!(v.status.as_str(), "after" | "undefined") || next_usable(&v, kind, 0).is_none()
        {
            return Err(used_up(meeting, &v, kind.name()));
        }
        let here = v.question.as_ref().is_some_and(|q| q.kind == kind.name());
        match v.status.as_str() {
            "ongoing" if here => return Ok(v),
            "before" => {
                org.control("start").await?;
                org.wait("an open activity", |v| v.status != "before")
                    .await?;
            }
            "waiting" if here => {
                org.control("start").await?;
                org.wait("an open activity", |v| v.status == "ongoing")
                    .await?;
            }
            _ => {
                let position = v.position;
                org.control("next").await?;
                org.wait("the next activity", |v| {
                    v.status == "after" || (v.status == "waiting" && v.position != position)
                })
                .await?;
            }
        }
    }
    bail!("could not open a {} in {steps} steps", kind.name())
}

/// Milliseconds to the microsecond: finer digits are noise and clutter the JSON.
fn ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e6).round() / 1e3
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// One burst: open the activity, every participant votes at once, then check every
/// participant's final view against the acknowledged votes.
async fn burst(
    tracker: &mut Tracker,
    org: &mut Organizer,
    phase: &watch::Sender<Phase>,
    k: usize,
    kind: Kind,
    meeting: i64,
    limit: Duration,
) -> anyhow::Result<BurstReport> {
    let open = open_activity(org, kind, meeting).await?;
    let Some(question) = open.question.clone() else {
        bail!("the open activity has no question");
    };
    let choices: Arc<[i64]> = question.choices.iter().map(|c| c.id).collect();
    if choices.is_empty() {
        bail!("{} {} has no choices", kind.name(), question.id);
    }
    // Votes from before this run (another client, an earlier run after `back`) count too.
    let mut expected = Counts::zeros(&choices);
    if let Some((q, counts)) = &open.counts
        && *q == question.id
    {
        for &(c, n) in &counts.0 {
            expected.add(c, n);
        }
    }

    let seq = k as u64 + 1;
    let voters = tracker.mark_voters(k);
    phase.send_replace(Phase::Vote {
        seq,
        question_id: question.id,
        choices: choices.clone(),
    });
    tracker.pump(Waiting::Acks(k), Instant::now() + limit).await;

    let mut latencies = Vec::with_capacity(voters);
    let mut errors: BTreeMap<String, usize> = BTreeMap::new();
    let (mut first_sent, mut last_sent, mut last_ack): (
        Option<Instant>,
        Option<Instant>,
        Option<Instant>,
    ) = (None, None, None);
    let mut acks_ok = 0;
    for (idx, seat) in tracker.seats.iter().enumerate() {
        if !seat.voter[k] {
            continue;
        }
        let Some(ack) = &seat.ack[k] else {
            let why = if seat.done {
                "connection lost"
            } else {
                "no ack in time"
            };
            *errors.entry(why.into()).or_default() += 1;
            continue;
        };
        latencies.push(ms(ack.at - ack.sent));
        first_sent = Some(first_sent.map_or(ack.sent, |t| t.min(ack.sent)));
        last_sent = Some(last_sent.map_or(ack.sent, |t| t.max(ack.sent)));
        last_ack = Some(last_ack.map_or(ack.at, |t| t.max(ack.at)));
        match &ack.error {
            None => {
                acks_ok += 1;
                expected.add(choices[idx % choices.len()], 1);
            }
            Some(code) => *errors.entry(code.clone()).or_default() += 1,
        }
    }

    // Poll tallies reach everyone while the poll is open; a quiz's counts only at the
    // reveal, so its clock starts at the `results` ack.
    // Broadcasts may precede acks, so views are also timed from the moment the change was
    // caused: the first vote (poll), the `results` control (quiz).
    let (reference, cause) = match kind {
        Kind::Poll => (last_ack.unwrap_or_else(Instant::now), first_sent),
        Kind::Quiz => {
            let sent = Instant::now();
            let at = org.control("results").await?;
            org.wait("the results", |v| v.status == "results").await?;
            (at, Some(sent))
        }
    };
    let expected = Arc::new(expected);
    let checked = tracker.alive();
    phase.send_replace(Phase::Check {
        seq,
        question_id: question.id,
        expected: expected.clone(),
        deadline: reference + limit,
    });
    // The participants' own deadline ends the wait; a little slack for their reports.
    tracker
        .pump(
            Waiting::Views(k),
            reference + limit + Duration::from_secs(2),
        )
        .await;
    let mut delays = Vec::with_capacity(checked);
    let mut checked_views = 0;
    let mut last_exact: Option<Instant> = None;
    for seat in &tracker.seats {
        if let Some(view) = seat.view[k] {
            checked_views += 1;
            if let Some(at) = view {
                delays.push(ms(at.saturating_duration_since(reference)));
                last_exact = Some(last_exact.map_or(at, |t| t.max(at)));
            }
        } else if seat.voter[k] {
            // Lost its connection before it could report: its view is not exact.
            checked_views += 1;
        }
    }
    if kind == Kind::Poll {
        org.control("results").await?;
        org.wait("the poll results", |v| v.status == "results")
            .await?;
    }
    let exact_views = delays.len();
    Ok(BurstReport {
        kind: kind.name(),
        question_id: question.id,
        choices: choices.len(),
        votes_sent: voters,
        acks_ok,
        ack_errors: errors,
        ack_latency_ms: Stats::of(latencies),
        send_spread_ms: first_sent.zip(last_sent).map(|(a, b)| ms(b - a)),
        first_vote_to_last_ack_ms: first_sent.zip(last_ack).map(|(a, b)| ms(b - a)),
        expected_counts: Arc::unwrap_or_clone(expected),
        exact_reference: match kind {
            Kind::Poll => "last_ack",
            Kind::Quiz => "results_ack",
        },
        exact_after_ms: Stats::of(delays),
        cause: match kind {
            Kind::Poll => "first_vote_sent",
            Kind::Quiz => "results_sent",
        },
        cause_to_all_exact_ms: cause
            .zip(last_exact)
            .map(|(c, e)| ms(e.saturating_duration_since(c))),
        checked_views,
        exact_views,
        exact_share: if checked_views == 0 {
            0.0
        } else {
            round(exact_views as f64 / checked_views as f64, 4)
        },
    })
}

/// `samples`: before the joins, after them, after the connections, at the end. The floor
/// has no process of its own: no memory figures (`rss_kib` is `None`).
fn server_report(
    pid: u32,
    samples: [sys::Sample; 4],
    joined: usize,
    opened: usize,
    answers: usize,
) -> ServerReport {
    let [before, joined_at, connected, end] = samples;
    let mib = |kib: Option<u64>| kib.map(|k| round(k as f64 / 1024.0, 1));
    let per = |cpu_s: f64, n: usize| (n > 0).then(|| round(cpu_s * 1e3 / n as f64, 4));
    let burst_writes = |field: usize| match (connected.writes, end.writes) {
        (Some(a), Some(b)) if answers > 0 => {
            let (a, b) = if field == 0 { (a.0, b.0) } else { (a.1, b.1) };
            Some(round(b.saturating_sub(a) as f64 / answers as f64, 1))
        }
        _ => None,
    };
    ServerReport {
        pid,
        rss_before_mib: mib(before.rss_kib),
        rss_joined_mib: mib(joined_at.rss_kib),
        rss_connected_mib: mib(connected.rss_kib),
        rss_end_mib: mib(end.rss_kib),
        rss_per_participant_kib: match (before.rss_kib, connected.rss_kib) {
            (Some(b), Some(c)) if opened > 0 => {
                Some(round((c as f64 - b as f64) / opened as f64, 2))
            }
            _ => None,
        },
        cpu_join_s: round(joined_at.cpu_s - before.cpu_s, 3),
        cpu_per_join_ms: per(joined_at.cpu_s - before.cpu_s, joined),
        cpu_handshake_s: round(connected.cpu_s - joined_at.cpu_s, 3),
        cpu_connect_s: round(connected.cpu_s - before.cpu_s, 2),
        cpu_bursts_s: round(end.cpu_s - connected.cpu_s, 2),
        cpu_per_answer_ms: per(end.cpu_s - connected.cpu_s, answers),
        file_writes_per_answer: burst_writes(0),
        file_bytes_per_answer: burst_writes(1),
        cpu_total_s: round(end.cpu_s - before.cpu_s, 2),
    }
}

struct AckRecord {
    sent: Instant,
    at: Instant,
    error: Option<String>,
}

#[derive(Default)]
struct Seat {
    joined: bool,
    connected: bool,
    /// The task ended: failed to connect, dropped, or closed.
    done: bool,
    /// Connected when the burst started, so a vote is expected.
    voter: [bool; 2],
    ack: [Option<AckRecord>; 2],
    view: [Option<Option<Instant>>; 2],
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Waiting {
    Join,
    Connect,
    Acks(usize),
    Views(usize),
    Close,
}

/// Folds participant events into per-seat records, and counts down what the current phase
/// still waits for without rescanning ten thousand seats per event.
struct Tracker {
    events: mpsc::UnboundedReceiver<Event>,
    seats: Vec<Seat>,
    waiting: Waiting,
    outstanding: usize,
    failure_reasons: BTreeMap<String, usize>,
    drop_reasons: BTreeMap<String, usize>,
    dropped: usize,
    closed_cleanly: usize,
    close_errors: BTreeMap<String, usize>,
    join_ms: Vec<f64>,
    handshake_ms: Vec<f64>,
    last_joined: Option<Instant>,
    last_connected: Option<Instant>,
    frames_received: u64,
    bytes_received: u64,
    frames_by_type: [u64; participant::FRAME_TYPES.len() + 1],
}

impl Tracker {
    fn new(n: usize, events: mpsc::UnboundedReceiver<Event>) -> Tracker {
        Tracker {
            events,
            seats: (0..n).map(|_| Seat::default()).collect(),
            waiting: Waiting::Connect,
            outstanding: 0,
            failure_reasons: BTreeMap::new(),
            drop_reasons: BTreeMap::new(),
            dropped: 0,
            closed_cleanly: 0,
            close_errors: BTreeMap::new(),
            join_ms: Vec::with_capacity(n),
            handshake_ms: Vec::with_capacity(n),
            last_joined: None,
            last_connected: None,
            frames_received: 0,
            bytes_received: 0,
            frames_by_type: [0; participant::FRAME_TYPES.len() + 1],
        }
    }

    fn joined(&self) -> usize {
        self.seats.iter().filter(|s| s.joined).count()
    }

    fn alive(&self) -> usize {
        self.seats.iter().filter(|s| s.connected && !s.done).count()
    }

    fn mark_voters(&mut self, k: usize) -> usize {
        let mut n = 0;
        for s in &mut self.seats {
            s.voter[k] = s.connected && !s.done;
            n += usize::from(s.voter[k]);
        }
        n
    }

    fn awaited(&self, idx: usize) -> bool {
        let s = &self.seats[idx];
        match self.waiting {
            Waiting::Join => !s.joined && !s.done,
            Waiting::Connect => s.joined && !s.connected && !s.done,
            Waiting::Acks(k) => s.voter[k] && !s.done && s.ack[k].is_none(),
            Waiting::Views(k) => s.connected && !s.done && s.view[k].is_none(),
            Waiting::Close => s.connected && !s.done,
        }
    }

    /// Applies events until nothing is awaited any more or the deadline passes.
    async fn pump(&mut self, waiting: Waiting, deadline: Instant) {
        self.waiting = waiting;
        self.outstanding = (0..self.seats.len()).filter(|&i| self.awaited(i)).count();
        while self.outstanding > 0 {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some(event)) => self.apply(event),
                Ok(None) | Err(_) => break,
            }
        }
    }

    fn apply(&mut self, event: Event) {
        let idx = match &event {
            Event::Joined { idx, .. }
            | Event::Connected { idx, .. }
            | Event::Failed { idx, .. }
            | Event::Dropped { idx, .. }
            | Event::Acked { idx, .. }
            | Event::Viewed { idx, .. }
            | Event::Closed { idx, .. } => *idx,
        };
        if idx >= self.seats.len() {
            return;
        }
        let was_awaited = self.awaited(idx);
        let seat = &mut self.seats[idx];
        match event {
            Event::Joined { join, at, .. } => {
                seat.joined = true;
                self.join_ms.push(ms(join));
                self.last_joined = Some(self.last_joined.map_or(at, |t| t.max(at)));
            }
            Event::Connected { handshake, at, .. } => {
                seat.connected = true;
                self.handshake_ms.push(ms(handshake));
                self.last_connected = Some(self.last_connected.map_or(at, |t| t.max(at)));
            }
            Event::Failed { reason, .. } => {
                seat.done = true;
                *self.failure_reasons.entry(reason).or_default() += 1;
            }
            Event::Dropped { reason, .. } => {
                seat.done = true;
                self.dropped += 1;
                *self.drop_reasons.entry(reason).or_default() += 1;
            }
            Event::Acked {
                seq,
                sent,
                at,
                error,
                ..
            } => {
                if let Some(slot) = seq
                    .checked_sub(1)
                    .and_then(|k| seat.ack.get_mut(usize::try_from(k).ok()?))
                {
                    *slot = Some(AckRecord { sent, at, error });
                }
            }
            Event::Viewed { seq, exact_at, .. } => {
                if let Some(slot) = seq
                    .checked_sub(1)
                    .and_then(|k| seat.view.get_mut(usize::try_from(k).ok()?))
                {
                    *slot = Some(exact_at);
                }
            }
            Event::Closed {
                error,
                frames,
                bytes,
                by_type,
                ..
            } => {
                self.frames_received += frames;
                self.bytes_received += bytes;
                for (total, n) in self.frames_by_type.iter_mut().zip(by_type) {
                    *total += n;
                }
                seat.done = true;
                match error {
                    None => self.closed_cleanly += 1,
                    Some(e) => *self.close_errors.entry(e).or_default() += 1,
                }
            }
        }
        if was_awaited && !self.awaited(idx) {
            self.outstanding -= 1;
        }
    }

    /// Seats still joining after the deadline count as failed; one that joins later never
    /// connects.
    fn give_up_joining(&mut self) {
        for s in &mut self.seats {
            if !s.joined && !s.done {
                s.done = true;
                *self
                    .failure_reasons
                    .entry("not joined before the deadline".into())
                    .or_default() += 1;
            }
        }
    }

    /// Seats still connecting after the deadline count as failed; if one connects later it
    /// stays out of the bursts.
    fn give_up_connecting(&mut self) {
        for s in &mut self.seats {
            if !s.connected && !s.done {
                s.done = true;
                *self
                    .failure_reasons
                    .entry("not connected before the deadline".into())
                    .or_default() += 1;
            }
        }
    }

    fn connect_report(&self, start: Instant, connect_start: Instant, args: &Args) -> ConnectReport {
        let opened = self.seats.iter().filter(|s| s.connected).count();
        let joined = self.joined();
        let since = |t: Option<Instant>, from: Instant| {
            t.map_or(Duration::ZERO, |t| t.saturating_duration_since(from))
        };
        let rate = |n: usize, d: Duration| {
            if d.is_zero() {
                0.0
            } else {
                round(n as f64 / d.as_secs_f64(), 1)
            }
        };
        let join_duration = since(self.last_joined, start);
        let duration = since(self.last_connected, connect_start);
        ConnectReport {
            participants: self.seats.len(),
            joined,
            join_target_rate_per_s: (args.join_ramp > 0).then(|| f64::from(args.join_ramp)),
            join_duration_s: round(join_duration.as_secs_f64(), 3),
            join_rate_per_s: rate(joined, join_duration),
            target_rate_per_s: f64::from(args.ramp),
            opened,
            failed: self.failure_reasons.values().sum(),
            failure_reasons: self.failure_reasons.clone(),
            duration_s: round(duration.as_secs_f64(), 3),
            connect_rate_per_s: rate(opened, duration),
            join_ms: Stats::of(self.join_ms.clone()),
            handshake_ms: Stats::of(self.handshake_ms.clone()),
            server_participant_count: None,
            dropped: 0,
            drop_reasons: BTreeMap::new(),
            closed_cleanly: 0,
            close_errors: BTreeMap::new(),
            frames_per_participant: None,
            bytes_per_participant: None,
            frames_by_type: BTreeMap::new(),
        }
    }
}
