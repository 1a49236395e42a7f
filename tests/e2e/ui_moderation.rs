//! Moderation and the flag sheet in Debian's Chromium. The dashboard's participants panel
//! lists who joined with their online state; a rename made there reaches the presenter
//! screen, a blocked name is refused in the form, a removal sends the phone to "A moderator
//! removed you"; a word hidden from the cloud leaves the presenter's cloud. The flag sheet
//! shows every flag's QR code (also as printed); opening a flag's link on a phone claims it,
//! at once with a seat, after the join form without one, and never twice. Screenshots at
//! 390×844 and 1440×900: `target/screenshots/moderation-*` and `flags-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_tests::browser::{self, Size};
use librekast_tests::browser::{js, wait_js};
use librekast_tests::*;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

const CODE: &str = "Pour1nf0";

/// Waits for the page's transitions to end (rows, the cloud), then takes the screenshot.
async fn shoot(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    wait_js(
        d,
        "return document.getAnimations().filter((a) => a.playState === 'running' && a.effect \
         && a.effect.getComputedTiming().iterations !== Infinity).length === 0;",
        "animations to end",
    )
    .await?;
    let path = browser::screenshot(d, name).await?;
    eprintln!("screenshot: {}", path.display());
    Ok(())
}

/// Nothing sticks out sideways at the current size (a word cloud clips its own words).
async fn fits(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let v = js(
        d,
        "return [document.documentElement.scrollWidth, innerWidth, \
         [...document.querySelectorAll('main *')].filter((e) => { const r = e.getBoundingClientRect(); \
         return r.width && (r.right > innerWidth + 1 || r.left < -1) && !e.closest('.hidden, [hidden], .sr-only, .cloud'); }) \
         .slice(0, 5).map((e) => e.tagName + '.' + e.className)];",
    )
    .await?;
    ensure!(
        v[0].as_u64() <= v[1].as_u64() && v[2].as_array().is_some_and(|a| a.is_empty()),
        "{what}: wider than the screen: {v}"
    );
    Ok(())
}

/// Joins through the join form already open in `d` (the code is typed, as from a flag QR
/// code that carries none) and waits for the participant page.
async fn join_form(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    let code = browser::wait_for(d, "#code", TIMEOUT).await?;
    code.clear().await?;
    code.send_keys(CODE).await?;
    let field = browser::wait_for(d, "#name", TIMEOUT).await?;
    field.clear().await?;
    field.send_keys(name).await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(d, "#you-name", name, TIMEOUT).await?;
    Ok(())
}

/// A participant row of the dashboard's panel: `[name, state class]`.
async fn row(d: &WebDriver, id: i64) -> anyhow::Result<Value> {
    js(
        d,
        &format!(
            "const r = document.querySelector('#people-list li[data-id=\"{id}\"]'); \
             return r ? [r.querySelector('.person-name')?.textContent, r.className] : null;"
        ),
    )
    .await
}

/// The organizer's dashboard at 1440×900, logged in, with the participants listed.
async fn dashboard(
    chromium: &browser::Chromium,
    ts: &TestServer,
    meeting: i64,
) -> anyhow::Result<WebDriver> {
    let password = ts.server.admin_password.clone().context("admin password")?;
    let org = chromium.session(Size::Laptop, "en").await?;
    org.goto(format!(
        "{}/organize.html?meeting={meeting}",
        ts.server.url()
    ))
    .await?;
    browser::log_in_admin(&org, &password, TIMEOUT).await?;
    wait_js(
        &org,
        "return document.querySelector('#people-count').textContent !== '';",
        "the participants panel",
    )
    .await?;
    Ok(org)
}

/// Drives the meeting from a staff socket up to the open word cloud.
async fn open_cloud(staff: &mut Client) -> anyhow::Result<i64> {
    ok(&staff.control("next").await?)?;
    let mut position = 1;
    staff.wait_state(|s| s["position"] == 1).await?;
    while staff.state["question"]["kind"] != "wordcloud" {
        ok(&staff.control("next").await?)?;
        position += 1;
        staff.wait_state(|s| s["position"] == position).await?;
    }
    ok(&staff.control("start").await?)?;
    Ok(staff.wait_open("wordcloud").await?["question"]["id"]
        .as_i64()
        .unwrap_or(-1))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn moderating_from_the_dashboard() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-moderation").await?;
    let meeting = ts.demo_meeting().await?;
    let base = ts.server.url();
    let admin = ts.admin_token().await?;
    let mut staff = ts.connect(meeting, &admin).await?;

    // Ada on a socket, Bob on a phone, Carol joined and left (offline).
    let (ada, ada_token) = ts.join(meeting, CODE, "Ada").await?;
    let mut ada_socket = ts.connect(meeting, &ada_token).await?;
    let (carol, _) = ts.join(meeting, CODE, "Carol").await?;
    let bob_phone = chromium.session(Size::Mobile, "en").await?;
    bob_phone
        .goto(format!("{base}/?meeting={meeting}&code={CODE}"))
        .await?;
    join_form(&bob_phone, "Bob").await?;
    let present = chromium.session(Size::Laptop, "en").await?;
    present
        .goto(format!(
            "{base}/present.html?meeting={meeting}&token={}",
            ts.display_token(meeting).await?
        ))
        .await?;

    // The panel lists all three, online or not.
    let org = dashboard(&chromium, &ts, meeting).await?;
    let bob = wait_js(
        &org,
        "const rows = [...document.querySelectorAll('#people-list li.person')]; \
         const b = rows.find((r) => r.querySelector('.person-name').textContent === 'Bob'); \
         return rows.length === 3 && b && b.classList.contains('online') ? Number(b.dataset.id) : null;",
        "three participants, Bob online",
    )
    .await?
    .as_i64()
    .unwrap_or(-1);
    ensure!(
        row(&org, ada).await?[1]
            .as_str()
            .is_some_and(|c| c.contains("online")),
        "Ada is online"
    );
    ensure!(
        row(&org, carol).await?[1]
            .as_str()
            .is_some_and(|c| c.contains("offline")),
        "Carol is offline"
    );
    let count = browser::text(&org, "#people-count", TIMEOUT).await?;
    ensure!(
        count.contains("3 participants") && count.contains("2 online"),
        "{count}"
    );
    // The search narrows the list.
    browser::wait_for(&org, "#people-search", TIMEOUT)
        .await?
        .send_keys("car")
        .await?;
    wait_js(
        &org,
        "return document.querySelectorAll('#people-list li.person').length === 1;",
        "one match for 'car'",
    )
    .await?;
    browser::wait_for(&org, "#people-search", TIMEOUT)
        .await?
        .clear()
        .await?;
    js(
        &org,
        "document.querySelector('#people-search').dispatchEvent(new Event('input'));",
    )
    .await?;
    wait_js(
        &org,
        "return document.querySelectorAll('#people-list li.person').length === 3;",
        "all three again",
    )
    .await?;

    // Ada finds the flag, so the presenter's scoreboard shows her name.
    ok(&staff.control("start").await?)?;
    ok(&ada_socket.flag("LibreKast{hello-world}").await?)?;
    ok(&staff.control("scoreboard").await?)?;
    browser::wait_text(&present, "#body", "Ada", TIMEOUT).await?;
    browser::wait_text(&present, "#online", "2", TIMEOUT).await?;
    // The list follows the capture (refreshed at most once a second).
    browser::wait_text(
        &org,
        &format!("#people-list li[data-id=\"{ada}\"] .person-score"),
        "8 pts",
        TIMEOUT,
    )
    .await?;
    fits(&org, "dashboard, laptop").await?;
    shoot(&org, "moderation-dashboard-laptop").await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    shoot(&org, "moderation-participants-laptop").await?;
    browser::axe_audit(&org, "dashboard with participants, laptop").await?;

    // Rename Ada in the panel: the presenter screen follows.
    browser::click(&org, &format!("[data-key=\"rename:{ada}\"]"), TIMEOUT).await?;
    let field = browser::wait_for(&org, &format!("#rename-{ada}"), TIMEOUT).await?;
    field.clear().await?;
    field.send_keys("Ada Lovelace").await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(&present, "#body", "Ada Lovelace", TIMEOUT).await?;
    browser::wait_text(&org, "#people-list", "Ada Lovelace", TIMEOUT).await?;
    browser::wait_text(&org, "#people-toast", "Ada Lovelace", TIMEOUT).await?;
    shoot(&present, "moderation-presenter-renamed-laptop").await?;

    // Blocked words: saved from the panel, then a rename holding one is refused in the form.
    browser::click(&org, "#blocked summary", TIMEOUT).await?;
    let words = browser::wait_for(&org, "#blocked-words", TIMEOUT).await?;
    words.send_keys("spam\nrude words").await?;
    browser::click(&org, "#blocked-form button[type=submit]", TIMEOUT).await?;
    browser::wait_text(&org, "#blocked-status", "2 blocked words saved", TIMEOUT).await?;
    browser::wait_text(&org, "#blocked-count", "2", TIMEOUT).await?;
    browser::click(&org, &format!("[data-key=\"rename:{carol}\"]"), TIMEOUT).await?;
    let field = browser::wait_for(&org, &format!("#rename-{carol}"), TIMEOUT).await?;
    field.clear().await?;
    field.send_keys("Spam Queen").await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(
        &org,
        &format!("#rename-{carol}-error"),
        "blocked words",
        TIMEOUT,
    )
    .await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    shoot(&org, "moderation-rename-refused-laptop").await?;
    browser::axe_audit(&org, "dashboard, rename refused, laptop").await?;
    browser::resize(&org, Size::Mobile).await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    fits(&org, "dashboard with a rename form, phone").await?;
    shoot(&org, "moderation-rename-refused-mobile").await?;
    browser::axe_audit(&org, "dashboard, rename refused, phone").await?;
    field.send_keys(Key::Escape).await?;
    wait_js(
        &org,
        "return !document.querySelector('.rename-form');",
        "the rename form closes",
    )
    .await?;

    // Remove Bob after the confirmation: his phone says so and stays put.
    browser::click(&org, &format!("[data-key=\"remove:{bob}\"]"), TIMEOUT).await?;
    browser::wait_text(&org, "#ask-text", "answers stop counting", TIMEOUT).await?;
    shoot(&org, "moderation-remove-confirm-mobile").await?;
    browser::axe_audit(&org, "dashboard, remove dialog, phone").await?;
    browser::click(&org, "#ask-ok", TIMEOUT).await?;
    browser::wait_text(
        &bob_phone,
        "#question",
        "A moderator removed you from this meeting.",
        TIMEOUT,
    )
    .await?;
    browser::wait_text(&org, "#people-toast", "Bob was removed", TIMEOUT).await?;
    wait_js(
        &org,
        &format!("return !document.querySelector('#people-list li[data-id=\"{bob}\"]');"),
        "Bob off the list",
    )
    .await?;
    browser::wait_text(&present, "#online", "1", TIMEOUT).await?;
    wait_js(
        &present,
        "return document.querySelector('#body').textContent.includes('Carol') \
         && !document.querySelector('#body').textContent.includes('Bob');",
        "Bob leaves the presenter's scoreboard",
    )
    .await?;
    fits(&org, "dashboard after a removal, phone").await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    shoot(&org, "moderation-participants-mobile").await?;
    shoot(&bob_phone, "moderation-removed-mobile").await?;
    browser::axe_audit(&bob_phone, "participant removed, phone").await?;
    // It does not reconnect: still the message a while later, and no banner.
    tokio::time::sleep(Duration::from_secs(2)).await;
    browser::wait_text(&bob_phone, "#question", "removed you", TIMEOUT).await?;
    ensure!(
        js(
            &bob_phone,
            "const n = document.getElementById('net'); return !n || n.hidden;"
        )
        .await?
            == true,
        "no reconnecting banner"
    );

    // The word cloud: hide a word from the panel; the presenter's cloud loses it.
    let cloud = open_cloud(&mut staff).await?;
    ok(&ada_socket.word(cloud, "Rust").await?)?;
    ok(&ada_socket.word(cloud, "fun").await?)?;
    ok(&ada_socket.word(cloud, "café").await?)?;
    browser::resize(&org, Size::Laptop).await?;
    let hide = browser::wait_for(&org, "#cloud-words [data-key=\"hide:Rust\"]", TIMEOUT).await?;
    browser::wait_text(&present, "#cloud", "Rust", TIMEOUT).await?;
    js(
        &org,
        "document.querySelector('#moderation').scrollIntoView();",
    )
    .await?;
    shoot(&org, "moderation-cloud-laptop").await?;
    hide.click().await?;
    wait_js(
        &present,
        "return document.querySelector('#cloud') && ![...document.querySelectorAll('#cloud .cloud-word')].some((w) => w.textContent === 'Rust');",
        "Rust leaves the presenter's cloud",
    )
    .await?;
    browser::wait_text(&present, "#cloud", "fun", TIMEOUT).await?;
    browser::wait_for(&org, "#hidden-words [data-key=\"show:rust\"]", TIMEOUT).await?;
    browser::wait_text(&org, "#cloud-mod-toast", "hidden", TIMEOUT).await?;
    js(
        &org,
        "document.querySelector('#moderation').scrollIntoView();",
    )
    .await?;
    shoot(&org, "moderation-cloud-hidden-laptop").await?;
    browser::axe_audit(&org, "dashboard, cloud moderation, laptop").await?;
    browser::resize(&org, Size::Mobile).await?;
    js(
        &org,
        "document.querySelector('#cloud-mod').scrollIntoView();",
    )
    .await?;
    fits(&org, "dashboard, cloud moderation, phone").await?;
    shoot(&org, "moderation-cloud-hidden-mobile").await?;
    shoot(&present, "moderation-presenter-cloud-laptop").await?;
    // The same in the dark theme.
    js(&org, "document.documentElement.dataset.theme = 'dark';").await?;
    shoot(&org, "moderation-cloud-hidden-mobile-dark").await?;
    browser::axe_audit(&org, "dashboard, cloud moderation, phone, dark").await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    browser::axe_audit(&org, "dashboard, participants, phone, dark").await?;
    // And back.
    js(
        &org,
        "document.querySelector('#cloud-mod').scrollIntoView();",
    )
    .await?;
    browser::click(&org, "#hidden-words [data-key=\"show:rust\"]", TIMEOUT).await?;
    browser::wait_text(&present, "#cloud", "Rust", TIMEOUT).await?;

    // A 401 from /api/me before the login, the refused rename's 400: nothing else.
    for (who, d) in [
        ("dashboard", &org),
        ("presenter", &present),
        ("phone", &bob_phone),
    ] {
        browser::assert_no_alert(d).await?;
        for e in browser::js_errors(d).await? {
            ensure!(
                e.contains("401") || (e.contains("/participants/") && e.contains("400")),
                "{who}: browser error: {e}"
            );
        }
    }
    drop(ada_socket);
    org.quit().await?;
    present.quit().await?;
    bob_phone.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_meeting_lists_the_first_two_hundred() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-moderation-big").await?;
    let meeting = ts.demo_meeting().await?;
    let names: Vec<String> = (0..230).map(|i| format!("Player {i:03}")).collect();
    for chunk in names.chunks(23) {
        for joined in
            futures_util::future::join_all(chunk.iter().map(|n| ts.join(meeting, CODE, n))).await
        {
            joined?;
        }
    }
    let org = dashboard(&chromium, &ts, meeting).await?;
    wait_js(
        &org,
        "return document.querySelectorAll('#people-list li.person').length === 200 \
         && document.querySelector('#people-more').textContent.includes('first 200 of 230');",
        "200 rows drawn of 230",
    )
    .await?;
    browser::wait_text(
        &org,
        "#people-count",
        "230 participants · 0 online",
        TIMEOUT,
    )
    .await?;
    let search = browser::wait_for(&org, "#people-search", TIMEOUT).await?;
    search.send_keys("player 22").await?;
    if let Err(e) = wait_js(
        &org,
        "const n = document.querySelectorAll('#people-list li.person').length; \
         const more = document.querySelector('#people-more').textContent; \
         window.__seen = [n, more, document.querySelector('#people-search').value]; \
         return n === 10 && more === '';",
        "Player 220 to 229",
    )
    .await
    {
        anyhow::bail!("{e}: {}", js(&org, "return window.__seen;").await?);
    }
    search.send_keys("x").await?;
    browser::wait_text(
        &org,
        "#people-more",
        "Nobody’s name holds “player 22x”",
        TIMEOUT,
    )
    .await?;
    search.clear().await?;
    search.send_keys("0").await?;
    js(&org, "document.querySelector('#people').scrollIntoView();").await?;
    fits(&org, "a big meeting's list, laptop").await?;
    shoot(&org, "moderation-many-laptop").await?;
    org.quit().await?;
    Ok(())
}

/// Six more flags beside the demo's: long names, a long code, accents.
async fn add_flags(ts: &TestServer, meeting: i64, admin: &str) -> anyhow::Result<()> {
    let (_, mut plan) = ts
        .bearer(
            reqwest::Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            admin,
        )
        .await?;
    let flags = plan["flags"].as_array_mut().context("plan flags")?;
    for (name, code, points, first_blood) in [
        ("Sticker under the desk", "under-the-desk", 10, 5),
        (
            "The one hidden behind the projector screen in room 204, look closely",
            "projector-204",
            3,
            0,
        ),
        ("Café crème ☕", "café-été", 1, 0),
        (
            "Long code",
            "a-very-long-flag-code-that-someone-typed-to-make-it-hard-to-guess-1234567890",
            20,
            0,
        ),
        ("Backstage", "backstage", 2, 0),
        ("Coffee machine", "coffee", 2, 1),
    ] {
        flags.push(
            json!({"name": name, "code": code, "points": points, "first_blood": first_blood}),
        );
    }
    let res = ts
        .http
        .put(ts.url(&format!("/api/meetings/{meeting}/plan")))
        .bearer_auth(admin)
        .json(&plan)
        .send()
        .await?;
    ensure!(res.status().is_success(), "plan: {}", res.text().await?);
    Ok(())
}

/// Captured flags in the staff socket's frames so far, by name.
fn captures(staff: &Client, name: &str) -> usize {
    staff
        .frames
        .iter()
        .filter(|f| f["type"] == "flag_attempt" && f["name"] == name)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_flag_sheet_and_its_qr_links() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-flags").await?;
    let meeting = ts.demo_meeting().await?;
    let admin = ts.admin_token().await?;
    let mut staff = ts.connect(meeting, &admin).await?;
    add_flags(&ts, meeting, &admin).await?;

    // The dashboard links to the sheet; each flag is a card with its QR code.
    let org = dashboard(&chromium, &ts, meeting).await?;
    browser::click(&org, "#flag-sheet-link", TIMEOUT).await?;
    browser::wait_text(&org, "#sheet-title", "LibreKast demo", TIMEOUT).await?;
    wait_js(
        &org,
        "const q = [...document.querySelectorAll('.flag-card img.flag-qr')]; \
         return q.length === 7 && q.every((i) => i.complete && i.naturalWidth > 100);",
        "seven QR code images loaded",
    )
    .await?;
    let card = browser::text(&org, ".flag-card", TIMEOUT).await?;
    for needle in [
        "Welcome flag",
        "5 points",
        "+3 for the first finder",
        "LibreKast{hello-world}",
        "SCAN ME",
    ] {
        ensure!(card.contains(needle), "the card lacks {needle:?}: {card}");
    }
    ensure!(
        js(
            &org,
            "return !document.querySelector('#loopback').classList.contains('hidden');"
        )
        .await?
            == true,
        "the sheet warns that phones cannot open 127.0.0.1"
    );
    shoot(&org, "flags-sheet-laptop").await?;
    browser::axe_audit(&org, "flag sheet, laptop").await?;
    browser::resize(&org, Size::Mobile).await?;
    fits(&org, "flag sheet, phone").await?;
    shoot(&org, "flags-sheet-mobile").await?;
    browser::axe_audit(&org, "flag sheet, phone").await?;
    // As printed on A4 (210 mm at 96 dpi is 794 px): the cards alone, black on white.
    browser::cdp(
        &org,
        "Emulation.setEmulatedMedia",
        json!({"media": "print"}),
    )
    .await?;
    browser::cdp(
        &org,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": 794, "height": 1123, "deviceScaleFactor": 1, "mobile": false}),
    )
    .await?;
    let printed = js(
        &org,
        "const c = document.querySelector('.flag-card'); const s = getComputedStyle(c); \
         return [getComputedStyle(document.querySelector('.topbar')).display, s.backgroundColor, s.color, s.breakInside];",
    )
    .await?;
    ensure!(
        printed == json!(["none", "rgb(255, 255, 255)", "rgb(0, 0, 0)", "avoid"]),
        "print styles: {printed}"
    );
    shoot(&org, "flags-sheet-print").await?;
    browser::cdp(&org, "Emulation.setEmulatedMedia", json!({"media": ""})).await?;
    browser::cdp(&org, "Emulation.clearDeviceMetricsOverride", json!({})).await?;
    let (_, flags) = ts
        .bearer(
            reqwest::Method::GET,
            &format!("/api/meetings/{meeting}/flags"),
            &admin,
        )
        .await?;
    ensure!(flags[0]["name"] == "Welcome flag", "{flags}");
    let url = flags[0]["url"].as_str().context("flag url")?.to_string();

    // A phone with a seat opens the link: the flag is claimed on the participant page.
    let phone = chromium.session(Size::Mobile, "en").await?;
    phone
        .goto(format!(
            "{}/?meeting={meeting}&code={CODE}",
            ts.server.url()
        ))
        .await?;
    join_form(&phone, "Eve").await?;
    phone.goto(&url).await?;
    browser::wait_text(&phone, "#flag-toast", "you found it first", TIMEOUT).await?;
    browser::wait_text(&phone, "#score", "8", TIMEOUT).await?;
    ensure!(
        !phone.current_url().await?.as_str().contains("flag="),
        "the flag left the address"
    );
    shoot(&phone, "flags-claimed-mobile").await?;
    browser::axe_audit(&phone, "flag claimed, phone").await?;
    // A reload sends nothing again.
    phone.refresh().await?;
    browser::wait_text(&phone, "#score", "8", TIMEOUT).await?;
    staff
        .wait_for(|v| v["type"] == "flag_attempt" && v["name"] == "Eve")
        .await?;

    // A phone without a seat: the join form says why, then the flag counts after joining.
    let fresh = chromium.session(Size::Mobile, "fr").await?;
    fresh.goto(&url).await?;
    browser::wait_text(&fresh, "#flag-note", "valider le drapeau", TIMEOUT).await?;
    ensure!(
        !fresh.current_url().await?.as_str().contains("flag="),
        "the flag left the address"
    );
    browser::wait_for(
        &fresh,
        &format!("button[data-meeting=\"{meeting}\"][aria-pressed=\"true\"]"),
        TIMEOUT,
    )
    .await?;
    fits(&fresh, "join form with the flag note, phone").await?;
    shoot(&fresh, "flags-join-note-mobile").await?;
    browser::axe_audit(&fresh, "join form with the flag note, phone").await?;
    join_form(&fresh, "Fred").await?;
    browser::wait_text(&fresh, "#flag-toast", "5 points", TIMEOUT).await?;
    browser::wait_text(&fresh, "#score", "5", TIMEOUT).await?;
    shoot(&fresh, "flags-claimed-after-join-mobile").await?;
    fresh.refresh().await?;
    browser::wait_text(&fresh, "#score", "5", TIMEOUT).await?;
    staff
        .wait_for(|v| v["type"] == "flag_attempt" && v["name"] == "Fred")
        .await?;
    // Both reloads are in; each phone submitted exactly once.
    let (_, list) = ts
        .bearer(
            reqwest::Method::GET,
            &format!("/api/meetings/{meeting}/participants"),
            &admin,
        )
        .await?;
    staff.drain().await;
    ensure!(
        captures(&staff, "Eve") == 1 && captures(&staff, "Fred") == 1,
        "one attempt each: {:?}; participants {list}",
        staff
            .frames
            .iter()
            .filter(|f| f["type"] == "flag_attempt")
            .collect::<Vec<_>>()
    );

    // A blocked name is said under the name field.
    let (status, _) = ts
        .http
        .put(ts.url(&format!("/api/meetings/{meeting}/blocked_words")))
        .bearer_auth(&admin)
        .json(&json!({"words": ["spam"]}))
        .send()
        .await
        .map(|r| (r.status(), ()))?;
    ensure!(status.is_success(), "blocked words: {status}");
    let blocked = chromium.session(Size::Mobile, "en").await?;
    blocked
        .goto(format!(
            "{}/?meeting={meeting}&code={CODE}",
            ts.server.url()
        ))
        .await?;
    let name = browser::wait_for(&blocked, "#name", TIMEOUT).await?;
    name.send_keys("Spam Bot").await?;
    name.send_keys(Key::Enter).await?;
    browser::wait_text(&blocked, "#name-error", "not allowed", TIMEOUT).await?;
    shoot(&blocked, "moderation-join-blocked-mobile").await?;
    browser::axe_audit(&blocked, "join form, blocked name, phone").await?;

    for (who, d) in [
        ("sheet", &org),
        ("phone", &phone),
        ("fresh phone", &fresh),
        ("join", &blocked),
    ] {
        browser::assert_no_alert(d).await?;
        for e in browser::js_errors(d).await? {
            ensure!(
                e.contains("401") || e.contains("400"),
                "{who}: browser error: {e}"
            );
        }
    }
    org.quit().await?;
    phone.quit().await?;
    fresh.quit().await?;
    blocked.quit().await?;
    Ok(())
}
