//! Timers on the three screens and in the editor (issue 14, point 1; docs/web-app.md,
//! "Timers"). A timed activity counts down on the presenter, on a phone (whose own clock is
//! an hour fast: the count follows the server's `now`, not the phone's) and on the
//! dashboard, each consistent with the state's `closes_at`; the dashboard's +30 s moves
//! the presenter's count up; a 5-second quiz reaches its results on every screen by itself;
//! the countdown fits beside the stress meeting's long content at 1920×1080 and 1280×720;
//! the editor round-trips `time_limit_secs`, `points`, `scoring` and `auto_start`, and
//! shows the server's refusal of a speed-scored quiz without a time limit under that
//! quiz's time limit. Screenshots: `target/screenshots/timers-*`.

use anyhow::{Context, ensure};
use librekast_storage::MeetingFile;
use librekast_tests::browser::{self, Size, js, wait_js};
use librekast_tests::*;
use reqwest::Method;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// From the next page on, this browser's `Date.now()` and `new Date()` run an hour fast.
async fn clock_an_hour_fast(d: &WebDriver) -> anyhow::Result<()> {
    let source = r#"(() => {
      const skew = 3600 * 1000, RealDate = Date;
      class FastDate extends RealDate {
        constructor(...args) { if (args.length) super(...args); else super(RealDate.now() + skew); }
        static now() { return RealDate.now() + skew; }
      }
      globalThis.Date = FastDate;
    })();"#;
    browser::cdp(
        d,
        "Page.addScriptToEvaluateOnNewDocument",
        json!({ "source": source }),
    )
    .await
}

/// A poll and a word cloud with 5 minutes each, and a 5-second quiz between them.
fn timed_meeting() -> Value {
    json!({
        "title": "Timers",
        "code": "TIMER1",
        "activities": [
            {"kind": "poll", "title": "Which season do you like best?", "time_limit_secs": 300,
             "choices": [{"text": "Spring"}, {"text": "Summer"}, {"text": "Autumn"}, {"text": "Winter"}]},
            {"kind": "quiz", "title": "How many legs has a spider?", "time_limit_secs": 5,
             "choices": [{"text": "Six"}, {"text": "Eight", "correct": true}]},
            {"kind": "wordcloud", "title": "One word for this meeting?", "time_limit_secs": 300},
        ],
    })
}

async fn import(ts: &TestServer, file: Value) -> anyhow::Result<i64> {
    let file: MeetingFile = serde_json::from_value(file)?;
    Ok(ts.server.engine.store().import_meeting(&file).await?.0)
}

/// What a screen's countdown shows, in seconds, and what `closes_at` leaves by the real
/// clock (the page's `Date` may be off on purpose: `performance` is not).
const SHOWN: &str = r#"
const t = document.querySelector('.timer:not([hidden])');
if (!t) return null;
const text = t.querySelector('.timer-digits').textContent.trim();
if (!/^\d+(:\d\d){1,2}$/.test(text)) return null;
const shown = text.split(':').reduce((acc, part) => acc * 60 + Number(part), 0);
const real = performance.timeOrigin + performance.now();
const left = Math.ceil((Date.parse(arguments[0]) - real) / 1000);
return { shown, left, low: t.dataset.low === 'true', role: t.getAttribute('role') };
"#;

/// The screen's countdown is running and agrees with `closes_at` within a second, and lies
/// in `range`.
async fn counts_to(
    d: &WebDriver,
    closes_at: &str,
    range: std::ops::RangeInclusive<i64>,
    what: &str,
) -> anyhow::Result<i64> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let v = d
            .execute(SHOWN, vec![json!(closes_at)])
            .await?
            .json()
            .clone();
        if let (Some(shown), Some(left)) = (v["shown"].as_i64(), v["left"].as_i64())
            && (shown - left).abs() <= 1
            && range.contains(&shown)
        {
            ensure!(
                v["role"] == "timer",
                "{what}: the countdown is not a timer: {v}"
            );
            return Ok(shown);
        }
        if std::time::Instant::now() > deadline {
            let page = js(d, "return document.body.innerText.slice(0, 400);").await?;
            anyhow::bail!(
                "{what}: the countdown shows {v}, wanted {range:?} matching {closes_at}; the page says {page}"
            );
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Joins from the QR code's link in this browser.
async fn join_in_browser(
    d: &WebDriver,
    base: &str,
    meeting: i64,
    code: &str,
    name: &str,
) -> anyhow::Result<()> {
    d.goto(format!("{base}/?meeting={meeting}&code={code}"))
        .await?;
    let field = browser::wait_for(d, "#name", TIMEOUT).await?;
    field.send_keys(name).await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(d, "#you-name", name, TIMEOUT).await?;
    Ok(())
}

/// No script errors and no browser dialog on this screen (a staff page asks who is logged
/// in before the login: that 401 is expected).
async fn clean(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    browser::assert_no_alert(d).await?;
    let errors: Vec<String> = browser::js_errors(d)
        .await?
        .into_iter()
        .filter(|e| {
            !e.contains(
                "/api/me - Failed to load resource: the server responded with a status of 401",
            )
        })
        .collect();
    ensure!(errors.is_empty(), "{what}: script errors: {errors:?}");
    Ok(())
}

/// The three screens of one meeting: presenter (1920×1080), a phone (390×844) and the
/// dashboard (1280×800).
struct Screens {
    presenter: WebDriver,
    phone: WebDriver,
    dash: WebDriver,
}

impl Screens {
    async fn open(
        chromium: &browser::Chromium,
        ts: &TestServer,
        meeting: i64,
        code: &str,
    ) -> anyhow::Result<Screens> {
        let base = ts.server.url();
        let token = ts.display_token(meeting).await?;
        let presenter = chromium.session(Size::Projector, "en").await?;
        presenter
            .goto(format!(
                "{base}/present.html?meeting={meeting}&token={token}"
            ))
            .await?;
        browser::wait_for(&presenter, "#body h1", TIMEOUT).await?;

        let phone = chromium.session(Size::Mobile, "en").await?;
        clock_an_hour_fast(&phone).await?;
        join_in_browser(&phone, &base, meeting, code, "Ada").await?;
        let skew = js(
            &phone,
            "return Date.now() - (performance.timeOrigin + performance.now());",
        )
        .await?;
        ensure!(
            skew.as_f64().is_some_and(|s| s > 3_500_000.0),
            "the phone's clock is not fast: {skew}"
        );

        let dash = chromium.session(Size::Laptop, "en").await?;
        browser::set_viewport(&dash, 1280, 800).await?;
        dash.goto(format!("{base}/organize.html?meeting={meeting}"))
            .await?;
        let password = ts.server.admin_password.clone().context("admin password")?;
        browser::log_in_admin(&dash, &password, TIMEOUT).await?;
        browser::wait_text(&dash, "#status", "Not started", TIMEOUT).await?;
        Ok(Screens {
            presenter,
            phone,
            dash,
        })
    }

    fn all(&self) -> [(&WebDriver, &'static str); 3] {
        [
            (&self.presenter, "presenter"),
            (&self.phone, "phone"),
            (&self.dash, "dashboard"),
        ]
    }

    async fn clean(&self) -> anyhow::Result<()> {
        for (d, what) in self.all() {
            clean(d, what).await?;
        }
        Ok(())
    }

    async fn quit(self) -> anyhow::Result<()> {
        self.presenter.quit().await?;
        self.phone.quit().await?;
        self.dash.quit().await?;
        Ok(())
    }
}

/// Presses a control on the dashboard.
async fn press(d: &WebDriver, action: &str) -> anyhow::Result<()> {
    browser::click(d, &format!("button[data-action=\"{action}\"]"), TIMEOUT).await
}

/// The next staff `state` with the activity open and a deadline: its `closes_at`.
async fn open_deadline(org: &mut Client, question_title: &str) -> anyhow::Result<String> {
    let s = org
        .wait_state(|s| {
            s["status"] == "ongoing"
                && s["question"]["title"] == question_title
                && s["closes_at"].is_string()
        })
        .await?;
    ensure!(s["now"].is_string(), "a state without `now`: {s}");
    Ok(s["closes_at"].as_str().unwrap_or_default().to_string())
}

/// Milliseconds from `a` to `b` (RFC 3339), as the page's `Date.parse` reads them.
async fn ms_between(d: &WebDriver, a: &str, b: &str) -> anyhow::Result<f64> {
    d.execute(
        "return Date.parse(arguments[1]) - Date.parse(arguments[0]);",
        vec![json!(a), json!(b)],
    )
    .await?
    .json()
    .as_f64()
    .context("not a number")
}

/// The presenter's title box, rounded: the reveal must not move it.
async fn title_box(d: &WebDriver) -> anyhow::Result<Value> {
    js(
        d,
        "const r = document.querySelector('#body h1').getBoundingClientRect(); \
         return [Math.round(r.left), Math.round(r.top), Math.round(r.width), Math.round(r.height)];",
    )
    .await
}

/// Step: the five-minute poll opens from the dashboard and counts down everywhere, in step
/// with `closes_at`; screenshots of every screen with the countdown running.
async fn poll_counts_down(screens: &Screens, org: &mut Client) -> anyhow::Result<String> {
    press(&screens.dash, "start").await?;
    let closes_at = open_deadline(org, "Which season do you like best?").await?;
    for (d, what) in screens.all() {
        counts_to(d, &closes_at, 288..=300, what).await?;
    }
    // Results reads "Close now" while a timer runs; +10 s and +30 s are offered.
    browser::wait_text(
        &screens.dash,
        "button[data-action=\"results\"]",
        "Close now",
        TIMEOUT,
    )
    .await?;
    browser::wait_for(
        &screens.dash,
        "button[data-add-time=\"30\"]:enabled",
        TIMEOUT,
    )
    .await?;
    // Nothing said yet: the announcements are for 10 s left and time's up only.
    for (d, what) in [(&screens.presenter, "presenter"), (&screens.phone, "phone")] {
        let said = js(
            d,
            "return document.getElementById('timer-said').textContent;",
        )
        .await?;
        ensure!(said == "", "{what} announced {said} at the start");
    }
    for (d, what) in screens.all() {
        browser::axe_audit(d, &format!("{what} with a running countdown")).await?;
    }
    browser::screenshot(&screens.presenter, "timers-presenter-1920x1080").await?;
    browser::resize(&screens.presenter, Size::Hd).await?;
    counts_to(
        &screens.presenter,
        &closes_at,
        280..=300,
        "presenter at 1280×720",
    )
    .await?;
    browser::screenshot(&screens.presenter, "timers-presenter-1280x720").await?;
    browser::resize(&screens.presenter, Size::Projector).await?;
    browser::screenshot(&screens.phone, "timers-phone-390x844").await?;
    browser::screenshot(&screens.dash, "timers-dashboard-1280x800").await?;
    Ok(closes_at)
}

/// Step: +30 s on the dashboard moves the deadline and the presenter's count up by 30 s.
async fn thirty_more_seconds(
    screens: &Screens,
    org: &mut Client,
    closes_at: &str,
) -> anyhow::Result<()> {
    let before = counts_to(&screens.presenter, closes_at, 250..=300, "presenter").await?;
    browser::click(&screens.dash, "button[data-add-time=\"30\"]", TIMEOUT).await?;
    let later = org
        .wait_state(|s| s["closes_at"].is_string() && s["closes_at"] != closes_at)
        .await?;
    let later = later["closes_at"].as_str().unwrap_or_default().to_string();
    let moved = ms_between(&screens.presenter, closes_at, &later).await?;
    ensure!(
        (moved - 30_000.0).abs() < 1.0,
        "+30 s moved the deadline by {moved} ms"
    );
    let after = counts_to(
        &screens.presenter,
        &later,
        before + 25..=before + 30,
        "presenter after +30 s",
    )
    .await?;
    counts_to(
        &screens.phone,
        &later,
        after - 3..=after + 1,
        "phone after +30 s",
    )
    .await?;
    counts_to(
        &screens.dash,
        &later,
        after - 3..=after + 1,
        "dashboard after +30 s",
    )
    .await?;
    browser::wait_text(&screens.dash, "#toast", "Added 30 s", TIMEOUT).await?;
    Ok(())
}

/// Step: "Close now" reveals at once; the presenter's title does not move and the
/// countdown leaves every screen.
async fn close_now(screens: &Screens) -> anyhow::Result<()> {
    let before = title_box(&screens.presenter).await?;
    press(&screens.dash, "results").await?;
    browser::wait_text(&screens.presenter, "#answered", "Closed", TIMEOUT).await?;
    let after = title_box(&screens.presenter).await?;
    ensure!(
        before == after,
        "the reveal moved the title: {before} → {after}"
    );
    for (d, what) in screens.all() {
        wait_js(
            d,
            "return !document.querySelector('.timer:not([hidden])');",
            &format!("{what}: the countdown to go at the reveal"),
        )
        .await?;
    }
    browser::wait_text(
        &screens.dash,
        "button[data-action=\"results\"]",
        "Results",
        TIMEOUT,
    )
    .await?;
    Ok(())
}

/// Step: the 5-second quiz turns red for its last seconds and reaches its results on every
/// screen without anyone pressing anything; the phone says "Time's up".
async fn quiz_closes_itself(screens: &Screens, org: &mut Client) -> anyhow::Result<()> {
    press(&screens.dash, "next").await?;
    browser::wait_text(&screens.dash, "#status", "Up next", TIMEOUT).await?;
    // Staff see the whole limit before it opens.
    browser::wait_text(&screens.dash, "#timer-bar", "0:05", TIMEOUT).await?;
    press(&screens.dash, "start").await?;
    open_deadline(org, "How many legs has a spider?").await?;
    wait_js(
        &screens.presenter,
        "return document.querySelector('.timer[data-low=\"true\"]:not([hidden])') !== null;",
        "the presenter's last seconds to stand out",
    )
    .await?;
    browser::screenshot(&screens.presenter, "timers-presenter-last-seconds").await?;
    browser::screenshot(&screens.phone, "timers-phone-last-seconds").await?;
    org.wait_state(|s| s["status"] == "results").await?;
    browser::wait_text(&screens.presenter, "#answered", "Closed", TIMEOUT).await?;
    browser::wait_text(&screens.phone, "#status", "Results", TIMEOUT).await?;
    // Read out once the count reached 0 (the live region is visually hidden: its text is
    // read from the DOM).
    wait_js(
        &screens.phone,
        "return document.getElementById('timer-said').textContent === \"Time's up\";",
        "the phone to say time's up",
    )
    .await?;
    browser::wait_text(&screens.dash, "#status", "Results", TIMEOUT).await?;
    browser::screenshot(&screens.phone, "timers-phone-time-up").await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_countdown_runs_on_every_screen() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-timers").await?;
    let meeting = import(&ts, timed_meeting()).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let screens = Screens::open(&chromium, &ts, meeting, "TIMER1").await?;

    let closes_at = poll_counts_down(&screens, &mut org).await?;
    thirty_more_seconds(&screens, &mut org, &closes_at).await?;
    close_now(&screens).await?;
    quiz_closes_itself(&screens, &mut org).await?;
    screens.clean().await?;
    screens.quit().await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_countdown_fits_beside_long_content() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-timers-fit").await?;
    let mut file: Value = serde_json::from_str(&std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?)?;
    let kinds: Vec<String> = file["activities"]
        .as_array()
        .context("activities")?
        .iter()
        .map(|a| a["kind"].as_str().unwrap_or_default().to_string())
        .collect();
    // 15 minutes: the count reads "14:59", five characters, the smallest digits a
    // countdown under an hour gets.
    for a in file["activities"].as_array_mut().context("activities")? {
        if a["kind"] != "text" {
            a["time_limit_secs"] = json!(900);
        }
    }
    let meeting = import(&ts, file).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let token = ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    d.goto(format!(
        "{}/present.html?meeting={meeting}&token={token}",
        ts.server.url()
    ))
    .await?;
    browser::wait_for(&d, "#body h1", TIMEOUT).await?;

    for (i, kind) in kinds.iter().enumerate() {
        if i > 0 {
            ok(&org.control("next").await?)?;
        }
        ok(&org.control("start").await?)?;
        if kind == "text" {
            continue;
        }
        let s = org
            .wait_state(|s| s["position"] == i && s["closes_at"].is_string())
            .await?;
        let closes_at = s["closes_at"].as_str().unwrap_or_default().to_string();
        for size in [Size::Projector, Size::Hd] {
            browser::resize(&d, size).await?;
            let (w, h) = size.viewport();
            let what = format!("{} {kind} at {w}x{h}", i + 1);
            counts_to(&d, &closes_at, 880..=899, &what).await?;
            // Fonts, bars and the fit settle within a few frames.
            tokio::time::sleep(std::time::Duration::from_millis(700)).await;
            let v = d
                .execute(browser::PRESENTER_FITS, vec![])
                .await?
                .json()
                .clone();
            ensure!(
                v["outside"].as_array().is_some_and(Vec::is_empty),
                "{what}: outside the screen: {}",
                v["outside"]
            );
            ensure!(
                v["overlaps"].as_array().is_some_and(Vec::is_empty),
                "{what}: overlapping text: {}",
                v["overlaps"]
            );
            // Readable from the back of the room: the seconds keep their size, whatever
            // the content made the rest shrink to (at 1080 lines "14:59" is 54 px high
            // beside short content, 43 px at the ring's smallest).
            let min = 40.0 * f64::from(h) / 1080.0;
            ensure!(
                v["digits"].as_f64().is_some_and(|px| px >= min),
                "{what}: the seconds are {} px high",
                v["digits"]
            );
            browser::screenshot(&d, &format!("timers-stress-{}-{kind}-{w}x{h}", i + 1)).await?;
        }
        browser::resize(&d, Size::Projector).await?;
    }
    clean(&d, "presenter").await?;
    d.quit().await?;
    Ok(())
}

/// Step helper: types `value` into the `n`th field with `data-role="role"` (0-based),
/// after deleting what it held.
async fn fill_nth(d: &WebDriver, role: &str, n: usize, value: &str) -> anyhow::Result<String> {
    let id = wait_js(
        d,
        &format!("const f = document.querySelectorAll('[data-role=\"{role}\"]')[{n}]; return f ? f.id : null;"),
        &format!("field {role} #{n}"),
    )
    .await?;
    let id = id.as_str().context("field id")?.to_string();
    let field = browser::wait_for(d, &format!("#{id}"), TIMEOUT).await?;
    js(
        d,
        &format!(
            "document.getElementById('{id}').scrollIntoView({{ block: 'center' }}); return null;"
        ),
    )
    .await?;
    // Selected and deleted as a person would: WebDriver's clear() fires no `input` event,
    // so emptying a field with it alone changes nothing for the page.
    field.send_keys(Key::Control + "a").await?;
    field.send_keys(Key::Backspace).await?;
    if !value.is_empty() {
        field.send_keys(value).await?;
    }
    Ok(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_editor_sets_timers_and_scoring() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-timers-editor").await?;
    let meeting = import(
        &ts,
        json!({
            "title": "Timers in the editor",
            "code": "EDIT14",
            "activities": [
                {"kind": "text", "title": "Welcome"},
                {"kind": "poll", "title": "Tea or coffee?", "choices": [{"text": "Tea"}, {"text": "Coffee"}]},
                {"kind": "quiz", "title": "2 + 2?", "choices": [{"text": "4", "correct": true}, {"text": "5"}]},
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
    // A slide has no timer; the poll and the quiz do; only the quiz has points.
    let counts = js(
        &d,
        "return [document.querySelectorAll('[data-role=\"time-limit\"]').length, document.querySelectorAll('[data-role=\"points\"]').length];",
    )
    .await?;
    ensure!(
        counts == json!([2, 1]),
        "time limits and points fields: {counts}"
    );

    // Speed scoring, a timed poll, the quiz's points, but no time limit on the quiz.
    fill_nth(&d, "time-limit", 0, "45").await?;
    fill_nth(&d, "points", 0, "500").await?;
    js(
        &d,
        "const s = document.getElementById('s-scoring'); s.value = 'speed'; s.dispatchEvent(new Event('change', { bubbles: true })); return null;",
    )
    .await?;
    browser::wait_text(&d, "#s-scoring-hint", "time limit", TIMEOUT).await?;
    click_centered(&d, "#s-auto").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "fix the problems", TIMEOUT).await?;
    // The server's word lands under the quiz's time limit, which is marked invalid.
    let quiz_time = js(
        &d,
        "return document.querySelectorAll('[data-role=\"time-limit\"]')[1].id;",
    )
    .await?;
    let quiz_time = quiz_time.as_str().context("id")?.to_string();
    wait_js(
        &d,
        &format!(
            "return document.getElementById('{quiz_time}-error').textContent.trim().length > 0;"
        ),
        "the server's message under the quiz's time limit",
    )
    .await?;
    let invalid = js(
        &d,
        &format!("return document.getElementById('{quiz_time}').getAttribute('aria-invalid');"),
    )
    .await?;
    ensure!(
        invalid == "true",
        "the quiz's time limit is not marked invalid"
    );
    browser::wait_text(&d, "#error-summary", "Activity 3 · Time limit", TIMEOUT).await?;
    browser::axe_audit(&d, "editor with a refused time limit").await?;
    browser::screenshot(&d, "timers-editor-error").await?;
    js(
        &d,
        &format!("document.getElementById('{quiz_time}').scrollIntoView({{ block: 'center' }}); return null;"),
    )
    .await?;
    browser::screenshot(&d, "timers-editor-quiz").await?;

    // With a time limit the plan saves, and reads back as entered.
    fill_nth(&d, "time-limit", 1, "20").await?;
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
    ensure!(plan["scoring"] == "speed", "scoring: {plan}");
    ensure!(plan["auto_start"] == true, "auto_start: {plan}");
    let acts = &plan["activities"];
    ensure!(
        acts[0].get("time_limit_secs").is_none_or(|v| v == 0),
        "the slide got a timer: {}",
        acts[0]
    );
    ensure!(acts[1]["time_limit_secs"] == 45, "poll: {}", acts[1]);
    ensure!(acts[2]["time_limit_secs"] == 20, "quiz: {}", acts[2]);
    ensure!(acts[2]["points"] == 500, "quiz points: {}", acts[2]);

    // A reload shows what was stored.
    d.refresh().await?;
    browser::wait_for(&d, "#s-scoring", TIMEOUT).await?;
    let shown = wait_js(
        &d,
        "const v = (role) => [...document.querySelectorAll(`[data-role=\"${role}\"]`)].map((f) => f.value); \
         const t = v('time-limit'); if (t.length < 2) return null; \
         return { time: t, points: v('points'), scoring: document.getElementById('s-scoring').value, auto: document.getElementById('s-auto').checked };",
        "the editor to show the stored plan",
    )
    .await?;
    ensure!(
        shown == json!({"time": ["45", "20"], "points": ["500"], "scoring": "speed", "auto": true}),
        "after a reload: {shown}"
    );
    browser::wait_text(&d, "#save-state", "No changes", TIMEOUT).await?;

    // Emptying the poll's time limit removes its timer.
    fill_nth(&d, "time-limit", 0, "").await?;
    browser::click(&d, "#save", TIMEOUT).await?;
    browser::wait_text(&d, "#save-state", "Saved at", TIMEOUT).await?;
    let (_, plan) = ts
        .call(
            Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    ensure!(
        plan["activities"][1]
            .get("time_limit_secs")
            .is_none_or(|v| v == 0),
        "the poll kept its timer: {}",
        plan["activities"][1]
    );
    browser::screenshot(&d, "timers-editor-saved").await?;
    clean_but_refused(&d).await?;
    d.quit().await?;
    Ok(())
}

/// Clicks an element once scrolled to the middle of the window (the sticky top bar covers
/// the top).
async fn click_centered(d: &WebDriver, css: &str) -> anyhow::Result<()> {
    d.execute(
        "document.querySelector(arguments[0]).scrollIntoView({ block: 'center' }); return null;",
        vec![json!(css)],
    )
    .await?;
    browser::click(d, css, TIMEOUT).await
}

/// Script errors other than the refused save the test asked for (a 400).
async fn clean_but_refused(d: &WebDriver) -> anyhow::Result<()> {
    browser::assert_no_alert(d).await?;
    let errors: Vec<String> = browser::js_errors(d)
        .await?
        .into_iter()
        .filter(|e| !e.contains("status of 400") && !e.contains("status of 401"))
        .collect();
    ensure!(errors.is_empty(), "script errors: {errors:?}");
    Ok(())
}

/// The activity overlay (an OBS lower third, 1920×300) counts a timed poll and a timed word
/// cloud down like the other screens, the seconds beside the question, inside the source.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_activity_overlay_counts_down() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-timers-overlay").await?;
    let meeting = import(&ts, timed_meeting()).await?;
    let admin = ts.admin_token().await?;
    let mut org = ts.connect(meeting, &admin).await?;
    let token = ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    browser::set_viewport(&d, 1920, 300).await?;
    d.goto(format!(
        "{}/overlay/activity.html?meeting={meeting}&token={token}",
        ts.server.url()
    ))
    .await?;
    ok(&org.control("start").await?)?;
    let s = org.wait_state(|s| s["closes_at"].is_string()).await?;
    let closes_at = s["closes_at"].as_str().unwrap_or_default().to_string();
    counts_to(&d, &closes_at, 280..=300, "overlay poll").await?;
    let inside = js(
        &d,
        "const r = document.querySelector('.timer').getBoundingClientRect(); \
         return r.width > 0 && r.left >= 0 && r.right <= innerWidth && r.top >= 0 && r.bottom <= innerHeight;",
    )
    .await?;
    ensure!(inside == true, "the countdown lies inside the overlay");
    browser::screenshot(&d, "timers-overlay-poll-1920x300").await?;
    // The 5-second quiz closes itself: the countdown says so, then the word cloud counts.
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    org.wait_status("results").await?;
    ok(&org.control("next").await?)?;
    ok(&org.control("start").await?)?;
    let s = org
        .wait_state(|s| s["question"]["kind"] == "wordcloud" && s["closes_at"].is_string())
        .await?;
    let closes_at = s["closes_at"].as_str().unwrap_or_default().to_string();
    counts_to(&d, &closes_at, 280..=300, "overlay word cloud").await?;
    browser::screenshot(&d, "timers-overlay-wordcloud-1920x300").await?;
    clean(&d, "overlay").await?;
    d.quit().await?;
    Ok(())
}
