// The live operations page (admins; the server refuses the page to anyone else): the
// server's summary, every running meeting's supervision tree and the supervision events,
// from one Server-Sent Events stream (`/api/operations/stream`, docs/operations.md): a
// `snapshot` at most once a second, `events` in batches (first the backlog).
//
// The browser reconnects an SSE stream by itself after a network error, sending the last
// event id so only newer events come. A refused stream (401 or 403) closes for good: the
// page then asks `GET /api/operations` why, and says "session ended" (with a way to log
// in again) or "admins only"; anything else (a proxy's 502 while the server restarts) is
// retried with backoff. A server that restarted (new `started_at`) is followed from its
// first event.

import { $, el, getJson } from "./common.js";
import { t, mountTools, applyTheme, onLangChange, currentLang } from "./i18n.js";
import { ensureStaff, currentStaff, logout } from "./staff.js";
import { Cards, renderSummary, tick } from "./operate-tree.js";
import { EventLog } from "./operate-log.js";
import { clock } from "./operate-format.js";

applyTheme();
mountTools();

const titles = new Map(); // meeting id → title, from every snapshot seen
const cards = new Cards();
const log = new EventLog((id) => titles.get(id) ?? null);
let snapshot = null;
let startedAt = null;
let source = null;
let retry = { delay: 1000, timer: null };
let conn = "connecting";

/// The indicator at the top: connecting, live, reconnecting, or ended (log in again).
function setConn(state) {
  conn = state;
  const box = $("#op-conn");
  box.dataset.state = state;
  $("#op-conn-text").textContent = t(`operate.conn_${state}`);
  const stale = state !== "live" && snapshot;
  $("#op-conn-at").textContent = stale ? t("operate.last_update", { at: clock(snapshot.at, false) }) : "";
  $("#op-login").classList.toggle("hidden", state !== "ended");
}

function meetingOptions() {
  const select = $("#op-f-meeting");
  const keep = select.value;
  const ids = new Set([...titles.keys(), ...log.meetingIds]);
  const short = (s) => ([...s].length > 48 ? `${[...s].slice(0, 47).join("")}…` : s);
  const options = [
    el("option", { value: "" }, t("operate.f_all_meetings")),
    el("option", { value: "none" }, t("operate.f_server_wide")),
    ...[...ids].sort((a, b) => a - b).map((id) => el("option", { value: String(id) },
      titles.has(id) ? t("operate.meeting_titled", { id, title: short(titles.get(id)) }) : t("operate.meeting_id", { id }))),
  ];
  const sig = options.map((o) => o.value + o.textContent).join("\n");
  if (select.dataset.sig === sig) return;
  select.dataset.sig = sig;
  select.replaceChildren(...options);
  select.value = [...select.options].some((o) => o.value === keep) ? keep : "";
}

function applySnapshot(snap) {
  if (!snap || typeof snap !== "object") return;
  snapshot = snap;
  const learned = [];
  for (const m of snap.meetings || []) {
    if (titles.get(m.id) !== m.title) learned.push(m.id);
    titles.set(m.id, m.title);
  }
  renderSummary(snap);
  cards.render(snap.meetings || [], currentLang());
  if (learned.length) log.retitle(learned);
  meetingOptions();
}

function onSnapshot(ev) {
  let snap;
  try { snap = JSON.parse(ev.data); } catch { return; }
  retry.delay = 1000;
  setConn("live");
  // Another run of the server: its events count from 1 again, and an automatic reconnection
  // asked for those after our last id, so start over from its backlog.
  if (startedAt !== null && snap.started_at !== startedAt) {
    startedAt = snap.started_at;
    log.restarted(snap.at);
    applySnapshot(snap);
    connect();
    return;
  }
  startedAt = snap.started_at;
  applySnapshot(snap);
  // The stream sends no backlog when there is none: what comes next is news.
  if (!log.loaded && (snap.last_seq ?? 0) <= log.lastSeq) log.settle();
}

function onEvents(ev) {
  let batch;
  try { batch = JSON.parse(ev.data); } catch { return; }
  if (Array.isArray(batch?.events)) log.add(batch.events);
  meetingOptions();
}

function connect() {
  clearTimeout(retry.timer);
  source?.close();
  const es = new EventSource("/api/operations/stream");
  source = es;
  if (conn !== "live" || !snapshot) setConn(snapshot ? "reconnecting" : "connecting");
  es.addEventListener("snapshot", onSnapshot);
  es.addEventListener("events", onEvents);
  es.addEventListener("error", () => {
    if (source !== es) return;
    // The browser tries again by itself.
    if (es.readyState === EventSource.CONNECTING) { setConn("reconnecting"); return; }
    whyClosed(es);
  });
}

/// The stream was refused: a session that ended, a role taken away, or a server in trouble.
async function whyClosed(es) {
  es.close();
  const res = await getJson("/api/operations");
  if (source !== es) return;
  if (res.status === 401) { setConn("ended"); return; }
  if (res.status === 403) { notAdmin(); return; }
  if (res.ok) applySnapshot(res.data);
  setConn("reconnecting");
  const wait = retry.delay * (0.5 + Math.random() / 2);
  retry.delay = Math.min(retry.delay * 2, 30000);
  retry.timer = setTimeout(connect, wait);
}

function notAdmin() {
  source?.close();
  source = null;
  $("#op-page").classList.add("hidden");
  $("#not-admin").classList.remove("hidden");
}

/// "Log in again": the staff login form, then the stream from where it stopped.
async function logInAgain() {
  $("#op-page").classList.add("hidden");
  await ensureStaff();
  $("#op-page").classList.remove("hidden");
  if (currentStaff()?.role !== "admin") { notAdmin(); return; }
  retry.delay = 1000;
  connect();
  $("#main").focus();
}

function readFilters() {
  const filters = {
    meeting: $("#op-f-meeting").value, actor: $("#op-f-actor").value, level: $("#op-f-level").value, text: $("#op-f-text").value,
  };
  log.setFilters(filters);
  $("#op-clear").classList.toggle("hidden", !log.filtered());
}

let typing = null;
$("#op-filters").addEventListener("submit", (ev) => ev.preventDefault());
for (const id of ["#op-f-meeting", "#op-f-actor", "#op-f-level"]) $(id).addEventListener("change", readFilters);
$("#op-f-text").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(readFilters, 150); });
$("#op-clear").addEventListener("click", () => {
  $("#op-filters").reset();
  $("#op-f-meeting").value = "";
  readFilters();
  $("#op-f-meeting").focus();
});
$("#op-pause").addEventListener("click", () => log.setPaused(!log.paused));
$("#op-login").addEventListener("click", logInAgain);
$("#logout").addEventListener("click", logout);

onLangChange(() => {
  setConn(conn);
  if (snapshot) applySnapshot(snapshot);
  $("#op-f-meeting").dataset.sig = "";
  meetingOptions();
  log.relabel();
});

setInterval(() => tick($("#op-page")), 1000);

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  if (currentStaff()?.role !== "admin") { notAdmin(); return; }
  $("#op-page").classList.remove("hidden");
  meetingOptions();
  log.count();
  connect();
})();
