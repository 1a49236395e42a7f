// English and French. Each language's strings live in one file, assets/i18n/<lang>.json
// (web/tests checks that both have the same keys and that every key used here exists).
// The language is the visitor's choice (stored), else the browser's first supported one.

import en from "../i18n/en.json" with { type: "json" };
import fr from "../i18n/fr.json" with { type: "json" };

export const LANGS = { en, fr };
const STORE = "librekast.lang";
let lang = pick();
const listeners = [];

function pick() {
  let stored = null;
  try { stored = localStorage.getItem(STORE); } catch { /* private mode */ }
  if (stored && LANGS[stored]) return stored;
  for (const l of navigator.languages || [navigator.language || "en"]) {
    const base = String(l).toLowerCase().split("-")[0];
    if (LANGS[base]) return base;
  }
  return "en";
}

export function currentLang() { return lang; }

function plural(n) {
  return new Intl.PluralRules(lang).select(n) === "one" ? "one" : "other";
}

/// `t("key", {n: 3})` replaces `{n}`; when the language has `key.one` / `key.other`, the
/// count `n` picks the plural form by the language's rules (French says "0 point", English
/// "0 points"). A missing key shows itself (and fails the key test).
export function t(key, vars = {}) {
  let k = key;
  if (typeof vars.n === "number" && LANGS[lang][`${key}.other`]) k = `${key}.${plural(vars.n)}`;
  const text = LANGS[lang][k] ?? LANGS.en[k] ?? key;
  return text.replace(/\{(\w+)\}/g, (m, name) => (name in vars ? String(vars[name]) : m));
}

/// Fills `data-i18n` (text), `data-i18n-placeholder`, `data-i18n-label` (aria-label) and
/// `data-i18n-title` attributes under `root`.
export function translate(root = document) {
  document.documentElement.lang = lang;
  for (const n of root.querySelectorAll("[data-i18n]")) n.textContent = t(n.dataset.i18n);
  for (const n of root.querySelectorAll("[data-i18n-placeholder]")) n.placeholder = t(n.dataset.i18nPlaceholder);
  for (const n of root.querySelectorAll("[data-i18n-label]")) n.setAttribute("aria-label", t(n.dataset.i18nLabel));
  for (const n of root.querySelectorAll("[data-i18n-title]")) n.title = t(n.dataset.i18nTitle);
}

export function setLang(next) {
  if (!LANGS[next]) return;
  lang = next;
  try { localStorage.setItem(STORE, next); } catch { /* private mode */ }
  translate();
  for (const f of listeners) f(lang);
}

/// Called after every language change (pages re-render their dynamic parts).
export function onLangChange(f) { listeners.push(f); }

const THEME = "librekast.theme";
/// Theme: the system's unless the visitor picked one; `fallback` is the page's own default
/// (the presenter screen is dark unless told otherwise).
export function applyTheme(fallback = null) {
  let stored = null;
  try { stored = localStorage.getItem(THEME); } catch { /* private mode */ }
  const theme = stored || fallback;
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

function toggleTheme() {
  const dark = document.documentElement.dataset.theme
    ? document.documentElement.dataset.theme === "dark"
    : matchMedia("(prefers-color-scheme: dark)").matches;
  const next = dark ? "light" : "dark";
  try { localStorage.setItem(THEME, next); } catch { /* private mode */ }
  document.documentElement.dataset.theme = next;
}

/// Wires the language and theme buttons of the top bar (`#lang`, `#theme`).
export function mountTools() {
  const langBtn = document.getElementById("lang");
  if (langBtn) {
    // The name is the visible text ("FR"): what a voice-control user says to press it. What
    // it does is the tooltip and the description, in the language it switches to.
    const label = () => {
      const other = lang === "en" ? "fr" : "en";
      langBtn.textContent = other.toUpperCase();
      langBtn.title = t(other === "fr" ? "lang.to_fr" : "lang.to_en");
      langBtn.lang = other;
    };
    label();
    langBtn.addEventListener("click", () => { setLang(lang === "en" ? "fr" : "en"); label(); });
  }
  document.getElementById("theme")?.addEventListener("click", toggleTheme);
  translate();
}
