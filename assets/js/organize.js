// The organizer dashboard: plan, controls (with keyboard shortcuts), live results of every
// kind, participant count, flag attempts and scoreboard, the current activity's notes and
// image; the queue of an open question's answers or a Q&A's questions (queue.js), the lobby
// before the start, a speed quiz's top 5 at its reveal, the presenter's sounds switch; bots,
// alerts and the stream overlays' links (bots.js, overlays.js). Several staff may have it open:
// each control carries `expect` (where this dashboard believes the meeting is), so two
// people pressing "next" on the same screen move the meeting once.

import { $, $$, el, getJson, postJson, Live, wsUrl, errorText, meetingParam, connectionBanner, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars, kindName, drawRating, drawGrid, ratingNumber } from "./charts.js";
import { Cloud } from "./cloud.js";
import { ensureStaff, pickMeeting, logout } from "./staff.js";
import { Streams, platformTag, platformCounts } from "./streams.js";
import { Moderation } from "./moderation.js";
import { BotsPanel, AlertsFeed } from "./bots.js";
import { Overlays } from "./overlays.js";
import { Timer, syncClock, serverNow } from "./countdown.js";
import { PostQueue, takesPosts } from "./queue.js";
import { glyph } from "./editkit.js";

applyTheme();
mountTools();

const meeting = meetingParam();
let state = null;
let live = null;
let online = 0;
let endArmed = null;
let revokeArmed = null;
const bars = new Bars($("#bars"));
const cloud = new Cloud($("#cloud"), { minSize: 14, maxSize: 44 });
const streams = meeting === null ? null : new Streams(meeting, (text, ok) => toast(text, ok));
const moderation = meeting === null ? null : new Moderation(meeting);
const bots = meeting === null ? null : new BotsPanel(meeting, (text, ok) => toast(text, ok));
const alerts = meeting === null ? null : new AlertsFeed(meeting, (text, ok) => toast(text, ok));
const overlays = meeting === null ? null : new Overlays(meeting, (text, ok) => toast(text, ok));
const queue = meeting === null ? null : new PostQueue((frame) => (live ? live.send(frame) : Promise.resolve({ ok: false, error: "offline" })));
let soundsBusy = false;
let revealTimer = null;
/// The current activity's countdown; +10 s and +30 s beside it while it runs.
const timer = new Timer({ variant: "panel", announcer: $("#timer-said") });
$("#timer-slot").replaceWith(timer.root);

// The transition table of docs/protocol.md: which controls each status allows.
const ALLOWED = {
  before: ["start", "end"],
  waiting: ["start", "next", "back", "scoreboard", "end"],
  ongoing: ["results", "next", "back", "scoreboard", "end"],
  results: ["next", "back", "scoreboard", "end"],
  scoreboard: ["next", "back", "end"],
  after: [],
  undefined: [],
};
// PageUp/PageDown: what presentation clickers send.
const KEYS = { s: "start", r: "results", ArrowLeft: "back", p: "back", PageUp: "back", ArrowRight: "next", n: "next", PageDown: "next", b: "scoreboard", e: "end" };

/// On the last activity, Next ends the meeting: it reads "Finish" and asks like End.
const finishing = () => state && state.position + 1 >= state.activity_count && state.status !== "after";

function render() {
  if (!state) return;
  document.title = `${state.title} · ${t("org.title")}`;
  $("#title").textContent = state.title;
  const q = state.question, s = state.status;
  $("#status").textContent = t(`status.${s}`);
  $("#status").classList.toggle("live", s === "ongoing");
  // A finished meeting links to its results page.
  $("#results-link").href = `/results.html?meeting=${meeting}`;
  $("#results-link").classList.toggle("hidden", s !== "after");
  $("#progress").textContent = t("play.progress", { n: state.position + 1, total: state.activity_count });
  $("#question").textContent = q ? `${kindName(q.kind)} · ${q.title}` : "—";
  $("#description").innerHTML = q ? q.description_html : ""; // escaped by the server
  renderImage(q);
  renderNotes(q);
  if (!endArmed) $(".next-label").textContent = t(finishing() ? "ctl.finish" : "ctl.next");
  const allowed = new Set(ALLOWED[s] || []);
  for (const b of $$("button[data-action]")) b.disabled = !allowed.has(b.dataset.action);
  renderTimer();

  $("#plan").replaceChildren(...(state.plan || []).map((a, i) => el("li", {
    class: i === state.position ? "current" : "", "aria-current": i === state.position ? "step" : null, "data-state": a.state,
  }, el("span", { class: "kind" }, `${i + 1} · ${kindName(a.kind)}`),
    el("span", { class: `badge state state-${a.state}` }, t(`plan.${a.state}`)),
    el("span", { class: "title" }, a.title))));

  let answers = 0;
  if (q && (q.kind === "poll" || q.kind === "quiz") && state.results) {
    // Staff see a quiz's correct answer before the reveal.
    const byPlatform = state.results.by_platform;
    bars.update(q, state.results, { reveal: q.kind === "quiz", split: (id) => platformCounts(byPlatform, id) });
    answers = state.results.total;
  } else bars.clear();
  answers = renderRatings(q, answers);
  if (q && takesPosts(q.kind)) answers = queue.total();
  renderHiddenNote(q, s);
  const isCloud = q && q.kind === "wordcloud" && state.words;
  $("#cloud").classList.toggle("hidden", !isCloud);
  if (isCloud) { cloud.update(q.id, state.words); answers = state.words.reduce((n, w) => n + w.count, 0); } else cloud.clear();
  $("#answers").textContent = answers;

  $("#scoreboard").replaceChildren(...(state.scoreboard || []).slice(0, 10).map((r, i) => el("li", {},
    el("span", { class: "pos" }, `${i + 1}.`),
    el("span", { class: "who" }, r.platform && r.platform !== "room" ? platformTag(r.platform) : null, r.name),
    el("span", { class: "pts" }, String(r.score)))));
  if (!(state.scoreboard || []).length) $("#scoreboard").append(el("li", { class: "muted" }, t("score.empty")));
  renderAttempts();
  renderReveal();
  renderLobby();
  renderLeaderboard();
  renderSounds();
}

/// The current activity's image, as the audience sees it, with its alt text under it.
function renderImage(q) {
  const image = q?.image;
  const box = $("#activity-image");
  box.classList.toggle("hidden", !image?.url);
  // The <img> exists only with a source: an empty one would be an image without `src`.
  let img = $("#activity-img");
  if (!image?.url) { img?.remove(); return; }
  if (!img) {
    img = document.createElement("img");
    img.id = "activity-img";
    img.decoding = "async";
    box.prepend(img);
  }
  if (img.getAttribute("src") !== image.url) img.src = image.url;
  img.alt = image.alt || "";
  $("#activity-img-alt").textContent = image.alt ? t("org.image_alt", { alt: image.alt }) : "";
}

/// A poll that keeps its results from the audience until the reveal: the staff still see
/// the bars, and are told nobody else does.
function renderHiddenNote(q, status) {
  const on = q?.kind === "poll" && q.hide_results_until_reveal && status !== "results" && status !== "scoreboard";
  const note = $("#hidden-note");
  note.classList.toggle("hidden", !on);
  note.replaceChildren(...(on ? [glyph("eyeoff"), el("span", {}, t("org.hidden_until_reveal"))] : []));
}

/// Before the start: how many joined and the latest names (newest first).
function renderLobby() {
  const lobby = state?.lobby;
  const on = state?.status === "before" && !!lobby;
  $("#lobby").classList.toggle("hidden", !on);
  if (!on) return;
  const n = lobby.count || 0;
  $("#lobby-count").replaceChildren(...(n
    ? [el("strong", {}, n.toLocaleString()), " ", t("org.lobby_count", { n })]
    : [t("org.lobby_empty")]));
  const names = (lobby.names || []).slice().reverse();
  $("#lobby-names").replaceChildren(...names.map((p) => el("li", { class: "org-lobby-name" },
    el("bdi", {}, p.name), p.platform && p.platform !== "room" ? platformTag(p.platform) : null)));
  $("#lobby-names").classList.toggle("hidden", !names.length);
}

/// A speed quiz's reveal: the top 5, each with the points this quiz paid and how the rank
/// moved ("▲ 2", "▼ 1", "new").
function renderLeaderboard() {
  const rows = state?.status === "results" && Array.isArray(state.leaderboard) ? state.leaderboard : [];
  $("#leaderboard").classList.toggle("hidden", !rows.length);
  $("#leaderboard-list").replaceChildren(...rows.map((r) => {
    const prev = r.previous_rank;
    let move;
    if (prev === null || prev === undefined) move = el("span", { class: "org-move move-new" }, t("org.lb_new"));
    else if (prev > r.rank) move = el("span", { class: "org-move move-up" }, el("span", { "aria-hidden": "true" }, `▲ ${prev - r.rank}`), el("span", { class: "sr-only" }, t("org.lb_up", { n: prev - r.rank })));
    else if (prev < r.rank) move = el("span", { class: "org-move move-down" }, el("span", { "aria-hidden": "true" }, `▼ ${r.rank - prev}`), el("span", { class: "sr-only" }, t("org.lb_down", { n: r.rank - prev })));
    else move = el("span", { class: "org-move move-same" }, el("span", { "aria-hidden": "true" }, "="), el("span", { class: "sr-only" }, t("org.lb_same")));
    return el("li", { class: "org-lb-row" },
      el("span", { class: "pos" }, `${r.rank}.`),
      el("span", { class: "who" }, el("bdi", {}, r.name), r.platform && r.platform !== "room" ? platformTag(r.platform) : null),
      move,
      el("span", { class: "pts" }, el("strong", {}, String(r.score)), r.gained ? el("span", { class: "gained" }, `+${r.gained}`) : null));
  }));
}

/// The presenter's cues (start, reveal, podium), on or off for every presenter screen.
function renderSounds() {
  const sw = $("#sounds-switch");
  const on = state?.sounds !== false;
  sw.disabled = !state;
  if (!soundsBusy) sw.setAttribute("aria-checked", String(on));
  $("#sounds-state").textContent = t(sw.getAttribute("aria-checked") === "true" ? "bots.on" : "bots.off");
}

async function toggleSounds() {
  if (!live || !state || soundsBusy) return;
  const sw = $("#sounds-switch");
  const on = state.sounds === false;
  soundsBusy = true;
  sw.setAttribute("aria-checked", String(on));
  sw.setAttribute("aria-disabled", "true");
  renderSounds();
  const ack = await live.send({ type: "sounds", on });
  soundsBusy = false;
  sw.removeAttribute("aria-disabled");
  if (ack.ok) { state.sounds = on; toast(t(on ? "org.sounds_on" : "org.sounds_off"), true); }
  else toast(errorText(ack.error));
  renderSounds();
}

/// The current activity's answer rule (several answers, a scale), and a scale's or a
/// grid's live results: what the staff see while it is open (a quiz's too). Returns the
/// number of answers to show: voters, or people who rated.
function renderRatings(q, answers) {
  const kind = q?.kind;
  const results = state.results;
  const scale = q?.scale ? { min: q.scale.min, max: q.scale.max, labels: q.scale.labels || [] } : { min: 1, max: 5, labels: [] };
  const multi = (kind === "poll" || kind === "quiz") && q.max_choices > 1;
  const rule = $("#answer-rule");
  let ruleText = "";
  if (multi) {
    const picks = Object.values(results?.counts || {}).reduce((a, b) => a + Number(b || 0), 0);
    ruleText = t("staffkinds.multi_rule", { k: q.max_choices }) + (kind === "quiz" && q.partial_credit ? ` · ${t("staffkinds.partial")}` : "")
      + (results ? ` · ${t("staffkinds.voters_picks", { n: results.total || 0, picks })}` : "");
  } else if (kind === "scale") ruleText = t("staffkinds.scale_rule", { min: scale.min, max: scale.max });
  else if (kind === "grid") ruleText = t("staffkinds.grid_rule", { n: q.choices.length, min: scale.min, max: scale.max });
  rule.textContent = ruleText;
  rule.classList.toggle("hidden", !ruleText);

  const ratingBox = $("#rating"), gridBox = $("#grid-rank"), note = $("#grid-note");
  const isScale = kind === "scale" && !!results;
  const isGrid = kind === "grid" && !!results;
  ratingBox.classList.toggle("hidden", !isScale);
  gridBox.classList.toggle("hidden", !isGrid);
  note.classList.toggle("hidden", !isGrid);
  if (isScale) drawRating(ratingBox, scale, results.rating);
  else { ratingBox.replaceChildren(); ratingBox._lkRating = null; }
  if (isGrid) {
    drawGrid(gridBox, q.choices, scale, results);
    const c = results.prior_weight ?? q.prior_weight ?? 5;
    note.textContent = c > 0
      ? t("staffkinds.bayes_note", { c, m: ratingNumber(results.global_mean) })
      : t("staffkinds.bayes_note_plain");
  } else { gridBox.replaceChildren(); gridBox._lkGrid = null; }
  if (isScale || isGrid) return results.total || 0;
  return answers;
}

/// The organizer's notes for the current activity (staff only: the server never sends
/// them to phones or displays), folded or not as this browser last left them.
function renderNotes(q) {
  const notes = q?.notes || "";
  $("#notes").classList.toggle("hidden", !notes);
  $("#notes-text").textContent = notes;
}

$("#notes").open = (() => { try { return localStorage.getItem("lk.notesOpen") === "1"; } catch { return false; } })();
$("#notes").addEventListener("toggle", () => {
  try { localStorage.setItem("lk.notesOpen", $("#notes").open ? "1" : "0"); } catch { /* private mode */ }
});

/// A timed activity: its countdown (its whole limit before it opens), +10 s and +30 s while
/// it runs, and Results reads "Close now".
function renderTimer() {
  timer.update(state);
  const mode = timer.state.mode;
  $("#timer-bar").classList.toggle("hidden", mode === "none");
  for (const b of $$("button[data-add-time]")) {
    b.disabled = mode !== "running";
    b.title = t("ctl.add_time", { n: Number(b.dataset.addTime) });
  }
  const closing = mode === "running";
  const results = $('button[data-action="results"]');
  $("span", results).textContent = t(closing ? "ctl.close_now" : "ctl.results");
  if (closing) results.title = t("ctl.close_now_hint"); else results.removeAttribute("title");
}

/// Adds time to the running timer (`add_time`): every screen gets the later deadline.
async function addTime(secs) {
  if (!live || timer.state.mode !== "running") return;
  const ack = await live.send({ type: "control", action: "add_time", secs });
  if (ack.ok) toast(t("timer.added", { n: secs }), true);
  else toast(errorText(ack.error));
}

/// A reveal held for the streams' delay counts down (chat answers given before the close
/// still arrive meanwhile).
function renderReveal() {
  clearInterval(revealTimer);
  const box = $("#reveal");
  const at = state?.reveal_at ? Date.parse(state.reveal_at) : null;
  if (!at) { box.textContent = ""; box.hidden = true; return; }
  const tick = () => {
    const secs = Math.max(0, Math.ceil((at - serverNow()) / 1000));
    box.textContent = t("org.reveal_in", { n: secs });
    if (secs === 0) clearInterval(revealTimer);
  };
  box.hidden = false;
  tick();
  revealTimer = setInterval(tick, 250);
}

function renderAttempts() {
  const list = (state?.flag_attempts || []).slice(-10).reverse();
  $("#attempts").replaceChildren(...list.map((a) => el("li", {},
    el("span", {}, a.name),
    el("span", { class: `outcome-${a.outcome}` }, a.outcome === "captured" ? `+${a.points}` : t(`attempt.${a.outcome}`)),
    el("span", { class: "sub" }, a.submitted))));
  if (!list.length) $("#attempts").append(el("li", { class: "muted" }, t("org.no_attempts")));
}

function setOnline(n) {
  online = n;
  $("#online").textContent = n;
  $("#online-big").textContent = n;
  $("#online-badge").setAttribute("aria-label", t("org.online_n", { n }));
}

function toast(text, ok = false) {
  $("#toast").textContent = text;
  $("#toast").className = "toast " + (text ? (ok ? "ok" : "bad") : "");
}

function disarmEnd() {
  clearTimeout(endArmed);
  endArmed = null;
  $(".end-label").textContent = t("ctl.end");
  $(".next-label").textContent = t(finishing() ? "ctl.finish" : "ctl.next");
}

async function control(action) {
  if (!live || !state) return;
  if (!(ALLOWED[state.status] || []).includes(action)) return;
  // Ending is final: the first press arms, a second within 4 s ends.
  const ends = action === "end" || (action === "next" && finishing());
  if (ends && !endArmed) {
    $(action === "end" ? ".end-label" : ".next-label").textContent = t("ctl.end_confirm");
    endArmed = setTimeout(disarmEnd, 4000);
    toast(t("ctl.end_hint"));
    return;
  }
  disarmEnd();
  const ack = await live.send({ type: "control", action, expect: { status: state.status, position: state.position } });
  if (ack.ok) toast("");
  else if (ack.error === "stale_control") toast(t("ctl.stale"));
  else toast(errorText(ack.error));
}

async function loadInvite() {
  const res = await getJson(`/api/meetings/${meeting}/invite`);
  if (!res.ok) return;
  $("#invite-url").textContent = res.data.base;
  // Phones cannot open the server's own loopback address.
  const loopback = /^https?:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?\/?$/i.test(res.data.base);
  $("#loopback").classList.toggle("hidden", !loopback);
  $("#loopback").textContent = loopback ? t("org.loopback") : "";
  $("#invite-code").textContent = res.data.code;
  $("#qr-mini").src = `/api/meetings/${meeting}/qr.svg`;
  $("#qr-mini").alt = t("org.qr_alt", { url: res.data.url });
}

/// The presenter screen opens with a fresh read-only display link (no login in OBS).
async function openPresenter(ev) {
  ev.preventDefault();
  const res = await postJson(`/api/meetings/${meeting}/display`);
  if (!res.ok) { toast(errorText(res.data?.error)); return; }
  const url = `/present.html?meeting=${meeting}&token=${encodeURIComponent(res.data.token)}`;
  if (!window.open(url, "_blank", "noopener")) location.assign(url);
}

/// Revoking closes every presenter screen and OBS source: the first press arms, a second
/// within 4 s revokes.
async function revokeDisplays() {
  if (!revokeArmed) {
    toast(t("org.revoke_confirm"));
    revokeArmed = setTimeout(() => { revokeArmed = null; toast(""); }, 4000);
    return;
  }
  clearTimeout(revokeArmed);
  revokeArmed = null;
  const res = await fetch(`/api/meetings/${meeting}/display`, { method: "DELETE" }).then(async (r) => ({ ok: r.ok, data: await r.json().catch(() => ({})) })).catch(() => ({ ok: false, data: { error: "offline" } }));
  toast(res.ok ? t("org.revoked", { n: res.data.revoked }) : errorText(res.data?.error), res.ok);
  if (res.ok) overlays.revoked();
}

function connect() {
  $("#dash").classList.remove("hidden");
  $("#online-badge").classList.remove("hidden");
  const link = $("#present-link");
  link.href = `/present.html?meeting=${meeting}`;
  link.addEventListener("click", openPresenter);
  link.classList.remove("hidden");
  $("#revoke-displays").addEventListener("click", revokeDisplays);
  loadInvite();
  streams.mount();
  moderation.mount();
  bots.mount();
  alerts.mount();
  overlays.mount();
  queue.mount();
  $("#sounds-switch").addEventListener("click", toggleSounds);
  live = new Live(wsUrl(`/ws/meetings/${meeting}?role=staff`), {
    onFrame(f) {
      moderation.onFrame(f);
      if (f.type === "state") { syncClock(f.now); state = f; queue.onState(f); render(); streams.onState(f); }
      else if (f.type === "participants") setOnline(f.count);
      else if (!state) return;
      else if (queue.onFrame(f)) { if (state.question && takesPosts(state.question.kind)) $("#answers").textContent = queue.total(); }
      else if (f.type === "lobby") { state.lobby = { count: f.count, names: f.names || [] }; renderLobby(); }
      else if (bots.onFrame(f) || alerts.onFrame(f)) return;
      else if (streams.onFrame(f)) return;
      else if (mergeLive(state, f)) render();
      else if (f.type === "flag_attempt") {
        const { type: _type, ...attempt } = f;
        (state.flag_attempts ||= []).push(attempt);
        if (state.flag_attempts.length > 50) state.flag_attempts.shift();
        renderAttempts();
      }
    },
    onStatus: connectionBanner,
    // 4001 `session revoked`: logged out elsewhere, password changed, account removed or
    // expired. Back to the login form, which says why.
    onFinal() {
      try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
      location.reload();
    },
    async onRefused() {
      const me = await getJson("/api/me");
      if (me.status === 401) { location.reload(); return true; }
      const m = await getJson(`/api/meetings/${meeting}`);
      if (m.status === 404) { location.replace("/organize.html"); return true; }
      return false;
    },
  });
}

document.addEventListener("click", (ev) => {
  const action = ev.target.closest("button[data-action]")?.dataset.action;
  if (action) control(action);
  const add = ev.target.closest("button[data-add-time]")?.dataset.addTime;
  if (add) addTime(Number(add));
});
document.addEventListener("keydown", (ev) => {
  if (ev.target.closest("input, textarea, select") || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  // "+" (with or without Shift, or the keypad's) adds 10 s to a running timer.
  if (ev.key === "+" && live) { ev.preventDefault(); addTime(10); return; }
  const action = KEYS[ev.key] || KEYS[ev.key.toLowerCase()];
  if (action && live) { ev.preventDefault(); control(action); }
});
$("#logout").addEventListener("click", logout);
onLangChange(() => {
  // The rating charts are built in the page's language: built anew.
  $("#rating")._lkRating = null; $("#grid-rank")._lkGrid = null;
  render(); setOnline(online); disarmEnd(); timer.relabel();
  if (meeting !== null) { bots.render(); alerts.relabel(); overlays.render(); }
});
window.addEventListener("resize", () => { if (state?.words) cloud.layout(); });

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  if (meeting === null) pickMeeting((m) => `/organize.html?meeting=${m.id}`, { results: true });
  else connect();
})();
