//! Bots, alerts, notes and the stream overlays' links in the organizer's pages, in Debian's
//! Chromium, checked through the API:
//!
//! - the editor: a command bot and a revolution bot (its media picked from the media store)
//!   added, saved and read back through `GET …/plan`; a threshold the server refuses shown
//!   under its field; an activity's notes stored and shown again after a reload;
//! - the dashboard of a running meeting: a bot switched off and on again (`GET …/bots`
//!   follows), a revolution's live count rising as distinct viewers chant in chat (a viewer
//!   repeating counts once), firing with its alert and cooling down; the "Test alert" button
//!   putting a marked alert in the feed; the current activity's notes; the overlay and
//!   teleprompter links.
//!
//! Each state is audited with axe and screenshotted at 1280×800 and 390×844 (English and
//! French): `target/screenshots/bots-*`.

use anyhow::{Context, ensure};
use librekast_engine::ChatMessage;
use librekast_storage::{MeetingId, Platform};
use librekast_tests::browser::{self, Size};
use librekast_tests::browser::{js, wait_js};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// Replaces a field's text the way a person does: select all, type over it.
async fn replace(d: &WebDriver, css: &str, text: &str) -> anyhow::Result<()> {
    let field = browser::wait_for(d, css, TIMEOUT).await?;
    d.execute(
        "arguments[0].scrollIntoView({block: 'center'}); arguments[0].focus(); arguments[0].select();",
        vec![field.to_json()?],
    )
    .await?;
    field.send_keys(text).await?;
    Ok(())
}

/// Clicks a control after scrolling it to the middle of the screen (at the edge it may sit
/// under the sticky top bar or the phone's save bar).
async fn press(d: &WebDriver, css: &str) -> anyhow::Result<()> {
    let target = browser::wait_for(d, css, TIMEOUT).await?;
    d.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![target.to_json()?],
    )
    .await?;
    browser::click(d, css, TIMEOUT).await
}

/// Transitions ended, fonts loaded, two frames drawn: then the screenshot.
async fn shoot(d: &WebDriver, name: &str, scroll_to: &str) -> anyhow::Result<()> {
    d.execute(
        "const n = document.querySelector(arguments[0]); if (n) { n.scrollIntoView({block: 'start'}); window.scrollBy(0, -80); }",
        vec![json!(scroll_to)],
    )
    .await?;
    wait_js(
        d,
        "return document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => \
         r(document.getAnimations().filter((a) => a.playState === 'running' && a.effect \
         && a.effect.getComputedTiming().iterations !== Infinity).length === 0)))));",
        "animations to end",
    )
    .await?;
    let path = browser::screenshot(d, name).await?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// Nothing sticks out sideways.
async fn fits(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let v = js(
        d,
        "return [document.documentElement.scrollWidth, innerWidth, \
         [...document.querySelectorAll('main *')].filter((e) => { const r = e.getBoundingClientRect(); \
         return r.width && (r.right > innerWidth + 1 || r.left < -1) && !e.closest('.hidden, [hidden], .sr-only, .cloud, ol.chat'); }) \
         .slice(0, 5).map((e) => e.tagName + '.' + e.className + '#' + e.id)];",
    )
    .await?;
    ensure!(
        v[0].as_u64() <= v[1].as_u64() && v[2].as_array().is_some_and(|a| a.is_empty()),
        "{what}: wider than the screen: {v}"
    );
    Ok(())
}

/// Screenshots at 1280×800 and 390×844, each checked to fit and audited with axe.
async fn shots(d: &WebDriver, name: &str, scroll_to: &str) -> anyhow::Result<()> {
    for (w, h, tag) in [(1280, 800, "laptop"), (390, 844, "mobile")] {
        browser::set_viewport(d, w, h).await?;
        fits(d, &format!("{name} at {w}x{h}")).await?;
        browser::axe_audit(d, &format!("{name}, {w}x{h}")).await?;
        shoot(d, &format!("{name}-{tag}"), scroll_to).await?;
    }
    browser::set_viewport(d, 1280, 800).await
}

/// Script errors, except the failed answers the test asked for (a 401 shows the login
/// form, a 400 the refused threshold).
async fn no_script_errors(d: &WebDriver) -> anyhow::Result<()> {
    browser::assert_no_alert(d).await?;
    let errors: Vec<String> = browser::js_errors(d)
        .await?
        .into_iter()
        .filter(|e| {
            !["status of 401", "status of 400"]
                .iter()
                .any(|s| e.contains(s))
        })
        .collect();
    ensure!(errors.is_empty(), "script errors: {errors:?}");
    Ok(())
}

fn plan() -> Value {
    json!({
        "title": "Bots night", "code": "B0TS4X",
        "activities": [
            {"kind": "poll", "title": "Tea or coffee?", "choices": [{"text": "Tea"}, {"text": "Coffee"}],
             "notes": "Coffee wins every year.\nThank the sponsor."},
            {"kind": "text", "title": "Thanks"}
        ]
    })
}

async fn create(ts: &TestServer, admin: &str, plan: Value) -> anyhow::Result<i64> {
    let (status, created) = ts
        .call(Method::POST, "/api/meetings", admin, Some(plan))
        .await?;
    ensure!(status == StatusCode::CREATED, "{status} {created}");
    created["id"].as_i64().context("meeting id")
}

/// A 1×1 PNG, as the media store recognises it by its content.
const PNG: &[u8] = &[
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1f, 0x15, 0xc4,
    0x89, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9c, 0x63, 0x60, 0x00, 0x02, 0x00,
    0x00, 0x05, 0x00, 0x01, 0xe9, 0xfa, 0xdc, 0xd8, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44,
    0xae, 0x42, 0x60, 0x82,
];

/// The bot card `n` (1-based) and a field of it.
fn bot(n: usize, role: &str) -> String {
    format!("#bots > li:nth-child({n}) [data-role={role}]")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_bots_in_the_editor() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-bots-editor").await?;
    let admin = ts.admin_token().await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let meeting = create(&ts, &admin, plan()).await?;
    // A video for the revolution, in the media store.
    let res = ts
        .http
        .post(ts.url("/api/media"))
        .bearer_auth(&admin)
        .header("content-type", "image/png")
        .header("x-filename", "hype%20train.png")
        .body(PNG)
        .send()
        .await?;
    let status = res.status();
    let uploaded: Value = res.json().await.unwrap_or(Value::Null);
    ensure!(status.is_success(), "media upload: {status} {uploaded}");
    let media_id = uploaded["id"].as_str().context("media id")?.to_string();

    let d = chromium.session(Size::Laptop, "en").await?;
    browser::set_viewport(&d, 1280, 800).await?;
    d.goto(ts.url(&format!("/editor.html?meeting={meeting}")))
        .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#bots", "No bots yet", TIMEOUT).await?;
    // The notes written in the file are in their field.
    let notes = wait_js(
        &d,
        "const n = document.querySelector('#activities > li:nth-child(1) [data-role=notes]'); return n && n.value;",
        "the first activity's notes",
    )
    .await?;
    ensure!(
        notes == "Coffee wins every year.\nThank the sponsor.",
        "{notes}"
    );
    replace(
        &d,
        "#activities > li:nth-child(2) [data-role=notes]",
        "Say goodbye; the answers were Coffee.",
    )
    .await?;

    // A command bot.
    press(&d, "[data-add-bot=command]").await?;
    let focused = js(&d, "return document.activeElement.dataset.role;").await?;
    ensure!(
        focused == "name",
        "a new bot's first field takes the focus: {focused}"
    );
    d.active_element().await?.send_keys("!discord").await?;
    replace(&d, &bot(1, "reply"), "Join us on Discord, {user}!").await?;
    replace(&d, &bot(1, "user_cooldown_secs"), "60").await?;
    // A revolution, with a threshold the server refuses first.
    press(&d, "[data-add-bot=revolution]").await?;
    replace(&d, &bot(2, "name"), "hype").await?;
    replace(&d, &bot(2, "threshold"), "1").await?;
    replace(&d, &bot(2, "message"), "HYPE TRAIN!").await?;
    let picked = wait_js(
        &d,
        &format!(
            "const s = document.querySelector('{}'); const o = s && [...s.options].find((o) => o.value === '{media_id}'); \
             if (!o) return null; s.value = o.value; s.dispatchEvent(new Event('change', {{bubbles: true}})); return o.textContent;",
            bot(2, "media")
        ),
        "the uploaded image in the media picker",
    )
    .await?;
    ensure!(
        picked
            .as_str()
            .is_some_and(|t| t.contains("hype train.png")),
        "the picker names the file: {picked}"
    );
    browser::click(&d, "#save", TIMEOUT).await?;
    let error = browser::wait_text(
        &d,
        "#bots > li:nth-child(2) .bf-threshold .field-error",
        "2 to 10000",
        TIMEOUT,
    )
    .await?
    .text()
    .await?;
    ensure!(
        !error.contains("bots[1]"),
        "the message names no path: {error}"
    );
    browser::wait_text(&d, "#error-summary", "Bot 2 · Viewers needed", TIMEOUT).await?;
    let invalid = js(
        &d,
        &format!(
            "return document.querySelector('{}').getAttribute('aria-invalid');",
            bot(2, "threshold")
        ),
    )
    .await?;
    ensure!(invalid == "true", "the refused field is marked invalid");
    shots(&d, "bots-editor-error", "#bots-card").await?;
    replace(&d, &bot(2, "threshold"), "3").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "Saved at", TIMEOUT).await?;

    let (status, stored) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    ensure!(status == StatusCode::OK, "{status} {stored}");
    ensure!(
        stored["bots"]
            == json!([
                {"kind": "command", "name": "discord", "reply": "Join us on Discord, {user}!",
                 "user_cooldown_secs": 60, "global_cooldown_secs": 5, "enabled": true},
                {"kind": "revolution", "name": "hype", "threshold": 3, "window_secs": 60,
                 "message": "HYPE TRAIN!", "media": media_id, "cooldown_secs": 300, "enabled": true}
            ]),
        "bots as entered: {}",
        stored["bots"]
    );
    ensure!(
        stored["activities"][0]["notes"] == "Coffee wins every year.\nThank the sponsor."
            && stored["activities"][1]["notes"] == "Say goodbye; the answers were Coffee.",
        "notes as entered: {stored}"
    );

    // Switched off, a thank-you bot added and the command moved below it; then a reload
    // shows what was stored.
    press(&d, &bot(1, "enabled")).await?;
    press(&d, "[data-add-bot=thanks]").await?;
    let reply = js(
        &d,
        &format!(
            "return document.querySelector('{}').value;",
            bot(3, "reply")
        ),
    )
    .await?;
    ensure!(
        reply.as_str().is_some_and(|r| r.contains("{user}")),
        "a thank-you bot starts with a reply: {reply}"
    );
    press(&d, "#bots > li:nth-child(1) [data-bot-move=down]").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "Saved at", TIMEOUT).await?;
    let (_, bots) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/bots"),
            &admin,
            None,
        )
        .await?;
    let kinds: Vec<&str> = bots["bots"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|b| b["kind"].as_str().unwrap_or("?"))
        .collect();
    ensure!(kinds == ["revolution", "command", "thanks"], "{bots}");
    ensure!(
        bots["bots"][1]["enabled"] == false && bots["bots"][2]["alert"] == "follow",
        "{bots}"
    );
    d.refresh().await?;
    wait_js(
        &d,
        "const n = document.querySelector('#bots > li:nth-child(2) [data-role=name]'); return n && n.value === 'discord';",
        "the stored command after a reload",
    )
    .await?;
    let state = js(
        &d,
        "return [...document.querySelectorAll('#bots > li')].map((li) => [li.querySelector('[data-role=enabled]').checked, li.querySelector('.kind-chip').textContent]);",
    )
    .await?;
    ensure!(
        state
            == json!([
                [true, "Revolution"],
                [false, "Command"],
                [true, "Thank-you"]
            ]),
        "{state}"
    );
    shots(&d, "bots-editor", "#bots-card").await?;
    // In French too.
    browser::click(&d, "#lang", TIMEOUT).await?;
    browser::wait_text(&d, "#bots-card h2", "Bots", TIMEOUT).await?;
    browser::wait_text(
        &d,
        "#bots > li:nth-child(1) .kind-chip",
        "Révolution",
        TIMEOUT,
    )
    .await?;
    browser::set_viewport(&d, 390, 844).await?;
    fits(&d, "the French editor on a phone").await?;
    shoot(&d, "bots-editor-fr-mobile", "#bots > li:nth-child(1)").await?;
    no_script_errors(&d).await?;
    d.quit().await?;
    ts.server.shutdown().await;
    Ok(())
}

fn chant(user: &str) -> ChatMessage {
    ChatMessage {
        platform: Platform::Twitch,
        id: None,
        user_id: user.into(),
        user_name: format!("{user} name"),
        text: "!hype".into(),
        at: 0,
        badges: Default::default(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_bots_on_the_dashboard() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-bots-dashboard").await?;
    let admin = ts.admin_token().await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let mut file = plan();
    file["bots"] = json!([
        {"kind": "periodic", "lines": ["Follow the stream for more quizzes!", "Scores: !score"], "every_secs": 600},
        {"kind": "command", "name": "discord", "reply": "Join us, {user}"},
        {"kind": "revolution", "name": "hype", "threshold": 3, "window_secs": 60, "message": "HYPE TRAIN!", "cooldown_secs": 300},
        {"kind": "thanks", "alert": "raid", "reply": "Welcome raiders, thanks {user}!"}
    ]);
    let meeting = create(&ts, &admin, file).await?;
    let mut staff = ts.connect(meeting, &admin).await?;
    ok(&staff.control("start").await?)?;
    staff.wait_status("ongoing").await.context("started")?;

    let d = chromium.session(Size::Laptop, "en").await?;
    browser::set_viewport(&d, 1280, 800).await?;
    d.goto(ts.url(&format!("/organize.html?meeting={meeting}")))
        .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#status", "Live", TIMEOUT).await?;
    let names = wait_js(
        &d,
        "const n = [...document.querySelectorAll('#bots li.bot .bot-name')].map((e) => e.textContent); return n.length === 4 ? n : null;",
        "four bots on the dashboard",
    )
    .await?;
    ensure!(
        names
            == json!([
                "Follow the stream for more quizzes!",
                "!discord",
                "!hype",
                "Thanks for: Raid"
            ]),
        "{names}"
    );
    browser::wait_text(&d, "[data-rev-count=\"2\"]", "0 of 3", TIMEOUT).await?;
    let edit = js(&d, "return document.querySelector('#bots-edit').href;").await?;
    ensure!(
        edit.as_str()
            .is_some_and(|h| h.ends_with(&format!("/editor.html?meeting={meeting}#bots-card"))),
        "{edit}"
    );

    // The current activity's notes, folded until opened.
    browser::wait_for(&d, "#notes", TIMEOUT).await?;
    let open = js(&d, "return document.querySelector('#notes').open;").await?;
    ensure!(open == false, "notes start folded");
    press(&d, "#notes summary").await?;
    browser::wait_text(&d, "#notes-text", "Thank the sponsor.", TIMEOUT).await?;
    shots(&d, "bots-dashboard-notes", "#question").await?;

    // A bot switched off and on again, by keyboard.
    let switch = "[data-bot-switch=\"1\"]";
    press(&d, switch).await?;
    wait_js(
        &d,
        &format!(
            "return document.querySelector('{switch}').getAttribute('aria-checked') === 'false';"
        ),
        "the command bot off",
    )
    .await?;
    browser::wait_text(&d, "#toast", "!discord is off", TIMEOUT).await?;
    let (_, bots) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/bots"),
            &admin,
            None,
        )
        .await?;
    ensure!(bots["bots"][1]["enabled"] == false, "{bots}");
    ensure!(
        bots["bots"][0]["enabled"] == true && bots["bots"][2]["enabled"] == true,
        "only that bot changed: {bots}"
    );
    let focused = js(&d, "return document.activeElement.dataset.botSwitch;").await?;
    ensure!(focused == "1", "the switch keeps the focus: {focused}");
    d.active_element().await?.send_keys(Key::Enter).await?;
    wait_js(
        &d,
        &format!(
            "return document.querySelector('{switch}').getAttribute('aria-checked') === 'true';"
        ),
        "the command bot on again",
    )
    .await?;
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let (_, bots) = ts
            .call(
                Method::GET,
                &format!("/api/meetings/{meeting}/bots"),
                &admin,
                None,
            )
            .await?;
        if bots["bots"][1]["enabled"] == true {
            break;
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "never on again: {bots}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }

    // Viewers chant: the count rises, a repeat counts once.
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    handle.chat(vec![chant("v1"), chant("v1")]).await?;
    browser::wait_text(&d, "[data-rev-count=\"2\"]", "1 of 3", TIMEOUT).await?;
    handle.chat(vec![chant("v2")]).await?;
    browser::wait_text(&d, "[data-rev-count=\"2\"]", "2 of 3", TIMEOUT).await?;
    let meter = js(
        &d,
        "const m = document.querySelector('[data-bot=\"2\"] [role=progressbar]'); return [m.getAttribute('aria-valuenow'), m.getAttribute('aria-valuemax')];",
    )
    .await?;
    ensure!(meter == json!(["2", "3"]), "{meter}");
    shots(&d, "bots-dashboard-chanting", "#bots-card").await?;
    // The third viewer fires it: the revolution's alert reaches the feed, and it cools down.
    handle.chat(vec![chant("v3")]).await?;
    browser::wait_text(&d, "#alerts", "Revolution", TIMEOUT).await?;
    browser::wait_text(&d, "[data-bot=\"2\"] .rev-cool", "Cooling down", TIMEOUT).await?;

    // The test button: a marked alert in the feed, without a stream.
    let select = browser::wait_for(&d, "#alert-kind", TIMEOUT).await?;
    d.execute(
        "arguments[0].value = 'raid'; arguments[0].dispatchEvent(new Event('change', {bubbles: true}));",
        vec![select.to_json()?],
    )
    .await?;
    press(&d, "#alert-test button[type=submit]").await?;
    browser::wait_text(&d, "#alert-status", "Test alert sent: Raid", TIMEOUT).await?;
    let first = browser::wait_text(&d, "#alerts li.alert.is-test", "Raid", TIMEOUT)
        .await?
        .text()
        .await?;
    ensure!(first.contains("Test"), "the test alert is marked: {first}");
    let count = js(
        &d,
        "return document.querySelectorAll('#alerts li.alert').length;",
    )
    .await?;
    ensure!(count == 2, "one revolution and one test alert: {count}");

    // Overlay links and the teleprompter link.
    press(&d, "#overlays-create").await?;
    let url = wait_js(
        &d,
        "const n = document.querySelector('#overlay-chat'); return n && n.value;",
        "the chat overlay's link",
    )
    .await?;
    let url = url.as_str().unwrap_or_default().to_string();
    ensure!(
        url.contains(&format!("/overlay/chat.html?meeting={meeting}&token=")),
        "{url}"
    );
    let sizes = js(
        &d,
        "return [...document.querySelectorAll('#overlay-links .overlay-size')].map((e) => e.textContent);",
    )
    .await?;
    ensure!(
        sizes == json!(["400 × 600", "800 × 600", "1920 × 300"]),
        "{sizes}"
    );
    press(&d, "#prompter-create").await?;
    let prompter = wait_js(
        &d,
        "const n = document.querySelector('#prompter-url'); return n && n.value;",
        "the teleprompter's link",
    )
    .await?;
    ensure!(
        prompter
            .as_str()
            .is_some_and(|u| u.contains("/overlay/prompter.html?meeting=") && u.contains("token=")),
        "{prompter}"
    );
    shots(&d, "bots-dashboard", "#bots-card").await?;
    shots(&d, "bots-dashboard-overlays", "#overlays-card").await?;
    // A reconnect replays the latest alerts: each is still shown once.
    d.refresh().await?;
    browser::wait_text(&d, "#alerts", "Revolution", TIMEOUT).await?;
    wait_js(
        &d,
        "return document.querySelectorAll('#alerts li.alert').length === 2;",
        "two alerts after a reload, not four",
    )
    .await?;
    // In French, on a phone.
    browser::click(&d, "#lang", TIMEOUT).await?;
    browser::wait_text(&d, "#alerts-card h2", "Alertes", TIMEOUT).await?;
    browser::set_viewport(&d, 390, 844).await?;
    fits(&d, "the French dashboard on a phone").await?;
    shoot(&d, "bots-dashboard-fr-mobile", "#bots-card").await?;
    shoot(&d, "bots-dashboard-fr-alerts", "#alerts-card").await?;
    no_script_errors(&d).await?;
    d.quit().await?;
    ts.server.shutdown().await;
    Ok(())
}
