//! The meeting editor's REST API end to end (docs/api.md, "Meetings and their plan"):
//! create, list, the plan with ids, edits of a running meeting reaching every screen, what
//! was reached locked, every problem reported with its field, duplicate, reset, delete,
//! sharing, the Markdown preview and GIFT import.

use librekast_storage::MeetingId;
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

fn plan() -> Value {
    json!({
        "title": "Editor test",
        "code": "ed1tor",
        "activities": [
            {"kind": "text", "title": "Hello", "description": "**bold** <script>x</script>", "markup": "markdown"},
            {"kind": "poll", "title": "Pick", "choices": [{"text": "One"}, {"text": "Two"}]},
            {"kind": "quiz", "title": "Right?", "choices": [{"text": "No"}, {"text": "Yes", "correct": true}]},
            {"kind": "wordcloud", "title": "Words"}
        ],
        "flags": [{"name": "Sticker", "code": "desk", "points": 5}]
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn meetings_are_created_edited_and_listed_over_the_api() -> anyhow::Result<()> {
    let ts = TestServer::start("editor-api").await?;
    let admin = ts.admin_token().await?;
    let olga = ts.organizer("olga").await?.1;

    // Created by an organizer, who owns it; slugs generated.
    let (status, created) = ts
        .call(Method::POST, "/api/meetings", &olga, Some(plan()))
        .await?;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let id = created["id"].as_i64().unwrap_or_default();
    let (_, stored) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            None,
        )
        .await?;
    assert_eq!(stored["activities"][1]["choices"][1]["slug"], "b");
    assert!(
        stored["activities"][1]["id"].is_i64()
            && stored["activities"][1]["choices"][0]["id"].is_i64()
    );
    assert!(stored["flags"][0]["id"].is_i64());
    assert_eq!(stored["activities"][0]["markup"], "markdown");

    // Lists: the owner and admins see it, another organizer does not.
    let (status, mine) = ts
        .call(Method::GET, "/api/meetings?status=all", &olga, None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    let titles: Vec<&str> = mine
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["title"].as_str())
        .collect();
    assert_eq!(titles, ["Editor test"], "an organizer sees only theirs");
    assert_eq!(mine[0]["owner"], "olga");
    assert_eq!(mine[0]["can_manage"], true);
    let (_, all) = ts
        .call(Method::GET, "/api/meetings?status=upcoming", &admin, None)
        .await?;
    assert!(
        all.as_array().is_some_and(|l| l.len() >= 2),
        "admins see every meeting: {all}"
    );
    let (_, finished) = ts
        .call(Method::GET, "/api/meetings?status=finished", &admin, None)
        .await?;
    assert_eq!(finished, json!([]));
    let otto = ts.organizer("otto").await?.1;
    let (status, _) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &otto,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = ts
        .call(Method::GET, "/api/meetings?status=nope", &olga, None)
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    let res = ts
        .http
        .get(ts.url("/api/meetings?status=all"))
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    // Every problem at once, each with its field.
    let mut broken = stored.clone();
    broken["title"] = json!(" ");
    broken["activities"][2]["choices"][1]["correct"] = json!(false);
    broken["flags"][0]["points"] = json!(-1);
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            Some(broken),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"], "invalid_plan");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["field"].as_str())
        .collect();
    assert_eq!(
        fields,
        ["title", "activities[2].choices", "flags[0].points"],
        "{body}"
    );
    assert!(
        body["errors"][1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("correct"))
    );

    // A plan of 350 KiB fits (bodies up to 1 MiB); 2 MiB does not.
    let mut big = stored.clone();
    big["activities"][0]["description"] = json!("x".repeat(19_000));
    for _ in 0..15 {
        let mut slide = big["activities"][0].clone();
        if let Some(o) = slide.as_object_mut() {
            o.remove("id");
        }
        if let Some(a) = big["activities"].as_array_mut() {
            a.push(slide);
        }
    }
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            Some(big),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["activities"].as_array().map(Vec::len), Some(19));
    // Over 1 MiB is refused from the header alone (the body is never sent: a client still
    // writing it when the server answers could see a reset instead of the answer).
    let head = format!(
        "POST /api/meetings HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {olga}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        ts.server.addr,
        (1 << 20) + 1
    );
    let mut tcp = tokio::net::TcpStream::connect(ts.server.addr).await?;
    tokio::io::AsyncWriteExt::write_all(&mut tcp, head.as_bytes()).await?;
    let mut answer = vec![0u8; 64];
    let n = tokio::time::timeout(
        TIMEOUT,
        tokio::io::AsyncReadExt::read(&mut tcp, &mut answer),
    )
    .await??;
    let line = String::from_utf8_lossy(&answer[..n]).to_string();
    assert!(line.starts_with("HTTP/1.1 413"), "{line}");

    // Back to the four activities (the new slides left out are deleted).
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            Some(stored.clone()),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["activities"], stored["activities"]);

    // A flag code longer than a submission can carry is refused; a full list of blocked
    // words (over the 16 KiB of most bodies) is taken.
    let mut long_flag = stored.clone();
    long_flag["flags"][0]["code"] = json!("c".repeat(101));
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            Some(long_flag),
        )
        .await?;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["errors"][0]["field"], "flags[0].code", "{body}");
    let words: Vec<String> = (0..1000)
        .map(|i| format!("blocked{i:04}{}", "w".repeat(28)))
        .collect();
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/blocked_words"),
            &olga,
            Some(json!({"words": words})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, plan) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            None,
        )
        .await?;
    assert_eq!(plan["blocked_words"].as_array().map(Vec::len), Some(1000));

    // Not a meeting file at all.
    let (status, body) = ts
        .call(
            Method::POST,
            "/api/meetings",
            &olga,
            Some(json!({"title": "x", "corect": 1})),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("bad_request"))
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_running_meeting_takes_edits_at_once_and_locks_what_it_reached() -> anyhow::Result<()> {
    let ts = TestServer::start("editor-running").await?;
    let admin = ts.admin_token().await?;
    let (_, created) = ts
        .call(Method::POST, "/api/meetings", &admin, Some(plan()))
        .await?;
    let id = created["id"].as_i64().unwrap_or_default();
    let (_, stored) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            None,
        )
        .await?;

    let mut staff = ts.connect(id, &admin).await?;
    let display = ts.display_token(id).await?;
    let mut screen = ts.connect(id, &display).await?;
    let (_, token) = ts.join(id, "ed1tor", "Ada").await?;
    let mut phone = ts.connect(id, &token).await?;
    let first = screen.wait_state(|_| true).await?;
    assert!(
        first["question"].is_null()
            || first["question"]["description_html"]
                .as_str()
                .is_some_and(|h| !h.contains("<script>")),
        "{first}"
    );
    ok(&staff.control("start").await?)?;
    ok(&staff.control("next").await?)?;
    let shown = staff.wait_state(|s| s["position"] == 1).await?;
    assert_eq!(shown["plan"].as_array().map(Vec::len), Some(4));
    let slide = phone
        .wait_state(|s| s["status"] == "ongoing" || s["position"] == 1)
        .await?;
    let _ = slide;
    let (_, editing) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/editing"),
            &admin,
            None,
        )
        .await?;
    assert_eq!(editing["reached"], 2, "{editing}");
    assert_eq!(editing["captured_flags"], json!([]));
    ok(&phone.flag("LibreKast{desk}").await?)?;
    let (_, editing) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/editing"),
            &admin,
            None,
        )
        .await?;
    assert_eq!(editing["captured_flags"], json!([stored["flags"][0]["id"]]));

    // The poll (reached) cannot change; the quiz (not reached) can, and every screen sees it.
    let mut locked = stored.clone();
    locked["activities"][1]["title"] = json!("Pick again");
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            Some(locked),
        )
        .await?;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert_eq!(
        (body["error"].as_str(), body["field"].as_str()),
        (Some("plan_locked"), Some("activities[1]"))
    );
    let mut deleted = stored.clone();
    if let Some(a) = deleted["activities"].as_array_mut() {
        a.remove(0);
    }
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            Some(deleted),
        )
        .await?;
    assert_eq!(
        (status, body["field"].as_str()),
        (StatusCode::CONFLICT, Some("activities[0]"))
    );

    let mut edit = stored.clone();
    edit["activities"][2]["title"] = json!("Really right?");
    if let Some(a) = edit["activities"].as_array_mut() {
        a.remove(3);
    }
    edit["code"] = json!("n3wcode");
    let (status, body) = ts
        .call(
            Method::PUT,
            &format!("/api/meetings/{id}/plan"),
            &admin,
            Some(edit),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let titles = |s: &Value| -> Vec<String> {
        s["plan"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|p| p["title"].as_str().map(str::to_owned))
            .collect()
    };
    let seen = staff
        .wait_state(|s| s["plan"].as_array().map(Vec::len) == Some(3))
        .await?;
    assert_eq!(titles(&seen), ["Hello", "Pick", "Really right?"]);
    screen.wait_state(|s| s["activity_count"] == 3).await?;
    phone.wait_state(|s| s["activity_count"] == 3).await?;
    // The new join code works at once; the old one no longer does.
    assert!(ts.join(id, "ed1tor", "Bob").await.is_err());
    ts.join(id, "n3wcode", "Bob").await?;

    // The edited quiz plays as edited.
    ok(&staff.control("next").await?)?;
    ok(&staff.control("start").await?)?;
    let quiz = phone.wait_open("quiz").await?;
    assert_eq!(quiz["question"]["title"], "Really right?");
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn duplicate_reset_delete_and_sharing() -> anyhow::Result<()> {
    let ts = TestServer::start("editor-lifecycle").await?;
    let olga = ts.organizer("olga").await?.1;
    let otto = ts.organizer("otto").await?.1;
    let (_, created) = ts
        .call(Method::POST, "/api/meetings", &olga, Some(plan()))
        .await?;
    let id = created["id"].as_i64().unwrap_or_default();

    // Shared with otto: he controls and edits it, but neither deletes nor shares it.
    let (status, body) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{id}/staff"),
            &olga,
            Some(json!({"username": "otto"})),
        )
        .await?;
    assert_eq!(
        (status, body["shared_with"].clone()),
        (StatusCode::OK, json!(["otto"]))
    );
    let (status, _) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &otto,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = ts
        .call(Method::DELETE, &format!("/api/meetings/{id}"), &otto, None)
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{id}/staff"),
            &otto,
            Some(json!({"username": "otto"})),
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, _) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{id}/staff"),
            &olga,
            Some(json!({"username": "nobody"})),
        )
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A copy is otto's own.
    let (status, copy) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{id}/duplicate"),
            &otto,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::CREATED);
    let copy = copy["id"].as_i64().unwrap_or_default();
    let (_, copied) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{copy}/plan"),
            &otto,
            None,
        )
        .await?;
    assert_eq!(copied["title"], "Editor test (copy)");
    assert_eq!(copied["activities"].as_array().map(Vec::len), Some(4));
    let (_, list) = ts
        .call(Method::GET, "/api/meetings?status=all", &otto, None)
        .await?;
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");

    // Stop sharing: otto loses the original.
    let (status, body) = ts
        .call(
            Method::DELETE,
            &format!("/api/meetings/{id}/staff/otto"),
            &olga,
            None,
        )
        .await?;
    assert_eq!(
        (status, body["shared_with"].clone()),
        (StatusCode::OK, json!([]))
    );
    let (status, _) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &otto,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::FORBIDDEN);

    // Reset: a played meeting goes back to before, without attendees or answers.
    let mut staff = ts.connect(id, &olga).await?;
    let (ada, token) = ts.join(id, "ed1tor", "Ada").await?;
    let mut phone = ts.connect(id, &token).await?;
    for action in ["start", "next", "start"] {
        ok(&staff.control(action).await?)?;
    }
    let poll = phone.wait_open("poll").await?;
    let choice = choice_ids(&poll)[0];
    let question = poll["question"]["id"].as_i64().unwrap_or_default();
    ok(&phone.vote(question, choice).await?)?;
    let (status, body) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{id}/reset"),
            &olga,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        phone.close_code().await?,
        1013,
        "connections close with try again"
    );
    let stored = ts.stored(id).await?;
    assert_eq!(
        stored.meeting.status,
        librekast_storage::MeetingStatus::Before
    );
    assert!(stored.attendees.is_empty() && stored.votes.is_empty());
    assert_eq!(stored.activities.len(), 4, "the plan stays");
    // Ada's seat is gone: her old token opens nothing; joining again gives a new seat.
    assert!(ts.connect(id, &token).await.is_err());
    let (again, _) = ts.join(id, "ed1tor", "Ada").await?;
    assert_ne!(again, ada);

    // Delete: gone for everyone; a second delete is 404.
    let (status, _) = ts
        .call(Method::DELETE, &format!("/api/meetings/{id}"), &olga, None)
        .await?;
    assert_eq!(status, StatusCode::OK);
    assert!(
        ts.server
            .engine
            .store()
            .meeting(MeetingId(id))
            .await?
            .is_none()
    );
    let (status, _) = ts
        .call(Method::DELETE, &format!("/api/meetings/{id}"), &olga, None)
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{id}/plan"),
            &olga,
            None,
        )
        .await?;
    assert_eq!(status, StatusCode::NOT_FOUND);
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn markdown_preview_and_gift_import() -> anyhow::Result<()> {
    let ts = TestServer::start("editor-markup").await?;
    let admin = ts.admin_token().await?;
    let (status, body) = ts.call(Method::POST,
        "/api/markup/preview",
        &admin,
        Some(json!({"markup": "markdown", "text": "**Hi** <b onclick=x>there</b> [x](javascript:alert(1))"})),
    )
    .await?;
    assert_eq!(status, StatusCode::OK);
    let html = body["html"].as_str().unwrap_or_default();
    assert!(html.contains("<strong>Hi</strong>"), "{html}");
    assert!(
        html.contains("&lt;b onclick=x&gt;") && !html.contains("javascript:"),
        "{html}"
    );
    let (_, plain) = ts
        .call(
            Method::POST,
            "/api/markup/preview",
            &admin,
            Some(json!({"text": "**Hi**"})),
        )
        .await?;
    assert_eq!(plain["html"], "<p>**Hi**</p>");
    let res = ts
        .http
        .post(ts.url("/api/markup/preview"))
        .json(&json!({"text": "x"}))
        .send()
        .await?;
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let gift = "// a comment\n::Q1:: Who is buried in Grant's tomb? {~Grant ~Jefferson =no one}\n\nGrant was born in 1822. {T}\n\nTwo plus {=two =2} equals four.\n\n::M:: Match {=a -> b =c -> d}";
    let (status, body) = ts
        .call(
            Method::POST,
            "/api/import/gift",
            &admin,
            Some(json!({"text": gift})),
        )
        .await?;
    assert_eq!(status, StatusCode::OK, "{body}");
    let kinds: Vec<&str> = body["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["kind"].as_str())
        .collect();
    assert_eq!(kinds, ["quiz", "quiz", "wordcloud"]);
    assert_eq!(body["activities"][0]["choices"][2]["correct"], true);
    assert_eq!(body["skipped"].as_array().map(Vec::len), Some(1), "{body}");
    // What GIFT gives is a valid plan.
    let file = json!({"title": "From Moodle", "code": "moodle", "activities": body["activities"]});
    let (status, _) = ts
        .call(Method::POST, "/api/meetings", &admin, Some(file))
        .await?;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = ts
        .call(
            Method::POST,
            "/api/import/gift",
            &admin,
            Some(json!({"text": "Broken {~a =b"})),
        )
        .await?;
    assert_eq!(
        (status, body["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_gift"))
    );
    assert_eq!(body["line"], 1);
    Ok(())
}
