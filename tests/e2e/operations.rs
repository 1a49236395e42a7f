//! The live operations feed (issue 16, point 1) over HTTP: admins only, a snapshot of every
//! running meeting's tree and the writer, and the Server-Sent Events stream in which an
//! injected actor panic appears as `failed`, `restart_scheduled` and `restarted`, with the
//! restart counted in the next snapshot. (The page itself: `ui_operate`.)

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(20);

/// One open `GET /api/operations/stream`, read message by message.
struct Stream {
    res: reqwest::Response,
    buf: String,
}

/// One Server-Sent Events message.
#[derive(Debug)]
struct Message {
    event: String,
    id: Option<u64>,
    data: Value,
}

impl Stream {
    async fn open(ts: &TestServer, token: &str, last_id: Option<u64>) -> anyhow::Result<Stream> {
        let mut req = ts
            .http
            .get(ts.url("/api/operations/stream"))
            .bearer_auth(token);
        if let Some(id) = last_id {
            req = req.header("last-event-id", id.to_string());
        }
        let res = req.send().await?;
        ensure!(res.status() == StatusCode::OK, "{}", res.status());
        let kind = res
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        ensure!(kind.starts_with("text/event-stream"), "{kind}");
        Ok(Stream {
            res,
            buf: String::new(),
        })
    }

    async fn next(&mut self) -> anyhow::Result<Message> {
        loop {
            if let Some(end) = self.buf.find("\n\n") {
                let block: String = self.buf.drain(..end + 2).collect();
                let (mut event, mut id, mut data) = (String::new(), None, String::new());
                for line in block.lines() {
                    if let Some(v) = line.strip_prefix("event:") {
                        event = v.trim().to_string();
                    } else if let Some(v) = line.strip_prefix("id:") {
                        id = v.trim().parse().ok();
                    } else if let Some(v) = line.strip_prefix("data:") {
                        data.push_str(v.strip_prefix(' ').unwrap_or(v));
                    }
                }
                if event.is_empty() {
                    continue; // a keep-alive comment
                }
                return Ok(Message {
                    event,
                    id,
                    data: serde_json::from_str(&data).with_context(|| data.clone())?,
                });
            }
            let chunk = tokio::time::timeout(TIMEOUT, self.res.chunk())
                .await
                .context("no message from the stream in time")??
                .context("the stream ended")?;
            self.buf.push_str(&String::from_utf8_lossy(&chunk));
        }
    }

    /// Reads until `done` holds on the events seen so far, or the deadline passes.
    async fn events_until(
        &mut self,
        seen: &mut Vec<Value>,
        done: impl Fn(&[Value]) -> bool,
    ) -> anyhow::Result<()> {
        tokio::time::timeout(TIMEOUT, async {
            while !done(seen) {
                let m = self.next().await?;
                if m.event == "events" {
                    let events = m.data["events"].as_array().cloned().unwrap_or_default();
                    // Each batch's id is its last event's seq.
                    ensure!(
                        m.id == events.last().and_then(|e| e["seq"].as_u64()),
                        "{m:?}"
                    );
                    seen.extend(events);
                }
            }
            anyhow::Ok(())
        })
        .await
        .with_context(|| format!("events so far: {seen:#?}"))?
    }

    /// Reads until a snapshot for which `done` holds.
    async fn snapshot_until(&mut self, done: impl Fn(&Value) -> bool) -> anyhow::Result<Value> {
        tokio::time::timeout(TIMEOUT, async {
            loop {
                let m = self.next().await?;
                if m.event == "snapshot" && done(&m.data) {
                    return anyhow::Ok(m.data);
                }
            }
        })
        .await
        .context("no such snapshot in time")?
    }
}

fn meeting_actor(snapshot: &Value, meeting: i64) -> Option<&Value> {
    snapshot["meetings"]
        .as_array()?
        .iter()
        .find(|m| m["id"] == meeting)?["actors"]
        .as_array()?
        .iter()
        .find(|a| a["kind"] == "meeting")
}

fn has(events: &[Value], meeting: Option<i64>, actor: &str, event: &str) -> bool {
    events.iter().any(|e| {
        e["actor"] == actor && e["event"] == event && meeting.is_none_or(|m| e["meeting_id"] == m)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operations_feed_shows_trees_and_a_restart_live() -> anyhow::Result<()> {
    let ts = TestServer::start("operations").await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let (_, olga) = ts.organizer("olga").await?;

    // Admins only: the page, the snapshot and the stream.
    let page = |cookie: Option<&str>| {
        let mut req = ts.http.get(ts.url("/operate.html"));
        if let Some(token) = cookie {
            req = req.header("cookie", format!("lk_staff={token}"));
        }
        req.send()
    };
    let res = page(Some(&admin)).await?;
    ensure!(res.status() == StatusCode::OK, "{}", res.status());
    ensure!(res.text().await?.contains("operate.js"), "the page itself");
    for who in [None, Some(olga.as_str())] {
        let res = page(who).await?;
        ensure!(
            res.status() == StatusCode::FORBIDDEN,
            "{who:?}: {}",
            res.status()
        );
        ensure!(res.text().await?.contains("Admins only"));
    }
    let (status, body) = ts.call(Method::GET, "/api/operations", &olga, None).await?;
    ensure!(
        status == StatusCode::FORBIDDEN && body["error"] == "forbidden",
        "{status} {body}"
    );
    let res = ts.http.get(ts.url("/api/operations")).send().await?;
    ensure!(res.status() == StatusCode::UNAUTHORIZED, "{}", res.status());
    let res = ts
        .http
        .get(ts.url("/api/operations/stream"))
        .bearer_auth(&olga)
        .send()
        .await?;
    ensure!(res.status() == StatusCode::FORBIDDEN, "{}", res.status());

    // A running meeting: the organizer's dashboard and two participants who vote.
    let mut org = ts.connect(meeting, &admin).await?;
    let mut people = Vec::new();
    for name in ["Ada", "😀 Bob"] {
        let (_, token) = ts.join(meeting, "Pour1nf0", name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    for p in &mut people {
        let st = p.wait_open("poll").await?;
        let poll = st["question"]["id"].as_i64().context("poll")?;
        ok(&p.vote(poll, choice_ids(&st)[0]).await?)?;
    }

    let (status, snap) = ts
        .call(Method::GET, "/api/operations", &admin, None)
        .await?;
    ensure!(status == StatusCode::OK, "{status} {snap}");
    let m = snap["meetings"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["id"] == meeting))
        .context("the demo is running")?;
    ensure!(m["title"] == "LibreKast demo", "{m}");
    ensure!(m["connections"]["participant"] == 2, "{m}");
    ensure!(m["connections"]["staff"] == 1, "{m}");
    let actor = meeting_actor(&snap, meeting).context("a meeting actor")?;
    ensure!(actor["state"] == "running", "{actor}");
    ensure!(actor["restarts_last_hour"] == 0, "{actor}");
    ensure!(actor["queue"].is_u64(), "the mailbox is counted: {actor}");
    ensure!(snap["writer"]["state"] == "running", "{snap}");
    ensure!(
        snap["writer"]["queue_capacity"].as_u64() > Some(0),
        "{snap}"
    );
    let minute = &snap["writer"]["last_minute"];
    ensure!(
        minute["commits"].as_u64() >= Some(1) && minute["jobs"].as_u64() >= Some(4),
        "joins and votes were committed in the last minute: {minute}"
    );
    ensure!(minute["commit_ms_p99"].is_number(), "{minute}");
    ensure!(snap["connections"]["participant"] == 2, "{snap}");

    // The stream: a snapshot first, then the backlog (the tree's start is in it).
    let mut stream = Stream::open(&ts, &admin, None).await?;
    let first = stream.next().await?;
    ensure!(first.event == "snapshot", "{first:?}");
    let mut seen = Vec::new();
    stream
        .events_until(&mut seen, |e| {
            has(e, Some(meeting), "meeting", "spawned") && has(e, None, "meetings", "started")
        })
        .await?;

    // A panic in the meeting actor: failed (with the panic), restart scheduled, restarted.
    let handle = ts
        .server
        .engine
        .running(librekast_storage::MeetingId(meeting))
        .context("running")?;
    handle.inject_panic();
    stream
        .events_until(&mut seen, |e| has(e, Some(meeting), "meeting", "restarted"))
        .await?;
    let failed = seen
        .iter()
        .find(|e| e["event"] == "failed" && e["meeting_id"] == meeting)
        .context("a failed event")?;
    ensure!(failed["level"] == "warn", "{failed}");
    ensure!(
        failed["error"]
            .as_str()
            .is_some_and(|e| e.contains("injected panic")),
        "{failed}"
    );
    let scheduled = seen
        .iter()
        .find(|e| e["event"] == "restart_scheduled" && e["meeting_id"] == meeting)
        .context("a scheduled restart")?;
    ensure!(scheduled["delay_ms"].is_u64(), "{scheduled}");
    let seqs: Vec<u64> = seen.iter().filter_map(|e| e["seq"].as_u64()).collect();
    ensure!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "in order, no repeats: {seqs:?}"
    );
    let snap = stream
        .snapshot_until(|s| {
            meeting_actor(s, meeting)
                .is_some_and(|a| a["restarts_last_hour"] == 1 && a["state"] == "running")
        })
        .await?;
    let actor = meeting_actor(&snap, meeting).context("a meeting actor")?;
    ensure!(
        actor["last_error"]
            .as_str()
            .is_some_and(|e| e.contains("injected panic")),
        "{actor}"
    );

    // The writer too: a panic there is a writer event without a meeting.
    ts.server.engine.writer().inject_panic().await;
    stream
        .events_until(&mut seen, |e| has(e, None, "writer", "restarted"))
        .await?;
    ensure!(
        seen.iter()
            .any(|e| e["actor"] == "writer" && e["event"] == "failed" && e["meeting_id"].is_null()),
        "{seen:#?}"
    );
    stream
        .snapshot_until(|s| s["writer"]["restarts_last_hour"] == 1)
        .await?;

    // A reconnect resumes after the last event it saw (EventSource's Last-Event-ID).
    let last = seqs.last().copied().context("events")?;
    let mut again = Stream::open(&ts, &admin, Some(last)).await?;
    let resumed = loop {
        let m = again.next().await?;
        if m.event == "events" {
            break m;
        }
    };
    let first_seq = resumed.data["events"][0]["seq"].as_u64();
    ensure!(first_seq == Some(last + 1), "{resumed:?}");

    drop(stream);
    drop(again);
    drop(people);
    Ok(())
}

/// A meeting reading Twitch chat: its adapter is in the tree, with its outbox, and its
/// source's status is shown beside it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_adapter_shows_in_its_meetings_tree() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("operations-adapter").await?;
    let chan = format!("lk_ops_{}", std::process::id() % 100_000);
    let file: librekast_storage::MeetingFile = serde_json::from_value(serde_json::json!({
        "title": "Streamed 🎥",
        "code": "str3am",
        "activities": [{"kind": "poll", "title": "Pick", "choices": [
            {"text": "A", "slug": "a"}, {"text": "B", "slug": "b"}]}],
        "sources": [{"platform": "twitch", "channel": chan, "delay_secs": 0}],
    }))?;
    let meeting = ts.server.engine.store().import_meeting(&file).await?.0;
    let admin = ts.admin_token().await?;
    let _org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&chan).await;
    let mut stream = Stream::open(&ts, &admin, None).await?;
    let snap = stream
        .snapshot_until(|s| {
            let m = s["meetings"]
                .as_array()
                .and_then(|ms| ms.iter().find(|m| m["id"] == meeting));
            m.is_some_and(|m| {
                m["sources"][0]["status"] == "connected"
                    && m["actors"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|a| a["kind"] == "adapter"))
            })
        })
        .await?;
    let m = snap["meetings"]
        .as_array()
        .and_then(|ms| ms.iter().find(|m| m["id"] == meeting))
        .context("the meeting")?;
    ensure!(m["title"] == "Streamed 🎥", "{m}");
    let kinds: Vec<&str> = m["actors"]
        .as_array()
        .map(|a| a.iter().filter_map(|a| a["kind"].as_str()).collect())
        .unwrap_or_default();
    ensure!(
        kinds == ["meeting", "adapter", "bot"],
        "the meeting actor first, then adapters and bots: {m}"
    );
    let adapter = &m["actors"][1];
    ensure!(
        adapter["name"] == "twitch" && adapter["state"] == "running",
        "{adapter}"
    );
    ensure!(
        adapter["queue"] == 0 && adapter["queue_capacity"].as_u64() > Some(0),
        "its outbox: {adapter}"
    );
    ensure!(
        m["sources"][0]["target"]
            .as_str()
            .is_some_and(|t| t.contains(&chan)),
        "{m}"
    );
    let mut seen = Vec::new();
    stream
        .events_until(&mut seen, |e| {
            e.iter().any(|e| {
                e["actor"] == "adapter"
                    && e["name"] == "twitch"
                    && e["event"] == "spawned"
                    && e["meeting_id"] == meeting
            })
        })
        .await?;
    Ok(())
}
