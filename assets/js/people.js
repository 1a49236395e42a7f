// Shared by the account and users pages: JSON calls with any method (a staff session that
// ended sends the page back to the login form), field errors, relative times and a short
// name for a browser's User-Agent.

import { $ } from "./common.js";
import { t, currentLang } from "./i18n.js";

/// `{ok, status, data}` of a JSON call; `data.error` is `"offline"` when nothing answered.
/// A `401 unauthorized` means this browser's session ended: back to the login form.
export async function send(method, url, body) {
  const init = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(url, init); } catch { return { ok: false, status: 0, data: { error: "offline" } }; }
  let data = {};
  try { data = await res.json(); } catch { /* empty body */ }
  if (res.status === 401 && data?.error === "unauthorized") sessionEnded();
  return { ok: res.ok, status: res.status, data: data ?? {} };
}

/// The login form says "Your session ended" after the reload.
export function sessionEnded() {
  try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
  location.reload();
}

/// The message under field `#id` (`#id-error`), and the field marked invalid; `""` clears.
export function fieldError(id, message) {
  const field = $(`#${id}`), out = $(`#${id}-error`);
  if (out) out.textContent = message;
  if (field) {
    if (message) field.setAttribute("aria-invalid", "true");
    else field.removeAttribute("aria-invalid");
  }
}

/// A status line (`.toast`): good news in green, trouble in red.
export function say(sel, text, ok = false) {
  const node = $(sel);
  node.textContent = text;
  node.className = "toast " + (text ? (ok ? "ok" : "bad") : "");
}

/// "now", "5 minutes ago", "yesterday"… in the page's language.
export function relativeTime(iso) {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return "";
  const secs = Math.round((at - Date.now()) / 1000), abs = Math.abs(secs);
  const rtf = new Intl.RelativeTimeFormat(currentLang(), { numeric: "auto" });
  if (abs < 45) return rtf.format(0, "second");
  if (abs < 45 * 60) return rtf.format(Math.round(secs / 60), "minute");
  if (abs < 22 * 3600) return rtf.format(Math.round(secs / 3600), "hour");
  return rtf.format(Math.round(secs / 86400), "day");
}

/// The date and time in full, for a tooltip.
export function fullTime(iso) {
  const at = new Date(iso);
  return Number.isNaN(at.getTime()) ? "" : at.toLocaleString(currentLang(), { dateStyle: "medium", timeStyle: "short" });
}

/// "Chrome on Linux", "Safari on iOS", "curl": enough to recognise a session.
export function deviceName(ua) {
  if (!ua) return t("acct.device_unknown");
  const browser = /Edg(e|A|iOS)?\//.test(ua) ? "Edge" : /OPR\//.test(ua) ? "Opera"
    : /Firefox\/|FxiOS/.test(ua) ? "Firefox" : /Chrome\/|Chromium\/|CriOS/.test(ua) ? "Chrome"
      : /Safari\//.test(ua) ? "Safari" : null;
  const os = /Android/.test(ua) ? "Android" : /iPhone|iPad|iPod/.test(ua) ? "iOS"
    : /Windows/.test(ua) ? "Windows" : /Macintosh|Mac OS X/.test(ua) ? "macOS"
      : /CrOS/.test(ua) ? "ChromeOS" : /Linux/.test(ua) ? "Linux" : null;
  if (browser && os) return t("acct.device", { browser, os });
  if (browser) return browser;
  // A script: its product name ("curl/8.5.0" → "curl").
  return ua.split(/[\s/]/)[0] || t("acct.device_unknown");
}

/// Whether a User-Agent is a phone or tablet (for the icon).
export function isMobile(ua) {
  return !!ua && /Mobile|Android|iPhone|iPad/.test(ua);
}
