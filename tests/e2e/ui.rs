//! The demo meeting played through the real UI in Debian's Chromium: an organizer, a
//! presenter screen and three participants (one hostile name, one in French, one using only
//! the keyboard). Covers poll, quiz (with a reload mid-quiz), word cloud, flags, a server
//! restart, scoreboard and end, and writes screenshots of every screen at phone and
//! projector size under `target/screenshots/`.

use std::time::Duration;

use anyhow::{Context, bail, ensure};
use librekast_tests::browser::js;
use librekast_tests::browser::{self, Size};
use librekast_tests::*;
use librekast_web::{Config, Server};
use thirtyfour::prelude::*;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

async fn click(d: &WebDriver, css: &str) -> anyhow::Result<()> {
    browser::click(d, css, TIMEOUT).await
}

async fn text(d: &WebDriver, css: &str) -> anyhow::Result<String> {
    browser::text(d, css, TIMEOUT).await
}

/// Types into a field and submits it with Enter, as a keyboard user would.
async fn type_enter(d: &WebDriver, css: &str, value: &str) -> anyhow::Result<()> {
    let field = browser::wait_for(d, css, TIMEOUT).await?;
    field.clear().await?;
    field.send_keys(value).await?;
    field.send_keys(Key::Enter).await?;
    Ok(())
}

/// A key pressed on the page itself (the dashboard's shortcuts).
async fn press(
    d: &WebDriver,
    key: impl Into<thirtyfour::common::keys::TypingData>,
) -> anyhow::Result<()> {
    d.action_chain().send_keys(key).perform().await?;
    Ok(())
}

/// Gives a two-press control its second press until `css` shows `done`. The first press
/// arms it for 4 s; on a loaded machine the second may come after the arm expired, which
/// only arms it again, so it is pressed once more.
async fn second_press<F, Fut>(
    d: &WebDriver,
    press_again: F,
    css: &str,
    done: &str,
) -> anyhow::Result<()>
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        press_again().await?;
        if browser::wait_text(d, css, done, Duration::from_secs(3))
            .await
            .is_ok()
        {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{css:?} never showed {done:?}"
        );
    }
}

/// Screenshots the current screen at its own size and at the other one.
async fn shoot(d: &WebDriver, name: &str, size: Size) -> anyhow::Result<()> {
    let other = match size {
        Size::Mobile => Size::Projector,
        _ => Size::Mobile,
    };
    let tag = |s: Size| match s {
        Size::Mobile => "mobile",
        Size::Projector => "projector",
        Size::Laptop => "laptop",
        Size::Hd => "hd",
        Size::Xga => "xga",
    };
    // Let bars and the word cloud finish their transitions.
    tokio::time::sleep(Duration::from_millis(900)).await;
    browser::screenshot(d, &format!("{name}-{}", tag(size))).await?;
    browser::resize(d, other).await?;
    tokio::time::sleep(Duration::from_millis(900)).await;
    browser::screenshot(d, &format!("{name}-{}", tag(other))).await?;
    browser::resize(d, size).await?;
    Ok(())
}

/// Nothing a participant typed ever became markup, no dialog opened, and the CSP never had
/// to block an inline handler.
async fn assert_inert(d: &WebDriver, who: &str, expected: &[&str]) -> anyhow::Result<()> {
    browser::assert_no_alert(d)
        .await
        .with_context(|| who.to_string())?;
    let injected = js(
        d,
        r#"return document.querySelectorAll('img[src="x"], img:not([src])').length;"#,
    )
    .await?;
    ensure!(injected == 0, "{who}: an injected <img> is in the DOM");
    for e in browser::js_errors(d).await? {
        // A 401 from /api/me before logging in is expected; anything else is a bug.
        ensure!(
            e.contains("401") || expected.iter().any(|x| e.contains(x)),
            "{who}: browser error: {e}"
        );
    }
    Ok(())
}

/// Waits until the reconnecting banner is hidden (or was never shown).
async fn wait_online(d: &WebDriver, timeout: Duration, what: &str) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + timeout;
    while js(
        d,
        "const n = document.getElementById('net'); return !n || n.hidden;",
    )
    .await?
        != true
    {
        ensure!(std::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// No two words of a rendered cloud overlap, and all are inside it.
async fn assert_cloud_laid_out(d: &WebDriver, css: &str, at_least: u64) -> anyhow::Result<()> {
    let script = format!(
        r#"const box = document.querySelector({css:?}).getBoundingClientRect();
        const r = [...document.querySelectorAll({css:?} + ' .cloud-word')].map(n => n.getBoundingClientRect());
        let overlaps = 0, outside = 0;
        for (let i = 0; i < r.length; i++) {{
          const a = r[i];
          if (a.left < box.left - 1 || a.top < box.top - 1 || a.right > box.right + 1 || a.bottom > box.bottom + 1) outside++;
          for (let j = i + 1; j < r.length; j++) {{
            const b = r[j];
            if (a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1) overlaps++;
          }}
        }}
        return [r.length, overlaps, outside];"#
    );
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let v = js(d, &script).await?;
        let (n, overlaps, outside) = (
            v[0].as_u64().unwrap_or(0),
            v[1].as_u64().unwrap_or(99),
            v[2].as_u64().unwrap_or(99),
        );
        if n >= at_least && overlaps == 0 && outside == 0 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("cloud {css}: {n} words, {overlaps} overlaps, {outside} outside");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

async fn login(d: &WebDriver, password: &str) -> anyhow::Result<()> {
    browser::wait_for(d, "#login-panel", TIMEOUT).await?;
    browser::wait_for(d, "#username", TIMEOUT)
        .await?
        .send_keys("admin")
        .await?;
    type_enter(d, "#password", password).await
}

async fn join(d: &WebDriver, base: &str, meeting: i64, name: &str) -> anyhow::Result<()> {
    // The QR code's link: the form opens with the meeting chosen and the code filled in.
    d.goto(format!("{base}/?meeting={meeting}&code=Pour1nf0"))
        .await?;
    let code = browser::wait_for(d, "#code", TIMEOUT).await?;
    ensure!(
        code.value().await?.as_deref() == Some("Pour1nf0"),
        "code not prefilled"
    );
    browser::wait_for(
        d,
        &format!("button[data-meeting=\"{meeting}\"][aria-pressed=\"true\"]"),
        TIMEOUT,
    )
    .await?;
    // Focus is already in the name field: type and press Enter.
    let focused = js(d, "return document.activeElement.id;").await?;
    ensure!(
        focused == "name",
        "focus is on {focused}, not the name field"
    );
    d.action_chain()
        .send_keys(name)
        .send_keys(Key::Enter)
        .perform()
        .await?;
    browser::wait_text(d, "#you-name", name, TIMEOUT).await?;
    Ok(())
}

async fn everyone_sees(people: &[&WebDriver], css: &str, needle: &str) -> anyhow::Result<()> {
    for p in people {
        browser::wait_text(p, css, needle, TIMEOUT).await?;
    }
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_meeting_played_in_chromium() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let server = TestServer::start("ui").await?;
    let database_url = server.database_url.clone();
    let password = server
        .server
        .admin_password
        .clone()
        .context("a fresh server creates an admin password")?;
    let base = server.server.url();
    let meeting = server.demo_meeting().await?;

    // Organizer: the login form first (also its screenshot), then the dashboard.
    let org = chromium.session(Size::Projector, "en-US").await?;
    org.goto(format!("{base}/organize.html?meeting={meeting}"))
        .await?;
    browser::wait_for(&org, "#login-panel", TIMEOUT).await?;
    shoot(&org, "organizer-login", Size::Projector).await?;
    login(&org, &password).await?;
    browser::wait_for(&org, "#dash", TIMEOUT).await?;
    browser::wait_text(&org, "#status", "Not started", TIMEOUT).await?;

    // Presenter: join screen with the address, the code and a QR code that loaded.
    let screen = chromium.session(Size::Projector, "en-US").await?;
    screen
        .goto(format!("{base}/present.html?meeting={meeting}"))
        .await?;
    login(&screen, &password).await?;
    browser::wait_text(&screen, ".join-screen .code", "Pour1nf0", TIMEOUT).await?;
    // Logged-in staff are sent on to a display link: the address an OBS source can use.
    let address = js(&screen, "return location.search;").await?;
    ensure!(
        address.as_str().is_some_and(|a| a.contains("token=")),
        "the presenter runs on a display link: {address}"
    );
    let qr = js(
        &screen,
        "const i = document.querySelector('.qr img'); return i.complete ? i.naturalWidth : 0;",
    )
    .await?;
    ensure!(qr.as_u64().unwrap_or(0) > 0, "the QR code did not load");

    // Three participants from the QR link: Ada, a hostile name (browser in French), Linus.
    let ada = chromium.session(Size::Mobile, "en-US").await?;
    let eve = chromium.session(Size::Mobile, "fr-FR").await?;
    let linus = chromium.session(Size::Mobile, "en-US").await?;
    ada.goto(format!("{base}/?meeting={meeting}&code=Pour1nf0"))
        .await?;
    browser::wait_for(&ada, "#name", TIMEOUT).await?;
    shoot(&ada, "home", Size::Mobile).await?;
    join(&ada, &base, meeting, "Ada").await?;
    join(&eve, &base, meeting, HOSTILE).await?;
    join(&linus, &base, meeting, "Linus").await?;
    let people = [&ada, &eve, &linus];
    ensure!(
        text(&eve, "#you-name").await? == HOSTILE,
        "the name is shown as text"
    );
    browser::wait_text(&eve, "#question", "La session commence bientôt", TIMEOUT).await?;
    browser::wait_text(&org, "#online", "3", TIMEOUT).await?;
    browser::wait_text(&screen, "#online", "3", TIMEOUT).await?;
    shoot(&ada, "participant-before", Size::Mobile).await?;
    shoot(&screen, "presenter-join", Size::Projector).await?;

    // Text slide, started with the keyboard shortcut.
    press(&org, "s").await?;
    everyone_sees(&people, "#question", "Welcome to LibreKast!").await?;
    browser::wait_text(&screen, "#body h1", "Welcome to LibreKast!", TIMEOUT).await?;
    shoot(&ada, "participant-text", Size::Mobile).await?;
    shoot(&screen, "presenter-text", Size::Projector).await?;

    // Poll: Ada taps, Eve taps, Linus uses only the keyboard (Tab to the first choice).
    press(&org, Key::Right).await?;
    browser::wait_text(&org, "#status", "Up next", TIMEOUT).await?;
    browser::wait_text(&ada, "#question", "Get ready", TIMEOUT).await?;
    shoot(&ada, "participant-waiting", Size::Mobile).await?;
    shoot(&org, "organizer-waiting", Size::Projector).await?;
    press(&org, "s").await?;
    everyone_sees(&people, "#question", "Which language").await?;
    click(&ada, "button.choice[data-choice]:nth-child(1)").await?;
    click(&eve, "button.choice[data-choice]:nth-child(2)").await?;
    linus.action_chain().send_keys(Key::Tab).perform().await?;
    let focused = js(
        &linus,
        "return document.activeElement.className + '|' + document.activeElement.textContent;",
    )
    .await?;
    ensure!(
        focused
            .as_str()
            .is_some_and(|f| f.starts_with("choice|") && f.contains("Rust")),
        "Tab reached {focused}"
    );
    linus.action_chain().send_keys(Key::Enter).perform().await?;
    browser::wait_for(&linus, "button.choice[aria-pressed=\"true\"]", TIMEOUT).await?;
    browser::wait_text(&org, "#answers", "3", TIMEOUT).await?;
    browser::wait_text(&screen, "#answered", "3", TIMEOUT).await?;
    browser::wait_text(&ada, "#bars", "2 · 67%", TIMEOUT).await?;
    // Ada finds the flag while the poll is open: 5 points plus 3 for being first.
    type_enter(&ada, "#flag", "LibreKast{hello-world}").await?;
    browser::wait_text(&ada, "#flag-toast", "+8", TIMEOUT).await?;
    browser::wait_text(&ada, "#score", "8", TIMEOUT).await?;
    browser::wait_text(&org, "#attempts", "Ada", TIMEOUT).await?;
    shoot(&ada, "participant-poll", Size::Mobile).await?;
    shoot(&screen, "presenter-poll", Size::Projector).await?;
    shoot(&org, "organizer-poll", Size::Projector).await?;
    press(&org, "r").await?;
    everyone_sees(&people, "#status", "R").await?; // "Results" / "Résultats"

    // Quiz: Ada right and first, Eve wrong, Linus right. Ada reloads before the reveal.
    press(&org, "n").await?;
    browser::wait_text(&org, "#status", "Up next", TIMEOUT).await?;
    press(&org, "s").await?;
    everyone_sees(&people, "#question", "Which year").await?;
    click(&ada, "button.choice[data-choice]:nth-child(2)").await?;
    browser::wait_for(
        &ada,
        "button.choice:nth-child(2)[aria-pressed=\"true\"]",
        TIMEOUT,
    )
    .await?;
    click(&eve, "button.choice[data-choice]:nth-child(1)").await?;
    click(&linus, "button.choice[data-choice]:nth-child(2)").await?;
    browser::wait_text(&org, "#answers", "3", TIMEOUT).await?;
    // Staff see the correct answer before the reveal; the projector does not.
    browser::wait_for(&org, ".bar-row.correct", TIMEOUT).await?;
    // The presenter shows the quiz's rows, empty and without numbers, until the reveal.
    ensure!(
        js(
            &screen,
            "return [...document.querySelectorAll('.bar-row')].filter((r) => !r.classList.contains('waiting') || r.querySelector('.count').textContent || r.classList.contains('correct')).length;"
        )
        .await?
            == 0,
        "the presenter showed quiz counts before the reveal"
    );
    browser::wait_text(&screen, "#answered", "3", TIMEOUT).await?;
    shoot(&screen, "presenter-quiz", Size::Projector).await?;
    ada.refresh().await?;
    browser::wait_text(&ada, "#question", "Which year", TIMEOUT).await?;
    browser::wait_for(
        &ada,
        "button.choice:nth-child(2)[aria-pressed=\"true\"]",
        TIMEOUT,
    )
    .await
    .context("after a reload the page shows the answer given")?;
    ensure!(
        text(&ada, "#score").await? == "8",
        "score kept across the reload"
    );
    shoot(&ada, "participant-quiz-answered", Size::Mobile).await?;
    press(&org, "r").await?;
    browser::wait_for(&ada, ".verdict.right", TIMEOUT).await?;
    browser::wait_text(&ada, ".verdict", "+3", TIMEOUT).await?;
    browser::wait_text(&ada, "#score", "11", TIMEOUT).await?;
    browser::wait_for(&eve, ".verdict.wrong", TIMEOUT).await?;
    browser::wait_text(&eve, ".verdict", "La bonne réponse était B: 2015", TIMEOUT).await?;
    browser::wait_text(&linus, ".verdict", "+1", TIMEOUT).await?;
    browser::wait_for(&screen, ".bar-row.correct", TIMEOUT).await?;
    shoot(&ada, "participant-quiz-right", Size::Mobile).await?;
    shoot(&eve, "participant-quiz-wrong-fr", Size::Mobile).await?;
    shoot(&screen, "presenter-quiz-results", Size::Projector).await?;
    shoot(&org, "organizer-quiz-results", Size::Projector).await?;

    // The server restarts: every page shows "reconnecting", then comes back on its own with
    // seats and scores.
    let addr = base.trim_start_matches("http://").to_string();
    server.server.shutdown().await;
    browser::wait_for(&ada, "#net", TIMEOUT).await?;
    browser::wait_text(&ada, "#net", "Reconnecting", TIMEOUT).await?;
    shoot(&ada, "participant-reconnecting", Size::Mobile).await?;
    let mut config = Config::for_tests(&database_url);
    config.bind = addr.parse().context("server address")?;
    let server = Server::start(config).await?;
    for p in [&ada, &eve, &linus, &org, &screen] {
        wait_online(p, Duration::from_secs(40), "a page never reconnected").await?;
    }
    ensure!(
        text(&ada, "#score").await? == "11",
        "score kept across the restart"
    );
    browser::wait_for(&ada, ".verdict.right", TIMEOUT).await?;

    // Word cloud: the hostile string as a word too; the cloud has no overlaps. The dashboard
    // must show the next activity before `s` means "start it".
    press(&org, "n").await?;
    browser::wait_text(&org, "#status", "Up next", TIMEOUT).await?;
    press(&org, "s").await?;
    everyone_sees(&people, "#question", "One word").await?;
    for (p, words) in [
        (&ada, &["Rust", "fun"][..]),
        (&eve, &[HOSTILE, "rust"][..]),
        (&linus, &["community", "RUST", "joy"][..]),
    ] {
        for w in words {
            type_enter(p, "#word", w).await?;
            browser::wait_text(p, "#my-words", &w.to_lowercase(), TIMEOUT).await?;
        }
    }
    browser::wait_text(&linus, "#words-left", "all your words", TIMEOUT).await?;
    assert_cloud_laid_out(&screen, "#cloud", 5).await?;
    assert_cloud_laid_out(&ada, "#cloud", 5).await?;
    let words = js(
        &screen,
        "return [...document.querySelectorAll('#cloud .cloud-word')].map(n => n.textContent);",
    )
    .await?;
    ensure!(
        words
            .as_array()
            .is_some_and(|w| w.iter().any(|t| t == HOSTILE)),
        "the hostile word shows as text: {words}"
    );
    shoot(&ada, "participant-wordcloud", Size::Mobile).await?;
    shoot(&screen, "presenter-wordcloud", Size::Projector).await?;
    assert_cloud_laid_out(&screen, "#cloud", 5).await?;
    shoot(&org, "organizer-wordcloud", Size::Projector).await?;

    // A second organizer opens the dashboard and closes the tab: nothing ends or stalls.
    let org2 = chromium.session(Size::Mobile, "en-US").await?;
    org2.goto(format!("{base}/organize.html?meeting={meeting}"))
        .await?;
    login(&org2, &password).await?;
    browser::wait_text(&org2, "#question", "One word", TIMEOUT).await?;
    browser::wait_text(&org2, "#answers", "7", TIMEOUT).await?;
    shoot(&org2, "organizer-wordcloud-phone", Size::Mobile).await?;
    org2.quit().await?;
    browser::wait_text(&org, "#status", "Live", TIMEOUT).await?;

    // The browser reports the network gone: the banner shows at once; back online, the page
    // starts a fresh connection and hides it.
    js(
        &linus,
        "window.dispatchEvent(new Event('offline')); return 1;",
    )
    .await?;
    browser::wait_text(&linus, "#net", "Reconnecting", TIMEOUT).await?;
    js(
        &linus,
        "window.dispatchEvent(new Event('online')); return 1;",
    )
    .await?;
    wait_online(
        &linus,
        TIMEOUT,
        "the banner stayed after the network came back",
    )
    .await?;
    ensure!(
        text(&linus, "#score").await? == "1",
        "seat and score after the fresh connection"
    );

    // A wrong flag is refused in the page and logged for staff.
    type_enter(&linus, "#flag", "nope").await?;
    browser::wait_text(&linus, "#flag-toast", "not a flag", TIMEOUT).await?;
    browser::wait_text(&org, "#attempts", "wrong code", TIMEOUT).await?;

    // Scoreboard: Ada on top of the podium everywhere.
    press(&org, "b").await?;
    browser::wait_text(&screen, ".step.p1 .name", "Ada", TIMEOUT).await?;
    browser::wait_text(&ada, ".me-line", "1st with 11 points", TIMEOUT).await?;
    browser::wait_text(&eve, ".me-line", "3e avec 0 point.", TIMEOUT).await?;
    shoot(&ada, "participant-scoreboard", Size::Mobile).await?;
    shoot(&screen, "presenter-scoreboard", Size::Projector).await?;
    shoot(&org, "organizer-scoreboard", Size::Projector).await?;

    // End needs a second press.
    press(&org, "e").await?;
    browser::wait_text(&org, ".end-label", "Really end?", TIMEOUT).await?;
    ensure!(
        text(&org, "#status").await? == "Scoreboard",
        "one press does not end"
    );
    second_press(&org, || press(&org, "e"), "#status", "Ended").await?;
    everyone_sees(&[&ada, &linus], "#question", "Thank you!").await?;
    browser::wait_text(&eve, "#question", "Merci !", TIMEOUT).await?;
    browser::wait_text(&screen, "#body h1", "Thank you!", TIMEOUT).await?;
    shoot(&ada, "participant-end", Size::Mobile).await?;
    // The language switch: French, and back (the choice is remembered by the browser).
    click(&ada, "#lang").await?;
    browser::wait_text(&ada, "#question", "Merci !", TIMEOUT).await?;
    browser::wait_text(&ada, ".me-line", "Vous êtes 1er avec 11 points.", TIMEOUT).await?;
    ada.refresh().await?;
    browser::wait_text(&ada, "#question", "Merci !", TIMEOUT).await?;
    click(&ada, "#lang").await?;
    browser::wait_text(&ada, "#question", "Thank you!", TIMEOUT).await?;
    shoot(&eve, "participant-end-fr", Size::Mobile).await?;
    // Dark mode: the system's by default (light in this browser), switched by the button.
    click(&eve, "#theme").await?;
    let bg = js(
        &eve,
        "return [document.documentElement.dataset.theme, getComputedStyle(document.body).backgroundColor];",
    )
    .await?;
    ensure!(bg[0] == "dark", "theme after the switch: {bg}");
    ensure!(bg[1] == "rgb(14, 17, 32)", "dark background: {bg}");
    shoot(&eve, "participant-end-fr-dark", Size::Mobile).await?;
    shoot(&screen, "presenter-end", Size::Projector).await?;
    shoot(&org, "organizer-end", Size::Projector).await?;

    // Revoking the display links (two presses) closes the presenter for good.
    click(&org, "#revoke-displays").await?;
    browser::wait_text(&org, "#toast", "Press again", TIMEOUT).await?;
    second_press(
        &org,
        || click(&org, "#revoke-displays"),
        "#toast",
        "1 display link revoked",
    )
    .await?;
    browser::wait_text(&screen, "#body", "no longer works", TIMEOUT).await?;
    shoot(&screen, "presenter-revoked", Size::Projector).await?;

    for (d, who) in [
        (&ada, "ada"),
        (&eve, "eve"),
        (&linus, "linus"),
        (&org, "organizer"),
        (&screen, "presenter"),
    ] {
        // chromedriver may hand over the restart's refused connections only now.
        assert_inert(
            d,
            who,
            &["ERR_CONNECTION_REFUSED", "ERR_CONNECTION_RESET", "503"],
        )
        .await?;
    }
    // The CLI (another process) gives the organizer a new password: the open dashboard
    // is closed (4001 `session revoked`) and goes back to the login form, saying why.
    let cli = librekast_storage::Store::connect(&database_url).await?;
    let admin = cli.find_user("admin").await?.context("no admin account")?;
    let hash = librekast_web::auth::hash_password("a brand new password")?;
    cli.change_password(admin.id, &hash, None).await?;
    browser::wait_text(&org, "#login-error", "Your session ended", TIMEOUT).await?;
    shoot(&org, "organizer-session-ended", Size::Projector).await?;
    for d in [ada, eve, linus, org, screen] {
        d.quit().await?;
    }
    server.shutdown().await;
    Ok(())
}
