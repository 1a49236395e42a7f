// The presenter screen (1920×1080 projector, or an OBS browser source). It connects with a
// read-only display link (`?token=`), so the server sends it only what a screen in front of
// the audience may show: a quiz's counts and answer arrive at the reveal, never before. A
// staff member who opens it without a link logs in once and is sent on to a fresh link.

import { $, el, getJson, postJson, Live, wsUrl, meetingParam, connectionBanner, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars, Histogram, Ranking, isMulti, chatHintParts } from "./charts.js";
import { Cloud } from "./cloud.js";
import { renderScoreboard } from "./podium.js";
import { ensureStaff, pickMeeting } from "./staff.js";
import { Timer, syncClock } from "./countdown.js";

applyTheme("dark");
mountTools();

const meeting = meetingParam();
const token = new URLSearchParams(location.search).get("token");
/// `path` with this screen's display token, when it has one.
const withToken = (path) => token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
let state = null, invite = null, online = 0, view = null;
/// `{question_id, total}`: how many answered a quiz before its reveal (counts stay hidden).
let answered = null;
let bars = null, cloud = null, hist = null, ranking = null;
/// The countdown of a timed activity (one for the page, moved into each new body).
const timer = new Timer({ variant: "big", announcer: $("#timer-said") });

function joinPanel() {
  const panel = el("div", { class: "join-screen" },
    el("div", {},
      el("h1", {}, state.title),
      el("p", { class: "step-label" }, t("present.go_to")),
      el("p", { class: "url" }, invite ? invite.base.replace(/^https?:\/\//, "") : location.host),
      el("p", { class: "step-label" }, t("present.code")),
      el("p", { class: "code", "data-code": "" }, invite ? invite.code : "…"),
      invite && /^https?:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?\/?$/i.test(invite.base) ? el("p", { class: "warn", id: "loopback" }, t("org.loopback")) : null),
    el("div", { class: "qr" }, el("img", { src: withToken(`/api/meetings/${meeting}/qr.svg`), alt: t("present.qr_alt"), width: 472, height: 472 })));
  return panel;
}

/// Rebuilds the body only when the screen's kind changes, so bars and the cloud animate.
function render() {
  if (!state) return;
  $("#title").textContent = state.title;
  const q = state.question, s = state.status;
  $("#progress").textContent = q && ["ongoing", "results"].includes(s) ? t("play.progress", { n: state.position + 1, total: state.activity_count }) : "";
  $("#join-line").textContent = invite ? t("present.join_line", { url: invite.base.replace(/^https?:\/\//, ""), code: invite.code }) : "";
  const showing = ["ongoing", "results"].includes(s) && q ? `${s}:${q.id}` : s;
  const body = $("#body");
  if (showing !== view) {
    view = showing;
    bars = null; cloud = null; hist = null; ranking = null;
    body.replaceChildren();
    body.dataset.view = s;
    body.dataset.kind = q && ["ongoing", "results"].includes(s) ? q.kind : "";
    if (s === "before" || s === "waiting" || s === "undefined") body.append(joinPanel());
    else if (s === "scoreboard" || s === "after") {
      body.append(el("h1", { class: s === "after" ? "end-title" : "" }, t(s === "after" ? "present.thanks" : "present.scoreboard")));
      body.append(el("div", { id: "board" }));
    } else if (q) {
      // A timed activity keeps its countdown's place beside the title, also once revealed
      // (empty then), so the reveal moves nothing.
      const timed = q.kind !== "text" && Number(q.time_limit_secs) > 0;
      // The description sits under the title, both beside the countdown.
      const text = el("div", { class: "q-text" }, el("h1", {}, q.title));
      if (q.description_html) { const d = el("div", { class: "description" }); d.innerHTML = q.description_html; text.append(d); }
      body.append(el("div", { class: "q-head" }, text, timed ? el("div", { class: "timer-slot" }, timer.root) : null));
      if (q.kind === "poll" || q.kind === "quiz") {
        body.append(el("div", { class: "bars", id: "bars" }), el("p", { class: "answered", id: "answered" }));
        bars = new Bars($("#bars"));
      } else if (q.kind === "scale") {
        body.append(el("div", { class: "hist-box", id: "hist" }), el("p", { class: "answered", id: "answered" }));
        hist = new Histogram($("#hist"));
      } else if (q.kind === "grid") {
        body.append(el("div", { class: "ranking-box", id: "ranking" }), el("p", { class: "answered", id: "answered" }));
        ranking = new Ranking($("#ranking"));
      } else if (q.kind === "wordcloud") {
        body.append(el("div", { class: "cloud", id: "cloud" }, el("div", { class: "cloud-empty", id: "cloud-empty", hidden: true },
          el("p", { class: "cloud-empty-title" }, t("cloud.empty")), el("p", { id: "cloud-empty-hint" }))));
        cloud = new Cloud($("#cloud"), { minSize: 28, maxSize: 120, reference: 1700 });
      }
    }
  }
  if (q && (q.kind === "poll" || q.kind === "quiz") && bars) {
    // A quiz keeps its rows until the reveal, empty and without numbers: the reveal fills
    // them in place, nothing moves. Only the number of answers changes meanwhile.
    const hidden = q.kind === "quiz" && s !== "results";
    bars.update(q, hidden ? { counts: {}, total: 0, correct: [] } : state.results || { counts: {}, total: 0, correct: [] }, { reveal: q.kind === "quiz", hidden });
    const count = state.results?.total ?? (answered?.question_id === q.id ? answered.total : 0);
    // A revealed activity says it is closed: the audience stops trying to answer.
    // A multi-select says how many each may pick: the bars are out of the voters.
    const answers = isMulti(q) ? `${t("present.answers", { n: count })} · ${t("kinds.up_to", { n: q.max_choices })}` : t("present.answers", { n: count });
    $("#answered").textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  }
  if (q && (hist || ranking)) {
    const results = state.results || { counts: {}, total: 0, correct: [] };
    if (hist) hist.update(q, results);
    if (ranking) ranking.update(q, results);
    const answers = t("present.answers", { n: results.total ?? 0 });
    $("#answered").textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  }
  if (cloud && q) {
    cloud.update(q.id, state.words || []);
    // An empty cloud says what to do rather than showing a blank screen.
    const empty = !(state.words || []).length;
    $("#cloud-empty").hidden = !empty;
    if (empty) $("#cloud-empty-hint").textContent = state.chat && s === "ongoing" ? t("cloud.empty_hint_chat", { prefix: state.chat.vote_prefix || "#" }) : t("cloud.empty_hint");
  }
  timer.update(state);
  renderChatHint(q, s);
  const board = $("#board");
  if (board) renderScoreboard(board, state.scoreboard || [], { listLimit: 10 });
  $("#online").textContent = online;
  if (fitted !== view) { fitted = view; fit(); }
}

/// What the body was last fitted for (a new screen, a resize or a language change fits it
/// again; a tally only moves bars and counts, whose height does not change).
let fitted = null;

/// Shrinks the body's content (`--fit`, 5 % at a time, down to 40 %) until it fits between
/// the header and the footer.
function fit() {
  const body = $("#body");
  let f = 1;
  body.style.setProperty("--fit", "1");
  while (body.scrollHeight > body.clientHeight + 1 && f > 0.4) {
    f = Math.round((f - 0.05) * 100) / 100;
    body.style.setProperty("--fit", String(f));
  }
}

/// With Twitch or YouTube sources, viewers learn what to type: `#a #b #c` for a poll or
/// quiz, `#a #c` for a multi-select, `#0 … #10` for a scale, `#a4 #b5` for a grid, `#` and
/// a word for a cloud. Shown while the activity is open.
function renderChatHint(q, s) {
  const hint = $("#chat-hint");
  const chat = state.chat;
  hint.hidden = !(chat && q && s === "ongoing" && !state.closed && q.kind !== "text");
  if (hint.hidden) return;
  hint.replaceChildren(...chatHintParts(q, chat.vote_prefix || "#"));
}

/// The link stopped working (revoked, or the meeting is gone): say so instead of retrying.
/// A close in 4001–4099: a display link's revocation, or, for a screen opened with the
/// staff session, that session's end (back to the login form, which says why).
function ended() {
  if (token) { revoked(); return; }
  try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
  location.reload();
}

function revoked() {
  $("#body").replaceChildren(el("div", { class: "card revoked" }, el("h1", {}, t("present.revoked_title")), el("p", {}, t("present.revoked"))));
  view = "revoked";
}

async function start() {
  $("#gate").classList.add("hidden");
  $("#screen").classList.remove("hidden");
  const res = await getJson(withToken(`/api/meetings/${meeting}/invite`));
  if (res.ok) invite = res.data;
  else if (res.status === 401 || res.status === 403 || res.status === 404) { revoked(); return; }
  new Live(wsUrl(withToken(`/ws/meetings/${meeting}`)), {
    onFrame(f) {
      if (f.type === "state") {
        syncClock(f.now);
        if (answered && answered.question_id !== f.question?.id) answered = null;
        state = f; render();
      }
      else if (f.type === "participants") { online = f.count; $("#online").textContent = online; }
      else if (!state) return;
      else if (f.type === "answered") { answered = { question_id: f.question_id, total: f.total }; render(); }
      else if (mergeLive(state, f)) render();
    },
    onStatus: connectionBanner,
    onFinal: ended,
    async onRefused() {
      const check = await getJson(withToken(`/api/meetings/${meeting}/invite`));
      if ([401, 403, 404].includes(check.status)) { connectionBanner("online"); revoked(); return true; }
      return false;
    },
  });
}

/// Staff without a link: make one and continue with it (the address bar then holds a URL that
/// works in OBS with no login).
async function openWithNewLink() {
  const res = await postJson(`/api/meetings/${meeting}/display`);
  if (res.ok) location.replace(`/present.html?meeting=${meeting}&token=${encodeURIComponent(res.data.token)}`);
  else { $("#gate").classList.add("hidden"); $("#screen").classList.remove("hidden"); revoked(); }
}

onLangChange(() => { view = null; render(); timer.relabel(); });
window.addEventListener("resize", () => { fitted = null; fit(); cloud?.layout(); });

(async () => {
  if (token && meeting !== null) { start(); return; }
  $("#gate").classList.remove("hidden");
  await ensureStaff();
  if (meeting === null) pickMeeting((m) => `/present.html?meeting=${m.id}`);
  else openWithNewLink();
})();
