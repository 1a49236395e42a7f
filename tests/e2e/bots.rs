//! Bots, alerts and the teleprompter end to end: a meeting reading the fake Twitch of this
//! process with a connected account; viewers' `!commands` answered in the channel with the
//! bot prefix, a revolution posting and raising an alert, bots turned off and edited live
//! from the dashboard's API, test alerts with increasing ids for staff and displays, and
//! notes that reach a teleprompter link but never a display link.

use std::time::Duration;

use anyhow::{Context, bail};
use librekast_adapters::accounts::save_twitch_tokens;
use librekast_adapters::twitch::auth::TwitchAuth;
use librekast_fakes::twitch::ChatLine;
use librekast_storage::{MeetingFile, MeetingId};
use librekast_tests::*;
use reqwest::Method;
use serde_json::{Value, json};

fn channel(tag: &str) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    format!(
        "lk_{tag}_{}_{}",
        std::process::id() % 10_000,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

fn meeting_file(channel: &str) -> anyhow::Result<MeetingFile> {
    Ok(serde_json::from_value(json!({
        "title": "Bots",
        "code": "b0ts",
        "activities": [
            {"kind": "poll", "title": "Pick one", "notes": "Most pick B; thank the sponsor after.",
             "choices": [{"text": "A"}, {"text": "B"}]}
        ],
        "sources": [{"platform": "twitch", "channel": channel, "delay_secs": 0}],
        "bots": [
            {"kind": "command", "name": "discord", "reply": "Join us on Discord, {user}!",
             "user_cooldown_secs": 0, "global_cooldown_secs": 0},
            {"kind": "revolution", "name": "hype", "threshold": 2, "window_secs": 60,
             "message": "HYPE TRAIN", "media": null, "cooldown_secs": 300}
        ]
    }))?)
}

fn line(id: &str, user: &str, text: &str) -> ChatLine {
    ChatLine::new(id, user, format!("viewer{user}"), text).display_name(&format!("Viewer {user}"))
}

/// The posted lines of a channel (text only), once there are `n`.
async fn posted(channel: &str, n: usize) -> anyhow::Result<Vec<String>> {
    let fake = fake_twitch()?;
    let lines = tokio::time::timeout(Duration::from_secs(30), fake.wait_posted_in(channel, n))
        .await
        .with_context(|| format!("{n} lines were never posted in #{channel}"))?;
    Ok(lines.into_iter().map(|(_, _, text)| text).collect())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_commands_revolutions_and_live_edits_reach_the_channel() -> anyhow::Result<()> {
    let fake = fake_twitch()?;
    let ts = TestServer::start("bots").await?;
    let admin = ts.admin_token().await?;
    let tag = channel("botacct");
    let (access, refresh) = (format!("{tag}-access"), format!("{tag}-refresh"));
    fake.add_token(&access, Some(&refresh), &tag, "4343", 3600);
    let store = ts.server.engine.store();
    let admin_user = store.find_user("admin").await?.context("admin")?;
    save_twitch_tokens(
        store,
        &TwitchAuth::new(&fake_platforms()?)?,
        admin_user.id,
        &access,
        Some(&refresh),
    )
    .await?;
    let chan = channel("bots");
    let meeting = store
        .create_meeting(&meeting_file(&chan)?, Some(admin_user.id))
        .await?
        .0;
    let mut org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&chan).await;
    // The account can post once the source says so.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let handle = ts.server.engine.running(MeetingId(meeting));
        if handle.is_some_and(|h| {
            h.source_statuses()
                .iter()
                .any(|s| s.status == "connected" && s.message.contains("posting"))
        }) {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("the Twitch source never connected with its account");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A command bot answers in the channel, with the bot prefix and the viewer's name.
    fake.privmsg(&chan, &line("c1", "11", "!discord"));
    assert_eq!(
        posted(&chan, 1).await?,
        ["🤖 Join us on Discord, Viewer 11!"]
    );

    // A revolution: one viewer chanting twice counts once; a second viewer fires it.
    fake.privmsg(&chan, &line("h1", "21", "!hype"));
    fake.privmsg(&chan, &line("h2", "21", "!hype"));
    let bots = org
        .wait_for(|f| f["type"] == "bots" && f["bots"][1]["count"] == 1)
        .await?;
    assert_eq!(bots["bots"][1]["threshold"], 2, "{bots}");
    fake.privmsg(&chan, &line("h3", "22", "!hype"));
    // Staff see the bot's own line in the chat feed, marked, then the alert.
    org.wait_for(|f| f["type"] == "chat" && f["bot"] == true && f["text"] == "HYPE TRAIN")
        .await?;
    let alert = org
        .wait_for(|f| f["type"] == "alert" && f["kind"] == "revolution")
        .await?;
    assert_eq!(alert["text"], "HYPE TRAIN");
    assert_eq!(alert["platform"], Value::Null);
    assert_eq!(posted(&chan, 2).await?[1], "🤖 HYPE TRAIN");

    // Turned off from the dashboard: `!discord` gets no answer, `!help` still does (and
    // lists only the bots that are on).
    let (status, body) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/bots"),
            &admin,
            None,
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    let mut edited = body["bots"].clone();
    edited[0]["enabled"] = json!(false);
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{meeting}/bots"),
            &admin,
            Some(json!({"bots": edited})),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    org.wait_for(|f| f["type"] == "bots" && f["bots"][0]["enabled"] == false)
        .await?;
    fake.privmsg(&chan, &line("c2", "12", "!discord"));
    fake.privmsg(&chan, &line("c3", "12", "!help"));
    let lines = posted(&chan, 3).await?;
    assert_eq!(
        lines[2], "🤖 Commands: !score, !hype. Answer the question on screen with #a, #b…",
        "the bot that was turned off said nothing: {lines:?}"
    );
    // Stored: a reload of the meeting keeps it off.
    let stored = store
        .meeting(MeetingId(meeting))
        .await?
        .context("meeting")?;
    assert!(!stored.bots[0].is_enabled());

    // Invalid bots are refused with every problem under its field, and nothing changes.
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{meeting}/bots"),
            &admin,
            Some(json!({"bots": [{"kind": "command", "name": "score", "reply": " "}]})),
        )
        .await?;
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"], "invalid_plan");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .context("errors")?
        .iter()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(fields, ["bots[0].reply", "bots[0].name"], "{body}");

    // A bot line echoed back (another tool, or our own on YouTube) is never an answer.
    ok(&org.control("start").await?)?;
    let state = org.wait_open("poll").await?;
    let poll = state["question"]["id"].as_i64().context("poll")?;
    let choices = choice_ids(&state);
    fake.privmsg(&chan, &line("e1", "31", "🤖 #a is winning"));
    fake.privmsg(&chan, &line("e2", "32", "#b"));
    org.wait_counts(
        poll,
        &json!({choices[0].to_string(): 0, choices[1].to_string(): 1}),
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn test_alerts_and_the_teleprompter_reach_their_audiences_only() -> anyhow::Result<()> {
    let ts = TestServer::start("alerts-test").await?;
    let admin = ts.admin_token().await?;
    let meeting = ts.demo_meeting().await?;
    // Notes on the first activity.
    let (_, mut plan) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    plan["activities"][0]["notes"] = json!("The answer is B.\nThank the sponsor.");
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            Some(plan),
        )
        .await?;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body["activities"][0]["notes"],
        "The answer is B.\nThank the sponsor."
    );

    let display = ts.display_token(meeting).await?;
    let (status, prompter) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/display"),
            &admin,
            Some(json!({"scope": "prompter"})),
        )
        .await?;
    assert_eq!(status, 200, "{prompter}");
    assert!(
        prompter["url"]
            .as_str()
            .is_some_and(|u| u.contains("/overlay/prompter.html?meeting=")),
        "{prompter}"
    );
    let prompter_token = prompter["token"].as_str().context("token")?;
    let (status, body) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/display"),
            &admin,
            Some(json!({"scope": "backstage"})),
        )
        .await?;
    assert_eq!(status, 400, "{body}");

    let mut org = ts.connect(meeting, &admin).await?;
    ok(&org.control("start").await?)?;
    org.wait_state(|s| {
        s["question"]["notes"]
            .as_str()
            .is_some_and(|n| n.starts_with("The answer"))
    })
    .await?;
    let mut screen = ts.connect(meeting, &display).await?;
    let mut prompt = ts.connect(meeting, prompter_token).await?;
    assert_eq!(prompt.state["audience"], "prompter");
    assert_eq!(
        prompt.state["question"]["notes"],
        "The answer is B.\nThank the sponsor."
    );
    assert!(
        screen.state["question"].get("notes").is_none(),
        "notes never reach a display: {}",
        screen.state
    );
    // A prompter watches only.
    let ack = prompt.control("next").await?;
    assert_eq!(error_code(&ack), "forbidden");

    // Test alerts: increasing ids, to staff and displays, marked as tests.
    let mut ids = Vec::new();
    for kind in ["follow", "sub", "raid"] {
        let (status, body) = ts
            .call(
                Method::POST,
                &format!("/api/meetings/{meeting}/alerts/test"),
                &admin,
                Some(json!({"kind": kind})),
            )
            .await?;
        assert_eq!(status, 200, "{body}");
        ids.push(body["id"].as_u64().context("id")?);
    }
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    for client in [&mut screen, &mut org] {
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let f = client.wait_for(|f| f["type"] == "alert").await?;
            assert_eq!(f["test"], true);
            seen.push(f["id"].as_u64().context("id")?);
        }
        assert_eq!(seen, ids);
    }
    let (status, body) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/alerts/test"),
            &admin,
            Some(json!({"kind": "dance"})),
        )
        .await?;
    assert_eq!(status, 400, "{body}");
    // A display that connects later gets the recent alerts replayed after its state (an
    // overlay skips the ids it already showed).
    let mut late = ts.connect(meeting, &display).await?;
    let first = late.wait_for(|f| f["type"] == "alert").await?;
    assert_eq!(first["id"].as_u64(), Some(ids[0]));
    // Participants get no alerts, and may not raise them.
    let (status, _) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/alerts/test"),
            &display,
            Some(json!({"kind": "follow"})),
        )
        .await?;
    assert!(status == 401 || status == 403, "{status}");
    Ok(())
}

/// Waits until `count` lines were posted into a fake YouTube live chat.
async fn inserted(
    youtube: &librekast_fakes::youtube::FakeYoutube,
    count: usize,
) -> anyhow::Result<Vec<String>> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let lines = youtube.inserted();
        if lines.len() >= count {
            return Ok(lines.into_iter().map(|(_, text)| text).collect());
        }
        if tokio::time::Instant::now() > deadline {
            bail!("{count} lines were never posted on YouTube: {lines:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// One revolution counted across Twitch and YouTube viewers, its message posted in both
/// chats, and a YouTube viewer's command answered in the YouTube chat.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revolution_counts_viewers_across_twitch_and_youtube() -> anyhow::Result<()> {
    use librekast_fakes::youtube::YtMessage;

    let fake = fake_twitch()?;
    let (ts, youtube) = server_with_fake_youtube("bots-both").await?;
    let admin = ts.admin_token().await?;
    let store = ts.server.engine.store();
    let owner = store.find_user("admin").await?.context("admin")?;
    let tag = channel("both");
    let (access, refresh) = (format!("{tag}-access"), format!("{tag}-refresh"));
    fake.add_token(&access, Some(&refresh), &tag, "4444", 3600);
    save_twitch_tokens(
        store,
        &TwitchAuth::new(&fake_platforms()?)?,
        owner.id,
        &access,
        Some(&refresh),
    )
    .await?;
    youtube_account(&ts, &youtube, "bots").await?;
    let chan = channel("bothchan");
    let mut file = meeting_file(&chan)?;
    file.sources
        .push(serde_json::from_value(json!({"platform": "youtube"}))?);
    let meeting = store.create_meeting(&file, Some(owner.id)).await?.0;
    let mut org = ts.connect(meeting, &admin).await?;
    fake.wait_joined(&chan).await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        let statuses = ts
            .server
            .engine
            .running(MeetingId(meeting))
            .map(|h| h.source_statuses())
            .unwrap_or_default();
        let posting = |p: &str| {
            statuses
                .iter()
                .any(|s| s.platform == p && s.status == "connected" && s.message.contains("post"))
        };
        if posting("twitch") && posting("youtube") {
            break;
        }
        if tokio::time::Instant::now() > deadline {
            bail!("both sources never connected with their accounts: {statuses:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // A YouTube viewer's command is answered in every chat.
    youtube.push_many(
        "bots-chat",
        vec![YtMessage::new("LCC.d1", "UCada", "Ada", "!discord")],
    );
    assert_eq!(
        inserted(&youtube, 1).await?,
        ["🤖 Join us on Discord, Ada!"]
    );
    assert_eq!(posted(&chan, 1).await?, ["🤖 Join us on Discord, Ada!"]);

    // One chant from YouTube, one from Twitch: two distinct viewers, the revolution fires.
    youtube.push_many(
        "bots-chat",
        vec![YtMessage::new("LCC.h1", "UCada", "Ada", "!hype")],
    );
    org.wait_for(|f| f["type"] == "bots" && f["bots"][1]["count"] == 1)
        .await?;
    fake.privmsg(&chan, &line("t1", "51", "!hype"));
    let alert = org
        .wait_for(|f| f["type"] == "alert" && f["kind"] == "revolution")
        .await?;
    assert_eq!(alert["text"], "HYPE TRAIN");
    assert_eq!(posted(&chan, 2).await?[1], "🤖 HYPE TRAIN");
    assert_eq!(inserted(&youtube, 2).await?[1], "🤖 HYPE TRAIN");
    Ok(())
}
