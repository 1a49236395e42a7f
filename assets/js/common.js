// Shared helpers: DOM building without innerHTML for user text, and a WebSocket that reconnects.

export const $ = (sel, root = document) => root.querySelector(sel);

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === "class") node.className = v;
    else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

export async function postJson(url, body) {
  const res = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
  let data = {};
  try { data = await res.json(); } catch { /* empty body */ }
  return { ok: res.ok, status: res.status, data };
}

/// A WebSocket that reconnects with exponential backoff. Every (re)connection starts with a
/// `state` snapshot, so the page simply re-renders from it.
export class Live {
  constructor(url, { onFrame, onStatus, onRefused }) {
    this.url = url; this.onFrame = onFrame; this.onStatus = onStatus; this.onRefused = onRefused;
    this.delay = 500; this.seq = 0; this.pending = new Map(); this.opened = false;
    this.connect();
  }
  connect() {
    const ws = new WebSocket(this.url);
    this.ws = ws; this.opened = false;
    ws.onopen = () => { this.opened = true; this.everOpened = true; this.delay = 500; this.onStatus?.("online"); };
    ws.onmessage = (ev) => {
      let frame; try { frame = JSON.parse(ev.data); } catch { return; }
      if (frame.type === "ack" && frame.ref && this.pending.has(frame.ref)) {
        this.pending.get(frame.ref)(frame); this.pending.delete(frame.ref);
      }
      this.onFrame(frame);
    };
    ws.onclose = async (ev) => {
      // Never connected: maybe not joined / not logged in (the upgrade was refused).
      if (!this.everOpened && this.onRefused && (await this.onRefused(ev))) return;
      if (ev.code === 1008 || ev.code === 1009) { this.onStatus?.("closed"); return; }
      this.onStatus?.("reconnecting");
      setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, 10000);
    };
  }
  /// Sends a frame and resolves with its ack.
  send(frame) {
    const ref = "r" + (++this.seq);
    return new Promise((resolve) => {
      if (this.ws.readyState !== WebSocket.OPEN) { resolve({ ok: false, error: "offline" }); return; }
      this.pending.set(ref, resolve);
      this.ws.send(JSON.stringify({ ...frame, ref }));
    });
  }
}

/// True when the server answers: a refused WebSocket then means "not signed in".
export async function serverUp() {
  try { return (await fetch("/healthz")).ok; } catch { return false; }
}

export function wsUrl(path) {
  const proto = location.protocol === "https:" ? "wss:" : "ws:";
  return `${proto}//${location.host}${path}`;
}

export const MESSAGES = {
  already_voted: "You already answered.", not_open: "This activity is not open.", unknown_choice: "Unknown choice.",
  limit_reached: "You have sent all your words.", already_flagged: "You already found this flag.", not_found: "No such flag.",
  forbidden: "Not allowed.", invalid_control: "Not possible now.", bad_request: "Invalid input.",
  rate_limited: "Slow down a little.", unavailable: "Server busy, try again.", offline: "Offline: reconnecting…",
};

export function bars(container, question, results) {
  container.replaceChildren();
  const total = Math.max(1, results.total || 0);
  const correct = new Set(results.correct || []);
  for (const c of question.choices) {
    const n = results.counts[String(c.id)] || 0;
    const fill = el("div", { class: "bar-fill" });
    fill.style.width = `${Math.round((100 * n) / total)}%`;
    container.append(el("div", { class: "bar-row" + (correct.has(c.id) ? " correct" : "") },
      el("span", {}, c.text), el("span", {}, `${n}`), el("div", { class: "bar-track" }, fill)));
  }
}

export function words(container, list) {
  container.replaceChildren();
  const max = Math.max(1, ...list.map((w) => w.count));
  for (const w of list) {
    const span = el("span", {}, w.text);
    span.style.fontSize = `${1 + (1.6 * w.count) / max}rem`;
    container.append(span);
  }
}
