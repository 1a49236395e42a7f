//! Prometheus metrics (issue 16, point 2): a scripted meeting, then `GET /metrics` on the
//! separate listener is scraped and parsed; every count matches what was acknowledged.

use std::collections::HashMap;

use anyhow::{Context, ensure};
use librekast_storage::{MeetingId, Platform};
use librekast_tests::*;
use serde_json::json;

/// The series of one scrape: `name{labels}` → value.
fn parse(text: &str) -> anyhow::Result<HashMap<String, f64>> {
    let mut out = HashMap::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').context("a sample line")?;
        out.insert(series.to_string(), value.parse()?);
    }
    Ok(out)
}

async fn scrape(ts: &TestServer) -> anyhow::Result<(String, HashMap<String, f64>)> {
    let addr = ts.server.metrics_addr.context("no metrics listener")?;
    let res = ts.http.get(format!("http://{addr}/metrics")).send().await?;
    ensure!(res.status().is_success(), "{}", res.status());
    let content_type = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    ensure!(
        content_type.starts_with("application/openmetrics-text"),
        "{content_type}"
    );
    let text = res.text().await?;
    ensure!(text.ends_with("# EOF\n"), "{text}");
    let series = parse(&text)?;
    Ok((text, series))
}

fn value(series: &HashMap<String, f64>, name: &str) -> f64 {
    series.get(name).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_what_was_acknowledged() -> anyhow::Result<()> {
    let config = librekast_web::Config::for_tests(&temp_sqlite_url("metrics"))
        .with_metrics_bind(Some("127.0.0.1:0"))?;
    let ts = TestServer::start_with(config).await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let mut people = Vec::new();
    for name in ["Ada", "Bob", "Cy"] {
        let (_, token) = ts.join(meeting, "Pour1nf0", name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    let _display = ts
        .connect(meeting, &ts.display_token(meeting).await?)
        .await?;

    // The poll: three votes, one second vote refused; a word cloud word; a wrong control.
    let mut acks: HashMap<&str, f64> = HashMap::new();
    let mut count = |ack: &serde_json::Value| {
        let code = if ack["ok"] == true {
            "ok"
        } else if ack["error"] == "already_voted" {
            "already_voted"
        } else {
            "other"
        };
        *acks.entry(code).or_default() += 1.0;
    };
    for action in ["start", "next", "start"] {
        let ack = org.control(action).await?;
        ok(&ack)?;
        count(&ack);
    }
    let st = people[0].wait_open("poll").await?;
    let poll = st["question"]["id"].as_i64().context("poll")?;
    let choices = choice_ids(&st);
    for p in people.iter_mut() {
        let ack = p.vote(poll, choices[0]).await?;
        ok(&ack)?;
        count(&ack);
    }
    let ack = people[0].vote(poll, choices[1]).await?;
    assert_eq!(error_code(&ack), "already_voted");
    count(&ack);
    // Two chat votes from Twitch.
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let line = |user: &str| librekast_engine::ChatMessage {
        platform: Platform::Twitch,
        id: Some(format!("m-{user}")),
        user_id: user.into(),
        user_name: user.into(),
        text: "#b".into(),
        at: 0,
        badges: Default::default(),
    };
    handle.chat(vec![line("t1"), line("t2")]).await?;
    org.wait_counts(
        poll,
        &json!({choices[0].to_string(): 3, choices[1].to_string(): 2, choices[2].to_string(): 0, choices[3].to_string(): 0}),
    )
    .await?;

    let (text, s) = scrape(&ts).await?;
    assert_eq!(value(&s, "librekast_joins_total"), 3.0, "{text}");
    assert_eq!(
        value(
            &s,
            r#"librekast_answers_total{kind="poll",platform="room"}"#
        ),
        3.0,
        "{text}"
    );
    assert_eq!(
        value(
            &s,
            r#"librekast_answers_total{kind="poll",platform="twitch"}"#
        ),
        2.0,
        "{text}"
    );
    assert_eq!(
        value(&s, r#"librekast_acks_total{code="ok"}"#),
        acks["ok"],
        "{text}"
    );
    assert_eq!(
        value(&s, r#"librekast_acks_total{code="already_voted"}"#),
        1.0,
        "{text}"
    );
    assert_eq!(
        value(&s, r#"librekast_connections{audience="participant"}"#),
        3.0
    );
    assert_eq!(value(&s, r#"librekast_connections{audience="staff"}"#), 1.0);
    assert_eq!(
        value(&s, r#"librekast_connections{audience="display"}"#),
        1.0
    );
    assert_eq!(value(&s, "librekast_meetings_running"), 1.0, "{text}");
    assert_eq!(
        value(
            &s,
            r#"librekast_http_requests_total{route="/api/meetings/{id}/join",status="200"}"#
        ),
        3.0,
        "{text}"
    );
    assert_eq!(
        value(
            &s,
            r#"librekast_http_requests_total{route="/ws/meetings/{id}",status="101"}"#
        ),
        5.0,
        "{text}"
    );
    ensure!(value(&s, "librekast_commit_seconds_count") >= 1.0, "{text}");
    // Every job of every batch: 3 joins, 3 controls, 4 votes (1 refused), the chat batch.
    ensure!(
        value(&s, "librekast_commit_batch_size_sum") >= 10.0,
        "{text}"
    );
    assert_eq!(value(&s, "librekast_writer_queue_depth"), 0.0);
    for family in [
        "# HELP librekast_connections ",
        "# TYPE librekast_commit_seconds histogram",
        "# TYPE librekast_actor_restarts counter",
        "# TYPE librekast_adapter_up gauge",
        "# TYPE librekast_http_requests counter",
    ] {
        ensure!(text.contains(family), "{family} missing from {text}");
    }

    // The Grafana dashboard in docs/ asks only for series this server exports.
    let dashboard = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/grafana-dashboard.json"
    ))?;
    let _: serde_json::Value = serde_json::from_str(&dashboard)?;
    for name in dashboard
        .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .filter(|w| w.starts_with("librekast_"))
    {
        ensure!(
            text.lines().any(|l| l.starts_with(name)),
            "docs/grafana-dashboard.json uses {name}, which /metrics does not export"
        );
    }

    // A meeting actor that panics is restarted, and counted (polled until the supervisor
    // reports it, within the usual deadline).
    handle.inject_panic();
    let restarted = tokio::time::timeout(TIMEOUT, async {
        loop {
            let (_, s) = scrape(&ts).await?;
            let n = value(&s, r#"librekast_actor_restarts_total{actor="meeting"}"#);
            if n >= 1.0 {
                return anyhow::Ok(n);
            }
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    })
    .await
    .context("no restart counted")??;
    assert_eq!(restarted, 1.0);
    ts.server.shutdown().await;
    Ok(())
}
