// The participant app: renders the current activity from the last `state` snapshot plus the
// live `tally`/`words`/`score` frames, and sends votes, words and flags.

import { $, el, icon, getJson, Live, wsUrl, errorText, meetingParam, connectionBanner, ordinal, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange, currentLang } from "./i18n.js";
import { Bars, Histogram, Ranking, scaleOf, scaleValues, perValueLabels, endLabels, labelOf, isMulti, num, maxText, charCount, mergeItems, itemsOf, rankMove } from "./charts.js";
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
/// A scale's live distribution and a grid's ranking, once the participant answered.
const hist = new Histogram($("#hist"), { compact: true });
const ranking = new Ranking($("#ranking"));
/// What the participant puts together before Send on a multi-select poll or quiz, a scale
/// or a grid (kept while tallies re-render the page; a new activity starts afresh).
let draft = { question: null, picks: new Set(), value: null, ratings: new Map(), error: "", text: "" };
/// What `#answer` was last built for, and live references into it (Send, the counter).
let shownAnswer = null;
let ui = {};
/// Set on Send: the next build moves focus to the line saying what was given.
let focusGiven = false;
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

  renderMedia(q);
  if (q) {
    $("#question").textContent = q.title;
    // description_html is plain text escaped by the server (docs/protocol.md).
    $("#description").innerHTML = q.description_html;
  } else if (s === "before" || s === "undefined") emptyState("clock", t("play.before"), t("play.before_hint", { name: state.you?.name || "" }));
  else if (s === "waiting") emptyState("spark", t("play.waiting"), t("play.waiting_hint"));
  else if (s === "scoreboard") $("#question").textContent = t("play.scoreboard");
  else if (s === "after") $("#question").textContent = t("play.after");

  const choiceKind = q && (q.kind === "poll" || q.kind === "quiz") && !isMulti(q);
  const ratingKind = q && (q.kind === "scale" || q.kind === "grid");
  const textKind = q && (q.kind === "text_answer" || q.kind === "qna");
  if (!(q && isMulti(q)) && !ratingKind && !textKind && shownAnswer !== null) { shownAnswer = null; ui = {}; $("#answer").replaceChildren(); }
  if (!ratingKind) { hist.clear(); ranking.clear(); }
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
    else if (picked !== null && hiddenPoll(q, s)) revealNote();
    const showBars = state.results && (q.kind === "poll" ? (picked !== null || s === "results") : revealQuiz);
    if (showBars) bars.update(q, state.results, { reveal: revealQuiz, mine: picked });
    else bars.clear();
  } else {
    if (shownChoices !== null) { shownChoices = null; $("#choices").replaceChildren(); }
    if (q && isMulti(q)) renderMulti(q, s, open, answer);
    else bars.clear();
    if (ratingKind) renderRating(q, s, open, answer);
    if (q?.kind === "text_answer") renderTextAnswer(q, s, open, answer);
    if (q?.kind === "qna") renderQna(q, s, open, answer);
  }
  if (q?.kind === "quiz" && s === "results") renderLeaderLine();

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
    if (!active || active === document.body || !document.body.contains(active) || active.classList.contains("choice") || $("#answer").contains(active)) $("#question").focus({ preventScroll: true });
  }
}

/// Every choice the participant picked (`choice_ids`, or the single `choice_id`).
function pickedIds(answer) {
  if (Array.isArray(answer?.choice_ids) && answer.choice_ids.length) return answer.choice_ids;
  return answer?.choice_id === null || answer?.choice_id === undefined ? [] : [answer.choice_id];
}

/// "A: Rust, C: Python" for choice ids.
function choiceList(q, ids) {
  return ids.map((id) => choiceOf(q, id)).filter(Boolean).map((c) => `${c.slug.toUpperCase()}: ${c.text}`).join(", ");
}

function renderVerdict(q, answer) {
  const correct = new Set(state.results?.correct || []);
  const rightOnes = q.choices.filter((c) => correct.has(c.id)).map((c) => `${c.slug.toUpperCase()}: ${c.text}`).join(", ");
  const picked = pickedIds(answer);
  // A multi-select quiz is right when the set picked is the set of right answers; with
  // partial credit, some points for some of it (`points` says how many).
  const right = isMulti(q) ? picked.length === correct.size && picked.every((id) => correct.has(id)) : correct.has(picked[0]);
  let box;
  if (!picked.length) {
    box = el("div", { class: "verdict none" }, icon("clock"), el("div", {}, el("div", { class: "big" }, t("quiz.no_answer")), el("div", {}, t("quiz.answer_was", { answer: rightOnes }))));
  } else if (right) {
    const pts = answer.points ?? 1;
    box = el("div", { class: "verdict right" }, icon("check"), el("div", {}, el("div", { class: "big" }, t("quiz.right")), el("div", {}, t("quiz.earned", { n: pts }))));
  } else if (isMulti(q) && q.partial_credit && Number(answer.points) > 0) {
    box = el("div", { class: "verdict partial" }, icon("check"), el("div", {},
      el("div", { class: "big" }, t("kinds.partly")),
      el("div", {}, t("quiz.earned", { n: Number(answer.points) })),
      el("div", {}, t("quiz.you_said", { answer: choiceList(q, picked) })),
      el("div", {}, t("quiz.answer_was", { answer: rightOnes }))));
  } else {
    box = el("div", { class: "verdict wrong" }, icon("cross"), el("div", {},
      el("div", { class: "big" }, t("quiz.wrong")),
      el("div", {}, t("quiz.you_said", { answer: choiceList(q, picked) || "?" })),
      el("div", {}, t("quiz.answer_was", { answer: rightOnes }))));
  }
  box.dataset.verdict = box.className.split(" ")[1];
  $("#verdict").append(box);
}

/// The draft for this activity (a new activity starts an empty one).
function draftFor(q) {
  if (draft.question !== q.id) draft = { question: q.id, picks: new Set(), value: null, ratings: new Map(), error: "", text: "" };
  return draft;
}

/// The sentence for a refused answer, with the activity's own numbers where it helps.
function answerError(code, q) {
  if (code === "too_many_choices") return t("kinds.too_many", { n: Number(q.max_choices) || 1 });
  if (code === "out_of_range") { const sc = scaleOf(q); return t("kinds.out_of_range", { min: sc.min, max: sc.max }); }
  if (code === "already_voted" && (q.kind === "scale" || q.kind === "grid")) return t("kinds.already_rated");
  return errorText(code);
}

/// "What you gave" line under a sent answer; focused right after Send (a screen reader
/// hears it, and the page does not lose the focus with the rebuilt controls).
function givenLine(text) {
  const line = el("p", { class: "given", id: "given", tabindex: "-1" }, icon("check"), el("span", {}, text));
  return line;
}

function focusGivenLine() {
  if (!focusGiven) return;
  focusGiven = false;
  $("#given")?.focus({ preventScroll: false });
}

/// The Send row, which stays in view while the list scrolls: what is ready ("2 of 3
/// chosen") or why something was refused, and the button.
function sendRow(label, onSend) {
  ui.send = el("button", { type: "button", id: "answer-send", class: "send", onclick: onSend }, label);
  ui.count = el("p", { class: "pick-count", id: "pick-count", "aria-live": "polite" });
  return el("div", { class: "send-row" }, ui.count, ui.send);
}

/// The counter line: the refusal while there is one (in red, nudged), else `normal`.
function countLine(d, normal) {
  if (!ui.count) return;
  const text = d.error || normal;
  if (ui.count.textContent !== text) ui.count.textContent = text;
  ui.count.classList.toggle("over", Boolean(d.error));
}

/// Says why an answer was refused: under the controls beside Send (in view), restarting
/// the nudge when it is said again.
function refuse(d, text) {
  d.error = text;
  if (ui.count) {
    ui.count.classList.remove("over");
    void ui.count.offsetWidth;
    ui.count.textContent = text;
    ui.count.classList.add("over");
  } else toast(text, false);
}

// Multi-select poll or quiz: a checkbox per choice ("Choose up to K"), then Send. A box
// past K is refused with the reason; after Send the boxes show what was picked.
function renderMulti(q, s, open, answer) {
  const d = draftFor(q);
  const k = Number(q.max_choices) || 1;
  const sent = pickedIds(answer);
  const revealQuiz = q.kind === "quiz" && s === "results";
  const key = `multi:${q.id}:${s}:${open}:${sent.join(",")}:${currentLang()}`;
  if (key !== shownAnswer) {
    shownAnswer = key;
    ui = {};
    const box = $("#answer");
    box.replaceChildren();
    box.dataset.kind = "multi";
    // Once sent, what was given comes first (where the hint was).
    if (sent.length) box.append(givenLine(t("kinds.you_chose", { answer: choiceList(q, sent) })));
    if (s !== "results") {
      const done = sent.length > 0;
      if (!done) box.append(el("p", { class: "pick-hint", id: "pick-hint" }, icon("check"), el("span", {}, t("kinds.choose_up_to", { n: k }))));
      const list = el("div", { class: "checks", role: "group", "aria-labelledby": "question", "aria-describedby": done ? "given" : "pick-hint" });
      for (const c of q.choices) {
        const input = el("input", { type: "checkbox", id: `pick-${c.id}`, value: c.id, disabled: !open || done });
        input.checked = done ? sent.includes(c.id) : d.picks.has(c.id);
        input.addEventListener("change", () => pick(q, c.id, input));
        list.append(el("label", { class: "choice check", for: input.id, "data-choice": c.id }, input,
          el("span", { class: "letter", "aria-hidden": "true" }, c.slug), el("span", { class: "choice-text", dir: "auto" }, c.text)));
      }
      box.append(list);
      if (!done && open) box.append(sendRow(t("kinds.send_choices"), () => sendPicks(q)));
    }
    focusGivenLine();
  }
  if (ui.send) {
    countLine(d, t("kinds.chosen", { n: d.picks.size, k }));
    ui.send.disabled = d.picks.size === 0;
  }
  if (revealQuiz) renderVerdict(q, answer);
  else if (q.kind === "quiz" && sent.length && open) toast(t("quiz.saved"), true);
  else if (sent.length && hiddenPoll(q, s)) revealNote();
  const showBars = state.results && (q.kind === "poll" ? (sent.length > 0 || s === "results") : revealQuiz);
  if (showBars) bars.update(q, state.results, { reveal: revealQuiz, mine: sent });
  else bars.clear();
}

function pick(q, id, input) {
  const d = draftFor(q);
  const k = Number(q.max_choices) || 1;
  if (input.checked && !d.picks.has(id) && d.picks.size >= k) {
    input.checked = false;
    refuse(d, t("kinds.too_many", { n: k }));
    return;
  }
  if (input.checked) d.picks.add(id); else d.picks.delete(id);
  d.error = "";
  render();
}

async function sendPicks(q) {
  const d = draftFor(q);
  const ids = q.choices.map((c) => c.id).filter((id) => d.picks.has(id));
  if (!ids.length) return;
  ui.send.disabled = true;
  const ack = await live.send({ type: "vote", question_id: q.id, choice_ids: ids });
  if (ack.ok) {
    if (state.you) state.you.answer = { question_id: q.id, choice_id: ids[0], choice_ids: ids, words: [], points: null, value: null, ratings: {} };
    shownAnswer = null;
    focusGiven = true;
    render();
    if (q.kind === "poll") toast(t(q.hide_results_until_reveal ? "play.vote_saved_hidden" : "poll.saved"), true);
  } else {
    refuse(d, answerError(ack.error, q));
    if (ui.send) ui.send.disabled = false;
  }
}

/// A value as the participant sees it: "7", or "5 · ★★★★★" with a label.
function valueText(sc, v) {
  const label = labelOf(sc, v);
  return label ? `${num(v, 0)} · ${label}` : num(v, 0);
}

/// One rating control for a scale's values: a button per value when there are at most 11
/// (a label in each when every value has one), else a slider with the value shown big and
/// − / + for the last step. Radio buttons and a range input underneath, so keyboards and
/// screen readers get what they know. `item`: a grid's item (its legend); `onPick(value)`.
function scaleControl(q, { name, value, disabled, item = null, ends = true, onPick }) {
  const sc = scaleOf(q);
  const values = scaleValues(sc);
  const fs = el("fieldset", { class: `scale-field${item ? " grid-row" : ""}`, "data-item": item?.id });
  fs.append(item
    ? el("legend", { class: "grid-item" }, el("span", { class: "letter", "aria-hidden": "true" }, item.slug), el("span", { dir: "auto" }, item.text))
    : el("legend", { class: "sr-only" }, q.title));
  const endsText = ends ? endLabels(sc) : null;
  if (values.length <= 11) {
    const labels = perValueLabels(sc);
    // Short labels (an emoji, a digit) sit under the number; longer ones ("★★★★", a word)
    // than a button that narrow holds take a line each, beside the number.
    const cols = values.length <= 6 ? values.length : Math.ceil(values.length / 2);
    const room = cols <= 2 ? 16 : cols === 3 ? 8 : cols === 4 ? 5 : 3;
    const list = labels !== null && labels.some((l) => [...l].length > room);
    const row = el("div", { class: `scale-buttons${list ? " list" : ""}` });
    // Through the CSSOM: the page's CSP refuses `style` attributes.
    row.style.setProperty("--cols", String(list ? 1 : cols));
    for (const v of values) {
      const input = el("input", { type: "radio", name, id: `${name}-${v}`, value: v, disabled });
      input.checked = value === v;
      input.addEventListener("change", () => { if (input.checked) onPick(v); });
      const label = labels ? labels[v - sc.min] : null;
      row.append(el("label", { class: "scale-btn", for: input.id, "data-value": v }, input,
        el("span", { class: "scale-num" }, num(v, 0)), label ? el("span", { class: "scale-label", dir: "auto" }, label) : null));
    }
    fs.append(row);
    if (!labels && endsText) {
      const id = `${name}-ends`;
      fs.setAttribute("aria-describedby", id);
      fs.append(el("div", { class: "scale-ends", id },
        el("span", { dir: "auto" }, t("kinds.end_low", { v: num(sc.min, 0), label: endsText[0] })),
        el("span", { dir: "auto" }, t("kinds.end_high", { v: num(sc.max, 0), label: endsText[1] }))));
    }
    return fs;
  }
  const mid = Math.round((sc.min + sc.max) / 2);
  const id = `${name}-range`;
  const range = el("input", { type: "range", id, min: sc.min, max: sc.max, step: 1, disabled, "aria-label": item ? item.text : q.title });
  range.value = String(value ?? mid);
  const big = el("output", { class: "scale-big", for: id, "aria-hidden": "true" });
  const word = el("span", { class: "scale-word", dir: "auto" });
  let touched = value !== null && value !== undefined;
  const show = () => {
    const v = Number(range.value);
    range.style.setProperty("--pct", `${(100 * (v - sc.min)) / (sc.max - sc.min)}%`);
    big.textContent = touched ? num(v, 0) : "–";
    word.textContent = touched ? labelOf(sc, v) || "" : (disabled ? "" : t("kinds.slide_to_rate"));
    fs.dataset.untouched = String(!touched);
    range.setAttribute("aria-valuetext", touched ? valueText(sc, v) : t("kinds.slide_to_rate"));
  };
  const choose = () => { touched = true; show(); onPick(Number(range.value)); };
  range.addEventListener("input", choose);
  // A tap on the thumb where it stands chooses that value too.
  range.addEventListener("click", choose);
  const step = (dir) => {
    range.value = String(touched ? Math.min(sc.max, Math.max(sc.min, Number(range.value) + dir)) : mid);
    choose();
  };
  const stepBtn = (dir, text, label) => el("button", { type: "button", class: "step-btn secondary", "aria-label": label, disabled, onclick: () => step(dir) }, text);
  const endRow = el("div", { class: "scale-ends", id: `${name}-ends` },
    el("span", { dir: "auto" }, endsText ? t("kinds.end_low", { v: num(sc.min, 0), label: endsText[0] }) : num(sc.min, 0)),
    el("span", { dir: "auto" }, endsText ? t("kinds.end_high", { v: num(sc.max, 0), label: endsText[1] }) : num(sc.max, 0)));
  range.setAttribute("aria-describedby", endRow.id);
  fs.classList.add("slider");
  fs.append(el("div", { class: "slider-value" }, big, word),
    el("div", { class: "slider-row" }, stepBtn(-1, "−", t("kinds.lower")), range, stepBtn(1, "+", t("kinds.higher"))), endRow);
  show();
  return fs;
}

// Scale and grid: the rating controls, Send once every item has a value, then what was
// given and the live results (the distribution, or the ranking).
function renderRating(q, s, open, answer) {
  const d = draftFor(q);
  const grid = q.kind === "grid";
  const sc = scaleOf(q);
  const ratings = answer?.ratings && typeof answer.ratings === "object" ? answer.ratings : {};
  const givenValue = Number.isInteger(answer?.value) ? answer.value : null;
  const givenCount = grid ? q.choices.filter((c) => Number.isInteger(ratings[String(c.id)])).length : 0;
  const rated = grid ? givenCount > 0 : givenValue !== null;
  // A grid rated in full shows its ranking with "You: 4" beside each item instead of the
  // eight rows of buttons: what was given, and where each item stands.
  const collapsed = grid && givenCount === q.choices.length && Boolean(state.results);
  const key = `${q.kind}:${q.id}:${s}:${open}:${grid ? JSON.stringify(ratings) : givenValue}:${collapsed}:${currentLang()}`;
  if (key !== shownAnswer) {
    shownAnswer = key;
    ui = {};
    const box = $("#answer");
    box.replaceChildren();
    box.dataset.kind = q.kind;
    if (rated) {
      box.append(givenLine(grid
        ? (givenCount < q.choices.length ? t("kinds.rated_some", { n: givenCount, total: q.choices.length }) : t("kinds.rated_all"))
        : t("kinds.you_rated", { value: valueText(sc, givenValue) })));
    }
    if (s !== "results" && !collapsed) {
      if (grid) {
        const ends = endLabels(sc);
        const keyLine = ends && !perValueLabels(sc)
          ? t("kinds.grid_key_labels", { min: num(sc.min, 0), max: num(sc.max, 0), low: ends[0], high: ends[1] })
          : t("kinds.grid_key", { min: num(sc.min, 0), max: num(sc.max, 0) });
        if (givenCount < q.choices.length) box.append(el("p", { class: "pick-hint", id: "pick-hint" }, icon("check"), el("span", {}, keyLine)));
        const rows = el("div", { class: "grid-rows" });
        for (const c of q.choices) {
          const had = ratings[String(c.id)];
          const done = Number.isInteger(had);
          rows.append(scaleControl(q, {
            name: `grid-${q.id}-${c.id}`, item: c, ends: false, disabled: !open || done,
            value: done ? had : d.ratings.get(c.id) ?? null,
            onPick: (v) => { d.ratings.set(c.id, v); d.error = ""; syncRating(q); },
          }));
        }
        box.append(rows);
        if (open && givenCount < q.choices.length) box.append(sendRow(t("kinds.send_ratings"), () => sendRatings(q)));
      } else {
        box.append(scaleControl(q, {
          name: `scale-${q.id}`, disabled: !open || rated, value: rated ? givenValue : d.value,
          onPick: (v) => { d.value = v; d.error = ""; syncRating(q); },
        }));
        if (open && !rated) box.append(sendRow(t("kinds.send_rating"), () => sendRatings(q)));
      }
    }
    focusGivenLine();
  }
  syncRating(q);
  // Live results for whoever answered (as a poll's bars), and for everyone once revealed.
  const show = state.results && (rated || s === "results");
  if (show && grid) ranking.update(q, state.results, { mine: ratings });
  else ranking.clear();
  if (show && !grid) hist.update(q, state.results, { mine: givenValue });
  else hist.clear();
}

/// Send is enabled once every item (not rated yet) has a value; the counter says how many.
function syncRating(q) {
  if (!ui.send) return;
  const d = draftFor(q);
  if (q.kind === "grid") {
    const ratings = myAnswer()?.ratings || {};
    const todo = q.choices.filter((c) => !Number.isInteger(ratings[String(c.id)]));
    const ready = todo.filter((c) => d.ratings.has(c.id)).length;
    countLine(d, t("kinds.grid_progress", { n: q.choices.length - todo.length + ready, total: q.choices.length }));
    ui.send.disabled = ready < todo.length;
  } else {
    const sc = scaleOf(q);
    countLine(d, d.value === null ? t("kinds.pick_value", { min: num(sc.min, 0), max: num(sc.max, 0) }) : t("kinds.your_value", { value: valueText(sc, d.value) }));
    ui.send.disabled = d.value === null;
  }
}

async function sendRatings(q) {
  const d = draftFor(q);
  const grid = q.kind === "grid";
  const before = myAnswer()?.ratings || {};
  let frame;
  if (grid) {
    const todo = q.choices.filter((c) => !Number.isInteger(before[String(c.id)]));
    if (todo.some((c) => !d.ratings.has(c.id))) return;
    frame = { type: "rate", question_id: q.id, ratings: Object.fromEntries(todo.map((c) => [String(c.id), d.ratings.get(c.id)])) };
  } else {
    if (d.value === null) return;
    frame = { type: "rate", question_id: q.id, value: d.value };
  }
  ui.send.disabled = true;
  const ack = await live.send(frame);
  if (ack.ok) {
    if (state.you) {
      const a = myAnswer() || { question_id: q.id, choice_id: null, choice_ids: [], words: [], points: null, value: null, ratings: {} };
      if (grid) a.ratings = { ...before, ...frame.ratings };
      else a.value = frame.value;
      state.you.answer = a;
    }
    shownAnswer = null;
    focusGiven = true;
    render();
    toast(t("kinds.rating_saved"), true);
  } else {
    refuse(d, answerError(ack.error, q));
    if (ui.send) ui.send.disabled = false;
  }
}

// ---- Issue 15: images, hidden poll results, open questions, Q&A, the leaderboard line.

/// What `#media` was last built for (its URL and alt), so a tally does not reload it.
let shownMedia = null;

/// The activity's image (`question.image`: {url, alt}) above its choices, scaled to fit
/// (CSS keeps it short enough for the choices to stay in view).
function renderMedia(q) {
  const img = q?.image && typeof q.image.url === "string" ? q.image : null;
  const key = img ? `${img.url}\n${img.alt ?? ""}` : null;
  if (key === shownMedia) return;
  shownMedia = key;
  $("#media").replaceChildren(...(img ? [el("img", { src: img.url, alt: img.alt || "", decoding: "async" })] : []));
}

/// A poll whose results wait for the reveal (`hide_results_until_reveal`), before it.
function hiddenPoll(q, s) {
  return q.kind === "poll" && Boolean(q.hide_results_until_reveal) && s !== "results";
}

/// After a vote on such a poll: when the results come, instead of bars.
function revealNote() {
  $("#verdict").append(el("p", { class: "reveal-note", id: "reveal-note" }, icon("clock"), el("span", {}, t("play.results_after_reveal"))));
}

/// At a speed quiz's reveal, where the participant stands when the top five has them.
function renderLeaderLine() {
  const me = state.you?.attendee_id;
  const row = (state.leaderboard || []).find((r) => r.attendee_id === me);
  if (!row) return;
  const move = rankMove(row);
  $("#verdict").append(el("p", { class: `lb-line lb-${move.dir}`, id: "lb-line" },
    icon("trophy"), el("span", {}, t("play.lb_you", { rank: ordinal(row.rank) })),
    el("span", { class: "lb-move", "aria-hidden": "true" }, move.text), el("span", { class: "sr-only" }, move.label)));
}

/// A blank `you.answer` for this activity, to fold an accepted answer into.
function answerFor(q) {
  const a = myAnswer() || { question_id: q.id, choice_id: null, choice_ids: [], words: [], points: null, value: null, ratings: {} };
  a.items = Array.isArray(a.items) ? a.items : [];
  a.upvoted = Array.isArray(a.upvoted) ? a.upvoted : [];
  return a;
}

/// The sentence for a refused answer, question or upvote.
function textError(code, q, what) {
  if (code === "blocked_word") return t("play.text_blocked");
  if (code === "bad_request") return t("play.text_invalid", { max: maxText(q) });
  if (code === "limit_reached") return t("play.ask_limit");
  if (code === "already_voted") return t(what === "upvote" ? "play.already_upvoted" : "play.already_answered");
  if (code === "not_found") return t("play.question_gone");
  return errorText(code);
}

/// A free-text form (an open question's answer, a Q&A's question): the text box, the
/// characters used of the most allowed ("12/280"), the refusal line and Send. Ctrl+Enter
/// (⌘+Enter) sends. The draft text survives re-renders (a language change, a tally).
function textForm(q, d, { label, hint, send, onSend }) {
  const max = maxText(q);
  const area = el("textarea", { id: "text-input", rows: "3", dir: "auto", autocomplete: "off", "aria-describedby": "text-count text-hint", "aria-keyshortcuts": "Control+Enter" });
  area.value = d.text || "";
  const count = el("span", { class: "text-count", id: "text-count" });
  ui.send = el("button", { type: "submit", id: "answer-send", class: "send" }, send);
  ui.count = el("p", { class: "pick-count", id: "pick-count", "aria-live": "polite" });
  const sync = () => {
    d.text = area.value;
    const n = charCount(area.value);
    count.textContent = `${n}/${max}`;
    count.setAttribute("aria-label", t("play.chars_used", { n, max }));
    count.classList.toggle("over", n > max);
    ui.send.disabled = n === 0 || n > max;
    if (d.error) { d.error = ""; countLine(d, ""); }
  };
  area.addEventListener("input", sync);
  area.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) { ev.preventDefault(); form.requestSubmit(); }
  });
  const form = el("form", { class: "text-form", id: "text-form", novalidate: true },
    el("label", { for: "text-input" }, label), area,
    el("p", { class: "hint", id: "text-hint" }, hint),
    ui.count,
    el("div", { class: "text-row" }, count, ui.send));
  form.addEventListener("submit", (ev) => { ev.preventDefault(); onSend(area); });
  sync();
  countLine(d, "");
  return form;
}

/// Sends the draft as `frame` (an `answer` or an `ask`); resolves with the ack, or null
/// when the draft was refused here (empty, too long).
async function sendDraft(q, d, type) {
  const text = (d.text || "").trim();
  const max = maxText(q);
  if (!text) { refuse(d, t("play.text_empty")); return null; }
  if (charCount(text) > max) { refuse(d, t("play.text_invalid", { max })); return null; }
  if (ui.send) ui.send.disabled = true;
  const ack = await live.send({ type, question_id: q.id, text });
  if (!ack.ok) {
    refuse(d, textError(ack.error, q, type));
    if (ui.send) ui.send.disabled = false;
  }
  return { ack, text };
}

// An open question: one answer each, then "Your answer" with whether it is on the screen
// yet (staff approve it first, unless the activity approves by itself), and the answers
// the screen shows.
function renderTextAnswer(q, s, open, answer) {
  const d = draftFor(q);
  const mine = typeof answer?.text === "string" && answer.text ? answer.text : null;
  const key = `text_answer:${q.id}:${s}:${open}:${mine}:${currentLang()}`;
  if (key !== shownAnswer) {
    shownAnswer = key;
    ui = {};
    const box = $("#answer");
    box.replaceChildren();
    box.dataset.kind = q.kind;
    if (mine !== null) {
      ui.status = el("p", { class: "given-status", id: "given-status" });
      box.append(el("div", { class: "given given-text", id: "given", tabindex: "-1" }, icon("check"),
        el("div", { class: "given-body" },
          el("p", { class: "given-label" }, t("play.your_answer")),
          el("p", { class: "given-quote", dir: "auto" }, mine), ui.status)));
    } else if (open) {
      box.append(textForm(q, d, {
        label: t("play.answer_label"),
        hint: q.auto_approve ? t("play.answer_hint_auto", { max: maxText(q) }) : t("play.answer_hint", { max: maxText(q) }),
        send: t("play.send_answer"),
        onSend: () => sendAnswer(q),
      }));
    } else if (s === "results" || state.closed) box.append(el("p", { class: "muted", id: "given" }, t("play.no_answer")));
    ui.wall = el("section", { class: "wall-mini", "aria-labelledby": "wall-title" });
    box.append(ui.wall);
    focusGivenLine();
  }
  const items = itemsOf(state);
  const own = new Set(answer?.items || []);
  if (ui.status) {
    const shown = items.some((it) => own.has(it.id));
    ui.status.textContent = shown ? t("play.answer_shown") : q.auto_approve ? t("play.answer_soon") : t("play.answer_pending");
    ui.status.classList.toggle("ok", shown);
  }
  // The answers on screen, newest first: the participant's own first of all when there.
  if (ui.wall) {
    const list = items.slice(0, 10);
    const more = items.length - list.length;
    ui.wall.hidden = !(mine !== null || s === "results") || !items.length;
    ui.wall.replaceChildren(
      el("h2", { class: "h3", id: "wall-title" }, t("play.on_screen", { n: state.items?.counts?.approved ?? items.length })),
      el("ul", { class: "wall-list" }, ...list.map((it) => el("li", { class: own.has(it.id) ? "mine" : "", "data-item": it.id },
        el("p", { class: "wall-text", dir: "auto" }, it.text),
        el("p", { class: "wall-who" }, platformTag(it), el("span", { dir: "auto" }, it.name), own.has(it.id) ? el("span", { class: "badge mine" }, t("play.yours")) : null)))),
      more > 0 ? el("p", { class: "muted" }, t("play.more_on_screen", { n: more })) : "");
  }
}

async function sendAnswer(q) {
  const d = draftFor(q);
  const sent = await sendDraft(q, d, "answer");
  if (!sent?.ack.ok) return;
  if (state.you) {
    const a = answerFor(q);
    a.text = sent.text;
    if (Number.isInteger(sent.ack.item_id)) a.items = [...a.items, sent.ack.item_id];
    state.you.answer = a;
  }
  d.text = "";
  shownAnswer = null;
  focusGiven = true;
  render();
  toast(t("play.answer_sent"), true);
}

/// A Twitch or YouTube viewer's tag beside their name (room participants none).
function platformTag(it) {
  if (!it.platform || it.platform === "room") return null;
  return el("span", { class: `ptag ptag-${it.platform}` }, it.platform === "youtube" ? "YouTube" : "Twitch");
}

/// The questions this browser asked, by meeting, activity and id: a question waiting for
/// approval reaches nobody's screen (not even its author's) until staff approve it, so its
/// text is kept here to show it as "waiting" (also after a reload).
const POSTS = `lk.posts.${meeting}`;
function myPosts(qid) {
  try { return JSON.parse(localStorage.getItem(POSTS) || "{}")[qid] || {}; } catch { return {}; }
}
function keepPost(qid, id, text) {
  try {
    const all = JSON.parse(localStorage.getItem(POSTS) || "{}");
    all[qid] = { ...(all[qid] || {}), [id]: text };
    localStorage.setItem(POSTS, JSON.stringify(all));
  } catch { /* private mode: kept for this page only */ }
}

/// Most questions per participant per Q&A (the server refuses more: `limit_reached`).
const ASK_LIMIT = 5;

// A Q&A: "Ask a question", then the approved questions as the server orders them (pinned
// first, then by votes, answered ones last), each with its number, name, votes and an
// upvote button; the participant's own ones marked, the ones waiting for approval above.
function renderQna(q, s, open, answer) {
  const d = draftFor(q);
  const asked = (answer?.items || []).length;
  const full = asked >= ASK_LIMIT || Boolean(d.full);
  const key = `qna:${q.id}:${s}:${open}:${full}:${currentLang()}`;
  if (key !== shownAnswer) {
    shownAnswer = key;
    ui = { rows: new Map() };
    const box = $("#answer");
    box.replaceChildren();
    box.dataset.kind = q.kind;
    if (open && !full) {
      box.append(textForm(q, d, {
        label: t("play.ask_label"),
        hint: q.auto_approve ? t("play.ask_hint_auto", { n: ASK_LIMIT }) : t("play.ask_hint", { n: ASK_LIMIT }),
        send: t("play.ask_send"),
        onSend: () => sendQuestion(q),
      }));
    } else if (open) box.append(el("p", { class: "reveal-note" }, icon("check"), el("span", {}, t("play.ask_limit"))));
    else box.append(el("p", { class: "reveal-note" }, icon("clock"), el("span", {}, t("play.qna_closed"))));
    ui.title = el("h2", { class: "h3 qna-title", id: "qna-title" });
    ui.pending = el("ul", { class: "qna-pending", "aria-label": t("play.waiting_list") });
    ui.list = el("ol", { class: "qna-list", "aria-labelledby": "qna-title" });
    ui.empty = el("div", { class: "qna-empty" }, icon("chat"), el("p", {}, t("play.qna_empty")));
    box.append(el("section", { class: "qna" }, ui.title, ui.pending, ui.list, ui.empty));
    focusGivenLine();
  }
  updateQna(q, open, answer);
}

function updateQna(q, open, answer) {
  const items = itemsOf(state);
  const own = new Set(answer?.items || []);
  const upvoted = new Set(answer?.upvoted || []);
  const shown = new Set(items.map((it) => it.id));
  const approved = Number(state.items?.counts?.approved ?? items.length);
  ui.title.textContent = t("play.questions", { n: approved });
  // Own questions not on the list yet: waiting for approval (or hidden by a moderator), or,
  // when phones get only the most voted ones, approved but not among them.
  const posts = myPosts(q.id);
  const waiting = [...own].filter((id) => !shown.has(id) && posts[id]);
  const unlisted = approved > items.length;
  ui.pending.replaceChildren(...waiting.map((id) => el("li", { class: "qna-item waiting", "data-item": id },
    el("p", { class: "qna-meta" }, el("span", { class: "badge wait" }, icon("clock"), t(unlisted ? "play.waiting_or_unlisted" : "play.waiting_approval", { n: items.length }))),
    el("p", { class: "qna-text", dir: "auto" }, posts[id]))));
  ui.pending.hidden = !waiting.length;
  ui.empty.hidden = items.length > 0 || waiting.length > 0;
  ui.list.hidden = !items.length;
  const keep = new Set();
  for (const [i, it] of items.entries()) {
    keep.add(it.id);
    let r = ui.rows.get(it.id);
    if (!r) {
      r = { li: el("li", { class: "qna-item", "data-item": it.id }) };
      r.num = el("span", { class: "qna-num" });
      r.badges = el("span", { class: "qna-badges" });
      r.text = el("p", { class: "qna-text", dir: "auto" });
      r.who = el("p", { class: "qna-who" });
      // Named by its content ("Upvote question #12: 4 votes"), the number being the
      // visible part: what a voice-control user sees is what they say.
      r.votes = el("span", { class: "vote-n" });
      r.said = el("span", { class: "sr-only" });
      r.unit = el("span", { class: "sr-only" });
      r.btn = el("button", { type: "button", class: "vote-btn secondary", "aria-pressed": "false", onclick: () => upvote(q, it.id, r.btn) }, icon("upvote"), r.said, r.votes, r.unit);
      r.li.append(el("div", { class: "qna-main" }, el("p", { class: "qna-meta" }, r.num, r.badges), r.text, r.who), r.btn);
      ui.rows.set(it.id, r);
    }
    const mine = own.has(it.id), voted = upvoted.has(it.id);
    r.num.textContent = `#${it.id}`;
    r.text.textContent = it.text;
    r.who.replaceChildren(...[platformTag(it), el("span", { dir: "auto" }, it.name)].filter(Boolean));
    r.badges.replaceChildren(...[
      it.pinned ? el("span", { class: "badge pinned" }, icon("pin"), t("play.pinned")) : null,
      it.answered ? el("span", { class: "badge done" }, icon("check"), t("play.answered")) : null,
      mine ? el("span", { class: "badge mine" }, t("play.yours")) : null].filter(Boolean));
    r.votes.textContent = String(it.votes ?? 0);
    r.btn.setAttribute("aria-pressed", String(voted));
    r.btn.disabled = voted || !open;
    r.said.textContent = `${t("play.upvote_label", { id: it.id })} `;
    r.unit.textContent = ` ${t("play.votes_unit", { n: it.votes ?? 0 })}`;
    r.li.classList.toggle("pinned", Boolean(it.pinned));
    r.li.classList.toggle("done", Boolean(it.answered));
    r.li.classList.toggle("mine", mine);
    // Moved only when out of place: moving a node takes the focus from its button.
    if (ui.list.children[i] !== r.li) ui.list.insertBefore(r.li, ui.list.children[i] ?? null);
  }
  for (const [id, r] of ui.rows) if (!keep.has(id)) { r.li.remove(); ui.rows.delete(id); }
}

async function sendQuestion(q) {
  const d = draftFor(q);
  const sent = await sendDraft(q, d, "ask");
  if (!sent?.ack.ok) {
    // Five asked already (from another tab too): the form gives way to the reason.
    if (sent?.ack.error === "limit_reached") { d.full = true; render(); toast(t("play.ask_limit"), false); }
    return;
  }
  const id = sent.ack.item_id;
  if (Number.isInteger(id)) keepPost(q.id, id, sent.text);
  if (state.you) {
    const a = answerFor(q);
    if (Number.isInteger(id)) a.items = [...a.items, id];
    state.you.answer = a;
  }
  d.text = "";
  const area = $("#text-input");
  if (area) { area.value = ""; area.dispatchEvent(new Event("input")); }
  render();
  toast(t(q.auto_approve ? "play.asked_auto" : "play.asked"), true);
  $("#text-input")?.focus();
}

async function upvote(q, id, btn) {
  btn.disabled = true;
  const ack = await live.send({ type: "upvote", question_id: q.id, item_id: id });
  if (ack.ok || ack.error === "already_voted") {
    if (state.you) {
      const a = answerFor(q);
      if (!a.upvoted.includes(id)) a.upvoted = [...a.upvoted, id];
      state.you.answer = a;
    }
    render();
    if (ack.ok) toast(t("play.upvoted", { id }), true);
  } else {
    toast(textError(ack.error, q, "upvote"), false);
    render();
  }
}

async function vote(question_id, choice_id) {
  for (const b of document.querySelectorAll(".choice")) b.disabled = true;
  const ack = await live.send({ type: "vote", question_id, choice_id });
  shownChoices = null; // the buttons were disabled while waiting: rebuild them from the state
  if (ack.ok || ack.error === "already_voted") {
    if (ack.ok && state.you) state.you.answer = { question_id, choice_id, words: [], points: null };
    if (state.question?.kind === "poll") toast(t(state.question.hide_results_until_reveal ? "play.vote_saved_hidden" : "poll.saved"), true);
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
  for (const id of ["#choices", "#answer", "#verdict", "#my-words", "#scoreboard", "#description", "#media"]) $(id).replaceChildren();
  shownMedia = null;
  shownAnswer = null; ui = {};
  hist.clear();
  ranking.clear();
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
    else if (mergeItems(state, f)) render();
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
