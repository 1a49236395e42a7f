//! The results page (`/results.html?meeting=ID`) in Chromium with the stress meeting (long
//! titles, eight long choices, right-to-left and CJK text) played by room participants with
//! awkward names and by Twitch viewers: bars with the correct choice checked and the split
//! by platform, the word cloud laid out without overlaps, a podium with a tie, the full
//! ranking, participation by platform, the downloads; the dashboard's link to it once the
//! meeting ended, the meeting picker, a meeting nobody joined, and French. Nothing may
//! overflow the screen at 1440×900 or 390×844. Screenshots: `target/screenshots/results-*`.

use anyhow::{Context, bail, ensure};
use librekast_storage::{MeetingFile, MeetingId, Platform, WriteOp, now_micros};
use librekast_tests::browser::js;
use librekast_tests::browser::{self, Size};
use librekast_tests::*;
use thirtyfour::prelude::*;

/// Room participants, in joining order.
const NAMES: [&str; 8] = [
    "Alexandra Konstantinopoulou-Whitfield",
    "山田 太郎",
    "مريم الحسيني",
    "=HYPERLINK(\"x\")",
    "Zoë",
    "Ola",
    "Jean-Baptiste",
    "Léa",
];

/// Waits until no finite animation or transition runs (bars growing, the podium rising,
/// cloud words fading in), so a screenshot shows the page as a person ends up seeing it.
async fn settled(d: &WebDriver) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let busy = js(
            d,
            "return document.getAnimations().filter((a) => a.playState === 'running' \
             && a.effect && a.effect.getComputedTiming().iterations !== Infinity).length;",
        )
        .await?;
        if busy.as_u64() == Some(0) {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("animations still running: {busy}");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Nothing wider than the screen, no element of the page beyond its right edge, and no
/// two texts of the results on top of each other (the cloud's words are checked apart).
const LAYOUT: &str = r#"
const W = innerWidth;
const shown = [...document.querySelectorAll('#main *')].filter((e) => {
  if (e.closest('[hidden], .hidden, .cloud, .sr-only, details:not([open]) > :not(summary)')) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
});
const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className.baseVal ?? e.className}: ${(e.textContent || '').trim().slice(0, 40)}`;
const outside = shown.filter((e) => { const r = e.getBoundingClientRect(); return r.left < -1 || r.right > W + 1; }).map(name);
const texts = shown.filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
const overlaps = [];
for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) {
  const a = texts[i], b = texts[j];
  if (a.contains(b) || b.contains(a)) continue;
  const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
  if (Math.min(p.right, q.right) - Math.max(p.left, q.left) > 2 && Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top) > 2) overlaps.push(`${name(a)} <> ${name(b)}`);
}
return { outside: outside.slice(0, 6), overlaps: overlaps.slice(0, 6), scroll: document.documentElement.scrollWidth, width: W };
"#;

async fn check_layout(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    let v = js(d, LAYOUT).await?;
    ensure!(
        v["scroll"].as_u64() <= v["width"].as_u64(),
        "{what}: the page scrolls sideways: {v}"
    );
    ensure!(
        v["outside"].as_array().is_some_and(Vec::is_empty),
        "{what}: beyond the right edge: {}",
        v["outside"]
    );
    ensure!(
        v["overlaps"].as_array().is_some_and(Vec::is_empty),
        "{what}: overlapping text: {}",
        v["overlaps"]
    );
    Ok(())
}

/// Every word of the cloud inside its box and none on another.
async fn check_cloud(d: &WebDriver, at_least: u64) -> anyhow::Result<()> {
    let script = r#"
const box = document.querySelector('.cloud');
if (!box) return [0, 0, 0];
const b = box.getBoundingClientRect();
const r = [...box.querySelectorAll('.cloud-word')].map((n) => n.getBoundingClientRect());
let overlaps = 0, outside = 0;
for (let i = 0; i < r.length; i++) {
  const a = r[i];
  if (a.left < b.left - 1 || a.top < b.top - 1 || a.right > b.right + 1 || a.bottom > b.bottom + 1) outside++;
  for (let j = i + 1; j < r.length; j++) {
    const c = r[j];
    if (a.left < c.right - 1 && c.left < a.right - 1 && a.top < c.bottom - 1 && c.top < a.bottom - 1) overlaps++;
  }
}
return [r.length, overlaps, outside];"#;
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let v = js(d, script).await?;
        let (n, overlaps, outside) = (
            v[0].as_u64().unwrap_or(0),
            v[1].as_u64().unwrap_or(99),
            v[2].as_u64().unwrap_or(99),
        );
        if n >= at_least && overlaps == 0 && outside == 0 {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            bail!("cloud: {n} words, {overlaps} overlaps, {outside} outside");
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Scrolls `css` to the top of the screen (below the sticky bar) and saves a screenshot.
async fn shoot_at(d: &WebDriver, css: &str, name: &str) -> anyhow::Result<()> {
    d.execute(
        &format!(
            "const e = document.querySelector({css:?}); \
             window.scrollTo(0, e ? e.getBoundingClientRect().top + scrollY - 72 : 0);"
        ),
        vec![],
    )
    .await?;
    settled(d).await?;
    browser::screenshot(d, name).await?;
    Ok(())
}

fn stress_file() -> anyhow::Result<MeetingFile> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?;
    Ok(serde_json::from_str(&text)?)
}

/// Plays the stress meeting to its end: everyone votes in both polls and the quiz and gives
/// words; two capture the flag. Then five Twitch viewers' answers are added as the chat
/// adapter would have written them. Scores: 8, 8 (a tie), then 1s and 0s.
async fn play(ts: &TestServer, file: &MeetingFile) -> anyhow::Result<i64> {
    let store = ts.server.engine.store();
    let meeting = store.import_meeting(file).await?.0;
    let mut org = ts.connect(meeting, &ts.admin_token().await?).await?;
    let mut people = Vec::new();
    for name in NAMES {
        let (_, token) = ts.join(meeting, &file.code, name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    let words = [
        "Ambitious",
        "ambitious",
        "busy",
        "Rapide",
        "忙しい",
        "مزدحم",
        "quarterly-planning-exercise",
        "Busy",
        "ambitious",
        "fun",
    ];
    for (i, a) in file.activities.iter().enumerate() {
        ok(&org.control(if i == 0 { "start" } else { "next" }).await?)?;
        if i > 0 {
            ok(&org.control("start").await?)?;
        }
        let kind = a.kind.wire();
        let state = org
            .wait_state(|s| s["status"] == "ongoing" && s["question"]["kind"] == kind)
            .await?;
        let question = state["question"]["id"].as_i64().context("question id")?;
        let choices = choice_ids(&state);
        for (j, p) in people.iter_mut().enumerate() {
            p.wait_open(kind).await?;
            if a.kind.has_choices() {
                // Mostly the first choices, so the bars differ; the quiz's answer by some.
                let pick = if a.kind.wire() == "quiz" {
                    let right = a.choices.iter().position(|c| c.correct).unwrap_or(0);
                    if j % 3 == 0 {
                        right
                    } else {
                        (j + 1) % choices.len()
                    }
                } else {
                    (j * j) % choices.len().min(5)
                };
                ok(&p.vote(question, choices[pick]).await?)?;
            } else if kind == "wordcloud" {
                ok(&p.word(question, words[j % words.len()]).await?)?;
                ok(&p.word(question, words[(j + 3) % words.len()]).await?)?;
            }
        }
        if a.kind.has_choices() {
            ok(&org.control("results").await?)?;
        }
    }
    // The flag: first blood (5 + 3) for Zoë, 5 for the quiz's fastest (3 + 5): a tie at 8.
    ok(&people[4].flag("CTF{quarterly-flag}").await?)?;
    ok(&people[0].flag("quarterly-flag").await?)?;
    ok(&org.control("scoreboard").await?)?;
    ok(&org.control("next").await?)?;
    org.wait_status("after").await?;

    // Twitch viewers, as the chat adapter writes them.
    let loaded = store.load_meeting(MeetingId(meeting)).await?;
    let viewers: Vec<(String, String)> = (0..5)
        .map(|i| (format!("tw{i}"), format!("twitch_viewer_{i}")))
        .collect();
    let seated = store
        .upsert_attendees(MeetingId(meeting), Platform::Twitch, &viewers)
        .await?;
    let (poll, quiz, cloud) = (
        &loaded.activities[1],
        &loaded.activities[2],
        &loaded.activities[4],
    );
    let right = quiz.choices.iter().position(|c| c.correct).unwrap_or(0);
    let now = now_micros();
    let mut ops = Vec::new();
    let mut awards = Vec::new();
    for (i, v) in seated.iter().enumerate() {
        let at = now + i as i64;
        ops.push(WriteOp::Vote {
            activity: poll.id,
            attendee: v.id,
            choice: poll.choices[(i + 1) % 3].id,
            at,
        });
        let pick = if i < 2 {
            right
        } else {
            (right + 1) % quiz.choices.len()
        };
        ops.push(WriteOp::Vote {
            activity: quiz.id,
            attendee: v.id,
            choice: quiz.choices[pick].id,
            at,
        });
        awards.push((v.id, i64::from(i < 2)));
        ops.push(WriteOp::Word {
            activity: cloud.id,
            attendee: v.id,
            text: "PogChamp".into(),
            normalized: "pogchamp".into(),
            at,
        });
    }
    ops.push(WriteOp::Award {
        activity: quiz.id,
        awards,
    });
    store.apply(&ops).await?;
    Ok(meeting)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_results_page_at_phone_and_laptop_size() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-results").await?;
    let file = stress_file()?;
    let meeting = play(&ts, &file).await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let results = ts
        .server
        .engine
        .store()
        .meeting_results(MeetingId(meeting))
        .await?;
    ensure!(
        results.scoreboard[0].rank == 1 && results.scoreboard[1].rank == 1,
        "the fixture has a tie at the top: {:?}",
        &results.scoreboard[..3]
    );

    // The dashboard of the ended meeting links to its results.
    let d = chromium.session(Size::Laptop, "en").await?;
    d.goto(ts.url(&format!("/organize.html?meeting={meeting}")))
        .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#status", "Ended", TIMEOUT).await?;
    // The log so far holds the 401 of `/api/me` before the login: expected, dropped.
    browser::js_errors(&d).await?;
    browser::click(&d, "#results-link", TIMEOUT).await?;
    browser::wait_for(&d, "#activities .activity-result", TIMEOUT).await?;
    ensure!(
        d.current_url()
            .await?
            .as_str()
            .ends_with(&format!("/results.html?meeting={meeting}")),
        "the link opens the results page"
    );
    browser::wait_text(&d, "#status", "Ended", TIMEOUT).await?;
    browser::wait_text(&d, "#meeting-title", "Quarterly all-hands", TIMEOUT).await?;
    check_cloud(&d, 6).await?;

    let v = js(
        &d,
        r#"const cards = [...document.querySelectorAll('.activity-result')];
        return {
          cards: cards.length,
          checks: cards.map((c) => c.querySelectorAll('.bar-row.correct .check').length),
          splits: [...cards[1].querySelectorAll('.bar-row .split')].filter((s) => !s.hidden).length,
          podium: [...document.querySelectorAll('#board .step .block')].map((b) => b.textContent),
          platforms: [...document.querySelectorAll('#platforms .bar-row')].map((r) => r.textContent),
          csv: document.querySelector('#csv').getAttribute('href'),
          json: document.querySelector('#json').getAttribute('href'),
          participants: document.querySelector('#participants').textContent,
        };"#,
    )
    .await?;
    ensure!(
        v["cards"] == file.activities.len(),
        "one card per activity: {v}"
    );
    ensure!(
        v["checks"] == serde_json::json!([0, 0, 1, 0, 0, 0]),
        "the quiz's correct choice is checked, and only it: {v}"
    );
    ensure!(
        v["splits"].as_u64() > Some(0),
        "the poll shows room · Twitch: {v}"
    );
    // Podium order on screen: second places, first, third; the ties share their steps.
    ensure!(
        v["podium"] == serde_json::json!(["1", "1", "3", "3", "3"]),
        "{v}"
    );
    ensure!(
        v["platforms"].as_array().map(Vec::len) == Some(2),
        "room and Twitch: {v}"
    );
    ensure!(v["participants"] == "13", "{v}");
    ensure!(
        v["csv"] == format!("/api/meetings/{meeting}/results.csv")
            && v["json"] == format!("/api/meetings/{meeting}/results.json"),
        "{v}"
    );
    // The downloads work with the page's session (the cookie).
    let status = js(
        &d,
        "return fetch(document.querySelector('#csv').href).then(async (r) => \
         [r.status, r.headers.get('content-disposition'), (await r.text()).split('\\r\\n')[0]]);",
    )
    .await?;
    ensure!(
        status[0] == 200
            && status[1] == format!("attachment; filename=\"meeting-{meeting}-results.csv\"")
            // (`text()` decodes UTF-8 and drops the byte order mark.)
            && status[2] == "time,activity,kind,attendee_id,name,platform,answer,correct,points",
        "{status}"
    );

    // The full ranking opens below the podium.
    browser::click(&d, "#all-ranks summary", TIMEOUT).await?;
    browser::wait_text(&d, "#ranking", "twitch_viewer_4", TIMEOUT).await?;
    let ranks = js(
        &d,
        "return [...document.querySelectorAll('#ranking .pos')].map((p) => p.textContent);",
    )
    .await?;
    ensure!(
        ranks[0] == "1." && ranks[1] == "1." && ranks[2] == "3.",
        "{ranks}"
    );
    browser::click(&d, "#all-ranks summary", TIMEOUT).await?;

    settled(&d).await?;
    check_layout(&d, "laptop").await?;
    browser::axe_audit(&d, "results, laptop").await?;
    shoot_at(&d, "body", "results-laptop-top").await?;
    shoot_at(&d, ".kind-quiz", "results-laptop-quiz").await?;
    shoot_at(&d, ".kind-wordcloud", "results-laptop-cloud").await?;
    // The other theme (the system's is light here).
    browser::click(&d, "#theme", TIMEOUT).await?;
    shoot_at(&d, "body", "results-laptop-dark").await?;
    browser::click(&d, "#theme", TIMEOUT).await?;

    // The phone: the scoreboard first, then the activities.
    browser::resize(&d, Size::Mobile).await?;
    d.refresh().await?;
    browser::wait_for(&d, "#activities .activity-result", TIMEOUT).await?;
    check_cloud(&d, 4).await?;
    settled(&d).await?;
    check_layout(&d, "phone").await?;
    browser::axe_audit(&d, "results, phone").await?;
    shoot_at(&d, "body", "results-mobile-top").await?;
    shoot_at(&d, "#board", "results-mobile-board").await?;
    shoot_at(&d, "#platforms", "results-mobile-platforms").await?;
    shoot_at(&d, ".kind-poll", "results-mobile-poll").await?;
    shoot_at(&d, ".kind-quiz", "results-mobile-quiz").await?;
    shoot_at(&d, ".kind-wordcloud", "results-mobile-cloud").await?;
    let errors = browser::js_errors(&d).await?;
    ensure!(errors.is_empty(), "script errors: {errors:?}");

    // In French.
    browser::click(&d, "#lang", TIMEOUT).await?;
    browser::wait_text(&d, "#board-title", "Classement final", TIMEOUT).await?;
    browser::wait_text(&d, "#status", "Terminé", TIMEOUT).await?;
    check_cloud(&d, 4).await?;
    settled(&d).await?;
    check_layout(&d, "phone, French").await?;
    shoot_at(&d, "body", "results-mobile-fr-top").await?;
    shoot_at(&d, ".kind-quiz", "results-mobile-fr-quiz").await?;
    browser::click(&d, "#lang", TIMEOUT).await?;

    // A meeting nobody joined: empty states, no podium.
    let empty = ts.server.engine.store().import_meeting(&file).await?.0;
    d.goto(ts.url(&format!("/results.html?meeting={empty}")))
        .await?;
    browser::wait_text(&d, "#board", "Nobody joined", TIMEOUT).await?;
    browser::wait_text(&d, ".kind-wordcloud", "No words were given", TIMEOUT).await?;
    browser::wait_text(&d, "#running", "not started yet", TIMEOUT).await?;
    settled(&d).await?;
    check_layout(&d, "phone, empty meeting").await?;
    browser::axe_audit(&d, "results of an empty meeting, phone").await?;
    shoot_at(&d, "body", "results-mobile-empty").await?;
    browser::resize(&d, Size::Laptop).await?;
    settled(&d).await?;
    check_layout(&d, "laptop, empty meeting").await?;
    shoot_at(&d, "body", "results-laptop-empty").await?;

    // Without a meeting: the picker, each meeting linking to its results.
    d.goto(ts.url("/results.html")).await?;
    browser::wait_for(&d, "#meetings a.meeting-pick", TIMEOUT).await?;
    let href = browser::wait_for(&d, "#meetings a.meeting-pick", TIMEOUT)
        .await?
        .attr("href")
        .await?
        .unwrap_or_default();
    ensure!(href.starts_with("/results.html?meeting="), "{href}");
    // And the dashboard's picker has a "Results" link beside each meeting.
    d.goto(ts.url("/organize.html")).await?;
    let link = browser::wait_for(&d, "#meetings .results-link", TIMEOUT).await?;
    ensure!(link.text().await? == "Results");
    browser::resize(&d, Size::Mobile).await?;
    settled(&d).await?;
    browser::screenshot(&d, "results-mobile-picker").await?;

    let errors = browser::js_errors(&d).await?;
    ensure!(errors.is_empty(), "script errors: {errors:?}");

    // A meeting that does not exist: said in the page (the browser logs the 404 itself).
    d.goto(ts.url("/results.html?meeting=987654")).await?;
    browser::wait_text(&d, "#problem", "no such meeting", TIMEOUT).await?;
    let errors = browser::js_errors(&d).await?;
    ensure!(
        errors
            .iter()
            .all(|e| e.contains("/api/meetings/987654/results.json")),
        "script errors: {errors:?}"
    );
    d.quit().await?;
    ts.server.shutdown().await;
    Ok(())
}
