// The activity overlay (/overlay/activity.html, 1920×300, a lower third): while an activity
// is shown, its question with the live bars (a quiz's rows empty until the reveal, as on the
// presenter; a multi-select's out of its voters), a scale's mean and median beside a mini
// histogram, a grid's top 5 by Bayesian average, its word cloud, or a slide's title; on the
// scoreboard the top 5. With a chat
// source, "In chat, type #a #b …" while answers are open; a timed activity's countdown (the
// shared one of countdown.js, corrected with `now`). An open question shows its latest
// approved answers (four at most, as many as fit), a Q&A its pinned question or its top
// three, with their numbers and votes. Nothing at all between activities.
// `?position=top` puts it at the top of the source instead of the bottom.

import { el, icon, mergeLive } from "./common.js";
import { t, onLangChange } from "./i18n.js";
import { Bars, Histogram, Ranking, isMulti, mergeItems, itemsOf } from "./charts.js";
import { Cloud } from "./cloud.js";
import { Timer, syncClock } from "./countdown.js";
import { setup, connect, params, chatHint, ranked, glyph } from "./overlay.js";

setup();
const panel = document.getElementById("panel");
document.documentElement.classList.toggle("lk-top", params.get("position") === "top");

let state = null, answered = null, view = null, bars = null, cloud = null, hist = null, ranking = null;
let parts = {};
/// One countdown for the page, moved into each new panel.
const timer = new Timer({ variant: "overlay" });

/// The panel's frame for a new screen (a new activity, a status change): parts are kept
/// between updates so bars animate and cloud words keep their place.
function build(s, q) {
  bars = null; cloud = null; hist = null; ranking = null; parts = {};
  panel.replaceChildren();
  panel.dataset.view = s;
  panel.dataset.kind = q?.kind ?? "";
  if (s === "scoreboard" || s === "after") {
    parts.board = el("ol", { class: "lk-top5" });
    panel.append(el("div", { class: "lk-activity-head" },
      el("h1", { class: "lk-question" }, icon("trophy", "lk-trophy"), t("overlay.top5"))), parts.board);
    return;
  }
  parts.title = el("h1", { class: "lk-question" }, q.title);
  parts.hint = el("p", { class: "lk-hint" });
  parts.count = el("p", { class: "lk-count" });
  // The count and the chat hint stand to the right of the question: the rows below keep
  // the height for two lines of each choice.
  panel.append(el("div", { class: "lk-activity-head" }, parts.title, el("div", { class: "lk-aside" }, timer.root, parts.count, parts.hint)));
  if (q.kind === "poll" || q.kind === "quiz") {
    const box = el("div", { class: "bars lk-bars" });
    // One row up to 4 choices, two up to 8, then three (26 at most).
    const n = q.choices.length;
    box.style.setProperty("--cols", String(n <= 4 ? n : n <= 8 ? Math.ceil(n / 2) : Math.ceil(n / 3)));
    panel.append(box);
    bars = new Bars(box);
  } else if (q.kind === "scale") {
    const box = el("div", { class: "lk-scale" });
    panel.append(box);
    hist = new Histogram(box, { compact: true });
  } else if (q.kind === "grid") {
    const box = el("div", { class: "lk-grid" });
    // The top five side by side (fewer items: as many columns).
    box.style.setProperty("--cols", String(Math.min(5, q.choices.length)));
    panel.append(box);
    ranking = new Ranking(box, { limit: 5, note: false });
  } else if (q.kind === "wordcloud") {
    const box = el("div", { class: "cloud lk-cloud" });
    panel.append(box);
    cloud = new Cloud(box, { minSize: 20, maxSize: 72, reference: 1800 });
  } else if (q.kind === "text_answer" || q.kind === "qna") {
    parts.items = el("ol", { class: q.kind === "qna" ? "lk-questions" : "lk-answers" });
    parts.key = null;
    panel.append(parts.items);
  }
}

/// An open question's latest answers (newest first), or a Q&A's pinned question(s), else
/// its top three; the ones that do not fit the panel are left out.
function renderItems(q) {
  const all = itemsOf(state);
  const items = q.kind === "qna"
    ? (all.some((it) => it.pinned) ? all.filter((it) => it.pinned) : all.filter((it) => !it.answered)).slice(0, 3)
    : all.slice(0, 4);
  const key = JSON.stringify(items);
  if (key === parts.key) return;
  parts.key = key;
  const who = (it) => el("span", { class: "lk-item-who", dir: "auto" },
    it.platform === "twitch" || it.platform === "youtube" ? glyph(it.platform, "lk-platform", it.platform === "twitch" ? "Twitch" : "YouTube") : null, it.name);
  parts.items.replaceChildren(...items.map((it) => q.kind === "qna"
    ? el("li", { class: `lk-item lk-question${it.pinned ? " lk-pinned" : ""}`, "data-item": it.id },
      el("span", { class: "lk-item-num" }, `#${it.id}`),
      el("span", { class: "lk-item-text", dir: "auto" }, it.text),
      el("span", { class: "lk-item-votes" }, `▲ ${it.votes ?? 0}`), who(it))
    : el("li", { class: "lk-item lk-answer", "data-item": it.id },
      el("span", { class: "lk-item-text", dir: "auto" }, it.text), who(it))));
  // Only whole answers: the last ones go while the panel overflows.
  const rows = [...parts.items.children];
  while (rows.length > 1 && panel.scrollHeight > panel.clientHeight + 1) rows.pop().remove();
}

function render() {
  const s = state?.status, q = state?.question;
  const shown = q && (s === "ongoing" || s === "results") ? `${s}:${q.id}`
    : (s === "scoreboard" || s === "after") && (state.scoreboard || []).some((r) => r.score > 0) ? s : null;
  panel.hidden = !shown;
  if (!shown) { view = null; timer.update(null); return; }
  if (shown !== view) { view = shown; build(s, q); }
  timer.update(parts.board ? null : state);
  if (parts.board) {
    const rows = ranked((state.scoreboard || []).filter((r) => r.score > 0)).slice(0, 5);
    parts.board.replaceChildren(...rows.map((r) => el("li", { class: `lk-rank lk-rank-${Math.min(r.rank, 4)}` },
      el("span", { class: "lk-rank-pos" }, String(r.rank)),
      r.platform === "twitch" || r.platform === "youtube" ? glyph(r.platform, "lk-platform", r.platform === "twitch" ? "Twitch" : "YouTube") : null,
      el("span", { class: "lk-rank-name", dir: "auto" }, r.name),
      el("span", { class: "lk-rank-pts" }, t("score.points", { n: r.score })))));
    return;
  }
  const hint = chatHint(state);
  parts.hint.replaceChildren(...(hint || []));
  parts.hint.hidden = !hint;
  if (bars) {
    const hidden = (q.kind === "quiz" || Boolean(q.hide_results_until_reveal)) && s !== "results";
    const empty = { counts: {}, total: 0, correct: [] };
    bars.update(q, hidden ? empty : state.results || empty, { reveal: q.kind === "quiz", hidden });
    const count = state.results?.total ?? (answered?.question_id === q.id ? answered.total : 0);
    const answers = isMulti(q) ? `${t("present.answers", { n: count })} · ${t("kinds.up_to", { n: q.max_choices })}` : t("present.answers", { n: count });
    parts.count.textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  } else if (hist || ranking) {
    const results = state.results || { counts: {}, total: 0, correct: [] };
    if (hist) hist.update(q, results);
    if (ranking) ranking.update(q, results);
    const answers = t("present.answers", { n: results.total ?? 0 });
    parts.count.textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  } else if (parts.items) {
    const n = Number(state.items?.counts?.approved ?? itemsOf(state).length);
    parts.count.textContent = t(q.kind === "qna" ? "present.questions" : "present.answers", { n });
    renderItems(q);
  } else parts.count.textContent = "";
  if (cloud) cloud.update(q.id, state.words || []);
}

onLangChange(() => { view = null; render(); timer.relabel(); });
window.addEventListener("resize", () => { cloud?.layout(); refit(); });
/// Answers and questions left out for room are tried again when the room or the text size
/// changes (a resize, the fonts arriving).
function refit() {
  if (!parts.items || !state) return;
  parts.key = null;
  render();
}
document.fonts?.addEventListener("loadingdone", refit);

connect((f) => {
  if (f.type === "state") {
    if (answered && answered.question_id !== f.question?.id) answered = null;
    syncClock(f.now);
    state = f; render();
  } else if (!state) return;
  else if (f.type === "answered") { answered = { question_id: f.question_id, total: f.total }; render(); }
  else if (mergeItems(state, f)) render();
  else if (mergeLive(state, f)) render();
});
