//! Malformed frames get `bad_request` (or a documented close code) and nobody else notices.

use futures_util::SinkExt;
use librekast_tests::*;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_frames_are_refused_without_harm() -> anyhow::Result<()> {
    let ts = TestServer::start("malformed").await?;
    let meeting = ts.demo_meeting().await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let (_, t1) = ts.join(meeting, "Pour1nf0", "mallory").await?;
    let (_, t2) = ts.join(meeting, "Pour1nf0", "alice").await?;
    let mut mallory = ts.connect(meeting, &t1).await?;
    let mut alice = ts.connect(meeting, &t2).await?;
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    mallory.wait_open("poll").await?;
    alice.wait_open("poll").await?;
    let poll = alice.state["question"]["id"].as_i64().unwrap_or(-1);
    let choices = choice_ids(&alice.state);

    // Not JSON, not an object, unknown type, missing or mistyped fields.
    for (text, reference) in [
        ("this is not json", Value::Null),
        ("[1,2,3]", Value::Null),
        ("{\"type\":", Value::Null),
        (r#"{"type":"dance","ref":"a1"}"#, json!("a1")),
        (r#"{"type":"vote","question_id":1,"ref":"a2"}"#, json!("a2")),
        (
            r#"{"type":"vote","question_id":"x","choice_id":1,"ref":"a3"}"#,
            json!("a3"),
        ),
        (r#"{"ref":"a4"}"#, json!("a4")),
        (
            r#"{"type":"control","action":"explode","ref":"a5"}"#,
            json!("a5"),
        ),
        (
            r#"{"type":"word","question_id":1,"text":null,"ref":7}"#,
            json!(7),
        ),
    ] {
        mallory.send_text(text.to_string()).await?;
        let ack = mallory.wait_for(|v| v["type"] == "ack").await?;
        assert_eq!(ack["ok"], false, "{text}");
        assert_eq!(ack["error"], "bad_request", "{text}");
        assert_eq!(
            ack.get("ref").cloned().unwrap_or(Value::Null),
            reference,
            "{text}"
        );
    }
    mallory
        .socket
        .send(Message::binary(vec![1u8, 2, 3]))
        .await?;
    assert_eq!(
        mallory.wait_for(|v| v["type"] == "ack").await?["error"],
        "bad_request"
    );

    // Unknown ids.
    assert_eq!(
        error_code(&mallory.vote(999_999, choices[0]).await?),
        "not_open"
    );
    assert_eq!(
        error_code(&mallory.vote(poll, 999_999).await?),
        "unknown_choice"
    );
    assert_eq!(
        error_code(&mallory.word(poll, "poll is not a cloud").await?),
        "bad_request"
    );
    // The connection is still fine: a real vote works.
    ok(&mallory.vote(poll, choices[0]).await?)?;

    // A 1 MiB frame closes only that connection, with 1009.
    mallory.send_text("x".repeat(1024 * 1024)).await.ok();
    assert_eq!(mallory.close_code().await?, 1009);

    // The meeting and the other clients did not notice.
    ok(&alice.vote(poll, choices[1]).await?)?;
    let expected = json!({choices[0].to_string(): 1, choices[1].to_string(): 1, choices[2].to_string(): 0, choices[3].to_string(): 0});
    alice.wait_counts(poll, &expected).await?;
    org.wait_counts(poll, &expected).await?;
    ok(&org.control("results").await?)?;
    assert_eq!(
        alice.wait_status("results").await?["results"]["counts"],
        expected
    );

    // Mallory can come back with the same session.
    let mut again = ts.connect(meeting, &t1).await?;
    assert_eq!(again.state["status"], "results");
    assert_eq!(error_code(&again.vote(poll, choices[1]).await?), "not_open");

    // A client that closes gets the closing handshake answered, not a reset.
    again.socket.close(None).await?;
    let reply =
        tokio::time::timeout(TIMEOUT, futures_util::StreamExt::next(&mut again.socket)).await?;
    assert!(
        matches!(reply, Some(Ok(Message::Close(_)))),
        "close answered: {reply:?}"
    );

    // Refusals before the upgrade: no credentials, a bad token, a participant of another meeting.
    let url = format!("ws://{}/ws/meetings/{meeting}", ts.server.addr);
    assert!(Client::connect(&url).await.is_err());
    assert!(
        Client::connect(&format!("{url}?token=deadbeef"))
            .await
            .is_err()
    );
    let plain = ts
        .http
        .get(ts.url(&format!("/ws/meetings/{meeting}")))
        .send()
        .await?;
    assert_eq!(plain.status(), 400, "not an upgrade");
    ts.server.shutdown().await;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn flood_is_rate_limited_and_loses_nothing() -> anyhow::Result<()> {
    let ts = TestServer::start("flood").await?;
    let meeting = ts.demo_meeting().await?;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let (_, t) = ts.join(meeting, "Pour1nf0", "flooder").await?;
    let mut f = ts.connect(meeting, &t).await?;
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    f.wait_open("poll").await?;
    let poll = f.state["question"]["id"].as_i64().unwrap_or(-1);
    let choice = choice_ids(&f.state)[0];
    for i in 0..200 {
        f.send_text(
            json!({"type":"vote","question_id":poll,"choice_id":choice,"ref":i}).to_string(),
        )
        .await?;
    }
    let mut acks = Vec::new();
    while acks.len() < 200 {
        acks.push(f.wait_for(|v| v["type"] == "ack").await?);
    }
    let oks = acks.iter().filter(|a| a["ok"] == true).count();
    let limited = acks.iter().filter(|a| a["error"] == "rate_limited").count();
    let dup = acks
        .iter()
        .filter(|a| a["error"] == "already_voted")
        .count();
    assert_eq!(oks, 1, "exactly one vote counted");
    assert!(limited > 0, "a flood is rate limited");
    assert_eq!(oks + limited + dup, 200);
    let expected = json!({choice.to_string(): 1});
    f.wait_for(|v| {
        v["type"] == "tally" && v["counts"][choice.to_string()] == expected[choice.to_string()]
    })
    .await?;
    ts.server.shutdown().await;
    Ok(())
}

/// Refusals are cheap and close codes exact: frames past the byte allowance are refused
/// unread (`rate_limited`, no `ref`: the frame was not parsed); malformed JSON keeps its
/// `bad_request` and the connection; only a text frame that is not UTF-8 closes with 1007,
/// and only a WebSocket-level violation (reserved bits set) with 1002.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cheap_refusals_and_exact_close_codes() -> anyhow::Result<()> {
    use tokio_tungstenite::tungstenite::protocol::frame::Frame;
    use tokio_tungstenite::tungstenite::protocol::frame::coding::{Data, OpCode};

    let ts = TestServer::start("refusals").await?;
    let meeting = ts.demo_meeting().await?;
    let (_, token) = ts.join(meeting, "Pour1nf0", "heavy").await?;

    // Six 60 KiB frames: well under the frame rate, over the byte allowance (256 KiB). The
    // first four are read (their acks carry their `ref`); the last two are refused unread.
    let mut heavy = ts.connect(meeting, &token).await?;
    for i in 0..6 {
        let big = format!(
            r#"{{"type":"word","question_id":1,"ref":"b{i}","text":"{}"}}"#,
            "w".repeat(60 * 1024)
        );
        heavy.send_text(big).await?;
    }
    let mut acks = Vec::new();
    while acks.len() < 6 {
        acks.push(heavy.wait_for(|v| v["type"] == "ack").await?);
    }
    let unread: Vec<&Value> = acks
        .iter()
        .filter(|a| a["error"] == "rate_limited")
        .collect();
    assert_eq!(unread.len(), 2, "{acks:?}");
    assert!(
        unread.iter().all(|a| a.get("ref").is_none()),
        "not parsed: {acks:?}"
    );
    let read = acks.iter().filter(|a| a.get("ref").is_some()).count();
    assert_eq!(read, 4, "{acks:?}");

    // Names that hide or reorder what the projector shows are refused by the one shared
    // rule, and so are such words.
    for name in [
        "\u{202E}nimda",
        "\u{200B}\u{200B}",
        "nul\u{0}byte",
        "\u{2066}isolate",
        "\u{FDD0}",
    ] {
        let res = ts
            .http
            .post(ts.url(&format!("/api/meetings/{meeting}/join")))
            .json(&json!({"code": "Pour1nf0", "name": name}))
            .send()
            .await?;
        assert_eq!(res.status(), 400, "{name:?}");
    }
    assert!(ts.join(meeting, "Pour1nf0", "Zoë 🦊 李").await.is_ok());

    // Malformed JSON: bad_request, and the connection stays open.
    let (_, token) = ts.join(meeting, "Pour1nf0", "sloppy").await?;
    let mut sloppy = ts.connect(meeting, &token).await?;
    sloppy.send_text("{not json".into()).await?;
    assert_eq!(
        sloppy.wait_for(|v| v["type"] == "ack").await?["error"],
        "bad_request"
    );
    sloppy
        .send_text(r#"{"type":"dance","ref":1}"#.into())
        .await?;
    assert_eq!(sloppy.wait_for(|v| v["type"] == "ack").await?["ref"], 1);

    // A text frame that is not UTF-8: 1007.
    let (_, token) = ts.join(meeting, "Pour1nf0", "latin1").await?;
    let mut latin1 = ts.connect(meeting, &token).await?;
    let frame = Frame::message(vec![0x7b, 0xff, 0xfe, 0x7d], OpCode::Data(Data::Text), true);
    latin1.socket.send(Message::Frame(frame)).await?;
    assert_eq!(latin1.close_code().await?, 1007);

    // Reserved bits without a negotiated extension: a protocol violation, 1002.
    let (_, token) = ts.join(meeting, "Pour1nf0", "rsv").await?;
    let mut rsv = ts.connect(meeting, &token).await?;
    let mut frame = Frame::message(b"{}".to_vec(), OpCode::Data(Data::Text), true);
    frame.header_mut().rsv1 = true;
    rsv.socket.send(Message::Frame(frame)).await?;
    assert_eq!(rsv.close_code().await?, 1002);
    ts.server.shutdown().await;
    Ok(())
}
