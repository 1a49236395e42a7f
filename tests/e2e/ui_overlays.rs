//! The OBS overlays (issue 13, point 2) in headless Chromium, each at its recommended size and
//! opened with a display link as OBS opens it: every page but the teleprompter paints no
//! background; the chat shows platform icons, badges and bot lines apart, stays bounded and
//! keeps a hostile name as text; alerts come one at a time, in order, once each, also after a
//! reload (the server replays its latest alerts); the activity lower third follows a poll's
//! live bars with the chat hint, a quiz's reveal, a word cloud and the top 5; the teleprompter
//! shows notes to a teleprompter link and a staff session, never to a display link. OBS's
//! "Custom CSS" (a `<style>` element obs-browser adds) applies. Screenshots over a
//! checkerboard, with the stress meeting's content: `target/screenshots/overlay-*.png`, also
//! copied to `/tmp/overlay-shots/`.

use anyhow::{Context, bail, ensure};
use librekast_engine::chat::Badges;
use librekast_engine::event::ChatLine;
use librekast_engine::{AlertIn, AlertKind, ChatMessage, Event, MeetingHandle};
use librekast_storage::{MeetingFile, MeetingId, Platform};
use librekast_tests::browser::{self, Chromium, Size, js, wait_js};
use librekast_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use std::sync::Arc;
use thirtyfour::prelude::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

/// A browser whose viewport is exactly `w`×`h` (an OBS browser source's size).
async fn source(chromium: &Chromium, w: u32, h: u32) -> anyhow::Result<WebDriver> {
    let d = chromium.session(Size::Laptop, "en").await?;
    for _ in 0..3 {
        let seen: (u32, u32) = d
            .execute("return [innerWidth, innerHeight];", vec![])
            .await?
            .convert()?;
        if seen == (w, h) {
            return Ok(d);
        }
        let rect = d.get_window_rect().await?;
        let grow = |outer: i64, want: u32, got: u32| {
            u32::try_from(outer + i64::from(want) - i64::from(got)).unwrap_or(want)
        };
        d.set_window_rect(
            0,
            0,
            grow(rect.width, w, seen.0),
            grow(rect.height, h, seen.1),
        )
        .await?;
    }
    bail!("could not size the viewport to {w}x{h}")
}

/// Waits for the overlay's first `state` (its status word turns `online`).
async fn online(d: &WebDriver) -> anyhow::Result<()> {
    wait_js(
        d,
        "return document.documentElement.dataset.lkStatus === 'online';",
        "the overlay connected",
    )
    .await?;
    Ok(())
}

/// The computed backgrounds of the root element and the body.
async fn backgrounds(d: &WebDriver) -> anyhow::Result<(String, String)> {
    let v = js(
        d,
        "return [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor];",
    )
    .await?;
    Ok((
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_str().unwrap_or_default().to_string(),
    ))
}

async fn assert_transparent(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let (html, body) = backgrounds(d).await?;
    ensure!(
        html == "rgba(0, 0, 0, 0)" && body == "rgba(0, 0, 0, 0)",
        "{what}: background html {html}, body {body}"
    );
    Ok(())
}

/// No element came from a name or a line: no `<img>` (but an alert's media), nothing with an
/// `onerror`, no `<b>` or `<script>` in the content, and no dialog opened.
async fn assert_no_markup(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let v = js(
        d,
        "return [document.querySelectorAll('[onerror], main b, main script, img:not(.lk-alert-image)').length, document.body.innerHTML.includes('<img src=x')];",
    )
    .await?;
    ensure!(
        v[0] == 0 && v[1] == false,
        "{what}: markup from user text: {v}"
    );
    browser::assert_no_alert(d).await?;
    Ok(())
}

/// A screenshot over a checkerboard (what OBS composites the page over), at the viewport's
/// size: `target/screenshots/overlay-NAME.png` and `/tmp/overlay-shots/NAME.png`. Waits for
/// running transitions and animations first.
async fn shot(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    js(d, "return new Promise((resolve) => { const start = performance.now(); const tick = () => { const busy = document.getAnimations().filter((a) => a.playState === 'running' && a.effect && a.effect.getComputedTiming().iterations !== Infinity); if (!busy.length || performance.now() - start > 5000) resolve(null); else requestAnimationFrame(tick); }; requestAnimationFrame(() => requestAnimationFrame(tick)); });").await?;
    js(d, "document.documentElement.style.background = 'repeating-conic-gradient(#999 0 25%, #ccc 0 50%) 0 0 / 32px 32px'; return null;").await?;
    let path = browser::screenshot(d, &format!("overlay-{name}")).await?;
    js(
        d,
        "document.documentElement.style.background = ''; return null;",
    )
    .await?;
    let dir = std::path::Path::new("/tmp/overlay-shots");
    std::fs::create_dir_all(dir)?;
    std::fs::copy(&path, dir.join(format!("{name}.png")))?;
    Ok(())
}

fn chat(platform: Platform, user: &str, text: &str, badges: Badges, n: &mut u32) -> ChatMessage {
    *n += 1;
    ChatMessage {
        platform,
        id: Some(format!("m{n}")),
        user_id: format!("u-{user}"),
        user_name: user.into(),
        text: text.into(),
        at: 0,
        badges,
    }
}

fn bot_line(handle: &MeetingHandle, text: &str) {
    handle.publish(Event::Chat(Arc::new(ChatLine {
        platform: "bot",
        user_name: "LibreKast".into(),
        text: text.into(),
        badges: Vec::new(),
        bot: true,
    })));
}

fn stress_file() -> anyhow::Result<Value> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?;
    Ok(serde_json::from_str(&text)?)
}

async fn import(ts: &TestServer, file: Value) -> anyhow::Result<(i64, Arc<MeetingHandle>)> {
    let file: MeetingFile = serde_json::from_value(file)?;
    let meeting = ts.server.engine.store().import_meeting(&file).await?.0;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    Ok((meeting, handle))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_overlay_badges_bot_lines_bounded_and_names_as_text() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("overlay-chat").await?;
    let meeting = ts.demo_meeting().await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let token = ts.display_token(meeting).await?;
    let base = ts.server.url();
    let d = source(&chromium, 400, 600).await?;
    d.goto(format!(
        "{base}/overlay/chat.html?meeting={meeting}&token={token}&max=8"
    ))
    .await?;
    online(&d).await?;
    assert_transparent(&d, "chat").await?;

    let mut n = 0;
    let lines = vec![
        chat(
            Platform::Twitch,
            HOSTILE,
            "<b>not bold</b> & <script>alert(2)</script>",
            Badges {
                broadcaster: true,
                moderator: true,
                ..Badges::default()
            },
            &mut n,
        ),
        chat(
            Platform::Youtube,
            "Zoë 🎉 Müller",
            "Bonjour tout le monde ! 🎉🎉",
            Badges {
                member: true,
                ..Badges::default()
            },
            &mut n,
        ),
        chat(
            Platform::Twitch,
            "a_very_long_name_without_any_spaces_1234567890",
            "Supercalifragilisticexpialidocious-and-then-some-more-letters-without-a-break",
            Badges {
                vip: true,
                subscriber: true,
                ..Badges::default()
            },
            &mut n,
        ),
        chat(
            Platform::Twitch,
            "日本語ユーザー",
            "#b obviously",
            Badges {
                subscriber: true,
                ..Badges::default()
            },
            &mut n,
        ),
        chat(
            Platform::Youtube,
            "مرحبا",
            "سؤال رائع — great question",
            Badges::default(),
            &mut n,
        ),
    ];
    handle.chat(lines).await?;
    bot_line(
        &handle,
        "🤖 Type #a, #b or #c in chat to vote: results after the countdown!",
    );
    wait_js(
        &d,
        "return document.querySelectorAll('.lk-line').length === 6;",
        "six chat lines",
    )
    .await?;

    // The hostile name and line are text, with the badges and the platform's icon.
    let first = js(
        &d,
        "const l = document.querySelector('.lk-line'); return [l.querySelector('.lk-user').textContent, l.querySelector('.lk-text').textContent, [...l.querySelectorAll('.lk-badge')].map((b) => b.dataset.badge), l.querySelector('.lk-platform use').getAttribute('href'), l.dataset.platform];",
    )
    .await?;
    assert_eq!(first[0], HOSTILE);
    assert_eq!(first[1], "<b>not bold</b> & <script>alert(2)</script>");
    assert_eq!(first[2], json!(["broadcaster", "moderator"]));
    assert_eq!(first[3], "/overlay/icons.svg#twitch");
    assert_eq!(first[4], "twitch");
    assert_no_markup(&d, "chat").await?;
    let yt = js(&d, "const l = document.querySelectorAll('.lk-line')[1]; return [l.dataset.platform, [...l.querySelectorAll('.lk-badge')].map((b) => b.dataset.badge)];").await?;
    assert_eq!(yt, json!(["youtube", ["member"]]));
    // The bot's line is set apart: its icon, italics, its own backing.
    let bot = js(
        &d,
        "const b = document.querySelector('.lk-line-bot'), v = document.querySelector('.lk-line'); return b && [b.querySelector('.lk-platform use').getAttribute('href'), getComputedStyle(b).fontStyle, getComputedStyle(b).backgroundColor !== getComputedStyle(v).backgroundColor];",
    )
    .await?;
    assert_eq!(bot, json!(["/overlay/icons.svg#bot", "italic", true]));
    shot(&d, "chat").await?;

    // OBS's Custom CSS arrives as a <style> element added to the head (obs-browser's
    // OnLoadEnd): the page's custom properties and classes take it.
    let custom = js(
        &d,
        "const s = document.createElement('style'); s.appendChild(document.createTextNode(decodeURIComponent('%3Aroot%20%7B%20--lk-backing%3A%20rgb(1%2C%202%2C%203)%3B%20%7D'))); document.querySelector('head').appendChild(s); return new Promise((r) => requestAnimationFrame(() => r(getComputedStyle(document.querySelector('.lk-line-twitch')).backgroundColor)));",
    )
    .await?;
    assert_eq!(custom, "rgb(1, 2, 3)", "OBS's custom CSS did not apply");

    // Bounded: the oldest lines go first.
    let more: Vec<ChatMessage> = (0..7)
        .map(|i| {
            chat(
                Platform::Twitch,
                &format!("viewer{i}"),
                &format!("line {i}"),
                Badges::default(),
                &mut n,
            )
        })
        .collect();
    handle.chat(more).await?;
    wait_js(
        &d,
        "const l = [...document.querySelectorAll('.lk-line .lk-text')].map((t) => t.textContent); return l.length === 8 && l[7] === 'line 6' && l[0] !== '<b>not bold</b> & <script>alert(2)</script>';",
        "eight lines at most, the newest last",
    )
    .await?;

    // `?hide_bots=1` leaves bot lines out.
    d.goto(format!(
        "{base}/overlay/chat.html?meeting={meeting}&token={token}&hide_bots=1"
    ))
    .await?;
    online(&d).await?;
    bot_line(&handle, "🤖 a bot line nobody sees here");
    handle
        .chat(vec![chat(
            Platform::Twitch,
            "after-the-bot",
            "hello",
            Badges::default(),
            &mut n,
        )])
        .await?;
    wait_js(
        &d,
        "return [...document.querySelectorAll('.lk-user')].some((u) => u.textContent === 'after-the-bot');",
        "the line after the bot's",
    )
    .await?;
    let bots = js(
        &d,
        "return document.querySelectorAll('.lk-line-bot').length;",
    )
    .await?;
    assert_eq!(bots, 0, "hide_bots shows no bot line");
    assert_eq!(browser::js_errors(&d).await?, Vec::<String>::new());
    d.quit().await?;
    Ok(())
}

/// What the alerts overlay showed since it loaded: `[{id, start, end}]`.
async fn shown(d: &WebDriver) -> anyhow::Result<Vec<Value>> {
    Ok(js(d, "return window.lkAlerts || [];")
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

async fn test_alert(
    ts: &TestServer,
    admin: &str,
    meeting: i64,
    body: Value,
) -> anyhow::Result<u64> {
    let (status, v) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/alerts/test"),
            admin,
            Some(body),
        )
        .await?;
    ensure!(status.is_success(), "test alert refused: {status} {v}");
    v["id"].as_u64().context("no alert id")
}

/// A PNG for an alert's media: the LibreKast logo, as Chromium draws it.
async fn logo_png(chromium: &Chromium, base: &str) -> anyhow::Result<Vec<u8>> {
    let d = source(chromium, 320, 320).await?;
    d.goto(format!("{base}/favicon.svg")).await?;
    let png = d.screenshot_as_png().await?;
    d.quit().await?;
    Ok(png)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alerts_overlay_shows_each_alert_once_in_order() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("overlay-alerts").await?;
    let meeting = ts.demo_meeting().await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    let admin = ts.admin_token().await?;
    let token = ts.display_token(meeting).await?;
    let base = ts.server.url();
    // An alert raised before the overlay first opened arrives in the replay: a new overlay
    // skips the backlog older than two minutes, so this recent one shows first.
    let early = test_alert(&ts, &admin, meeting, json!({"kind": "raid"})).await?;

    let d = source(&chromium, 800, 600).await?;
    let url = format!("{base}/overlay/alerts.html?meeting={meeting}&token={token}&duration=1");
    d.goto(&url).await?;
    online(&d).await?;
    assert_transparent(&d, "alerts").await?;
    let mut ids = vec![early];
    for kind in ["follow", "sub", "gift"] {
        ids.push(test_alert(&ts, &admin, meeting, json!({"kind": kind})).await?);
    }
    wait_js(
        &d,
        "return (window.lkAlerts || []).length === 4 && window.lkAlerts.every((a) => a.end !== null);",
        "four alerts shown and gone",
    )
    .await?;
    let log = shown(&d).await?;
    let order: Vec<u64> = log.iter().filter_map(|a| a["id"].as_u64()).collect();
    assert_eq!(order, ids, "each alert once, in the order raised");
    for pair in log.windows(2) {
        let (end, start) = (
            pair[0]["end"].as_f64().unwrap_or(f64::MAX),
            pair[1]["start"].as_f64().unwrap_or(0.0),
        );
        ensure!(start >= end, "alerts overlapped: {log:?}");
    }
    assert_no_markup(&d, "alerts").await?;

    // A reload reconnects; the server replays its latest alerts; none shows again. A new
    // alert raised after the reload shows alone (a replayed one would come before it).
    d.goto(&url).await?;
    online(&d).await?;
    let next = test_alert(&ts, &admin, meeting, json!({"kind": "follow"})).await?;
    wait_js(
        &d,
        "return (window.lkAlerts || []).some((a) => a.end !== null);",
        "the new alert shown",
    )
    .await?;
    let order: Vec<u64> = shown(&d)
        .await?
        .iter()
        .filter_map(|a| a["id"].as_u64())
        .collect();
    assert_eq!(order, vec![next], "after a reload only the new alert shows");

    // A hostile name with an image: the name stays text. The page stays on it (duration
    // 60) for the screenshot.
    let png = logo_png(&chromium, &base).await?;
    let up = ts
        .http
        .post(ts.url("/api/media"))
        .header(reqwest::header::AUTHORIZATION, format!("Bearer {admin}"))
        .header(reqwest::header::CONTENT_TYPE, "image/png")
        .body(png)
        .send()
        .await?;
    let status = up.status();
    let media: Value = up.json().await.unwrap_or(Value::Null);
    ensure!(status.is_success(), "media upload: {status} {media}");
    let media = media["id"].as_str().context("media id")?.to_string();
    let long = format!("{base}/overlay/alerts.html?meeting={meeting}&token={token}&duration=60");
    d.goto(&long).await?;
    online(&d).await?;
    let hostile = handle
        .alert(AlertIn {
            months: Some(14),
            media: Some(media.clone()),
            text: "<img src=x onerror=alert(2)> Fourteen months, still here! 🎉".into(),
            ..AlertIn::new(AlertKind::Sub, Some(Platform::Twitch), HOSTILE)
        })
        .context("alert raised")?;
    wait_js(
        &d,
        &format!(
            "const a = document.querySelector('.lk-alert.lk-in'); return !!a && a.dataset.alertId === '{}' && !!a.querySelector('.lk-alert-image');",
            hostile.id
        ),
        "the sub alert with its image",
    )
    .await?;
    let user = browser::text(&d, ".lk-alert-user", TIMEOUT).await?;
    assert_eq!(user, HOSTILE);
    assert_no_markup(&d, "alert").await?;
    shot(&d, "alerts-sub-image").await?;

    // A Super Chat with a long comment, an emoji name and no media.
    d.goto(&long).await?;
    online(&d).await?;
    let sc = handle
        .alert(AlertIn {
            amount: Some(25.0),
            currency: Some("EUR".into()),
            text: "Merci pour ce live incroyable ! Question : est-ce que la prochaine session parlera des choix de l’organisation pour les deux prochains trimestres, avec les contraintes budgétaires ? 🙏🙏🙏".into(),
            ..AlertIn::new(AlertKind::Superchat, Some(Platform::Youtube), "Zoë 🎉 Müller-Lüdenscheidt")
        })
        .context("alert raised")?;
    wait_js(
        &d,
        &format!(
            "const a = document.querySelector('.lk-alert.lk-in'); return !!a && a.dataset.alertId === '{}';",
            sc.id
        ),
        "the Super Chat",
    )
    .await?;
    shot(&d, "alerts-superchat").await?;
    d.goto(&long).await?;
    online(&d).await?;
    let rev = handle
        .alert(AlertIn {
            text: "The chat chanted !hype: 🔥 HYPE TRAIN 🔥".into(),
            ..AlertIn::new(AlertKind::Revolution, None, "")
        })
        .context("alert raised")?;
    wait_js(
        &d,
        &format!(
            "const a = document.querySelector('.lk-alert.lk-in'); return !!a && a.dataset.alertId === '{}';",
            rev.id
        ),
        "the revolution",
    )
    .await?;
    shot(&d, "alerts-revolution").await?;
    let errors: Vec<String> = browser::js_errors(&d)
        .await?
        .into_iter()
        .filter(|e| !e.contains("/media/"))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    d.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activity_overlay_follows_the_meeting_with_the_chat_hint() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("overlay-activity").await?;
    let mut file = stress_file()?;
    let chan = format!("lk_overlay_{}", std::process::id() % 100_000);
    file["sources"] = json!([{"platform": "twitch", "channel": chan, "delay_secs": 0}]);
    let (meeting, handle) = import(&ts, file).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let token = ts.display_token(meeting).await?;
    let base = ts.server.url();
    let d = source(&chromium, 1920, 300).await?;
    d.goto(format!(
        "{base}/overlay/activity.html?meeting={meeting}&token={token}"
    ))
    .await?;
    online(&d).await?;
    assert_transparent(&d, "activity").await?;
    // Before the meeting starts: nothing at all.
    let hidden = js(&d, "return document.getElementById('panel').hidden;").await?;
    assert_eq!(hidden, true, "nothing shown before the first activity");

    let mut n = 0;
    // The welcome slide: its title.
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, ".lk-question", "Welcome", TIMEOUT).await?;
    shot(&d, "activity-slide").await?;

    // The poll with eight long choices, answered from Twitch: live bars and the hint.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, ".lk-question", "initiatives", TIMEOUT).await?;
    wait_js(
        &d,
        "return document.querySelectorAll('.lk-bars .bar-row').length === 8;",
        "eight bars",
    )
    .await?;
    let hint = browser::text(&d, ".lk-hint", TIMEOUT).await?;
    ensure!(
        hint.contains("#a") && hint.contains("#h"),
        "chat hint: {hint}"
    );
    let votes: Vec<ChatMessage> = ["#a", "#a", "#a", "#b", "#c", "#h"]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            chat(
                Platform::Twitch,
                &format!("viewer{i}"),
                v,
                Badges::default(),
                &mut n,
            )
        })
        .collect();
    handle.chat(votes).await?;
    browser::wait_text(&d, ".lk-bars .bar-row .count", "3 · 50%", TIMEOUT).await?;
    browser::wait_text(&d, ".lk-count", "6 answers", TIMEOUT).await?;
    shot(&d, "activity-poll").await?;

    // The quiz: rows without numbers until the reveal, then the right one marked.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, ".lk-question", "first public release", TIMEOUT).await?;
    let quiz: Vec<ChatMessage> = ["#d", "#d", "#a", "#d", "#f"]
        .iter()
        .enumerate()
        .map(|(i, v)| {
            chat(
                Platform::Twitch,
                &format!("viewer{i}"),
                v,
                Badges::default(),
                &mut n,
            )
        })
        .collect();
    handle.chat(quiz).await?;
    browser::wait_text(&d, ".lk-count", "5 answers", TIMEOUT).await?;
    let counts = js(&d, "return [...document.querySelectorAll('.lk-bars .count')].map((c) => c.textContent).join('');").await?;
    assert_eq!(counts, "", "a quiz's counts stay hidden until the reveal");
    shot(&d, "activity-quiz-open").await?;
    ok(&org.control("results").await?)?;
    browser::wait_text(&d, ".lk-bars .correct .count", "3 · 60%", TIMEOUT).await?;
    shot(&d, "activity-quiz-results").await?;

    // Right-to-left and CJK choices.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    wait_js(
        &d,
        "return document.querySelectorAll('.lk-bars .bar-row').length === 4;",
        "four bars",
    )
    .await?;
    shot(&d, "activity-poll-rtl").await?;

    // The word cloud, from chat.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, ".lk-hint", "# and your word", TIMEOUT).await?;
    let words: Vec<ChatMessage> = [
        "#challenging",
        "#challenging",
        "#fast-paced",
        "#rewarding",
        "#a rollercoaster ride",
        "#challenging",
        "#🚀",
        "#overcommitted but proud",
        "#rewarding",
    ]
    .iter()
    .enumerate()
    .map(|(i, v)| {
        chat(
            Platform::Twitch,
            &format!("viewer{}", i % 6),
            v,
            Badges::default(),
            &mut n,
        )
    })
    .collect();
    handle.chat(words).await?;
    wait_js(
        &d,
        "return document.querySelectorAll('.lk-cloud .cloud-word').length >= 5;",
        "cloud words",
    )
    .await?;
    shot(&d, "activity-cloud").await?;

    // The scoreboard: the top 5 (the quiz paid the right answers), at the top this time.
    ok(&org.control("scoreboard").await?)?;
    d.goto(format!(
        "{base}/overlay/activity.html?meeting={meeting}&token={token}&position=top"
    ))
    .await?;
    online(&d).await?;
    wait_js(
        &d,
        "return document.querySelectorAll('.lk-top5 .lk-rank').length === 3;",
        "the three who scored",
    )
    .await?;
    let top = js(&d, "const r = document.querySelector('.lk-activity').getBoundingClientRect(); return r.top < 40;").await?;
    assert_eq!(top, true, "position=top puts the panel at the top");
    shot(&d, "activity-top5").await?;
    assert_eq!(browser::js_errors(&d).await?, Vec::<String>::new());
    d.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompter_shows_notes_to_prompter_links_and_staff_only() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("overlay-prompter").await?;
    let mut file = stress_file()?;
    let notes = "Say hello, then read the question out loud.\n\nThe budget answer: option B (the platform rewrite) costs 40 % less over two quarters.\nThen pause 10 seconds 🤫 and point at the QR code.";
    file["activities"][1]["notes"] = json!(notes);
    file["activities"][0]["notes"] = json!("Welcome everyone — introduce the team.");
    let (meeting, _handle) = import(&ts, file).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let (status, link) = ts
        .call(
            Method::POST,
            &format!("/api/meetings/{meeting}/display"),
            &admin,
            Some(json!({"scope": "prompter"})),
        )
        .await?;
    ensure!(status.is_success(), "prompter link: {status} {link}");
    let prompter = link["token"].as_str().context("token")?.to_string();
    let url = link["url"].as_str().unwrap_or_default();
    ensure!(
        url.contains("/overlay/prompter.html?meeting=") && url.contains(&prompter),
        "prompter url {url}"
    );
    let display = ts.display_token(meeting).await?;

    // On the wire: the prompter link gets the notes, the display link never.
    let mut by_display = ts.connect(meeting, &display).await?;
    let mut by_prompter = ts.connect(meeting, &prompter).await?;
    ok(&org.control("start").await?)?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let seen = by_display.wait_open("poll").await?;
    ensure!(
        seen["question"].get("notes").is_none(),
        "a display link got notes: {seen}"
    );
    let seen = by_prompter.wait_open("poll").await?;
    assert_eq!(seen["question"]["notes"], notes);

    let base = ts.server.url();
    let d = source(&chromium, 1280, 720).await?;
    d.goto(format!(
        "{base}/overlay/prompter.html?meeting={meeting}&token={prompter}"
    ))
    .await?;
    browser::wait_text(&d, "#notes", "option B (the platform rewrite)", TIMEOUT).await?;
    let (html, _) = backgrounds(&d).await?;
    assert_eq!(html, "rgb(0, 0, 0)", "the teleprompter is white on black");
    let head = browser::text(&d, ".lk-prompter-head", TIMEOUT).await?;
    ensure!(
        head.contains("2 / 6") && head.contains("initiatives"),
        "head: {head}"
    );
    // Every line of the notes, in order, as written.
    let text = js(
        &d,
        "return document.querySelector('.lk-prompter-text').textContent;",
    )
    .await?;
    assert_eq!(text, notes);
    browser::screenshot(&d, "overlay-prompter").await?;
    std::fs::create_dir_all("/tmp/overlay-shots")?;
    std::fs::copy(
        browser::screenshot_dir().join("overlay-prompter.png"),
        "/tmp/overlay-shots/prompter.png",
    )?;

    // Mirrored for a teleprompter glass; transparent over a stream.
    d.goto(format!(
        "{base}/overlay/prompter.html?meeting={meeting}&token={prompter}&mirror=1&transparent=1"
    ))
    .await?;
    browser::wait_text(&d, "#notes", "option B", TIMEOUT).await?;
    let transform = js(
        &d,
        "return getComputedStyle(document.getElementById('prompter')).transform;",
    )
    .await?;
    assert_eq!(transform, "matrix(-1, 0, 0, 1, 0, 0)");
    assert_transparent(&d, "prompter ?transparent=1").await?;
    shot(&d, "prompter-mirror-transparent").await?;

    // The next activity has no notes: said so.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, "#notes", "No notes for this activity", TIMEOUT).await?;

    // A display link on the teleprompter page: no notes, and it says why.
    d.goto(format!(
        "{base}/overlay/prompter.html?meeting={meeting}&token={display}"
    ))
    .await?;
    browser::wait_text(&d, "#notes", "presenter link", TIMEOUT).await?;
    let leaked = js(&d, "return document.body.innerText.includes('option B');").await?;
    assert_eq!(leaked, false);

    // A staff member without a link logs in on the page and sees the notes.
    ok(&org.control("back").await?)?;
    ok(&org.control("start").await?)?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let staff = source(&chromium, 1280, 720).await?;
    staff
        .goto(format!("{base}/overlay/prompter.html?meeting={meeting}"))
        .await?;
    browser::log_in_admin(&staff, &password, TIMEOUT).await?;
    browser::wait_text(&staff, "#notes", "option B", TIMEOUT).await?;
    // The page asked who is logged in before the form: that 401 is expected.
    let errors: Vec<String> = browser::js_errors(&staff)
        .await?
        .into_iter()
        .filter(|e| !e.contains("/api/me "))
        .collect();
    assert_eq!(errors, Vec::<String>::new());
    staff.quit().await?;
    d.quit().await?;
    Ok(())
}
