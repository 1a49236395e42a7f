//! Ratings, rating grids and multi-select end to end (issue 14, points 3–5): the room over
//! WebSockets, Twitch chat through the fake Twitch and YouTube chat through the fake
//! YouTube (both on loopback) answer the same activities; each answer is stored before its ack (the meeting actor is killed and
//! rebuilt from storage mid-way); quizzes pay partial credit and streak bonuses under
//! speed scoring; results.csv has one row per answer.

use std::collections::HashSet;

use anyhow::{Context, ensure};
use librekast_fakes::twitch::ChatLine;
use librekast_fakes::youtube::YtMessage;
use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use serde_json::{Value, json};

fn file(channel: &str) -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Kinds",
        "code": "k1nds",
        "scoring": "speed",
        "streak_bonus": 100,
        "sources": [{"platform": "twitch", "channel": channel, "delay_secs": 0},
                    {"platform": "youtube", "delay_secs": 0}],
        "activities": [
            {"kind": "scale", "title": "How was it?",
             "scale": {"min": 0, "max": 10, "labels": ["Bad", "Great"]}},
            {"kind": "grid", "title": "Rate each", "prior_weight": 5,
             "scale": {"min": 1, "max": 5, "labels": []},
             "choices": [{"text": "Content"}, {"text": "Slides"}, {"text": "Demo"}]},
            {"kind": "poll", "title": "Which do you use?", "max_choices": 2,
             "choices": [{"text": "Rust"}, {"text": "Go"}, {"text": "C"}]},
            {"kind": "quiz", "title": "Which are prime?", "max_choices": 3,
             "partial_credit": true, "time_limit_secs": 600,
             "choices": [{"text": "2", "correct": true}, {"text": "4"},
                         {"text": "5", "correct": true}, {"text": "9"}]},
            {"kind": "quiz", "title": "2 + 2?", "time_limit_secs": 600,
             "choices": [{"text": "4", "correct": true}, {"text": "5"}]}
        ]
    }))?)
}

fn channel() -> String {
    format!("lk_kinds_{}", std::process::id() % 100_000)
}

fn line(id: &str, user: &str, text: &str) -> ChatLine {
    ChatLine::new(id, user, format!("viewer{user}"), text).display_name(&format!("Viewer {user}"))
}

fn qid(state: &Value) -> anyhow::Result<i64> {
    state["question"]["id"].as_i64().context("question id")
}

/// Waits for a `tally` of `question` that `pred` accepts (tallies are coalesced: the last
/// one holds everything acknowledged before it).
async fn wait_tally(
    org: &mut Client,
    question: i64,
    pred: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    org.wait_for(|v| v["type"] == "tally" && v["question_id"] == question && pred(v))
        .await
}

/// A YouTube chat message from viewer `n`.
fn yt(id: &str, n: u32, text: &str) -> YtMessage {
    YtMessage::new(id, format!("UCkinds{n}"), format!("Tuber {n}"), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_grids_and_multi_select_from_the_room_and_chats() -> anyhow::Result<()> {
    let twitch = fake_twitch()?;
    let (ts, youtube) = server_with_fake_youtube("kinds").await?;
    let store = ts.server.engine.store();
    let owner = youtube_account(&ts, &youtube, "kinds").await?;
    let chan = channel();
    let meeting = store.create_meeting(&file(&chan)?, Some(owner)).await?.0;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    twitch.wait_joined(&chan).await;
    wait_youtube_connected(&mut org).await?;
    let (_, t1) = ts.join(meeting, "k1nds", "Ada").await?;
    let (_, t2) = ts.join(meeting, "k1nds", "Bob").await?;
    let mut ada = ts.connect(meeting, &t1).await?;
    let mut bob = ts.connect(meeting, &t2).await?;

    // 1. Scale 0–10: the room and chat in one distribution.
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("scale").await?;
    let scale = qid(&st)?;
    assert_eq!(
        st["question"]["scale"],
        json!({"min": 0, "max": 10, "labels": ["Bad", "Great"]})
    );
    ok(&ada
        .call(json!({"type": "rate", "question_id": scale, "value": 7}))
        .await?)?;
    let ack = bob
        .call(json!({"type": "rate", "question_id": scale, "value": 11}))
        .await?;
    assert_eq!(error_code(&ack), "out_of_range", "{ack}");
    let ack = bob
        .call(json!({"type": "rate", "question_id": scale, "value": 2.5}))
        .await?;
    assert_eq!(error_code(&ack), "bad_request", "{ack}");
    ok(&bob
        .call(json!({"type": "rate", "question_id": scale, "value": 3}))
        .await?)?;
    let ack = bob
        .call(json!({"type": "rate", "question_id": scale, "value": 4}))
        .await?;
    assert_eq!(error_code(&ack), "already_voted", "{ack}");
    twitch.privmsg_many(
        &chan,
        &[
            line("s1", "1", "#9"),
            line("s2", "2", "#4 nice talk"),
            line("s3", "3", "#42"),   // off the scale: refused
            line("s4", "1", "#10"),   // a second rating: refused
            line("s5", "4", "hello"), // talk
        ],
    );
    youtube.push_many(
        "kinds-chat",
        vec![yt("ys1", 1, "#8"), yt("ys2", 2, "#eight")],
    );
    let tally = wait_tally(&mut org, scale, |v| v["total"] == 5).await?;
    // 7, 3, 9, 4, 8.
    assert_eq!(tally["rating"]["mean"], 6.2, "{tally}");
    assert_eq!(tally["rating"]["median"], 7.0, "{tally}");
    assert_eq!(tally["rating"]["distribution"][9], 1, "{tally}");
    // A reloaded phone shows what it gave (the first `state` of a connection is exact).
    let mine = ts.connect(meeting, &t1).await?.state;
    assert_eq!(mine["you"]["answer"]["value"], 7, "{mine}");
    assert_eq!(mine["you"]["answer"]["question_id"], scale);

    // 2. Grid: a phone rates every item at once, chat one or several per line.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("grid").await?;
    let grid = qid(&st)?;
    let items = choice_ids(&st);
    let ratings = |pairs: &[(usize, i64)]| {
        let map: serde_json::Map<String, Value> = pairs
            .iter()
            .map(|&(i, v)| (items[i].to_string(), json!(v)))
            .collect();
        json!({"type": "rate", "question_id": grid, "ratings": map})
    };
    ok(&ada.call(ratings(&[(0, 5), (1, 4), (2, 3)])).await?)?;
    ok(&bob.call(ratings(&[(0, 2)])).await?)?;
    let ack = bob.call(ratings(&[(0, 3), (1, 5)])).await?;
    assert_eq!(error_code(&ack), "already_voted", "{ack}");
    let ack = bob.call(ratings(&[(1, 6)])).await?;
    assert_eq!(error_code(&ack), "out_of_range", "{ack}");
    twitch.privmsg_many(
        &chan,
        &[
            line("g1", "1", "#a4 #b5 great"),
            line("g2", "1", "#c1"),
            line("g3", "1", "#a5"), // a already rated: refused
            line("g4", "2", "#b2 c=5"),
        ],
    );
    youtube.push("kinds-chat", yt("yg1", 1, "#A3 #c:4 thanks"));
    // a: 5, 2, 4, 3 · b: 4, 5, 2 · c: 3, 1, 5, 4 — eleven ratings from five raters.
    let tally = wait_tally(&mut org, grid, |v| {
        v["counts"]
            .as_object()
            .is_some_and(|c| c.values().filter_map(Value::as_u64).sum::<u64>() == 11)
    })
    .await?;
    assert_eq!(tally["total"], 5, "{tally}");
    assert_eq!(tally["global_mean"], 3.45, "{tally}");
    assert_eq!(tally["items"][0]["mean"], 3.5, "{tally}");
    let ranking: Vec<i64> = tally["ranking"]
        .as_array()
        .context("ranking")?
        .iter()
        .filter_map(Value::as_i64)
        .collect();
    assert_eq!(ranking.len(), 3);
    // b (3.53) before a (3.48, with more ratings), then c.
    assert_eq!(ranking, [items[1], items[0], items[2]], "{tally}");

    // 3. Multi-select poll, up to 2.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("poll").await?;
    let poll = qid(&st)?;
    assert_eq!(st["question"]["max_choices"], 2);
    let c = choice_ids(&st);
    ok(&ada
        .call(json!({"type": "vote", "question_id": poll, "choice_ids": [c[0], c[2]]}))
        .await?)?;
    let ack = bob
        .call(json!({"type": "vote", "question_id": poll, "choice_ids": c}))
        .await?;
    assert_eq!(error_code(&ack), "too_many_choices", "{ack}");
    ok(&bob
        .call(json!({"type": "vote", "question_id": poll, "choice_id": c[1]}))
        .await?)?;
    twitch.privmsg_many(
        &chan,
        &[line("p1", "1", "#a #c"), line("p2", "2", "#a #b #c")],
    );
    youtube.push("kinds-chat", yt("yp1", 1, "#b c"));
    org.wait_counts(
        poll,
        &json!({c[0].to_string(): 2, c[1].to_string(): 2, c[2].to_string(): 3}),
    )
    .await?;
    let st = ts.connect(meeting, &t1).await?.state;
    assert_eq!(
        st["you"]["answer"]["choice_ids"],
        json!([c[0], c[2]]),
        "{st}"
    );

    // The meeting actor dies and comes back from storage: every acknowledged answer is
    // still there.
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    handle.inject_panic();
    let mut again = ts.connect(meeting, &admin).await?;
    let st = again
        .wait_state(|s| s["results"]["question_id"] == poll && s["results"]["total"] == 4)
        .await?;
    assert_eq!(st["results"]["counts"][c[2].to_string()], 3, "{st}");
    drop(again);

    // 4. Multi-select quiz with partial credit under speed scoring (a 600 s limit: the
    // time an answer takes here costs under a point).
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("quiz").await?;
    let quiz = qid(&st)?;
    let c = choice_ids(&st);
    ok(&ada
        .call(json!({"type": "vote", "question_id": quiz, "choice_ids": [c[2], c[0]]}))
        .await?)?;
    ok(&bob
        .call(json!({"type": "vote", "question_id": quiz, "choice_ids": [c[0]]}))
        .await?)?;
    twitch.privmsg_many(&chan, &[line("q1", "1", "#a #b #c")]);
    org.wait_for(|v| v["type"] == "tally" && v["question_id"] == quiz && v["total"] == 3)
        .await?;
    ok(&org.control("results").await?)?;
    let st = ada
        .wait_state(|s| s["status"] == "results" && s["you"]["answer"]["points"].is_i64())
        .await?;
    let ada_points = st["you"]["answer"]["points"].as_i64().unwrap_or(-1);
    ensure!(
        (995..=1000).contains(&ada_points),
        "all right: {ada_points}"
    );
    let st = bob
        .wait_state(|s| s["status"] == "results" && s["you"]["answer"]["points"].is_i64())
        .await?;
    let bob_points = st["you"]["answer"]["points"].as_i64().unwrap_or(-1);
    ensure!(
        (495..=500).contains(&bob_points),
        "half right: {bob_points}"
    );

    // 5. A second right answer in a row earns the streak bonus; a wrong one ends it.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("quiz").await?;
    let quiz2 = qid(&st)?;
    let c = choice_ids(&st);
    ok(&ada.vote(quiz2, c[0]).await?)?;
    ok(&bob.vote(quiz2, c[1]).await?)?;
    ok(&org.control("results").await?)?;
    let st = ada
        .wait_state(|s| {
            s["status"] == "results"
                && s["you"]["answer"]["question_id"] == quiz2
                && s["you"]["answer"]["points"].is_i64()
        })
        .await?;
    let streaked = st["you"]["answer"]["points"].as_i64().unwrap_or(-1);
    ensure!(
        (1095..=1100).contains(&streaked),
        "two in a row: {streaked}"
    );

    // What storage holds: ratings and one row per choice picked.
    let stored = ts.stored(meeting).await?;
    assert_eq!(stored.ratings.len(), 5 + 11);
    let voters: HashSet<_> = stored
        .votes
        .iter()
        .map(|v| (v.activity_id, v.attendee_id))
        .collect();
    assert_eq!(voters.len(), 4 + 3 + 2);

    // results.csv: one row per answer.
    let csv = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/results.csv")))
        .bearer_auth(&admin)
        .send()
        .await?
        .text()
        .await?;
    for expected in [
        ",scale,",
        ",7,",
        ",grid,",
        "a=5;b=4;c=3",
        "a=4;b=5;c=1",
        ",a;c,",
        "a;c,true,",
    ] {
        ensure!(csv.contains(expected), "{expected} missing from {csv}");
    }
    let json: Value = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/results.json")))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    assert_eq!(json["activities"][0]["rating"]["count"], 5, "{json}");
    assert_eq!(json["activities"][1]["ranking"], tally["ranking"]);
    Ok(())
}

/// The meeting docs/performance.md's load test imports (a timed, speed-scored quiz) stays
/// valid as the file format moves.
#[test]
fn the_load_test_meeting_is_valid() -> anyhow::Result<()> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../docs/loadtest/speed-quiz.json"
    );
    let file: MeetingFile = serde_json::from_str(&std::fs::read_to_string(path)?)?;
    file.validate()?;
    ensure!(file.scoring == librekast_storage::Scoring::Speed);
    ensure!(
        file.activities
            .iter()
            .any(|a| a.kind == librekast_storage::ActivityKind::Quiz && a.time_limit_secs > 0)
    );
    Ok(())
}
