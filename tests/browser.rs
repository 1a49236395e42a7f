//! Headless Chromium for UI tests, driven over WebDriver by Debian's `chromedriver`.
//!
//! ```ignore
//! let Some(chromium) = browser::chromium().await? else { return Ok(()) };
//! let driver = chromium.session(Size::Mobile, "fr").await?;
//! driver.goto(server.url("/")).await?;
//! browser::wait_for(&driver, "h1", TIMEOUT).await?;
//! browser::screenshot(&driver, "home-mobile").await?;
//! driver.quit().await?; // always: see `Chromium::session`
//! ```
//!
//! Everything stays on the machine: the browser is told not to phone home and cannot resolve
//! any host name but `localhost`, so a page that pulls in a CDN shows up as a failure here.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use serde_json::{Value, json};
use thirtyfour::error::WebDriverErrorInner;
use thirtyfour::prelude::*;
use thirtyfour::{LoggingPrefsLogLevel, WebElement};
use tokio::process::{Child, Command};

/// Debian's path, passed explicitly so the driver never picks up some other Chrome install.
pub const CHROMIUM: &str = "/usr/bin/chromium";
const INSTALL_HINT: &str = "apt-get install -y chromium chromium-driver";
const DRIVER_START_TIMEOUT: Duration = Duration::from_secs(20);
const POLL: Duration = Duration::from_millis(100);

/// The viewports the UI is designed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    /// A common phone (iPhone 12–15 class), in CSS pixels at scale 1.
    Mobile,
    /// A 1080p projector or TV showing the organizer's screen.
    Projector,
    /// A laptop (the organizer's dashboard).
    Laptop,
    /// A 720p projector or a small OBS browser source.
    Hd,
    /// An old 4:3 projector.
    Xga,
}

impl Size {
    pub fn viewport(self) -> (u32, u32) {
        match self {
            Size::Mobile => (390, 844),
            Size::Projector => (1920, 1080),
            Size::Laptop => (1440, 900),
            Size::Hd => (1280, 720),
            Size::Xga => (1024, 768),
        }
    }
}

/// A running `chromedriver`; sessions (one browser each) are opened from it.
///
/// Dropping it kills the driver and deletes the browser profiles, so keep it alive for as long
/// as any of its sessions.
pub struct Chromium {
    url: String,
    /// One temp dir per driver holds every session's profile and the driver's log.
    profiles: PathBuf,
    next_profile: AtomicU64,
    child: Child,
}

/// Starts `chromedriver`, or returns `None` after a loud skip message when Chromium or its
/// driver is not installed. With `LIBREKAST_REQUIRE_ALL=1` a missing browser panics instead
/// (see [`crate::require`]), so CI cannot silently skip the UI tests.
pub async fn chromium() -> anyhow::Result<Option<Chromium>> {
    let driver = find_chromedriver();
    let available = driver.is_some() && is_executable(Path::new(CHROMIUM));
    if !crate::require(
        "browser tests (need chromium and chromedriver)",
        available,
        INSTALL_HINT,
    ) {
        return Ok(None);
    }
    let driver = driver.ok_or_else(|| anyhow!("chromedriver vanished"))?;
    Chromium::start(&driver).await.map(Some)
}

fn find_chromedriver() -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .map(|dir| dir.join("chromedriver"));
    // Debian puts it in /usr/bin, which a minimal PATH (cron, some CI shells) may lack.
    on_path
        .chain([PathBuf::from("/usr/bin/chromedriver")])
        .find(|p| is_executable(p))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

fn free_port() -> anyhow::Result<u16> {
    // The port is released before chromedriver binds it; another process could grab it in
    // between, which shows up as the driver exiting early with a clear message.
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    Ok(listener.local_addr()?.port())
}

impl Chromium {
    async fn start(driver: &Path) -> anyhow::Result<Chromium> {
        let profiles = std::env::temp_dir().join(format!(
            "librekast-chromium-{}-{:x}",
            std::process::id(),
            crate::rand_u64()
        ));
        std::fs::create_dir_all(&profiles)
            .with_context(|| format!("creating {}", profiles.display()))?;
        let port = free_port()?;
        let log = profiles.join("chromedriver.log");
        let child = Command::new(driver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .with_context(|| format!("spawning {}", driver.display()))?;
        let mut chromium = Chromium {
            url: format!("http://127.0.0.1:{port}"),
            profiles,
            next_profile: AtomicU64::new(0),
            child,
        };
        let started = Instant::now();
        chromium.wait_ready().await?;
        eprintln!("chromedriver ready in {:?}", started.elapsed());
        Ok(chromium)
    }

    async fn wait_ready(&mut self) -> anyhow::Result<()> {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let status_url = format!("{}/status", self.url);
        let deadline = Instant::now() + DRIVER_START_TIMEOUT;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            if let Some(exit) = self.child.try_wait()? {
                bail!(
                    "chromedriver exited during startup ({exit}); its log:\n{}",
                    self.log_tail()
                );
            }
            match http.get(&status_url).send().await {
                Ok(res) => match res.json::<Value>().await {
                    Ok(body) if body["value"]["ready"] == true => return Ok(()),
                    Ok(body) => last = body.to_string(),
                    Err(e) => last = e.to_string(),
                },
                Err(e) => last = e.to_string(),
            }
            tokio::time::sleep(POLL).await;
        }
        bail!(
            "chromedriver at {status_url} not ready after {DRIVER_START_TIMEOUT:?} (last: {last}); its log:\n{}",
            self.log_tail()
        )
    }

    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.profiles.join("chromedriver.log"))
            .unwrap_or_else(|e| format!("(no log: {e})"));
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Opens a fresh browser (own profile, no cookies or storage) whose viewport is exactly
    /// `size`, at device scale 1, preferring the language `lang` (e.g. `"fr"`, `"en-US"`).
    ///
    /// Call `driver.quit().await` at the end of the test. If a test fails before that,
    /// thirtyfour's drop quits synchronously (with a warning) and dropping the [`Chromium`]
    /// kills whatever is left.
    pub async fn session(&self, size: Size, lang: &str) -> anyhow::Result<WebDriver> {
        let (width, height) = size.viewport();
        let n = self.next_profile.fetch_add(1, Ordering::Relaxed);
        let profile = self.profiles.join(format!("profile-{n}"));
        std::fs::create_dir_all(&profile)?;

        // `chrome()` rather than `chromium()`: chromedriver only accepts browserName "chrome".
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(CHROMIUM)?;
        for arg in [
            "--headless=new",
            // Containers and CI run as root, where the sandbox refuses to start.
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            // Docker's /dev/shm is 64 MB, which crashes renderers on big pages.
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            // Without it the screenshot size follows the host's display settings.
            "--force-device-scale-factor=1",
            // No test may reach the internet: every other host name fails to resolve.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
        ] {
            caps.add_arg(arg)?;
        }
        caps.add_arg(&format!("--window-size={width},{height}"))?;
        caps.add_arg(&format!("--lang={lang}"))?;
        caps.add_arg(&format!("--user-data-dir={}", profile.display()))?;
        // `--lang` sets the UI locale and navigator.language; the pref sets Accept-Language
        // and navigator.languages, which is what the app negotiates on.
        caps.add_experimental_option("prefs", json!({ "intl.accept_languages": lang }))?;
        // Lets `js_errors` read uncaught exceptions and console.error calls.
        caps.set_browser_log_level(LoggingPrefsLogLevel::Severe)?;

        let driver = WebDriver::new(self.url.as_str(), caps)
            .await
            .with_context(|| format!("opening a {size:?} session on {}", self.url))?;
        if let Err(e) = fit_viewport(&driver, width, height).await {
            let _ = driver.quit().await;
            return Err(e);
        }
        Ok(driver)
    }
}

impl Drop for Chromium {
    fn drop(&mut self) {
        // Kill first: the profiles cannot be removed cleanly while a browser still writes to them.
        let _ = self.child.start_kill();
        let _ = std::fs::remove_dir_all(&self.profiles);
    }
}

/// `--window-size` sizes the outer window: Chromium 156's `--headless=new` keeps 143 px of it
/// for (invisible) browser UI and widens anything under 500 px, so the page would see 500x701
/// instead of 390x844. Tests need exactly the requested viewport, so measure and resize.
/// Resizes a session's viewport to another size (one session can then screenshot a screen at
/// both sizes).
pub async fn resize(driver: &WebDriver, size: Size) -> anyhow::Result<()> {
    let (w, h) = size.viewport();
    fit_viewport(driver, w, h).await
}

async fn fit_viewport(driver: &WebDriver, width: u32, height: u32) -> anyhow::Result<()> {
    let mut seen = (0, 0, 0.0);
    for _ in 0..3 {
        seen = viewport(driver).await?;
        if seen == (width, height, 1.0) {
            return Ok(());
        }
        let rect = driver.get_window_rect().await?;
        let grow = |outer: i64, want: u32, got: u32| {
            u32::try_from(outer + i64::from(want) - i64::from(got)).unwrap_or(want)
        };
        driver
            .set_window_rect(
                0,
                0,
                grow(rect.width, width, seen.0),
                grow(rect.height, height, seen.1),
            )
            .await?;
    }
    bail!(
        "viewport is {}x{} at scale {} instead of {width}x{height} at scale 1",
        seen.0,
        seen.1,
        seen.2
    )
}

async fn viewport(driver: &WebDriver) -> anyhow::Result<(u32, u32, f64)> {
    let ret = driver
        .execute(
            "return [window.innerWidth, window.innerHeight, window.devicePixelRatio];",
            vec![],
        )
        .await?;
    let (w, h, scale): (u32, u32, f64) = ret
        .convert()
        .with_context(|| format!("viewport script returned {}", ret.json()))?;
    Ok((w, h, scale))
}

/// Where screenshots go: `<target dir>/screenshots`, beside the build rather than in the tree.
pub fn screenshot_dir() -> PathBuf {
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap_or(Path::new(env!("CARGO_MANIFEST_DIR")));
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        // Cargo resolves a relative CARGO_TARGET_DIR against the directory it ran in, which
        // the test cannot know; the workspace root is where CI and the README run it.
        Some(dir) => workspace.join(dir),
        None => workspace.join("target"),
    };
    target.join("screenshots")
}

/// Saves what the viewport shows as `<target dir>/screenshots/<name>.png` and returns the path.
pub async fn screenshot(driver: &WebDriver, name: &str) -> anyhow::Result<PathBuf> {
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        bail!("screenshot name {name:?} must be a plain file name");
    }
    let dir = screenshot_dir();
    tokio::fs::create_dir_all(&dir)
        .await
        .with_context(|| format!("creating {}", dir.display()))?;
    let png = driver.screenshot_as_png().await?;
    let path = dir.join(format!("{name}.png"));
    tokio::fs::write(&path, png)
        .await
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Where the page is and what it says, to make a failed wait readable.
async fn describe_page(driver: &WebDriver) -> String {
    let url = match driver.current_url().await {
        Ok(url) => url.to_string(),
        Err(e) => format!("(url unavailable: {e})"),
    };
    let text = match driver
        .execute(
            "return document.body ? document.body.innerText : '';",
            vec![],
        )
        .await
    {
        Ok(ret) => {
            let text = ret.json().as_str().unwrap_or_default().to_string();
            let mut excerpt: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
            if let Some((cut, _)) = excerpt.char_indices().nth(400) {
                excerpt.truncate(cut);
                excerpt.push('…');
            }
            excerpt
        }
        // Typically an open alert, which blocks scripts.
        Err(e) => format!("(text unavailable: {e})"),
    };
    format!("page {url} says: {text:?}")
}

async fn find_visible(driver: &WebDriver, css: &str) -> Option<WebElement> {
    let el = driver.find(By::Css(css)).await.ok()?;
    el.is_displayed().await.unwrap_or(false).then_some(el)
}

/// Elements outside the viewport, and pairs of text boxes that overlap (neither inside the
/// other), on the presenter screen as it is drawn now; its page width and the height of
/// its countdown's digits (0 without one).
pub const PRESENTER_FITS: &str = r#"
const W = innerWidth, H = innerHeight;
const shown = [...document.querySelectorAll('#screen *')].filter((e) => {
  if (e.closest('[hidden]')) return false;
  const s = getComputedStyle(e);
  if (s.display === 'none' || s.visibility === 'hidden') return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
});
const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}.${e.className.baseVal ?? e.className}: ${(e.textContent || '').trim().slice(0, 40)}`;
const outside = shown.filter((e) => {
  const r = e.getBoundingClientRect();
  return r.left < -1 || r.top < -1 || r.right > W + 1 || r.bottom > H + 1;
}).map(name);
const texts = shown.filter((e) => [...e.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()));
const overlaps = [];
for (let i = 0; i < texts.length; i++) {
  for (let j = i + 1; j < texts.length; j++) {
    const a = texts[i], b = texts[j];
    if (a.contains(b) || b.contains(a)) continue;
    const p = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    const w = Math.min(p.right, q.right) - Math.max(p.left, q.left);
    const h = Math.min(p.bottom, q.bottom) - Math.max(p.top, q.top);
    if (w > 2 && h > 2) overlaps.push(`${name(a)} <> ${name(b)}`);
  }
}
const timer = document.querySelector('.timer-big:not([hidden])');
const digits = timer ? timer.querySelector('.timer-digits').getBoundingClientRect().height : 0;
return { outside, overlaps: overlaps.slice(0, 6), width: document.documentElement.scrollWidth, digits };
"#;

/// A Chrome DevTools command through chromedriver (`goog/cdp/execute`).
#[derive(Debug)]
struct Cdp(&'static str, Value);

impl thirtyfour::common::command::FormatRequestData for Cdp {
    fn format_request(
        &self,
        session_id: &thirtyfour::SessionId,
    ) -> thirtyfour::common::requestdata::RequestData {
        thirtyfour::common::requestdata::RequestData::new(
            reqwest::Method::POST,
            format!("/session/{session_id}/goog/cdp/execute"),
        )
        .add_body(json!({"cmd": self.0, "params": self.1}))
    }
}

/// Runs a DevTools command (`Emulation.…`, `Page.…`) in the page.
pub async fn cdp(driver: &WebDriver, cmd: &'static str, params: Value) -> anyhow::Result<()> {
    driver.handle().cmd(Cdp(cmd, params)).await?;
    Ok(())
}

/// The viewport at `width`×`height` CSS pixels, scale 1 (sizes [`Size`] does not have).
pub async fn set_viewport(driver: &WebDriver, width: u32, height: u32) -> anyhow::Result<()> {
    cdp(
        driver,
        "Emulation.setDeviceMetricsOverride",
        json!({"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600}),
    )
    .await?;
    wait_js(
        driver,
        &format!("return innerWidth === {width} && innerHeight === {height};"),
        "the viewport to take its size",
    )
    .await?;
    Ok(())
}

/// Logs in as `admin` on the staff login form the page shows (typed, then Enter).
pub async fn log_in_admin(
    driver: &WebDriver,
    password: &str,
    timeout: Duration,
) -> anyhow::Result<()> {
    wait_for(driver, "#username", timeout)
        .await?
        .send_keys("admin")
        .await?;
    let pw = wait_for(driver, "#password", timeout).await?;
    pw.send_keys(password).await?;
    pw.send_keys(Key::Enter).await?;
    Ok(())
}

/// The first element matching `css` once it exists and is displayed.
pub async fn wait_for(
    driver: &WebDriver,
    css: &str,
    timeout: Duration,
) -> anyhow::Result<WebElement> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(el) = find_visible(driver, css).await {
            return Ok(el);
        }
        if Instant::now() >= deadline {
            bail!(
                "no visible {css:?} after {timeout:?}; {}",
                describe_page(driver).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Whether a WebDriver error means "find the element again": the page re-rendered it between
/// the find and the action (stale), or something was briefly on top of it or not yet
/// interactable (a transition). Every other error is real.
fn is_transient(e: &WebDriverError) -> bool {
    matches!(
        e.as_inner(),
        WebDriverErrorInner::StaleElementReference(_)
            | WebDriverErrorInner::ElementClickIntercepted(_)
            | WebDriverErrorInner::ElementNotInteractable(_)
            | WebDriverErrorInner::NoSuchElement(_)
    )
}

/// Runs `act` on the first visible element matching `css`. Pages re-render lists (choices,
/// bars) on every state frame, so an element found a moment ago may be gone: it is found
/// again until `act` succeeds or `timeout` passes.
async fn on_element<T, F, Fut>(
    driver: &WebDriver,
    css: &str,
    timeout: Duration,
    what: &str,
    act: F,
) -> anyhow::Result<T>
where
    F: Fn(WebElement) -> Fut,
    Fut: std::future::Future<Output = WebDriverResult<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let el = wait_for(
            driver,
            css,
            deadline.saturating_duration_since(Instant::now()),
        )
        .await?;
        match act(el).await {
            Ok(value) => return Ok(value),
            Err(e) if is_transient(&e) && Instant::now() < deadline => {
                tokio::time::sleep(POLL).await;
            }
            Err(e) => return Err(e).with_context(|| format!("{what} {css:?}")),
        }
    }
}

/// Clicks the first visible element matching `css` (found again if it went stale).
pub async fn click(driver: &WebDriver, css: &str, timeout: Duration) -> anyhow::Result<()> {
    on_element(driver, css, timeout, "clicking", |el| async move {
        el.click().await
    })
    .await
}

/// The text of the first visible element matching `css` (found again if it went stale).
pub async fn text(driver: &WebDriver, css: &str, timeout: Duration) -> anyhow::Result<String> {
    on_element(driver, css, timeout, "reading", |el| async move {
        el.text().await
    })
    .await
}

/// The first element matching `css` once it is displayed and its text contains `needle`.
pub async fn wait_text(
    driver: &WebDriver,
    css: &str,
    needle: &str,
    timeout: Duration,
) -> anyhow::Result<WebElement> {
    let deadline = Instant::now() + timeout;
    let mut last = None;
    loop {
        if let Some(el) = find_visible(driver, css).await
            && let Ok(text) = el.text().await
        {
            if text.contains(needle) {
                return Ok(el);
            }
            last = Some(text);
        }
        if Instant::now() >= deadline {
            bail!(
                "{css:?} never contained {needle:?} within {timeout:?} (last text: {last:?}); {}",
                describe_page(driver).await
            );
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Fails when an alert, confirm or prompt dialog is open: the UI must report errors in the page.
pub async fn assert_no_alert(driver: &WebDriver) -> anyhow::Result<()> {
    match driver.get_alert_text().await {
        Ok(text) => bail!("unexpected dialog open: {text:?}"),
        Err(e) if matches!(e.as_inner(), WebDriverErrorInner::NoSuchAlert(_)) => Ok(()),
        Err(e) => Err(e).context("checking for an open dialog"),
    }
}

/// Runs `script` in the page and returns what it returns (a returned Promise is awaited).
pub async fn js(driver: &WebDriver, script: &str) -> anyhow::Result<Value> {
    Ok(driver.execute(script, vec![]).await?.json().clone())
}

/// Waits until `script` returns something other than null or false, and returns it; the
/// error says what never happened and what the page showed.
pub async fn wait_js(driver: &WebDriver, script: &str, what: &str) -> anyhow::Result<Value> {
    let deadline = Instant::now() + crate::TIMEOUT;
    loop {
        let v = js(driver, script).await?;
        if v != Value::Null && v != Value::Bool(false) {
            return Ok(v);
        }
        if Instant::now() > deadline {
            let page = js(driver, "return document.body.innerText.slice(0, 600);").await?;
            bail!("never: {what}; the page says {page}");
        }
        tokio::time::sleep(POLL).await;
    }
}

/// Uncaught exceptions, console.error calls and failed loads since the previous call
/// (chromedriver empties the log on every read).
pub async fn js_errors(driver: &WebDriver) -> anyhow::Result<Vec<String>> {
    let entries = driver.browser_log().await?;
    Ok(entries
        .into_iter()
        .filter(|e| e.level == "SEVERE")
        // The browser asks for /favicon.ico on its own; the pages never reference it.
        .filter(|e| !e.message.contains("/favicon.ico "))
        .map(|e| e.message)
        .collect())
}

/// axe-core, vendored (see `tests/vendor/axe-core/README.md` for its version and origin).
const AXE_SOURCE: &str = include_str!("vendor/axe-core/axe.min.js");

/// Resolves once no finite CSS animation or transition is running (bars growing, cloud words
/// fading in, the podium rising), so contrast is measured on the colours a person ends up
/// seeing. Waits two frames first: a transition started by `requestAnimationFrame` (the bars)
/// is not running yet when the script starts. Gives up after 10 s and says so.
const SETTLE: &str = r#"
return new Promise((resolve) => {
  const start = performance.now();
  const busy = () => document.getAnimations().filter((a) =>
    a.playState === 'running' && a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  const tick = () => {
    const left = busy();
    if (!left.length) resolve(null);
    else if (performance.now() - start > 10000) resolve(left.map((a) => a.animationName || a.transitionProperty || 'animation').join(', '));
    else requestAnimationFrame(tick);
  };
  requestAnimationFrame(() => requestAnimationFrame(tick));
});"#;

/// Runs axe on the whole document; the result is reduced in the page to what a failure
/// message needs. WebDriver's execute awaits the returned Promise.
const AXE_RUN: &str = r#"
return axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations.map((v) => ({
  id: v.id,
  impact: v.impact,
  help: v.help,
  url: v.helpUrl,
  count: v.nodes.length,
  nodes: v.nodes.slice(0, 4).map((n) => ({
    target: n.target.map(String).join(' '),
    html: n.html.length > 240 ? n.html.slice(0, 240) + '…' : n.html,
    summary: (n.failureSummary || '').split('\n').map((l) => l.trim()).filter(Boolean).slice(0, 3).join(' '),
  })),
})));"#;

/// An axe-core audit of the page as it is now. Fails listing every violation of impact
/// "serious" or "critical" (rule, help, up to four elements with their markup); minor and
/// moderate ones are printed but do not fail. `label` names the page and state in the
/// messages (e.g. `"play poll open, mobile, dark"`).
///
/// The vendored script is injected into the page when it is not there yet (a navigation or
/// reload drops it). Waits for running animations and transitions to end first.
pub async fn axe_audit(driver: &WebDriver, label: &str) -> anyhow::Result<()> {
    let loaded = driver
        .execute(
            "return typeof window.axe === 'object' && typeof window.axe.run === 'function';",
            vec![],
        )
        .await?;
    if loaded.json() != &Value::Bool(true) {
        let ret = driver
            .execute(&format!("{AXE_SOURCE}\n;return typeof window.axe;"), vec![])
            .await
            .with_context(|| format!("{label}: injecting axe-core"))?;
        if ret.json() != "object" {
            bail!(
                "{label}: axe-core did not load (window.axe is {})",
                ret.json()
            );
        }
    }
    let unsettled = driver.execute(SETTLE, vec![]).await?;
    if let Some(what) = unsettled.json().as_str() {
        eprintln!("axe {label}: still animating after 10 s ({what}); auditing anyway");
    }
    let ret = driver
        .execute(AXE_RUN, vec![])
        .await
        .with_context(|| format!("{label}: running axe-core"))?;
    let violations = ret
        .json()
        .as_array()
        .cloned()
        .ok_or_else(|| anyhow!("{label}: axe.run returned {}", ret.json()))?;
    let describe = |v: &Value| {
        let mut text = format!(
            "[{}] {}: {} ({} element(s); {})",
            v["impact"].as_str().unwrap_or("?"),
            v["id"].as_str().unwrap_or("?"),
            v["help"].as_str().unwrap_or(""),
            v["count"],
            v["url"].as_str().unwrap_or(""),
        );
        for n in v["nodes"].as_array().into_iter().flatten() {
            text.push_str(&format!(
                "\n      {}: {}\n        {}",
                n["target"].as_str().unwrap_or("?"),
                n["html"].as_str().unwrap_or(""),
                n["summary"].as_str().unwrap_or(""),
            ));
        }
        text
    };
    let (serious, other): (Vec<&Value>, Vec<&Value>) = violations
        .iter()
        .partition(|v| matches!(v["impact"].as_str(), Some("serious" | "critical")));
    for v in &other {
        eprintln!("axe {label}: {}", describe(v));
    }
    if !serious.is_empty() {
        let list: Vec<String> = serious
            .iter()
            .map(|v| format!("  - {}", describe(v)))
            .collect();
        bail!(
            "{label}: {} serious or critical accessibility violation(s):\n{}",
            serious.len(),
            list.join("\n")
        );
    }
    Ok(())
}

// ---- Staff pages: scrolling, typing, settling, screenshots -----------------------------

/// Scrolls an element to the middle of the window (clear of the sticky bars).
pub async fn centre(d: &WebDriver, css: &str) -> anyhow::Result<WebElement> {
    let target = wait_for(d, css, crate::TIMEOUT).await?;
    d.execute(
        "arguments[0].scrollIntoView({ block: 'center' });",
        vec![target.to_json()?],
    )
    .await?;
    Ok(target)
}

/// Clicks a control once scrolled to the middle of the window.
pub async fn press(d: &WebDriver, css: &str) -> anyhow::Result<()> {
    centre(d, css).await?;
    click(d, css, crate::TIMEOUT).await
}

/// Replaces a field's text as a person does: select all, type over it.
pub async fn type_into(d: &WebDriver, css: &str, text: &str) -> anyhow::Result<()> {
    let field = centre(d, css).await?;
    d.execute(
        "arguments[0].focus(); if (arguments[0].select) arguments[0].select();",
        vec![field.to_json()?],
    )
    .await?;
    field.send_keys(Key::Control + "a").await?;
    field.send_keys(Key::Backspace).await?;
    if !text.is_empty() {
        field.send_keys(text).await?;
    }
    Ok(())
}

/// No script errors and no browser dialog (the login's first 401 and the refused saves the
/// test asked for are expected).
pub async fn clean(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    assert_no_alert(d).await?;
    let errors: Vec<String> = js_errors(d)
        .await?
        .into_iter()
        .filter(|e| !e.contains("status of 401") && !e.contains("status of 400"))
        .collect();
    anyhow::ensure!(errors.is_empty(), "{what}: script errors: {errors:?}");
    Ok(())
}

/// Waits for running transitions (bars growing), then the fonts.
pub async fn settled(d: &WebDriver) -> anyhow::Result<()> {
    wait_js(
        d,
        "return document.fonts.status === 'loaded' && document.getAnimations().filter((a) => a.playState === 'running' \
         && a.effect && a.effect.getComputedTiming().iterations !== Infinity).length === 0;",
        "animations to end",
    )
    .await?;
    Ok(())
}

/// Switches the page's language with the top bar's button.
pub async fn language(d: &WebDriver, lang: &str) -> anyhow::Result<()> {
    click(d, "#lang", crate::TIMEOUT).await?;
    wait_js(
        d,
        &format!("return document.documentElement.lang === '{lang}';"),
        "the language to switch",
    )
    .await?;
    Ok(())
}

/// Scrolls `css` (or the top) to just below a page's sticky top bar, waits for it to
/// settle and saves `NAME.png` ([`screenshot`]).
pub async fn shoot(d: &WebDriver, css: Option<&str>, name: &str) -> anyhow::Result<()> {
    d.execute(
        "const e = arguments[0] && document.querySelector(arguments[0]); \
         window.scrollTo(0, e ? e.getBoundingClientRect().top + scrollY - 76 : 0);",
        vec![json!(css)],
    )
    .await?;
    settled(d).await?;
    screenshot(d, name).await?;
    Ok(())
}

// ---- Audience pages: a still page, the presenter's fit, text --------------------------

/// Resolves once no finite animation or transition runs (checked frame by frame).
const SETTLED: &str = r#"
return new Promise((resolve) => {
  const busy = () => document.getAnimations().filter((a) =>
    a.playState === 'running' && a.effect && a.effect.getComputedTiming().iterations !== Infinity);
  const tick = () => { if (!busy().length) resolve(true); else requestAnimationFrame(tick); };
  requestAnimationFrame(() => requestAnimationFrame(tick));
});"#;

/// Waits until the page is still: animations ended, fonts loaded.
pub async fn settle(d: &WebDriver) -> anyhow::Result<()> {
    wait_js(d, SETTLED, "animations to end").await?;
    wait_js(
        d,
        "return document.fonts.ready.then(() => true);",
        "fonts to load",
    )
    .await?;
    Ok(())
}

/// The presenter as drawn now fits its screen: nothing outside it, no text over other
/// text, no sideways scrolling (waits for the fit and the animations to settle).
pub async fn presenter_fits(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    settle(d).await?;
    let check = format!(
        "const r = (() => {{ {PRESENTER_FITS} }})(); return r.outside.length === 0 && r.overlaps.length === 0 && r.width <= innerWidth ? true : false;"
    );
    if wait_js(d, &check, what).await.is_err() {
        let v = js(d, PRESENTER_FITS).await?;
        bail!(
            "{what}: outside {}, overlaps {}, width {}",
            v["outside"],
            v["overlaps"],
            v["width"]
        );
    }
    Ok(())
}

/// No script errors at all and no dialog.
pub async fn no_errors(d: &WebDriver, what: &str) -> anyhow::Result<()> {
    assert_no_alert(d).await?;
    let errors = js_errors(d).await?;
    anyhow::ensure!(errors.is_empty(), "{what}: script errors: {errors:?}");
    Ok(())
}

/// The text of `css` (its `textContent` trimmed, as written rather than as styled), or ""
/// when there is no such element.
pub async fn text_of(d: &WebDriver, css: &str) -> anyhow::Result<String> {
    let v = d
        .execute(
            "const n = document.querySelector(arguments[0]); return n ? n.textContent.trim() : null;",
            vec![json!(css)],
        )
        .await?
        .json()
        .clone();
    Ok(v.as_str().unwrap_or_default().to_string())
}

/// Fails when the page scrolls sideways or a shown element of `#main` (outside `skip`, a
/// selector of what is hidden on this page) reaches past the screen's right edge.
pub async fn fits_sideways(d: &WebDriver, what: &str, skip: &str) -> anyhow::Result<()> {
    let script = format!(
        r#"
const W = innerWidth;
const out = [...document.querySelectorAll('#main *')].filter((e) => {{
  if (e.closest({skip:?})) return false;
  const r = e.getBoundingClientRect();
  return r.width > 0 && r.height > 0 && (r.left < -1 || r.right > W + 1);
}}).slice(0, 5).map((e) => `${{e.tagName.toLowerCase()}}.${{e.className.baseVal ?? e.className}}: ${{(e.textContent || '').trim().slice(0, 40)}}`);
return {{ out, scroll: document.documentElement.scrollWidth, width: W }};
"#
    );
    let v = js(d, &script).await?;
    anyhow::ensure!(
        v["scroll"].as_u64() <= v["width"].as_u64(),
        "{what}: the page scrolls sideways: {v}"
    );
    anyhow::ensure!(
        v["out"].as_array().is_some_and(Vec::is_empty),
        "{what}: past the right edge: {}",
        v["out"]
    );
    Ok(())
}
