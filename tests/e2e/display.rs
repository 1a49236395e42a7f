//! A display link (projector, OBS) through a poll, a quiz and a flag capture: every frame it
//! receives is recorded and checked against the `display` column of docs/protocol.md. Then
//! the links are revoked: the open connection closes with 4001 and the token stops working.

use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

async fn create_link(
    ts: &TestServer,
    meeting: i64,
    bearer: &str,
) -> anyhow::Result<(StatusCode, Value)> {
    let path = format!("/api/meetings/{meeting}/display");
    ts.bearer(Method::POST, &path, bearer).await
}

async fn get_status(ts: &TestServer, path: &str) -> anyhow::Result<(StatusCode, String)> {
    let res = ts.http.get(ts.url(path)).send().await?;
    let status = res.status();
    Ok((status, res.text().await.unwrap_or_default()))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_display_sees_only_what_a_projector_may() -> anyhow::Result<()> {
    let ts = TestServer::start("display").await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let store = ts.server.engine.store();
    let other = store
        .import_meeting(
            &store
                .export_meeting(librekast_storage::MeetingId(meeting))
                .await?,
        )
        .await?
        .0;

    // Only staff who may control the meeting create links.
    let anonymous = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/display")))
        .send()
        .await?;
    assert_eq!(anonymous.status(), StatusCode::UNAUTHORIZED);
    let (status, link) = create_link(&ts, meeting, &admin).await?;
    assert_eq!(status, StatusCode::OK, "{link}");
    let token = link["token"].as_str().unwrap_or("").to_string();
    let url = link["url"].as_str().unwrap_or("");
    assert!(
        url.ends_with(&format!("/present.html?meeting={meeting}&token={token}")),
        "{url}"
    );
    let (_, participant) = ts.join(meeting, "Pour1nf0", "Mallory").await?;
    assert_eq!(
        create_link(&ts, meeting, &participant).await?.0,
        StatusCode::UNAUTHORIZED,
        "a participant is not staff"
    );
    assert_eq!(
        create_link(&ts, meeting, &token).await?.0,
        StatusCode::UNAUTHORIZED,
        "a display link makes no links"
    );

    // The link opens its meeting's invitation and QR code, and nothing else.
    let (status, body) = get_status(
        &ts,
        &format!("/api/meetings/{meeting}/invite?token={token}"),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Pour1nf0"));
    let (status, svg) = get_status(
        &ts,
        &format!("/api/meetings/{meeting}/qr.svg?token={token}"),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(svg.contains("<svg") || svg.starts_with("<?xml"));
    let (status, body) =
        get_status(&ts, &format!("/api/meetings/{other}/invite?token={token}")).await?;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(body.contains("forbidden"));
    let elsewhere = ts.connect(other, &token).await;
    assert!(
        elsewhere
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("401")),
        "a display link is for its own meeting only"
    );
    let (status, _) = ts.bearer(Method::GET, "/api/me", &token).await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // Connected, it watches and can send nothing.
    let mut display = ts.connect(meeting, &token).await?;
    assert_eq!(display.state["audience"], "display");
    assert_eq!(display.state["question"], Value::Null);
    assert_eq!(display.state["you"], Value::Null);
    display.wait_for(|v| v["type"] == "participants").await?;
    assert_eq!(error_code(&display.control("start").await?), "forbidden");
    assert_eq!(error_code(&display.vote(2, 5).await?), "forbidden");
    assert_eq!(error_code(&display.flag("hello-world").await?), "forbidden");

    let mut org = ts.connect(meeting, &admin).await?;
    assert_eq!(org.state["audience"], "staff");
    let mut people = Vec::new();
    for name in ["Ada", "Grace", "Linus"] {
        let (_, t) = ts.join(meeting, "Pour1nf0", name).await?;
        let c = ts.connect(meeting, &t).await?;
        assert_eq!(c.state["audience"], "participant");
        people.push(c);
    }
    display
        .wait_for(|v| v["type"] == "participants" && v["count"] == 3)
        .await?;

    // Poll, with a flag captured while it is open.
    for action in ["start", "next", "start"] {
        ok(&org.control(action).await?)?;
    }
    let poll = display
        .wait_state(|s| s["status"] == "ongoing" && s["question"]["kind"] == "poll")
        .await?["question"]["id"]
        .as_i64()
        .unwrap_or(-1);
    let choices = choice_ids(&display.state);
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p.vote(poll, choices[i % 2]).await?)?;
    }
    ok(&people[0].flag("LibreKast{hello-world}").await?)?;
    assert_eq!(error_code(&people[1].flag("nope").await?), "not_found");
    org.wait_for(|v| v["type"] == "flag_attempt" && v["outcome"] == "not_found")
        .await?;
    display
        .wait_for(|v| v["type"] == "tally" && v["question_id"] == poll && v["total"] == 3)
        .await?;
    ok(&org.control("results").await?)?;

    // Quiz: the display learns how many answered, not what, until the reveal.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let quiz = display
        .wait_state(|s| s["status"] == "ongoing" && s["question"]["kind"] == "quiz")
        .await?["question"]["id"]
        .as_i64()
        .unwrap_or(-1);
    let quiz_choices = choice_ids(&display.state);
    for (i, p) in people.iter_mut().enumerate() {
        ok(&p
            .vote(quiz, quiz_choices[if i == 2 { 0 } else { 1 }])
            .await?)?;
    }
    display
        .wait_for(|v| v["type"] == "answered" && v["question_id"] == quiz && v["total"] == 3)
        .await?;
    org.wait_counts(
        quiz,
        &json!({quiz_choices[0].to_string(): 1, quiz_choices[1].to_string(): 2, quiz_choices[2].to_string(): 0, quiz_choices[3].to_string(): 0}),
    )
    .await?;
    ok(&org.control("results").await?)?;
    let revealed = display
        .wait_state(|s| s["status"] == "results" && s["question"]["id"] == quiz)
        .await?;
    assert_eq!(revealed["results"]["correct"], json!([quiz_choices[1]]));
    ok(&org.control("scoreboard").await?)?;
    let board = display.wait_status("scoreboard").await?;
    assert_eq!(board["scoreboard"][0]["name"], "Ada", "8 + 3 points lead");

    // Everything the display received, checked against the visibility table.
    let frames = display.frames.clone();
    let reveal_at = frames
        .iter()
        .position(|v| {
            v["type"] == "state" && v["status"] == "results" && v["question"]["id"] == quiz
        })
        .unwrap_or(usize::MAX);
    for (i, f) in frames.iter().enumerate() {
        let text = f.to_string();
        let kind = f["type"].as_str().unwrap_or("");
        assert!(
            [
                "state",
                "participants",
                "lobby",
                "tally",
                "answered",
                "words",
                "items",
                "ack"
            ]
            .contains(&kind),
            "a display got a {kind} frame: {text}"
        );
        for secret in [
            "hello-world",
            "Welcome flag",
            "flag_attempts",
            "\"plan\"",
            "correct\":true",
        ] {
            assert!(!text.contains(secret), "frame {i} leaks {secret}: {text}");
        }
        match kind {
            "state" => {
                assert_eq!(f["audience"], "display", "{text}");
                assert_eq!(f["you"], Value::Null);
                if ["before", "waiting"].contains(&f["status"].as_str().unwrap_or("")) {
                    assert_eq!(f["question"], Value::Null, "nothing ahead: {text}");
                }
                if f["question"]["id"] == quiz && f["status"] == "ongoing" {
                    assert_eq!(
                        f["results"],
                        Value::Null,
                        "quiz counts before the reveal: {text}"
                    );
                }
                for c in f["question"]["choices"].as_array().into_iter().flatten() {
                    let mut keys: Vec<&String> = c
                        .as_object()
                        .map(|o| o.keys().collect())
                        .unwrap_or_default();
                    keys.sort();
                    assert_eq!(keys, ["id", "slug", "text"], "{text}");
                }
            }
            "tally" if f["question_id"] == quiz => {
                assert!(i > reveal_at, "a quiz tally before the reveal: {text}");
            }
            "ack" => assert_eq!(f["error"], "forbidden"),
            _ => {}
        }
    }
    assert!(frames.iter().any(|f| f["type"] == "answered"));

    // Revoked: the open connection closes with 4001, the token stops working.
    let path = format!("/api/meetings/{meeting}/display");
    let (status, revoked) = ts.bearer(Method::DELETE, &path, &admin).await?;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(revoked["revoked"], 1);
    assert_eq!(display.close_code().await?, 4001);
    let again = ts.connect(meeting, &token).await;
    assert!(
        again
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("401"))
    );
    let (status, _) = get_status(
        &ts,
        &format!("/api/meetings/{meeting}/invite?token={token}"),
    )
    .await?;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Staff and participants are not touched by it.
    ok(&org.control("next").await?)?;
    people[0].wait_status("waiting").await?;
    ts.server.shutdown().await;
    Ok(())
}
