// The alerts overlay (/overlay/alerts.html, 800×600): follows, subs, gifts, raids, members,
// Super Chats and revolutions, one at a time in the order they were raised, each with its
// media (a video plays to its end, an image or no media stays `?duration=` seconds,
// default 6) and its text. Never twice: the server replays its latest alerts after every
// (re)connection, and this page remembers, per meeting and in this browser (OBS keeps it
// too), the highest alert id it started showing; ids up to it are skipped.

import { el } from "./common.js";
import { t, currentLang } from "./i18n.js";
import { setup, connect, num, flag, meeting, glyph } from "./overlay.js";

setup();
const stage = document.getElementById("stage");
const duration = num("duration", 6, 0.5, 120) * 1000;
const volume = flag("mute") ? 0 : num("volume", 1, 0, 1);
/// An alert's longest stay (a long video is cut).
const LONGEST = 60000;
/// A new overlay (one that never showed an alert of this meeting) does not play the backlog
/// the server replays on connecting: replayed alerts older than this are only marked seen.
const BACKLOG = 120000;
const KEY = `lk.alerts.${meeting}`;

let last = null;
try { const v = Number(localStorage.getItem(KEY)); last = Number.isFinite(v) && v > 0 ? v : null; } catch { /* private mode */ }

/// Marks `id` as shown for good (the highest id wins).
function remember(id) {
  if (last !== null && id <= last) return;
  last = id;
  try { localStorage.setItem(KEY, String(id)); } catch { /* private mode: this page load only */ }
}

/// What was shown since the page loaded, for tests and curious streamers:
/// `window.lkAlerts` = [{id, kind, start, end}], and `data-lk-shown` on the root element.
const log = [];
window.lkAlerts = log;

const queue = [];
let busy = false, current = null;
/// True for the replay burst that follows each `state` frame.
let replaying = false, replayTimer = null;

function accept(a) {
  const id = Number(a.id);
  if (!Number.isSafeInteger(id) || id <= 0) return;
  if ((last !== null && id <= last) || id === current || queue.some((q) => q.id === id)) return;
  // Ids are at least the microsecond they were raised at.
  if (last === null && replaying && Date.now() - id / 1000 > BACKLOG) { remember(id); return; }
  queue.push({ ...a, id });
  queue.sort((x, y) => x.id - y.id);
  pump();
}

async function pump() {
  if (busy || !queue.length) return;
  busy = true;
  const a = queue.shift();
  current = a.id;
  // Remembered as it starts: a reload in the middle of it does not show it again.
  remember(a.id);
  try { await show(a); } catch { /* a broken alert must not stop the queue */ }
  current = null;
  busy = false;
  pump();
}

const wait = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });

/// The user's name inside a sentence: `{user}` becomes a styled span holding the name as text.
function sentence(key, vars, user) {
  const [before, after] = t(key, { ...vars, user: "\u0000" }).split("\u0000");
  if (after === undefined) return [before];
  return [before, el("span", { class: "lk-alert-user", dir: "auto" }, user), after];
}

function money(amount, currency) {
  if (typeof amount !== "number") return "";
  try {
    if (currency) return new Intl.NumberFormat(currentLang(), { style: "currency", currency }).format(amount);
  } catch { /* not an ISO 4217 code: plain number and code */ }
  return `${amount.toLocaleString(currentLang())}${currency ? ` ${currency}` : ""}`;
}

function title(a) {
  const user = String(a.user ?? "");
  const n = typeof a.amount === "number" ? Math.round(a.amount) : 1;
  const months = Number.isInteger(a.months) && a.months > 1 ? a.months : null;
  switch (a.kind) {
    case "follow": return sentence("overlay.alert_follow", {}, user);
    case "sub": return months ? sentence("overlay.alert_sub_months", { months }, user) : sentence("overlay.alert_sub", {}, user);
    case "gift": return sentence("overlay.alert_gift", { n }, user);
    case "raid": return sentence("overlay.alert_raid", { n }, user);
    case "member": return months ? sentence("overlay.alert_member_months", { months }, user) : sentence("overlay.alert_member", {}, user);
    case "superchat": return sentence("overlay.alert_superchat", { amount: money(a.amount, a.currency) }, user);
    case "revolution": return user ? sentence("overlay.alert_revolution_by", {}, user) : [t("overlay.alert_revolution")];
    default: return [el("span", { class: "lk-alert-user", dir: "auto" }, user)];
  }
}

/// The media's element, ready to play (or null: none, unknown type, or it failed to load).
async function media(id) {
  if (typeof id !== "string" || !/^[A-Za-z0-9_-]{1,128}$/.test(id)) return null;
  const url = `/media/${encodeURIComponent(id)}`;
  let type = "";
  try {
    const res = await fetch(url, { method: "HEAD" });
    if (!res.ok) return null;
    type = res.headers.get("content-type") || "";
  } catch { return null; }
  let node;
  if (type.startsWith("video/")) {
    node = el("video", { class: "lk-alert-video", src: url, playsinline: true, preload: "auto" });
    node.volume = volume;
    node.muted = volume === 0;
  } else if (type.startsWith("image/")) {
    node = el("img", { class: "lk-alert-image", src: url, alt: "" });
  } else return null;
  const ready = await Promise.race([
    new Promise((resolve) => {
      node.addEventListener(node.tagName === "VIDEO" ? "canplay" : "load", () => resolve(true), { once: true });
      node.addEventListener("error", () => resolve(false), { once: true });
    }),
    wait(4000).then(() => node.tagName === "VIDEO"),
  ]);
  return ready ? node : null;
}

/// Plays a video with sound (OBS allows it); when the browser refuses unmuted autoplay, muted.
async function play(video) {
  try { await video.play(); return true; } catch { /* autoplay with sound refused */ }
  video.muted = true;
  try { await video.play(); return true; } catch { return false; }
}

/// How long the alert stays: its video's length, else `duration`.
function stay(node) {
  if (!node || node.tagName !== "VIDEO") return wait(duration);
  return Promise.race([
    new Promise((resolve) => { node.addEventListener("ended", resolve, { once: true }); node.addEventListener("error", resolve, { once: true }); }),
    wait(Number.isFinite(node.duration) && node.duration > 0 ? Math.min(LONGEST, node.duration * 1000 + 1500) : LONGEST),
  ]);
}

async function show(a) {
  const node = await media(a.media);
  const text = String(a.text ?? "").trim();
  const platform = ["twitch", "youtube"].includes(a.platform) ? a.platform : null;
  const card = el("section", { class: `lk-alert lk-alert-${String(a.kind).replace(/[^a-z]/g, "")}`, "data-alert-id": String(a.id), "data-kind": String(a.kind) },
    node ? el("div", { class: "lk-alert-media" }, node) : null,
    el("div", { class: "lk-alert-body" },
      el("p", { class: "lk-alert-title" },
        platform ? glyph(platform, "lk-platform", platform === "twitch" ? "Twitch" : "YouTube") : null,
        el("span", {}, ...title(a))),
      text ? el("p", { class: "lk-alert-text", dir: "auto" }, text) : null,
      a.test ? el("p", { class: "lk-alert-test" }, t("overlay.alert_test")) : null));
  stage.replaceChildren(card);
  const entry = { id: a.id, kind: a.kind, start: performance.now(), end: null };
  log.push(entry);
  document.documentElement.dataset.lkShown = log.map((e) => e.id).join(" ");
  document.documentElement.dataset.lkShowing = String(a.id);
  requestAnimationFrame(() => card.classList.add("lk-in"));
  if (node?.tagName === "VIDEO" && !(await play(node))) node.remove();
  await stay(node?.isConnected ? node : null);
  card.classList.remove("lk-in");
  card.classList.add("lk-out");
  await Promise.race([new Promise((resolve) => { card.addEventListener("animationend", resolve, { once: true }); }), wait(800)]);
  if (node?.tagName === "VIDEO") node.pause();
  card.remove();
  entry.end = performance.now();
  delete document.documentElement.dataset.lkShowing;
}

connect((f) => {
  if (f.type === "state") {
    // The replayed alerts follow the state frame at once.
    replaying = true;
    clearTimeout(replayTimer);
    replayTimer = setTimeout(() => { replaying = false; }, 1500);
  } else if (f.type === "alert") accept(f);
});
