//! The staff screens for issue 14's new ways to answer (docs/protocol.md): ratings on a
//! scale, rating grids ranked by Bayesian average, multi-select polls and quizzes with
//! partial credit, and the meeting's streak bonus.
//!
//! - The editor authors them by typing (the streak bonus under speed scoring, "several
//!   answers, up to K", partial credit, a scale's range with a live error for min ≥ max,
//!   its labels, a grid's items and prior weight); the plan reads back through the API as
//!   typed, a reload shows it unchanged, and the server's refusal of a prior weight lands
//!   under that field and in the summary.
//! - The dashboard runs a meeting with long content (eight long grid items, emoji labels, a
//!   0–100 scale) while answers arrive over the WebSocket: bars counted per voter with
//!   "up to K", a scale's mean, median and distribution, a grid ranked by Bayesian average
//!   with mean and count per item; then the results page shows the same numbers.
//!
//! Nothing may stick out sideways at 1440×900 or 390×844, in English or French.
//! Screenshots: `target/screenshots/staff-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_storage::MeetingFile;
use librekast_tests::browser::{self, Size, clean, js, language, press, type_into, wait_js};
use librekast_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

async fn import(ts: &TestServer, file: Value) -> anyhow::Result<i64> {
    let file: MeetingFile = serde_json::from_value(file)?;
    Ok(ts.server.engine.store().import_meeting(&file).await?.0)
}

async fn js_with(d: &WebDriver, script: &str, args: Vec<Value>) -> anyhow::Result<Value> {
    Ok(d.execute(script, args).await?.json().clone())
}

/// The `n`th (1-based) activity card of the editor.
fn card(n: usize) -> String {
    format!("#activities > li:nth-child({n})")
}

/// The id of the `n`th (0-based) field with `data-role="role"` inside `within`.
async fn field_id(d: &WebDriver, within: &str, role: &str, n: usize) -> anyhow::Result<String> {
    let id = wait_js(
        d,
        &format!(
            "const f = document.querySelectorAll('{within} [data-role=\"{role}\"]')[{n}]; return f ? f.id : null;"
        ),
        &format!("field {role} #{n} in {within}"),
    )
    .await?;
    Ok(id.as_str().context("field id")?.to_string())
}

/// Nothing wider than the screen and no shown element of the page past its right edge.
async fn fits(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    browser::fits_sideways(
        d,
        what,
        "[hidden], .hidden, .sr-only, details:not([open]) > :not(summary)",
    )
    .await
}

/// Scrolls `css` to just below the sticky top bar and saves `staff-<name>.png`.
async fn shoot(d: &WebDriver, css: Option<&str>, name: &str) -> anyhow::Result<()> {
    browser::shoot(d, css, &format!("staff-{name}")).await
}

// ---- The editor ---------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_authors_ratings_grids_and_several_answers() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-kinds-staff-editor").await?;
    let meeting = import(
        &ts,
        json!({
            "title": "Feedback",
            "code": "FEED14",
            "activities": [
                {"kind": "poll", "title": "Which do you use?",
                 "choices": [{"text": "Rust"}, {"text": "Go"}, {"text": "Python"}, {"text": "C"}]},
                {"kind": "quiz", "title": "Which are prime?", "time_limit_secs": 30,
                 "choices": [{"text": "2", "correct": true}, {"text": "4"}, {"text": "5", "correct": true}, {"text": "9"}]},
            ],
        }),
    )
    .await?;
    let admin = ts.admin_token().await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let d = chromium.session(Size::Laptop, "en").await?;
    d.goto(ts.url(&format!("/editor.html?meeting={meeting}")))
        .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_for(&d, "#s-scoring", TIMEOUT).await?;

    // The kind picker and the add bar offer both new kinds.
    let offered = js(
        &d,
        "return [[...document.querySelector('.kind-select').options].map((o) => [o.value, o.textContent]), \
                 [...document.querySelectorAll('[data-add]')].map((b) => b.textContent.trim())];",
    )
    .await?;
    ensure!(
        offered[0].to_string().contains(r#"["scale","Rating"]"#)
            && offered[0].to_string().contains(r#"["grid","Rating grid"]"#),
        "the kind picker: {offered}"
    );
    ensure!(
        offered[1].to_string().contains("\"Rating\"")
            && offered[1].to_string().contains("\"Rating grid\""),
        "the add bar: {offered}"
    );

    // Speed scoring shows the streak bonus.
    ensure!(
        js(
            &d,
            "return document.getElementById('s-streak-field').classList.contains('hidden');"
        )
        .await?
            == true,
        "the streak bonus shows with first-answer scoring"
    );
    js(
        &d,
        "const s = document.getElementById('s-scoring'); s.value = 'speed'; s.dispatchEvent(new Event('change', { bubbles: true })); return null;",
    )
    .await?;
    browser::wait_for(&d, "#s-streak", TIMEOUT).await?;
    type_into(&d, "#s-streak", "100").await?;
    browser::wait_text(&d, "#s-streak-said", "+500", TIMEOUT).await?;

    // The poll: several answers, up to 3.
    press(&d, &format!("{} [data-role=multi]", card(1))).await?;
    type_into(&d, &format!("{} [data-role=max-choices]", card(1)), "3").await?;
    browser::wait_text(
        &d,
        &format!("{} .ed-multi .hint", card(1)),
        "up to 3",
        TIMEOUT,
    )
    .await?;
    // The quiz: up to 4, partial credit; its hint gives the rule.
    press(&d, &format!("{} [data-role=multi]", card(2))).await?;
    type_into(&d, &format!("{} [data-role=max-choices]", card(2)), "4").await?;
    press(&d, &format!("{} label[for$=\"-partial\"]", card(2))).await?;
    browser::wait_text(
        &d,
        &format!("{} .partial .hint", card(2)),
        "÷ 2 correct choices",
        TIMEOUT,
    )
    .await?;

    // A rating from 0 to 10 with both ends labelled; min ≥ max is said at once.
    press(&d, "[data-add=scale]").await?;
    type_into(
        &d,
        &format!("{} [data-role=title]", card(3)),
        "How was the talk?",
    )
    .await?;
    type_into(&d, &format!("{} [data-role=scale-min]", card(3)), "7").await?;
    type_into(&d, &format!("{} [data-role=scale-max]", card(3)), "3").await?;
    let check = format!("{} [id$=\"-scale-check\"]", card(3));
    browser::wait_text(&d, &check, "must be below the highest", TIMEOUT).await?;
    let max_id = field_id(&d, &card(3), "scale-max", 0).await?;
    ensure!(
        js(
            &d,
            &format!("return document.getElementById('{max_id}').getAttribute('aria-invalid');")
        )
        .await?
            == "true",
        "the highest value is not marked invalid"
    );
    browser::screenshot(&d, "staff-editor-scale-error").await?;
    type_into(&d, &format!("{} [data-role=scale-min]", card(3)), "0").await?;
    type_into(&d, &format!("{} [data-role=scale-max]", card(3)), "10").await?;
    wait_js(
        &d,
        &format!(
            "const c = document.querySelector('{card} [id$=\"-scale-check\"]'); return c && c.textContent === '' \
             && document.querySelector('{card} [id$=\"-scale-count\"]').textContent === '11 values';",
            card = card(3)
        ),
        "the range to be accepted",
    )
    .await?;
    press(&d, &format!("{} label[for$=\"-labels-ends\"]", card(3))).await?;
    type_into(
        &d,
        &format!("{} [data-role=scale-label]:not([id$=\"-1\"])", card(3)),
        "Boring",
    )
    .await?;
    type_into(
        &d,
        &format!("{} [data-role=scale-label][id$=\"-1\"]", card(3)),
        "Brilliant",
    )
    .await?;
    browser::wait_text(
        &d,
        &format!("{} .sp-end-labels", card(3)),
        "Brilliant",
        TIMEOUT,
    )
    .await?;

    // Five stars: one label per value, typed.
    press(&d, "[data-add=scale]").await?;
    type_into(&d, &format!("{} [data-role=title]", card(4)), "Stars?").await?;
    press(&d, &format!("{} label[for$=\"-labels-each\"]", card(4))).await?;
    for (i, stars) in ["★", "★★", "★★★", "★★★★", "★★★★★"].iter().enumerate()
    {
        let id = field_id(&d, &card(4), "scale-label", i).await?;
        type_into(&d, &format!("#{id}"), stars).await?;
    }

    // A grid of three items with a prior weight the server refuses.
    press(&d, "[data-add=grid]").await?;
    type_into(
        &d,
        &format!("{} [data-role=title]", card(5)),
        "Rate each part",
    )
    .await?;
    press(&d, &format!("{} [data-add-choice]", card(5))).await?;
    for (i, item) in ["Content", "Slides", "Demo"].iter().enumerate() {
        let id = field_id(&d, &card(5), "choice-text", i).await?;
        type_into(&d, &format!("#{id}"), item).await?;
    }
    ensure!(
        js(
            &d,
            &format!(
                "return document.querySelectorAll('{} [data-role=correct]').length;",
                card(5)
            )
        )
        .await?
            == 0,
        "a grid's items offer \"correct\""
    );
    type_into(&d, &format!("{} [data-role=prior-weight]", card(5)), "5000").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "fix the problems", TIMEOUT).await?;
    let prior = field_id(&d, &card(5), "prior-weight", 0).await?;
    let said = wait_js(
        &d,
        &format!(
            "const e = document.getElementById('{prior}-error'); return e && e.textContent.trim() ? e.textContent : null;"
        ),
        "the server's message under the prior weight",
    )
    .await?;
    ensure!(
        said.as_str().is_some_and(|s| s.contains("1000")),
        "the prior weight's message: {said}"
    );
    ensure!(
        js(
            &d,
            &format!("return document.getElementById('{prior}').getAttribute('aria-invalid');")
        )
        .await?
            == "true",
        "the prior weight is not marked invalid"
    );
    browser::wait_text(&d, "#error-summary", "Activity 5 · Prior weight", TIMEOUT).await?;
    browser::axe_audit(&d, "editor with a refused prior weight").await?;
    shoot(
        &d,
        Some(&format!("{} .act-opts", card(5))),
        "editor-prior-error",
    )
    .await?;

    // Fixed, the plan saves and reads back as typed.
    type_into(&d, &format!("#{prior}"), "3").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "Saved at", TIMEOUT).await?;
    let (status, plan) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    ensure!(status.is_success(), "GET plan: {status} {plan}");
    ensure!(
        plan["scoring"] == "speed" && plan["streak_bonus"] == 100,
        "settings: {plan}"
    );
    let acts = &plan["activities"];
    ensure!(
        acts[0]["max_choices"] == 3 && acts[0].get("partial_credit").is_none_or(|v| v == false),
        "poll: {}",
        acts[0]
    );
    ensure!(
        acts[1]["max_choices"] == 4 && acts[1]["partial_credit"] == true,
        "quiz: {}",
        acts[1]
    );
    ensure!(
        acts[2]["kind"] == "scale"
            && acts[2]["title"] == "How was the talk?"
            && acts[2]["scale"] == json!({"min": 0, "max": 10, "labels": ["Boring", "Brilliant"]}),
        "scale: {}",
        acts[2]
    );
    ensure!(
        acts[3]["scale"]
            == json!({"min": 1, "max": 5, "labels": ["★", "★★", "★★★", "★★★★", "★★★★★"]}),
        "stars: {}",
        acts[3]
    );
    let items: Vec<&str> = acts[4]["choices"]
        .as_array()
        .context("grid items")?
        .iter()
        .filter_map(|c| c["text"].as_str())
        .collect();
    ensure!(
        acts[4]["kind"] == "grid"
            && items == ["Content", "Slides", "Demo"]
            && acts[4]["prior_weight"] == 3
            && acts[4]["scale"] == json!({"min": 1, "max": 5, "labels": []}),
        "grid: {}",
        acts[4]
    );

    // A reload shows the stored plan, with nothing left unsaved.
    d.refresh().await?;
    browser::wait_for(&d, "#s-scoring", TIMEOUT).await?;
    let shown = wait_js(
        &d,
        "const v = (role) => [...document.querySelectorAll(`[data-role=\"${role}\"]`)].map((f) => f.type === 'checkbox' || f.type === 'radio' ? f.checked : f.value); \
         if (v('scale-min').length < 2) return null; \
         return { streak: document.getElementById('s-streak').value, multi: v('multi'), max: v('max-choices'), partial: v('partial'), \
                  min: v('scale-min'), maxv: v('scale-max'), labels: v('scale-label'), prior: v('prior-weight'), \
                  mode: [...document.querySelectorAll('[data-role=\"labels-mode\"]:checked')].map((r) => r.value) };",
        "the editor to show the stored plan",
    )
    .await?;
    ensure!(
        shown
            == json!({
                "streak": "100", "multi": [true, true], "max": ["3", "4"], "partial": [true],
                "min": ["0", "1", "1"], "maxv": ["10", "5", "5"],
                "labels": ["Boring", "Brilliant", "★", "★★", "★★★", "★★★★", "★★★★★"],
                "prior": ["3"], "mode": ["ends", "each", "none"],
            }),
        "after a reload: {shown}"
    );
    browser::wait_text(&d, "#save-state", "No changes", TIMEOUT).await?;

    // Screenshots: laptop and phone, English and French.
    shoot(&d, Some(&card(1)), "editor-multi-1440").await?;
    shoot(&d, Some(&card(3)), "editor-scale-1440").await?;
    shoot(&d, Some(&card(5)), "editor-grid-1440").await?;
    fits(&d, "editor at 1440×900").await?;
    browser::set_viewport(&d, 390, 844).await?;
    fits(&d, "editor at 390×844").await?;
    shoot(&d, Some("#s-scoring"), "editor-streak-390").await?;
    shoot(
        &d,
        Some(&format!("{} .ed-multi", card(2))),
        "editor-quiz-390",
    )
    .await?;
    shoot(
        &d,
        Some(&format!("{} .ed-scale", card(4))),
        "editor-stars-390",
    )
    .await?;
    language(&d, "fr").await?;
    browser::wait_text(
        &d,
        &format!("{} .ed-scale > legend", card(5)),
        "Échelle",
        TIMEOUT,
    )
    .await?;
    fits(&d, "editor in French at 390×844").await?;
    shoot(
        &d,
        Some(&format!("{} .ed-scale", card(3))),
        "editor-scale-390-fr",
    )
    .await?;
    browser::set_viewport(&d, 1440, 900).await?;
    shoot(&d, Some(&card(5)), "editor-grid-1440-fr").await?;
    clean(&d, "editor").await?;
    d.quit().await?;
    Ok(())
}

// ---- The dashboard and the results page -----------------------------------------------------

const GRID_ITEMS: [&str; 8] = [
    "The opening keynote about the history of real-time collaborative software 🚀",
    "Hands-on workshop: building a WebSocket server in Rust from scratch",
    "Lunch, coffee and the hallway track 🥐☕",
    "Panel discussion on accessibility in live events and conferences",
    "Lightning talks (ten five-minute talks in a row, chosen by the audience)",
    "The venue, the Wi-Fi and the projector that finally worked 📽️",
    "Sponsor booths and the job board",
    "Closing remarks, raffle and the group photo 📸",
];

fn meeting_file() -> Value {
    json!({
        "title": "Conference feedback 2026 — day one",
        "code": "RATE14",
        "activities": [
            {"kind": "poll", "title": "Which languages do you use at work?", "max_choices": 3,
             "choices": [{"text": "Rust 🦀"}, {"text": "Go"}, {"text": "Python 🐍"}, {"text": "C"}]},
            {"kind": "quiz", "title": "Which of these numbers are prime?", "max_choices": 4, "partial_credit": true,
             "choices": [{"text": "2", "correct": true}, {"text": "4"}, {"text": "5", "correct": true}, {"text": "9"}]},
            {"kind": "scale", "title": "How was the opening talk?",
             "scale": {"min": 0, "max": 10, "labels": ["Boring 😴", "Brilliant 🤩"]}},
            {"kind": "scale", "title": "How likely are you to recommend this conference to a colleague, from 0 to 100?",
             "scale": {"min": 0, "max": 100}},
            {"kind": "scale", "title": "Stars for the food?",
             "scale": {"min": 1, "max": 5, "labels": ["⭐", "⭐⭐", "⭐⭐⭐", "⭐⭐⭐⭐", "⭐⭐⭐⭐⭐"]}},
            {"kind": "grid", "title": "Rate each part of the day", "prior_weight": 5,
             "scale": {"min": 1, "max": 5, "labels": ["Poor", "Excellent"]},
             "choices": GRID_ITEMS.iter().map(|t| json!({"text": t})).collect::<Vec<_>>()},
        ],
    })
}

/// Six people's answers: the poll's picks (choice indexes), the quiz's, the three scales'
/// values, and each person's grid ratings by item index (not everyone rates everything).
struct Answers {
    poll: [&'static [usize]; 6],
    quiz: [&'static [usize]; 6],
    talk: [i64; 6],
    recommend: [i64; 6],
    stars: [i64; 6],
    grid: [&'static [(usize, i64)]; 6],
}

const ANSWERS: Answers = Answers {
    poll: [&[0, 1], &[0], &[0, 2, 3], &[1], &[0, 1, 2], &[3]],
    quiz: [&[0, 2], &[0], &[0, 1, 2], &[2, 3], &[0, 2], &[1]],
    talk: [7, 8, 10, 6, 7, 3],
    recommend: [0, 50, 75, 100, 90, 85],
    stars: [5, 4, 5, 3, 5, 4],
    // Item 0 gets one 5; item 1 six high ratings: the Bayesian average puts 1 above 0.
    grid: [
        &[
            (0, 5),
            (1, 5),
            (2, 4),
            (3, 2),
            (4, 3),
            (5, 1),
            (6, 2),
            (7, 3),
        ],
        &[(1, 5), (2, 5), (3, 3), (4, 4), (5, 2), (6, 1), (7, 4)],
        &[(1, 4), (2, 4), (3, 3), (4, 5), (5, 2), (7, 3)],
        &[(1, 5), (2, 3), (4, 4), (5, 1)],
        &[(1, 4), (2, 5), (3, 2), (4, 4), (6, 2), (7, 5)],
        &[(1, 5), (2, 4), (3, 3), (4, 3), (5, 3), (7, 4)],
    ],
};

fn mean(v: &[i64]) -> f64 {
    v.iter().sum::<i64>() as f64 / v.len() as f64
}

fn median(v: &[i64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_unstable();
    let n = s.len();
    if n % 2 == 1 {
        s[n / 2] as f64
    } else {
        (s[n / 2 - 1] + s[n / 2]) as f64 / 2.0
    }
}

/// One grid item's expected (count, mean, median, bayes).
type ItemFigures = (usize, f64, f64, f64);

/// Each grid item's figures, and the ranking (item indexes, best first).
fn grid_expected(prior: f64) -> (Vec<ItemFigures>, Vec<usize>) {
    let mut by_item: Vec<Vec<i64>> = vec![Vec::new(); GRID_ITEMS.len()];
    for person in ANSWERS.grid {
        for &(item, v) in person {
            by_item[item].push(v);
        }
    }
    let all: Vec<i64> = by_item.iter().flatten().copied().collect();
    let m = mean(&all);
    let stats: Vec<(usize, f64, f64, f64)> = by_item
        .iter()
        .map(|r| {
            let sum = r.iter().sum::<i64>() as f64;
            let bayes = (prior * m + sum) / (prior + r.len() as f64);
            (r.len(), mean(r), median(r), bayes)
        })
        .collect();
    let mut ranking: Vec<usize> = (0..GRID_ITEMS.len()).collect();
    ranking.sort_by(|a, b| stats[*b].3.total_cmp(&stats[*a].3));
    (stats, ranking)
}

/// Presses a control on the dashboard.
async fn control(d: &WebDriver, action: &str) -> anyhow::Result<()> {
    browser::click(d, &format!("button[data-action=\"{action}\"]"), TIMEOUT).await
}

/// Moves the dashboard to activity `i` and opens it; returns the staff state once open.
async fn open_from_dashboard(d: &WebDriver, org: &mut Client, i: usize) -> anyhow::Result<Value> {
    if i > 0 {
        control(d, "next").await?;
        org.wait_state(|s| s["position"] == i && s["status"] == "waiting")
            .await?;
    }
    control(d, "start").await?;
    org.wait_state(|s| s["position"] == i && s["status"] == "ongoing")
        .await
}

/// `true` once the page's text at `css` equals what `Number(x).toLocaleString(lang)` with
/// at most `digits` decimals writes.
const SHOWS_NUMBER: &str = r#"
const [css, x, digits, lang] = arguments;
const e = document.querySelector(css);
const want = Number(x).toLocaleString(lang, { maximumFractionDigits: digits });
return !!e && e.textContent.trim() === want ? true : null;
"#;

async fn shows_number(
    d: &WebDriver,
    css: &str,
    x: f64,
    digits: u32,
    what: &str,
) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let ok = js_with(
            d,
            SHOWS_NUMBER,
            vec![json!(css), json!(x), json!(digits), json!("en")],
        )
        .await?;
        if ok == true {
            return Ok(());
        }
        if std::time::Instant::now() > deadline {
            let text = js_with(
                d,
                "const e = document.querySelector(arguments[0]); return e ? e.textContent : 'nothing';",
                vec![json!(css)],
            )
            .await?;
            anyhow::bail!("{what}: {css} shows {text}, not {x}");
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The grid's rows in the order shown (item ids).
async fn grid_order(d: &WebDriver, within: &str) -> anyhow::Result<Vec<i64>> {
    let v = js(
        d,
        &format!(
            "return [...document.querySelectorAll('{within} .gr-row')].map((r) => Number(r.dataset.item));"
        ),
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

async fn wait_grid_order(d: &WebDriver, within: &str, want: &[i64]) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let got = grid_order(d, within).await?;
        if got == want {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "{within}: the grid shows {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dashboard_and_results_show_ratings_grids_and_several_answers() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-kinds-staff-dash").await?;
    let meeting = import(&ts, meeting_file()).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let mut people = Vec::new();
    for name in ["Ada", "Grace", "Linus", "Margaret", "Ken", "Barbara"] {
        let (_, token) = ts.join(meeting, "RATE14", name).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    let password = ts.server.admin_password.clone().context("admin password")?;
    let d = chromium.session(Size::Laptop, "en").await?;
    d.goto(ts.url(&format!("/organize.html?meeting={meeting}")))
        .await?;
    browser::log_in_admin(&d, &password, TIMEOUT).await?;
    browser::wait_text(&d, "#status", "Not started", TIMEOUT).await?;
    // The plan names the new kinds (in capitals, by CSS: the text is checked).
    wait_js(
        &d,
        "return document.getElementById('plan').textContent.includes('6 · Rating grid');",
        "the plan to name the grid",
    )
    .await?;

    // 1. The multi-select poll: each bar counts voters, "up to 3", picks in all.
    let s = open_from_dashboard(&d, &mut org, 0).await?;
    let q = s["question"]["id"].as_i64().context("poll id")?;
    let ids = choice_ids(&s);
    ensure!(s["question"]["max_choices"] == 3, "poll: {}", s["question"]);
    for (p, picks) in people.iter_mut().zip(ANSWERS.poll) {
        p.wait_open("poll").await?;
        let chosen: Vec<i64> = picks.iter().map(|&i| ids[i]).collect();
        ok(&p
            .call(json!({"type": "vote", "question_id": q, "choice_ids": chosen}))
            .await?)?;
    }
    browser::wait_text(&d, "#answer-rule", "up to 3", TIMEOUT).await?;
    browser::wait_text(&d, "#answer-rule", "6 voters, 11 choices", TIMEOUT).await?;
    browser::wait_text(&d, "#answers", "6", TIMEOUT).await?;
    browser::wait_text(
        &d,
        &format!("#bars .bar-row[data-choice=\"{}\"] .count", ids[0]),
        "4 · 67%",
        TIMEOUT,
    )
    .await?;
    shoot(&d, Some(".dash-main"), "dashboard-poll-1440").await?;

    // 2. The multi-select quiz with partial credit: the staff see its counts.
    let s = open_from_dashboard(&d, &mut org, 1).await?;
    let q = s["question"]["id"].as_i64().context("quiz id")?;
    let ids = choice_ids(&s);
    for (p, picks) in people.iter_mut().zip(ANSWERS.quiz) {
        p.wait_open("quiz").await?;
        let chosen: Vec<i64> = picks.iter().map(|&i| ids[i]).collect();
        ok(&p
            .call(json!({"type": "vote", "question_id": q, "choice_ids": chosen}))
            .await?)?;
    }
    browser::wait_text(&d, "#answer-rule", "Partial credit", TIMEOUT).await?;
    browser::wait_text(&d, "#answer-rule", "6 voters, 11 choices", TIMEOUT).await?;
    control(&d, "results").await?;
    org.wait_state(|s| s["status"] == "results").await?;

    // 3–5. The three scales: mean, median, count and the distribution.
    for (i, values, css_value) in [
        (2, ANSWERS.talk, 7),
        (3, ANSWERS.recommend, 100),
        (4, ANSWERS.stars, 5),
    ] {
        let s = open_from_dashboard(&d, &mut org, i).await?;
        let q = s["question"]["id"].as_i64().context("scale id")?;
        for (p, v) in people.iter_mut().zip(values) {
            p.wait_open("scale").await?;
            ok(&p
                .call(json!({"type": "rate", "question_id": q, "value": v}))
                .await?)?;
        }
        let what = format!("scale {i}");
        shows_number(&d, "#rating .rv-mean", mean(&values), 2, &what).await?;
        shows_number(
            &d,
            "#rating .rv-stat:nth-child(2) strong",
            median(&values),
            1,
            &what,
        )
        .await?;
        browser::wait_text(&d, "#rating .rv-stat:nth-child(3) strong", "6", TIMEOUT).await?;
        browser::wait_text(&d, "#answers", "6", TIMEOUT).await?;
        let given = values.iter().filter(|&&v| v == css_value).count();
        wait_js(
            &d,
            &format!(
                "const c = document.querySelector('#rating .dist-col[data-value=\"{css_value}\"]'); \
                 return c && c.title.endsWith(': {given}') ? true : null;"
            ),
            &format!("{what}: {given} gave {css_value}"),
        )
        .await?;
        // The server's own numbers (its last tally, rounded to 2 decimals).
        let tally = org
            .wait_for(|v| {
                v["type"] == "tally" && v["question_id"] == q && v["rating"]["count"] == 6
            })
            .await?;
        let rating = &tally["rating"];
        ensure!(
            (rating["mean"].as_f64().unwrap_or(f64::NAN) - mean(&values)).abs() <= 0.005
                && (rating["median"].as_f64().unwrap_or(f64::NAN) - median(&values)).abs() <= 0.005,
            "{what}: the server says {rating}"
        );
        let name = ["talk", "recommend", "stars"][i - 2];
        shoot(
            &d,
            Some(".dash-main"),
            &format!("dashboard-scale-{name}-1440"),
        )
        .await?;
    }
    browser::wait_text(&d, "#rating .rv-label", "⭐⭐⭐⭐", TIMEOUT).await?;

    // 6. The grid: ranked by Bayesian average, mean and count per item.
    let s = open_from_dashboard(&d, &mut org, 5).await?;
    let q = s["question"]["id"].as_i64().context("grid id")?;
    let ids = choice_ids(&s);
    for (p, ratings) in people.iter_mut().zip(ANSWERS.grid) {
        p.wait_open("grid").await?;
        let map: serde_json::Map<String, Value> = ratings
            .iter()
            .map(|&(item, v)| (ids[item].to_string(), json!(v)))
            .collect();
        ok(&p
            .call(json!({"type": "rate", "question_id": q, "ratings": map}))
            .await?)?;
    }
    let (stats, ranking) = grid_expected(5.0);
    let want: Vec<i64> = ranking.iter().map(|&i| ids[i]).collect();
    ensure!(
        ranking[0] == 1 && ranking.iter().position(|&i| i == 0) > Some(0),
        "the test's own ranking: {ranking:?}"
    );
    wait_grid_order(&d, "#grid-rank", &want).await?;
    for (i, &(n, m, med, bayes)) in stats.iter().enumerate() {
        let row = format!("#grid-rank .gr-row[data-item=\"{}\"]", ids[i]);
        shows_number(
            &d,
            &format!("{row} .gr-score strong"),
            bayes,
            2,
            "grid score",
        )
        .await?;
        let meta = js(
            &d,
            &format!("return document.querySelector('{row} .gr-meta').textContent;"),
        )
        .await?;
        let fmt = |x: f64, digits: usize| {
            let s = format!("{x:.digits$}");
            let s = s.trim_end_matches('0').trim_end_matches('.');
            s.to_string()
        };
        let expected = format!(
            "mean {} · median {} · {n} rating{}",
            fmt(m, 2),
            fmt(med, 1),
            if n == 1 { "" } else { "s" }
        );
        ensure!(
            meta == expected.as_str(),
            "item {i}: {meta}, not {expected}"
        );
    }
    browser::wait_text(&d, "#answers", "6", TIMEOUT).await?;
    browser::wait_text(&d, "#grid-note", "Bayesian average", TIMEOUT).await?;
    let tally = org
        .wait_for(|v| v["type"] == "tally" && v["question_id"] == q && v["total"] == 6)
        .await?;
    let server_rank: Vec<i64> = serde_json::from_value(tally["ranking"].clone())?;
    ensure!(
        server_rank == want,
        "the server ranks {server_rank:?}, not {want:?}"
    );

    fits(&d, "dashboard at 1440×900").await?;
    browser::axe_audit(&d, "dashboard with a grid").await?;
    shoot(&d, Some(".dash-main"), "dashboard-grid-1440").await?;
    shoot(
        &d,
        Some("#grid-rank .gr-row:nth-child(5)"),
        "dashboard-grid-1440-bottom",
    )
    .await?;
    browser::set_viewport(&d, 390, 844).await?;
    fits(&d, "dashboard at 390×844").await?;
    shoot(&d, Some("#grid-rank"), "dashboard-grid-390").await?;
    language(&d, "fr").await?;
    browser::wait_text(&d, "#grid-note", "bayésienne", TIMEOUT).await?;
    fits(&d, "dashboard in French at 390×844").await?;
    shoot(&d, Some("#answer-rule"), "dashboard-grid-390-fr").await?;
    language(&d, "en").await?;
    browser::set_viewport(&d, 1440, 900).await?;

    // The end: the results page shows the same numbers.
    ok(&org.control("end").await?)?;
    org.wait_status("after").await?;
    clean(&d, "dashboard").await?;
    d.goto(ts.url(&format!("/results.html?meeting={meeting}")))
        .await?;
    browser::wait_for(&d, ".activity-result.kind-grid .gr-row", TIMEOUT).await?;
    let (status, results) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/results.json?answers=0"),
            &admin,
            None,
        )
        .await?;
    ensure!(status.is_success(), "results.json: {status} {results}");
    let acts = results["activities"].as_array().context("activities")?;
    ensure!(
        acts[0]["answered"] == 6 && acts[0]["choices"][0]["count"] == 4,
        "poll results: {}",
        acts[0]
    );
    ensure!(
        acts[2]["rating"]["count"] == 6
            && (acts[2]["rating"]["mean"].as_f64().unwrap_or(f64::NAN) - mean(&ANSWERS.talk)).abs()
                <= 0.005,
        "scale results: {}",
        acts[2]
    );
    let server_rank: Vec<i64> = serde_json::from_value(acts[5]["ranking"].clone())?;
    ensure!(server_rank == want, "results.json ranks {server_rank:?}");

    let cards = ".results-main .activity-result";
    browser::wait_text(
        &d,
        &format!("{cards}:nth-child(1) .answer-rule"),
        "6 voters, 11 choices",
        TIMEOUT,
    )
    .await?;
    for (n, values) in [
        (3, ANSWERS.talk),
        (4, ANSWERS.recommend),
        (5, ANSWERS.stars),
    ] {
        let what = format!("results, scale card {n}");
        shows_number(
            &d,
            &format!("{cards}:nth-child({n}) .rv-mean"),
            mean(&values),
            2,
            &what,
        )
        .await?;
        shows_number(
            &d,
            &format!("{cards}:nth-child({n}) .rv-stat:nth-child(2) strong"),
            median(&values),
            1,
            &what,
        )
        .await?;
    }
    wait_grid_order(&d, &format!("{cards}:nth-child(6)"), &want).await?;
    shows_number(
        &d,
        &format!("{cards}:nth-child(6) .gr-row:first-child .gr-score strong"),
        stats[ranking[0]].3,
        2,
        "results, grid",
    )
    .await?;
    fits(&d, "results at 1440×900").await?;
    browser::axe_audit(&d, "results with ratings").await?;
    // The dark theme too (the top bar's button).
    browser::click(&d, "#theme", TIMEOUT).await?;
    browser::axe_audit(&d, "results with ratings, other theme").await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(5)")),
        "results-stars-1440-dark",
    )
    .await?;
    browser::click(&d, "#theme", TIMEOUT).await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(1)")),
        "results-poll-1440",
    )
    .await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(4)")),
        "results-scale-1440",
    )
    .await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(6)")),
        "results-grid-1440",
    )
    .await?;
    browser::set_viewport(&d, 390, 844).await?;
    fits(&d, "results at 390×844").await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(3)")),
        "results-scale-390",
    )
    .await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(4) .staff-rating")),
        "results-recommend-390",
    )
    .await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(6)")),
        "results-grid-390",
    )
    .await?;
    language(&d, "fr").await?;
    fits(&d, "results in French at 390×844").await?;
    shoot(
        &d,
        Some(&format!("{cards}:nth-child(5)")),
        "results-stars-390-fr",
    )
    .await?;
    clean(&d, "results").await?;
    d.quit().await?;
    Ok(())
}
