//! The streams panels in Debian's Chromium, with real-world content (the stress meeting:
//! eight long choices, emoji and right-to-left text) and a Twitch channel on the fake
//! server: the source's status, the merged chat (a hostile name stays text), counts split
//! by platform next to each choice, and the presenter's "type #a in chat" line. Screenshots
//! of the dashboard at 1920×1080 and 390×844 and of the presenter screen go to
//! `target/screenshots/streams-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_fakes::twitch::ChatLine;
use librekast_storage::MeetingFile;
use librekast_tests::browser::{self, Size};
use librekast_tests::browser::{js, wait_js};
use librekast_tests::*;
use serde_json::json;

const HOSTILE: &str = "<img src=x onerror=alert(1)>";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streams_panels_in_the_browser() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let fake = fake_twitch()?;
    let ts = TestServer::start("ui-streams").await?;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?;
    let mut file: MeetingFile = serde_json::from_str(&text)?;
    let chan = format!("lk_ui_{}", std::process::id() % 100_000);
    file.sources =
        serde_json::from_value(json!([{"platform": "twitch", "channel": chan, "delay_secs": 2}]))?;
    let meeting = ts.server.engine.store().import_meeting(&file).await?.0;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let base = ts.server.url();

    let org = chromium.session(Size::Projector, "en").await?;
    org.goto(format!("{base}/organize.html?meeting={meeting}"))
        .await?;
    browser::log_in_admin(&org, &password, TIMEOUT).await?;
    fake.wait_joined(&chan).await;
    browser::wait_text(&org, "#sources .pill", "connected", TIMEOUT).await?;
    let target = browser::text(&org, "#sources .target", TIMEOUT).await?;
    ensure!(target == format!("#{chan}"), "source target {target}");

    // The poll with eight long choices, answered from Twitch.
    org.action_chain().send_keys("s").perform().await?;
    browser::wait_text(&org, "#status", "Live", TIMEOUT).await?;
    org.action_chain().send_keys("n").perform().await?;
    browser::wait_text(&org, "#status", "Up next", TIMEOUT).await?;
    org.action_chain().send_keys("s").perform().await?;
    browser::wait_text(&org, "#question", "Poll", TIMEOUT).await?;
    browser::wait_text(&org, "#status", "Live", TIMEOUT).await?;
    fake.privmsg_many(
        &chan,
        &[
            ChatLine::new("u1", "1", "viewer1", "#a I agree").display_name("Zoë 🎮"),
            ChatLine::new("u2", "2", "viewer2", "#c").display_name(HOSTILE),
            ChatLine::new("u3", "3", "viewer3", "#a").display_name("مرحبا"),
            ChatLine::new("u4", "4", "viewer4", "what are we voting on?").display_name("Curious_Viewer_With_A_Very_Long_Name_2024"),
            ChatLine::new("u5", "5", "viewer5", "https://example.org/a/very/long/link/that/does/not/break/anywhere/in/the/chat/panel/at/all").display_name("linker"),
        ],
    );
    wait_js(
        &org,
        "return [...document.querySelectorAll('#chat li')].length >= 5;",
        "five chat lines",
    )
    .await?;
    let split = wait_js(
        &org,
        "const s = [...document.querySelectorAll('#bars .split')].map(n => n.textContent); return s[0] && s[0].includes('Twitch 2') ? s : null;",
        "per-platform counts beside the choices",
    )
    .await?;
    ensure!(
        split[0].as_str().is_some_and(|s| s.contains("Room 0")),
        "{split}"
    );
    let injected = js(
        &org,
        r#"return document.querySelectorAll('img[src="x"]').length;"#,
    )
    .await?;
    ensure!(injected == 0, "a chat name became markup");
    let width = js(&org, "return document.documentElement.scrollWidth;").await?;
    ensure!(
        width.as_u64().unwrap_or(9999) <= 1920,
        "the dashboard is {width} px wide"
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    browser::screenshot(&org, "streams-dashboard-projector").await?;
    browser::resize(&org, Size::Mobile).await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let width = js(&org, "return document.documentElement.scrollWidth;").await?;
    ensure!(
        width.as_u64().unwrap_or(9999) <= 390,
        "the phone dashboard is {width} px wide"
    );
    js(&org, "document.querySelector('#sources').scrollIntoView();").await?;
    browser::screenshot(&org, "streams-dashboard-mobile").await?;
    browser::resize(&org, Size::Laptop).await?;
    tokio::time::sleep(Duration::from_millis(600)).await;
    let width = js(&org, "return document.documentElement.scrollWidth;").await?;
    ensure!(
        width.as_u64().unwrap_or(9999) <= 1440,
        "the laptop dashboard is {width} px wide"
    );
    js(&org, "window.scrollTo(0, 0);").await?;
    browser::screenshot(&org, "streams-dashboard-laptop").await?;

    // The presenter screen tells viewers what to type.
    let token = &ts.display_token(meeting).await?;
    let present = chromium.session(Size::Projector, "en").await?;
    present
        .goto(format!(
            "{base}/present.html?meeting={meeting}&token={token}"
        ))
        .await?;
    let hint = wait_js(
        &present,
        "const h = document.querySelector('#chat-hint'); return h && !h.hidden && h.textContent.includes('#a') ? [h.textContent, h.getBoundingClientRect().bottom] : null;",
        "the chat hint",
    )
    .await?;
    let bottom = hint[1].as_f64().unwrap_or(9999.0);
    let hint = hint[0].as_str().unwrap_or_default().to_string();
    ensure!(hint.contains("#h"), "all eight slugs: {hint}");
    ensure!(
        bottom <= 1080.0,
        "the chat hint is off screen (bottom at {bottom})"
    );
    tokio::time::sleep(Duration::from_millis(900)).await;
    browser::screenshot(&present, "streams-presenter-projector").await?;
    browser::resize(&present, Size::Hd).await?;
    let bottom = wait_js(
        &present,
        "const h = document.querySelector('#chat-hint'); return h && !h.hidden ? h.getBoundingClientRect().bottom : null;",
        "the chat hint at 1280x720",
    )
    .await?;
    ensure!(
        bottom.as_f64().unwrap_or(9999.0) <= 720.0,
        "the chat hint is off a 720p screen"
    );
    tokio::time::sleep(Duration::from_millis(600)).await;
    browser::screenshot(&present, "streams-presenter-hd").await?;
    // The reveal waits for the stream delay and counts down on the dashboard.
    browser::resize(&org, Size::Projector).await?;
    org.action_chain().send_keys("r").perform().await?;
    browser::wait_text(&org, "#reveal", "Revealing in", TIMEOUT).await?;
    browser::screenshot(&org, "streams-dashboard-reveal").await?;
    browser::wait_text(&org, "#status", "Results", TIMEOUT).await?;
    for e in browser::js_errors(&org).await? {
        ensure!(e.contains("401"), "dashboard error: {e}");
    }
    for e in browser::js_errors(&present).await? {
        ensure!(e.contains("401"), "presenter error: {e}");
    }
    org.quit().await?;
    present.quit().await?;
    Ok(())
}
