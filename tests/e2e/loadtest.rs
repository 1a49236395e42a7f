//! `librekast loadtest` against a real server: a small run must pass (with its join figures
//! and, with `--floor`, the null server's run and the ratios), ten meetings driven with one
//! staff login must pass, and a used-up meeting must fail with a clear message.

use librekast_loadtest::{Args, measure, run};
use librekast_tests::*;

fn args(ts: &TestServer, meeting: i64, password: &str) -> Args {
    Args {
        url: ts.server.url(),
        meeting,
        meetings: 1,
        code: "Pour1nf0".into(),
        participants: 20,
        ramp: 200,
        join_ramp: 0,
        floor: false,
        username: "admin".into(),
        password_stdin: false,
        server_pid: Some(std::process::id()),
        json: true,
        timeout_secs: 20,
        password: Some(password.into()),
        floor_exe: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadtest_passes_then_reports_a_used_up_meeting() -> anyhow::Result<()> {
    let ts = TestServer::start("loadtest").await?;
    let meeting = ts.demo_meeting().await?;
    let password = ts.server.admin_password.clone().unwrap_or_default();
    let report = measure(
        &Args {
            floor: true,
            ..args(&ts, meeting, &password)
        },
        &password,
    )
    .await?;
    assert!(report.passed, "{:?}", report.error);
    assert_eq!(report.connect.joined, 20);
    assert!(report.connect.join_rate_per_s > 0.0);
    let server = report.server.as_ref().expect("server figures");
    assert!(server.cpu_per_join_ms.is_some() && server.cpu_per_answer_ms.is_some());
    let floor = report.floor.as_ref().expect("the floor's run");
    assert!(floor.passed, "the floor's run: {:?}", floor.error);
    assert_eq!(floor.poll.as_ref().map(|b| b.acks_ok), Some(20));
    assert_eq!(floor.quiz.as_ref().map(|b| b.exact_views), Some(20));
    let versus = report.vs_floor.as_ref().expect("ratios");
    assert!(versus.poll_first_vote_to_last_ack.is_some_and(|r| r > 0.0));
    // The floor's CPU is read from its own threads: a figure, not the whole test process's.
    assert!(
        floor
            .server
            .as_ref()
            .is_some_and(|s| s.rss_before_mib.is_none())
    );

    let again = run(args(&ts, meeting, &password)).await;
    let message = format!(
        "{:#}",
        again.err().map(|e| e.to_string()).unwrap_or_default()
    );
    assert!(
        message.contains("meeting import"),
        "tells how to get a fresh meeting: {message}"
    );
    let wrong = run(args(&ts, meeting, "wrong")).await;
    assert!(wrong.is_err());
    ts.server.shutdown().await;
    Ok(())
}

/// Ten meetings at once, driven by one staff login (more organizer sockets than one session
/// may hold in a single meeting), all start and pass.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ten_meetings_with_one_login() -> anyhow::Result<()> {
    let ts = TestServer::start("loadtest_many").await?;
    let first = ts.demo_meeting().await?;
    let demo: librekast_storage::MeetingFile =
        serde_json::from_str(include_str!("../../assets/demo/meeting.json"))?;
    let store = ts.server.engine.store();
    for _ in 1..10 {
        store.import_meeting(&demo).await?;
    }
    let password = ts.server.admin_password.clone().unwrap_or_default();
    run(Args {
        meetings: 10,
        participants: 5,
        server_pid: None,
        ..args(&ts, first, &password)
    })
    .await?;
    ts.server.shutdown().await;
    Ok(())
}
