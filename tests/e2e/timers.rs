//! Timers, speed scoring and `auto_start` end to end (issue 14, points 1 and 2): a timed
//! quiz opened by Next closes itself as `results` and pays speed points; staff add time;
//! a timer survives its meeting actor's restart (its deadline is stored); every `state`
//! carries the server's `now`. Waits are for conditions (a 5-second timer running out),
//! never fixed sleeps.

use anyhow::Context;
use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use serde_json::{Value, json};

fn file(quiz_secs: u32) -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Timed",
        "code": "t1med",
        "scoring": "speed",
        "auto_start": true,
        "activities": [
            {"kind": "text", "title": "Welcome"},
            {"kind": "quiz", "title": "Fast?", "time_limit_secs": quiz_secs, "points": 1000,
             "choices": [{"text": "No"}, {"text": "Yes", "correct": true}]},
            {"kind": "poll", "title": "Long one", "time_limit_secs": 300,
             "choices": [{"text": "A"}, {"text": "B"}]}
        ]
    }))?)
}

fn at(state: &Value, field: &str) -> anyhow::Result<i64> {
    let text = state[field]
        .as_str()
        .with_context(|| format!("no {field} in {state}"))?;
    Ok(chrono_millis(text))
}

/// Milliseconds since the epoch of an RFC 3339 UTC time (`2026-12-06T18:00:00.123Z`, as
/// the server writes them); `i64::MIN` for anything else.
fn chrono_millis(text: &str) -> i64 {
    let (date, time) = text.split_once('T').unwrap_or(("", ""));
    let d: Vec<i64> = date.split('-').filter_map(|p| p.parse().ok()).collect();
    let t: Vec<f64> = time
        .trim_end_matches('Z')
        .split(':')
        .filter_map(|p| p.parse().ok())
        .collect();
    if d.len() != 3 || t.len() != 3 {
        return i64::MIN;
    }
    // Days from the civil date (Howard Hinnant's algorithm).
    let (y, m) = if d[1] <= 2 {
        (d[0] - 1, d[1] + 9)
    } else {
        (d[0], d[1] - 3)
    };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * m + 2) / 5 + d[2] - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    days * 86_400_000 + (t[0] * 3_600_000.0 + t[1] * 60_000.0 + t[2] * 1000.0).round() as i64
}

#[test]
fn server_times_parse() {
    assert_eq!(chrono_millis("1970-01-01T00:00:01.500Z"), 1_500);
    assert_eq!(chrono_millis("2026-12-06T18:00:00.000Z"), 1_796_580_000_000);
    assert_eq!(chrono_millis("soon"), i64::MIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_timed_quiz_closes_itself_and_pays_speed_points() -> anyhow::Result<()> {
    let ts = TestServer::start("timers").await?;
    let admin = ts.admin_token().await?;
    let meeting = ts.server.engine.store().import_meeting(&file(5)?).await?.0;
    let mut org = ts.connect(meeting, &admin).await?;
    assert!(
        org.state["now"].is_string(),
        "every state has now: {}",
        org.state
    );
    assert_eq!(org.state["closes_at"], Value::Null);
    ok(&org.control("start").await?)?;
    let (_, token) = ts.join(meeting, "t1med", "Speedy").await?;
    let mut phone = ts.connect(meeting, &token).await?;
    // auto_start: Next opens the quiz directly, with its timer.
    ok(&org.control("next").await?)?;
    let state = phone.wait_open("quiz").await?;
    let closes = at(&state, "closes_at")?;
    let now = at(&state, "now")?;
    assert!(
        (0..=5_000).contains(&(closes - now)),
        "a 5 s timer: {state}"
    );
    assert_eq!(state["question"]["time_limit_secs"], 5);
    let quiz = state["question"]["id"].as_i64().context("quiz")?;
    let right = choice_ids(&state)[1];
    ok(&phone.vote(quiz, right).await?)?;
    // Nobody presses anything: the timer closes the quiz as `results`.
    let done = org.wait_status("results").await?;
    assert_eq!(done["closes_at"], Value::Null);
    let board = phone.wait_status("results").await?;
    let score = board["you"]["score"].as_i64().context("score")?;
    assert!(
        (500..=1000).contains(&score) && score > 500,
        "speed points for an answer inside the limit: {board}"
    );
    // Stored too (the close had no ack to wait for: wait for the write).
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let stored = ts.stored(meeting).await?;
        if stored.attendees.iter().any(|a| a.score == score) {
            break;
        }
        anyhow::ensure!(
            tokio::time::Instant::now() < deadline,
            "never stored: {:?}",
            stored.attendees
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn staff_add_time_and_a_timer_survives_an_actor_restart() -> anyhow::Result<()> {
    let ts = TestServer::start("timers-restart").await?;
    let admin = ts.admin_token().await?;
    let meeting = ts.server.engine.store().import_meeting(&file(5)?).await?.0;
    let mut org = ts.connect(meeting, &admin).await?;
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    org.wait_open("quiz").await?;
    // The actor dies mid-quiz: the new one reads the stored deadline and still closes it.
    let handle = ts
        .server
        .engine
        .running(MeetingId(meeting))
        .context("running")?;
    handle.inject_panic();
    let mut org = ts.connect(meeting, &admin).await?;
    org.wait_status("results").await?;

    // The long poll: +30 s moves its deadline; without a timer, add_time is refused.
    ok(&org.control("next").await?)?;
    let poll = org.wait_open("poll").await?;
    let before = at(&poll, "closes_at")?;
    let ack = org
        .call(json!({"type": "control", "action": "add_time", "secs": 30}))
        .await?;
    ok(&ack)?;
    let later = org
        .wait_state(|s| {
            s["closes_at"]
                .as_str()
                .is_some_and(|c| chrono_millis(c) > before)
        })
        .await?;
    assert_eq!(at(&later, "closes_at")? - before, 30_000, "{later}");
    ok(&org.control("results").await?)?;
    org.wait_status("results").await?;
    let ack = org
        .call(json!({"type": "control", "action": "add_time", "secs": 30}))
        .await?;
    assert_eq!(error_code(&ack), "invalid_control", "{ack}");
    // A participant may not add time.
    let (_, token) = ts.join(meeting, "t1med", "Cheater").await?;
    let mut phone = ts.connect(meeting, &token).await?;
    let ack = phone
        .call(json!({"type": "control", "action": "add_time", "secs": 30}))
        .await?;
    assert_eq!(error_code(&ack), "forbidden", "{ack}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn speed_scoring_needs_a_time_limit_on_every_quiz() -> anyhow::Result<()> {
    let ts = TestServer::start("timers-file").await?;
    let mut bad = file(5)?;
    bad.activities[1].time_limit_secs = 0;
    bad.activities[0].time_limit_secs = 10;
    let fields: Vec<String> = bad
        .problems()
        .into_iter()
        .map(|p| p.field)
        .filter(|f| f.ends_with("time_limit_secs"))
        .collect();
    assert_eq!(
        fields,
        [
            "activities[0].time_limit_secs",
            "activities[1].time_limit_secs"
        ]
    );
    assert!(ts.server.engine.store().import_meeting(&bad).await.is_err());
    // The plan round-trips the new fields.
    let admin = ts.admin_token().await?;
    let meeting = ts.server.engine.store().import_meeting(&file(20)?).await?.0;
    let (status, plan) = ts
        .call(
            reqwest::Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    assert_eq!(status, 200, "{plan}");
    assert_eq!(plan["scoring"], "speed");
    assert_eq!(plan["auto_start"], true);
    assert_eq!(plan["activities"][1]["time_limit_secs"], 20);
    assert_eq!(plan["activities"][1]["points"], 1000);
    assert!(plan["activities"][0].get("time_limit_secs").is_none());
    Ok(())
}
