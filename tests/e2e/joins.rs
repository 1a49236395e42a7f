//! Joins go through the group commit: a crowd joining at once is written in batches, each
//! join durable before its answer, with the seat-keeping and validation rules of before.

use std::sync::atomic::Ordering;

use librekast_tests::*;
use reqwest::StatusCode;
use reqwest::header::COOKIE;
use serde_json::{Value, json};

async fn join_with(
    ts: &TestServer,
    meeting: i64,
    body: Value,
    cookie: Option<&str>,
) -> anyhow::Result<(StatusCode, Value)> {
    let mut req = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/join")))
        .json(&body);
    if let Some(c) = cookie {
        req = req.header(COOKIE, c);
    }
    let res = req.send().await?;
    let status = res.status();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_crowd_joins_through_the_group_commit() -> anyhow::Result<()> {
    let ts = TestServer::start("joins").await?;
    let meeting = ts.demo_meeting().await?;
    let stats = ts.server.engine.writer().stats();
    let before = (
        stats.committed.load(Ordering::Relaxed),
        stats.batches.load(Ordering::Relaxed),
    );

    const CROWD: usize = 200;
    let mut set = tokio::task::JoinSet::new();
    for i in 0..CROWD {
        let (http, url) = (
            ts.http.clone(),
            ts.url(&format!("/api/meetings/{meeting}/join")),
        );
        set.spawn(async move {
            let res = http
                .post(url)
                .json(&json!({"code": "Pour1nf0", "name": format!("Guest {i} 🎉")}))
                .send()
                .await?;
            anyhow::ensure!(res.status() == StatusCode::OK, "join {i}: {}", res.status());
            let body: Value = res.json().await?;
            Ok::<_, anyhow::Error>((
                body["attendee_id"].as_i64().unwrap_or(-1),
                body["token"].as_str().unwrap_or("").to_string(),
            ))
        });
    }
    let mut seats = Vec::new();
    while let Some(joined) = set.join_next().await {
        seats.push(joined??);
    }
    let committed = stats.committed.load(Ordering::Relaxed) - before.0;
    let batches = stats.batches.load(Ordering::Relaxed) - before.1;
    eprintln!("{CROWD} joins: {committed} jobs committed in {batches} transactions");
    assert_eq!(
        committed, CROWD as u64,
        "every join is one group-committed job"
    );
    let mut ids: Vec<i64> = seats.iter().map(|(id, _)| *id).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), CROWD, "distinct seats");
    // Durable before the answer: storage already holds every one of them.
    let stored = ts.stored(meeting).await?;
    assert_eq!(stored.attendees.len(), CROWD);
    // Every token opens its seat.
    for (id, token) in seats.iter().take(5) {
        let client = ts.connect(meeting, token).await?;
        assert_eq!(client.state["you"]["attendee_id"].as_i64(), Some(*id));
    }

    // The same browser keeps its seat (and gets the new name); another meeting's cookie
    // or none gets a new one.
    let (id, token) = &seats[0];
    let cookie = format!("lk_participant={token}");
    let (status, body) = join_with(
        &ts,
        meeting,
        json!({"code": " Pour1nf0 ", "name": "  Renamed   guest "}),
        Some(&cookie),
    )
    .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["attendee_id"].as_i64(), Some(*id));
    assert_eq!(body["name"].as_str(), Some("Renamed guest"));
    let stored = ts.stored(meeting).await?;
    assert_eq!(stored.attendees.len(), CROWD);
    assert!(
        stored
            .attendees
            .iter()
            .any(|a| a.id.0 == *id && a.name == "Renamed guest")
    );
    let (_, fresh) = join_with(
        &ts,
        meeting,
        json!({"code": "Pour1nf0", "name": "New"}),
        None,
    )
    .await?;
    assert_ne!(fresh["attendee_id"].as_i64(), Some(*id));

    // Refusals write nothing.
    let committed = stats.committed.load(Ordering::Relaxed);
    let (status, body) =
        join_with(&ts, meeting, json!({"code": "nope", "name": "X"}), None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("wrong_code"))
    );
    let (status, _) = join_with(
        &ts,
        meeting,
        json!({"code": "Pour1nf0", "name": "\u{200b}"}),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (status, body) = join_with(
        &ts,
        meeting + 1000,
        json!({"code": "Pour1nf0", "name": "X"}),
        None,
    )
    .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    assert_eq!(stats.committed.load(Ordering::Relaxed), committed);
    Ok(())
}
