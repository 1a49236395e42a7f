// The dashboard's "Stream overlays" card: the OBS browser sources of a meeting (chat,
// alerts, activity), each a transparent page opened with a read-only display link and its
// recommended size, and the teleprompter's link (a display link of scope "prompter": it
// shows the organizer's notes, so it is made only on demand). Links are made when asked
// (`POST …/display`): each is a token that works until display links are revoked.

import { $, el, postJson, errorText } from "./common.js";
import { t } from "./i18n.js";
import { glyph } from "./editkit.js";

/// The overlays and the size each is designed at (docs/obs.md).
export const OVERLAYS = [
  { name: "chat", width: 400, height: 600 },
  { name: "alerts", width: 800, height: 600 },
  { name: "activity", width: 1920, height: 300 },
];

/// A read-only field with the address, a copy button and a line saying it was copied.
function linkBox(id, url, label) {
  const field = el("input", { type: "text", id, class: "link-value", readonly: true, value: url, spellcheck: "false" });
  const status = el("span", { class: "link-status", role: "status" });
  const copy = el("button", { type: "button", class: "secondary small link-copy", "aria-label": t("overlays.copy_label", { name: label }) }, glyph("copy"), el("span", {}, t("overlays.copy")));
  copy.addEventListener("click", async () => {
    let copied = false;
    try { await navigator.clipboard.writeText(url); copied = true; } catch { /* not a secure context */ }
    if (!copied) {
      field.focus();
      field.select();
      try { copied = document.execCommand("copy"); } catch { copied = false; }
    }
    status.textContent = copied ? t("secret.copied") : t("secret.select");
  });
  field.addEventListener("focus", () => field.select());
  return el("div", { class: "link-box" }, field, copy, status);
}

export class Overlays {
  constructor(meeting, toast) {
    this.meeting = meeting;
    this.toast = toast;
    this.token = null;
    this.prompter = null;
  }

  mount() {
    $("#overlays-create").addEventListener("click", () => this.create());
    $("#prompter-create").addEventListener("click", () => this.createPrompter());
    this.render();
  }

  async create() {
    const res = await postJson(`/api/meetings/${this.meeting}/display`);
    if (!res.ok) { this.say(errorText(res.data?.error)); return; }
    this.token = res.data.token;
    this.render();
    $("#overlay-chat")?.focus();
  }

  async createPrompter() {
    const res = await postJson(`/api/meetings/${this.meeting}/display`, { scope: "prompter" });
    if (!res.ok) { this.say(errorText(res.data?.error)); return; }
    const url = res.data.url || `/overlay/prompter.html?meeting=${this.meeting}&token=${encodeURIComponent(res.data.token)}`;
    this.prompter = new URL(url, location.origin).href;
    this.render();
    $("#prompter-url")?.focus();
  }

  say(text) {
    $("#overlays-status").textContent = text;
  }

  /// After "Revoke display links": the links shown no longer work.
  revoked() {
    this.token = null;
    this.prompter = null;
    this.render();
  }

  render() {
    const list = $("#overlay-links");
    $("#overlays-create").querySelector("span").textContent = t(this.token ? "overlays.recreate" : "overlays.create");
    list.replaceChildren(...(this.token ? OVERLAYS.map((o) => {
      const url = `${location.origin}/overlay/${o.name}.html?meeting=${this.meeting}&token=${encodeURIComponent(this.token)}`;
      const name = t(`overlays.${o.name}`);
      return el("li", { class: "overlay-link", "data-overlay": o.name },
        el("div", { class: "overlay-head" },
          el("label", { for: `overlay-${o.name}` }, name),
          el("span", { class: "overlay-size", title: t("overlays.size_title") }, `${o.width} × ${o.height}`),
          el("a", { href: url, target: "_blank", rel: "noopener", class: "overlay-open" }, t("overlays.open"), el("span", { class: "sr-only" }, ` (${name})`))),
        linkBox(`overlay-${o.name}`, url, name));
    }) : []));
    const out = $("#prompter-out");
    out.replaceChildren(...(this.prompter ? [
      el("div", { class: "overlay-head" },
        el("label", { for: "prompter-url" }, t("overlays.prompter")),
        el("a", { href: this.prompter, target: "_blank", rel: "noopener", class: "overlay-open" }, t("overlays.open"), el("span", { class: "sr-only" }, ` (${t("overlays.prompter")})`))),
      linkBox("prompter-url", this.prompter, t("overlays.prompter")),
    ] : []));
  }
}
