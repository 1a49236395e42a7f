//! The `assets/` folder, embedded in the binary and served with a small filter of our own
//! (rust-embed's warp integration targets warp 0.3).

use rust_embed::RustEmbed;
use warp::Reply;
use warp::http::header;
use warp::reply::Response;

#[derive(RustEmbed)]
#[folder = "../assets/"]
#[exclude = "*.md"]
#[exclude = "*.py"]
#[exclude = "demo/*"]
pub struct Assets;

/// `path` is the request path without its leading slash; `""` serves `index.html`.
pub fn serve(path: &str) -> Response {
    let path = if path.is_empty() || path.ends_with('/') {
        format!("{path}index.html")
    } else {
        path.to_string()
    };
    match Assets::get(&path) {
        Some(file) => {
            let mime = file.metadata.mimetype().to_string();
            let cache = if path.ends_with(".html") {
                "no-cache"
            } else {
                "public, max-age=300"
            };
            let body = file.data.into_owned();
            let reply = warp::reply::with_header(body, header::CONTENT_TYPE, mime);
            let reply = warp::reply::with_header(reply, header::CACHE_CONTROL, cache);
            let reply = warp::reply::with_header(reply, "x-content-type-options", "nosniff");
            let csp = if path.starts_with("overlay/") || path == "present.html" {
                OVERLAY_CSP
            } else {
                CSP
            };
            warp::reply::with_header(reply, "content-security-policy", csp).into_response()
        }
        None => crate::api_error::ApiError::NotFound.reply(None),
    }
}

/// Only our own scripts and styles run: an injected `<script>` or `onerror=` does nothing.
pub(crate) const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

/// The OBS overlays (`overlay/*`) and the presenter screen (also an OBS browser source)
/// take inline styles too: OBS applies a browser source's
/// "Custom CSS" as a `<style>` element it adds to the page (obs-browser's `OnLoadEnd`), which
/// `style-src 'self'` would refuse. Scripts stay ours only; overlays insert every name and
/// line from a chat as text, so nobody else's markup reaches them to abuse the styles.
const OVERLAY_CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'";

/// The demo meeting imported on first start. Embedded apart from the served files: it holds
/// the join code and the flag codes.
pub const DEMO_MEETING: &str = include_str!("../../assets/demo/meeting.json");

#[cfg(test)]
mod tests {
    //! Checks on the embedded web app: strings exist in both languages, colours meet WCAG
    //! AA contrast in both themes, and pages load nothing from elsewhere.

    use std::collections::{BTreeSet, HashMap};

    use super::Assets;

    fn text(path: &str) -> String {
        Assets::get(path)
            .map(|f| String::from_utf8_lossy(&f.data).into_owned())
            .unwrap_or_else(|| panic!("{path} is not embedded"))
    }

    fn keys(lang: &str) -> BTreeSet<String> {
        let v: serde_json::Value = serde_json::from_str(&text(&format!("i18n/{lang}.json")))
            .unwrap_or_else(|e| panic!("i18n/{lang}.json: {e}"));
        v.as_object()
            .unwrap_or_else(|| panic!("i18n/{lang}.json is not an object"))
            .keys()
            .cloned()
            .collect()
    }

    /// Every `t("a.b")` and `data-i18n*="a.b"` in the pages and scripts.
    fn used_keys() -> BTreeSet<String> {
        let mut used = BTreeSet::new();
        for path in Assets::iter() {
            if !(path.ends_with(".js") || path.ends_with(".html")) {
                continue;
            }
            let body = text(&path);
            for (open, close) in [
                ("t(\"", '"'),
                ("data-i18n=\"", '"'),
                ("\"data-i18n\": \"", '"'),
            ]
            .into_iter()
            .chain(["-placeholder=\"", "-label=\"", "-title=\""].map(|a| (a, '"')))
            {
                for (i, _) in body.match_indices(open) {
                    // `t("` must not be the tail of another name (`.at("`, `get("`).
                    if open == "t(\""
                        && body[..i]
                            .chars()
                            .last()
                            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.')
                    {
                        continue;
                    }
                    let rest = &body[i + open.len()..];
                    if let Some(end) = rest.find(close) {
                        let key = &rest[..end];
                        if key.contains('.') && !key.contains(' ') {
                            used.insert(key.to_string());
                        }
                    }
                }
            }
        }
        used
    }

    #[test]
    fn both_languages_have_every_string() {
        let (en, fr) = (keys("en"), keys("fr"));
        assert_eq!(
            en.symmetric_difference(&fr).collect::<Vec<_>>(),
            Vec::<&String>::new(),
            "en.json and fr.json differ"
        );
        let used = used_keys();
        assert!(used.len() > 50, "found only {} keys in use", used.len());
        // A key with plural forms exists as `key.one` and `key.other`.
        let known = |k: &String| {
            en.contains(k)
                || (en.contains(&format!("{k}.one")) && en.contains(&format!("{k}.other")))
        };
        let missing: Vec<_> = used.iter().filter(|k| !known(k)).collect();
        assert!(
            missing.is_empty(),
            "keys used but not translated: {missing:?}"
        );
        // Keys built at run time from wire words: every word must have a string.
        // Every kind the server knows has a name on screen.
        let kinds: Vec<&str> = librekast_storage::ActivityKind::ALL
            .iter()
            .map(|k| k.wire())
            .collect();
        for (prefix, words) in [
            (
                "status",
                &[
                    "before",
                    "waiting",
                    "ongoing",
                    "results",
                    "scoreboard",
                    "after",
                    "undefined",
                ][..],
            ),
            ("kind", &kinds[..]),
            ("plan", &["pending", "open", "closed", "done"][..]),
            ("attempt", &["captured", "already_flagged", "not_found"][..]),
        ] {
            for w in words {
                assert!(en.contains(&format!("{prefix}.{w}")), "{prefix}.{w}");
            }
        }
        for code in librekast_engine::ErrorCode::ALL {
            assert!(en.contains(&format!("error.{code}")), "error.{code}");
        }
    }

    fn rgb(hex: &str) -> [f64; 3] {
        let h = hex.trim_start_matches('#');
        let n = u32::from_str_radix(h, 16).unwrap_or_else(|_| panic!("bad colour {hex}"));
        [(n >> 16) & 255, (n >> 8) & 255, n & 255].map(|c| f64::from(c) / 255.0)
    }

    fn luminance(hex: &str) -> f64 {
        let lin = |c: f64| {
            if c <= 0.03928 {
                c / 12.92
            } else {
                ((c + 0.055) / 1.055).powf(2.4)
            }
        };
        let [r, g, b] = rgb(hex).map(lin);
        0.2126 * r + 0.7152 * g + 0.0722 * b
    }

    fn contrast(a: &str, b: &str) -> f64 {
        let (x, y) = (luminance(a), luminance(b));
        (x.max(y) + 0.05) / (x.min(y) + 0.05)
    }

    /// `--name: light-dark(#light, #dark);` tokens of app.css.
    fn tokens() -> HashMap<String, (String, String)> {
        let css = text("css/app.css");
        let mut out = HashMap::new();
        for line in css.lines() {
            let line = line.trim();
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let Some(inner) = value
                .trim()
                .strip_prefix("light-dark(")
                .and_then(|v| v.split_once(')'))
            else {
                continue;
            };
            if let Some((l, d)) = inner.0.split_once(',') {
                out.insert(
                    name.trim().trim_start_matches("--").to_string(),
                    (l.trim().to_string(), d.trim().to_string()),
                );
            }
        }
        out
    }

    #[test]
    fn colours_meet_wcag_aa_in_both_themes() {
        let t = tokens();
        assert!(t.len() >= 12, "tokens: {t:?}");
        // (foreground, background, minimum): 4.5 for text, 3 for borders, bars and focus.
        let pairs = [
            ("text", "bg", 4.5),
            ("text", "surface", 4.5),
            ("text", "surface-2", 4.5),
            ("muted", "bg", 4.5),
            ("muted", "surface", 4.5),
            ("muted", "surface-2", 4.5),
            ("accent-ink", "accent", 4.5),
            ("accent", "surface", 4.5),
            ("accent", "bg", 4.5),
            ("ok", "surface", 4.5),
            ("ok", "bg", 4.5),
            ("surface", "ok", 4.5),
            ("bad", "surface", 4.5),
            ("bad", "bg", 4.5),
            ("border", "surface", 3.0),
            ("border", "bg", 3.0),
            ("focus", "bg", 3.0),
            ("focus", "surface", 3.0),
            ("bar", "surface-2", 3.0),
            ("bar-ok", "surface-2", 3.0),
        ];
        let mut failures = Vec::new();
        for (fg, bg, min) in pairs {
            let (Some(f), Some(b)) = (t.get(fg), t.get(bg)) else {
                failures.push(format!("missing token {fg} or {bg}"));
                continue;
            };
            for (theme, fc, bc) in [("light", &f.0, &b.0), ("dark", &f.1, &b.1)] {
                let ratio = contrast(fc, bc);
                if ratio < min {
                    failures.push(format!(
                        "{theme}: {fg} {fc} on {bg} {bc} = {ratio:.2} < {min}"
                    ));
                }
            }
        }
        // Fixed colours: dark ink on the podium's gold, silver and bronze.
        for podium in ["#f5b82e", "#c3cad9", "#d08a54"] {
            let ratio = contrast("#1a1200", podium);
            if ratio < 4.5 {
                failures.push(format!("podium {podium}: {ratio:.2}"));
            }
        }
        assert!(failures.is_empty(), "{failures:#?}");
    }

    #[test]
    fn pages_load_nothing_from_elsewhere() {
        // No CDN, no inline script or style (the CSP would block them anyway).
        let bad = [
            "src=\"http",
            "href=\"http",
            "url(http",
            "from \"http",
            "import(\"http",
            "@import",
            "<script>",
            " style=\"",
        ];
        for path in Assets::iter() {
            if path.ends_with(".html") || path.ends_with(".css") || path.ends_with(".js") {
                let body = text(&path);
                for b in bad {
                    assert!(!body.contains(b), "{path} contains {b:?}");
                }
            }
        }
    }
}
