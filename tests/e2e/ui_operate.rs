//! The live operations page (issue 16, docs/operations.md "Reading the operations page") in
//! Debian's Chromium, against the real server:
//!
//! - a participant joins the demo meeting, so its tree runs; the admin's page shows the
//!   meeting's card with the meeting actor running and the `spawned` events;
//! - a panic injected into the meeting actor shows in the event stream as `failed` (with
//!   the panic's text), `restart scheduled` and `restarted`, and on the card as one restart
//!   in the last hour;
//! - the filters (level, meeting, actor, text) hide rows and say how many; pausing holds
//!   new rows back until resumed;
//! - in French; at 390×844, 1440×900 and 1920×1080, light and dark, with axe audits;
//! - an organizer (and nobody at all) gets 403 for the page and the API; an admin whose
//!   session ends is told so on the page and logs in again there.
//!
//! Screenshots: `target/screenshots/operate-*`.

use std::time::{Duration, Instant};

use anyhow::{Context, bail, ensure};
use librekast_storage::{MeetingId, Role};
use librekast_tests::browser::{self, Size, clean, js, language, wait_js};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::json;
use thirtyfour::components::SelectElement;
use thirtyfour::prelude::*;

/// Nothing wider than the screen and no shown element of the page past its right edge.
async fn fits(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    browser::fits_sideways(d, what, "[hidden], .hidden, .sr-only, thead").await
}

/// The texts of the event rows shown (not hidden by a filter), newest first.
const SHOWN_ROWS: &str = "return [...document.querySelectorAll('#op-rows tr.op-row:not([hidden])')]\
    .map((r) => ({ seq: Number(r.dataset.seq), event: r.dataset.event, level: r.dataset.level, \
    mid: r.dataset.mid, text: r.textContent }));";

async fn shown_rows(d: &WebDriver) -> anyhow::Result<Vec<serde_json::Value>> {
    Ok(js(d, SHOWN_ROWS)
        .await?
        .as_array()
        .cloned()
        .unwrap_or_default())
}

async fn select(d: &WebDriver, css: &str, value: &str) -> anyhow::Result<()> {
    let el = browser::wait_for(d, css, TIMEOUT).await?;
    SelectElement::new(&el)
        .await?
        .select_by_value(value)
        .await?;
    Ok(())
}

/// The viewport at `size` in `theme` (the top bar's button), then a screenshot of the top
/// and of the events, an overflow check and an axe audit.
async fn look(d: &WebDriver, size: Size, theme: &str, name: &str) -> anyhow::Result<()> {
    browser::resize(d, size).await?;
    for _ in 0..2 {
        if js(d, "return document.documentElement.dataset.theme || '';").await? == theme {
            break;
        }
        browser::click(d, "#theme", TIMEOUT).await?;
    }
    let (w, h) = size.viewport();
    fits(d, &format!("{name} at {w}x{h}")).await?;
    let h1 = js(
        d,
        "return [...document.querySelectorAll('h1')].filter((h) => h.checkVisibility()).length;",
    )
    .await?;
    ensure!(h1 == 1, "{name}: {h1} visible h1");
    browser::shoot(d, None, &format!("operate-{name}-{w}x{h}-{theme}")).await?;
    browser::shoot(
        d,
        Some("#op-events-title"),
        &format!("operate-{name}-events-{w}x{h}-{theme}"),
    )
    .await?;
    browser::axe_audit(d, &format!("operations page, {name}, {w}x{h}, {theme}")).await?;
    Ok(())
}

/// An organizer account and its bearer token.
async fn organizer(ts: &TestServer, name: &str, password: &str) -> anyhow::Result<String> {
    let hash = librekast_web::auth::hash_password(password)?;
    ts.server
        .engine
        .store()
        .put_user_with_role(name, &hash, Some(Role::Organizer))
        .await?;
    ts.login(name, password).await
}

/// `GET path`: its status (with a bearer token when given).
async fn status(ts: &TestServer, path: &str, token: Option<&str>) -> anyhow::Result<StatusCode> {
    let mut req = ts.http.get(ts.url(path));
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    Ok(req.send().await?.status())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn operations_page_shows_the_tree_and_a_panic() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-operate").await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let meeting = ts.demo_meeting().await?;

    // Admins only: nobody and an organizer are refused the page and its API.
    let olga = organizer(&ts, "olga", "olga's password").await?;
    for path in ["/operate.html", "/api/operations", "/api/operations/stream"] {
        let anonymous = status(&ts, path, None).await?;
        ensure!(
            anonymous == StatusCode::UNAUTHORIZED
                || (path == "/operate.html" && anonymous == StatusCode::FORBIDDEN),
            "{path} without a session: {anonymous}"
        );
        assert_eq!(
            status(&ts, path, Some(&olga)).await?,
            StatusCode::FORBIDDEN,
            "{path} as an organizer"
        );
    }
    let (code, body) = ts.bearer(Method::GET, "/api/operations", &olga).await?;
    assert_eq!(
        (code, body["error"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let admin_token = ts.admin_token().await?;
    assert_eq!(
        status(&ts, "/api/operations", Some(&admin_token)).await?,
        StatusCode::OK
    );

    // A participant joins: the meeting's tree runs.
    let (_, token) = ts.join(meeting, "Pour1nf0", "Ada 🌟").await?;
    let mut ada = ts.connect(meeting, &token).await?;
    ada.wait_state(|_| true).await?;

    let d = chromium.session(Size::Laptop, "en").await?;
    d.goto(ts.url("/account.html")).await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#whoami", "admin", TIMEOUT).await?;
    // The staff pages link to it, for admins.
    browser::wait_for(&d, "#operate-link", TIMEOUT).await?;
    browser::click(&d, "#operate-link", TIMEOUT).await?;
    wait_js(
        &d,
        "return location.pathname === '/operate.html' && document.querySelector('#op-conn')?.dataset.state === 'live';",
        "the operations page, live",
    )
    .await?;
    let card = format!("article.op-card[data-meeting='{meeting}']");
    let actor = format!("{card} li.op-branch[data-kind='meeting']");
    browser::wait_for(&d, &format!("{actor}[data-state='running']"), TIMEOUT).await?;
    browser::wait_text(
        &d,
        &format!("{card} .op-card-title"),
        "LibreKast demo",
        TIMEOUT,
    )
    .await?;
    browser::wait_text(&d, &actor, "running", TIMEOUT).await?;
    browser::wait_text(&d, &actor, "0 restarts in the last hour", TIMEOUT).await?;
    browser::wait_text(&d, "#op-tiles .op-tile-meetings", "1", TIMEOUT).await?;
    browser::wait_text(
        &d,
        &format!("{card} .op-aud-participant"),
        "1 participant",
        TIMEOUT,
    )
    .await?;
    wait_js(
        &d,
        &format!("return !!document.querySelector(\"#op-rows tr[data-event='spawned'][data-mid='{meeting}']\");"),
        "a spawned event for the meeting",
    )
    .await?;
    // The uptime ticks.
    let up = browser::text_of(&d, &format!("{actor} .op-since")).await?;
    wait_js(
        &d,
        &format!(
            "return document.querySelector(\"{actor} .op-since\").textContent !== {};",
            serde_json::to_string(&up)?
        ),
        "the uptime to tick",
    )
    .await?;
    clean(&d, "the page, live").await?;

    // A panic in the meeting actor: failed (with the panic's text), restart scheduled,
    // restarted; the card counts the restart.
    let before = js(
        &d,
        "return document.querySelectorAll('#op-rows tr.op-row').length;",
    )
    .await?;
    let handle = ts.server.engine.meeting(MeetingId(meeting)).await?;
    handle.inject_panic();
    let row = |event: &str| format!("#op-rows tr[data-event='{event}'][data-mid='{meeting}']");
    browser::wait_text(&d, &row("failed"), "injected panic", TIMEOUT).await?;
    browser::wait_text(&d, &row("failed"), "warning", TIMEOUT).await?;
    browser::wait_for(&d, &row("restart_scheduled"), TIMEOUT).await?;
    browser::wait_text(&d, &row("restarted"), "restarted", TIMEOUT).await?;
    browser::wait_text(&d, &actor, "1 restart in the last hour", TIMEOUT).await?;
    browser::wait_for(&d, &format!("{actor}[data-state='running']"), TIMEOUT).await?;
    browser::wait_text(&d, &actor, "injected panic", TIMEOUT).await?;
    // Newest on top, highlighted; rows were added, not redrawn.
    let order = js(
        &d,
        &format!(
            "const seq = (e) => Number(document.querySelector(\"#op-rows tr[data-event='\" + e + \"'][data-mid='{meeting}']\").dataset.seq); \
             const rows = [...document.querySelectorAll('#op-rows tr.op-row')].map((r) => Number(r.dataset.seq)); \
             return {{ failed: seq('failed'), restarted: seq('restarted'), sorted: rows.every((s, i) => i === 0 || rows[i - 1] > s), \
             count: rows.length, \
             fresh: document.querySelector(\"#op-rows tr[data-event='restarted']\").classList.contains('op-new'), \
             backlog: document.querySelector(\"#op-rows tr[data-event='spawned']\").classList.contains('op-new') }};"
        ),
    )
    .await?;
    ensure!(
        order["restarted"].as_u64() > order["failed"].as_u64()
            && order["sorted"] == true
            && order["count"].as_u64() > before.as_u64(),
        "events out of order: {order}"
    );
    // New rows are highlighted, not the backlog the page opened with.
    ensure!(
        order["fresh"] == true && order["backlog"] == false,
        "highlights: {order}"
    );
    browser::wait_text(&d, "#op-tiles .op-tile-restarts", "1", TIMEOUT).await?;
    look(&d, Size::Laptop, "light", "panic").await?;
    look(&d, Size::Mobile, "dark", "panic").await?;
    look(&d, Size::Projector, "dark", "panic").await?;
    look(&d, Size::Mobile, "light", "panic").await?;
    browser::resize(&d, Size::Laptop).await?;

    // Filters: warnings and errors hide the info rows and say so; errors only hide the
    // warning too; a meeting, an actor kind, a text.
    let total = shown_rows(&d).await?.len();
    select(&d, "#op-f-level", "warn").await?;
    wait_js(
        &d,
        "return [...document.querySelectorAll('#op-rows tr.op-row')].every((r) => r.hidden === (r.dataset.level === 'info'));",
        "info rows hidden",
    )
    .await?;
    let rows = shown_rows(&d).await?;
    ensure!(
        rows.iter().any(|r| r["event"] == "failed"
            && r["text"]
                .as_str()
                .is_some_and(|t| t.contains("injected panic"))),
        "the failed row is shown: {rows:?}"
    );
    browser::wait_text(&d, "#op-count", "hidden by the filters", TIMEOUT).await?;
    let count = browser::text_of(&d, "#op-count").await?;
    ensure!(
        count.contains(&format!("Showing {} of", rows.len())),
        "{count} for {} rows shown",
        rows.len()
    );
    browser::wait_for(&d, "#op-clear", TIMEOUT).await?;
    browser::shoot(
        &d,
        Some("#op-events-title"),
        "operate-filter-warn-1440x900-light",
    )
    .await?;
    select(&d, "#op-f-level", "error").await?;
    browser::wait_text(&d, "#op-no-events", "No event matches the filters", TIMEOUT).await?;
    select(&d, "#op-f-level", "").await?;
    select(&d, "#op-f-meeting", "none").await?;
    wait_js(
        &d,
        &format!("return [...document.querySelectorAll(\"#op-rows tr[data-mid='{meeting}']\")].every((r) => r.hidden);"),
        "the meeting's rows hidden by the server-wide filter",
    )
    .await?;
    select(&d, "#op-f-meeting", &meeting.to_string()).await?;
    wait_js(
        &d,
        &format!("return [...document.querySelectorAll('#op-rows tr.op-row')].every((r) => r.hidden === (r.dataset.mid !== '{meeting}'));"),
        "only the meeting's rows",
    )
    .await?;
    select(&d, "#op-f-actor", "meeting").await?;
    let rows = shown_rows(&d).await?;
    ensure!(
        !rows.is_empty()
            && rows.iter().all(|r| r["text"]
                .as_str()
                .is_some_and(|t| t.contains("Meeting actor"))),
        "meeting actor rows: {rows:?}"
    );
    browser::click(&d, "#op-clear", TIMEOUT).await?;
    browser::type_into(&d, "#op-f-text", "injected PANIC").await?;
    wait_js(
        &d,
        "const shown = [...document.querySelectorAll('#op-rows tr.op-row:not([hidden])')]; \
         return shown.length > 0 && shown.every((r) => r.textContent.toLowerCase().includes('injected panic'));",
        "the text search",
    )
    .await?;
    browser::click(&d, "#op-clear", TIMEOUT).await?;
    wait_js(
        &d,
        &format!("return document.querySelectorAll('#op-rows tr.op-row:not([hidden])').length >= {total};"),
        "every row back",
    )
    .await?;

    // Pause: a second panic's events wait, then come in on resume.
    browser::click(&d, "#op-pause", TIMEOUT).await?;
    browser::wait_text(&d, "#op-pause", "Resume", TIMEOUT).await?;
    ensure!(
        js(
            &d,
            "return document.querySelector('#op-log').getAttribute('aria-live');"
        )
        .await?
            == "off",
        "a paused log is not announced"
    );
    let failed = |n: usize| {
        format!(
            "return document.querySelectorAll(\"#op-rows tr[data-event='failed'][data-mid='{meeting}']\").length === {n};"
        )
    };
    handle.inject_panic();
    browser::wait_text(&d, &actor, "2 restarts in the last hour", TIMEOUT).await?;
    browser::wait_text(&d, "#op-pause", "new)", TIMEOUT).await?;
    ensure!(
        js(&d, &failed(1)).await? == true,
        "a paused list does not grow"
    );
    browser::click(&d, "#op-pause", TIMEOUT).await?;
    wait_js(&d, &failed(2), "the held rows on resume").await?;
    browser::wait_text(&d, "#op-pause", "Pause", TIMEOUT).await?;
    wait_js(
        &d,
        "return document.querySelector('#op-log').getAttribute('aria-live') === 'polite';",
        "the log announced again",
    )
    .await?;

    // In French.
    language(&d, "fr").await?;
    browser::wait_text(&d, "#op-events-title", "Événements de supervision", TIMEOUT).await?;
    browser::wait_text(&d, &actor, "en marche", TIMEOUT).await?;
    browser::wait_text(&d, &actor, "2 redémarrages dans la dernière heure", TIMEOUT).await?;
    browser::wait_text(&d, &row("failed"), "alerte", TIMEOUT).await?;
    browser::wait_text(&d, &row("restarted"), "redémarré", TIMEOUT).await?;
    browser::wait_text(&d, "#op-conn", "En direct", TIMEOUT).await?;
    look(&d, Size::Laptop, "light", "fr").await?;
    look(&d, Size::Mobile, "light", "fr").await?;
    language(&d, "en").await?;
    browser::resize(&d, Size::Laptop).await?;
    clean(&d, "filters, pause and French").await?;

    // An organizer in a browser gets the server's 403 page.
    let o = chromium.session(Size::Mobile, "en").await?;
    o.goto(ts.url("/account.html")).await?;
    browser::wait_for(&o, "#username", TIMEOUT)
        .await?
        .send_keys("olga")
        .await?;
    let pw = browser::wait_for(&o, "#password", TIMEOUT).await?;
    pw.send_keys("olga's password").await?;
    pw.send_keys(Key::Enter).await?;
    browser::wait_text(&o, "#whoami", "olga", TIMEOUT).await?;
    ensure!(
        js(
            &o,
            "return document.querySelector('#operate-link').classList.contains('hidden');"
        )
        .await?
            == true,
        "no operations link for an organizer"
    );
    o.goto(ts.url("/operate.html")).await?;
    browser::wait_text(&o, "h1", "Admins only", TIMEOUT).await?;
    browser::screenshot(&o, "operate-organizer-403-390x844").await?;
    o.quit().await?;

    // The admin's session ends (signed out from elsewhere): the page says so, and logs in
    // again in place.
    let (code, _) = ts
        .call(
            Method::DELETE,
            "/api/me/sessions",
            &admin_token,
            Some(json!({})),
        )
        .await?;
    ensure!(code.is_success(), "ending the other sessions: {code}");
    // The stream checks the session every 10 s, then the browser's reconnection is refused.
    let deadline = Instant::now() + Duration::from_secs(45);
    loop {
        if js(
            &d,
            "return document.querySelector('#op-conn').dataset.state;",
        )
        .await?
            == "ended"
        {
            break;
        }
        if Instant::now() > deadline {
            bail!(
                "the page never said the session ended: {}",
                browser::text_of(&d, "#op-conn").await?
            );
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    browser::wait_text(&d, "#op-conn", "Session ended", TIMEOUT).await?;
    browser::shoot(&d, None, "operate-session-ended-1440x900-light").await?;
    browser::click(&d, "#op-login", TIMEOUT).await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    wait_js(
        &d,
        "return document.querySelector('#op-conn').dataset.state === 'live' && !document.querySelector('#op-page').classList.contains('hidden');",
        "live again after logging in",
    )
    .await?;
    browser::wait_for(&d, &format!("{actor}[data-state='running']"), TIMEOUT).await?;
    // The refused reconnection and the check behind it are the only errors.
    let errors: Vec<String> = browser::js_errors(&d)
        .await?
        .into_iter()
        .filter(|e| !e.contains("401") && !e.contains("EventSource"))
        .collect();
    ensure!(errors.is_empty(), "script errors: {errors:?}");

    d.quit().await?;
    ts.server.shutdown().await;
    Ok(())
}
