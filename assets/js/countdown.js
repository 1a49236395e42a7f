// The countdown of a timed activity, shared by the presenter, the participant page and the
// dashboard (docs/web-app.md, "Timers"). The server decides: an open timed activity's `state`
// carries `closes_at`, every `state` carries `now` (the server's clock when it was sent), and
// when time is up the server itself moves the activity to `results`. A screen only shows
// what is left, corrected for its own clock being off, and shows 0 until that state comes.
//
// One clock per page: `syncClock(state.now)` on every `state`, and one animation loop for
// every timer drawn, running only while one of them counts down.

import { el } from "./common.js";
import { t } from "./i18n.js";

/// `server time − performance.now()` from the latest frames. performance.now() is monotonic,
/// so the device's own clock being set (NTP, a user) meanwhile does not move the countdown.
/// A frame's `now` is the server's time when it left, so a frame that waited in the network
/// gives a smaller estimate: the largest of the last minute's samples is the closest one.
const samples = [];
let offset = null;

export function syncClock(now) {
  const server = typeof now === "string" ? Date.parse(now) : NaN;
  if (!Number.isFinite(server)) return;
  const at = performance.now();
  samples.push([at, server - at]);
  while (samples.length > 12 || (samples.length > 1 && at - samples[0][0] > 60000)) samples.shift();
  offset = Math.max(...samples.map((s) => s[1]));
}

/// The server's clock now, in ms since the epoch (the device's when no `now` came yet).
export function serverNow() {
  return offset === null ? Date.now() : performance.now() + offset;
}

/// Milliseconds left until `closesAt` (RFC 3339), never below 0; null without a deadline.
export function remainingMs(closesAt) {
  const end = typeof closesAt === "string" ? Date.parse(closesAt) : NaN;
  return Number.isFinite(end) ? Math.max(0, end - serverNow()) : null;
}

/// "0:23", "4:05", "1:00:00" for a whole number of seconds.
export function clock(secs) {
  const s = Math.max(0, Math.floor(secs));
  const h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h ? `${h}:${two(m)}:${two(r)}` : `${m}:${two(r)}`;
}

/// What a timer shows, from a `state`: `{mode, closesAt, limit}` where mode is
/// - `"running"`: the current activity is open and counts down to `closesAt`;
/// - `"up"`: it is still open but no longer counts (answers closed, results on their way);
/// - `"idle"`: staff only, a timed activity not opened yet (shows its whole limit);
/// - `"none"`: nothing to show.
export function timerOf(state) {
  const q = state?.question;
  const limit = Number(q?.time_limit_secs) || 0;
  if (!q || limit <= 0 || q.kind === "text") return { mode: "none", closesAt: null, limit: 0 };
  if (state.status === "ongoing") {
    if (state.closes_at && !state.closed) return { mode: "running", closesAt: state.closes_at, limit };
    return { mode: "up", closesAt: null, limit };
  }
  if ((state.status === "waiting" || state.status === "before") && state.audience === "staff") return { mode: "idle", closesAt: null, limit };
  return { mode: "none", closesAt: null, limit };
}

const reducedMotion = typeof matchMedia === "function" ? matchMedia("(prefers-reduced-motion: reduce)") : { matches: false };
/// The last seconds are emphasised (colour, and a pulse unless motion is reduced).
export const LOW_SECS = 5;
/// When screen readers hear how long is left (besides "Time's up").
const ANNOUNCE_AT = 10;

const timers = new Set();
let frame = null;

function loop() {
  frame = null;
  let busy = false;
  for (const timer of timers) busy = timer.tick() || busy;
  if (busy) frame = requestAnimationFrame(loop);
}

function wake() {
  if (frame === null) frame = requestAnimationFrame(loop);
}
// A hidden tab gets no animation frames: catch up at once when it shows again.
document.addEventListener("visibilitychange", () => { if (!document.hidden && timers.size) wake(); });

const SVG = "http://www.w3.org/2000/svg";
function svg(tag, attrs) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

/// A ring that empties as time passes, the seconds left in its middle ("0:23") and, at 0,
/// "Time's up". Its size never changes (no layout shift); `variant` is "big" (presenter),
/// "compact" (phone) or "panel" (dashboard). `announcer`: an element with aria-live where
/// "10 seconds left" and "Time's up" are said (the timer itself is `role="timer"`, which
/// screen readers do not read out every second).
export class Timer {
  constructor({ variant = "big", announcer = null } = {}) {
    this.variant = variant;
    this.announcer = announcer;
    this.state = { mode: "none", closesAt: null, limit: 0 };
    this.shown = null; // the whole seconds drawn last
    this.said = new Set(); // what was announced for this deadline
    this.key = null;
    const arc = svg("circle", { class: "timer-arc", cx: "50", cy: "50", r: "44", pathLength: "100" });
    const ring = svg("svg", { class: "timer-ring", viewBox: "0 0 100 100", "aria-hidden": "true", focusable: "false" });
    ring.append(svg("circle", { class: "timer-track", cx: "50", cy: "50", r: "44" }), arc);
    this.arc = arc;
    this.digits = el("span", { class: "timer-digits" });
    this.note = el("span", { class: "timer-note" });
    this.root = el("div", { class: `timer timer-${variant}`, role: "timer", "aria-live": "off", "data-mode": "none", hidden: true },
      ring, el("span", { class: "timer-text" }, this.digits, this.note));
  }

  /// Follows a `state`: starts, moves (time added) or stops the countdown.
  update(state) {
    const next = timerOf(state);
    const key = `${state?.question?.id ?? ""}:${next.mode}:${next.closesAt ?? ""}`;
    const question = state?.question?.id ?? null;
    const moved = key !== this.key;
    // The server closed the activity at its deadline, a moment before this page counted to
    // 0 (its clock lags the server's by the network's delay): time's up all the same. A
    // "Close now" long before the deadline is not.
    const ranOut = this.state.mode === "running" && next.mode !== "running" && question === this.question
      && (remainingMs(this.state.closesAt) ?? 0) <= 1000;
    // A new activity starts the announcements afresh; time added keeps what was said but
    // "10 seconds left" again when the deadline moved back over it.
    if (question !== this.question) { this.said.clear(); this.question = question; }
    this.state = next;
    this.key = key;
    this.root.hidden = next.mode === "none";
    this.root.dataset.mode = next.mode;
    this.shown = null;
    if (next.mode === "running") {
      if (moved) {
        // Opened (or reloaded) with less than the warning left: no "10 s left" to come.
        if (remainingMs(next.closesAt) / 1000 <= ANNOUNCE_AT) this.said.add("ten");
        else this.said.delete("ten");
        this.said.delete("up");
      }
      timers.add(this);
      wake();
      this.tick();
    } else {
      timers.delete(this);
      if (ranOut) this.say("up");
      // "up": answers closed while the reveal waits for the streams: 0 (said once by
      // `tick` when it counted down here).
      this.draw(next.mode === "idle" ? next.limit : 0, next.mode === "idle" ? 1 : 0);
    }
  }

  /// Draws the current moment; true while it still counts down.
  tick() {
    if (this.state.mode !== "running") return false;
    const ms = remainingMs(this.state.closesAt) ?? 0;
    const secs = Math.ceil(ms / 1000);
    // The ring moves smoothly, or once a second when motion is reduced.
    const total = Math.max(this.state.limit * 1000, ms, 1);
    const part = reducedMotion.matches ? (secs * 1000) / total : ms / total;
    this.arc.style.strokeDashoffset = String(100 - Math.min(1, part) * 100);
    if (secs !== this.shown) this.draw(secs, null);
    if (secs <= ANNOUNCE_AT && secs > 0) this.say("ten");
    if (ms <= 0) { this.say("up"); timers.delete(this); return false; }
    return true;
  }

  draw(secs, part) {
    this.shown = secs;
    const up = secs <= 0 && this.state.mode !== "idle";
    this.digits.textContent = clock(secs);
    this.root.dataset.len = String(this.digits.textContent.length);
    this.note.textContent = up ? t("timer.up") : this.state.mode === "idle" ? t("timer.not_started") : "";
    this.root.dataset.low = String(!up && this.state.mode === "running" && secs <= LOW_SECS);
    this.root.dataset.up = String(up);
    this.root.setAttribute("aria-label", up ? t("timer.up") : t("timer.label", { time: clock(secs) }));
    if (part !== null) this.arc.style.strokeDashoffset = String(100 - part * 100);
  }

  say(what) {
    if (this.said.has(what) || !this.announcer) { this.said.add(what); return; }
    this.said.add(what);
    const text = what === "up" ? t("timer.up") : t("timer.ten_left", { n: ANNOUNCE_AT });
    // Emptied first, so the same sentence twice in a row is still read out.
    this.announcer.textContent = "";
    setTimeout(() => { this.announcer.textContent = text; }, 50);
  }

  /// The language changed: redraw the words.
  relabel() {
    if (this.state.mode === "running") { this.shown = null; this.tick(); }
    else if (this.state.mode !== "none") this.draw(this.state.mode === "idle" ? this.state.limit : 0, null);
  }

  /// Stops counting (the element is being thrown away).
  stop() { timers.delete(this); }
}
