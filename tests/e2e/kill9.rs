//! Crash safety with a real process: a burst of answers, SIGKILL in the middle, a restart on
//! the same database. Every acknowledged answer is there exactly once, the meeting is where it
//! stood, clients reconnect and converge. And SIGTERM drains: close 1012, exit 0.
//!
//! The server runs in a child process ([`crate::child`]).

use std::collections::HashMap;
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use anyhow::Context;
use librekast_storage::{MeetingId, Store};
use librekast_tests::*;
use serde_json::{Value, json};

use crate::child::{ServerProcess, connect, post, spawn_server};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_burst_loses_no_acknowledged_answer() -> anyhow::Result<()> {
    const PEOPLE: usize = 150;
    let db = temp_sqlite_url("kill9");
    let mut server = spawn_server(&db)?;
    let addr = server.addr.clone();
    let list: Value = reqwest::get(format!("http://{addr}/api/meetings"))
        .await?
        .json()
        .await?;
    let meeting = list[0]["id"].as_i64().context("no meeting")?;
    let admin = server.admin.clone().context("no admin password")?;
    let org_token = post(
        &addr,
        "/api/login",
        json!({"username": "admin", "password": admin}),
    )
    .await?["token"]
        .as_str()
        .unwrap_or("")
        .to_string();
    let mut org = connect(&addr, meeting, &org_token).await?;
    let mut people = Vec::new();
    for i in 0..PEOPLE {
        let joined = post(
            &addr,
            &format!("/api/meetings/{meeting}/join"),
            json!({"code": "Pour1nf0", "name": format!("p{i}")}),
        )
        .await?;
        let token = joined["token"].as_str().unwrap_or("").to_string();
        let id = joined["attendee_id"].as_i64().unwrap_or(-1);
        people.push((id, token.clone(), connect(&addr, meeting, &token).await?));
    }
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&org.state);

    // Votes spread over ~600 ms; SIGKILL once a third of them are acknowledged.
    let acked = Arc::new(AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for (i, (id, token, mut client)) in people.into_iter().enumerate() {
        let choice = choices[i % choices.len()];
        let acked = acked.clone();
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis((i * 4) as u64)).await;
            let ok = matches!(client.vote(poll, choice).await, Ok(a) if a["ok"] == true);
            if ok {
                acked.fetch_add(1, Ordering::SeqCst);
            }
            (id, token, choice, ok)
        }));
    }
    while acked.load(Ordering::SeqCst) < PEOPLE / 3 {
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    server.child.kill()?; // SIGKILL
    let _ = server.child.wait();
    let mut outcomes = Vec::new();
    for t in tasks {
        outcomes.push(t.await?);
    }
    let confirmed: HashMap<i64, i64> = outcomes
        .iter()
        .filter(|o| o.3)
        .map(|o| (o.0, o.2))
        .collect();
    assert!(
        confirmed.len() >= PEOPLE / 3 && confirmed.len() < PEOPLE,
        "killed mid-burst: {} acked",
        confirmed.len()
    );

    // Restart on the same database.
    let server2 = spawn_server(&db)?;
    let addr = server2.addr.clone();
    assert!(server2.admin.is_none(), "no second admin account");
    let store = Store::connect(&db).await?;
    let loaded = store.load_meeting(MeetingId(meeting)).await?;
    let stored: HashMap<i64, i64> = loaded
        .votes
        .iter()
        .map(|v| (v.attendee_id.0, v.choice_id.0))
        .collect();
    assert_eq!(stored.len(), loaded.votes.len(), "no vote stored twice");
    for (id, choice) in &confirmed {
        assert_eq!(
            stored.get(id),
            Some(choice),
            "acknowledged vote of {id} lost"
        );
    }
    assert_eq!(
        loaded.meeting.status,
        librekast_storage::MeetingStatus::Ongoing
    );

    // Everyone reconnects with their session and converges on the stored tally.
    let mut expected: HashMap<String, usize> = choices.iter().map(|c| (c.to_string(), 0)).collect();
    for c in stored.values() {
        *expected.entry(c.to_string()).or_default() += 1;
    }
    let expected = json!(expected);
    let mut org = connect(&addr, meeting, &org_token).await?;
    assert_eq!(org.state["status"], "ongoing");
    assert_eq!(org.state["question"]["id"], poll, "same activity");
    let mut clients = Vec::new();
    for (_, token, _, _) in &outcomes {
        let c = connect(&addr, meeting, token).await?;
        assert_eq!(c.state["results"]["counts"], expected);
        clients.push(c);
    }
    // Those whose vote was not stored vote again; the others are refused.
    for ((id, _, choice, _), c) in outcomes.iter().zip(clients.iter_mut()) {
        let ack = c.vote(poll, *choice).await?;
        if stored.contains_key(id) {
            assert_eq!(error_code(&ack), "already_voted");
        } else {
            ok(&ack)?;
        }
    }
    ok(&org.control("results").await?)?;
    for c in clients.iter_mut() {
        assert_eq!(c.wait_status("results").await?["results"]["total"], PEOPLE);
    }
    terminate(server2).await
}

/// SIGTERM: clients are told to reconnect (1012), the process exits 0 after flushing.
async fn terminate(mut server: ServerProcess) -> anyhow::Result<()> {
    let list: Value = reqwest::get(format!("http://{}/api/meetings", server.addr))
        .await?
        .json()
        .await?;
    let meeting = list[0]["id"].as_i64().context("no meeting")?;
    let joined = post(
        &server.addr,
        &format!("/api/meetings/{meeting}/join"),
        json!({"code": "Pour1nf0", "name": "last"}),
    )
    .await?;
    let mut c = connect(
        &server.addr,
        meeting,
        joined["token"].as_str().unwrap_or(""),
    )
    .await?;
    // A half-sent request must not hold the shutdown past a container's 10 s stop timeout.
    let mut half = tokio::net::TcpStream::connect(&server.addr).await?;
    tokio::io::AsyncWriteExt::write_all(
        &mut half,
        b"POST /api/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{",
    )
    .await?;
    let mut head = tokio::net::TcpStream::connect(&server.addr).await?;
    tokio::io::AsyncWriteExt::write_all(&mut head, b"GET /healthz HTT").await?;
    let status = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()?;
    assert!(status.success());
    assert_eq!(c.close_code().await?, 1012, "told to reconnect");
    let mut exit = None;
    for _ in 0..100 {
        if let Some(status) = server.child.try_wait()? {
            exit = Some(status);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let exit = exit.context("no exit within 10 s of SIGTERM")?;
    assert!(exit.success(), "clean exit after SIGTERM: {exit:?}");
    let stopped = server.lines.try_iter().any(|l| l.contains("STOPPED"));
    assert!(stopped, "shutdown completed");
    Ok(())
}
