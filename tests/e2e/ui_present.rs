//! The presenter screen fits any content (issue 12, point 6): with the stress meeting (an
//! 80-character title, a 115-character question with a 300-character description and a
//! long unbroken URL, eight choices of about 60 characters, right-to-left and CJK text),
//! every screen of the meeting, at 1920×1080, 1280×720, 1024×768 and 390×844, keeps every element
//! inside the viewport and no two text boxes overlap. Screenshots:
//! `target/screenshots/present-fit-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_storage::MeetingFile;
use librekast_tests::browser::{self, Size};
use librekast_tests::*;
use serde_json::Value;
use thirtyfour::prelude::*;

async fn check(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    // Fonts, bars and the fit settle within a few frames.
    tokio::time::sleep(Duration::from_millis(700)).await;
    let v: Value = d
        .execute(browser::PRESENTER_FITS, vec![])
        .await?
        .json()
        .clone();
    let outside = v["outside"].as_array().cloned().unwrap_or_default();
    let overlaps = v["overlaps"].as_array().cloned().unwrap_or_default();
    ensure!(
        outside.is_empty(),
        "{what}: outside the screen: {outside:?}"
    );
    ensure!(
        overlaps.is_empty(),
        "{what}: overlapping text: {overlaps:?}"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_presenter_fits_any_content() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("present-fit").await?;
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?;
    let file: MeetingFile = serde_json::from_str(&text)?;
    let meeting = ts.server.engine.store().import_meeting(&file).await?.0;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let token = &ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    d.goto(format!(
        "{}/present.html?meeting={meeting}&token={token}",
        ts.server.url()
    ))
    .await?;
    browser::wait_for(&d, "#body h1", TIMEOUT).await?;

    // Every screen of the meeting: the join screen, each activity open (and the quiz and
    // the polls revealed), the scoreboard and the end.
    let mut steps: Vec<(String, Vec<&str>)> = vec![("join".into(), vec![])];
    for (i, a) in file.activities.iter().enumerate() {
        let mut controls = vec![];
        if i > 0 {
            controls.push("next");
        }
        controls.push("start");
        steps.push((format!("{}-{}", i + 1, a.kind.wire()), controls));
        if a.kind.has_choices() {
            steps.push((
                format!("{}-{}-results", i + 1, a.kind.wire()),
                vec!["results"],
            ));
        }
    }
    steps.push(("scoreboard".into(), vec!["scoreboard"]));
    steps.push(("end".into(), vec!["end"]));
    for (name, controls) in steps {
        for c in controls {
            ok(&org.control(c).await?).with_context(|| format!("{name}: {c}"))?;
        }
        if name.ends_with("-results") {
            // A revealed poll or quiz says it is closed.
            browser::wait_text(&d, "#answered", "Closed", TIMEOUT).await?;
        }
        for size in [Size::Projector, Size::Hd, Size::Xga, Size::Mobile] {
            browser::resize(&d, size).await?;
            let (w, h) = size.viewport();
            check(&d, &format!("{name} at {w}x{h}")).await?;
            browser::screenshot(&d, &format!("present-fit-{name}-{w}x{h}")).await?;
        }
    }
    d.quit().await?;
    Ok(())
}

/// The dashboard with a presentation clicker (PageDown/PageUp), the last activity's Next
/// reading "Finish" and asking like End, and the warning that phones cannot open a
/// loopback join address (this test server listens on 127.0.0.1), also on the presenter.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clicker_keys_finish_and_the_loopback_warning() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("present-keys").await?;
    let meeting = ts.demo_meeting().await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let d = chromium.session(Size::Laptop, "en").await?;
    d.goto(format!(
        "{}/organize.html?meeting={meeting}",
        ts.server.url()
    ))
    .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#loopback", "LIBREKAST_PUBLIC_URL", TIMEOUT).await?;
    browser::wait_text(&d, "#status", "Not started", TIMEOUT).await?;
    d.action_chain().send_keys("s").perform().await?;
    browser::wait_text(&d, "#status", "Live", TIMEOUT).await?;
    // A clicker's "next" and "back".
    d.action_chain().send_keys(Key::PageDown).perform().await?;
    browser::wait_text(&d, "#progress", "2 /", TIMEOUT).await?;
    d.action_chain().send_keys(Key::PageUp).perform().await?;
    browser::wait_text(&d, "#progress", "1 /", TIMEOUT).await?;
    // To the last activity: Next now finishes the meeting, after a second press.
    let count = ts.stored(meeting).await?.activities.len();
    for n in 2..=count {
        d.action_chain().send_keys(Key::PageDown).perform().await?;
        browser::wait_text(&d, "#progress", &format!("{n} /"), TIMEOUT).await?;
    }
    browser::wait_text(&d, ".next-label", "Finish", TIMEOUT).await?;
    d.action_chain().send_keys(Key::PageDown).perform().await?;
    browser::wait_text(&d, ".next-label", "Really end?", TIMEOUT).await?;
    let status = browser::text(&d, "#status", TIMEOUT).await?;
    ensure!(status != "Ended", "one press must not end the meeting");
    d.action_chain().send_keys(Key::PageDown).perform().await?;
    browser::wait_text(&d, "#status", "Ended", TIMEOUT).await?;
    browser::screenshot(&d, "present-keys-dashboard-laptop").await?;

    // The presenter's join screen warns too (a fresh meeting shows the join screen).
    let file: MeetingFile = serde_json::from_str(&std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?)?;
    let other = ts.server.engine.store().import_meeting(&file).await?.0;
    let token = &ts.display_token(other).await?;
    let p = chromium.session(Size::Projector, "en").await?;
    p.goto(format!(
        "{}/present.html?meeting={other}&token={token}",
        ts.server.url()
    ))
    .await?;
    browser::wait_text(&p, "#loopback", "LIBREKAST_PUBLIC_URL", TIMEOUT).await?;
    check(&p, "join screen with the loopback warning").await?;
    browser::screenshot(&p, "present-keys-join-projector").await?;
    d.quit().await?;
    p.quit().await?;
    Ok(())
}

/// The label boxes of the presenter's bar rows, rounded to whole pixels.
async fn row_boxes(d: &WebDriver) -> anyhow::Result<Value> {
    Ok(d
        .execute(
            r#"return [...document.querySelectorAll('#bars .bar-row .label')].map((e) => {
                 const r = e.getBoundingClientRect();
                 return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)];
               });"#,
            vec![],
        )
        .await?
        .json()
        .clone())
}

/// Issue 12, point 6: a quiz keeps its layout between open and reveal (the reveal only
/// fills the rows); an empty word cloud and a scoreboard without points have designed empty
/// states; the podium shares a step between tied players and leaves 0-point players off it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiz_layout_empty_states_and_ties_on_the_presenter() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("present-states").await?;
    let file: MeetingFile = serde_json::from_value(serde_json::json!({
        "title": "States", "code": "st4tes",
        "activities": [
            {"kind": "text", "title": "Welcome"},
            {"kind": "quiz", "title": "Which is prime?", "choices": [
                {"text": "4"}, {"text": "6"}, {"text": "7", "correct": true}, {"text": "9"}]},
            {"kind": "wordcloud", "title": "One word?"}
        ]
    }))?;
    let meeting = ts.server.engine.store().import_meeting(&file).await?.0;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let mut phones = Vec::new();
    for name in ["Ann", "Bob", "Cy"] {
        let (_, token) = ts.join(meeting, "st4tes", name).await?;
        phones.push(ts.connect(meeting, &token).await?);
    }
    let token = ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    d.goto(ts.url(&format!("/present.html?meeting={meeting}&token={token}")))
        .await?;
    browser::wait_for(&d, "#body h1", TIMEOUT).await?;

    // Three players, no points yet: the scoreboard says so instead of a podium of zeros.
    ok(&org.control("start").await?)?;
    ok(&org.control("scoreboard").await?)?;
    browser::wait_text(&d, "#board .board-empty", "No points scored yet", TIMEOUT).await?;
    ensure!(
        d.find_all(By::Css("#board .step")).await?.is_empty(),
        "nobody stands on the podium with 0 points"
    );
    browser::screenshot(&d, "present-board-no-points").await?;

    // The quiz: its rows are there from the start, empty; the reveal fills them in place.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_for(&d, "#bars .bar-row.waiting", TIMEOUT).await?;
    let open = row_boxes(&d).await?;
    ensure!(
        open.as_array().map(Vec::len) == Some(4),
        "four rows: {open}"
    );
    browser::screenshot(&d, "present-quiz-open").await?;
    for (i, phone) in phones.iter_mut().enumerate() {
        let quiz = phone.wait_open("quiz").await?;
        let ids = choice_ids(&quiz);
        let question = quiz["question"]["id"].as_i64().unwrap_or_default();
        // Ann and Bob answer 7 (right), Cy 4.
        let pick = if i < 2 { ids[2] } else { ids[0] };
        ok(&phone.vote(question, pick).await?)?;
    }
    ok(&org.control("results").await?)?;
    browser::wait_for(&d, "#bars .bar-row.correct", TIMEOUT).await?;
    browser::wait_text(&d, "#answered", "Closed", TIMEOUT).await?;
    let revealed = row_boxes(&d).await?;
    ensure!(
        open == revealed,
        "the reveal moved the rows: {open} then {revealed}"
    );
    browser::screenshot(&d, "present-quiz-revealed").await?;

    // An empty word cloud says what to do; the first word replaces the hint.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    browser::wait_text(&d, "#cloud-empty", "Waiting for the first words", TIMEOUT).await?;
    browser::screenshot(&d, "present-cloud-empty").await?;
    let cloud = phones[0].wait_open("wordcloud").await?;
    let question = cloud["question"]["id"].as_i64().unwrap_or_default();
    ok(&phones[0].word(question, "prime").await?)?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    ensure!(
        d.find(By::Id("cloud-empty"))
            .await?
            .attr("hidden")
            .await?
            .is_some(),
        "the hint leaves with the first word"
    );

    // Ann and Bob tie for first: both on the top step; Cy (0 points) is listed, not on it.
    ok(&org.control("scoreboard").await?)?;
    browser::wait_for(&d, "#board .step.p1", TIMEOUT).await?;
    let steps: Vec<String> = {
        let mut out = Vec::new();
        for e in d.find_all(By::Css("#board .step")).await? {
            out.push(e.class_name().await?.unwrap_or_default());
        }
        out
    };
    ensure!(
        steps.len() == 2 && steps.iter().all(|c| c.contains("p1")),
        "two players share first place: {steps:?}"
    );
    browser::wait_text(&d, "#board ol.ranking", "Cy", TIMEOUT).await?;
    browser::screenshot(&d, "present-board-tie").await?;
    let errors = browser::js_errors(&d).await?;
    ensure!(errors.is_empty(), "script errors: {errors:?}");
    d.quit().await?;
    Ok(())
}
