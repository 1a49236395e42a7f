//! Moderation over the API (docs/api.md, "Moderation"), seen from every screen: a rename
//! reaches the participants' and the displays' scoreboards; a removed participant's socket
//! closes with 4003, their vote leaves the tally, their seat cannot be rejoined; a hidden
//! word leaves the displays' cloud; blocked words refuse names and words; only staff who
//! control the meeting may do any of it. Also the flag sheet's route (`…/flags`).

use anyhow::Context;
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

const CODE: &str = "Pour1nf0";

/// [`TestServer::call`], or the same call without any credentials (`token: None`).
async fn call(
    ts: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> anyhow::Result<(StatusCode, Value)> {
    if let Some(token) = token {
        return ts.call(method, path, token, body).await;
    }
    let mut req = ts.http.request(method, ts.url(path));
    if let Some(body) = body {
        req = req.json(&body);
    }
    let res = req.send().await?;
    let status = res.status();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

/// A join with an optional `lk_participant` cookie: status and body.
async fn join_with(
    ts: &TestServer,
    meeting: i64,
    name: &str,
    cookie: Option<&str>,
) -> anyhow::Result<(StatusCode, Value)> {
    let mut req = ts
        .http
        .post(ts.url(&format!("/api/meetings/{meeting}/join")))
        .json(&json!({"code": CODE, "name": name}));
    if let Some(token) = cookie {
        req = req.header(reqwest::header::COOKIE, format!("lk_participant={token}"));
    }
    let res = req.send().await?;
    let status = res.status();
    Ok((status, res.json().await.unwrap_or(Value::Null)))
}

/// The demo meeting with an organizer socket, a display socket and two participants, Ada
/// and Bob, connected.
struct Room {
    ts: TestServer,
    meeting: i64,
    admin: String,
    org: Client,
    display: Client,
    ada: (i64, String, Client),
    bob: (i64, String, Client),
}

impl Room {
    async fn open(tag: &str) -> anyhow::Result<Room> {
        let ts = TestServer::start(tag).await?;
        let meeting = ts.demo_meeting().await?;
        let admin = ts.admin_token().await?;
        let org = ts.connect(meeting, &admin).await?;
        let display = ts
            .connect(meeting, &ts.display_token(meeting).await?)
            .await?;
        let (ada_id, ada_token) = ts.join(meeting, CODE, "Ada").await?;
        let ada = ts.connect(meeting, &ada_token).await?;
        let (bob_id, bob_token) = ts.join(meeting, CODE, "Bob").await?;
        let bob = ts.connect(meeting, &bob_token).await?;
        Ok(Room {
            ts,
            meeting,
            admin,
            org,
            display,
            ada: (ada_id, ada_token, ada),
            bob: (bob_id, bob_token, bob),
        })
    }

    fn path(&self, tail: &str) -> String {
        format!("/api/meetings/{}{tail}", self.meeting)
    }

    async fn staff(
        &self,
        method: Method,
        tail: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.ts
            .call(method, &self.path(tail), &self.admin, body)
            .await
    }

    /// Starts the meeting and moves on to the first activity of this kind (not the first
    /// one), opens it, and waits until both participants see it open.
    async fn open_activity(&mut self, kind: &str) -> anyhow::Result<i64> {
        ok(&self.org.control("start").await?)?;
        self.org.wait_status("ongoing").await?;
        let mut position = 0;
        while self.org.state["question"]["kind"] != kind {
            ok(&self.org.control("next").await?)?;
            position += 1;
            self.org.wait_state(|s| s["position"] == position).await?;
        }
        ok(&self.org.control("start").await?)?;
        let q = self.org.wait_open(kind).await?["question"]["id"]
            .as_i64()
            .unwrap_or(-1);
        self.ada.2.wait_open(kind).await?;
        self.bob.2.wait_open(kind).await?;
        Ok(q)
    }
}

/// Waits until the latest `participants` count (maybe already received) is `n`.
async fn wait_online(c: &mut Client, n: u64) -> anyhow::Result<()> {
    let latest = c
        .frames
        .iter()
        .rev()
        .find(|f| f["type"] == "participants")
        .map(|f| f["count"].clone());
    if latest != Some(json!(n)) {
        c.wait_for(|v| v["type"] == "participants" && v["count"] == n)
            .await?;
    }
    Ok(())
}

/// A tally's `counts` with `votes` on `choice` and none elsewhere.
fn counts(choices: &[i64], choice: i64, votes: u64) -> Value {
    let mut c = serde_json::Map::new();
    for id in choices {
        c.insert(id.to_string(), json!(if *id == choice { votes } else { 0 }));
    }
    Value::Object(c)
}

fn has_name(board: &Value, name: &str) -> bool {
    board
        .as_array()
        .is_some_and(|rows| rows.iter().any(|r| r["name"] == name))
}

fn has_word(words: &Value, word: &str) -> bool {
    words.as_array().is_some_and(|w| {
        w.iter().any(|w| {
            w["text"]
                .as_str()
                .is_some_and(|t| t.eq_ignore_ascii_case(word))
        })
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_reaches_every_scoreboard() -> anyhow::Result<()> {
    let mut room = Room::open("mod-rename").await?;
    let ada = room.ada.0;
    ok(&room.org.control("start").await?)?;
    ok(&room.org.control("scoreboard").await?)?;
    room.display.wait_status("scoreboard").await?;
    room.bob.2.wait_status("scoreboard").await?;

    let (status, body) = room
        .staff(
            Method::PUT,
            &format!("/participants/{ada}"),
            Some(json!({"name": "  Ada   Lovelace "})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body, json!({"attendee_id": ada, "name": "Ada Lovelace"}));
    // (Her own `you.name` is the connection's copy from its first snapshot: it changes at her
    // next connection, not here.)
    room.ada
        .2
        .wait_state(|s| has_name(&s["scoreboard"], "Ada Lovelace"))
        .await
        .context("Ada's own scoreboard")?;
    let s = room
        .bob
        .2
        .wait_state(|s| has_name(&s["scoreboard"], "Ada Lovelace"))
        .await
        .context("Bob's scoreboard")?;
    assert!(!has_name(&s["scoreboard"], "Ada"), "the old name is gone");
    room.display
        .wait_state(|s| has_name(&s["scoreboard"], "Ada Lovelace"))
        .await
        .context("the display's scoreboard")?;
    room.org
        .wait_state(|s| has_name(&s["scoreboard"], "Ada Lovelace"))
        .await
        .context("the staff scoreboard")?;
    let (_, list) = room.staff(Method::GET, "/participants", None).await?;
    let row = list
        .as_array()
        .and_then(|l| l.iter().find(|r| r["attendee_id"] == ada))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        (
            &row["name"],
            &row["platform"],
            &row["online"],
            &row["score"]
        ),
        (
            &json!("Ada Lovelace"),
            &json!("room"),
            &json!(true),
            &json!(0)
        ),
        "{list}"
    );

    // The name rules of joining apply.
    for (name, code) in [("   ", "bad_request"), (&*"x".repeat(41), "bad_request")] {
        let (status, body) = room
            .staff(
                Method::PUT,
                &format!("/participants/{ada}"),
                Some(json!({ "name": name })),
            )
            .await?;
        assert_eq!(
            (status, body["error"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code))
        );
    }
    let (status, body) = room
        .staff(
            Method::PUT,
            "/participants/999999",
            Some(json!({"name": "Nobody"})),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::NOT_FOUND, Some("not_found"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_removed_participant_is_out_for_good() -> anyhow::Result<()> {
    let mut room = Room::open("mod-remove").await?;
    let (bob, bob_token) = (room.bob.0, room.bob.1.clone());
    let poll = room.open_activity("poll").await?;
    let choices = choice_ids(&room.org.state);
    let first = choices[0];
    ok(&room.ada.2.vote(poll, first).await?)?;
    ok(&room.bob.2.vote(poll, first).await?)?;
    let two = counts(&choices, first, 2);
    room.org.wait_counts(poll, &two).await?;
    wait_online(&mut room.org, 2).await?;

    let (status, body) = room
        .staff(Method::DELETE, &format!("/participants/{bob}"), None)
        .await?;
    assert_eq!((status, body), (StatusCode::OK, json!({"removed": bob})));
    assert_eq!(room.bob.2.close_code().await?, 4003, "closed as removed");

    // His vote no longer counts, for staff and displays alike.
    let one = counts(&choices, first, 1);
    room.org.wait_counts(poll, &one).await?;
    room.display.wait_counts(poll, &one).await?;
    wait_online(&mut room.org, 1).await?;
    let (_, list) = room.staff(Method::GET, "/participants", None).await?;
    let ids: Vec<i64> = list
        .as_array()
        .map(|l| l.iter().filter_map(|r| r["attendee_id"].as_i64()).collect())
        .unwrap_or_default();
    assert_eq!(ids, vec![room.ada.0], "{list}");
    let (status, body) = room
        .staff(Method::DELETE, &format!("/participants/{bob}"), None)
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::GONE, Some("removed"))
    );

    // His session ended: no socket, no seat; joining again with the old cookie is a new seat.
    let refused = room.ts.connect(room.meeting, &bob_token).await;
    assert!(
        refused
            .as_ref()
            .err()
            .is_some_and(|e| e.to_string().contains("401")),
        "{:?}",
        refused.err()
    );
    let seat = room
        .ts
        .http
        .get(room.ts.url(&room.path("/seat")))
        .header(
            reqwest::header::COOKIE,
            format!("lk_participant={bob_token}"),
        )
        .send()
        .await?;
    assert_eq!(seat.status(), StatusCode::UNAUTHORIZED);
    let (status, again) = join_with(&room.ts, room.meeting, "Bob", Some(&bob_token)).await?;
    assert_eq!(status, StatusCode::OK, "{again}");
    let new_id = again["attendee_id"].as_i64().unwrap_or(-1);
    assert!(new_id > 0 && new_id != bob, "a new seat: {again}");
    // The new seat votes afresh; the old vote stays out.
    let token = again["token"].as_str().unwrap_or_default().to_string();
    let mut back = room.ts.connect(room.meeting, &token).await?;
    assert_eq!(back.state["you"]["answer"], Value::Null, "{}", back.state);
    ok(&back.vote(poll, first).await?)?;
    room.org.wait_counts(poll, &two).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hidden_word_leaves_every_cloud() -> anyhow::Result<()> {
    let mut room = Room::open("mod-words").await?;
    let cloud = room.open_activity("wordcloud").await?;
    ok(&room.ada.2.word(cloud, "Rust").await?)?;
    ok(&room.bob.2.word(cloud, "rust").await?)?;
    ok(&room.bob.2.word(cloud, "fun").await?)?;
    room.display
        .wait_words(cloud, |w| has_word(w, "rust") && has_word(w, "fun"))
        .await?;
    let hidden = format!("/activities/{cloud}/hidden_words");

    let (status, body) = room
        .staff(Method::POST, &hidden, Some(json!({"word": "RUST"})))
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(has_plain(&body["words"], "rust"), "{body}");
    let w = room
        .display
        .wait_words(cloud, |w| !has_word(w, "rust"))
        .await?;
    assert!(has_word(&w, "fun"), "only the hidden word left: {w}");
    room.ada
        .2
        .wait_words(cloud, |w| !has_word(w, "rust"))
        .await?;
    room.org.wait_words(cloud, |w| !has_word(w, "rust")).await?;
    let (status, body) = room.staff(Method::GET, &hidden, None).await?;
    assert_eq!(status, StatusCode::OK);
    assert!(has_plain(&body["words"], "rust"), "{body}");
    let (status, body) = room
        .staff(Method::DELETE, &format!("{hidden}/rust"), None)
        .await?;
    assert_eq!((status, &body["words"]), (StatusCode::OK, &json!([])));
    room.display
        .wait_words(cloud, |w| has_word(w, "rust"))
        .await?;
    let (status, _) = room
        .staff(
            Method::POST,
            "/activities/999999/hidden_words",
            Some(json!({"word": "x"})),
        )
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

fn has_plain(words: &Value, word: &str) -> bool {
    words.as_array().is_some_and(|w| {
        w.iter()
            .any(|w| w.as_str().is_some_and(|t| t.eq_ignore_ascii_case(word)))
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocked_words_refuse_names_and_words() -> anyhow::Result<()> {
    let mut room = Room::open("mod-blocked").await?;
    let cloud = room.open_activity("wordcloud").await?;
    let (status, body) = room
        .staff(
            Method::PUT,
            "/blocked_words",
            Some(json!({"words": [" spam ", "bad word", ""]})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["words"], json!(["spam", "bad word"]));
    let (_, plan) = room.staff(Method::GET, "/plan", None).await?;
    assert_eq!(plan["blocked_words"], json!(["spam", "bad word"]));

    // Names: whole words, any case.
    let (status, body) = join_with(&room.ts, room.meeting, "SPAM king", None).await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("blocked_word"))
    );
    let (status, _) = join_with(&room.ts, room.meeting, "Spammer", None).await?;
    assert_eq!(status, StatusCode::OK, "only whole words");
    let ada = room.ada.0;
    let (status, body) = room
        .staff(
            Method::PUT,
            &format!("/participants/{ada}"),
            Some(json!({"name": "Bad Word Ada"})),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("blocked_word"))
    );

    // Words.
    assert_eq!(
        error_code(&room.ada.2.word(cloud, "Spam").await?),
        "blocked_word"
    );
    assert_eq!(
        error_code(&room.ada.2.word(cloud, "a bad  word").await?),
        "blocked_word"
    );
    ok(&room.ada.2.word(cloud, "spammy").await?)?;

    // The file's rules apply to the list; clearing it lifts the block.
    let (status, body) = room
        .staff(
            Method::PUT,
            "/blocked_words",
            Some(json!({"words": ["y".repeat(41)]})),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_plan"))
    );
    let (status, _) = room
        .staff(Method::PUT, "/blocked_words", Some(json!({"words": []})))
        .await?;
    assert_eq!(status, StatusCode::OK);
    ok(&room.bob.2.word(cloud, "spam").await?)?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_staff_who_control_the_meeting_moderate() -> anyhow::Result<()> {
    let room = Room::open("mod-refused").await?;
    let (ada, ada_token) = (room.ada.0, room.ada.1.clone());
    let display = room.ts.display_token(room.meeting).await?;
    let (_, olga) = room.ts.organizer("olga").await?;
    let word = Some(json!({"word": "x"}));
    let routes: Vec<(Method, String, Option<Value>)> = vec![
        (Method::GET, "/participants".into(), None),
        (
            Method::PUT,
            format!("/participants/{ada}"),
            Some(json!({"name": "Eve"})),
        ),
        (Method::DELETE, format!("/participants/{ada}"), None),
        (Method::GET, "/activities/1/hidden_words".into(), None),
        (Method::POST, "/activities/1/hidden_words".into(), word),
        (Method::DELETE, "/activities/1/hidden_words/x".into(), None),
        (
            Method::PUT,
            "/blocked_words".into(),
            Some(json!({"words": ["x"]})),
        ),
        (Method::GET, "/flags".into(), None),
    ];
    for (method, tail, body) in routes {
        let path = room.path(&tail);
        for (who, token, expected) in [
            ("nobody", None, StatusCode::UNAUTHORIZED),
            (
                "a participant",
                Some(ada_token.as_str()),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "a display link",
                Some(display.as_str()),
                StatusCode::UNAUTHORIZED,
            ),
            (
                "another organizer",
                Some(olga.as_str()),
                StatusCode::FORBIDDEN,
            ),
        ] {
            let (status, answer) =
                call(&room.ts, method.clone(), &path, token, body.clone()).await?;
            assert_eq!(status, expected, "{who}: {method} {path} → {answer}");
        }
    }
    // Nothing changed.
    let (_, list) = room.staff(Method::GET, "/participants", None).await?;
    assert!(has_name(&list, "Ada") && has_name(&list, "Bob"), "{list}");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flag_sheet_links_claim_their_flag() -> anyhow::Result<()> {
    let mut room = Room::open("mod-flags").await?;
    let res = room
        .ts
        .http
        .get(room.ts.url(&room.path("/flags")))
        .bearer_auth(&room.admin)
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()
            .get(reqwest::header::CACHE_CONTROL)
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "the codes are never cached"
    );
    let flags: Value = res.json().await?;
    let rows = flags.as_array().cloned().unwrap_or_default();
    assert_eq!(rows.len(), 1, "{flags}");
    let flag = &rows[0];
    assert_eq!(
        (
            &flag["name"],
            &flag["points"],
            &flag["first_blood"],
            &flag["flag"]
        ),
        (
            &json!("Welcome flag"),
            &json!(5),
            &json!(3),
            &json!("LibreKast{hello-world}")
        )
    );
    assert!(flag["id"].as_i64().is_some(), "{flag}");
    let url = flag["url"].as_str().unwrap_or_default();
    assert_eq!(
        url,
        format!(
            "{}/?meeting={}&flag=LibreKast%7Bhello-world%7D",
            room.ts.server.url(),
            room.meeting
        )
    );
    let svg = flag["qr_svg"].as_str().unwrap_or_default();
    assert!(svg.contains("<svg") && svg.contains("</svg>"), "{svg}");

    // What the link carries is a flag a participant can submit as is.
    let typed = url
        .split("flag=")
        .nth(1)
        .unwrap_or_default()
        .replace("%7B", "{")
        .replace("%7D", "}");
    let ack = room.ada.2.flag(&typed).await?;
    ok(&ack)?;
    assert_eq!(ack["flag"]["points"], 8, "points and first blood: {ack}");

    let (status, _) = call(
        &room.ts,
        Method::GET,
        "/api/meetings/999999/flags",
        Some(&room.admin),
        None,
    )
    .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

/// A moderator's rename survives the participant's next answer from the connection they
/// already had open (which authenticated under the old name), and that connection's own
/// `you` shows the new name at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rename_survives_the_next_answer() -> anyhow::Result<()> {
    let mut room = Room::open("mod-rename-sticks").await?;
    let ada = room.ada.0;
    let poll = room.open_activity("poll").await?;
    let (status, _) = room
        .staff(
            Method::PUT,
            &format!("/participants/{ada}"),
            Some(json!({"name": "Ada Lovelace"})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    room.ada
        .2
        .wait_state(|s| s["you"]["name"] == "Ada Lovelace")
        .await?;
    let first = choice_ids(&room.org.state)[0];
    ok(&room.ada.2.vote(poll, first).await?)?;
    let (_, list) = room.staff(Method::GET, "/participants", None).await?;
    assert!(
        has_name(&list, "Ada Lovelace"),
        "the old name is back: {list}"
    );
    Ok(())
}
