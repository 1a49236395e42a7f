//! The account and users pages in Debian's Chromium. An admin logs in (the login form says
//! where the first admin password is), adds an organizer through the users page and reads
//! the generated password once; the organizer logs in with it in a second browser (French,
//! phone size), changes it on the account page (a mismatch is said next to the field) and
//! signs out another session; the admin resets and removes the account through the
//! confirmation dialogs. Screenshots at 390×844 and 1440×900 go to
//! `target/screenshots/users-*` and `account-*`.

use std::time::Duration;

use anyhow::{Context, ensure};
use librekast_tests::browser::{self, Size};
use librekast_tests::browser::{js, wait_js};
use librekast_tests::*;
use reqwest::{Method, StatusCode};
use thirtyfour::prelude::*;

async fn type_into(d: &WebDriver, css: &str, text: &str) -> anyhow::Result<()> {
    let field = browser::wait_for(d, css, TIMEOUT).await?;
    field.clear().await?;
    field.send_keys(text).await?;
    Ok(())
}

async fn log_in(d: &WebDriver, username: &str, password: &str) -> anyhow::Result<()> {
    type_into(d, "#username", username).await?;
    type_into(d, "#password", password).await?;
    browser::click(d, "#login-btn", TIMEOUT).await
}

/// Nothing sticks out sideways at this size.
async fn fits(d: &WebDriver, size: Size, what: &str) -> anyhow::Result<()> {
    let width = js(d, "return document.documentElement.scrollWidth;").await?;
    let max = size.viewport().0;
    ensure!(
        width.as_u64().unwrap_or(u64::MAX) <= u64::from(max),
        "{what} is {width} px wide at {max} px"
    );
    Ok(())
}

/// Screenshots the top of the page at both sizes, checking it fits each.
async fn both_sizes(d: &WebDriver, name: &str) -> anyhow::Result<()> {
    for (size, tag) in [(Size::Mobile, "mobile"), (Size::Laptop, "laptop")] {
        browser::resize(d, size).await?;
        fits(d, size, name).await?;
        js(d, "window.scrollTo(0, 0);").await?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        browser::screenshot(d, &format!("{name}-{tag}")).await?;
    }
    Ok(())
}

/// Opens the confirmation dialog's confirm button once the dialog shows `title`.
async fn confirm(d: &WebDriver, title: &str) -> anyhow::Result<()> {
    browser::wait_text(d, "dialog[open] #ask-title", title, TIMEOUT).await?;
    browser::click(d, "dialog[open] #ask-ok", TIMEOUT).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn accounts_in_the_browser() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let ts = TestServer::start("ui-users").await?;
    let base = ts.server.url();
    let password = ts.server.admin_password.clone().context("admin password")?;

    // First start: the login form says where the admin password is.
    let admin = chromium.session(Size::Laptop, "en").await?;
    admin.goto(format!("{base}/users.html")).await?;
    browser::wait_text(&admin, "#first-run", "admin password", TIMEOUT).await?;
    browser::resize(&admin, Size::Mobile).await?;
    browser::screenshot(&admin, "users-login-first-run-mobile").await?;
    browser::resize(&admin, Size::Laptop).await?;
    log_in(&admin, "admin", &password).await?;
    browser::wait_text(&admin, "#users tr[data-user='admin']", "admin", TIMEOUT).await?;

    // Add an organizer; the generated password is shown once.
    type_into(&admin, "#new-username", "olga").await?;
    browser::click(&admin, "#add-submit", TIMEOUT).await?;
    browser::wait_text(&admin, "#created-title", "olga", TIMEOUT).await?;
    let generated = wait_js(
        &admin,
        "const v = document.querySelector('#created .secret-value'); return v && v.value;",
        "the generated password",
    )
    .await?;
    let generated = generated.as_str().context("a password")?.to_string();
    ensure!(generated.len() == 19, "{generated}");
    browser::wait_text(&admin, "#users tr[data-user='olga']", "Organizer", TIMEOUT).await?;
    // A second account with the same name is refused next to the field.
    type_into(&admin, "#new-username", "olga").await?;
    browser::click(&admin, "#add-submit", TIMEOUT).await?;
    browser::wait_text(&admin, "#new-username-error", "already", TIMEOUT).await?;
    type_into(&admin, "#new-username", "Zoé Martin").await?;
    browser::click(&admin, "#add-submit", TIMEOUT).await?;
    browser::wait_text(&admin, "#users tr[data-user='Zoé Martin']", "Zoé", TIMEOUT).await?;
    both_sizes(&admin, "users").await?;
    browser::axe_audit(&admin, "users page, laptop").await?;
    browser::click(&admin, "#theme", TIMEOUT).await?;
    browser::resize(&admin, Size::Mobile).await?;
    js(
        &admin,
        "document.querySelector('#add-title').scrollIntoView();",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser::screenshot(&admin, "users-add-dark-mobile").await?;
    browser::axe_audit(&admin, "users page, mobile, dark").await?;
    browser::click(&admin, "#theme", TIMEOUT).await?;
    browser::resize(&admin, Size::Laptop).await?;

    // The organizer, in another browser: French, on a phone.
    let olga = chromium.session(Size::Mobile, "fr").await?;
    olga.goto(format!("{base}/account.html")).await?;
    log_in(&olga, "olga", &generated).await?;
    browser::wait_text(&olga, "#whoami", "olga", TIMEOUT).await?;
    browser::wait_text(
        &olga,
        "#sessions .session.current",
        "Ce navigateur",
        TIMEOUT,
    )
    .await?;
    // The users page is for admins only.
    olga.goto(format!("{base}/users.html")).await?;
    browser::wait_text(&olga, "#not-admin", "Réservé aux admins", TIMEOUT).await?;
    olga.goto(format!("{base}/account.html")).await?;

    // A new password: a mismatch is said next to the field, then the change goes through.
    type_into(&olga, "#pw-current", &generated).await?;
    type_into(&olga, "#pw-new", "olga's new password").await?;
    type_into(&olga, "#pw-confirm", "olga's new passwrod").await?;
    browser::click(&olga, "#pw-submit", TIMEOUT).await?;
    browser::wait_text(&olga, "#pw-confirm-error", "diffèrent", TIMEOUT).await?;
    type_into(&olga, "#pw-confirm", "olga's new password").await?;
    browser::click(&olga, "#pw-submit", TIMEOUT).await?;
    browser::wait_text(&olga, "#pw-toast", "Mot de passe changé", TIMEOUT).await?;
    ensure!(ts.login("olga", &generated).await.is_err(), "old password");

    // Another session of hers (a phone elsewhere), signed out from this page.
    let elsewhere = ts.login("olga", "olga's new password").await?;
    olga.refresh().await?;
    wait_js(
        &olga,
        "return document.querySelectorAll('#sessions .session').length === 2;",
        "two sessions listed",
    )
    .await?;
    both_sizes(&olga, "account").await?;
    browser::axe_audit(&olga, "account page, laptop, French").await?;
    browser::resize(&olga, Size::Mobile).await?;
    js(
        &olga,
        "document.querySelector('#sessions-title').scrollIntoView();",
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    browser::screenshot(&olga, "account-sessions-mobile").await?;
    browser::click(&olga, "#sessions button[data-end]", TIMEOUT).await?;
    browser::wait_text(&olga, "#sessions-toast", "déconnectée", TIMEOUT).await?;
    wait_js(
        &olga,
        "return document.querySelectorAll('#sessions .session').length === 1;",
        "one session left",
    )
    .await?;
    let (status, _) = ts.bearer(Method::GET, "/api/me", &elsewhere).await?;
    ensure!(status == StatusCode::UNAUTHORIZED, "the signed-out session");

    // The admin resets her password: asked first, then shown once; her browser is out.
    admin.refresh().await?;
    browser::click(&admin, "#users button[data-reset='olga']", TIMEOUT).await?;
    confirm(&admin, "Reset the password of olga?").await?;
    browser::wait_text(
        &admin,
        "dialog[open] #ask-title",
        "New password for olga",
        TIMEOUT,
    )
    .await?;
    let reset = wait_js(
        &admin,
        "const v = document.querySelector('dialog[open] .secret-value'); return v && v.value;",
        "the new password",
    )
    .await?;
    let reset = reset.as_str().context("a password")?.to_string();
    browser::resize(&admin, Size::Mobile).await?;
    browser::screenshot(&admin, "users-reset-dialog-mobile").await?;
    browser::resize(&admin, Size::Laptop).await?;
    browser::screenshot(&admin, "users-reset-dialog-laptop").await?;
    browser::axe_audit(&admin, "users page, new password dialog").await?;
    browser::click(&admin, "dialog[open] #ask-ok", TIMEOUT).await?;
    ts.login("olga", &reset).await?;
    olga.refresh().await?;
    browser::wait_for(&olga, "#login-panel #username", TIMEOUT).await?;

    // Removing asks first; cancelling keeps the account.
    browser::click(&admin, "#users button[data-remove='olga']", TIMEOUT).await?;
    browser::wait_text(&admin, "dialog[open] #ask-title", "Remove olga?", TIMEOUT).await?;
    browser::screenshot(&admin, "users-remove-dialog-laptop").await?;
    browser::click(&admin, "dialog[open] #ask-cancel", TIMEOUT).await?;
    ensure!(
        admin
            .find(By::Css("#users tr[data-user='olga']"))
            .await
            .is_ok()
    );
    browser::click(&admin, "#users button[data-remove='olga']", TIMEOUT).await?;
    confirm(&admin, "Remove olga?").await?;
    browser::wait_text(&admin, "#users-toast", "olga was removed", TIMEOUT).await?;
    wait_js(
        &admin,
        "return !document.querySelector(\"#users tr[data-user='olga']\");",
        "olga's row gone",
    )
    .await?;
    ensure!(ts.login("olga", &reset).await.is_err(), "removed");

    // The dashboard's top bar leads here: the account for everyone, users for admins.
    admin.goto(format!("{base}/organize.html")).await?;
    browser::wait_for(&admin, "#users-link", TIMEOUT).await?;
    browser::wait_for(&admin, "#account-link", TIMEOUT).await?;
    let meeting = ts.demo_meeting().await?;
    admin
        .goto(format!("{base}/organize.html?meeting={meeting}"))
        .await?;
    browser::wait_text(&admin, "#status", "Not started", TIMEOUT).await?;
    browser::resize(&admin, Size::Mobile).await?;
    fits(&admin, Size::Mobile, "the dashboard").await?;
    browser::screenshot(&admin, "users-dashboard-topbar-mobile").await?;

    for d in [&admin, &olga] {
        browser::assert_no_alert(d).await?;
        let errors: Vec<String> = browser::js_errors(d)
            .await?
            .into_iter()
            // Answers the test asked for, logged by the browser: a 401 is how a page learns
            // to show the login form, the 409 is the duplicate name.
            .filter(|e| !e.contains("status of 401") && !e.contains("status of 409"))
            .collect();
        ensure!(errors.is_empty(), "script errors: {errors:?}");
    }
    admin.quit().await?;
    olga.quit().await?;
    ts.server.shutdown().await;
    Ok(())
}
