// The operations page's live list of supervision events: newest on top, at most 1,000
// kept (the oldest row goes as a new one comes), filtered by meeting, actor, level and
// text without rebuilding the list (rows are shown or hidden), paused on request (what
// arrives meanwhile waits, and comes in at once on resume). Rows are only ever prepended
// or dropped, never all redrawn per batch. Events the stream could not deliver (a gap in
// `seq` after a reconnection) and a server restart show as marker rows.
//
// The list is a `role="log"` region: quiet while the backlog loads and while paused, polite
// otherwise, announcing additions only.

import { $, el, icon } from "./common.js";
import { t } from "./i18n.js";
import { num, millis, clock, fullDate, actorName, eventName, levelName, LEVEL_ICON } from "./operate-format.js";

export const KEEP = 1000;
const SUPERVISORS = new Set(["meeting_supervisor", "meetings"]);
const LEVELS = { info: 0, warn: 1, error: 2 };

export class EventLog {
  /// `titleOf(id)` gives a meeting's title when a snapshot named it (else null).
  constructor(titleOf) {
    this.titleOf = titleOf;
    this.entries = []; // newest first: {ev, row} or {marker, row}
    this.pending = []; // oldest first, while paused
    this.lastSeq = 0;
    this.paused = false;
    this.loaded = false;
    this.filters = { meeting: "", actor: "", level: "", text: "" };
    this.meetingIds = new Set();
    this.tbody = $("#op-rows");
    this.region = $("#op-log");
  }

  /// A batch from the stream (oldest first): duplicates after a reconnection are skipped,
  /// a gap is marked.
  add(events) {
    const fresh = events.filter((e) => Number.isFinite(e?.seq) && e.seq > this.lastSeq);
    if (!fresh.length) { this.settle(); return; }
    const marks = [];
    if (this.lastSeq > 0 && fresh[0].seq > this.lastSeq + 1) marks.push({ marker: "gap", n: fresh[0].seq - this.lastSeq - 1, at: fresh[0].at });
    this.lastSeq = fresh[fresh.length - 1].seq;
    for (const e of fresh) if (e.meeting_id !== null && e.meeting_id !== undefined) this.meetingIds.add(e.meeting_id);
    const items = [...marks, ...fresh.map((ev) => ({ ev }))];
    if (this.paused) {
      this.pending.push(...items);
      if (this.pending.length > KEEP) this.pending.splice(0, this.pending.length - KEEP);
      this.count();
      return;
    }
    this.insert(items, this.loaded);
    this.settle();
  }

  /// The server restarted: its events start again at 1.
  restarted(at) {
    const item = { marker: "restart", at };
    this.lastSeq = 0;
    if (this.paused) this.pending.push(item);
    else this.insert([item], true);
    this.count();
  }

  /// After the first batch (the backlog), additions are announced.
  settle() {
    this.loaded = true;
    this.region.setAttribute("aria-live", this.paused ? "off" : "polite");
    this.count();
  }

  insert(items, highlight) {
    const frag = document.createDocumentFragment();
    const made = [];
    for (let i = items.length - 1; i >= 0; i--) {
      const item = items[i];
      item.row = item.ev ? this.row(item.ev) : this.markerRow(item);
      if (highlight) item.row.classList.add("op-new");
      item.row.hidden = !this.shows(item);
      frag.append(item.row);
      made.push(item);
    }
    this.tbody.prepend(frag);
    this.entries.unshift(...made);
    while (this.entries.length > KEEP) this.entries.pop().row.remove();
  }

  row(e) {
    const lvl = LEVELS[e.level] === undefined ? "info" : e.level;
    const mid = e.meeting_id;
    const details = [];
    if (e.error) details.push(el("span", { class: "op-err" }, e.error));
    if (e.delay_ms !== null && e.delay_ms !== undefined) details.push(el("span", {}, t("operate.retry_in", { d: millis(e.delay_ms) })));
    if (e.reason) details.push(el("span", {}, t("operate.reason", { reason: e.reason })));
    // The log line's own words, for finding it in the server's log (unless they only repeat the event).
    const plain = (w) => String(w ?? "").replace(/_/g, " ").trim().toLowerCase();
    if (e.message && plain(e.message) !== plain(e.event)) details.push(el("span", { class: "op-msg" }, e.message));
    const iso = new Date(e.at).toISOString();
    return el("tr", { class: `op-row op-lvl-${lvl}`, "data-seq": String(e.seq), "data-event": e.event, "data-level": lvl, "data-mid": mid ?? "" },
      el("td", { class: "op-c-time" }, el("time", { datetime: iso, title: fullDate(e.at) }, clock(e.at))),
      el("td", { class: "op-c-level" }, el("span", { class: `op-level op-level-${lvl}` }, icon(LEVEL_ICON[lvl]), el("span", {}, levelName(e.level)))),
      el("td", { class: "op-c-meeting" }, this.meetingCell(mid)),
      el("td", { class: "op-c-actor" }, actorName(e.actor, e.name)),
      el("td", { class: "op-c-event" }, el("strong", {}, eventName(e.event))),
      el("td", { class: "op-c-details" }, ...details));
  }

  markerRow(m) {
    const text = m.marker === "gap" ? t("operate.gap", { n: m.n, count: num(m.n) }) : t("operate.server_restarted", { at: clock(m.at, false) });
    return el("tr", { class: `op-marker op-marker-${m.marker}` },
      el("td", { colspan: "6" }, icon(m.marker === "gap" ? "warn" : "restart"), " ", el("span", {}, text)));
  }

  /// A long title stays on one line (two on a phone); the whole of it is its tooltip.
  meetingCell(mid) {
    const label = this.meetingLabel(mid);
    return el("span", { class: "op-mtg", title: label }, label);
  }

  meetingLabel(mid) {
    if (mid === null || mid === undefined) return t("operate.server_wide");
    const title = this.titleOf(mid);
    return title ? t("operate.meeting_titled", { id: mid, title }) : t("operate.meeting_id", { id: mid });
  }

  /// A snapshot named meetings: rows that showed only "#7" get the title.
  retitle(ids) {
    for (const id of ids) {
      for (const cell of this.tbody.querySelectorAll(`tr[data-mid="${id}"] > .op-c-meeting`)) cell.replaceChildren(this.meetingCell(id));
    }
  }

  /// Every row again (after a language change).
  relabel() {
    for (const item of this.entries) {
      const row = item.ev ? this.row(item.ev) : this.markerRow(item);
      row.hidden = item.row.hidden;
      item.row.replaceWith(row);
      item.row = row;
    }
    this.count();
  }

  shows(item) {
    if (!item.ev) return true;
    const e = item.ev, f = this.filters;
    if (f.meeting === "none" && e.meeting_id !== null && e.meeting_id !== undefined) return false;
    if (f.meeting && f.meeting !== "none" && String(e.meeting_id) !== f.meeting) return false;
    if (f.actor === "supervisor" ? !SUPERVISORS.has(e.actor) : f.actor && e.actor !== f.actor) return false;
    if (f.level && (LEVELS[e.level] ?? 0) < LEVELS[f.level]) return false;
    if (f.text) {
      const hay = [this.meetingLabel(e.meeting_id), actorName(e.actor, e.name), eventName(e.event), levelName(e.level),
        e.event, e.actor, e.name, e.error, e.reason, e.message].filter(Boolean).join(" ").toLowerCase();
      if (!hay.includes(f.text)) return false;
    }
    return true;
  }

  filtered() { return Boolean(this.filters.meeting || this.filters.actor || this.filters.level || this.filters.text); }

  setFilters(filters) {
    this.filters = { ...filters, text: filters.text.trim().toLowerCase() };
    // Hidden rows are not announced: no need to silence the region while they toggle.
    for (const item of this.entries) item.row.hidden = !this.shows(item);
    this.count();
  }

  setPaused(paused) {
    this.paused = paused;
    this.region.setAttribute("aria-live", paused || !this.loaded ? "off" : "polite");
    if (!paused && this.pending.length) {
      const items = this.pending;
      this.pending = [];
      // What waited comes in at once, without announcing each row.
      this.region.setAttribute("aria-live", "off");
      this.insert(items, true);
      requestAnimationFrame(() => { if (!this.paused) this.region.setAttribute("aria-live", "polite"); });
    }
    this.count();
  }

  count() {
    const events = this.entries.filter((x) => x.ev);
    const shown = events.filter((x) => !x.row.hidden).length;
    const hidden = events.length - shown;
    $("#op-count").textContent = !events.length ? ""
      : hidden ? t("operate.count_filtered", { shown: num(shown), total: num(events.length), hidden: num(hidden) })
        : t("operate.count", { n: events.length, total: num(events.length) });
    const none = $("#op-no-events");
    none.textContent = !events.length ? t("operate.no_events") : !shown ? t("operate.no_match") : "";
    none.classList.toggle("hidden", Boolean(shown));
    this.region.classList.toggle("hidden", !shown && !this.entries.some((x) => !x.ev));
    const waiting = this.pending.filter((x) => x.ev).length;
    $("#op-pause-text").textContent = this.paused
      ? (waiting ? t("operate.resume_n", { n: waiting, count: num(waiting) }) : t("operate.resume"))
      : t("operate.pause");
    $("#op-pause use").setAttribute("href", `/icons.svg#${this.paused ? "play" : "pause"}`);
  }
}
