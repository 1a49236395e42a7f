// The presenter screen (1920×1080 projector, or an OBS browser source). It uses a staff
// session but shows only what the audience may see: a quiz's counts and answer appear at
// the reveal, never before.

import { $, el, getJson, Live, wsUrl, meetingParam, connectionBanner, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars } from "./charts.js";
import { Cloud } from "./cloud.js";
import { renderScoreboard } from "./podium.js";
import { ensureStaff, pickMeeting } from "./staff.js";

applyTheme("dark");
mountTools();

const meeting = meetingParam();
let state = null, invite = null, online = 0, view = null;
let bars = null, cloud = null;

function joinPanel() {
  const panel = el("div", { class: "join-screen" },
    el("div", {},
      el("h1", {}, state.title),
      el("p", { class: "step-label" }, t("present.go_to")),
      el("p", { class: "url" }, invite ? invite.base.replace(/^https?:\/\//, "") : location.host),
      el("p", { class: "step-label" }, t("present.code")),
      el("p", { class: "code", "data-code": "" }, invite ? invite.code : "…")),
    el("div", { class: "qr" }, el("img", { src: `/api/meetings/${meeting}/qr.svg`, alt: t("present.qr_alt"), width: 472, height: 472 })));
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
    bars = null; cloud = null;
    body.replaceChildren();
    body.dataset.view = s;
    if (s === "before" || s === "waiting" || s === "undefined") body.append(joinPanel());
    else if (s === "scoreboard" || s === "after") {
      body.append(el("h1", { class: s === "after" ? "end-title" : "" }, t(s === "after" ? "present.thanks" : "present.scoreboard")));
      body.append(el("div", { id: "board" }));
    } else if (q) {
      body.append(el("h1", {}, q.title));
      if (q.description_html) { const d = el("div", { class: "description" }); d.innerHTML = q.description_html; body.append(d); }
      if (q.kind === "poll" || q.kind === "quiz") {
        body.append(el("div", { class: "choice-list", id: "choice-list" }), el("div", { class: "bars", id: "bars" }), el("p", { class: "answered", id: "answered" }));
        bars = new Bars($("#bars"));
      } else if (q.kind === "wordcloud") {
        body.append(el("div", { class: "cloud", id: "cloud" }));
        cloud = new Cloud($("#cloud"), { minSize: 28, maxSize: 120, reference: 1700 });
      }
    }
  }
  if (q && (q.kind === "poll" || q.kind === "quiz") && bars) {
    // A quiz stays a plain list of choices until the reveal; only the number of answers moves.
    const hidden = q.kind === "quiz" && s !== "results";
    $("#choice-list").replaceChildren(...(hidden ? q.choices.map((c) => el("div", {}, el("span", { class: "letter" }, c.slug), el("span", {}, c.text))) : []));
    $("#choice-list").classList.toggle("hidden", !hidden);
    if (hidden) bars.clear(); else bars.update(q, state.results || { counts: {}, total: 0, correct: [] }, { reveal: q.kind === "quiz" });
    $("#answered").textContent = t("present.answers", { n: state.results?.total || 0 });
  }
  if (cloud && q) { cloud.update(q.id, state.words || []); }
  const board = $("#board");
  if (board) renderScoreboard(board, state.scoreboard || [], { listLimit: 10 });
  $("#online").textContent = online;
}

async function start() {
  $("#gate").classList.add("hidden");
  $("#screen").classList.remove("hidden");
  const res = await getJson(`/api/meetings/${meeting}/invite`);
  if (res.ok) invite = res.data;
  new Live(wsUrl(`/ws/meetings/${meeting}?role=staff`), {
    onFrame(f) {
      if (f.type === "state") { state = f; render(); }
      else if (f.type === "participants") { online = f.count; $("#online").textContent = online; }
      else if (!state) return;
      else if (mergeLive(state, f)) render();
    },
    onStatus: connectionBanner,
    async onRefused() {
      const me = await getJson("/api/me");
      if (me.status === 401) { location.reload(); return true; }
      return false;
    },
  });
}

onLangChange(() => { view = null; render(); });
window.addEventListener("resize", () => cloud?.layout());

(async () => {
  $("#gate").classList.remove("hidden");
  await ensureStaff();
  if (meeting === null) pickMeeting((m) => `/present.html?meeting=${m.id}`);
  else start();
})();
