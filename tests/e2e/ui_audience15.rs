//! The audience's screens for issue 15 (docs/protocol.md): open questions, audience Q&A,
//! images, the lobby, the presenter's sound cues, poll results hidden until the reveal and
//! a speed quiz's leaderboard, against the real server.
//!
//! - Before the start the presenter shows the join screen with the lobby: the count and
//!   the names of the people joining (newest first), also a phone joining in the browser.
//! - An open question: the phone's answer box (counter, Send, what was given and whether
//!   it is on the screen, also after a reload, each refusal said); the presenter's wall
//!   shows approved answers only (approved by a staff WebSocket), long ones wrapped.
//! - A Q&A: the phone asks (Ctrl+Enter), sees its question waiting for approval, upvotes
//!   (pressed and disabled, also after a reload) and its own question marked once
//!   approved; the presenter shows the pinned question large, then the others with their
//!   numbers and votes, answered ones marked; twenty long questions fit; the overlay
//!   shows the pinned one.
//! - An image (uploaded to the media store) with its alt text on the phone and the
//!   presenter, beside the choices.
//! - The sound cues: the "click to enable sound" hint, then `start`, `reveal` and
//!   `podium` counted in `body.dataset.cues`; muted with M (or by staff) nothing plays.
//! - A poll with hidden results: the phone says the results come at the reveal, the
//!   presenter counts answers only; the reveal shows the bars.
//! - A speed quiz of eight choices: the leaderboard beside the bars, with rank moves and
//!   points gained.
//!
//! The presenter fits 1920×1080 and 1280×720 throughout. Screenshots:
//! `target/screenshots/aud15-*`, copied to /tmp/lk15-shots/.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use librekast_storage::MeetingFile;
use librekast_tests::browser::{
    self, Size, js, no_errors as clean, presenter_fits as fits, press as tap, settle, text_of,
    wait_js,
};
use librekast_tests::*;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

const CODE: &str = "AMA15";

/// 280 characters without a space: must wrap, never widen anything.
fn no_spaces() -> String {
    "Supercalifragilisticexpialidocious".repeat(9)[..280].to_string()
}

/// 280 characters of a real answer, with an emoji.
const LONG: &str = "I expect concrete examples of how the new planning process will change our day-to-day work, not only the slides about strategy, and honestly a clear answer on whether the Friday deploy freeze stays, because half of my team asked me about it this week already! 🙏 Thanks a lot, team";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/media")
        .join(name)
}

/// A server with a media store (images need one).
async fn server_with_media(tag: &str) -> anyhow::Result<TestServer> {
    let dir = std::env::temp_dir().join(format!("librekast-{tag}-{}", std::process::id()));
    let config = librekast_web::Config::for_tests(&temp_sqlite_url(tag))
        .with_data_dir(Some(&dir.to_string_lossy()))?;
    TestServer::start_with(config).await
}

/// Uploads a fixture image as the admin (`POST /api/media`); its id.
async fn upload(ts: &TestServer, admin: &str, name: &str) -> anyhow::Result<String> {
    let res = ts
        .http
        .post(ts.url("/api/media"))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(reqwest::header::CONTENT_TYPE, "image/png")
        .header("x-filename", name)
        .body(std::fs::read(fixture(name))?)
        .send()
        .await?;
    let status = res.status();
    let body: Value = res.json().await?;
    ensure!(status.is_success(), "upload refused: {status} {body}");
    body["id"]
        .as_str()
        .map(str::to_owned)
        .context("no media id")
}

async fn import(ts: &TestServer, file: Value) -> anyhow::Result<i64> {
    let file: MeetingFile = serde_json::from_value(file)?;
    Ok(ts.server.engine.store().import_meeting(&file).await?.0)
}

/// A screenshot once the page is still, also as /tmp/lk15-shots/aud15-NAME.png.
async fn shot(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    settle(d).await?;
    let path = browser::screenshot(d, &format!("aud15-{name}")).await?;
    let dir = Path::new("/tmp/lk15-shots");
    std::fs::create_dir_all(dir)?;
    std::fs::copy(&path, dir.join(format!("aud15-{name}.png")))?;
    Ok(())
}

/// Fits at 1280×720 and 1920×1080, with a screenshot at each (back at 1920×1080 after).
async fn fits_both(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    for size in [Size::Hd, Size::Projector] {
        browser::resize(d, size).await?;
        let (w, h) = size.viewport();
        fits(d, &format!("{name} at {w}x{h}")).await?;
        shot(d, &format!("{name}-{w}x{h}")).await?;
    }
    Ok(())
}

/// Waits until the JavaScript expression `expr` (evaluated in the page) is true.
async fn until(d: &WebDriver, expr: &str, what: &str) -> anyhow::Result<()> {
    wait_js(d, &format!("return !!({expr});"), what).await?;
    Ok(())
}

/// Puts `text` in the phone's answer box as typing does (an `input` event), for text a
/// driver cannot type (emoji, 280 characters).
async fn fill(d: &WebDriver, text: &str) -> anyhow::Result<()> {
    d.execute(
        "const a = document.getElementById('text-input'); a.value = arguments[0]; a.dispatchEvent(new Event('input', { bubbles: true })); return null;",
        vec![json!(text)],
    )
    .await?;
    Ok(())
}

/// The presenter's sound cues so far: (`dataset.cues`, `dataset.lastCue`).
async fn cues(d: &WebDriver) -> anyhow::Result<(i64, String)> {
    let v = js(
        d,
        "return [Number(document.body.dataset.cues || 0), document.body.dataset.lastCue || ''];",
    )
    .await?;
    Ok((
        v[0].as_i64().unwrap_or(-1),
        v[1].as_str().unwrap_or_default().to_string(),
    ))
}

/// Waits for the presenter to have played `n` cues, the last one `last`.
async fn cue(d: &WebDriver, n: i64, last: &str) -> anyhow::Result<()> {
    let script = format!(
        "return Number(document.body.dataset.cues || 0) === {n} && document.body.dataset.lastCue === {};",
        json!(last)
    );
    if wait_js(d, &script, &format!("cue {n} ({last})"))
        .await
        .is_err()
    {
        anyhow::bail!("cue {n} ({last}) never played: {:?}", cues(d).await?);
    }
    Ok(())
}

/// Next (unless first) and Start from the staff socket; the state once open.
async fn open(staff: &mut Client, first: bool, title: &str) -> anyhow::Result<Value> {
    if !first {
        ok(&staff.control("next").await?)?;
    }
    ok(&staff.control("start").await?)?;
    staff
        .wait_state(|s| s["status"] == "ongoing" && s["question"]["title"] == title)
        .await
}

/// The staff view's items of question `q` (from the latest `items` frame or `state`),
/// once `pred` holds for them.
async fn staff_items(
    staff: &mut Client,
    q: i64,
    pred: impl Fn(&[Value]) -> bool,
) -> anyhow::Result<Vec<Value>> {
    let items_of = |v: &Value| -> Option<Vec<Value>> {
        let it = if v["type"] == "items" {
            v
        } else if v["type"] == "state" {
            &v["items"]
        } else {
            return None;
        };
        (it["question_id"] == q).then(|| it["items"].as_array().cloned().unwrap_or_default())
    };
    // What already arrived first (the latest items frame or state).
    if let Some(items) = staff.frames.iter().rev().find_map(items_of)
        && pred(&items)
    {
        return Ok(items);
    }
    let v = staff
        .wait_for(|v| items_of(v).is_some_and(|items| pred(&items)))
        .await
        .context("the staff items never matched")?;
    Ok(items_of(&v).unwrap_or_default())
}

/// The id of the staff item whose text is `text`.
async fn item_id(staff: &mut Client, q: i64, text: &str) -> anyhow::Result<i64> {
    let items = staff_items(staff, q, |items| items.iter().any(|i| i["text"] == text)).await?;
    items
        .iter()
        .find(|i| i["text"] == text)
        .and_then(|i| i["id"].as_i64())
        .context("no such item")
}

async fn moderate(staff: &mut Client, q: i64, id: i64, action: &str) -> anyhow::Result<()> {
    let ack = staff
        .call(json!({"type": "moderate", "question_id": q, "item_id": id, "action": action}))
        .await?;
    ok(&ack).with_context(|| format!("moderate {action} #{id}"))
}

/// A phone in the browser, joined from the QR code's link.
async fn phone(
    chromium: &browser::Chromium,
    ts: &TestServer,
    meeting: i64,
    name: &str,
) -> anyhow::Result<WebDriver> {
    let d = chromium.session(Size::Mobile, "en").await?;
    d.goto(ts.url(&format!("/?meeting={meeting}&code={CODE}")))
        .await?;
    let field = browser::wait_for(&d, "#name", TIMEOUT).await?;
    field.send_keys(name).await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(&d, "#you-name", name, TIMEOUT).await?;
    Ok(d)
}

/// The presenter with a fresh display link, at 1920×1080.
async fn presenter(
    chromium: &browser::Chromium,
    ts: &TestServer,
    meeting: i64,
) -> anyhow::Result<WebDriver> {
    let token = ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    d.goto(ts.url(&format!("/present.html?meeting={meeting}&token={token}")))
        .await?;
    browser::wait_for(&d, "#body h1", TIMEOUT).await?;
    Ok(d)
}

/// The meeting of the first test: a slide with an image, an open question, a Q&A.
fn posts_meeting(image: &str, channel: &str) -> Value {
    json!({
        "title": "Ask me anything — open questions and Q&A 🎤",
        "code": CODE,
        "blocked_words": ["frobnicate"],
        "sources": [{"platform": "twitch", "channel": channel, "delay_secs": 0}],
        "activities": [
            {"kind": "text", "title": "Welcome! 👋", "image": image, "alt": "The LibreKast banner: a purple gradient"},
            {"kind": "text_answer", "title": "In one sentence: what do you expect from today? 💬"},
            {"kind": "qna", "title": "Your questions for the speaker 🎤"},
        ],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lobby_open_questions_and_qna_on_the_audience_screens() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = server_with_media("ui-aud15-posts").await?;
    let admin = ts.admin_token().await?;
    let image = upload(&ts, &admin, "banner.png").await?;
    let channel = format!("lk_aud15_{}", std::process::id() % 100_000);
    let meeting = import(&ts, posts_meeting(&image, &channel)).await?;
    let mut staff = ts.connect(meeting, &admin).await?;

    // The lobby: before the start, the join screen and who joined, newest first.
    let present = presenter(&chromium, &ts, meeting).await?;
    browser::wait_text(
        &present,
        "#lobby-count",
        "Waiting for the first people",
        TIMEOUT,
    )
    .await?;
    let mut people = Vec::new();
    for name in [
        "Grace",
        "Linus",
        "مريم",
        "Margaret Hamilton-Smith of Boston 🚀",
    ] {
        let (_, token) = ts.join(meeting, CODE, name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    browser::wait_text(&present, "#lobby-count", "4 people joined", TIMEOUT).await?;
    let p = phone(&chromium, &ts, meeting, "Ada").await?;
    browser::wait_text(&present, "#lobby-count", "5 people joined", TIMEOUT).await?;
    until(
        &present,
        "document.querySelector('#lobby-names .lobby-name')?.textContent === 'Ada'",
        "the newest name first",
    )
    .await?;
    let names = js(
        &present,
        "return [...document.querySelectorAll('#lobby-names .lobby-name')].map((n) => n.textContent);",
    )
    .await?;
    ensure!(
        names
            == json!([
                "Ada",
                "Margaret Hamilton-Smith of Boston 🚀",
                "مريم",
                "Linus",
                "Grace"
            ]),
        "the lobby's names: {names}"
    );
    fits_both(&present, "presenter-lobby").await?;
    browser::axe_audit(&present, "presenter, lobby").await?;

    // The slide with its image, on the phone and the presenter, with its alt text.
    open(&mut staff, true, "Welcome! 👋").await?;
    for (d, css) in [(&p, "#media img"), (&present, "#q-media img")] {
        until(
            d,
            &format!(
                "(() => {{ const i = document.querySelector({}); return i && i.complete && i.naturalWidth > 0 && i.alt === 'The LibreKast banner: a purple gradient' && i.getAttribute('src') === '/media/{image}'; }})()",
                json!(css)
            ),
            "the image loaded with its alt text",
        )
        .await?;
    }
    fits_both(&present, "presenter-slide-image").await?;
    shot(&p, "phone-slide-image-390x844").await?;

    // The open question.
    let s = open(
        &mut staff,
        false,
        "In one sentence: what do you expect from today? 💬",
    )
    .await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    browser::wait_for(&p, "#text-input", TIMEOUT).await?;
    browser::wait_text(&p, "#text-count", "0/280", TIMEOUT).await?;
    ensure!(
        js(
            &p,
            "return document.getElementById('answer-send').disabled;"
        )
        .await?
            == true,
        "Send is enabled with nothing written"
    );
    browser::wait_text(&present, "#items-empty", "No answers yet", TIMEOUT).await?;
    browser::wait_text(&present, "#chat-hint", "#your answer", TIMEOUT).await?;
    // Too long: counted, red, Send disabled.
    fill(&p, &format!("{} and more", no_spaces())).await?;
    browser::wait_text(&p, "#text-count", "289/280", TIMEOUT).await?;
    until(
        &p,
        "document.getElementById('text-count').classList.contains('over') && document.getElementById('answer-send').disabled",
        "the counter over the limit",
    )
    .await?;
    // A blocked word: the server's refusal, said beside Send.
    fill(&p, "").await?;
    browser::wait_for(&p, "#text-input", TIMEOUT)
        .await?
        .send_keys("Let us frobnicate the roadmap")
        .await?;
    browser::wait_text(&p, "#text-count", "29/280", TIMEOUT).await?;
    tap(&p, "#answer-send").await?;
    browser::wait_text(&p, "#pick-count", "not allowed in this meeting", TIMEOUT).await?;
    shot(&p, "phone-text-refused-390x844").await?;
    // The answer itself.
    fill(&p, LONG).await?;
    browser::wait_text(&p, "#text-count", "280/280", TIMEOUT).await?;
    browser::axe_audit(&p, "phone, open question").await?;
    shot(&p, "phone-text-typed-390x844").await?;
    tap(&p, "#answer-send").await?;
    browser::wait_text(&p, "#given .given-quote", LONG, TIMEOUT).await?;
    browser::wait_text(&p, "#given-status", "once a moderator approves it", TIMEOUT).await?;
    // The others answer over the WebSocket; a second answer is refused.
    let answers = [
        no_spaces(),
        "More coffee ☕".to_string(),
        "Demos, not slides".to_string(),
    ];
    for (i, text) in answers.iter().enumerate() {
        ok(&people[i]
            .call(json!({"type": "answer", "question_id": q, "text": text}))
            .await?)?;
    }
    let again = people[0]
        .call(json!({"type": "answer", "question_id": q, "text": "again"}))
        .await?;
    ensure!(
        error_code(&again) == "already_voted",
        "a second answer: {again}"
    );
    // Nothing approved: the presenter still shows none.
    browser::wait_text(&present, "#items-empty", "No answers yet", TIMEOUT).await?;
    // Staff approve three: the phone's, the one without spaces, "Demos".
    let mine = item_id(&mut staff, q, LONG).await?;
    let long = item_id(&mut staff, q, &answers[0]).await?;
    let demos = item_id(&mut staff, q, "Demos, not slides").await?;
    for id in [long, mine, demos] {
        moderate(&mut staff, q, id, "approve").await?;
    }
    until(
        &present,
        &format!(
            "JSON.stringify([...document.querySelectorAll('#wall .wall-card')].map((c) => Number(c.dataset.item))) === {}",
            json!(json!([demos, long, mine]).to_string())
        ),
        "the approved answers, newest first (by when they were given)",
    )
    .await?;
    let coffee_shown = js(
        &present,
        "return document.getElementById('wall').textContent.includes('More coffee');",
    )
    .await?;
    ensure!(
        coffee_shown == false,
        "an answer not approved is on the screen"
    );
    browser::wait_text(&present, "#answered", "3 answers", TIMEOUT).await?;
    fits_both(&present, "presenter-wall").await?;
    browser::axe_audit(&present, "presenter, answer wall").await?;
    browser::wait_text(&p, "#given-status", "It is on the screen.", TIMEOUT).await?;
    shot(&p, "phone-text-approved-390x844").await?;
    // After a reload: the answer, and no box to answer again.
    p.refresh().await?;
    browser::wait_text(&p, "#given .given-quote", LONG, TIMEOUT).await?;
    ensure!(
        js(&p, "return !document.getElementById('text-input');").await? == true,
        "the answer box after answering"
    );

    // The Q&A.
    ok(&staff.control("results").await?)?;
    let s = open(&mut staff, false, "Your questions for the speaker 🎤").await?;
    let qa = s["question"]["id"].as_i64().context("question id")?;
    browser::wait_text(&p, ".qna-empty", "No questions yet", TIMEOUT).await?;
    browser::wait_text(&present, "#items-empty", "No questions yet", TIMEOUT).await?;
    let hint = text_of(&present, "#chat-hint").await?;
    ensure!(
        hint.contains("#+1") && hint.contains("#your question"),
        "the Q&A chat hint: {hint}"
    );
    // The phone asks with Ctrl+Enter: waiting for approval, shown to nobody else.
    let field = browser::wait_for(&p, "#text-input", TIMEOUT).await?;
    field
        .send_keys("Why Rust and not Go for the server?")
        .await?;
    p.action_chain()
        .key_down(Key::Control)
        .send_keys(Key::Enter)
        .key_up(Key::Control)
        .perform()
        .await?;
    browser::wait_text(
        &p,
        ".qna-pending .qna-item.waiting",
        "Why Rust and not Go for the server?",
        TIMEOUT,
    )
    .await?;
    browser::wait_text(&p, ".qna-pending", "Waiting for approval", TIMEOUT).await?;
    // Twenty more from the others (five each, the sixth refused), long ones among them.
    let mut asked = Vec::new();
    for (who, person) in people.iter_mut().enumerate() {
        for k in 0..5 {
            let text = match (who + k) % 4 {
                0 => format!("{LONG} ({who}{k})"),
                1 => format!("{} {who}{k}", &no_spaces()[..200]),
                2 => format!("Will the slides be shared after the talk? ({who}{k})"),
                _ => format!("مرحبا! Is there an Arabic translation planned? ({who}{k})"),
            };
            let text: String = text.chars().take(280).collect();
            ok(&person
                .call(json!({"type": "ask", "question_id": qa, "text": text}))
                .await?)?;
            asked.push(text);
        }
        let sixth = person
            .call(json!({"type": "ask", "question_id": qa, "text": "one more"}))
            .await?;
        ensure!(
            error_code(&sixth) == "limit_reached",
            "a sixth question: {sixth}"
        );
    }
    let rust = item_id(&mut staff, qa, "Why Rust and not Go for the server?").await?;
    moderate(&mut staff, qa, rust, "approve").await?;
    let mut ids = Vec::new();
    for text in &asked {
        let id = item_id(&mut staff, qa, text).await?;
        moderate(&mut staff, qa, id, "approve").await?;
        ids.push(id);
    }
    // Votes: the first asked gets three, the second two; the second is answered, the
    // third pinned.
    for person in people.iter_mut().take(3) {
        ok(&person
            .call(json!({"type": "upvote", "question_id": qa, "item_id": ids[0]}))
            .await?)?;
    }
    for person in people.iter_mut().take(2) {
        ok(&person
            .call(json!({"type": "upvote", "question_id": qa, "item_id": ids[1]}))
            .await?)?;
    }
    let twice = people[0]
        .call(json!({"type": "upvote", "question_id": qa, "item_id": ids[0]}))
        .await?;
    ensure!(
        error_code(&twice) == "already_voted",
        "a second upvote: {twice}"
    );
    moderate(&mut staff, qa, ids[1], "answered").await?;
    moderate(&mut staff, qa, ids[2], "pin").await?;
    // The phone: its own question marked, the pinned first; it upvotes the first asked.
    browser::wait_for(
        &p,
        &format!(".qna-list li[data-item=\"{rust}\"].mine"),
        TIMEOUT,
    )
    .await?;
    until(
        &p,
        &format!(
            "document.querySelector('.qna-list li')?.dataset.item === '{}'",
            ids[2]
        ),
        "the pinned question first on the phone",
    )
    .await?;
    let btn = format!(".qna-list li[data-item=\"{}\"] .vote-btn", ids[0]);
    tap(&p, &btn).await?;
    until(
        &p,
        &format!(
            "(() => {{ const b = document.querySelector({}); return b.getAttribute('aria-pressed') === 'true' && b.disabled && b.querySelector('.vote-n').textContent === '4'; }})()",
            json!(btn)
        ),
        "the upvote pressed, disabled and counted",
    )
    .await?;
    browser::axe_audit(&p, "phone, Q&A").await?;
    shot(&p, "phone-qna-390x844").await?;
    p.refresh().await?;
    until(
        &p,
        &format!(
            "document.querySelector({})?.getAttribute('aria-pressed') === 'true'",
            json!(btn)
        ),
        "the upvote kept after a reload",
    )
    .await?;
    browser::wait_for(
        &p,
        &format!(".qna-list li[data-item=\"{rust}\"].mine"),
        TIMEOUT,
    )
    .await?;
    // The presenter: the pinned question large with its number, the others with theirs.
    browser::wait_text(
        &present,
        ".qna-q.pinned .qna-num",
        &format!("#{}", ids[2]),
        TIMEOUT,
    )
    .await?;
    until(
        &present,
        &format!(
            "document.querySelector('.qna-rows li')?.dataset.item === '{}' && document.querySelector('.qna-rows li .qna-votes')?.textContent === '4'",
            ids[0]
        ),
        "the most upvoted first, with its votes",
    )
    .await?;
    let done = format!(".qna-q.done[data-item=\"{}\"]", ids[1]);
    let answered_last = js(
        &present,
        &format!(
            "const d = document.querySelector({}); return !d || (d.hidden || d.textContent.includes('Answered'));",
            json!(done)
        ),
    )
    .await?;
    ensure!(answered_last == true, "the answered question is not marked");
    browser::wait_text(&present, "#answered", "21 questions", TIMEOUT).await?;
    fits_both(&present, "presenter-qna-21").await?;
    browser::axe_audit(&present, "presenter, Q&A").await?;
    // The activity overlay: the pinned question with its number and votes.
    let token = ts.display_token(meeting).await?;
    let overlay = chromium.session(Size::Laptop, "en").await?;
    browser::set_viewport(&overlay, 1920, 300).await?;
    overlay
        .goto(ts.url(&format!(
            "/overlay/activity.html?meeting={meeting}&token={token}"
        )))
        .await?;
    browser::wait_text(
        &overlay,
        ".lk-questions .lk-pinned .lk-item-num",
        &format!("#{}", ids[2]),
        TIMEOUT,
    )
    .await?;
    settle(&overlay).await?;
    js(
        &overlay,
        "document.documentElement.style.background = 'repeating-conic-gradient(#999 0 25%, #ccc 0 50%) 0 0 / 32px 32px'; return null;",
    )
    .await?;
    shot(&overlay, "overlay-qna-1920x300").await?;

    clean(&p, "phone").await?;
    clean(&present, "presenter").await?;
    clean(&overlay, "overlay").await?;
    p.quit().await?;
    present.quit().await?;
    overlay.quit().await?;
    Ok(())
}

/// The meeting of the second test: a speed quiz with an image, a hidden poll, another quiz.
fn cues_meeting(image: &str) -> Value {
    let years: Vec<Value> = (2012..2020)
        .map(|y| json!({"text": format!("{y}"), "correct": y == 2015}))
        .collect();
    let long: Vec<Value> = [
        "Single sign-on for every internal tool and service we run",
        "Performance work on the slowest customer-facing pages first",
        "Accessibility fixes across the web app and the mobile apps",
        "Internationalisation: Arabic, Japanese and Brazilian Portuguese",
        "Reduce cloud costs by moving batch jobs to spot instances",
        "Better onboarding documentation for new engineers and partners",
        "A public status page with incident history and subscriptions",
        "Rewrite the billing service with proper idempotency keys",
    ]
    .iter()
    .enumerate()
    .map(|(i, t)| json!({"text": t, "correct": i == 2}))
    .collect();
    json!({
        "title": "Quarterly all-hands — a short quiz 🎉",
        "code": CODE,
        "scoring": "speed",
        "sounds": true,
        "activities": [
            {"kind": "quiz", "title": "In which year did the company ship its very first public release?",
             "image": image, "alt": "The first release's banner", "time_limit_secs": 600, "points": 1000,
             "choices": years},
            {"kind": "poll", "title": "Guess the winner 🏆", "hide_results_until_reveal": true,
             "choices": [{"text": "Red"}, {"text": "Blue"}, {"text": "Green"}]},
            {"kind": "quiz", "title": "Which of these initiatives did the board fund first, given the budget limits of the last two quarters?",
             "time_limit_secs": 600, "points": 3000, "choices": long},
        ],
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sound_cues_hidden_results_and_the_leaderboard() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = server_with_media("ui-aud15-cues").await?;
    let admin = ts.admin_token().await?;
    let image = upload(&ts, &admin, "banner.png").await?;
    let meeting = import(&ts, cues_meeting(&image)).await?;
    let mut staff = ts.connect(meeting, &admin).await?;
    let mut people = Vec::new();
    for name in ["Grace", "Linus", "Zoë"] {
        let (_, token) = ts.join(meeting, CODE, name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    let p = phone(&chromium, &ts, meeting, "Ada").await?;
    let present = presenter(&chromium, &ts, meeting).await?;

    // The cues are served as WAV files.
    for name in ["start", "reveal", "podium"] {
        let res = ts
            .http
            .get(ts.url(&format!("/sounds/{name}.wav")))
            .send()
            .await?;
        let kind = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string();
        ensure!(
            res.status().is_success() && kind.starts_with("audio/") && kind.contains("wav"),
            "/sounds/{name}.wav: {} {kind}",
            res.status()
        );
        let bytes = res.bytes().await?;
        ensure!(
            bytes.starts_with(b"RIFF") && bytes.len() < 70 * 1024,
            "/sounds/{name}.wav: {} bytes",
            bytes.len()
        );
    }
    // The browser waits for a click before any sound: the hint says so; a click allows it.
    browser::wait_for(&present, "#sound-hint", TIMEOUT).await?;
    let mute = browser::wait_for(&present, "#mute", TIMEOUT).await?;
    ensure!(
        mute.attr("aria-pressed").await?.as_deref() == Some("false"),
        "the mute button starts unpressed"
    );
    shot(&present, "presenter-sound-hint-1920x1080").await?;
    browser::click(&present, "#sound-hint", TIMEOUT).await?;
    until(
        &present,
        "document.getElementById('sound-hint').hidden",
        "the hint gone after a click",
    )
    .await?;
    ensure!(
        cues(&present).await? == (0, String::new()),
        "a cue before any activity"
    );

    // The speed quiz with its image: the start cue; the phone answers right, at once.
    let s = open(
        &mut staff,
        true,
        "In which year did the company ship its very first public release?",
    )
    .await?;
    let q1 = s["question"]["id"].as_i64().context("question id")?;
    let ids = choice_ids(&s);
    cue(&present, 1, "start").await?;
    until(
        &p,
        "(() => { const i = document.querySelector('#media img'); return i && i.complete && i.naturalWidth > 0 && i.alt === \"The first release's banner\"; })()",
        "the quiz's image on the phone",
    )
    .await?;
    until(
        &present,
        "(() => { const i = document.querySelector('#q-media img'); return i && i.complete && i.naturalWidth > 0 && i.alt === \"The first release's banner\"; })()",
        "the quiz's image on the presenter",
    )
    .await?;
    // The image stays above the choices on a phone: every choice button in view.
    let visible = js(
        &p,
        "const img = document.querySelector('#media img').getBoundingClientRect(); const first = document.querySelector('.choice').getBoundingClientRect(); return img.bottom <= first.top && first.bottom <= innerHeight;",
    )
    .await?;
    ensure!(visible == true, "the image pushes the choices out of view");
    shot(&p, "phone-quiz-image-390x844").await?;
    fits_both(&present, "presenter-quiz-image").await?;
    browser::axe_audit(&present, "presenter, quiz with an image").await?;
    tap(&p, &format!(".choice[data-choice=\"{}\"]", ids[3])).await?;
    browser::wait_text(&p, "#toast", "Answer saved", TIMEOUT).await?;
    ok(&people[0].vote(q1, ids[0]).await?)?;
    ok(&people[1].vote(q1, ids[1]).await?)?;
    ok(&staff.control("results").await?)?;
    cue(&present, 2, "reveal").await?;

    // The leaderboard beside the bars: Ada alone was right, from fourth (the last to join)
    // to first; Grace, first by join order, second.
    until(
        &present,
        "document.querySelectorAll('#leaders .lb-row').length >= 2",
        "the leaderboard",
    )
    .await?;
    let rows = js(
        &present,
        "return [...document.querySelectorAll('#leaders .lb-row')].map((r) => [r.querySelector('.lb-name').textContent, r.dataset.move, r.querySelector('.lb-gain')?.textContent ?? '']);",
    )
    .await?;
    ensure!(
        rows[0][0] == "Ada" && rows[1][0] == "Grace",
        "the leaderboard's order: {rows}"
    );
    ensure!(
        rows[0][2].as_str().is_some_and(|g| g.starts_with('+')),
        "points gained: {rows}"
    );
    let spoken = text_of(&present, "#leaders .lb-row .sr-only").await?;
    ensure!(
        spoken.contains("Ada") && spoken.contains("points"),
        "the row's spoken text: {spoken}"
    );
    browser::wait_text(&p, "#lb-line", "Leaderboard: you are", TIMEOUT).await?;
    shot(&p, "phone-quiz-leaderboard-390x844").await?;
    fits_both(&present, "presenter-leaderboard").await?;
    browser::axe_audit(&present, "presenter, leaderboard").await?;

    // Muted with M: the next activity opens in silence; M again and the reveal plays.
    present.action_chain().send_keys("m").perform().await?;
    until(
        &present,
        "document.getElementById('mute').getAttribute('aria-pressed') === 'true'",
        "muted",
    )
    .await?;
    let s = open(&mut staff, false, "Guess the winner 🏆").await?;
    let poll = s["question"]["id"].as_i64().context("question id")?;
    let colours = choice_ids(&s);
    browser::wait_text(&present, "#body h1", "Guess the winner", TIMEOUT).await?;
    // The poll hides its results until the reveal: the phone votes and is told so.
    tap(&p, &format!(".choice[data-choice=\"{}\"]", colours[1])).await?;
    browser::wait_text(
        &p,
        "#reveal-note",
        "Results will be shown after the reveal",
        TIMEOUT,
    )
    .await?;
    ensure!(
        js(
            &p,
            "return document.querySelectorAll('#bars .bar-row').length;"
        )
        .await?
            == 0,
        "bars on the phone before the reveal"
    );
    ok(&people[0].vote(poll, colours[0]).await?)?;
    ok(&people[1].vote(poll, colours[1]).await?)?;
    browser::wait_text(&present, "#answered", "3 answers", TIMEOUT).await?;
    let counts = js(
        &present,
        "return [...document.querySelectorAll('#bars .count')].map((c) => c.textContent).join('');",
    )
    .await?;
    ensure!(
        counts == "",
        "the hidden poll's counts on the presenter: {counts}"
    );
    shot(&p, "phone-hidden-poll-390x844").await?;
    fits_both(&present, "presenter-hidden-poll").await?;
    ensure!(
        cues(&present).await?.0 == 2,
        "a cue played while muted: {:?}",
        cues(&present).await?
    );
    present.action_chain().send_keys("m").perform().await?;
    until(
        &present,
        "document.getElementById('mute').getAttribute('aria-pressed') === 'false'",
        "unmuted",
    )
    .await?;
    ok(&staff.control("results").await?)?;
    cue(&present, 3, "reveal").await?;
    browser::wait_text(
        &present,
        &format!("#bars .bar-row[data-choice=\"{}\"] .count", colours[1]),
        "2 · 67%",
        TIMEOUT,
    )
    .await?;
    browser::wait_for(&p, "#bars .bar-row.mine", TIMEOUT).await?;

    // The staff switch turns the sounds off for everyone: no mute button, no cue.
    ok(&staff.call(json!({"type": "sounds", "on": false})).await?)?;
    until(
        &present,
        "document.getElementById('mute').hidden",
        "the mute button gone with the sounds off",
    )
    .await?;
    let title = "Which of these initiatives did the board fund first, given the budget limits of the last two quarters?";
    let s = open(&mut staff, false, title).await?;
    browser::wait_text(&present, "#body h1", "Which of these initiatives", TIMEOUT).await?;
    ensure!(
        cues(&present).await?.0 == 3,
        "a cue with the sounds off: {:?}",
        cues(&present).await?
    );
    ok(&staff.call(json!({"type": "sounds", "on": true})).await?)?;
    until(
        &present,
        "!document.getElementById('mute').hidden",
        "the mute button back with the sounds on",
    )
    .await?;

    // The eight-choice quiz, worth three times more: Linus and Zoë, right, overtake Ada
    // and Grace; the leaderboard beside the long bars, at both sizes.
    let q3 = s["question"]["id"].as_i64().context("question id")?;
    let ids = choice_ids(&s);
    ok(&people[1].vote(q3, ids[2]).await?)?;
    ok(&people[2].vote(q3, ids[2]).await?)?;
    ok(&people[0].vote(q3, ids[5]).await?)?;
    ok(&staff.control("results").await?)?;
    cue(&present, 4, "reveal").await?;
    until(
        &present,
        "document.querySelectorAll('#leaders .lb-row').length === 4",
        "the second leaderboard",
    )
    .await?;
    let moves = js(
        &present,
        "return Object.fromEntries([...document.querySelectorAll('#leaders .lb-row')].map((r) => [r.querySelector('.lb-name').textContent, r.dataset.move]));",
    )
    .await?;
    ensure!(
        moves == json!({"Linus": "up", "Zoë": "up", "Ada": "down", "Grace": "down"}),
        "rank moves: {moves}"
    );
    fits_both(&present, "presenter-leaderboard-8").await?;

    // The podium cue.
    ok(&staff.control("scoreboard").await?)?;
    cue(&present, 5, "podium").await?;
    browser::wait_for(&present, "#board", TIMEOUT).await?;

    clean(&p, "phone").await?;
    clean(&present, "presenter").await?;
    p.quit().await?;
    present.quit().await?;
    Ok(())
}
