//! The browser harness itself: Chromium starts offline, renders the home page at phone and
//! projector size, and screenshots come out at exactly the viewport's pixel size.

use std::path::Path;
use std::time::Instant;

use librekast_tests::browser::{self, Size};
use librekast_tests::*;

/// Width and height from a PNG's IHDR chunk, which always directly follows the signature.
fn png_size(path: &Path) -> anyhow::Result<(u32, u32)> {
    let bytes = std::fs::read(path)?;
    anyhow::ensure!(
        bytes.len() >= 24 && bytes.starts_with(b"\x89PNG\r\n\x1a\n") && &bytes[12..16] == b"IHDR",
        "{} is not a PNG",
        path.display()
    );
    let be =
        |at: usize| u32::from_be_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]]);
    Ok((be(16), be(20)))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_smoke() -> anyhow::Result<()> {
    let Some(chromium) = browser::chromium().await? else {
        return Ok(());
    };
    let server = TestServer::start("browser").await?;

    for (size, lang, name) in [
        (Size::Mobile, "fr", "smoke-mobile"),
        (Size::Projector, "en-US", "smoke-projector"),
    ] {
        let started = Instant::now();
        let driver = chromium.session(size, lang).await?;
        eprintln!("{size:?} session ready in {:?}", started.elapsed());

        driver.goto(server.url("/")).await?;
        browser::wait_text(&driver, ".brand", "LibreKast", TIMEOUT).await?;
        browser::assert_no_alert(&driver).await?;
        let languages = driver
            .execute("return navigator.languages;", vec![])
            .await?;
        assert_eq!(languages.json()[0], lang, "preferred language");
        assert_eq!(browser::js_errors(&driver).await?, Vec::<String>::new());

        let path = browser::screenshot(&driver, name).await?;
        assert!(
            std::fs::metadata(&path)?.len() > 0,
            "{} is empty",
            path.display()
        );
        assert_eq!(png_size(&path)?, size.viewport(), "{}", path.display());
        driver.quit().await?;
    }

    server.server.shutdown().await;
    Ok(())
}
