//! Chat lines (Twitch, YouTube) land in the same meeting as the room: `#slug` votes, `#word`
//! words, one vote per viewer, bot lines and talk never counted, viewers on the scoreboard.

use librekast_engine::{ChatMessage, ChatReport};
use librekast_storage::{MeetingId, Platform};
use librekast_tests::*;
use serde_json::json;

fn with_id(platform: Platform, id: &str, user: &str, text: &str) -> ChatMessage {
    ChatMessage {
        id: Some(id.into()),
        ..line(platform, user, text)
    }
}

/// A chat message delivered twice (a platform's replay, an adapter re-reading after a
/// restart) is handled once, also after the meeting's actor restarted (the ids counted are
/// stored with the answers); a flag in its full `PREFIX{code}` form captures from chat, a
/// bare code or a wrong flag is just talk for staff.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_messages_seen_twice_count_once_and_flags_capture() -> anyhow::Result<()> {
    let ts = TestServer::start("chat-dedupe").await?;
    let meeting = ts.demo_meeting().await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let r = handle
        .chat(vec![
            with_id(
                Platform::Twitch,
                "f1",
                "t1",
                "found it: LibreKast{hello-world}",
            ),
            with_id(Platform::Twitch, "f2", "t2", "hello-world"),
            with_id(Platform::Youtube, "f3", "y1", "librekast{nope}"),
            with_id(
                Platform::Twitch,
                "f1",
                "t1",
                "found it: LibreKast{hello-world}",
            ),
        ])
        .await?;
    assert_eq!(
        (r.flags, r.duplicates, r.refused, r.other),
        (1, 1, 1, 1),
        "{r:?}"
    );
    let attempts = org.wait_for(|v| v["type"] == "flag_attempt").await?;
    assert_eq!(attempts["outcome"], "captured");
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    org.wait_open("poll").await?;
    let r = handle
        .chat(vec![with_id(Platform::Twitch, "v1", "t3", "#a")])
        .await?;
    assert_eq!(r.votes, 1);
    // The actor crashes and is rebuilt from storage: the ids it counted are still known.
    handle.inject_panic();
    let again = async {
        loop {
            let r = handle
                .chat(vec![
                    with_id(Platform::Twitch, "v1", "t3", "#a"),
                    with_id(Platform::Twitch, "f1", "t1", "LibreKast{hello-world}"),
                ])
                .await;
            if let Ok(r) = r {
                return r;
            }
        }
    };
    let r = tokio::time::timeout(TIMEOUT, again).await?;
    assert_eq!(r.duplicates, 2, "{r:?}");
    let stored = ts.stored(meeting).await?;
    assert_eq!(stored.votes.len(), 1);
    assert_eq!(stored.captures.len(), 1);
    Ok(())
}

fn line(platform: Platform, user: &str, text: &str) -> ChatMessage {
    ChatMessage {
        platform,
        id: None,
        user_id: user.into(),
        user_name: format!("{user} name"),
        text: text.into(),
        at: 0,
        badges: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_votes_and_words_join_the_room() -> anyhow::Result<()> {
    let ts = TestServer::start("chat").await?;
    let meeting = ts.demo_meeting().await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let (_, token) = ts.join(meeting, "Pour1nf0", "room person").await?;
    let mut room = ts.connect(meeting, &token).await?;

    // Nothing open yet: answers are refused, and no viewer is created for them.
    let r = handle
        .chat(vec![line(Platform::Twitch, "t1", "#a")])
        .await?;
    assert_eq!(
        r,
        ChatReport {
            lines: 1,
            refused: 1,
            ..ChatReport::default()
        }
    );

    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    room.wait_open("poll").await?;
    let poll = room.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&room.state);
    ok(&room.vote(poll, choices[0]).await?)?;
    let report = handle
        .chat(vec![
            line(Platform::Twitch, "t1", "#a"),
            line(Platform::Twitch, "t1", "#b"), // second vote of the same viewer
            line(Platform::Twitch, "t2", "  #B  "),
            line(Platform::Youtube, "t1", "#b"), // another platform, another person
            line(Platform::Youtube, "y2", "#zz"), // no such slug
            line(Platform::Youtube, "y3", "hello everyone"),
            line(Platform::Twitch, "bot", "🤖 #a is winning"),
            line(Platform::Twitch, "t4", "!score"),
        ])
        .await?;
    assert_eq!(
        report,
        ChatReport {
            lines: 8,
            votes: 3,
            words: 0,
            refused: 2,
            other: 3,
            ..ChatReport::default()
        }
    );
    let expected = json!({choices[0].to_string(): 2, choices[1].to_string(): 2, choices[2].to_string(): 0, choices[3].to_string(): 0});
    room.wait_counts(poll, &expected).await?;

    // Word cloud from chat.
    for action in ["results", "next", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    room.wait_open("wordcloud").await?;
    let cloud = room.state["question"]["id"].as_i64().unwrap_or(-1);
    let report = handle
        .chat(vec![
            line(Platform::Twitch, "t1", "#Rust"),
            line(Platform::Twitch, "t1", "#rust"),
            line(Platform::Youtube, "y9", "#rust"),
        ])
        .await?;
    assert_eq!(report.words, 2);
    room.wait_words(cloud, |w| w[0]["count"] == 2).await?;
    assert_eq!(room.words[&cloud][0]["text"], "Rust");

    // Viewers are attendees: stored, on the staff scoreboard with their platform.
    let loaded = ts.stored(meeting).await?;
    assert_eq!(loaded.votes.len(), 4);
    assert_eq!(loaded.words.len(), 2);
    let platforms: Vec<_> = loaded.attendees.iter().map(|a| a.platform).collect();
    assert!(platforms.contains(&Platform::Twitch) && platforms.contains(&Platform::Youtube));
    ok(&org.control("scoreboard").await?)?;
    let board = org.wait_status("scoreboard").await?;
    assert!(
        board["scoreboard"]
            .as_array()
            .is_some_and(|rows| rows.iter().any(|r| r["platform"] == "twitch"))
    );
    ts.server.shutdown().await;
    Ok(())
}

/// The meeting's blocked words keep a chat line off every screen (the chat overlay is on
/// stream): displays and staff get the clean lines around it, never the blocked one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_lines_with_blocked_words_reach_no_screen() -> anyhow::Result<()> {
    let ts = TestServer::start("chat-blocked").await?;
    let meeting = ts.demo_meeting().await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let admin = ts.admin_token().await?;
    let (status, body) = ts
        .call(
            reqwest::Method::PUT,
            &format!("/api/meetings/{meeting}/blocked_words"),
            &admin,
            Some(json!({"words": ["bad word"]})),
        )
        .await?;
    assert_eq!(status, reqwest::StatusCode::OK, "{body}");
    let mut display = ts
        .connect(meeting, &ts.display_token(meeting).await?)
        .await?;
    let mut org = ts.connect(meeting, &admin).await?;
    handle
        .chat(vec![
            line(Platform::Twitch, "t1", "first"),
            line(Platform::Twitch, "t2", "what a BAD word, really"),
            line(Platform::Youtube, "y1", "last"),
        ])
        .await?;
    for client in [&mut display, &mut org] {
        let mut texts = Vec::new();
        while texts.last().map(String::as_str) != Some("last") {
            let frame = client.wait_for(|f| f["type"] == "chat").await?;
            texts.push(frame["text"].as_str().unwrap_or_default().to_string());
        }
        assert_eq!(texts, ["first", "last"]);
    }
    ts.server.shutdown().await;
    Ok(())
}
