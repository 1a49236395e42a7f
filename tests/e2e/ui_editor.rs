//! The meetings page and the meeting editor in Debian's Chromium, end to end through the real
//! pages and checked through the API:
//!
//! - authoring: a new meeting with a Markdown slide (the server's preview renders it and
//!   shows `<script>` as text), a poll with generated slugs and a quiz with its correct
//!   choice, saved as entered; reordered by keyboard and by drag and saved with the same
//!   ids; a validation error shown next to its field; GIFT questions appended; unsaved
//!   changes restored after a reload;
//! - a running meeting: the activities it reached are locked in the editor, and an edit to
//!   the next one reaches the staff screens and the participants at once;
//! - the meetings page: the empty state, importing a meeting file (the stress meeting), the
//!   running / upcoming / finished tabs, duplicate, reset and delete behind their
//!   confirmations, sharing.
//!
//! Every state worth seeing is audited with axe in both themes and screenshotted at
//! 390×844 and 1440×900: `target/screenshots/editor-*` and `meetings-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_tests::browser::{self, Size};
use librekast_tests::browser::{js, wait_js};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use thirtyfour::prelude::*;

const STRESS: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/fixtures/meetings/stress-content.json"
);

async fn js_with(d: &WebDriver, script: &str, arg: Value) -> anyhow::Result<Value> {
    Ok(d.execute(script, vec![arg]).await?.json().clone())
}

/// A JSON call with the admin's bearer token: its status and body.
/// Replaces a field's text the way a person does: select all, type over it.
async fn replace(d: &WebDriver, css: &str, text: &str) -> anyhow::Result<()> {
    let field = browser::wait_for(d, css, TIMEOUT).await?;
    d.execute(
        "arguments[0].focus(); arguments[0].select();",
        vec![field.to_json()?],
    )
    .await?;
    if text.is_empty() {
        field.send_keys(Key::Backspace).await?;
    } else {
        field.send_keys(text).await?;
    }
    Ok(())
}

fn card(n: usize) -> String {
    format!("#activities > li:nth-child({n})")
}

fn choice(n: usize, j: usize, role: &str) -> String {
    format!("{} .choice-row:nth-child({j}) [data-role={role}]", card(n))
}

/// The kinds of the editor's activity cards, in order (`locked` for read-only ones).
async fn kinds(d: &WebDriver) -> anyhow::Result<Vec<String>> {
    let v = js(
        d,
        "return [...document.querySelectorAll('#activities > li')].map((li) => li.querySelector('select')?.value || 'locked');",
    )
    .await?;
    Ok(serde_json::from_value(v)?)
}

async fn wait_kinds(d: &WebDriver, want: &[&str]) -> anyhow::Result<()> {
    let deadline = std::time::Instant::now() + TIMEOUT;
    loop {
        let got = kinds(d).await?;
        if got == want {
            return Ok(());
        }
        ensure!(
            std::time::Instant::now() < deadline,
            "activities are {got:?}, not {want:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks a control after scrolling it to the middle of the screen, as a person would: at
/// the edge it may sit under the sticky top bar.
async fn press(d: &WebDriver, css: &str) -> anyhow::Result<()> {
    let target = browser::wait_for(d, css, TIMEOUT).await?;
    d.execute(
        "arguments[0].scrollIntoView({block: 'center'});",
        vec![target.to_json()?],
    )
    .await?;
    browser::click(d, css, TIMEOUT).await
}

async fn save_and_wait(d: &WebDriver) -> anyhow::Result<()> {
    browser::click(d, "#save", TIMEOUT).await?;
    browser::wait_text(d, "#save-state", "Saved at", TIMEOUT).await?;
    Ok(())
}

/// Two animation frames and the fonts: what a screenshot needs to show the final layout.
async fn settle(d: &WebDriver) -> anyhow::Result<()> {
    d.execute(
        "return document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r(true)))));",
        vec![],
    )
    .await?;
    Ok(())
}

/// Nothing sticks out sideways.
async fn fits(d: &WebDriver, size: Size, what: &str) -> anyhow::Result<()> {
    let width = js(d, "return document.documentElement.scrollWidth;").await?;
    let max = size.viewport().0;
    ensure!(
        width.as_u64().unwrap_or(u64::MAX) <= u64::from(max),
        "{what} is {width} px wide at {max} px"
    );
    Ok(())
}

/// Sets the theme with the top bar's button, as a visitor does.
async fn theme(d: &WebDriver, want: &str) -> anyhow::Result<()> {
    let now = js_with(
        d,
        r#"const want = arguments[0];
        const now = () => document.documentElement.dataset.theme
          || (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
        if (now() !== want) document.getElementById('theme').click();
        return now();"#,
        json!(want),
    )
    .await?;
    ensure!(now == want, "theme is {now}");
    Ok(())
}

/// Screenshots the page at phone and laptop size (scrolled to `scroll_to`, a CSS selector,
/// or the top), checking that it fits each; leaves the laptop size on.
async fn shots(d: &WebDriver, name: &str, scroll_to: Option<&str>) -> anyhow::Result<()> {
    for (size, tag) in [
        (Size::Projector, "projector"),
        (Size::Mobile, "mobile"),
        (Size::Laptop, "laptop"),
    ] {
        browser::resize(d, size).await?;
        fits(d, size, name).await?;
        match scroll_to {
            Some(css) => {
                js_with(
                    d,
                    "document.querySelector(arguments[0]).scrollIntoView({block: 'start'}); window.scrollBy(0, -90);",
                    json!(css),
                )
                .await?
            }
            None => js(d, "window.scrollTo(0, 0);").await?,
        };
        settle(d).await?;
        browser::screenshot(d, &format!("{name}-{tag}")).await?;
    }
    Ok(())
}

/// axe at both sizes in both themes; ends at laptop size in the light theme.
async fn audit(d: &WebDriver, state: &str) -> anyhow::Result<()> {
    for size in [Size::Mobile, Size::Laptop] {
        browser::resize(d, size).await?;
        for t in ["dark", "light"] {
            theme(d, t).await?;
            browser::axe_audit(d, &format!("{state}, {size:?}, {t}")).await?;
        }
    }
    Ok(())
}

/// Script errors, except the failed answers the test asked for, which the browser logs too:
/// a 401 is how a page learns to show the login form, a 400 the invalid plan, a 404 the
/// unknown user name a meeting was shared with, a 409 an edit the meeting overtook.
async fn no_script_errors(d: &WebDriver) -> anyhow::Result<()> {
    browser::assert_no_alert(d).await?;
    let errors: Vec<String> = browser::js_errors(d)
        .await?
        .into_iter()
        .filter(|e| {
            ![
                "status of 401",
                "status of 400",
                "status of 404",
                "status of 409",
            ]
            .iter()
            .any(|s| e.contains(s))
        })
        .collect();
    ensure!(errors.is_empty(), "script errors: {errors:?}");
    Ok(())
}

struct Editor {
    ts: TestServer,
    admin: String,
    d: WebDriver,
}

impl Editor {
    /// A server, and a laptop-sized browser logged in as admin on `path`.
    async fn open(chromium: &browser::Chromium, tag: &str, path: &str) -> anyhow::Result<Editor> {
        let ts = TestServer::start(tag).await?;
        Editor::on(chromium, ts, path).await
    }

    async fn on(
        chromium: &browser::Chromium,
        ts: TestServer,
        path: &str,
    ) -> anyhow::Result<Editor> {
        let admin = ts.admin_token().await?;
        let password = ts.server.admin_password.clone().context("admin password")?;
        let d = chromium.session(Size::Laptop, "en").await?;
        d.goto(ts.url(path)).await?;
        browser::log_in_admin(&d, &password, TIMEOUT).await?;
        Ok(Editor { ts, admin, d })
    }

    async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> anyhow::Result<(StatusCode, Value)> {
        self.ts.call(method, path, &self.admin, body).await
    }

    async fn plan(&self, meeting: i64) -> anyhow::Result<Value> {
        let (status, plan) = self
            .ts
            .call(
                Method::GET,
                &format!("/api/meetings/{meeting}/plan"),
                &self.admin,
                None,
            )
            .await?;
        ensure!(status == StatusCode::OK, "plan: {status} {plan}");
        Ok(plan)
    }

    async fn close(self) -> anyhow::Result<()> {
        no_script_errors(&self.d).await?;
        self.d.quit().await?;
        self.ts.server.shutdown().await;
        Ok(())
    }
}

fn ids(plan: &Value) -> Vec<i64> {
    plan["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["id"].as_i64())
        .collect()
}

fn plan_kinds(plan: &Value) -> Vec<String> {
    plan["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| a["kind"].as_str().unwrap_or("?").to_string())
        .collect()
}

// ---- Authoring ----------------------------------------------------------------------------

/// Settings: the join code warning, then a generated code without look-alikes.
async fn settings(d: &WebDriver) -> anyhow::Result<()> {
    replace(d, "#s-title", "Friday quiz — written in the editor").await?;
    replace(d, "#s-code", "SO1").await?;
    let warn = browser::wait_text(d, "#s-code-warn", "Easily misread", TIMEOUT).await?;
    let text = warn.text().await?;
    ensure!(
        text.contains("“S”") && text.contains("“O”") && text.contains("“1”"),
        "{text}"
    );
    ensure!(text.contains("at least 4 characters"), "{text}");
    browser::click(d, "#gen-code", TIMEOUT).await?;
    let code = wait_js(
        d,
        "const c = document.querySelector('#s-code').value; return c !== 'SO1' && document.querySelector('#s-code-warn').textContent === '' && c;",
        "a generated code without a warning",
    )
    .await?;
    let code = code.as_str().unwrap_or_default();
    ensure!(code.len() == 6, "{code}");
    ensure!(
        !code.chars().any(|c| "0O1lI5S2Z8B".contains(c)),
        "look-alikes in {code}"
    );
    Ok(())
}

/// The first slide in Markdown, previewed by the server.
async fn markdown_slide(d: &WebDriver) -> anyhow::Result<()> {
    replace(d, &format!("{} [data-role=title]", card(1)), "Welcome").await?;
    browser::click(
        d,
        &format!("{} label[for$='-markup-markdown']", card(1)),
        TIMEOUT,
    )
    .await?;
    replace(
        d,
        &format!("{} [data-role=desc]", card(1)),
        "**Hello** <script>alert(1)</script> see [the docs](https://example.org/docs)",
    )
    .await?;
    browser::click(d, &format!("{} [data-preview]", card(1)), TIMEOUT).await?;
    let preview = wait_js(
        d,
        &format!(
            "const p = document.querySelector('{} .preview'); const s = p && p.querySelector('strong');
             return s && {{ strong: s.textContent, scripts: p.querySelectorAll('script').length, text: p.textContent,
               link: p.querySelector('a')?.getAttribute('href') }};",
            card(1)
        ),
        "the server's preview",
    )
    .await?;
    ensure!(preview["strong"] == "Hello", "{preview}");
    ensure!(preview["scripts"] == 0, "a script element in {preview}");
    ensure!(
        preview["text"]
            .as_str()
            .is_some_and(|t| t.contains("<script>alert(1)</script>")),
        "{preview}"
    );
    ensure!(preview["link"] == "https://example.org/docs", "{preview}");
    Ok(())
}

async fn poll_and_quiz(d: &WebDriver) -> anyhow::Result<()> {
    browser::click(d, "[data-add=poll]", TIMEOUT).await?;
    replace(
        d,
        &format!("{} [data-role=title]", card(2)),
        "Favourite language?",
    )
    .await?;
    replace(d, &choice(2, 1, "choice-text"), "Rust").await?;
    replace(d, &choice(2, 2, "choice-text"), "Python").await?;
    browser::click(d, &format!("{} [data-add-choice]", card(2)), TIMEOUT).await?;
    replace(d, &choice(2, 3, "choice-text"), "Go").await?;
    let slugs = js(
        d,
        &format!(
            "return [...document.querySelectorAll('{} [data-role=slug]')].map((s) => s.placeholder);",
            card(2)
        ),
    )
    .await?;
    ensure!(slugs == json!(["a", "b", "c"]), "generated slugs {slugs}");
    // An author's own slug; the others stay generated.
    replace(d, &choice(2, 3, "slug"), "go").await?;

    browser::click(d, "[data-add=quiz]", TIMEOUT).await?;
    replace(d, &format!("{} [data-role=title]", card(3)), "2 + 2?").await?;
    replace(d, &choice(3, 1, "choice-text"), "3").await?;
    replace(d, &choice(3, 2, "choice-text"), "4").await?;
    browser::click(d, &choice(3, 2, "correct"), TIMEOUT).await?;
    wait_kinds(d, &["text", "poll", "quiz"]).await
}

/// Ctrl+S saves a new meeting with POST; the page then edits it (`?meeting=ID`).
async fn first_save(e: &Editor) -> anyhow::Result<i64> {
    let d = &e.d;
    browser::wait_text(d, "#save-state", "Unsaved changes", TIMEOUT).await?;
    d.action_chain()
        .key_down(Key::Control)
        .send_keys("s")
        .key_up(Key::Control)
        .perform()
        .await?;
    let id = wait_js(
        d,
        "const m = new URLSearchParams(location.search).get('meeting'); return m && Number(m);",
        "the new meeting's id in the address",
    )
    .await?
    .as_i64()
    .context("meeting id")?;
    browser::wait_text(d, "#save-state", "Saved at", TIMEOUT).await?;
    let plan = e.plan(id).await?;
    ensure!(
        plan["title"] == "Friday quiz — written in the editor",
        "{plan}"
    );
    ensure!(plan_kinds(&plan) == ["text", "poll", "quiz"], "{plan}");
    let slide = &plan["activities"][0];
    ensure!(slide["markup"] == "markdown", "{slide}");
    ensure!(
        slide["description"]
            == "**Hello** <script>alert(1)</script> see [the docs](https://example.org/docs)",
        "{slide}"
    );
    let poll = &plan["activities"][1];
    let slugs: Vec<&str> = poll["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["slug"].as_str())
        .collect();
    ensure!(slugs == ["a", "b", "go"], "{poll}");
    let quiz = &plan["activities"][2];
    let correct: Vec<bool> = quiz["choices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["correct"] == true)
        .collect();
    ensure!(correct == [false, true], "{quiz}");
    ensure!(ids(&plan).len() == 3, "ids in {plan}");
    Ok(id)
}

/// Alt+↑ in the quiz's title moves it up; a drag (the HTML5 events a mouse makes) moves the
/// slide to the end. Saved, the activities keep their ids in the new order.
async fn reorder(e: &Editor, meeting: i64) -> anyhow::Result<()> {
    let d = &e.d;
    let before = ids(&e.plan(meeting).await?);
    let title = browser::wait_for(d, &format!("{} [data-role=title]", card(3)), TIMEOUT).await?;
    title.click().await?;
    title.send_keys(Key::Alt + Key::Up).await?;
    wait_kinds(d, &["text", "quiz", "poll"]).await?;
    browser::wait_text(d, "#announce", "moved to position 2 of 3", TIMEOUT).await?;
    let focused = js(d, "return document.activeElement.dataset.role;").await?;
    ensure!(focused == "title", "focus left the title: {focused}");

    js(
        d,
        r#"const grip = document.querySelector('#activities > li:nth-child(1) [data-grip]');
        const target = document.querySelector('#activities > li:nth-child(3)');
        const dt = new DataTransfer();
        const r = target.getBoundingClientRect();
        const at = { bubbles: true, cancelable: true, dataTransfer: dt, clientX: r.left + 40, clientY: r.bottom - 10 };
        grip.dispatchEvent(new DragEvent('dragstart', at));
        target.dispatchEvent(new DragEvent('dragenter', at));
        target.dispatchEvent(new DragEvent('dragover', at));
        target.dispatchEvent(new DragEvent('drop', at));
        grip.dispatchEvent(new DragEvent('dragend', at));"#,
    )
    .await?;
    wait_kinds(d, &["quiz", "poll", "text"]).await?;
    save_and_wait(d).await?;
    let after = e.plan(meeting).await?;
    ensure!(plan_kinds(&after) == ["quiz", "poll", "text"], "{after}");
    ensure!(
        ids(&after) == [before[2], before[1], before[0]],
        "ids {before:?} became {:?}",
        ids(&after)
    );
    Ok(())
}

/// An empty quiz choice: the server's message appears next to that field, marked invalid,
/// and in the summary at the top whose link leads to it.
async fn validation_error(e: &Editor) -> anyhow::Result<()> {
    let d = &e.d;
    replace(d, &choice(1, 1, "choice-text"), "").await?;
    browser::click(d, "#save", TIMEOUT).await?;
    let shown = wait_js(
        d,
        r#"const i = document.querySelector('#activities > li:nth-child(1) .choice-row:nth-child(1) [data-role=choice-text]');
        const e = document.getElementById(i.id + '-error');
        return i.getAttribute('aria-invalid') === 'true' && e && e.textContent
          && { message: e.textContent, described: i.getAttribute('aria-describedby').split(' ').includes(e.id),
               same_row: i.closest('.choice-row').contains(e), id: i.id,
               summary: document.querySelector('#error-summary a')?.dataset.goto,
               focus: document.activeElement.id };"#,
        "the error next to the empty choice",
    )
    .await?;
    ensure!(shown["message"] == "Every choice needs a text.", "{shown}");
    let summary = browser::text(d, "#error-summary li", TIMEOUT).await?;
    ensure!(
        summary == "Activity 1 · Choice 1: Every choice needs a text.",
        "{summary}"
    );
    ensure!(
        shown["described"] == true && shown["same_row"] == true,
        "{shown}"
    );
    ensure!(shown["summary"] == shown["id"], "{shown}");
    ensure!(
        shown["focus"] == "error-summary",
        "the summary takes focus: {shown}"
    );
    browser::wait_text(d, "#save-state", "fix the problems", TIMEOUT).await?;
    shots(d, "editor-errors", Some("#error-summary")).await?;
    shots(
        d,
        "editor-error-field",
        Some(&format!("{} .ed-choices", card(1))),
    )
    .await?;
    js(d, "window.scrollTo(0, 0);").await?;
    audit(d, "editor with a validation error").await?;

    browser::click(d, "#error-summary a", TIMEOUT).await?;
    let focused = js(d, "return document.activeElement.id;").await?;
    ensure!(focused == shown["id"], "the summary link focuses {focused}");
    d.active_element().await?.send_keys("3").await?;
    wait_js(
        d,
        "return document.querySelector('#error-summary').classList.contains('hidden');",
        "the summary empties once the field changes",
    )
    .await?;
    save_and_wait(d).await
}

const GIFT: &str = "// Geography\n::Capital:: What is the capital of France? {~Lyon =Paris ~Marseille}\n\nThe sun is a star. {T}\n\nMatch the pairs. {=cat -> meow =dog -> woof}\n";

async fn gift_import(e: &Editor, meeting: i64) -> anyhow::Result<()> {
    let d = &e.d;
    press(d, "#gift-open").await?;
    let area = browser::wait_for(d, "#gift-text", TIMEOUT).await?;
    js_with(
        d,
        "const a = document.querySelector('#gift-text'); a.value = arguments[0]; a.dispatchEvent(new Event('input'));",
        json!(GIFT),
    )
    .await?;
    area.send_keys(Key::End).await?;
    browser::click(d, "#gift-add", TIMEOUT).await?;
    let note = browser::wait_text(d, "#banner-gift", "2 activities added", TIMEOUT).await?;
    let text = note.text().await?;
    ensure!(
        text.contains("1 question was skipped") && text.contains("line 6"),
        "{text}"
    );
    wait_kinds(d, &["quiz", "poll", "text", "quiz", "quiz"]).await?;
    shots(d, "editor-gift", Some("#banner-gift")).await?;
    save_and_wait(d).await?;
    let plan = e.plan(meeting).await?;
    let titles: Vec<&str> = plan["activities"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|a| a["title"].as_str())
        .collect();
    ensure!(
        titles[3..] == ["What is the capital of France?", "The sun is a star."],
        "{titles:?}"
    );
    Ok(())
}

/// Unsaved changes survive a reload: the page offers them back.
async fn draft_restore(e: &Editor, meeting: i64) -> anyhow::Result<()> {
    let d = &e.d;
    replace(d, "#s-title", "A title nobody saved").await?;
    wait_js(
        d,
        &format!(
            "return (localStorage.getItem('librekast.editor.draft.{meeting}') || '').includes('A title nobody saved');"
        ),
        "the draft in this browser",
    )
    .await?;
    d.refresh().await?;
    browser::wait_text(d, "#banner-draft", "Restore unsaved changes from", TIMEOUT).await?;
    let stored = js(d, "return document.querySelector('#s-title').value;").await?;
    ensure!(
        stored == "Friday quiz — written in the editor",
        "before restoring: {stored}"
    );
    shots(d, "editor-draft", None).await?;
    browser::click(d, "#draft-restore", TIMEOUT).await?;
    wait_js(
        d,
        "return document.querySelector('#s-title').value === 'A title nobody saved';",
        "the restored title",
    )
    .await?;
    browser::wait_text(d, "#save-state", "Unsaved changes", TIMEOUT).await?;
    save_and_wait(d).await?;
    ensure!(
        e.plan(meeting).await?["title"] == "A title nobody saved",
        "restored edits saved"
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_editor_authoring() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let e = Editor::open(&chromium, "ui-editor-author", "/editor.html").await?;
    let d = &e.d;
    browser::wait_for(d, "#editor #s-title", TIMEOUT).await?;
    shots(d, "editor-new", None).await?;
    audit(d, "new meeting in the editor").await?;
    settings(d).await?;
    markdown_slide(d).await?;
    poll_and_quiz(d).await?;
    shots(d, "editor-activities", Some("#activities-card")).await?;
    let meeting = first_save(&e).await?;
    reorder(&e, meeting).await?;
    validation_error(&e).await?;
    gift_import(&e, meeting).await?;
    draft_restore(&e, meeting).await?;
    e.close().await
}

// ---- A running meeting --------------------------------------------------------------------

fn running_plan() -> Value {
    json!({
        "title": "Live edits", "code": "RUN4X7",
        "activities": [
            {"kind": "text", "title": "Welcome", "description": "Phones out!"},
            {"kind": "poll", "title": "Tea or coffee?", "choices": [{"text": "Tea"}, {"text": "Coffee"}]},
            {"kind": "quiz", "title": "2 + 2?", "choices": [{"text": "3"}, {"text": "4", "correct": true}]},
            {"kind": "wordcloud", "title": "One word?"}
        ],
        "flags": [{"name": "Under the desk", "code": "desk-42", "points": 5, "first_blood": 2}],
        // Not edited on this page: a save must keep them as they are.
        "chat": {"vote_prefix": "%", "command_prefix": "!", "bot_prefix": "🤖 "},
        "bots": [{"kind": "command", "name": "discord", "reply": "Join us, {user}"}]
    })
}

/// The meeting reached its second activity; someone joined.
async fn run_to_second(
    ts: &TestServer,
    admin: &str,
    meeting: i64,
) -> anyhow::Result<(Client, Client)> {
    let mut staff = ts.connect(meeting, admin).await?;
    ok(&staff.control("start").await?)?;
    staff.wait_status("ongoing").await.context("started")?;
    ok(&staff.control("next").await?)?;
    staff
        .wait_state(|s| s["position"] == 1)
        .await
        .context("at the second activity")?;
    let (_, token) = ts.join(meeting, "RUN4X7", "Ada").await?;
    let mut ada = ts.connect(meeting, &token).await?;
    ada.wait_state(|s| s["position"] == 1)
        .await
        .context("Ada sees the second activity")?;
    Ok((staff, ada))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_editor_running_meeting() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-editor-running").await?;
    let admin = ts.admin_token().await?;
    let (status, created) = ts
        .call(Method::POST, "/api/meetings", &admin, Some(running_plan()))
        .await?;
    ensure!(status == StatusCode::CREATED, "{status} {created}");
    let meeting = created["id"].as_i64().context("id")?;
    let (mut staff, mut ada) = run_to_second(&ts, &admin, meeting).await?;

    let e = Editor::on(&chromium, ts, &format!("/editor.html?meeting={meeting}")).await?;
    let d = &e.d;
    wait_kinds(d, &["locked", "locked", "quiz", "wordcloud"]).await?;
    let note = browser::wait_text(
        d,
        "#banner-running",
        "reaches every screen at once",
        TIMEOUT,
    )
    .await?;
    ensure!(
        note.text()
            .await?
            .contains("Activities 1–2 were already shown"),
        "{}",
        note.text().await?
    );
    let locked = js(
        d,
        r#"return [...document.querySelectorAll('#activities > li.locked')].map((li) => ({
          badge: li.querySelector('.lock-badge')?.textContent, inputs: li.querySelectorAll('input, select, textarea, button').length }));"#,
    )
    .await?;
    ensure!(
        locked
            == json!([{"badge": "Already shown — locked", "inputs": 0}, {"badge": "Already shown — locked", "inputs": 0}]),
        "{locked}"
    );
    // Nothing moves into the locked part.
    let up = js(
        d,
        &format!(
            "return document.querySelector('{} [data-move=up]').disabled;",
            card(3)
        ),
    )
    .await?;
    ensure!(up == true, "the first open activity cannot move up");
    shots(d, "editor-running", None).await?;
    shots(d, "editor-locked", Some("#activities-card")).await?;
    js(d, "window.scrollTo(0, 0);").await?;
    audit(d, "editor of a running meeting").await?;

    // An edit to the next activity reaches every screen at once.
    replace(
        d,
        &format!("{} [data-role=title]", card(3)),
        "Edited live: 2 + 2?",
    )
    .await?;
    save_and_wait(d).await?;
    staff
        .wait_state(|s| s["plan"][2]["title"] == "Edited live: 2 + 2?")
        .await
        .context("the staff screens get the edit")?;
    let (_, stored) =
        e.ts.call(
            Method::GET,
            &format!("/api/meetings/{meeting}/plan"),
            &admin,
            None,
        )
        .await?;
    ensure!(
        stored["chat"]["vote_prefix"] == "%" && stored["bots"][0]["name"] == "discord",
        "the editor kept the chat rules and the bots: {stored}"
    );
    ok(&staff.control("next").await?)?;
    staff.wait_state(|s| s["position"] == 2).await?;
    ok(&staff.control("start").await?)?;
    let shown = ada
        .wait_state(|s| s["position"] == 2 && s["question"]["title"] == "Edited live: 2 + 2?")
        .await
        .context("the participant gets the edited activity")?;
    ensure!(shown["question"]["kind"] == "quiz", "{shown}");
    // The editor follows the meeting: the quiz is now locked too.
    wait_kinds(d, &["locked", "locked", "locked", "wordcloud"]).await?;
    too_late(&e, &mut staff).await?;
    e.close().await
}

/// An edit to an activity the meeting reaches before the save: refused (409), the stored
/// plan comes back, and the edits can still become a meeting of their own.
async fn too_late(e: &Editor, staff: &mut Client) -> anyhow::Result<()> {
    let d = &e.d;
    replace(
        d,
        &format!("{} [data-role=title]", card(4)),
        "Edited too late",
    )
    .await?;
    ok(&staff.control("next").await?)?;
    staff.wait_state(|s| s["position"] == 3).await?;
    press(d, "#save").await?;
    let note = browser::wait_text(d, "#banner-conflict", "the meeting moved on", TIMEOUT).await?;
    ensure!(
        note.text()
            .await?
            .contains("Activity 4 was shown to the audience"),
        "{}",
        note.text().await?
    );
    wait_kinds(d, &["locked", "locked", "locked", "locked"]).await?;
    let title = js(
        d,
        &format!(
            "return document.querySelector('{} .locked-title').textContent;",
            card(4)
        ),
    )
    .await?;
    ensure!(title == "One word?", "the stored plan is back: {title}");
    shots(d, "editor-conflict", Some("#banner-conflict")).await?;
    press(d, "#conflict-copy").await?;
    browser::wait_text(
        d,
        "#banner-conflict-copy",
        "saved as a new meeting",
        TIMEOUT,
    )
    .await?;
    let (_, list) = e
        .call(Method::GET, "/api/meetings?status=all", None)
        .await?;
    let copy = list
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["title"] == "Live edits (my edits)")
        .and_then(|m| m["id"].as_i64())
        .context("the kept edits as a meeting")?;
    let plan = e.plan(copy).await?;
    ensure!(
        plan["activities"][3]["title"] == "Edited too late",
        "{plan}"
    );
    Ok(())
}

// ---- The meetings page --------------------------------------------------------------------

/// The row of a meeting on the meetings page.
fn row(meeting: i64) -> String {
    format!("#meeting-list li[data-meeting='{meeting}']")
}

/// Opens a row's "More" menu and picks an action.
async fn menu_action(d: &WebDriver, meeting: i64, action: &str) -> anyhow::Result<()> {
    browser::click(d, &format!("{} .mt-more", row(meeting)), TIMEOUT).await?;
    browser::click(
        d,
        &format!("{} [data-action={action}]", row(meeting)),
        TIMEOUT,
    )
    .await
}

async fn listing(e: &Editor) -> anyhow::Result<Vec<Value>> {
    let (status, list) = e
        .call(Method::GET, "/api/meetings?status=all", None)
        .await?;
    ensure!(status == StatusCode::OK, "{status} {list}");
    Ok(list.as_array().cloned().unwrap_or_default())
}

async fn tab_counts(d: &WebDriver) -> anyhow::Result<Value> {
    js(
        d,
        "return Object.fromEntries(['running', 'upcoming', 'finished', 'all'].map((t) => [t, Number(document.querySelector('#count-' + t).textContent)]));",
    )
    .await
}

/// A meeting created through the API, then started (and ended) through the protocol.
async fn meeting_in(e: &Editor, title: &str, end: bool) -> anyhow::Result<i64> {
    let mut plan = running_plan();
    plan["title"] = json!(title);
    let (status, created) = e.call(Method::POST, "/api/meetings", Some(plan)).await?;
    ensure!(status == StatusCode::CREATED, "{status} {created}");
    let id = created["id"].as_i64().context("id")?;
    let mut staff = e.ts.connect(id, &e.admin).await?;
    ok(&staff.control("start").await?)?;
    staff.wait_status("ongoing").await?;
    e.ts.join(id, "RUN4X7", "Grace").await?;
    if end {
        ok(&staff.control("end").await?)?;
        staff.wait_status("after").await?;
    }
    Ok(id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ui_meetings_page() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let e = Editor::open(&chromium, "ui-meetings", "/meetings.html").await?;
    let d = &e.d;
    // Only the demo meeting, upcoming: the page opens on that tab.
    browser::wait_for(d, "#meeting-list li[data-meeting]", TIMEOUT).await?;
    ensure!(
        tab_counts(d).await? == json!({"running": 0, "upcoming": 1, "finished": 0, "all": 1}),
        "{}",
        tab_counts(d).await?
    );
    let selected = js(
        d,
        "return document.querySelector('[role=tab][aria-selected=true]').id;",
    )
    .await?;
    ensure!(selected == "tab-upcoming", "{selected}");

    // Finished: nothing yet, said so. The tabs follow the arrow keys.
    browser::wait_for(d, "#tab-upcoming", TIMEOUT)
        .await?
        .send_keys(Key::Right)
        .await?;
    browser::wait_text(
        d,
        "#meeting-list .mt-empty",
        "No finished meetings yet",
        TIMEOUT,
    )
    .await?;
    let focused = js(d, "return document.activeElement.id;").await?;
    ensure!(focused == "tab-finished", "{focused}");
    shots(d, "meetings-empty", None).await?;
    audit(d, "meetings page, empty tab").await?;

    // Import a meeting file: the stress meeting (long titles, eight choices, long URLs).
    let input = d.find(By::Css("#import-file-input")).await?;
    input.send_keys(STRESS).await?;
    browser::wait_text(d, "#import-report", "Imported", TIMEOUT).await?;
    let list = listing(&e).await?;
    let stress = list
        .iter()
        .find(|m| {
            m["title"]
                .as_str()
                .is_some_and(|t| t.starts_with("Quarterly all-hands"))
        })
        .and_then(|m| m["id"].as_i64())
        .context("the imported meeting")?;
    browser::wait_for(d, &row(stress), TIMEOUT).await?;

    // One running and one finished meeting.
    let running = meeting_in(&e, "Live edits", false).await?;
    let finished = meeting_in(&e, "Last week's retro", true).await?;
    d.refresh().await?;
    wait_js(
        d,
        "return document.querySelector('#count-all').textContent === '4';",
        "four meetings",
    )
    .await?;
    ensure!(
        tab_counts(d).await? == json!({"running": 1, "upcoming": 2, "finished": 1, "all": 4}),
        "{}",
        tab_counts(d).await?
    );
    browser::click(d, "#tab-running", TIMEOUT).await?;
    browser::wait_for(d, &row(running), TIMEOUT).await?;
    let shown = js(
        d,
        "return document.querySelectorAll('#meeting-list li[data-meeting]').length;",
    )
    .await?;
    ensure!(shown == 1, "the running tab shows {shown} meetings");
    browser::click(d, "#tab-finished", TIMEOUT).await?;
    browser::wait_for(d, &row(finished), TIMEOUT).await?;
    let results = js(
        d,
        &format!(
            "return document.querySelector(\"{} [data-action=results]\").getAttribute('href');",
            row(finished)
        ),
    )
    .await?;
    ensure!(
        results == format!("/results.html?meeting={finished}"),
        "{results}"
    );
    browser::click(d, "#tab-all", TIMEOUT).await?;
    browser::wait_for(d, &row(stress), TIMEOUT).await?;
    shots(d, "meetings", None).await?;
    theme(d, "dark").await?;
    shots(d, "meetings-dark", None).await?;
    theme(d, "light").await?;
    browser::click(d, &format!("{} .mt-more", row(running)), TIMEOUT).await?;
    browser::wait_for(
        d,
        &format!("{} [data-action=delete]", row(running)),
        TIMEOUT,
    )
    .await?;
    shots(d, "meetings-menu", Some(&row(running))).await?;
    audit(d, "meetings page with its menu open").await?;
    d.active_element().await?.send_keys(Key::Escape).await?;

    // Duplicate: a copy, upcoming.
    menu_action(d, running, "duplicate").await?;
    browser::wait_text(d, "#toast", "Copied", TIMEOUT).await?;
    let copy = listing(&e)
        .await?
        .iter()
        .find(|m| m["title"] == "Live edits (copy)")
        .and_then(|m| m["id"].as_i64())
        .context("the copy")?;
    browser::wait_for(d, &row(copy), TIMEOUT).await?;

    // Reset asks first, then clears the attendees and goes back to the start.
    browser::click(d, "#tab-all", TIMEOUT).await?;
    menu_action(d, running, "reset").await?;
    let text = browser::text(d, "dialog[open] #ask-text", TIMEOUT).await?;
    ensure!(
        text.contains("Its 1 attendee goes") && text.contains("it stops now"),
        "{text}"
    );
    browser::click(d, "dialog[open] #ask-cancel", TIMEOUT).await?;
    let m = listing(&e)
        .await?
        .into_iter()
        .find(|m| m["id"] == running)
        .context("running")?;
    ensure!(
        m["attendees"] == 1 && m["status"] != "before",
        "cancelled: {m}"
    );
    menu_action(d, running, "reset").await?;
    browser::click(d, "dialog[open] #ask-ok", TIMEOUT).await?;
    browser::wait_text(d, "#toast", "ready to rehearse", TIMEOUT).await?;
    let m = listing(&e)
        .await?
        .into_iter()
        .find(|m| m["id"] == running)
        .context("running")?;
    ensure!(m["attendees"] == 0 && m["status"] == "before", "reset: {m}");

    // Delete asks for the word "delete" before it removes anything.
    menu_action(d, copy, "delete").await?;
    browser::wait_text(
        d,
        "dialog[open] #ask-title",
        "Delete “Live edits (copy)”?",
        TIMEOUT,
    )
    .await?;
    let disabled = js(d, "return document.querySelector('#ask-ok').disabled;").await?;
    ensure!(disabled == true, "delete before typing the word");
    shots(d, "meetings-delete", None).await?;
    browser::wait_for(d, "#ask-typed", TIMEOUT)
        .await?
        .send_keys("Delete")
        .await?;
    browser::click(d, "dialog[open] #ask-ok", TIMEOUT).await?;
    browser::wait_text(d, "#toast", "was deleted", TIMEOUT).await?;
    let (status, _) = e
        .call(Method::GET, &format!("/api/meetings/{copy}/plan"), None)
        .await?;
    ensure!(status == StatusCode::NOT_FOUND, "deleted meeting: {status}");
    wait_js(
        d,
        &format!("return !document.querySelector(\"{}\");", row(copy)),
        "the deleted meeting's row goes",
    )
    .await?;

    // Sharing with a staff account (an unknown name is said next to the field).
    let (status, body) = e
        .call(
            Method::POST,
            "/api/users",
            Some(json!({"username": "olga", "role": "organizer"})),
        )
        .await?;
    ensure!(status == StatusCode::CREATED, "{status} {body}");
    menu_action(d, stress, "share").await?;
    browser::wait_for(d, "#share-name", TIMEOUT)
        .await?
        .send_keys("nobody")
        .await?;
    browser::wait_for(d, "#share-name", TIMEOUT)
        .await?
        .send_keys(Key::Enter)
        .await?;
    browser::wait_text(d, "#share-name-error", "No staff account", TIMEOUT).await?;
    replace(d, "#share-name", "olga").await?;
    browser::wait_for(d, "#share-name", TIMEOUT)
        .await?
        .send_keys(Key::Enter)
        .await?;
    browser::wait_text(d, ".share-list", "olga", TIMEOUT).await?;
    browser::click(d, "#share .dialog-actions button", TIMEOUT).await?;
    browser::wait_text(d, &row(stress), "shared with olga", TIMEOUT).await?;

    // GIFT questions from the meetings page: a new meeting made of them.
    d.goto(e.ts.url("/meetings.html")).await?;
    press(d, "#import-gift").await?;
    browser::wait_for(d, "dialog[open] #gift-text", TIMEOUT).await?;
    js_with(
        d,
        "const a = document.querySelector('#gift-text'); a.value = arguments[0]; a.dispatchEvent(new Event('input'));",
        json!(GIFT),
    )
    .await?;
    press(d, "#gift-add").await?;
    wait_kinds(d, &["quiz", "quiz"]).await?;

    // The stress meeting in the editor: eight long choices, long URLs.
    d.goto(e.ts.url(&format!("/editor.html?meeting={stress}")))
        .await?;
    wait_kinds(d, &["text", "poll", "quiz", "poll", "wordcloud", "text"]).await?;
    shots(
        d,
        "editor-stress",
        Some(&format!("{} .ed-choices", card(2))),
    )
    .await?;
    theme(d, "dark").await?;
    shots(
        d,
        "editor-stress-dark",
        Some(&format!("{} .ed-choices", card(2))),
    )
    .await?;
    js(d, "window.scrollTo(0, 0);").await?;
    audit(d, "editor with the stress meeting").await?;
    // In French, whose words are longer.
    browser::click(d, "#lang", TIMEOUT).await?;
    browser::wait_text(d, "#settings-title", "Réglages", TIMEOUT).await?;
    shots(d, "editor-stress-fr", None).await?;
    d.goto(e.ts.url("/meetings.html?tab=all")).await?;
    browser::wait_text(d, "#tab-all", "Toutes", TIMEOUT).await?;
    shots(d, "meetings-fr", None).await?;
    e.close().await
}
