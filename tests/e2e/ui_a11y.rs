//! Accessibility: an axe-core audit (the vendored copy, `tests/vendor/axe-core/`) of every
//! page and state of the web app finds no serious or critical violation, in the light and
//! the dark theme, at phone size (390×844) and at a desktop size (1440×900; the presenter
//! at 1920×1080). Every state also has exactly one visible `h1`. Content: the demo meeting
//! and the stress meeting (long titles and choices, right-to-left and CJK text, emoji).
//! Screenshots of every audited state: `target/screenshots/a11y-*`.

use anyhow::{Context, ensure};
use librekast_storage::MeetingFile;
use librekast_tests::browser::{self, Size};
use librekast_tests::*;
use serde_json::{Value, json};
use thirtyfour::prelude::*;

/// Sets the theme the way a visitor does: the top bar's `#theme` button; the presenter has
/// none, so there the stored choice is written as the button would (`i18n.js`, `THEME`).
const SET_THEME: &str = r#"
const want = arguments[0];
const now = () => document.documentElement.dataset.theme
  || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
const button = document.getElementById('theme');
if (button && button.checkVisibility() && now() !== want) button.click();
if (now() !== want) {
  localStorage.setItem('librekast.theme', want);
  document.documentElement.dataset.theme = want;
}
return now();
"#;

/// The text of every rendered `h1`.
const VISIBLE_H1: &str = r#"
return [...document.querySelectorAll('h1')].filter((h) => h.checkVisibility())
  .map((h) => h.textContent.trim());
"#;

/// Audits the current state of one browser at phone and desktop size in both themes, and
/// collects the failures so one run reports every page that needs work.
struct Auditor {
    desktop: Size,
    failures: Vec<String>,
    audits: usize,
}

impl Auditor {
    fn new(desktop: Size) -> Auditor {
        Auditor {
            desktop,
            failures: Vec::new(),
            audits: 0,
        }
    }

    async fn check(&mut self, d: &WebDriver, state: &str) -> anyhow::Result<()> {
        for size in [Size::Mobile, self.desktop] {
            browser::resize(d, size).await?;
            let (w, h) = size.viewport();
            for theme in ["light", "dark"] {
                let set = d.execute(SET_THEME, vec![json!(theme)]).await?;
                ensure!(set.json() == theme, "{state}: theme is {}", set.json());
                let label = format!("{state} at {w}x{h}, {theme}");
                self.audits += 1;
                let h1 = d.execute(VISIBLE_H1, vec![]).await?.json().clone();
                if h1.as_array().map_or(0, Vec::len) != 1 {
                    self.failures
                        .push(format!("{label}: wants exactly one visible h1, has {h1}"));
                }
                if let Err(e) = browser::axe_audit(d, &label).await {
                    self.failures.push(format!("{e:#}"));
                }
                let slug: String = state
                    .chars()
                    .map(|c| {
                        if c.is_ascii_alphanumeric() {
                            c.to_ascii_lowercase()
                        } else {
                            '-'
                        }
                    })
                    .collect();
                browser::screenshot(d, &format!("a11y-{slug}-{w}x{h}-{theme}")).await?;
            }
        }
        Ok(())
    }

    fn finish(self, what: &str) -> anyhow::Result<()> {
        eprintln!("{what}: {} audits", self.audits);
        ensure!(
            self.failures.is_empty(),
            "{what}: {} audit(s) failed:\n\n{}",
            self.failures.len(),
            self.failures.join("\n\n")
        );
        Ok(())
    }
}

/// The stress meeting (tests/fixtures/meetings/stress-content.json), imported.
async fn import_stress(ts: &TestServer, file: &MeetingFile) -> anyhow::Result<i64> {
    Ok(ts.server.engine.store().import_meeting(file).await?.0)
}

fn stress_file() -> anyhow::Result<MeetingFile> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/meetings/stress-content.json"
    ))?;
    Ok(serde_json::from_str(&text)?)
}

/// The organizer, over the protocol: moves the meeting and waits until it got there.
struct Org {
    client: Client,
    /// Where the meeting is, counted from the controls sent (a held `state` may be older
    /// than the last control's ack).
    position: i64,
}

impl Org {
    async fn connect(ts: &TestServer, meeting: i64) -> anyhow::Result<Org> {
        let client = ts.connect(meeting, &ts.admin_token().await?).await?;
        Ok(Org {
            client,
            position: 0,
        })
    }

    /// Sends `actions` in order, then waits for the state they lead to.
    async fn go(&mut self, actions: &[&str], status: &str) -> anyhow::Result<Value> {
        for a in actions {
            ok(&self.client.control(a).await?).with_context(|| format!("control {a}"))?;
            match *a {
                "next" => self.position += 1,
                "back" => self.position -= 1,
                _ => {}
            }
        }
        let position = self.position;
        self.client
            .wait_state(|s| s["status"] == status && s["position"] == position)
            .await
            .with_context(|| format!("after {actions:?}: never {status} at {position}"))
    }
}

/// Participants over the protocol, so the pages have tallies, words and a scoreboard.
async fn crowd(ts: &TestServer, meeting: i64, code: &str, n: usize) -> anyhow::Result<Vec<Client>> {
    let mut people = Vec::new();
    for i in 0..n {
        let names = ["Grace", "مرحبا", "Zoë 🎮", "Linus", "李小龙", "Barbara"];
        let (_, token) = ts.join(meeting, code, names[i % names.len()]).await?;
        people.push(ts.connect(meeting, &token).await?);
    }
    Ok(people)
}

/// Each participant waits for the open activity whose title contains `title` (what it
/// holds may be an older state).
async fn open_activity(p: &mut Client, title: &str) -> anyhow::Result<(i64, Vec<i64>)> {
    let state = p
        .wait_state(|s| {
            s["status"] == "ongoing"
                && s["question"]["title"]
                    .as_str()
                    .is_some_and(|t| t.contains(title))
        })
        .await
        .with_context(|| format!("{title:?} never opened"))?;
    let question = state["question"]["id"].as_i64().context("no question id")?;
    Ok((question, choice_ids(&state)))
}

/// Every participant votes in the activity titled `title`, participant `i` for the choice
/// at `i` (modulo the number of choices).
async fn crowd_votes(people: &mut [Client], title: &str) -> anyhow::Result<()> {
    for (i, p) in people.iter_mut().enumerate() {
        let (question, choices) = open_activity(p, title).await?;
        ok(&p.vote(question, choices[i % choices.len()]).await?)?;
    }
    Ok(())
}

/// Every participant sends three of `words` to the word cloud titled `title`.
async fn crowd_words(people: &mut [Client], title: &str, words: &[&str]) -> anyhow::Result<()> {
    for (i, p) in people.iter_mut().enumerate() {
        let (question, _) = open_activity(p, title).await?;
        for k in 0..3 {
            ok(&p.word(question, words[(i * 2 + k) % words.len()]).await?)?;
        }
    }
    Ok(())
}

/// Waits until the page is connected again (the connection banner hidden).
async fn wait_online(d: &WebDriver) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    while d
        .execute("return document.getElementById('net').hidden;", vec![])
        .await?
        .json()
        != &Value::Bool(true)
    {
        ensure!(
            std::time::Instant::now() < deadline,
            "still offline after {TIMEOUT:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    Ok(())
}

/// A key pressed on the page (the dashboard's shortcuts).
async fn press(d: &WebDriver, key: &str) -> anyhow::Result<()> {
    d.action_chain().send_keys(key).perform().await?;
    Ok(())
}

/// Logs in on a staff page's form.
async fn staff_login(d: &WebDriver, password: &str) -> anyhow::Result<()> {
    let user = browser::wait_for(d, "#username", TIMEOUT).await?;
    user.clear().await?;
    user.send_keys("admin").await?;
    let pw = browser::wait_for(d, "#password", TIMEOUT).await?;
    pw.clear().await?;
    pw.send_keys(password).await?;
    pw.send_keys(Key::Enter).await?;
    Ok(())
}

/// Joins from the QR code's link in this browser (the join form with the code filled in).
async fn join_in_browser(
    d: &WebDriver,
    base: &str,
    meeting: i64,
    code: &str,
    name: &str,
) -> anyhow::Result<()> {
    d.goto(format!("{base}/?meeting={meeting}&code={code}"))
        .await?;
    browser::wait_for(
        d,
        &format!("button[data-meeting=\"{meeting}\"][aria-pressed=\"true\"]"),
        TIMEOUT,
    )
    .await?;
    let field = browser::wait_for(d, "#name", TIMEOUT).await?;
    field.send_keys(name).await?;
    field.send_keys(Key::Enter).await?;
    browser::wait_text(d, "#you-name", name, TIMEOUT).await?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_home() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-home").await?;
    let demo = ts.demo_meeting().await?;
    import_stress(&ts, &stress_file()?).await?;
    let d = chromium.session(Size::Laptop, "en").await?;
    let mut audit = Auditor::new(Size::Laptop);

    d.goto(ts.url("/")).await?;
    browser::wait_for(&d, "#meetings li:nth-child(2) button", TIMEOUT).await?;
    audit.check(&d, "home meeting list").await?;

    // A wrong code: the error under the form, the field marked invalid.
    browser::click(&d, &format!("button[data-meeting=\"{demo}\"]"), TIMEOUT).await?;
    browser::wait_for(&d, "#code", TIMEOUT)
        .await?
        .send_keys("nope")
        .await?;
    let name = browser::wait_for(&d, "#name", TIMEOUT).await?;
    name.send_keys("Ada").await?;
    name.send_keys(Key::Enter).await?;
    browser::wait_text(&d, "#error", "Wrong join code", TIMEOUT).await?;
    audit.check(&d, "home join error").await?;

    // In French, from the language button.
    browser::click(&d, "#lang", TIMEOUT).await?;
    browser::wait_text(&d, "#join-title", "Rejoindre", TIMEOUT).await?;
    audit.check(&d, "home in French").await?;

    // The audit fails on what it must: text too faint to read, an image without a text.
    d.execute(
        r#"const main = document.querySelector('main');
        const faint = document.createElement('p');
        faint.textContent = 'Barely visible';
        faint.style.color = '#f0f0f0';
        faint.style.background = '#ffffff';
        const img = document.createElement('img');
        img.src = '/favicon.svg';
        main.append(faint, img);"#,
        vec![],
    )
    .await?;
    let missed = browser::axe_audit(&d, "planted violations").await;
    let message = format!(
        "{:#}",
        missed
            .err()
            .context("the audit missed planted violations")?
    );
    ensure!(
        [
            "planted violations",
            "color-contrast",
            "image-alt",
            "Barely visible"
        ]
        .iter()
        .all(|w| message.contains(w)),
        "the audit's message lacks a detail: {message}"
    );

    d.quit().await?;
    audit.finish("home")
}

/// The participant's page through the demo meeting: before the start, a slide, waiting, a
/// poll open and voted, the connection lost, a quiz answered and revealed right, a word
/// cloud, the scoreboard and the end.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_participant_demo() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-play").await?;
    let meeting = ts.demo_meeting().await?;
    let mut org = Org::connect(&ts, meeting).await?;
    let mut people = crowd(&ts, meeting, "Pour1nf0", 4).await?;
    let d = chromium.session(Size::Laptop, "en").await?;
    let mut audit = Auditor::new(Size::Laptop);
    join_in_browser(&d, &ts.server.url(), meeting, "Pour1nf0", "Ada").await?;

    browser::wait_text(&d, "#question", "starts soon", TIMEOUT).await?;
    audit.check(&d, "play before the start").await?;
    org.go(&["start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "Welcome", TIMEOUT).await?;
    audit.check(&d, "play slide").await?;
    org.go(&["next"], "waiting").await?;
    browser::wait_text(&d, "#question", "Get ready", TIMEOUT).await?;
    audit.check(&d, "play waiting").await?;

    org.go(&["start"], "ongoing").await?;
    browser::wait_for(&d, "button.choice:not([disabled])", TIMEOUT).await?;
    audit.check(&d, "play poll open").await?;
    // The browser says the network is gone: the banner shows until it is back.
    d.execute("window.dispatchEvent(new Event('offline'));", vec![])
        .await?;
    browser::wait_for(&d, "#net", TIMEOUT).await?;
    audit.check(&d, "play connection lost").await?;
    d.execute("window.dispatchEvent(new Event('online'));", vec![])
        .await?;
    wait_online(&d).await?;
    crowd_votes(&mut people, "Which language").await?;
    browser::click(&d, "button.choice[data-choice]:nth-child(1)", TIMEOUT).await?;
    browser::wait_text(&d, "#bars", "2 · 40%", TIMEOUT).await?;
    audit.check(&d, "play poll voted").await?;

    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "Which year", TIMEOUT).await?;
    browser::click(&d, "button.choice[data-choice]:nth-child(2)", TIMEOUT).await?;
    browser::wait_text(&d, "#toast", "Wait for the reveal", TIMEOUT).await?;
    crowd_votes(&mut people, "Which year").await?;
    audit.check(&d, "play quiz answered").await?;
    org.go(&["results"], "results").await?;
    browser::wait_for(&d, ".verdict.right", TIMEOUT).await?;
    audit.check(&d, "play quiz right").await?;

    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_for(&d, "#word", TIMEOUT).await?;
    crowd_words(
        &mut people,
        "One word",
        &["rust", "fun", "fast", "LibreKast", "quiz", "open source"],
    )
    .await?;
    let word = browser::wait_for(&d, "#word", TIMEOUT).await?;
    word.send_keys("accessible").await?;
    word.send_keys(Key::Enter).await?;
    browser::wait_text(&d, "#my-words", "accessible", TIMEOUT).await?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    // Screen readers get a named figure with the words as a list, counts included. The
    // cloud is coalesced: wait for the frame that carries the word just sent.
    let deadline = tokio::time::Instant::now() + TIMEOUT;
    let cloud = loop {
        let cloud = d
            .execute(
                r#"const c = document.querySelector('#cloud');
                return [c.getAttribute('role'), c.getAttribute('aria-label'),
                  [...c.querySelectorAll('li')].map((li) => li.textContent)];"#,
                vec![],
            )
            .await?
            .json()
            .clone();
        let listed = cloud[2]
            .as_array()
            .is_some_and(|l| l.iter().any(|w| w == "accessible (1)"));
        if listed || tokio::time::Instant::now() > deadline {
            break cloud;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    ensure!(
        cloud[0] == "figure"
            && cloud[1] == "Word cloud"
            && cloud[2]
                .as_array()
                .is_some_and(|l| l.iter().any(|w| w == "accessible (1)")),
        "the word cloud for screen readers: {cloud}"
    );
    audit.check(&d, "play word cloud").await?;

    org.go(&["scoreboard"], "scoreboard").await?;
    browser::wait_for(&d, ".podium .step.p1", TIMEOUT).await?;
    audit.check(&d, "play scoreboard").await?;
    org.go(&["end"], "after").await?;
    browser::wait_text(&d, "#question", "Thank you", TIMEOUT).await?;
    audit.check(&d, "play ended").await?;

    d.quit().await?;
    audit.finish("participant, demo")
}

/// The participant's page with the stress meeting: eight long choices, a quiz answered
/// wrong, right-to-left and CJK choices, a crowded word cloud.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_participant_stress() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-play-stress").await?;
    let file = stress_file()?;
    let meeting = import_stress(&ts, &file).await?;
    let mut org = Org::connect(&ts, meeting).await?;
    let mut people = crowd(&ts, meeting, &file.code, 6).await?;
    let d = chromium.session(Size::Laptop, "en").await?;
    let mut audit = Auditor::new(Size::Laptop);
    join_in_browser(&d, &ts.server.url(), meeting, &file.code, "Ada").await?;

    org.go(&["start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "Welcome", TIMEOUT).await?;
    audit.check(&d, "play stress slide").await?;
    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "initiatives", TIMEOUT).await?;
    crowd_votes(&mut people, "initiatives").await?;
    browser::click(&d, "button.choice[data-choice]:nth-child(3)", TIMEOUT).await?;
    browser::wait_for(&d, "#bars .bar-row", TIMEOUT).await?;
    audit.check(&d, "play stress poll voted").await?;
    org.go(&["results"], "results").await?;
    browser::wait_text(&d, "#status", "Results", TIMEOUT).await?;
    audit.check(&d, "play stress poll results").await?;

    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "which year", TIMEOUT).await?;
    browser::click(&d, "button.choice[data-choice]:nth-child(1)", TIMEOUT).await?;
    crowd_votes(&mut people, "which year").await?;
    org.go(&["results"], "results").await?;
    browser::wait_for(&d, ".verdict.wrong", TIMEOUT).await?;
    audit.check(&d, "play stress quiz wrong").await?;

    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "مرحبا", TIMEOUT).await?;
    audit.check(&d, "play stress right-to-left poll").await?;

    org.go(&["next", "start"], "ongoing").await?;
    crowd_words(
        &mut people,
        "three words",
        &[
            "momentum", "chaotic", "ship it", "計画", "تقدم", "🎉", "busy", "hiring", "growth",
        ],
    )
    .await?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    audit.check(&d, "play stress word cloud").await?;

    d.quit().await?;
    audit.finish("participant, stress")
}

/// The dashboard: the login form with an error, the meeting picker, and the demo meeting
/// before the start, with a poll tallied, a quiz (staff see the answer), a word cloud, the
/// scoreboard, the end, and the chat sources form open.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_organizer() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-org").await?;
    let meeting = ts.demo_meeting().await?;
    import_stress(&ts, &stress_file()?).await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let mut people = crowd(&ts, meeting, "Pour1nf0", 5).await?;
    let d = chromium.session(Size::Laptop, "en").await?;
    let mut audit = Auditor::new(Size::Laptop);

    d.goto(ts.url("/organize.html")).await?;
    staff_login(&d, "not the password").await?;
    browser::wait_text(&d, "#login-error", "Wrong user name or password", TIMEOUT).await?;
    audit.check(&d, "organizer login error").await?;
    staff_login(&d, &password).await?;
    browser::wait_for(&d, "#meetings li:nth-child(2) a", TIMEOUT).await?;
    audit.check(&d, "organizer meeting picker").await?;

    d.goto(ts.url(&format!("/organize.html?meeting={meeting}")))
        .await?;
    browser::wait_text(&d, "#status", "Not started", TIMEOUT).await?;
    browser::wait_text(&d, "#online", "5", TIMEOUT).await?;
    audit.check(&d, "organizer before the start").await?;

    // The dashboard's own keys move the meeting.
    press(&d, "s").await?;
    browser::wait_text(&d, "#status", "Live", TIMEOUT).await?;
    press(&d, "n").await?;
    browser::wait_text(&d, "#status", "Up next", TIMEOUT).await?;
    press(&d, "s").await?;
    browser::wait_text(&d, "#question", "Which language", TIMEOUT).await?;
    crowd_votes(&mut people, "Which language").await?;
    browser::wait_text(&d, "#answers", "5", TIMEOUT).await?;
    audit.check(&d, "organizer poll tallied").await?;

    press(&d, "n").await?;
    browser::wait_text(&d, "#status", "Up next", TIMEOUT).await?;
    press(&d, "s").await?;
    browser::wait_text(&d, "#question", "Which year", TIMEOUT).await?;
    crowd_votes(&mut people, "Which year").await?;
    browser::wait_for(&d, ".bar-row.correct", TIMEOUT).await?;
    audit.check(&d, "organizer quiz open").await?;
    press(&d, "r").await?;
    browser::wait_text(&d, "#status", "Results", TIMEOUT).await?;
    audit.check(&d, "organizer quiz results").await?;

    press(&d, "n").await?;
    browser::wait_text(&d, "#status", "Up next", TIMEOUT).await?;
    press(&d, "s").await?;
    browser::wait_text(&d, "#question", "One word", TIMEOUT).await?;
    crowd_words(
        &mut people,
        "One word",
        &["rust", "fun", "fast", "LibreKast", "quiz", "open source"],
    )
    .await?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    audit.check(&d, "organizer word cloud").await?;

    press(&d, "b").await?;
    browser::wait_text(&d, "#status", "Scoreboard", TIMEOUT).await?;
    // The chat sources form, opened.
    browser::click(&d, ".sources-edit summary", TIMEOUT).await?;
    browser::wait_for(&d, "#src-twitch", TIMEOUT).await?;
    audit
        .check(&d, "organizer scoreboard, sources form open")
        .await?;

    d.quit().await?;
    audit.finish("organizer")
}

/// The streams panels with a Twitch channel on the fake server and the stress meeting: the
/// source's status, the merged chat with long and right-to-left lines, counts by platform.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_organizer_streams() -> anyhow::Result<()> {
    use librekast_fakes::twitch::ChatLine;
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let fake = fake_twitch()?;
    let ts = TestServer::start("a11y-streams").await?;
    let mut file = stress_file()?;
    let chan = format!("lk_a11y_{}", std::process::id() % 100_000);
    file.sources =
        serde_json::from_value(json!([{"platform": "twitch", "channel": chan, "delay_secs": 0}]))?;
    let meeting = import_stress(&ts, &file).await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let d = chromium.session(Size::Laptop, "en").await?;
    let mut audit = Auditor::new(Size::Laptop);

    d.goto(ts.url(&format!("/organize.html?meeting={meeting}")))
        .await?;
    staff_login(&d, &password).await?;
    fake.wait_joined(&chan).await;
    browser::wait_text(&d, "#sources .pill", "connected", TIMEOUT).await?;
    let mut org = Org::connect(&ts, meeting).await?;
    org.go(&["start", "next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#question", "initiatives", TIMEOUT).await?;
    fake.privmsg_many(
        &chan,
        &[
            ChatLine::new("u1", "1", "viewer1", "#a I agree").display_name("Zoë 🎮"),
            ChatLine::new("u2", "2", "viewer2", "#c").display_name("مرحبا"),
            ChatLine::new("u3", "3", "viewer3", "what are we voting on?")
                .display_name("Curious_Viewer_With_A_Very_Long_Name_2024"),
            ChatLine::new(
                "u4",
                "4",
                "viewer4",
                "https://example.org/a/very/long/link/that/does/not/break/anywhere",
            )
            .display_name("linker"),
        ],
    );
    browser::wait_text(&d, "#bars .split", "Twitch 1", TIMEOUT).await?;
    browser::wait_text(&d, "#chat", "what are we voting on", TIMEOUT).await?;
    // The screenshots show the panels (the audit covers the whole page either way).
    d.execute(
        "document.querySelector('#sources').scrollIntoView();",
        vec![],
    )
    .await?;
    audit.check(&d, "organizer streams").await?;

    d.quit().await?;
    audit.finish("organizer, streams")
}

/// The presenter screen: its login form and meeting picker, then the demo meeting on a
/// display link: the join screen, a poll with its tally, a quiz before and after the reveal,
/// a word cloud empty and with words, the scoreboard's podium, the end, and a revoked link.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_presenter() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-present").await?;
    let meeting = ts.demo_meeting().await?;
    import_stress(&ts, &stress_file()?).await?;
    let password = ts.server.admin_password.clone().context("admin password")?;
    let mut org = Org::connect(&ts, meeting).await?;
    let mut people = crowd(&ts, meeting, "Pour1nf0", 6).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    let mut audit = Auditor::new(Size::Projector);

    d.goto(ts.url("/present.html")).await?;
    staff_login(&d, "not the password").await?;
    browser::wait_text(&d, "#login-error", "Wrong user name or password", TIMEOUT).await?;
    audit.check(&d, "presenter login error").await?;
    staff_login(&d, &password).await?;
    browser::wait_for(&d, "#meetings li:nth-child(2) a", TIMEOUT).await?;
    audit.check(&d, "presenter meeting picker").await?;

    let token = ts.display_token(meeting).await?;
    d.goto(ts.url(&format!("/present.html?meeting={meeting}&token={token}")))
        .await?;
    browser::wait_text(&d, ".join-screen .code", "Pour1nf0", TIMEOUT).await?;
    audit.check(&d, "presenter join screen").await?;

    org.go(&["start"], "ongoing").await?;
    browser::wait_text(&d, "#body h1", "Welcome", TIMEOUT).await?;
    audit.check(&d, "presenter slide").await?;
    org.go(&["next", "start"], "ongoing").await?;
    crowd_votes(&mut people, "Which language").await?;
    browser::wait_text(&d, "#answered", "6 answers", TIMEOUT).await?;
    audit.check(&d, "presenter poll tallied").await?;

    org.go(&["next", "start"], "ongoing").await?;
    crowd_votes(&mut people, "Which year").await?;
    browser::wait_text(&d, "#answered", "6 answers", TIMEOUT).await?;
    audit.check(&d, "presenter quiz open").await?;
    org.go(&["results"], "results").await?;
    browser::wait_for(&d, ".bar-row.correct", TIMEOUT).await?;
    audit.check(&d, "presenter quiz revealed").await?;

    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_text(&d, "#body h1", "One word", TIMEOUT).await?;
    browser::wait_for(&d, "#cloud", TIMEOUT).await?;
    audit.check(&d, "presenter word cloud empty").await?;
    crowd_words(
        &mut people,
        "One word",
        &["rust", "fun", "fast", "LibreKast", "quiz", "open source"],
    )
    .await?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    audit.check(&d, "presenter word cloud").await?;

    org.go(&["scoreboard"], "scoreboard").await?;
    browser::wait_for(&d, ".podium .step.p1", TIMEOUT).await?;
    audit.check(&d, "presenter scoreboard").await?;
    org.go(&["end"], "after").await?;
    browser::wait_text(&d, "#body h1", "Thank you", TIMEOUT).await?;
    audit.check(&d, "presenter end").await?;

    let admin = ts.admin_token().await?;
    let (status, _) = ts
        .bearer(
            reqwest::Method::DELETE,
            &format!("/api/meetings/{meeting}/display"),
            &admin,
        )
        .await?;
    ensure!(status.is_success(), "revoking display links: {status}");
    browser::wait_text(&d, "#body", "no longer works", TIMEOUT).await?;
    audit.check(&d, "presenter revoked").await?;

    d.quit().await?;
    audit.finish("presenter")
}

/// The presenter with the stress meeting: the join screen with the loopback warning, eight
/// long choices with their tally, right-to-left and CJK choices, a crowded word cloud.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_a11y_presenter_stress() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("a11y-present-stress").await?;
    let file = stress_file()?;
    let meeting = import_stress(&ts, &file).await?;
    let mut org = Org::connect(&ts, meeting).await?;
    let mut people = crowd(&ts, meeting, &file.code, 6).await?;
    let token = ts.display_token(meeting).await?;
    let d = chromium.session(Size::Projector, "en").await?;
    let mut audit = Auditor::new(Size::Projector);

    d.goto(ts.url(&format!("/present.html?meeting={meeting}&token={token}")))
        .await?;
    browser::wait_text(&d, "#loopback", "LIBREKAST_PUBLIC_URL", TIMEOUT).await?;
    audit.check(&d, "presenter stress join screen").await?;

    org.go(&["start", "next", "start"], "ongoing").await?;
    crowd_votes(&mut people, "initiatives").await?;
    browser::wait_text(&d, "#answered", "6 answers", TIMEOUT).await?;
    audit.check(&d, "presenter stress poll tallied").await?;
    org.go(&["next", "start"], "ongoing").await?;
    browser::wait_for(&d, "#bars .bar-row.waiting", TIMEOUT).await?;
    audit.check(&d, "presenter stress quiz open").await?;
    org.go(&["next", "start"], "ongoing").await?;
    crowd_votes(&mut people, "مرحبا").await?;
    org.go(&["results"], "results").await?;
    browser::wait_text(&d, "#answered", "Closed", TIMEOUT).await?;
    audit
        .check(&d, "presenter stress right-to-left results")
        .await?;
    org.go(&["next", "start"], "ongoing").await?;
    crowd_words(
        &mut people,
        "three words",
        &[
            "momentum", "chaotic", "ship it", "計画", "تقدم", "🎉", "busy", "hiring", "growth",
        ],
    )
    .await?;
    browser::wait_for(&d, "#cloud .cloud-word", TIMEOUT).await?;
    audit.check(&d, "presenter stress word cloud").await?;

    d.quit().await?;
    audit.finish("presenter, stress")
}
