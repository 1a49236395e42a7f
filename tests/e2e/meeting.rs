//! A whole demo meeting with 50 participants and one organizer, asserting every tally, every
//! score, the open question's and Q&A's posts and upvotes, and the final scoreboard.

use std::collections::HashMap;

use librekast_tests::*;
use serde_json::{Value, json};

const PARTICIPANTS: usize = 50;

async fn everyone_open(clients: &mut [Client], kind: &str) -> anyhow::Result<()> {
    for c in clients.iter_mut() {
        c.wait_open(kind).await?;
    }
    Ok(())
}

async fn everyone(clients: &mut [Client], status: &str) -> anyhow::Result<()> {
    for c in clients.iter_mut() {
        c.wait_status(status).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_participants_play_the_demo() -> anyhow::Result<()> {
    let ts = TestServer::start("meeting").await?;
    let meeting = ts.demo_meeting().await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    assert_eq!(org.state["status"], "before");
    assert_eq!(
        org.state["question"]["kind"], "text",
        "staff see the upcoming activity"
    );

    // Wrong code, unknown meeting, bad names.
    let bad = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/join")))
        .json(&json!({"code": "nope", "name": "x"}))
        .send()
        .await?;
    assert_eq!(bad.status(), 403);
    assert_eq!(bad.json::<Value>().await?["error"], "wrong_code");
    let bad = ts
        .http
        .post(ts.url("/api/meetings/999999/join"))
        .json(&json!({"code": "Pour1nf0", "name": "x"}))
        .send()
        .await?;
    assert_eq!(bad.status(), 404);
    for name in ["", "   ", &"n".repeat(41)] {
        let bad = ts
            .http
            .post(ts.url(&format!("/api/meetings/{meeting}/join")))
            .json(&json!({"code": "Pour1nf0", "name": name}))
            .send()
            .await?;
        assert_eq!(bad.status(), 400, "name {name:?}");
    }
    let bad = ts
        .http
        .post(ts.url("/api/login"))
        .json(&json!({"username": "admin", "password": "wrong"}))
        .send()
        .await?;
    assert_eq!(bad.status(), 401);

    let mut ids = Vec::new();
    let mut people = Vec::new();
    for i in 0..PARTICIPANTS {
        let (id, token) = ts
            .join(meeting, "Pour1nf0", &format!("player {i:02}"))
            .await?;
        let c = ts.connect(meeting, &token).await?;
        assert_eq!(c.state["status"], "before");
        assert_eq!(
            c.state["question"],
            Value::Null,
            "participants see nothing before the start"
        );
        assert_eq!(c.state["you"]["attendee_id"], id);
        ids.push(id);
        people.push(c);
    }
    org.wait_for(|v| v["type"] == "participants" && v["count"] == PARTICIPANTS)
        .await?;

    // A participant may not drive the meeting.
    assert_eq!(error_code(&people[0].control("start").await?), "forbidden");
    assert_eq!(
        error_code(&org.control("next").await?),
        "invalid_control",
        "start comes first"
    );

    // A second organizer tab opens, controls, and closes: the meeting neither ends nor stalls.
    let admin = ts.admin_token().await?;
    let mut tab = ts.connect(meeting, &admin).await?;
    assert_eq!(
        error_code(&tab.control("results").await?),
        "invalid_control"
    );
    drop(tab);

    // 1. Text slide.
    ok(&org.control("start").await?)?;
    everyone(&mut people, "ongoing").await?;
    assert_eq!(people[7].state["question"]["kind"], "text");

    // 2. Poll: player i picks choice i % 4.
    ok(&org.control("next").await?)?;
    everyone(&mut people, "waiting").await?;
    assert_eq!(people[0].state["question"], Value::Null);
    let poll = org
        .wait_state(|s| s["status"] == "waiting" && s["question"]["kind"] == "poll")
        .await?["question"]["id"]
        .as_i64()
        .unwrap_or(-1);
    assert_eq!(
        error_code(&people[0].vote(poll, 1).await?),
        "not_open",
        "not started yet"
    );
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "poll").await?;
    let choices = choice_ids(&people[0].state);
    assert_eq!(choices.len(), 4);
    let mut expected: HashMap<String, u64> = choices.iter().map(|c| (c.to_string(), 0)).collect();
    let burst = std::time::Instant::now();
    let tallies_before = org.frames.iter().filter(|v| v["type"] == "tally").count();
    for (i, p) in people.iter_mut().enumerate() {
        let choice = choices[i % 4];
        ok(&p.vote(poll, choice).await?)?;
        *expected.entry(choice.to_string()).or_default() += 1;
    }
    assert_eq!(
        error_code(&people[3].vote(poll, choices[0]).await?),
        "already_voted"
    );
    assert_eq!(
        error_code(&people[3].vote(poll, 987_654).await?),
        "unknown_choice"
    );
    let expected = json!(expected);
    assert_eq!(
        expected,
        json!({choices[0].to_string(): 13, choices[1].to_string(): 13, choices[2].to_string(): 12, choices[3].to_string(): 12})
    );
    for p in people.iter_mut() {
        p.wait_counts(poll, &expected).await?;
    }
    org.wait_counts(poll, &expected).await?;
    // Coalesced: at most one tally per 100 ms, not one per vote.
    let tallies = org.frames.iter().filter(|v| v["type"] == "tally").count() - tallies_before;
    let window = burst.elapsed().as_millis() as usize / 100 + 2;
    assert!(
        tallies <= window,
        "{tallies} tallies for 50 votes in {:?}",
        burst.elapsed()
    );
    ok(&org.control("results").await?)?;
    for p in people.iter_mut() {
        let s = p.wait_status("results").await?;
        assert_eq!(s["results"]["counts"], expected);
        assert_eq!(s["results"]["total"], PARTICIPANTS);
    }
    assert_eq!(
        error_code(&people[1].vote(poll, choices[0]).await?),
        "not_open",
        "closed at results"
    );

    // 3. Quiz: player 0 answers right first, then even players right, odd players wrong.
    ok(&org.control("next").await?)?;
    everyone(&mut people, "waiting").await?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "quiz").await?;
    let quiz = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    let quiz_choices = choice_ids(&people[0].state);
    let (wrong, right) = (quiz_choices[0], quiz_choices[1]);
    assert!(
        people[0].state["results"].is_null(),
        "no quiz counts before the reveal"
    );
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p.vote(quiz, if i % 2 == 0 { right } else { wrong }).await?)?;
    }
    let quiz_counts = json!({wrong.to_string(): 25, right.to_string(): 25, quiz_choices[2].to_string(): 0, quiz_choices[3].to_string(): 0});
    org.wait_counts(quiz, &quiz_counts).await?;
    for p in people.iter_mut() {
        p.drain().await;
        assert!(
            !p.counts.contains_key(&quiz),
            "a participant saw quiz counts before the reveal"
        );
        assert_eq!(p.score, Some(0), "no points before the reveal");
    }
    ok(&org.control("results").await?)?;
    let mut scores: HashMap<i64, i64> = HashMap::new();
    for (i, p) in people.iter_mut().enumerate() {
        let s = p.wait_status("results").await?;
        assert_eq!(s["results"]["counts"], quiz_counts);
        assert_eq!(s["results"]["correct"], json!([right]));
        let points = match i {
            0 => 3,
            i if i % 2 == 0 => 1,
            _ => 0,
        };
        if points > 0 {
            // The `score` frame comes before the results `state` that shows it in `you`.
            assert!(
                p.frames
                    .iter()
                    .any(|v| v["type"] == "score" && v["score"] == points),
                "player {i} got a score frame"
            );
        }
        assert_eq!(p.score, Some(points), "player {i}");
        assert_eq!(p.state["you"]["score"], points);
        // The correction a reloaded page needs: its own answer and what it earned.
        let mine = if i % 2 == 0 { right } else { wrong };
        assert_eq!(
            p.state["you"]["answer"],
            json!({"question_id": quiz, "choice_id": mine, "choice_ids": [mine], "words": [],
                   "value": null, "ratings": {}, "text": null, "items": [], "upvoted": [],
                   "points": points}),
            "player {i}"
        );
        // Ranks: the fastest first, then the other right answers in join order.
        let rank = match i {
            0 => 1,
            i if i % 2 == 0 => 1 + i / 2,
            i => 25 + i.div_ceil(2),
        };
        assert_eq!(p.state["you"]["rank"], rank, "player {i}");
        scores.insert(ids[i], points);
    }
    // A dashboard that still believes the quiz is open cannot move the meeting a second time.
    let stale = org
        .call(json!({"type": "control", "action": "next", "expect": {"status": "ongoing", "position": 2}}))
        .await?;
    assert_eq!(error_code(&stale), "stale_control");

    // 4. Word cloud (limit 3 per attendee).
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "wordcloud").await?;
    let cloud = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    assert_eq!(people[0].state["question"]["kind"], "wordcloud");
    for (i, p) in people.iter_mut().enumerate() {
        let spelling = if i % 3 == 0 {
            "Rust"
        } else if i % 3 == 1 {
            "rust"
        } else {
            "  Rust "
        };
        ok(&p.word(cloud, spelling).await?)?;
        ok(&p.word(cloud, &format!("team{}", i % 5)).await?)?;
    }
    ok(&people[0].word(cloud, "RUST").await?)?; // the same word again: acknowledged, ignored
    ok(&people[0].word(cloud, "third").await?)?;
    assert_eq!(
        error_code(&people[0].word(cloud, "fourth").await?),
        "limit_reached"
    );
    assert_eq!(
        error_code(&people[1].word(cloud, "   ").await?),
        "bad_request"
    );
    assert_eq!(
        error_code(&people[1].word(cloud, &"x".repeat(41)).await?),
        "bad_request"
    );
    for p in people.iter_mut() {
        p.wait_words(cloud, |w| w.as_array().is_some_and(|w| w.len() == 7))
            .await?;
        let words = &p.words[&cloud];
        // 33 × "Rust" (two spellings that normalise alike) beat 17 × "rust".
        assert_eq!(words[0], json!({"text": "Rust", "count": 50}));
        for t in 0..5 {
            assert!(
                words
                    .as_array()
                    .is_some_and(|w| w.contains(&json!({"text": format!("team{t}"), "count": 10}))),
                "{words}"
            );
        }
    }

    // 5. Flags: first blood, a second finder, repeats and misses. Player 0 leads with 3
    // quiz points; two captures (8 and 5 points) push them to third, and their page is told
    // at once (coalesced), though their own score did not change.
    assert_eq!(people[0].state["you"]["rank"], 1);
    let ack = people[1].flag("LibreKast{hello-world}").await?;
    ok(&ack)?;
    assert_eq!(
        ack["flag"],
        json!({"name": "Welcome flag", "points": 8, "first_blood": true, "score": 8})
    );
    let ack = people[2].flag("hello-world").await?;
    assert_eq!(
        ack["flag"],
        json!({"name": "Welcome flag", "points": 5, "first_blood": false, "score": 6})
    );
    assert_eq!(
        error_code(&people[1].flag("hello-world").await?),
        "already_flagged"
    );
    assert_eq!(
        error_code(&people[1].flag("LibreKast{nope}").await?),
        "not_found"
    );
    org.wait_for(|v| v["type"] == "flag_attempt" && v["outcome"] == "not_found")
        .await?;
    let moved = people[0]
        .wait_for(|v| v["type"] == "score" && v["rank"] == 3)
        .await?;
    assert_eq!(moved["score"], 3, "same points, new rank");
    // Staff see the flag points on their scoreboard without a status change.
    let finder = ids[1];
    org.wait_for(|v| {
        v["type"] == "state"
            && v["scoreboard"].as_array().is_some_and(|rows| {
                rows.iter()
                    .any(|r| r["attendee_id"] == finder && r["score"] == 8)
            })
    })
    .await?;
    // A late joiner's snapshot is not stale either.
    let (_, late) = ts.join(meeting, "Pour1nf0", "late comer").await?;
    let late = ts.connect(meeting, &late).await?;
    assert_eq!(late.state["status"], "ongoing");
    assert_eq!(late.state["words"][0]["count"], 50);
    *scores.entry(ids[1]).or_default() += 8;
    *scores.entry(ids[2]).or_default() += 5;

    // 6. Scoreboard.
    ok(&org.control("scoreboard").await?)?;
    let board = org.wait_status("scoreboard").await?["scoreboard"].clone();
    let rows = board.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), PARTICIPANTS + 1, "the late comer too");
    for row in &rows {
        let id = row["attendee_id"].as_i64().unwrap_or(-1);
        assert_eq!(
            row["score"],
            scores.get(&id).copied().unwrap_or(0),
            "score of {id}"
        );
        assert_eq!(row["platform"], "room");
    }
    assert!(
        rows.windows(2)
            .all(|w| w[0]["score"].as_i64() >= w[1]["score"].as_i64()),
        "sorted"
    );
    assert_eq!(rows[0]["attendee_id"], ids[1], "8 points leads");
    let p_board = people[5].wait_status("scoreboard").await?;
    assert_eq!(
        p_board["scoreboard"].as_array().map(Vec::len),
        Some(10),
        "participants get the top 10"
    );
    // 7. A scale from 0 to 10: player i rates i % 11.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "scale").await?;
    let scale = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p
            .call(json!({"type": "rate", "question_id": scale, "value": i % 11}))
            .await?)?;
    }
    let values: Vec<usize> = (0..PARTICIPANTS).map(|i| i % 11).collect();
    let mean = values.iter().sum::<usize>() as f64 / PARTICIPANTS as f64;
    let s = org
        .wait_for(|v| v["type"] == "tally" && v["question_id"] == scale && v["total"] == 50)
        .await?;
    assert_eq!(s["rating"]["mean"], (mean * 100.0).round() / 100.0, "{s}");
    // 8. A grid: everyone rates every item at once.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "grid").await?;
    let grid = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    let items = choice_ids(&people[0].state);
    for (i, p) in people.iter_mut().enumerate() {
        let ratings = json!({
            items[0].to_string(): 1 + i % 5, items[1].to_string(): 5, items[2].to_string(): 3});
        ok(&p
            .call(json!({"type": "rate", "question_id": grid, "ratings": ratings}))
            .await?)?;
    }
    let s = org
        .wait_for(|v| v["type"] == "tally" && v["question_id"] == grid && v["total"] == 50)
        .await?;
    assert_eq!(s["ranking"][0], items[1], "all fives first: {s}");

    // 9. The open question: everyone answers; the moderator approves a few, which every
    // phone then lists.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "text_answer").await?;
    let open = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    for (i, p) in people.iter_mut().enumerate() {
        let ack = p
            .call(json!({"type": "answer", "question_id": open, "text": format!("Answer {i}")}))
            .await?;
        assert_eq!(ack["item_id"], i + 1, "{ack}");
    }
    for item in [3, 7, 11] {
        ok(&org
            .call(json!({"type": "moderate", "question_id": open, "item_id": item, "action": "approve"}))
            .await?)?;
    }
    for p in people.iter_mut() {
        p.wait_for(|v| {
            v["type"] == "items" && v["question_id"] == open && v["counts"]["approved"] == 3
        })
        .await?;
    }

    // 10. The Q&A: ten ask, the moderator approves, everyone upvotes question 2.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    everyone_open(&mut people, "qna").await?;
    let qna = people[0].state["question"]["id"].as_i64().unwrap_or(-1);
    for (i, p) in people.iter_mut().take(10).enumerate() {
        let ack = p
            .call(json!({"type": "ask", "question_id": qna, "text": format!("Question {i}?")}))
            .await?;
        ok(&ack)?;
    }
    for item in 1..=10 {
        ok(&org
            .call(json!({"type": "moderate", "question_id": qna, "item_id": item, "action": "approve"}))
            .await?)?;
    }
    for p in people.iter_mut() {
        ok(&p
            .call(json!({"type": "upvote", "question_id": qna, "item_id": 2}))
            .await?)?;
    }
    let top = people[PARTICIPANTS - 1]
        .wait_for(|v| v["type"] == "items" && v["items"][0]["votes"] == PARTICIPANTS)
        .await?;
    assert_eq!(top["items"][0]["id"], 2, "{top}");

    // 11. `next` past the last activity ends the meeting cleanly.
    ok(&org.control("next").await?)?;
    everyone(&mut people, "after").await?;
    org.wait_status("after").await?;
    for action in ["start", "results", "next", "back", "scoreboard", "end"] {
        assert_eq!(
            error_code(&org.control(action).await?),
            "invalid_control",
            "{action} after the end"
        );
    }
    assert_eq!(
        error_code(&people[9].flag("hello-world").await?),
        "not_open"
    );

    // Everything acknowledged is in storage.
    let loaded = ts.stored(meeting).await?;
    assert_eq!(loaded.votes.len(), 2 * PARTICIPANTS);
    assert_eq!(loaded.ratings.len(), 4 * PARTICIPANTS);
    assert_eq!(loaded.words.len(), 2 * PARTICIPANTS + 1);
    assert_eq!(loaded.captures.len(), 2);
    assert_eq!(loaded.posts.len(), PARTICIPANTS + 10);
    assert_eq!(loaded.upvotes.len(), PARTICIPANTS);
    assert_eq!(loaded.attendees.len(), PARTICIPANTS + 1);
    for a in &loaded.attendees {
        assert_eq!(
            a.score,
            scores.get(&a.id.0).copied().unwrap_or(0),
            "stored score of {}",
            a.name
        );
    }
    ts.server.shutdown().await;
    Ok(())
}
