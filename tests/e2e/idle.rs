//! A meeting nobody is connected to stops after `LIBREKAST_IDLE_SECS` and leaves memory; the
//! next request starts it again from storage. An ended meeting stays as long as anyone is
//! connected: ending never closes a screen.

use std::time::{Duration, Instant};

use librekast_storage::MeetingId;
use librekast_tests::*;
use librekast_web::Config;
use serde_json::json;

/// Waits (polling, within a generous bound) until the engine no longer runs the meeting.
async fn until_stopped(ts: &TestServer, meeting: i64) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(60);
    while ts.server.engine.running(MeetingId(meeting)).is_some() {
        anyhow::ensure!(Instant::now() < deadline, "the idle meeting never stopped");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_idle_meeting_leaves_memory_and_comes_back() -> anyhow::Result<()> {
    let config = Config::for_tests(&temp_sqlite_url("idle")).with_idle_secs(1)?;
    let ts = TestServer::start_with(config).await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    let (_, token) = ts.join(meeting, "Pour1nf0", "Ada").await?;
    let mut ada = ts.connect(meeting, &token).await?;
    let poll = ada.wait_open("poll").await?["question"]["id"]
        .as_i64()
        .unwrap_or(-1);
    let choices = choice_ids(&ada.state);
    ok(&ada.vote(poll, choices[1]).await?)?;
    assert!(ts.server.engine.running(MeetingId(meeting)).is_some());

    // Everyone leaves: the tree stops and its memory is freed.
    drop(org);
    drop(ada);
    until_stopped(&ts, meeting).await?;
    assert_eq!(ts.server.engine.running_count(), 0);

    // The next connection starts it again from storage, answers and all.
    let mut ada = ts.connect(meeting, &token).await?;
    assert_eq!(ada.state["status"], "ongoing");
    assert_eq!(ada.state["you"]["answer"]["choice_id"], choices[1]);
    let expected = json!({choices[0].to_string(): 0, choices[1].to_string(): 1, choices[2].to_string(): 0, choices[3].to_string(): 0});
    assert_eq!(ada.state["results"]["counts"], expected);
    assert_eq!(
        error_code(&ada.vote(poll, choices[0]).await?),
        "already_voted"
    );

    // Ended, with a screen still open: it stays (the screen shows the end) past the idle time.
    let mut org = ts.connect(meeting, &admin).await?;
    ok(&org.control("end").await?)?;
    ada.wait_status("after").await?;
    drop(ada);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(ts.server.engine.running(MeetingId(meeting)).is_some());
    assert_eq!(error_code(&org.control("start").await?), "invalid_control");
    drop(org);
    until_stopped(&ts, meeting).await?;
    ts.server.shutdown().await;
    Ok(())
}
