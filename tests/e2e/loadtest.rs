//! `librekast loadtest` against a real server: a small run must pass, and a used-up meeting
//! must fail with a clear message.

use librekast_loadtest::{Args, run};
use librekast_tests::*;

fn args(ts: &TestServer, meeting: i64, password: &str) -> Args {
    Args {
        url: ts.server.url(),
        meeting,
        meetings: 1,
        code: "Pour1nf0".into(),
        participants: 20,
        ramp: 200,
        username: "admin".into(),
        password_stdin: false,
        server_pid: Some(std::process::id()),
        json: true,
        timeout_secs: 20,
        password: Some(password.into()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loadtest_passes_then_reports_a_used_up_meeting() -> anyhow::Result<()> {
    let ts = TestServer::start("loadtest").await?;
    let meeting = ts.demo_meeting().await?;
    let password = ts.server.admin_password.clone().unwrap_or_default();
    run(args(&ts, meeting, &password)).await?;
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
