//! Every page's scripts and styles run in OBS's browser source engine (Chromium 127 today,
//! issue 13): eslint-plugin-compat (and the parser's ES2025 cap) over `assets/**/*.js`,
//! stylelint-no-unsupported-browser-features over `assets/**/*.css`, both with the
//! browserslist `chrome 127`. The tooling, pinned, lives in `.ci/compat/` (see docs/obs.md);
//! this test installs it with `npm ci` when its `node_modules` is missing. Without Node.js and
//! npm it skips loudly, and fails under `LIBREKAST_REQUIRE_ALL=1` (CI).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, ensure};
use librekast_tests::require;

fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH")
        .map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/local/bin")])
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// Runs `program args` in `dir`; its output on failure.
fn run(dir: &Path, program: &Path, args: &[&str]) -> anyhow::Result<(bool, String)> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .with_context(|| format!("running {} {args:?}", program.display()))?;
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    Ok((out.status.success(), text))
}

#[test]
fn every_page_runs_in_obs_chromium_127() -> anyhow::Result<()> {
    let node = on_path("node");
    let npm = on_path("npm");
    if !require(
        "the OBS compatibility check (needs Node.js 20 and npm)",
        node.is_some() && npm.is_some(),
        "apt-get install -y nodejs npm",
    ) {
        return Ok(());
    }
    let (Some(node), Some(npm)) = (node, npm) else {
        return Ok(());
    };
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .context("workspace root")?
        .to_path_buf();
    let tools = root.join(".ci/compat");
    let bin = tools.join("node_modules/.bin");
    if !bin.join("eslint").exists() || !bin.join("stylelint").exists() {
        let (ok, out) = run(
            &tools,
            &npm,
            &["ci", "--no-audit", "--no-fund", "--loglevel=error"],
        )?;
        ensure!(ok, "npm ci in .ci/compat failed:\n{out}");
    }
    // Run through node, from the repository's root: the configs name `assets/` from there.
    let eslint = tools.join("node_modules/eslint/bin/eslint.js");
    let (ok, out) = run(
        &root,
        &node,
        &[
            &eslint.to_string_lossy(),
            "--config",
            ".ci/compat/eslint.config.mjs",
            "--max-warnings",
            "0",
            "assets",
        ],
    )?;
    ensure!(
        ok,
        "scripts use what Chromium 127 (OBS) lacks:\n{out}\nSee docs/obs.md, Browser compatibility."
    );
    let stylelint = tools.join("node_modules/stylelint/bin/stylelint.mjs");
    let (ok, out) = run(
        &root,
        &node,
        &[
            &stylelint.to_string_lossy(),
            "--config",
            ".ci/compat/stylelint.config.mjs",
            "--max-warnings",
            "0",
            "assets/**/*.css",
        ],
    )?;
    ensure!(
        ok,
        "styles use what Chromium 127 (OBS) lacks:\n{out}\nSee docs/obs.md, Browser compatibility."
    );
    Ok(())
}
