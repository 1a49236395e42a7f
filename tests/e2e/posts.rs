//! Open questions, audience Q&A, images, hidden poll results, the lobby, sounds and the
//! speed leaderboard end to end (issue 15): the room over WebSockets, Twitch chat through
//! the fake Twitch and YouTube chat through the fake YouTube answer, ask and upvote in the
//! same activities; staff moderate; displays see only what was approved; every post is
//! stored before its ack (the meeting actor is killed mid-way); results.csv and
//! results.json list every post; the plan round-trips with its images.

use anyhow::{Context, ensure};
use librekast_fakes::twitch::ChatLine;
use librekast_fakes::youtube::YtMessage;
use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use serde_json::{Value, json};

const LOGO: &[u8] = include_bytes!("../fixtures/media/logo.png");
const WEBM: &[u8] = include_bytes!("../fixtures/media/hype.webm");

fn file(channel: &str, image: &str) -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Posts",
        "code": "p0sts",
        "scoring": "speed",
        "blocked_words": ["spam"],
        "sources": [{"platform": "twitch", "channel": channel, "delay_secs": 0},
                    {"platform": "youtube", "delay_secs": 0}],
        "activities": [
            {"kind": "text", "title": "Welcome", "image": image, "alt": "The LibreKast logo"},
            {"kind": "text_answer", "title": "What do you expect?"},
            {"kind": "qna", "title": "Your questions"},
            {"kind": "poll", "title": "Guess", "hide_results_until_reveal": true,
             "choices": [{"text": "Red"}, {"text": "Blue"}]},
            {"kind": "quiz", "title": "2 + 2?", "time_limit_secs": 600,
             "choices": [{"text": "4", "correct": true}, {"text": "5"}]}
        ]
    }))?)
}

fn line(id: &str, user: &str, text: &str) -> ChatLine {
    ChatLine::new(id, user, format!("viewer{user}"), text).display_name(&format!("Viewer {user}"))
}

fn yt(id: &str, n: u32, text: &str) -> YtMessage {
    YtMessage::new(id, format!("UCposts{n}"), format!("Tuber {n}"), text)
}

fn qid(state: &Value) -> anyhow::Result<i64> {
    state["question"]["id"].as_i64().context("question id")
}

/// The ids of an `items` frame (or `state.items`), in the order sent.
fn ids(items: &Value) -> Vec<i64> {
    items["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

/// Waits for an `items` frame of `question` that `pred` accepts.
async fn wait_items(
    client: &mut Client,
    question: i64,
    pred: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    client
        .wait_for(|v| v["type"] == "items" && v["question_id"] == question && pred(v))
        .await
}

async fn moderate(org: &mut Client, question: i64, item: i64, action: &str) -> anyhow::Result<()> {
    ok(&org
        .call(
            json!({"type": "moderate", "question_id": question, "item_id": item, "action": action}),
        )
        .await?)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn open_questions_and_qna_from_the_room_and_chats() -> anyhow::Result<()> {
    let twitch = fake_twitch()?;
    let (ts, youtube) = server_with_fake_youtube("posts").await?;
    let store = ts.server.engine.store();
    let owner = youtube_account(&ts, &youtube, "posts").await?;
    let admin = ts.admin_token().await?;
    let logo = ts.upload_media(&admin, LOGO).await?;
    let chan = format!("lk_posts_{}", std::process::id() % 100_000);
    let meeting = store
        .create_meeting(&file(&chan, &logo)?, Some(owner))
        .await?
        .0;
    let mut org = ts.connect(meeting, &admin).await?;
    let mut display = ts
        .connect(meeting, &ts.display_token(meeting).await?)
        .await?;
    twitch.wait_joined(&chan).await;
    wait_youtube_connected(&mut org).await?;

    // The lobby: names as people join, for staff and displays.
    assert_eq!(display.state["lobby"]["count"], 0, "{}", display.state);
    let (_, t1) = ts.join(meeting, "p0sts", "Ada").await?;
    let (_, t2) = ts.join(meeting, "p0sts", "Bob 🎉").await?;
    let lobby = display
        .wait_for(|v| v["type"] == "lobby" && v["count"] == 2)
        .await?;
    assert_eq!(
        lobby["names"],
        json!([{"name": "Ada", "platform": "room"}, {"name": "Bob 🎉", "platform": "room"}])
    );
    let mut ada = ts.connect(meeting, &t1).await?;
    let mut bob = ts.connect(meeting, &t2).await?;
    assert!(
        ada.state.get("lobby").is_none(),
        "participants get no lobby"
    );

    // 1. A slide with an image: its URL and alt text on every screen, the file served.
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("text").await?;
    let image = st["question"]["image"].clone();
    assert_eq!(
        image,
        json!({"url": format!("/media/{logo}"), "alt": "The LibreKast logo"})
    );
    let res = ts
        .http
        .get(ts.url(image["url"].as_str().unwrap_or_default()))
        .send()
        .await?;
    ensure!(res.status().is_success(), "{}", res.status());
    assert_eq!(res.bytes().await?.as_ref(), LOGO);

    // 2. An open question: one answer each, 280 characters, blocked words refused; staff
    // see every answer at once, displays and phones only the approved ones.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("text_answer").await?;
    let open = qid(&st)?;
    assert_eq!(st["question"]["max_text_chars"], 280);
    let ack = ada
        .call(json!({"type": "answer", "question_id": open, "text": "  I think so  "}))
        .await?;
    ok(&ack)?;
    assert_eq!(ack["item_id"], 1, "{ack}");
    for (text, code) in [
        ("Buy SPAM today", "blocked_word"),
        (&"x".repeat(281) as &str, "bad_request"),
        ("", "bad_request"),
    ] {
        let ack = bob
            .call(json!({"type": "answer", "question_id": open, "text": text}))
            .await?;
        assert_eq!(error_code(&ack), code, "{ack}");
    }
    let ack = bob
        .call(json!({"type": "ask", "question_id": open, "text": "a question?"}))
        .await?;
    assert_eq!(
        error_code(&ack),
        "bad_request",
        "an ask frame on an open question"
    );
    let long = "é".repeat(280);
    let ack = bob
        .call(json!({"type": "answer", "question_id": open, "text": long}))
        .await?;
    assert_eq!(ack["item_id"], 2, "{ack}");
    let ack = bob
        .call(json!({"type": "answer", "question_id": open, "text": "again"}))
        .await?;
    assert_eq!(error_code(&ack), "already_voted", "{ack}");
    twitch.privmsg_many(
        &chan,
        &[
            line("o1", "1", "#Twitch   says yes"),
            line("o2", "2", "#spam spam spam"), // blocked
            line("o3", "1", "#second answer"),  // one answer each
        ],
    );
    youtube.push("posts-chat", yt("yo1", 1, "#From YouTube"));
    let staff = wait_items(&mut org, open, |v| v["counts"]["pending"] == 4).await?;
    assert_eq!(ids(&staff), [1, 2, 3, 4]);
    // Twitch and YouTube lines race each other: find each by its text.
    let item = |text: &str| {
        staff["items"]
            .as_array()
            .and_then(|a| a.iter().find(|i| i["text"] == text).cloned())
            .unwrap_or(Value::Null)
    };
    let from_twitch = item("Twitch says yes");
    assert_eq!(
        (
            from_twitch["platform"].as_str(),
            from_twitch["name"].as_str()
        ),
        (Some("twitch"), Some("Viewer 1"))
    );
    assert_eq!(item("From YouTube")["name"], "Tuber 1");
    let tw = from_twitch["id"].as_i64().context("twitch item")?;
    let shown = wait_items(&mut display, open, |v| v["counts"]["pending"] == 4).await?;
    assert_eq!(ids(&shown), Vec::<i64>::new(), "nothing approved yet");
    moderate(&mut org, open, 1, "approve").await?;
    moderate(&mut org, open, tw, "approve").await?;
    let shown = wait_items(&mut display, open, |v| v["counts"]["approved"] == 2).await?;
    assert_eq!(ids(&shown), [tw, 1], "newest first");
    assert!(shown["items"][0].get("status").is_some());
    let ack = org
        .call(json!({"type": "moderate", "question_id": open, "item_id": 99, "action": "approve"}))
        .await?;
    assert_eq!(error_code(&ack), "not_found", "{ack}");
    let ack = org
        .call(json!({"type": "moderate", "question_id": open, "item_id": 1, "action": "delete"}))
        .await?;
    assert_eq!(error_code(&ack), "bad_request", "{ack}");
    let ack = ada
        .call(json!({"type": "moderate", "question_id": open, "item_id": 2, "action": "approve"}))
        .await?;
    assert_eq!(error_code(&ack), "forbidden", "{ack}");
    // A reloaded phone shows its answer.
    let mine = ts.connect(meeting, &t1).await?.state;
    assert_eq!(mine["you"]["answer"]["text"], "I think so", "{mine}");
    assert_eq!(mine["you"]["answer"]["items"], json!([1]));
    assert_eq!(ids(&mine["items"]), [tw, 1]);

    // 3. Q&A: ask (5 each), upvote (once each) from the room and both chats; staff approve,
    // pin, mark answered and hide; sorted by votes.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("qna").await?;
    let qna = qid(&st)?;
    let ask = |text: &str| json!({"type": "ask", "question_id": qna, "text": text});
    assert_eq!(ada.call(ask("Why Rust?")).await?["item_id"], 1);
    assert_eq!(bob.call(ask("When is lunch?")).await?["item_id"], 2);
    for i in 0..4 {
        ok(&ada.call(ask(&format!("More {i}"))).await?)?;
    }
    assert_eq!(
        error_code(&ada.call(ask("A sixth")).await?),
        "limit_reached"
    );
    twitch.privmsg_many(&chan, &[line("q1", "1", "#How fast is it?")]);
    let staff = wait_items(&mut org, qna, |v| v["counts"]["pending"] == 7).await?;
    assert_eq!(staff["items"][6]["text"], "How fast is it?");
    let upvote = |n: i64| json!({"type": "upvote", "question_id": qna, "item_id": n});
    assert_eq!(
        error_code(&bob.call(upvote(1)).await?),
        "not_found",
        "pending"
    );
    for n in [1, 2, 7] {
        moderate(&mut org, qna, n, "approve").await?;
    }
    ok(&bob.call(upvote(1)).await?)?;
    assert_eq!(error_code(&bob.call(upvote(1)).await?), "already_voted");
    assert_eq!(error_code(&bob.call(upvote(99)).await?), "not_found");
    ok(&ada.call(upvote(2)).await?)?;
    twitch.privmsg_many(
        &chan,
        &[
            line("u1", "1", "#+1"),
            line("u2", "2", "#+1"),
            line("u3", "2", "#+1"), // once each
            line("u4", "3", "#+5"), // pending: refused
        ],
    );
    youtube.push("posts-chat", yt("yu1", 2, "#+2"));
    let shown = wait_items(&mut display, qna, |v| {
        v["items"][0]["votes"] == 3 && v["items"][1]["votes"] == 2
    })
    .await?;
    assert_eq!(ids(&shown), [1, 2, 7], "by votes");
    moderate(&mut org, qna, 7, "pin").await?;
    moderate(&mut org, qna, 1, "answered").await?;
    moderate(&mut org, qna, 2, "hide").await?;
    let shown = wait_items(&mut display, qna, |v| v["counts"]["hidden"] == 1).await?;
    assert_eq!(
        ids(&shown),
        [7, 1],
        "pinned first, answered last, hidden gone"
    );
    assert_eq!(shown["items"][0]["pinned"], true);
    assert_eq!(shown["items"][1]["answered"], true);
    // (The moderator's own `items` frames travel before each ack: a new connection's
    // state shows where it stands.)
    let staff = ts.connect(meeting, &admin).await?.state;
    assert_eq!(
        ids(&staff["items"]),
        [3, 4, 5, 6, 7, 1, 2],
        "the queue first"
    );
    let bobs = ts.connect(meeting, &t2).await?.state;
    assert_eq!(bobs["you"]["answer"]["upvoted"], json!([1]), "{bobs}");
    assert_eq!(bobs["you"]["answer"]["items"], json!([2]));

    // The meeting actor dies: every acknowledged post, upvote and decision is stored.
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    handle.inject_panic();
    let mut again = ts.connect(meeting, &admin).await?;
    let st = again
        .wait_state(|s| s["items"]["question_id"] == qna && s["items"]["counts"]["hidden"] == 1)
        .await?;
    assert_eq!(ids(&st["items"]), [3, 4, 5, 6, 7, 1, 2], "{st}");
    assert_eq!(st["items"]["items"][5]["votes"], 3, "{st}");
    drop(again);

    // 4. A poll hiding its results until the reveal.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("poll").await?;
    let poll = qid(&st)?;
    assert_eq!(st["question"]["hide_results_until_reveal"], true);
    let c = choice_ids(&st);
    ok(&ada.vote(poll, c[0]).await?)?;
    let answered = display
        .wait_for(|v| {
            v["question_id"] == poll
                && v["total"] == 1
                && (v["type"] == "answered" || v["type"] == "tally")
        })
        .await?;
    assert_eq!(
        answered,
        json!({"type": "answered", "question_id": poll, "total": 1})
    );
    org.wait_counts(poll, &json!({c[0].to_string(): 1, c[1].to_string(): 0}))
        .await?;
    ok(&org.control("results").await?)?;
    let st = bob.wait_status("results").await?;
    assert_eq!(st["results"]["counts"][c[0].to_string()], 1, "{st}");

    // 5. A speed quiz: the top 5 with their rank before it.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let st = ada.wait_open("quiz").await?;
    let quiz = qid(&st)?;
    let c = choice_ids(&st);
    ok(&bob.vote(quiz, c[0]).await?)?;
    ok(&org.control("results").await?)?;
    let st = display
        .wait_state(|s| s["status"] == "results" && s["leaderboard"].is_array())
        .await?;
    let top = &st["leaderboard"][0];
    assert_eq!(top["name"], "Bob 🎉", "{st}");
    assert_eq!(
        (
            top["rank"].as_i64(),
            top["gained"].as_i64().unwrap_or(0) > 990
        ),
        (Some(1), true)
    );

    // Sounds: staff mute the presenter's cues for every screen.
    assert_eq!(display.state["sounds"], true);
    ok(&org.call(json!({"type": "sounds", "on": false})).await?)?;
    display.wait_state(|s| s["sounds"] == false).await?;
    assert_eq!(
        error_code(&ada.call(json!({"type": "sounds", "on": true})).await?),
        "forbidden"
    );

    // results.csv: every post and upvote with its status; results.json: the items.
    let csv = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/results.csv")))
        .bearer_auth(&admin)
        .send()
        .await?
        .text()
        .await?;
    ensure!(csv.contains(",answer,correct,points\r\n"), "{csv}");
    for expected in [
        ",2,text_answer,",
        ",I think so,,\r\n",
        ",Twitch says yes,,\r\n",
        ",From YouTube,,\r\n",
        ",3,qna,",
        ",Why Rust?,,\r\n",
        ",How fast is it?,,\r\n",
        ",When is lunch?,,\r\n",
        ",3,upvote,",
        ",'+1,,\r\n",
    ] {
        ensure!(csv.contains(expected), "{expected:?} missing from {csv}");
    }
    let upvote_rows = csv.lines().filter(|l| l.contains(",upvote,")).count();
    assert_eq!(upvote_rows, 5, "{csv}");
    let json: Value = ts
        .http
        .get(ts.url(&format!("/api/meetings/{meeting}/results.json")))
        .bearer_auth(&admin)
        .send()
        .await?
        .json()
        .await?;
    let activities = json["activities"].as_array().context("activities")?;
    assert_eq!(activities[0]["image"], logo.as_str());
    assert_eq!(activities[1]["items"].as_array().map(Vec::len), Some(4));
    let q = &activities[2]["items"];
    assert_eq!(q[0]["votes"], 3, "{q}");
    assert_eq!(
        (q[0]["status"].as_str(), q[0]["answered"].as_bool()),
        (Some("approved"), Some(true))
    );
    assert_eq!(
        activities[2]["answered"], 3,
        "Ada, Bob and one Twitch viewer asked"
    );
    Ok(())
}

/// The plan carries the new kinds and options through the editor's GET and PUT; images must
/// be pictures of the media store, with alt text.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plan_round_trips_images_and_new_kinds() -> anyhow::Result<()> {
    let ts = TestServer::start("posts-plan").await?;
    let admin = ts.admin_token().await?;
    let logo = ts.upload_media(&admin, LOGO).await?;
    let video = ts.upload_media(&admin, WEBM).await?;
    let plan = json!({
        "title": "Plan", "code": "pl4n", "sounds": false,
        "activities": [
            {"kind": "text", "title": "Logo", "image": logo, "alt": "Our logo"},
            {"kind": "text_answer", "title": "Open", "auto_approve": true},
            {"kind": "qna", "title": "Q&A"},
            {"kind": "poll", "title": "P", "hide_results_until_reveal": true,
             "choices": [{"text": "a"}, {"text": "b"}]}
        ]
    });
    let (status, body) = ts
        .call(
            reqwest::Method::POST,
            "/api/meetings",
            &admin,
            Some(plan.clone()),
        )
        .await?;
    ensure!(status == reqwest::StatusCode::CREATED, "{status} {body}");
    let id = body["id"].as_i64().context("id")?;
    let (status, got) = ts
        .call(
            reqwest::Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            None,
        )
        .await?;
    ensure!(status.is_success(), "{status} {got}");
    assert_eq!(got["sounds"], false);
    let a = &got["activities"];
    assert_eq!(
        (a[0]["image"].as_str(), a[0]["alt"].as_str()),
        (Some(logo.as_str()), Some("Our logo"))
    );
    assert_eq!(
        (a[1]["kind"].as_str(), a[1]["auto_approve"].as_bool()),
        (Some("text_answer"), Some(true))
    );
    assert_eq!(a[2]["kind"], "qna");
    assert_eq!(a[3]["hide_results_until_reveal"], true);
    let (status, again) = ts
        .call(
            reqwest::Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            Some(got.clone()),
        )
        .await?;
    ensure!(status.is_success(), "{status} {again}");
    assert_eq!(again["activities"], got["activities"]);

    // Refused, each with the field and what to do.
    let with = |patch: Value| {
        let mut p = got.clone();
        if let (Some(a), Some(patch)) = (p["activities"][0].as_object_mut(), patch.as_object()) {
            a.extend(patch.clone());
        }
        p
    };
    for (patch, field, says) in [
        (
            json!({"alt": ""}),
            "activities[0].alt",
            "describe the image",
        ),
        (
            json!({"image": video}),
            "activities[0].image",
            "not an image",
        ),
        (
            json!({"image": "00000000000000000000000000000000"}),
            "activities[0].image",
            "no such file",
        ),
        (
            json!({"image": "../etc/passwd"}),
            "activities[0].image",
            "32 hex digits",
        ),
        (
            json!({"auto_approve": true}),
            "activities[0].auto_approve",
            "only open questions",
        ),
        (
            json!({"hide_results_until_reveal": true}),
            "activities[0].hide_results_until_reveal",
            "only polls",
        ),
    ] {
        let (status, body) = ts
            .call(
                reqwest::Method::PUT,
                &format!("/api/meetings/{id}/plan"),
                &admin,
                Some(with(patch.clone())),
            )
            .await?;
        assert_eq!(status, reqwest::StatusCode::BAD_REQUEST, "{patch}: {body}");
        let text = body.to_string();
        ensure!(
            text.contains(field) && text.contains(says),
            "{patch}: {text}"
        );
    }
    Ok(())
}
