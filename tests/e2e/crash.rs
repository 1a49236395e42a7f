//! A meeting actor panics in the middle of a burst of answers: its supervisor restarts it,
//! it rebuilds from storage, open connections keep working and no acknowledged answer is lost.

use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use librekast_storage::MeetingId;
use librekast_tests::*;
use serde_json::json;

/// Everything logged by this test binary, to assert on supervision events.
fn logs() -> &'static Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let writer = buf.clone();
        let _ = tracing_subscriber::fmt()
            .with_env_filter("librekast_engine=info")
            .with_ansi(false)
            .with_writer(move || LogWriter(writer.clone()))
            .try_init();
        buf
    })
}

struct LogWriter(Arc<Mutex<Vec<u8>>>);

impl Write for LogWriter {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut b) = self.0.lock() {
            b.extend_from_slice(data);
        }
        Ok(data.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn panic_mid_burst_loses_no_acknowledged_answer() -> anyhow::Result<()> {
    let logs = logs();
    let ts = TestServer::start("crash").await?;
    let meeting = ts.demo_meeting().await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let mut people = Vec::new();
    for i in 0..40 {
        let (id, token) = ts.join(meeting, "Pour1nf0", &format!("p{i}")).await?;
        people.push((id, ts.connect(meeting, &token).await?));
    }
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    org.wait_open("poll").await?;
    let poll = org.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&org.state);
    for (_, p) in people.iter_mut() {
        p.wait_open("poll").await?;
    }
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;

    // Every participant votes at once; the actor panics in the middle of the burst.
    let mut tasks = Vec::new();
    for (i, (id, mut p)) in people.into_iter().enumerate() {
        let choice = choices[i % choices.len()];
        tasks.push(tokio::spawn(async move {
            if i % 2 == 1 {
                tokio::time::sleep(Duration::from_millis(2 * i as u64)).await;
            }
            let ack = p.vote(poll, choice).await;
            (id, choice, ack.map(|a| a["ok"] == true).unwrap_or(false), p)
        }));
    }
    tokio::time::sleep(Duration::from_millis(15)).await;
    handle.inject_panic();
    let mut acked: HashMap<i64, i64> = HashMap::new();
    let mut people = Vec::new();
    for t in tasks {
        let (id, choice, was_ok, p) = t.await?;
        if was_ok {
            acked.insert(id, choice);
        }
        people.push((id, p));
    }
    assert!(
        acked.len() >= 30,
        "most votes still acknowledged through the restart: {}",
        acked.len()
    );
    for _ in 0..100 {
        if handle.is_running() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(handle.is_running(), "the supervisor restarted the meeting");

    // Storage holds every acknowledged vote exactly once (and nothing unacknowledged).
    let loaded = ts.stored(meeting).await?;
    let stored: Vec<(i64, i64)> = loaded
        .votes
        .iter()
        .map(|v| (v.attendee_id.0, v.choice_id.0))
        .collect();
    let unique: HashSet<i64> = stored.iter().map(|v| v.0).collect();
    assert_eq!(unique.len(), stored.len(), "no attendee stored twice");
    for (id, choice) in &acked {
        assert!(
            stored.contains(&(*id, *choice)),
            "acknowledged vote of {id} lost"
        );
    }
    assert_eq!(
        stored.len(),
        acked.len(),
        "only acknowledged votes are stored"
    );

    // Open connections keep working and converge on the exact tally.
    let mut expected: HashMap<String, usize> = choices.iter().map(|c| (c.to_string(), 0)).collect();
    for choice in acked.values() {
        *expected.entry(choice.to_string()).or_default() += 1;
    }
    let expected = json!(expected);
    for (id, p) in people.iter_mut() {
        p.wait_counts(poll, &expected).await?;
        let code = error_code(&p.vote(poll, choices[0]).await?).to_string();
        if acked.contains_key(id) {
            assert_eq!(
                code, "already_voted",
                "rebuilt state remembers the vote of {id}"
            );
        } else {
            assert_eq!(code, "", "a participant whose vote failed may vote again");
        }
    }
    ok(&org.control("results").await?)?;
    for (_, p) in people.iter_mut() {
        let s = p.wait_status("results").await?;
        assert_eq!(s["results"]["total"], 40);
    }

    let text =
        String::from_utf8_lossy(&logs.lock().map(|b| b.clone()).unwrap_or_default()).to_string();
    let mine = |event: &str| {
        text.lines().any(|l| {
            l.contains(event)
                && l.contains(&format!("meeting_id={meeting}"))
                && l.contains("actor=\"meeting\"")
        })
    };
    assert!(mine("failed"), "supervision logged the failure:\n{text}");
    assert!(mine("restarted"), "supervision logged the restart:\n{text}");
    ts.server.shutdown().await;
    Ok(())
}
