//! Ratings, grids and multi-select on the audience's screens (issue 14, points 3–5): a
//! meeting imported through the API with a multi-select poll, a 0–10 scale with two end
//! labels, a five-star scale with one label per value, a grid of eight long items, a 0–100
//! slider and a multi-select quiz with partial credit. A phone answers each in the browser
//! and three attendees over the WebSocket; the test checks what the phone shows (the limit
//! refused with its reason, Send enabled only when ready, what was given, also after a
//! reload, the verdict), what the presenter shows (bars out of the voters, mean and median,
//! the ranking in the server's order, the chat hint per kind, in English and French) and
//! the activity overlay, and that the presenter fits at 1920×1080 and 1280×720. Screenshots:
//! `target/screenshots/kinds-*`, copied to /tmp/lk14-shots/audience-*.png.

use anyhow::{Context, ensure};
use librekast_tests::browser::{
    self, Size, js, no_errors as clean, presenter_fits as fits, press as tap, settle, text_of,
    wait_js,
};
use librekast_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

const CODE: &str = "KINDS14";

/// Eight long items with emoji, to rate from 1 to 5.
const ITEMS: [&str; 8] = [
    "Opening keynote: the future of open-source real-time collaboration 🚀",
    "Hands-on workshop on building accessible interfaces for everyone ♿",
    "Lunch, coffee breaks and the hallway track with other attendees ☕",
    "Lightning talks from first-time speakers across the whole community ⚡",
    "Panel discussion: sustainability and funding of open-source maintainers 🌱",
    "Live demo of LibreKast with a thousand phones in the same room 📱",
    "Evening social event at the riverside venue, with live music 🎶",
    "Venue, accessibility, signage and the Wi-Fi throughout the day 📶",
];

fn meeting_file(channel: &str) -> Value {
    let items: Vec<Value> = ITEMS.iter().map(|t| json!({"text": t})).collect();
    json!({
        "title": "Feedback — ratings, grids and several answers 🎛️",
        "code": CODE,
        "scoring": "speed",
        "streak_bonus": 100,
        "sources": [{"platform": "twitch", "channel": channel, "delay_secs": 0}],
        "activities": [
            {"kind": "poll", "title": "Which languages do you use at work? Pick the ones you use every week 🧑‍💻",
             "max_choices": 3,
             "choices": [{"text": "Rust 🦀"}, {"text": "Go"}, {"text": "Python 🐍"}, {"text": "C"}, {"text": "TypeScript"}]},
            {"kind": "scale", "title": "How was the talk? 🎤",
             "scale": {"min": 0, "max": 10, "labels": ["Boring", "Brilliant"]}},
            {"kind": "scale", "title": "How many stars for the venue?",
             "scale": {"min": 1, "max": 5, "labels": ["★", "★★", "★★★", "★★★★", "★★★★★"]}},
            {"kind": "grid", "title": "Rate each part of the conference day, from poor to excellent",
             "scale": {"min": 1, "max": 5, "labels": ["Poor", "Excellent"]}, "prior_weight": 5,
             "choices": items},
            {"kind": "scale", "title": "How likely are you to come back next year? 📅",
             "scale": {"min": 0, "max": 100, "labels": ["Not at all", "Absolutely"]}},
            {"kind": "quiz", "title": "Which of these numbers are prime? 🔢", "max_choices": 4,
             "partial_credit": true, "time_limit_secs": 600, "points": 1000,
             "choices": [{"text": "2", "correct": true}, {"text": "4"}, {"text": "5", "correct": true}, {"text": "9"}]},
        ],
    })
}

/// Imports the meeting file as the organizer's page does (`POST /api/meetings`).
async fn import(ts: &TestServer, admin: &str, file: Value) -> anyhow::Result<i64> {
    let (status, body) = ts
        .call(Method::POST, "/api/meetings", admin, Some(file))
        .await?;
    ensure!(status.is_success(), "import refused: {status} {body}");
    body["id"].as_i64().context("no meeting id")
}

/// Saves a screenshot once the page is still, also as /tmp/lk14-shots/audience-NAME.png.
async fn shot(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    settle(d).await?;
    let path = browser::screenshot(d, &format!("kinds-{name}")).await?;
    let dir = std::path::Path::new("/tmp/lk14-shots");
    std::fs::create_dir_all(dir)?;
    std::fs::copy(&path, dir.join(format!("audience-{name}.png")))?;
    Ok(())
}

/// Fits at 1920×1080 and 1280×720, with a screenshot at each, then back to 1920×1080.
async fn fits_both(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    for size in [Size::Hd, Size::Projector] {
        browser::resize(d, size).await?;
        let (w, h) = size.viewport();
        fits(d, &format!("{name} at {w}x{h}")).await?;
        shot(d, &format!("{name}-{w}x{h}")).await?;
    }
    Ok(())
}

/// Waits until `css`'s textContent equals `want`.
async fn wait_exact(d: &WebDriver, css: &str, want: &str) -> anyhow::Result<()> {
    let script = format!(
        "const n = document.querySelector({}); return !!n && n.textContent.trim() === {};",
        json!(css),
        json!(want)
    );
    wait_js(d, &script, &format!("{css} to read {want:?}")).await?;
    Ok(())
}

/// Switches the page's language as its language button does (the presenter shows none).
async fn set_lang(d: &WebDriver, lang: &str) -> anyhow::Result<()> {
    d.execute(
        "return import('/js/i18n.js').then((m) => { m.setLang(arguments[0]); return true; });",
        vec![json!(lang)],
    )
    .await?;
    Ok(())
}

/// Whether the Send button is there and enabled.
async fn send_enabled(d: &WebDriver) -> anyhow::Result<bool> {
    let v = js(
        d,
        "const b = document.getElementById('answer-send'); return !!b && !b.disabled;",
    )
    .await?;
    Ok(v == true)
}

/// Next (unless it is the first) and Start, from the organizer's socket; the open state.
async fn open(org: &mut Client, first: bool, title: &str) -> anyhow::Result<Value> {
    if !first {
        ok(&org.control("next").await?)?;
    }
    ok(&org.control("start").await?)?;
    org.wait_state(|s| s["status"] == "ongoing" && s["question"]["title"] == title)
        .await
}

/// The presenter's `#answered` says `n` answers.
async fn answers(d: &WebDriver, n: u32) -> anyhow::Result<()> {
    browser::wait_text(d, "#answered", &format!("{n} answers"), TIMEOUT).await?;
    Ok(())
}

/// A phone in the browser, joined from the QR code's link.
async fn phone(
    chromium: &browser::Chromium,
    ts: &TestServer,
    meeting: i64,
) -> anyhow::Result<WebDriver> {
    let d = chromium.session(Size::Mobile, "en").await?;
    d.goto(ts.url(&format!("/?meeting={meeting}&code={CODE}")))
        .await?;
    let field = browser::wait_for(&d, "#name", TIMEOUT).await?;
    field.send_keys("Ada 🌟").await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(&d, "#you-name", "Ada", TIMEOUT).await?;
    Ok(d)
}

struct People {
    org: Client,
    /// Three attendees over the WebSocket.
    ws: Vec<Client>,
}

impl People {
    async fn vote(&mut self, who: usize, question: i64, ids: &[i64]) -> anyhow::Result<Value> {
        self.ws[who]
            .call(json!({"type": "vote", "question_id": question, "choice_ids": ids}))
            .await
    }

    async fn rate(&mut self, who: usize, question: i64, value: i64) -> anyhow::Result<Value> {
        self.ws[who]
            .call(json!({"type": "rate", "question_id": question, "value": value}))
            .await
    }

    async fn rate_items(
        &mut self,
        who: usize,
        question: i64,
        ratings: &[(i64, i64)],
    ) -> anyhow::Result<Value> {
        let map: serde_json::Map<String, Value> = ratings
            .iter()
            .map(|(id, v)| (id.to_string(), json!(v)))
            .collect();
        self.ws[who]
            .call(json!({"type": "rate", "question_id": question, "ratings": map}))
            .await
    }
}

/// The multi-select poll: up to 3 of 5, the fourth refused, Send, bars out of the voters.
async fn multi_poll(p: &WebDriver, present: &WebDriver, people: &mut People) -> anyhow::Result<()> {
    let s = open(
        &mut people.org,
        true,
        "Which languages do you use at work? Pick the ones you use every week 🧑‍💻",
    )
    .await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    ensure!(
        s["question"]["max_choices"] == 3,
        "max_choices: {}",
        s["question"]
    );
    let ids = choice_ids(&s);
    browser::wait_text(p, "#pick-hint", "Choose up to 3.", TIMEOUT).await?;
    wait_js(
        p,
        "return document.querySelectorAll('#answer .checks input[type=checkbox]').length === 5;",
        "five checkboxes",
    )
    .await?;
    ensure!(
        !send_enabled(p).await?,
        "Send is enabled with nothing chosen"
    );
    browser::wait_text(p, "#pick-count", "0 of 3 chosen", TIMEOUT).await?;
    for i in [0, 1, 2] {
        tap(p, &format!("label[data-choice=\"{}\"]", ids[i])).await?;
    }
    browser::wait_text(p, "#pick-count", "3 of 3 chosen", TIMEOUT).await?;
    // A fourth is refused, with the reason beside Send.
    tap(p, &format!("label[data-choice=\"{}\"]", ids[3])).await?;
    browser::wait_text(p, "#pick-count", "You can choose up to 3", TIMEOUT).await?;
    let checked = js(
        p,
        "return [...document.querySelectorAll('#answer .checks input:checked')].map((i) => Number(i.value));",
    )
    .await?;
    ensure!(
        checked == json!([ids[0], ids[1], ids[2]]),
        "checked after the refusal: {checked}"
    );
    browser::axe_audit(p, "phone, multi-select with the limit reached").await?;
    shot(p, "phone-multi-limit-390x844").await?;
    // Untick B, tick D, send: A, C, D.
    tap(p, &format!("label[data-choice=\"{}\"]", ids[1])).await?;
    tap(p, &format!("label[data-choice=\"{}\"]", ids[3])).await?;
    browser::wait_text(p, "#pick-count", "3 of 3 chosen", TIMEOUT).await?;
    ensure!(send_enabled(p).await?, "Send is disabled with 3 chosen");
    tap(p, "#answer-send").await?;
    browser::wait_text(
        p,
        "#given",
        "You chose A: Rust 🦀, C: Python 🐍, D: C.",
        TIMEOUT,
    )
    .await?;
    // Over the WebSocket: two, one, a refused four, then one.
    ok(&people.vote(0, q, &[ids[0], ids[1]]).await?)?;
    ok(&people.vote(1, q, &[ids[0]]).await?)?;
    let refused = people.vote(2, q, &ids[0..4]).await?;
    ensure!(
        error_code(&refused) == "too_many_choices",
        "four of three: {refused}"
    );
    ok(&people.vote(2, q, &[ids[2]]).await?)?;
    let again = people.vote(0, q, &[ids[4]]).await?;
    ensure!(
        error_code(&again) == "already_voted",
        "a second vote: {again}"
    );
    // Four voters: A 3 of 4, C 2 of 4; the presenter says "up to 3 choices each".
    answers(present, 4).await?;
    browser::wait_text(present, "#answered", "up to 3 choices each", TIMEOUT).await?;
    browser::wait_text(
        present,
        &format!("#bars .bar-row[data-choice=\"{}\"] .count", ids[0]),
        "3 · 75%",
        TIMEOUT,
    )
    .await?;
    browser::wait_text(
        present,
        &format!("#bars .bar-row[data-choice=\"{}\"] .count", ids[2]),
        "2 · 50%",
        TIMEOUT,
    )
    .await?;
    let hint = text_of(present, "#chat-hint").await?;
    ensure!(
        hint.contains("up to 3") && hint.contains("#a #c"),
        "multi chat hint: {hint}"
    );
    // The phone marks its three and keeps them after a reload.
    wait_js(
        p,
        "return document.querySelectorAll('#bars .bar-row.mine').length === 3;",
        "the phone's three choices marked in the bars",
    )
    .await?;
    shot(p, "phone-multi-sent-390x844").await?;
    p.refresh().await?;
    browser::wait_text(
        p,
        "#given",
        "You chose A: Rust 🦀, C: Python 🐍, D: C.",
        TIMEOUT,
    )
    .await?;
    let after = js(
        p,
        "return [...document.querySelectorAll('#answer .checks input')].map((i) => [i.checked, i.disabled]);",
    )
    .await?;
    ensure!(
        after
            == json!([
                [true, true],
                [false, true],
                [true, true],
                [true, true],
                [false, true]
            ]),
        "the boxes after a reload: {after}"
    );
    fits_both(present, "presenter-multi").await?;
    Ok(())
}

/// The 0–10 scale: a button per value, Send, mean and median, English and French.
async fn scale_0_10(p: &WebDriver, present: &WebDriver, people: &mut People) -> anyhow::Result<()> {
    let s = open(&mut people.org, false, "How was the talk? 🎤").await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    wait_js(
        p,
        "return document.querySelectorAll('#answer .scale-btn').length === 11;",
        "eleven buttons, 0 to 10",
    )
    .await?;
    let ends = text_of(p, "#answer .scale-ends").await?;
    ensure!(
        ends.contains("Boring") && ends.contains("Brilliant"),
        "the ends: {ends}"
    );
    ensure!(!send_enabled(p).await?, "Send is enabled with no value");
    tap(p, "#answer .scale-btn[data-value=\"7\"]").await?;
    browser::wait_text(p, "#pick-count", "Your rating: 7", TIMEOUT).await?;
    ensure!(send_enabled(p).await?, "Send is disabled with a value");
    browser::axe_audit(p, "phone, 0–10 scale").await?;
    shot(p, "phone-scale-0-10-390x844").await?;
    tap(p, "#answer-send").await?;
    browser::wait_text(p, "#given", "You gave 7.", TIMEOUT).await?;
    ok(&people.rate(0, q, 9).await?)?;
    ok(&people.rate(1, q, 4).await?)?;
    let out = people.rate(2, q, 15).await?;
    ensure!(error_code(&out) == "out_of_range", "15 of 10: {out}");
    ok(&people.rate(2, q, 10).await?)?;
    let again = people.rate(0, q, 3).await?;
    ensure!(
        error_code(&again) == "already_voted",
        "a second rating: {again}"
    );
    // 7, 9, 4, 10: mean 7.5, median 8.
    answers(present, 4).await?;
    wait_exact(present, "#hist .stat-big.mean .stat-value", "7.5").await?;
    wait_exact(present, "#hist .stat-big.median .stat-value", "8").await?;
    wait_exact(
        present,
        "#hist .hist-col[data-value=\"7\"] .hist-count",
        "1",
    )
    .await?;
    let hint = text_of(present, "#chat-hint").await?;
    ensure!(hint.contains("#0 … #10"), "scale chat hint: {hint}");
    // The phone shows the distribution with its own value marked, also after a reload.
    wait_exact(p, "#hist .stat-big.mean .stat-value", "7.5").await?;
    browser::wait_for(p, "#hist .hist-col.mine[data-value=\"7\"]", TIMEOUT).await?;
    shot(p, "phone-scale-sent-390x844").await?;
    p.refresh().await?;
    browser::wait_text(p, "#given", "You gave 7.", TIMEOUT).await?;
    let picked = js(
        p,
        "const i = document.querySelector('#answer input[type=radio]:checked'); return i ? [Number(i.value), i.disabled] : null;",
    )
    .await?;
    ensure!(picked == json!([7, true]), "after a reload: {picked}");
    fits_both(present, "presenter-scale-0-10").await?;
    browser::axe_audit(present, "presenter, 0–10 scale").await?;
    // In French: decimal comma, the labels translated.
    set_lang(present, "fr").await?;
    wait_exact(present, "#hist .stat-big.mean .stat-value", "7,5").await?;
    wait_exact(present, "#hist .stat-big.mean .stat-label", "Moyenne").await?;
    wait_exact(present, "#hist .stat-big.median .stat-label", "Médiane").await?;
    browser::wait_text(present, "#answered", "4 réponses", TIMEOUT).await?;
    fits(present, "presenter scale in French").await?;
    shot(present, "presenter-scale-fr-1920x1080").await?;
    set_lang(present, "en").await?;
    wait_exact(present, "#hist .stat-big.mean .stat-label", "Mean").await?;
    Ok(())
}

/// Five stars: one label per value, under each number.
async fn stars(p: &WebDriver, present: &WebDriver, people: &mut People) -> anyhow::Result<()> {
    let s = open(&mut people.org, false, "How many stars for the venue?").await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    wait_exact(
        p,
        "#answer .scale-btn[data-value=\"5\"] .scale-label",
        "★★★★★",
    )
    .await?;
    tap(p, "#answer .scale-btn[data-value=\"4\"]").await?;
    browser::wait_text(p, "#pick-count", "Your rating: 4 · ★★★★", TIMEOUT).await?;
    shot(p, "phone-stars-390x844").await?;
    tap(p, "#answer-send").await?;
    browser::wait_text(p, "#given", "You gave 4 · ★★★★.", TIMEOUT).await?;
    ok(&people.rate(0, q, 5).await?)?;
    ok(&people.rate(1, q, 5).await?)?;
    answers(present, 3).await?;
    // 4, 5, 5: mean 4.7, median 5; a label under each value.
    wait_exact(present, "#hist .stat-big.mean .stat-value", "4.7").await?;
    wait_exact(present, "#hist .stat-big.median .stat-value", "5").await?;
    let labels = js(
        present,
        "return [...document.querySelectorAll('#hist .hist-label')].map((l) => l.textContent);",
    )
    .await?;
    ensure!(
        labels == json!(["★", "★★", "★★★", "★★★★", "★★★★★"]),
        "labels under the bars: {labels}"
    );
    fits_both(present, "presenter-stars").await?;
    Ok(())
}

/// The grid: eight long items, Send once all are rated, the ranking in the server's order.
async fn grid(
    p: &WebDriver,
    present: &WebDriver,
    overlay: &WebDriver,
    people: &mut People,
    ts: &TestServer,
    meeting: i64,
) -> anyhow::Result<()> {
    let s = open(
        &mut people.org,
        false,
        "Rate each part of the conference day, from poor to excellent",
    )
    .await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    let ids = choice_ids(&s);
    ensure!(ids.len() == 8, "eight items: {}", s["question"]);
    wait_js(
        p,
        "return document.querySelectorAll('#answer fieldset.grid-row').length === 8;",
        "eight rows",
    )
    .await?;
    browser::wait_text(p, "#pick-hint", "from 1 (Poor) to 5 (Excellent)", TIMEOUT).await?;
    browser::wait_text(p, "#pick-count", "0 of 8 rated", TIMEOUT).await?;
    let mine = [5, 4, 3, 4, 2, 5, 4, 3];
    for (i, id) in ids.iter().enumerate().take(7) {
        tap(
            p,
            &format!(
                "fieldset[data-item=\"{id}\"] .scale-btn[data-value=\"{}\"]",
                mine[i]
            ),
        )
        .await?;
    }
    browser::wait_text(p, "#pick-count", "7 of 8 rated", TIMEOUT).await?;
    ensure!(
        !send_enabled(p).await?,
        "Send is enabled with an item not rated"
    );
    shot(p, "phone-grid-390x844").await?;
    tap(
        p,
        &format!(
            "fieldset[data-item=\"{}\"] .scale-btn[data-value=\"3\"]",
            ids[7]
        ),
    )
    .await?;
    browser::wait_text(p, "#pick-count", "8 of 8 rated", TIMEOUT).await?;
    ensure!(send_enabled(p).await?, "Send is disabled with all rated");
    browser::axe_audit(p, "phone, grid all rated").await?;
    // In French meanwhile: the key line and the counter.
    set_lang(p, "fr").await?;
    browser::wait_text(p, "#pick-count", "8 notés sur 8", TIMEOUT).await?;
    shot(p, "phone-grid-fr-390x844").await?;
    set_lang(p, "en").await?;
    browser::wait_text(p, "#pick-count", "8 of 8 rated", TIMEOUT).await?;
    tap(p, "#answer-send").await?;
    browser::wait_text(p, "#given", "Your ratings are in.", TIMEOUT).await?;

    // Over the WebSocket: one rates all but F, one only three items, one is refused (6 is
    // off the scale, and then nothing of that frame counts) and rates two. F then has a
    // single 5 and B four ratings averaging 4.75: the Bayesian average puts B first and F,
    // for all its 5.0, fourth (the prior: 5 ratings at the overall mean, 3.6).
    let all: Vec<(i64, i64)> = ids
        .iter()
        .zip([4, 5, 3, 4, 1, 0, 2, 2])
        .filter(|(_, v)| *v > 0)
        .map(|(i, v)| (*i, v))
        .collect();
    ok(&people.rate_items(0, q, &all).await?)?;
    ok(&people
        .rate_items(1, q, &[(ids[1], 5), (ids[3], 5), (ids[4], 2)])
        .await?)?;
    let out = people.rate_items(2, q, &[(ids[0], 6), (ids[1], 5)]).await?;
    ensure!(error_code(&out) == "out_of_range", "6 of 5: {out}");
    ok(&people.rate_items(2, q, &[(ids[1], 5), (ids[2], 4)]).await?)?;
    let again = people.rate_items(1, q, &[(ids[1], 1)]).await?;
    ensure!(
        error_code(&again) == "already_voted",
        "an item rated twice: {again}"
    );
    answers(present, 4).await?;
    // The presenter ranks as the server does (a fresh staff snapshot says how), and says
    // how it ranks.
    let ranking = server_ranking(ts, meeting, 20).await?;
    let expected: Vec<i64> = [1, 3, 0, 5, 2, 6, 7, 4].iter().map(|&i| ids[i]).collect();
    ensure!(
        ranking == json!(expected),
        "the server's ranking {ranking}, expected B D A F C G H E: {expected:?}"
    );
    let script = format!(
        "return JSON.stringify([...document.querySelectorAll('#ranking .rank-row')].map((r) => Number(r.dataset.choice))) === {};",
        json!(ranking.to_string())
    );
    wait_js(
        present,
        &script,
        "the presenter's rows in the server's order",
    )
    .await?;
    // B (4, 5, 5, 5) first; F (a single 5) fourth, its mean and count shown.
    let row = |id: i64, part: &str| format!("#ranking .rank-row[data-choice=\"{id}\"] {part}");
    wait_exact(present, &row(ids[1], ".rank-mean"), "4.8").await?;
    wait_exact(present, &row(ids[1], ".rank-n"), "4 ratings").await?;
    wait_exact(present, &row(ids[1], ".rank-pos"), "1").await?;
    wait_exact(present, &row(ids[5], ".rank-mean"), "5.0").await?;
    wait_exact(present, &row(ids[5], ".rank-n"), "1 rating").await?;
    wait_exact(present, &row(ids[5], ".rank-pos"), "4").await?;
    browser::wait_text(present, ".rank-note", "Bayesian", TIMEOUT).await?;
    browser::wait_text(present, ".rank-note", "(3.6)", TIMEOUT).await?;
    let hint = text_of(present, "#chat-hint").await?;
    ensure!(hint.contains("#a4 #b5"), "grid chat hint: {hint}");
    fits_both(present, "presenter-grid").await?;
    browser::axe_audit(present, "presenter, grid ranking").await?;
    // The overlay: the top five side by side.
    wait_js(
        overlay,
        "return document.querySelectorAll('.lk-grid .rank-row').length === 5;",
        "the overlay's top five",
    )
    .await?;
    overlay_shot(overlay, "overlay-grid").await?;
    // The phone: the ranking with its own ratings, and after a reload its ratings.
    wait_js(
        p,
        "return document.querySelectorAll('#ranking .rank-row').length === 8;",
        "the phone's ranking",
    )
    .await?;
    shot(p, "phone-grid-sent-390x844").await?;
    // Rated in full, the rows of buttons give way to the ranking with "You: N" per item,
    // also after a reload.
    let given = format!(
        "const rows = [...document.querySelectorAll('#ranking .rank-row')]; if (rows.length !== 8 || document.querySelector('#answer fieldset')) return null; \
         const by = Object.fromEntries(rows.map((r) => [r.dataset.choice, r.querySelector('.rank-mine').textContent])); \
         return JSON.stringify({}.map((id) => by[id])) === {};",
        json!(ids),
        json!(serde_json::to_string(&mine.map(|v| format!("You: {v}")))?)
    );
    wait_js(p, &given, "the phone's own ratings beside the ranking").await?;
    p.refresh().await?;
    browser::wait_text(p, "#given", "Your ratings are in.", TIMEOUT).await?;
    wait_js(p, &given, "the phone's own ratings after a reload").await?;
    Ok(())
}

/// The grid's ranking in a fresh staff snapshot, once its items hold `ratings` ratings.
async fn server_ranking(ts: &TestServer, meeting: i64, ratings: i64) -> anyhow::Result<Value> {
    let admin = ts.admin_token().await?;
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let c = ts.connect(meeting, &admin).await?;
        let r = &c.state["results"];
        let n: i64 = r["items"]
            .as_array()
            .map(|items| items.iter().filter_map(|i| i["count"].as_i64()).sum())
            .unwrap_or(0);
        if n == ratings {
            return Ok(r["ranking"].clone());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "the grid never held {ratings} ratings: {r}"
        );
        drop(c);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// The 0–100 scale: a slider, the value shown big, − and + for the last step.
async fn slider(
    p: &WebDriver,
    present: &WebDriver,
    overlay: &WebDriver,
    people: &mut People,
) -> anyhow::Result<()> {
    let s = open(
        &mut people.org,
        false,
        "How likely are you to come back next year? 📅",
    )
    .await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    browser::wait_for(p, "#answer input[type=range]", TIMEOUT).await?;
    wait_exact(p, "#answer .scale-big", "–").await?;
    ensure!(
        !send_enabled(p).await?,
        "Send is enabled before the slider moved"
    );
    // The first + takes the middle (50), two more: 52.
    for _ in 0..3 {
        tap(p, "#answer .step-btn:last-of-type").await?;
    }
    wait_exact(p, "#answer .scale-big", "52").await?;
    ensure!(send_enabled(p).await?, "Send is disabled with a value");
    browser::axe_audit(p, "phone, 0–100 slider").await?;
    shot(p, "phone-slider-390x844").await?;
    tap(p, "#answer-send").await?;
    browser::wait_text(p, "#given", "You gave 52.", TIMEOUT).await?;
    ok(&people.rate(0, q, 100).await?)?;
    ok(&people.rate(1, q, 0).await?)?;
    ok(&people.rate(2, q, 73).await?)?;
    answers(present, 4).await?;
    // 52, 100, 0, 73: mean 56.25, median 62.5; 101 bars, round ticks.
    wait_exact(present, "#hist .stat-big.mean .stat-value", "56.3").await?;
    wait_exact(present, "#hist .stat-big.median .stat-value", "62.5").await?;
    let cols = js(
        present,
        "return [document.querySelectorAll('#hist .hist-col').length, [...document.querySelectorAll('#hist .hist-tick')].map((t) => t.textContent).join(' ')];",
    )
    .await?;
    ensure!(
        cols == json!([101, "0 10 20 30 40 50 60 70 80 90 100"]),
        "bars and ticks: {cols}"
    );
    fits_both(present, "presenter-slider").await?;
    wait_exact(overlay, ".lk-scale .stat-big.mean .stat-value", "56.3").await?;
    overlay_shot(overlay, "overlay-scale").await?;
    p.refresh().await?;
    browser::wait_text(p, "#given", "You gave 52.", TIMEOUT).await?;
    wait_exact(p, "#answer .scale-big", "52").await?;
    shot(p, "phone-slider-sent-390x844").await?;
    Ok(())
}

/// The multi-select quiz with partial credit: its timer runs on the phone; one of the two
/// primes earns part of the points.
async fn quiz(p: &WebDriver, present: &WebDriver, people: &mut People) -> anyhow::Result<()> {
    let s = open(
        &mut people.org,
        false,
        "Which of these numbers are prime? 🔢",
    )
    .await?;
    let q = s["question"]["id"].as_i64().context("question id")?;
    let ids = choice_ids(&s);
    browser::wait_text(p, "#pick-hint", "Choose up to 4.", TIMEOUT).await?;
    // The countdown runs beside the status.
    wait_js(
        p,
        "const t = document.querySelector('.timer:not([hidden]) .timer-digits'); return !!t && /^\\d+:\\d\\d$/.test(t.textContent);",
        "the phone's countdown",
    )
    .await?;
    tap(p, &format!("label[data-choice=\"{}\"]", ids[0])).await?;
    browser::wait_text(p, "#pick-count", "1 of 4 chosen", TIMEOUT).await?;
    tap(p, "#answer-send").await?;
    browser::wait_text(p, "#given", "You chose A: 2.", TIMEOUT).await?;
    browser::wait_text(p, "#toast", "Answer saved", TIMEOUT).await?;
    ok(&people.vote(0, q, &[ids[0], ids[2]]).await?)?;
    ok(&people.vote(1, q, &[ids[1], ids[3]]).await?)?;
    // Before the reveal the presenter says how many answered, nothing more.
    answers(present, 3).await?;
    let counts = js(
        present,
        "return [...document.querySelectorAll('#bars .count')].map((c) => c.textContent).join('');",
    )
    .await?;
    ensure!(counts == "", "a quiz's counts before the reveal: {counts}");
    fits_both(present, "presenter-quiz-open").await?;
    ok(&people.org.control("results").await?)?;
    browser::wait_text(p, "[data-verdict=\"partial\"]", "Partly right", TIMEOUT).await?;
    let verdict = text_of(p, "[data-verdict=\"partial\"]").await?;
    ensure!(
        verdict.contains("points") && verdict.contains("A: 2") && verdict.contains("C: 5"),
        "the verdict: {verdict}"
    );
    wait_js(
        present,
        "return document.querySelectorAll('#bars .bar-row.correct').length === 2;",
        "both primes marked",
    )
    .await?;
    browser::wait_text(present, "#answered", "Closed", TIMEOUT).await?;
    shot(p, "phone-quiz-partial-390x844").await?;
    fits_both(present, "presenter-quiz-results").await?;
    Ok(())
}

/// The overlay's screenshot over a checkerboard (it is transparent).
async fn overlay_shot(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    settle(d).await?;
    js(
        d,
        "document.documentElement.style.background = 'repeating-conic-gradient(#999 0 25%, #ccc 0 50%) 0 0 / 32px 32px'; return null;",
    )
    .await?;
    shot(d, name).await?;
    js(
        d,
        "document.documentElement.style.background = ''; return null;",
    )
    .await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ratings_grids_and_multi_select_on_the_audience_screens() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-kinds").await?;
    let admin = ts.admin_token().await?;
    let channel = format!("lk_kinds_{}", std::process::id() % 100_000);
    let meeting = import(&ts, &admin, meeting_file(&channel)).await?;
    let org = ts.connect(meeting, &admin).await?;
    let mut ws = Vec::new();
    for name in ["Grace", "Linus", "Margaret"] {
        let (_, token) = ts.join(meeting, CODE, name).await?;
        ws.push(ts.connect(meeting, &token).await?);
    }
    let mut people = People { org, ws };

    let token = ts.display_token(meeting).await?;
    let present = chromium.session(Size::Projector, "en").await?;
    present
        .goto(ts.url(&format!("/present.html?meeting={meeting}&token={token}")))
        .await?;
    browser::wait_for(&present, "#body h1", TIMEOUT).await?;
    let overlay = chromium.session(Size::Laptop, "en").await?;
    browser::set_viewport(&overlay, 1920, 300).await?;
    overlay
        .goto(ts.url(&format!(
            "/overlay/activity.html?meeting={meeting}&token={token}"
        )))
        .await?;
    let p = phone(&chromium, &ts, meeting).await?;

    multi_poll(&p, &present, &mut people).await?;
    scale_0_10(&p, &present, &mut people).await?;
    stars(&p, &present, &mut people).await?;
    grid(&p, &present, &overlay, &mut people, &ts, meeting).await?;
    slider(&p, &present, &overlay, &mut people).await?;
    quiz(&p, &present, &mut people).await?;

    clean(&p, "phone").await?;
    clean(&present, "presenter").await?;
    clean(&overlay, "overlay").await?;
    p.quit().await?;
    present.quit().await?;
    overlay.quit().await?;
    Ok(())
}
