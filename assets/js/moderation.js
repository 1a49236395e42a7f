// The dashboard's moderation panels (docs/web-app.md, "Moderation"): the participant list
// (search, platform, score, rank, online state; rename inline, remove after a confirmation),
// the current word cloud's words with Hide / Show, and the meeting's blocked words. Every
// action is one API call (docs/api.md, "Moderation"); the change then reaches every screen
// through the meeting, and this panel follows the staff socket's frames. Names and words
// are only ever inserted as text.

import { $, el, icon, errorText } from "./common.js";
import { t, onLangChange } from "./i18n.js";
import { send } from "./people.js";
import { confirmDialog } from "./dialog.js";
import { platformTag } from "./streams.js";

/// Rows drawn at once: a keynote's ten thousand names are searched, not scrolled.
const SHOWN = 200;
/// The list is fetched again at most once a second, and less often for big meetings (one
/// second more per thousand participants, at most ten): the frames that trigger it come in
/// bursts, and the whole list is one answer.
const MIN_INTERVAL = 1000;
const MAX_INTERVAL = 10000;

/// Lower case without accents, so "zoe" finds "Zoë".
const fold = (s) => s.normalize("NFD").replace(/\p{M}/gu, "").toLowerCase();

/// A status line (`.toast`) that clears itself after a while: news of a rename or a
/// removal should not linger beside a list that has moved on.
const toastTimers = new Map();
function say(sel, text, ok = false) {
  const node = $(sel);
  node.textContent = text;
  node.className = "toast " + (text ? (ok ? "ok" : "bad") : "");
  clearTimeout(toastTimers.get(sel));
  if (text && ok) toastTimers.set(sel, setTimeout(() => say(sel, ""), 8000));
}

/// Rebuilds `container` with `build()` and puts the focus back on the control that had it
/// (matched by `data-key`), so a list refreshing every second never steals a keyboard
/// user's place. Returns whether the focused control was found again.
function rebuild(container, build) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.dataset.key : null;
  container.replaceChildren(...build());
  if (!key) return true;
  const again = [...container.querySelectorAll("[data-key]")].find((n) => n.dataset.key === key);
  again?.focus();
  return Boolean(again);
}

export class Moderation {
  constructor(meeting) {
    this.meeting = meeting;
    this.rows = [];
    this.editing = null; // attendee id whose rename form is open
    this.timer = null;
    this.loading = false;
    this.dirty = false;
    this.last = 0;
    this.interval = MIN_INTERVAL;
    this.question = null; // the current activity, when it is a word cloud
    this.words = [];
    this.hidden = [];
    this.shownWords = "";
  }

  api(path) { return `/api/meetings/${this.meeting}${path}`; }

  mount() {
    $("#moderation").classList.remove("hidden");
    $("#people-search").addEventListener("input", () => this.renderList());
    $("#blocked-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.saveBlocked(); });
    const sheet = $("#flag-sheet-link");
    if (sheet) sheet.href = `/flags.html?meeting=${this.meeting}`;
    // The blocked words are read again each time the editor opens (the meeting editor may
    // have changed them), unless this one holds unsaved changes.
    $("#blocked-words").addEventListener("input", () => { this.blockedEdited = true; });
    $("#blocked").addEventListener("toggle", () => { if ($("#blocked").open && !this.blockedEdited) this.loadBlocked(); });
    onLangChange(() => { this.renderList(); this.renderWords(true); });
    this.load();
    this.loadBlocked();
  }

  toast(text, ok = false) { say("#people-toast", text, ok); }

  /// Every frame of the staff socket. A new `state` (any control, a rename, a removal), a
  /// changed `participants` count or a captured flag means the list may have changed; the
  /// current word cloud's words come from `state` and `words` frames.
  onFrame(f) {
    if (f.type === "state") {
      const q = f.question && f.question.kind === "wordcloud" ? f.question : null;
      const changed = (q?.id ?? null) !== (this.question?.id ?? null);
      this.question = q;
      this.words = q ? f.words || [] : [];
      if (changed) { this.hidden = []; this.shownWords = ""; if (q) this.loadHidden(); }
      this.renderWords();
      this.schedule();
    } else if (f.type === "words") {
      if (this.question && f.question_id === this.question.id) { this.words = f.words || []; this.renderWords(); }
    } else if (f.type === "participants" || (f.type === "flag_attempt" && f.outcome === "captured")) {
      this.schedule();
    }
  }

  // ---- Participants ----

  /// Asks for the list again soon: at once if the last fetch is old enough, else when it is;
  /// frames meanwhile fold into that one fetch.
  schedule() {
    this.dirty = true;
    if (this.timer || this.loading) return;
    const wait = Math.max(0, this.last + this.interval - Date.now());
    this.timer = setTimeout(() => { this.timer = null; this.load(); }, wait);
  }

  async load() {
    this.dirty = false;
    this.loading = true;
    this.last = Date.now();
    const res = await send("GET", this.api("/participants"));
    this.loading = false;
    if (res.ok && Array.isArray(res.data)) {
      this.rows = res.data;
      this.interval = Math.min(MAX_INTERVAL, MIN_INTERVAL * (1 + Math.floor(this.rows.length / 1000)));
      this.failed = null;
    } else this.failed = errorText(res.data?.error || "offline");
    // An open rename form stays as it is; the list catches up when it closes.
    if (this.editing === null) this.renderList();
    if (this.dirty) this.schedule();
  }

  renderList() {
    if (this.editing !== null) return;
    const query = fold($("#people-search").value.trim());
    const matches = query ? this.rows.filter((p) => fold(p.name).includes(query)) : this.rows;
    const shown = matches.slice(0, SHOWN);
    const online = this.rows.filter((p) => p.online === true).length;
    const chat = this.rows.filter((p) => p.online === null).length;
    $("#people-count").textContent = [
      t("mod.count", { n: this.rows.length }),
      t("mod.online", { n: online }),
      chat ? t("mod.chat", { n: chat }) : null,
    ].filter(Boolean).join(" · ");
    const list = $("#people-list");
    const found = rebuild(list, () => shown.map((p) => this.row(p)));
    if (!found) $("#people-search").focus();
    let more = "";
    if (this.failed) more = this.failed;
    else if (!this.rows.length) more = t("mod.none");
    else if (!matches.length) more = t("mod.no_match", { q: $("#people-search").value.trim() });
    else if (matches.length > shown.length) more = t("mod.first_n", { shown: shown.length, total: matches.length });
    $("#people-more").textContent = more;
  }

  row(p) {
    const state = p.online === null ? "chat" : p.online ? "online" : "offline";
    return el("li", { class: `person ${state}`, "data-id": p.attendee_id },
      el("span", { class: "dot", "aria-hidden": "true" }),
      el("div", { class: "person-main" },
        el("span", { class: "person-name" }, p.name),
        el("span", { class: "person-meta" },
          p.platform === "room" ? el("span", { class: "ptag" }, t("mod.room")) : platformTag(p.platform),
          el("span", { class: "person-state" }, t(`mod.state_${state}`)))),
      el("span", { class: "person-score" },
        el("strong", {}, t("score.points", { n: p.score })),
        el("span", { class: "muted" }, p.rank ? t("mod.rank", { n: p.rank }) : "")),
      el("div", { class: "person-actions" },
        el("button", { type: "button", class: "secondary small", "data-key": `rename:${p.attendee_id}`, "aria-label": t("mod.rename_label", { name: p.name }), onclick: () => this.openRename(p) }, t("mod.rename")),
        el("button", { type: "button", class: "danger-outline secondary small", "data-key": `remove:${p.attendee_id}`, "aria-label": t("mod.remove_label", { name: p.name }), onclick: () => this.remove(p) },
          icon("trash"), t("mod.remove"))));
  }

  openRename(p) {
    const li = [...$("#people-list").children].find((n) => n.dataset.id === String(p.attendee_id));
    if (!li) return;
    this.editing = p.attendee_id;
    const id = `rename-${p.attendee_id}`;
    const input = el("input", { id, type: "text", maxlength: 40, autocomplete: "off", value: p.name, "aria-describedby": `${id}-error` });
    const error = el("p", { class: "field-error", id: `${id}-error`, role: "alert" });
    const close = (focusKey) => {
      this.editing = null;
      this.renderList();
      if (focusKey) [...$("#people-list").querySelectorAll("[data-key]")].find((n) => n.dataset.key === focusKey)?.focus();
    };
    const form = el("form", { class: "rename-form", novalidate: true },
      el("label", { for: id, class: "sr-only" }, t("mod.new_name", { name: p.name })),
      el("div", { class: "rename-row" }, input,
        el("button", { type: "submit", class: "small" }, t("mod.save")),
        el("button", { type: "button", class: "secondary small", onclick: () => close(`rename:${p.attendee_id}`) }, t("dialog.cancel"))),
      error);
    form.addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const name = input.value.trim();
      if (!name) { this.fieldError(input, error, t("join.need_name")); input.focus(); return; }
      if (name === p.name) { close(`rename:${p.attendee_id}`); return; }
      for (const b of form.querySelectorAll("button")) b.disabled = true;
      const res = await send("PUT", this.api(`/participants/${p.attendee_id}`), { name });
      for (const b of form.querySelectorAll("button")) b.disabled = false;
      if (res.ok) {
        const old = p.name, renamed = res.data.name || name;
        const row = this.rows.find((r) => r.attendee_id === p.attendee_id);
        if (row) row.name = renamed;
        this.toast(t("mod.renamed", { old, name: renamed }), true);
        close(`rename:${p.attendee_id}`);
        this.schedule();
        return;
      }
      const code = res.data?.error;
      if (code === "not_found" || code === "removed") { this.toast(t("mod.gone")); close(null); this.schedule(); return; }
      this.fieldError(input, error, code === "blocked_word" ? t("mod.name_blocked") : code === "bad_request" ? t("join.bad_name") : errorText(code || "offline"));
      input.focus();
    });
    input.addEventListener("keydown", (ev) => { if (ev.key === "Escape") { ev.preventDefault(); close(`rename:${p.attendee_id}`); } });
    li.classList.add("editing");
    li.replaceChildren(el("span", { class: "dot", "aria-hidden": "true" }), form);
    input.focus();
    input.select();
  }

  fieldError(input, out, message) {
    out.textContent = message;
    if (message) input.setAttribute("aria-invalid", "true"); else input.removeAttribute("aria-invalid");
  }

  async remove(p) {
    const sure = await confirmDialog({
      title: t("mod.remove_title", { name: p.name }),
      text: t("mod.remove_text"),
      ok: t("mod.remove_ok"),
    });
    if (!sure) return;
    const res = await send("DELETE", this.api(`/participants/${p.attendee_id}`));
    if (res.ok || res.data?.error === "removed") {
      this.rows = this.rows.filter((r) => r.attendee_id !== p.attendee_id);
      this.toast(t("mod.removed", { name: p.name }), true);
      this.renderList();
      $("#people-search").focus();
    } else if (res.data?.error === "not_found") this.toast(t("mod.gone"));
    else this.toast(errorText(res.data?.error || "offline"));
    this.schedule();
  }

  // ---- Word cloud ----

  async loadHidden() {
    const q = this.question;
    if (!q) return;
    const res = await send("GET", this.api(`/activities/${q.id}/hidden_words`));
    if (res.ok && this.question?.id === q.id) { this.hidden = res.data.words || []; this.renderWords(true); }
  }

  renderWords(force = false) {
    const box = $("#cloud-mod");
    box.classList.toggle("hidden", !this.question);
    if (!this.question) return;
    // Word frames come up to ten times a second: redraw only what changed.
    const key = JSON.stringify([this.words, this.hidden]);
    if (!force && key === this.shownWords) return;
    this.shownWords = key;
    const found = rebuild($("#cloud-words"), () => this.words.length
      ? this.words.map((w) => el("li", { class: "word-chip" },
        el("span", { class: "word" }, w.text), el("span", { class: "count" }, String(w.count)),
        el("button", { type: "button", class: "secondary small", "data-key": `hide:${w.text}`, "aria-label": t("mod.hide_label", { word: w.text }), onclick: () => this.hide(w.text, true) }, t("mod.hide"))))
      : [el("li", { class: "muted" }, t("mod.words_none"))]);
    const foundHidden = rebuild($("#hidden-words"), () => this.hidden.length
      ? this.hidden.map((w) => el("li", { class: "word-chip is-hidden" },
        el("span", { class: "word" }, w),
        el("button", { type: "button", class: "secondary small", "data-key": `show:${w}`, "aria-label": t("mod.show_label", { word: w }), onclick: () => this.hide(w, false) }, t("mod.show"))))
      : [el("li", { class: "muted" }, t("mod.hidden_none"))]);
    if (!found || !foundHidden) $("#cloud-mod-title").focus();
  }

  async hide(word, hide) {
    const q = this.question;
    if (!q) return;
    const res = hide
      ? await send("POST", this.api(`/activities/${q.id}/hidden_words`), { word })
      : await send("DELETE", this.api(`/activities/${q.id}/hidden_words/${encodeURIComponent(word)}`));
    if (!res.ok) { this.toastWords(errorText(res.data?.error || "offline")); return; }
    this.toastWords(t(hide ? "mod.hidden_word" : "mod.shown_word", { word }), true);
    if (this.question?.id !== q.id) return;
    this.hidden = res.data.words || [];
    // The cloud itself follows with the next `words` frame; until then it looks hidden here.
    if (hide) this.words = this.words.filter((w) => fold(w.text) !== fold(word));
    this.renderWords(true);
  }

  toastWords(text, ok = false) { say("#cloud-mod-toast", text, ok); }

  // ---- Blocked words ----

  async loadBlocked() {
    const res = await send("GET", this.api("/plan"));
    if (!res.ok) return;
    this.setBlocked(res.data.blocked_words || []);
  }

  setBlocked(words) {
    this.blockedEdited = false;
    $("#blocked-words").value = words.join("\n");
    $("#blocked-count").textContent = String(words.length);
  }

  async saveBlocked() {
    const input = $("#blocked-words"), out = $("#blocked-error");
    const words = input.value.split("\n").map((w) => w.trim()).filter(Boolean);
    this.fieldError(input, out, "");
    say("#blocked-status", "");
    const res = await send("PUT", this.api("/blocked_words"), { words });
    if (res.ok) {
      const saved = res.data.words || words;
      this.setBlocked(saved);
      say("#blocked-status", saved.length ? t("mod.blocked_saved", { n: saved.length }) : t("mod.blocked_cleared"), true);
      return;
    }
    const code = res.data?.error;
    const message = code === "invalid_plan" && Array.isArray(res.data.errors)
      ? res.data.errors.map((e) => e.message).join(" ")
      : res.status === 413 ? t("mod.blocked_too_big") : errorText(code || "offline");
    this.fieldError(input, out, message);
    input.focus();
  }
}
