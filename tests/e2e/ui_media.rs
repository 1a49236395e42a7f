//! The media page in Debian's Chromium: an admin logs in and sees the empty state, picks a
//! video, two images and a renamed executable at once; the three real files appear as cards
//! (a playable video, images over a checkerboard) and the executable is refused with the
//! reason; the copy button puts the id on the clipboard line; deleting asks first. The page
//! passes axe-core and fits a phone. Screenshots go to `target/screenshots/media-*`.

use std::path::{Path, PathBuf};

use anyhow::{Context, ensure};
use librekast_tests::browser::{self, Size, js, wait_js};
use librekast_tests::*;
use reqwest::Method;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/media")
        .join(name)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_page_in_the_browser() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let dir = std::env::temp_dir().join(format!("librekast-ui-media-{}", std::process::id()));
    let config = librekast_web::Config::for_tests(&temp_sqlite_url("ui-media"))
        .with_data_dir(Some(&dir.to_string_lossy()))?;
    let ts = TestServer::start_with(config).await?;
    let outcome = async {
        let base = ts.server.url();
        let password = ts.server.admin_password.clone().context("admin password")?;
        let d = chromium.session(Size::Laptop, "en").await?;
        d.goto(format!("{base}/media.html")).await?;
        browser::wait_for(&d, "#username", TIMEOUT).await?.send_keys("admin").await?;
        browser::wait_for(&d, "#password", TIMEOUT).await?.send_keys(&password).await?;
        browser::click(&d, "#login-btn", TIMEOUT).await?;
        browser::wait_text(&d, "#media-empty", "No files yet", TIMEOUT).await?;
        browser::wait_text(&d, "#limits", "20 MB", TIMEOUT).await?;
        browser::screenshot(&d, "media-empty-laptop").await?;

        // Pick four files at once; one is an executable with an image's name.
        let exe = dir.join("cat.png");
        let mut elf = b"\x7fELF\x02\x01\x01\0".to_vec();
        elf.resize(4096, 0x90);
        std::fs::write(&exe, elf)?;
        js(&d, "document.querySelector('#file-input').hidden = false;").await?;
        let paths = [
            fixture("hype.webm"),
            fixture("banner.png"),
            fixture("logo.png"),
            exe.clone(),
        ]
        .map(|p| p.to_string_lossy().into_owned())
        .join("\n");
        browser::wait_for(&d, "#file-input", TIMEOUT).await?.send_keys(&paths).await?;
        js(&d, "document.querySelector('#file-input').hidden = true;").await?;
        wait_js(
            &d,
            "return document.querySelectorAll('#media .media-card').length === 3 || null;",
            "three cards",
        )
        .await?;
        browser::wait_text(&d, "#uploads .upload.bad", "Not accepted", TIMEOUT).await?;
        // The video really decodes; the images really load.
        wait_js(
            &d,
            "const v = document.querySelector('#media video'); return (v && v.readyState >= 1 && v.videoWidth === 320) || null;",
            "the WebM preview loaded",
        )
        .await?;
        wait_js(
            &d,
            "return [...document.querySelectorAll('#media img')].every((i) => i.complete && i.naturalWidth > 0) || null;",
            "the image previews loaded",
        )
        .await?;
        let count = browser::text(&d, "#media-count", TIMEOUT).await?;
        ensure!(count == "3 files", "{count}");
        browser::axe_audit(&d, "media page, laptop").await?;
        browser::screenshot(&d, "media-files-laptop").await?;

        // Copy an id: the status line says which.
        let admin = ts.admin_token().await?;
        let (_, list) = ts.bearer(Method::GET, "/api/media", &admin).await?;
        let newest = list["media"][0]["id"].as_str().unwrap_or_default().to_string();
        ensure!(newest.len() == 32, "{list}");
        browser::click(&d, &format!("li[data-media='{newest}'] .media-actions button"), TIMEOUT).await?;
        browser::wait_text(&d, "#media-toast", &newest, TIMEOUT).await?;

        browser::resize(&d, Size::Mobile).await?;
        // Once laid out again at phone size, nothing sticks out sideways.
        let max = Size::Mobile.viewport().0;
        wait_js(
            &d,
            &format!("return document.documentElement.scrollWidth <= {max} || null;"),
            "the page fits a phone",
        )
        .await?;
        js(&d, "window.scrollTo(0, 0);").await?;
        browser::screenshot(&d, "media-files-mobile").await?;
        browser::resize(&d, Size::Laptop).await?;

        // Delete asks first, then the card goes.
        browser::click(&d, &format!("li[data-media='{newest}'] button.danger-outline"), TIMEOUT).await?;
        browser::wait_text(&d, "dialog[open] #ask-title", "Delete", TIMEOUT).await?;
        browser::screenshot(&d, "media-delete-dialog-laptop").await?;
        browser::click(&d, "dialog[open] #ask-ok", TIMEOUT).await?;
        wait_js(
            &d,
            "return document.querySelectorAll('#media .media-card').length === 2 || null;",
            "two cards left",
        )
        .await?;
        browser::wait_text(&d, "#media-toast", "deleted", TIMEOUT).await?;
        let errors: Vec<String> = browser::js_errors(&d)
            .await?
            .into_iter()
            // Answers the test asked for, logged by the browser: a 401 is how the page learns
            // to show the login form, the 415 refused the executable.
            .filter(|e| !e.contains("status of 401") && !e.contains("status of 415"))
            .collect();
        ensure!(errors.is_empty(), "script errors: {errors:?}");
        d.quit().await?;
        Ok(())
    }
    .await;
    ts.server.shutdown().await;
    let _ = std::fs::remove_dir_all(&dir);
    outcome
}
