// Shared helpers: DOM building that only ever inserts user text as text, JSON calls, and a
// WebSocket that reconnects with jittered backoff (docs/protocol.md, "Reconnecting").

import { t } from "./i18n.js";

export const $ = (sel, root = document) => root.querySelector(sel);
export const $$ = (sel, root = document) => [...root.querySelectorAll(sel)];

/// `el("p", {class: "x"}, "text", child)`. Strings become text nodes: never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k.startsWith("on") && typeof v === "function") node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return node;
}

const SVG = "http://www.w3.org/2000/svg";
/// An icon from the embedded sprite.
export function icon(name, cls = "icon") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", cls);
  svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `/icons.svg#${name}`);
  svg.append(use);
  return svg;
}

export async function postJson(url, body) {
  try {
    const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body ?? {}) });
    let data = {};
    try { data = await res.json(); } catch { /* empty body */ }
    return { ok: res.ok, status: res.status, data };
  } catch {
    return { ok: false, status: 0, data: { error: "offline" } };
  }
}

export async function getJson(url) {
  try {
    const res = await fetch(url, { headers: { accept: "application/json" } });
    let data = null;
    try { data = await res.json(); } catch { /* empty body */ }
    return { ok: res.ok, status: res.status, data };
  } catch {
    return { ok: false, status: 0, data: null };
  }
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

/// The localized sentence for a wire error code.
export function errorText(code) {
  const key = `error.${code}`;
  const text = t(key);
  return text === key ? t("error.unknown") : text;
}

/// The meeting id from `?meeting=`, or null.
export function meetingParam() {
  const v = new URLSearchParams(location.search).get("meeting");
  return v && /^\d+$/.test(v) ? Number(v) : null;
}

/// A WebSocket that reconnects: 0.5 s doubling to 30 s, times a random 0.5–1 so a room full
/// of phones does not come back in the same instant. Every (re)connection starts with a
/// `state` snapshot, so the page re-renders from it. `onStatus` gets "connecting", "online",
/// "reconnecting" or "closed". A close in 4001–4099 (e.g. a revoked display link) is final:
/// `onFinal(code)` runs and nothing reconnects.
export class Live {
  constructor(url, { onFrame, onStatus, onRefused, onFinal }) {
    Object.assign(this, { url, onFrame, onStatus, onRefused, onFinal });
    this.delay = 500; this.seq = 0; this.pending = new Map(); this.failures = 0; this.timer = null;
    // The browser knows about a lost network long before a dead socket times out: say so at
    // once, and on the way back start a fresh connection (the old one may be half-dead).
    window.addEventListener("offline", () => this.onStatus?.("reconnecting"));
    window.addEventListener("online", () => {
      this.delay = 500;
      if (this.ws?.readyState === WebSocket.OPEN) this.ws.close(4000, "network changed");
      else this.retryNow();
    });
    this.connect();
  }
  connect() {
    clearTimeout(this.timer);
    this.onStatus?.(this.failures ? "reconnecting" : "connecting");
    const ws = new WebSocket(this.url);
    this.ws = ws;
    let opened = false;
    ws.onopen = () => { opened = true; };
    ws.onmessage = (ev) => {
      let frame;
      try { frame = JSON.parse(ev.data); } catch { return; }
      if (frame.type === "state") { this.delay = 500; this.failures = 0; this.onStatus?.("online"); }
      if (frame.type === "ack" && frame.ref !== undefined && this.pending.has(frame.ref)) {
        const { resolve, timer } = this.pending.get(frame.ref);
        clearTimeout(timer); this.pending.delete(frame.ref); resolve(frame);
      }
      this.onFrame(frame);
    };
    ws.onclose = async (ev) => {
      if (this.ws !== ws) return;
      for (const { resolve, timer } of this.pending.values()) { clearTimeout(timer); resolve({ ok: false, error: "offline" }); }
      this.pending.clear();
      if (ev.code === 1009) { this.onStatus?.("closed"); return; }
      if (ev.code > 4000 && ev.code < 4100) { this.onStatus?.("online"); this.onFinal?.(ev.code); return; }
      this.failures += 1;
      // A refused upgrade looks like 1006 before open: maybe no session (any more).
      if (!opened && this.onRefused && (await this.onRefused(this.failures))) return;
      this.onStatus?.("reconnecting");
      const wait = this.delay * (0.5 + Math.random() / 2);
      this.delay = Math.min(this.delay * 2, 30000);
      this.timer = setTimeout(() => this.connect(), wait);
    };
  }
  retryNow() {
    if (this.ws && this.ws.readyState !== WebSocket.OPEN && this.ws.readyState !== WebSocket.CONNECTING) this.connect();
  }
  /// Sends a frame and resolves with its ack (or `{ok:false,error:"offline"}`).
  send(frame) {
    const ref = "r" + (++this.seq);
    return new Promise((resolve) => {
      if (!this.ws || this.ws.readyState !== WebSocket.OPEN) { resolve({ ok: false, error: "offline" }); return; }
      const timer = setTimeout(() => { this.pending.delete(ref); resolve({ ok: false, error: "unavailable" }); }, 15000);
      this.pending.set(ref, { resolve, timer });
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }
}

/// Folds a live `tally` or `words` frame into the last `state`; true when it changed it
/// (frames for another activity than the current one are ignored, as the protocol says).
export function mergeLive(state, f) {
  if (!state || state.question?.id !== f.question_id) return false;
  if (f.type === "tally") {
    state.results = { ...(state.results || { correct: [] }), counts: f.counts, total: f.total };
    if (f.by_platform) state.results.by_platform = f.by_platform;
    // A scale's and a grid's tally carries its summary too (docs/protocol.md).
    for (const k of ["rating", "items", "ranking", "global_mean", "prior_weight"]) if (k in f) state.results[k] = f[k];
    return true;
  }
  if (f.type === "words") { state.words = f.words; return true; }
  return false;
}

/// Shows the floating "reconnecting" banner while the connection is down.
export function connectionBanner(status) {
  let banner = $("#net");
  if (!banner) {
    banner = el("div", { id: "net", class: "net", role: "status", hidden: true }, el("span", { class: "dot" }), el("span", { class: "net-text" }));
    document.body.append(banner);
  }
  const down = status === "reconnecting" || status === "closed";
  banner.hidden = !down;
  $(".net-text", banner).textContent = status === "closed" ? t("net.closed") : t("net.reconnecting");
  document.body.classList.toggle("offline", down);
}

/// Rank as "1st"/"1er" etc.
export function ordinal(n) {
  return t(n === 1 ? "rank.first" : "rank.nth", { n });
}
