// The participant app: renders the current activity from the last `state` snapshot plus the
// live `tally`/`words`/`score` frames, and sends votes, words and flags.

import { $, el, icon, getJson, Live, wsUrl, errorText, meetingParam, connectionBanner, ordinal, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars } from "./charts.js";
import { Cloud } from "./cloud.js";
import { renderScoreboard } from "./podium.js";
import { Timer, syncClock } from "./countdown.js";

applyTheme();
mountTools();

const meeting = meetingParam();
if (meeting === null) location.replace("/");

let state = null;
/// Set when a moderator removed this participant (close 4003): the page says so and stops.
let removed = false;
/// Whether the flag scanned on the join page was looked for (once, at the first `state`).
let claimed = false;
let shownQuestion = null;
/// What the choice buttons were last built for (see `render`).
let shownChoices = null;
const bars = new Bars($("#bars"));
const cloud = new Cloud($("#cloud"), { minSize: 16, maxSize: 48 });
/// A timed activity's countdown, beside the status (answers after 0 are the server's to refuse).
const timer = new Timer({ variant: "compact", announcer: $("#timer-said") });
$("#progress").before(timer.root);

function toast(text, ok, where = "#toast") {
  const n = $(where);
  n.textContent = text;
  n.className = "toast " + (text ? (ok ? "ok" : "bad") : "");
}

/// The participant's answer to the current activity (from `you.answer`), if any.
function myAnswer() {
  const a = state?.you?.answer;
  return a && state.question && a.question_id === state.question.id ? a : null;
}

function choiceOf(q, id) { return q.choices.find((c) => c.id === id); }

function renderYou() {
  const you = state?.you;
  if (!you) return;
  $("#you-name").textContent = you.name;
  $("#score").textContent = you.score;
  // Everyone ties at 0 before the first points: a rank would mean nothing yet.
  const ranked = you.rank && (you.score > 0 || ["scoreboard", "after"].includes(state.status));
  $("#rank").textContent = ranked ? ordinal(you.rank) : "";
}

function emptyState(iconName, title, text) {
  const box = $("#empty");
  box.replaceChildren(icon(iconName), el("p", { class: "muted" }, text || ""));
  box.classList.remove("hidden");
  $("#question").textContent = title;
}

function render() {
  if (removed) { renderRemoved(); return; }
  if (!state) return;
  document.title = `${state.title} · LibreKast`;
  $("#title").textContent = state.title;
  renderYou();
  const q = state.question, s = state.status;
  const key = `${s}:${q?.id ?? ""}`;
  const fresh = key !== shownQuestion;
  if (fresh) { shownQuestion = key; toast("", true); }
  $("#status").textContent = t(`status.${s}`);
  $("#status").classList.toggle("live", s === "ongoing");
  $("#progress").textContent = q ? t("play.progress", { n: state.position + 1, total: state.activity_count }) : "";
  timer.update(state);
  $("#empty").classList.add("hidden");
  $("#description").replaceChildren();
  $("#verdict").replaceChildren();
  $("#scoreboard").replaceChildren();
  const answer = myAnswer();
  // `closed`: answers are closed while the reveal waits for the stream's viewers.
  const open = s === "ongoing" && !state.closed;
  if (s === "ongoing" && state.closed) toast(t("play.closed"), true);

  if (q) {
    $("#question").textContent = q.title;
    // description_html is plain text escaped by the server (docs/protocol.md).
    $("#description").innerHTML = q.description_html;
  } else if (s === "before" || s === "undefined") emptyState("clock", t("play.before"), t("play.before_hint", { name: state.you?.name || "" }));
  else if (s === "waiting") emptyState("spark", t("play.waiting"), t("play.waiting_hint"));
  else if (s === "scoreboard") $("#question").textContent = t("play.scoreboard");
  else if (s === "after") $("#question").textContent = t("play.after");

  const choiceKind = q && (q.kind === "poll" || q.kind === "quiz");
  if (choiceKind) {
    const picked = answer?.choice_id ?? null;
    const revealQuiz = q.kind === "quiz" && s === "results";
    // The buttons are rebuilt only when what they show changes: a tally arrives every
    // moment while others vote, and rebuilding would take the focus from a keyboard user.
    const buttons = s === "results" ? "" : `${q.id}:${s}:${picked}:${open}:${q.choices.length}`;
    if (buttons !== shownChoices) {
      shownChoices = buttons;
      $("#choices").replaceChildren(...(s === "results" ? [] : q.choices.map((c) => el("button", {
        type: "button", class: "choice", "data-choice": c.id, "aria-pressed": String(picked === c.id),
        disabled: !open || picked !== null, onclick: () => vote(q.id, c.id),
      }, el("span", { class: "letter", "aria-hidden": "true" }, c.slug), el("span", {}, c.text)))));
    }
    if (revealQuiz) renderVerdict(q, answer);
    else if (q.kind === "quiz" && picked !== null && open) toast(t("quiz.saved"), true);
    const showBars = state.results && (q.kind === "poll" ? (picked !== null || s === "results") : revealQuiz);
    if (showBars) bars.update(q, state.results, { reveal: revealQuiz, mine: picked });
    else bars.clear();
  } else {
    bars.clear();
    if (shownChoices !== null) { shownChoices = null; $("#choices").replaceChildren(); }
  }

  const isCloud = q && q.kind === "wordcloud";
  const words = answer?.words || [];
  const left = isCloud ? Math.max(0, (q.word_limit || 3) - words.length) : 0;
  $("#word-form").classList.toggle("hidden", !(isCloud && open));
  $("#words-left").textContent = isCloud ? (left ? t("cloud.left", { n: left }) : t("cloud.done")) : "";
  $("#word").disabled = isCloud && left === 0;
  $("#word-send").disabled = isCloud && left === 0;
  $("#my-words").replaceChildren(...(isCloud ? words.map((w) => el("li", {}, w)) : []));
  $("#cloud").classList.toggle("hidden", !(isCloud && state.words));
  if (isCloud && state.words) cloud.update(q.id, state.words); else cloud.clear();
  void left;

  if (s === "scoreboard" || s === "after") {
    const board = state.scoreboard || [];
    renderScoreboard($("#scoreboard"), board, { me: state.you?.attendee_id });
    if (state.you) $("#scoreboard").append(el("p", { class: "me-line" }, t("score.you", { rank: ordinal(state.you.rank), n: state.you.score })));
    if (s === "after") $("#scoreboard").prepend(el("p", { class: "muted" }, t("play.after_hint")));
  }

  // A new activity: announce it by moving focus to its title unless the visitor is typing.
  if (fresh) {
    const active = document.activeElement;
    if (!active || active === document.body || !document.body.contains(active) || active.classList.contains("choice")) $("#question").focus({ preventScroll: true });
  }
}

function renderVerdict(q, answer) {
  const correct = new Set(state.results?.correct || []);
  const rightOnes = q.choices.filter((c) => correct.has(c.id)).map((c) => `${c.slug.toUpperCase()}: ${c.text}`).join(", ");
  let box;
  if (!answer || answer.choice_id === null) {
    box = el("div", { class: "verdict none" }, icon("clock"), el("div", {}, el("div", { class: "big" }, t("quiz.no_answer")), el("div", {}, t("quiz.answer_was", { answer: rightOnes }))));
  } else if (correct.has(answer.choice_id)) {
    const pts = answer.points ?? 1;
    box = el("div", { class: "verdict right" }, icon("check"), el("div", {}, el("div", { class: "big" }, t("quiz.right")), el("div", {}, t("quiz.earned", { n: pts }))));
  } else {
    const mine = choiceOf(q, answer.choice_id);
    box = el("div", { class: "verdict wrong" }, icon("cross"), el("div", {},
      el("div", { class: "big" }, t("quiz.wrong")),
      el("div", {}, t("quiz.you_said", { answer: mine ? `${mine.slug.toUpperCase()}: ${mine.text}` : "?" })),
      el("div", {}, t("quiz.answer_was", { answer: rightOnes }))));
  }
  box.dataset.verdict = box.className.split(" ")[1];
  $("#verdict").append(box);
}

async function vote(question_id, choice_id) {
  for (const b of document.querySelectorAll(".choice")) b.disabled = true;
  const ack = await live.send({ type: "vote", question_id, choice_id });
  shownChoices = null; // the buttons were disabled while waiting: rebuild them from the state
  if (ack.ok || ack.error === "already_voted") {
    if (ack.ok && state.you) state.you.answer = { question_id, choice_id, words: [], points: null };
    if (state.question?.kind === "poll") toast(t("poll.saved"), true);
    render();
  } else {
    toast(errorText(ack.error), false);
    render();
  }
}

$("#word-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#word");
  const text = input.value.trim();
  if (!text) { toast(t("cloud.empty"), false); input.focus(); return; }
  const q = state?.question;
  if (!q) return;
  const ack = await live.send({ type: "word", question_id: q.id, text });
  if (ack.ok) {
    input.value = "";
    const key = text.split(/\s+/).join(" ").toLowerCase();
    if (state.you) {
      const a = myAnswer() || { question_id: q.id, choice_id: null, words: [], points: null };
      if (!a.words.includes(key)) a.words.push(key);
      state.you.answer = a;
    }
    toast(t("cloud.sent"), true);
    render();
  } else toast(errorText(ack.error), false);
  input.focus();
});

/// Sends a flag and says how it went under the flag field.
async function submitFlag(code) {
  const ack = await live.send({ type: "flag", code });
  if (ack.ok) {
    $("#flag").value = "";
    const f = ack.flag;
    toast(t(f.first_blood ? "flag.first" : "flag.ok", { name: f.name, n: f.points }), true, "#flag-toast");
    if (state?.you) { state.you.score = f.score; renderYou(); }
  } else toast(errorText(ack.error === "not_found" ? "flag_not_found" : ack.error), false, "#flag-toast");
  return ack;
}

$("#flag-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#flag");
  const code = input.value.trim();
  if (!code) { toast(t("flag.empty"), false, "#flag-toast"); input.focus(); return; }
  await submitFlag(code);
});

/// A flag QR code scanned on the join page (`/?meeting=ID&flag=…`, docs/web-app.md "Flags
/// sheet") waits in this tab's session storage. It is taken out before it is sent, so a
/// reload never sends it twice; if the connection drops before the ack, it stays in the
/// field to send again by hand.
const PENDING_FLAG = "lk.pendingFlag";
function takePendingFlag() {
  try {
    const pending = JSON.parse(sessionStorage.getItem(PENDING_FLAG) || "null");
    if (!pending || pending.meeting !== meeting || typeof pending.flag !== "string") return null;
    sessionStorage.removeItem(PENDING_FLAG);
    return pending.flag.trim() || null;
  } catch { return null; }
}

async function claimScannedFlag() {
  const code = takePendingFlag();
  if (!code) return;
  $("#flag-title").scrollIntoView({ block: "center" });
  toast(t("flag.claiming"), true, "#flag-toast");
  const ack = await submitFlag(code);
  if (!ack.ok && (ack.error === "offline" || ack.error === "unavailable")) $("#flag").value = code;
}

/// Close 4003: a moderator removed this participant. Their session is over, so nothing
/// reconnects; the page says what happened instead of a stale activity.
function renderRemoved() {
  document.title = `${t("error.removed")} · LibreKast`;
  $("#you-bar").classList.add("hidden");
  $("#flag-title").closest("section").classList.add("hidden");
  for (const id of ["#choices", "#verdict", "#my-words", "#scoreboard", "#description"]) $(id).replaceChildren();
  for (const id of ["#word-form", "#cloud"]) $(id).classList.add("hidden");
  bars.clear();
  cloud.clear();
  toast("", true);
  $("#status").textContent = "";
  $("#status").classList.remove("live");
  $("#progress").textContent = "";
  emptyState("cross", t("error.removed"), t("play.removed_hint"));
  $("#empty").append(el("p", {}, el("a", { class: "button secondary", href: "/" }, t("play.home"))));
  $("#stage").dataset.removed = "true";
}

const live = new Live(wsUrl(`/ws/meetings/${meeting}?role=participant`), {
  onFrame(f) {
    if (f.type === "state") {
      syncClock(f.now);
      state = f;
      render();
      if (!claimed) { claimed = true; claimScannedFlag(); }
    }
    else if (!state) return;
    else if (mergeLive(state, f)) render();
    else if (f.type === "score" && state.you) { state.you.score = f.score; if (f.rank) state.you.rank = f.rank; renderYou(); }
  },
  onStatus: connectionBanner,
  onFinal(code) {
    if (code !== 4003) return;
    removed = true;
    render();
    $("#question").focus({ preventScroll: true });
  },
  async onRefused() {
    const seat = await getJson(`/api/meetings/${meeting}/seat`);
    // No seat here (cookie gone, or no such meeting): the join form says which.
    if (seat.status === 401) { location.replace(`/?meeting=${meeting}`); return true; }
    return false; // server down or restarting: keep trying
  },
});

onLangChange(() => { render(); timer.relabel(); });
window.addEventListener("resize", () => { if (state?.words) cloud.layout(); });
