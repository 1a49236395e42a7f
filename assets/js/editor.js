// The meeting editor (staff): a meeting's settings, its activities (add, edit, reorder by
// drag or keyboard, duplicate, delete) with their choices, image (uploaded or picked from the
// media store, with its required alt text) and organizer notes, the flags and the chat bots,
// saved as one plan
// (`PUT /api/meetings/{id}/plan`, or `POST /api/meetings` for a new one; docs/api.md).
// Descriptions are previewed by the server, which alone renders Markdown. What a running
// meeting already showed is locked. Unsaved changes are kept as a draft in this browser and
// guarded on leaving; the server's validation errors are shown next to their fields.

import { $, $$, el, icon, errorText, meetingParam } from "./common.js";
import { t, mountTools, applyTheme, onLangChange, currentLang } from "./i18n.js";
import { ensureStaff, logout } from "./staff.js";
import { api, glyph, ask, generateCode, codeWarnings, effectiveSlugs, shortTime } from "./editkit.js";
import { kindName } from "./charts.js";

applyTheme();
mountTools();

const KINDS = ["text", "poll", "quiz", "scale", "grid", "wordcloud", "text_answer", "qna"];
const KIND_GLYPH = { text: "screen", poll: "list", quiz: "check", wordcloud: "spark", scale: "star", grid: "grid", text_answer: "text_answer", qna: "qa" };
const MAX_CHOICES = 26;
/// A poll's or quiz's choices, a grid's items.
const hasChoices = (kind) => kind === "poll" || kind === "quiz" || kind === "grid";
/// Kinds answered by picking choices (one, or several up to `max_choices`).
const takesVotes = (kind) => kind === "poll" || kind === "quiz";
/// Kinds rated on a scale.
const isRating = (kind) => kind === "scale" || kind === "grid";
/// Kinds whose posts (an open question's answers, a Q&A's questions) are moderated.
const takesPosts = (kind) => kind === "text_answer" || kind === "qna";
/// An activity's image: what the server accepts (storage's `is_media_id`, the media sniffer)
/// and at most 5 MiB.
const IMAGE_TYPES = ["image/png", "image/jpeg", "image/webp", "image/gif"];
const IMAGE_EXT = /\.(png|jpe?g|webp|gif)$/i;
const IMAGE_MAX = 5 * 1024 * 1024;
const MAX_ALT = 300;
// Scales (storage's `scale_problems`): -100…100, at most 101 values, labels of 1–40
// characters. One label per value is offered up to 21 values.
const SCALE_BOUND = 100;
const SCALE_SPAN = 100;
const EACH_MAX = 21;
const RUNNING = new Set(["waiting", "ongoing", "results", "scoreboard", "undefined"]);

let id = meetingParam();
let info = null; // GET …/editing: status, reached, owner…
let plan = null; // the working copy (a meeting file whose items carry a client key `_k`)
let baseline = ""; // the stored plan, serialized, to tell unsaved changes
let errors = new Map(); // element id → message (the server's, until that field changes)
let places = new Map(); // element id → where it is, in words (for the summary)
let loose = []; // server messages with no field to attach to
let previews = new Set(); // activity keys whose preview is open
let seq = 0;
let saving = false;
let leaving = false; // a reload we cause ourselves skips the "leave?" question
let draftPending = null; // a draft offered for restoring: not overwritten meanwhile
let conflictCopy = null;
let savedAt = null;
let drag = null;

const key = (p) => `${p}${++seq}`;
const draftKey = () => `librekast.editor.draft.${id ?? "new"}`;
const reached = () => (info ? Math.min(info.reached, plan.activities.length) : 0);
const isLocked = (i) => i < reached();

// ---- Model ----------------------------------------------------------------------------

function modelFrom(file) {
  return {
    title: file.title ?? "",
    code: file.code ?? "",
    reward_fastest: !!file.reward_fastest,
    scoring: file.scoring === "speed" ? "speed" : "first_bonus",
    auto_start: !!file.auto_start,
    sounds: file.sounds !== false,
    streak: file.streak_bonus ? String(file.streak_bonus) : "",
    flag_prefix: file.flag_prefix ?? "LibreKast",
    activities: (file.activities || []).map(activityFrom),
    flags: (file.flags || []).map((f) => ({ _k: key("f"), id: f.id, name: f.name ?? "", code: f.code ?? "", points: String(f.points ?? 0), first_blood: String(f.first_blood ?? 0) })),
    // Edited elsewhere (the dashboard's streams panel): kept as received.
    sources: file.sources,
    chat: file.chat,
    bots: (file.bots || []).map(botFrom),
    blocked: (file.blocked_words || []).join("\n"),
  };
}

function activityFrom(a) {
  return {
    _k: key("a"), id: a.id, kind: KINDS.includes(a.kind) ? a.kind : "text", title: a.title ?? "",
    description: a.description ?? "", markup: a.markup === "markdown" ? "markdown" : "text",
    choices: (a.choices || []).map(choiceFrom), word_limit: String(a.word_limit ?? 3),
    notes: a.notes ?? "",
    // Numbers as typed; empty: no timer, and the server's default points.
    time_limit: a.time_limit_secs ? String(a.time_limit_secs) : "",
    points: a.points !== undefined && a.points !== null ? String(a.points) : "",
    // Several answers (polls, quizzes): the box ticked and K as typed.
    multi: (a.max_choices ?? 1) > 1,
    max_choices: (a.max_choices ?? 1) > 1 ? String(a.max_choices) : "",
    partial_credit: !!a.partial_credit,
    scale: scaleFrom(a.scale),
    prior_weight: a.prior_weight !== undefined && a.prior_weight !== null ? String(a.prior_weight) : "",
    // Any kind: an image of the media store (its id) and its alt text.
    image: typeof a.image === "string" ? a.image : "",
    alt: a.alt ?? "",
    auto_approve: !!a.auto_approve,
    hide_results: !!a.hide_results_until_reveal,
  };
}

/// A scale as the page edits it: the range as typed, which labels (`none`, `ends`, `each`),
/// the two ends' labels and one label per value (kept by value, so widening the range
/// keeps those written).
function scaleFrom(s) {
  const min = Number.isInteger(s?.min) ? s.min : 1;
  const max = Number.isInteger(s?.max) ? s.max : 5;
  const labels = Array.isArray(s?.labels) ? s.labels.map(String) : [];
  const out = { min: String(min), max: String(max), mode: "none", ends: ["", ""], each: {} };
  if (labels.length === 2 && max - min + 1 !== 2) {
    out.mode = "ends";
    out.ends = [labels[0], labels[1]];
  } else if (labels.length) {
    out.mode = "each";
    labels.forEach((l, i) => { out.each[min + i] = l; });
  }
  return out;
}

/// The file's `scale`: numbers as read (NaN when unreadable: caught before sending).
function scaleFile(s) {
  const min = int(s.min), max = int(s.max);
  let labels = [];
  if (s.mode === "ends") labels = s.ends.map((l) => l.trim());
  else if (s.mode === "each" && rangeOk(min, max)) for (let v = min; v <= max; v++) labels.push((s.each[v] ?? "").trim());
  return { min, max, labels };
}

const rangeOk = (min, max) => Number.isInteger(min) && Number.isInteger(max) && min >= -SCALE_BOUND && max <= SCALE_BOUND && min < max && max - min <= SCALE_SPAN;

/// What is wrong with the range, in words (the first problem), or "".
function rangeProblem(s) {
  const min = int(s.min), max = int(s.max);
  if (!Number.isInteger(min) || !Number.isInteger(max)) return t("staffkinds.scale_numbers");
  if (min < -SCALE_BOUND || min > SCALE_BOUND || max < -SCALE_BOUND || max > SCALE_BOUND) return t("staffkinds.scale_bounds");
  if (min >= max) return t("staffkinds.scale_order", { min, max });
  if (max - min > SCALE_SPAN) return t("staffkinds.scale_span", { n: max - min + 1 });
  return "";
}

/// A bot as the page edits it: numbers as typed (strings), a periodic bot's lines as one
/// text, one per line. A kind this page does not know is kept as it came.
function botFrom(b) {
  const num = (v, d) => String(v ?? d);
  const base = { _k: key("b"), kind: b.kind, enabled: b.enabled !== false };
  switch (b.kind) {
    case "periodic": return { ...base, lines: (b.lines || []).join("\n"), every_secs: num(b.every_secs, 600), min_chat: num(b.min_chat, 0) };
    case "command": return { ...base, name: b.name ?? "", reply: b.reply ?? "", user_cooldown_secs: num(b.user_cooldown_secs, 30), global_cooldown_secs: num(b.global_cooldown_secs, 5) };
    case "revolution": return { ...base, name: b.name ?? "", threshold: num(b.threshold, 5), window_secs: num(b.window_secs, 60), message: b.message ?? "", media: b.media ?? "", cooldown_secs: num(b.cooldown_secs, 300) };
    case "thanks": return { ...base, alert: b.alert ?? "follow", reply: b.reply ?? "" };
    default: return { ...base, raw: b };
  }
}

/// A command as viewers type it, without the prefix someone may have typed in front.
const commandName = (s) => String(s).trim().replace(/^[!#/.?~$%&*+=^-]+/, "");

function botFile(b) {
  const on = { enabled: b.enabled };
  switch (b.kind) {
    case "periodic": return { kind: "periodic", lines: b.lines.split("\n").map((l) => l.trim()).filter(Boolean), every_secs: int(b.every_secs), min_chat: int(b.min_chat), ...on };
    case "command": return { kind: "command", name: commandName(b.name), reply: b.reply, user_cooldown_secs: int(b.user_cooldown_secs), global_cooldown_secs: int(b.global_cooldown_secs), ...on };
    case "revolution": return { kind: "revolution", name: commandName(b.name), threshold: int(b.threshold), window_secs: int(b.window_secs), message: b.message, media: b.media || null, cooldown_secs: int(b.cooldown_secs), ...on };
    case "thanks": return { kind: "thanks", alert: b.alert, reply: b.reply, ...on };
    default: return { ...b.raw, enabled: b.enabled };
  }
}

function choiceFrom(c) {
  return { _k: key("c"), id: c.id, text: c.text ?? "", slug: c.slug ?? "", correct: !!c.correct };
}

const blankChoice = () => choiceFrom({});

function freshPlan() {
  return modelFrom({
    title: "", code: generateCode(), reward_fastest: false, flag_prefix: "LibreKast",
    activities: [{ kind: "text", title: "", description: "" }], flags: [],
  });
}

const withId = (x, body) => (x.id !== undefined && x.id !== null ? { id: x.id, ...body } : body);
const int = (s) => (/^\s*-?\d+\s*$/.test(String(s)) ? Number(s) : NaN);

/// The meeting file to send (ids kept: the server updates those items).
function fileOf(p = plan) {
  const file = {
    title: p.title,
    code: p.code.trim(),
    reward_fastest: p.reward_fastest,
    scoring: p.scoring,
    auto_start: p.auto_start,
    sounds: p.sounds,
    // Only with speed scoring, and only when written.
    ...(p.scoring === "speed" && p.streak.trim() ? { streak_bonus: int(p.streak) } : {}),
    flag_prefix: p.flag_prefix.trim(),
    activities: p.activities.map((a) => withId(a, {
      kind: a.kind, title: a.title, description: a.description, markup: a.markup,
      choices: hasChoices(a.kind) ? a.choices.map((c) => withId(c, { text: c.text, slug: c.slug.trim(), correct: a.kind !== "grid" && c.correct })) : [],
      word_limit: int(a.word_limit),
      // Only when written: no timer, and the default points, are the fields left out.
      ...(a.kind !== "text" && a.time_limit.trim() ? { time_limit_secs: int(a.time_limit) } : {}),
      ...(a.kind === "quiz" && a.points.trim() ? { points: int(a.points) } : {}),
      // Several answers: K only when the box is ticked; partial credit only with several.
      ...(takesVotes(a.kind) && a.multi ? { max_choices: int(a.max_choices) } : {}),
      ...(a.kind === "quiz" && a.multi && a.partial_credit ? { partial_credit: true } : {}),
      ...(isRating(a.kind) ? { scale: scaleFile(a.scale) } : {}),
      ...(a.kind === "grid" && a.prior_weight.trim() ? { prior_weight: int(a.prior_weight) } : {}),
      // The alt text goes with its image only (the server refuses one without).
      ...(a.image ? { image: a.image, alt: a.alt } : {}),
      ...(a.kind === "poll" && a.hide_results ? { hide_results_until_reveal: true } : {}),
      ...(takesPosts(a.kind) && a.auto_approve ? { auto_approve: true } : {}),
      // Only when written: a plan without notes stays as it was.
      ...(a.notes.trim() ? { notes: a.notes } : {}),
    })),
    flags: p.flags.map((f) => withId(f, { name: f.name, code: f.code, points: int(f.points), first_blood: int(f.first_blood) })),
    blocked_words: p.blocked.split("\n").map((w) => w.trim()).filter(Boolean),
  };
  if (p.sources !== undefined) file.sources = p.sources;
  if (p.chat !== undefined) file.chat = p.chat;
  file.bots = p.bots.map(botFile);
  return file;
}

const serialize = (p = plan) => JSON.stringify(fileOf(p));
const isDirty = () => !!plan && serialize() !== baseline;

// ---- Small helpers ----------------------------------------------------------------------

function announce(text) {
  const n = $("#announce");
  n.textContent = "";
  requestAnimationFrame(() => { n.textContent = text; });
}

function field(tag, attrs, value) {
  const node = el(tag, attrs);
  if (tag === "select") return node;
  node.value = value ?? "";
  return node;
}

/// A text field for one line (a title, a choice) that grows to show all of a long one:
/// Enter does not start a new line, and pasted line breaks become spaces.
function oneLine(attrs, value) {
  return singleLine(field("textarea", { rows: "1", spellcheck: "true", class: "one-line", ...attrs }, value));
}

function singleLine(area) {
  area.addEventListener("keydown", (ev) => { if (ev.key === "Enter") ev.preventDefault(); });
  area.addEventListener("input", () => {
    if (/[\r\n]/.test(area.value)) {
      const at = area.selectionStart;
      area.value = area.value.replace(/\r\n|\r|\n/g, " ");
      area.setSelectionRange(at, at);
    }
  }, { capture: true });
  return area;
}

/// `aria-describedby` of an input: its hint (if any) and its error line.
function describedBy(fid, extra = []) {
  return [...extra, `${fid}-error`].join(" ");
}

function errorLine(fid) {
  return el("p", { class: "field-error", id: `${fid}-error` }, errors.get(fid) || "");
}

function invalid(node, fid) {
  if (errors.has(fid)) node.setAttribute("aria-invalid", "true");
  return node;
}

/// Edits clear that field's server error at once.
function clearError(fid) {
  if (!errors.delete(fid)) return;
  places.delete(fid);
  const f = document.getElementById(fid), out = document.getElementById(`${fid}-error`);
  f?.removeAttribute("aria-invalid");
  if (out) out.textContent = "";
  renderSummary();
}

// ---- Settings ---------------------------------------------------------------------------

function renderSettings() {
  $("#s-title").value = plan.title;
  $("#s-code").value = plan.code;
  $("#s-prefix").value = plan.flag_prefix;
  $("#s-reward").checked = plan.reward_fastest;
  $("#s-scoring").value = plan.scoring;
  $("#s-auto").checked = plan.auto_start;
  $("#s-sounds").checked = plan.sounds;
  $("#s-streak").value = plan.streak;
  $("#s-blocked").value = plan.blocked;
  renderScoringHint();
  for (const fid of ["s-title", "s-code", "s-prefix", "s-blocked", "s-sources", "s-scoring", "s-auto", "s-streak", "s-sounds"]) {
    const f = $(`#${fid}`);
    if (errors.has(fid)) f.setAttribute("aria-invalid", "true"); else f.removeAttribute("aria-invalid");
    $(`#${fid}-error`).textContent = errors.get(fid) || "";
  }
  renderCodeWarning();
  renderPrefixHint();
  renderSources();
}

function renderCodeWarning() {
  const warnings = codeWarnings(plan.code);
  const box = $("#s-code-warn");
  box.replaceChildren(...(warnings.length ? [glyph("alert"), el("span", {}, warnings.join(" "))] : []));
}

/// The scoring rule in one line, for the one chosen.
function renderScoringHint() {
  $("#s-scoring-hint").textContent = t(plan.scoring === "speed" ? "editor.scoring_hint_speed" : "editor.scoring_hint_first_bonus");
  // The streak bonus adds to speed scoring only.
  $("#s-streak-field").classList.toggle("hidden", plan.scoring !== "speed");
  renderStreakSaid();
}

/// "+100, +200 … up to +500 from the 6th correct answer in a row".
function renderStreakSaid() {
  const n = int(plan.streak);
  $("#s-streak-said").textContent = Number.isInteger(n) && n > 0 ? t("staffkinds.streak_said", { a: n, b: 2 * n, max: 5 * n }) : "";
}

function renderPrefixHint() {
  $("#s-prefix-hint").textContent = t("editor.flag_prefix_hint", { example: `${plan.flag_prefix.trim() || "LibreKast"}{code}` });
}

function renderSources() {
  const list = plan.sources || [];
  const box = $("#s-sources");
  const dash = id === null ? null : `/organize.html?meeting=${id}`;
  const items = list.map((s) => el("li", {}, el("span", { class: `ptag ptag-${s.platform}` }, s.platform === "twitch" ? "Twitch" : "YouTube"),
    el("span", { class: "target" }, s.platform === "twitch" ? `#${s.channel}` : (s.video_id || t("editor.own_broadcast"))),
    s.delay_secs ? el("span", { class: "muted" }, t("editor.delay", { n: s.delay_secs })) : null));
  box.replaceChildren(
    items.length ? el("ul", { class: "ed-source-list" }, ...items) : el("p", { class: "muted" }, t("editor.no_sources")),
    dash ? el("a", { href: `${dash}#streams-title`, class: "button secondary small" }, icon("chat"), t("editor.sources_edit"))
      : el("p", { class: "hint" }, t("editor.sources_after_save")));
}

function bindSettings() {
  singleLine($("#s-title"));
  const on = (sel, fid, apply) => $(sel).addEventListener("input", (ev) => { apply(ev.target); clearError(fid); changed(); });
  on("#s-title", "s-title", (n) => { plan.title = n.value; renderHead(); });
  on("#s-code", "s-code", (n) => { plan.code = n.value; renderCodeWarning(); });
  on("#s-prefix", "s-prefix", (n) => { plan.flag_prefix = n.value; renderPrefixHint(); });
  on("#s-blocked", "s-blocked", (n) => { plan.blocked = n.value; });
  $("#s-reward").addEventListener("change", (ev) => { plan.reward_fastest = ev.target.checked; changed(); });
  $("#s-scoring").addEventListener("change", (ev) => {
    plan.scoring = ev.target.value === "speed" ? "speed" : "first_bonus";
    clearError("s-scoring");
    renderScoringHint();
    // Each quiz's points say whether they count now.
    for (const a of plan.activities) {
      const hint = document.getElementById(`${a._k}-points-hint`);
      if (hint) hint.textContent = t(plan.scoring === "speed" ? "editor.points_hint_speed" : "editor.points_hint_bonus");
    }
    changed();
  });
  $("#s-auto").addEventListener("change", (ev) => { plan.auto_start = ev.target.checked; clearError("s-auto"); changed(); });
  $("#s-sounds").addEventListener("change", (ev) => { plan.sounds = ev.target.checked; clearError("s-sounds"); changed(); });
  $("#s-streak").addEventListener("input", (ev) => {
    plan.streak = ev.target.validity?.badInput ? "?" : ev.target.value;
    clearError("s-streak");
    renderStreakSaid();
    changed();
  });
  $("#gen-code").addEventListener("click", () => {
    plan.code = generateCode();
    $("#s-code").value = plan.code;
    clearError("s-code");
    renderCodeWarning();
    announce(t("editor.code_generated", { code: plan.code.split("").join(" ") }));
    changed();
  });
}

// ---- Activities -------------------------------------------------------------------------

function kindSelect(a, i) {
  const s = el("select", { id: `${a._k}-kind`, class: "kind-select", "data-act": a._k, "aria-describedby": describedBy(`${a._k}-kind`) },
    ...KINDS.map((k) => el("option", { value: k, selected: k === a.kind }, kindName(k))));
  s.addEventListener("change", () => setKind(a, s.value));
  return [el("label", { for: `${a._k}-kind`, class: "sr-only" }, t("editor.kind_of", { n: i + 1 })), invalid(s, `${a._k}-kind`)];
}

function toolButton(name, label, onclick, attrs = {}) {
  return el("button", { type: "button", class: "secondary tool", "aria-label": label, title: label, onclick, ...attrs }, glyph(name));
}

function activityCard(a, i) {
  const n = plan.activities.length;
  if (isLocked(i)) return lockedCard(a, i);
  const head = el("div", { class: "act-head" },
    el("span", { class: "grip", draggable: "true", "data-grip": a._k, title: t("editor.drag") }, glyph("grip", "icon grip-icon")),
    el("h3", { class: "act-num" }, el("span", { class: "sr-only" }, t("editor.activity_n_sr", { n: i + 1 })), el("span", { "aria-hidden": "true" }, String(i + 1))),
    ...kindSelect(a, i),
    el("div", { class: "act-tools" },
      toolButton("up", t("editor.move_up", { n: i + 1 }), () => move(a, -1), { disabled: i <= reached(), "data-move": "up", "aria-keyshortcuts": "Alt+ArrowUp" }),
      toolButton("down", t("editor.move_down", { n: i + 1 }), () => move(a, 1), { disabled: i >= n - 1, "data-move": "down", "aria-keyshortcuts": "Alt+ArrowDown" }),
      toolButton("copy", t("editor.duplicate_n", { n: i + 1 }), () => duplicateActivity(a), { "data-dup": a._k }),
      toolButton("trash", t("editor.delete_n", { n: i + 1 }), () => deleteActivity(a), { disabled: n <= 1, "data-del": a._k, class: "secondary tool danger-outline" })));
  const body = el("div", { class: "act-body" }, titleField(a), descriptionField(a), imageField(a));
  if (hasChoices(a.kind)) body.append(choicesField(a, i));
  if (takesVotes(a.kind)) body.append(multiField(a));
  if (a.kind === "poll") body.append(hideResultsField(a));
  if (takesPosts(a.kind)) body.append(postsField(a));
  if (isRating(a.kind)) body.append(scaleField(a));
  if (a.kind !== "text") {
    body.append(el("div", { class: "act-opts" },
      timeField(a),
      a.kind === "quiz" ? pointsField(a) : null,
      a.kind === "grid" ? priorField(a) : null,
      a.kind === "wordcloud" ? limitField(a) : null));
  }
  body.append(notesField(a));
  return el("li", { class: `act-card kind-${a.kind}`, id: `act-${a._k}`, "data-key": a._k, tabindex: "-1" }, head, errorLine(`act-${a._k}`), body);
}

function titleField(a) {
  const fid = `${a._k}-title`;
  const input = oneLine({ id: fid, "data-role": "title", maxlength: "500", "aria-describedby": describedBy(fid), placeholder: isRating(a.kind) ? t(a.kind === "grid" ? "staffkinds.title_placeholder_grid" : "staffkinds.title_placeholder_scale") : t(`editor.title_placeholder_${a.kind}`) }, a.title);
  input.addEventListener("input", () => { a.title = input.value; clearError(fid); renderOutline(); changed(); });
  return el("div", { class: "ed-field" },
    el("label", { for: fid, id: `${fid}-label` }, t(a.kind === "text" ? "editor.slide_title" : "editor.question")),
    invalid(input, fid), errorLine(fid));
}

function descriptionField(a) {
  const fid = `${a._k}-desc`;
  const area = field("textarea", { id: fid, "data-role": "desc", rows: a.description.length > 200 ? "6" : "3", maxlength: "20000", "aria-describedby": describedBy(fid, [`${a._k}-markup-hint`]) }, a.description);
  area.addEventListener("input", () => { a.description = area.value; clearError(fid); changed(); refreshPreview(a); });
  const radio = (value, label) => {
    const r = el("input", { type: "radio", name: `${a._k}-markup`, id: `${a._k}-markup-${value}`, value, checked: a.markup === value });
    r.addEventListener("change", () => { if (r.checked) { a.markup = value; changed(); refreshPreview(a, true); $(`#${a._k}-markup-hint`).textContent = t(`editor.markup_hint_${value}`); } });
    return el("span", { class: "seg-item" }, r, el("label", { for: r.id }, label));
  };
  const open = previews.has(a._k);
  const previewBtn = el("button", { type: "button", class: "secondary small", "aria-expanded": String(open), "aria-controls": `${a._k}-preview`, "data-preview": a._k },
    glyph("eye"), el("span", {}, t(open ? "editor.preview_hide" : "editor.preview")));
  previewBtn.addEventListener("click", () => togglePreview(a));
  const box = el("div", { class: "preview", id: `${a._k}-preview-body` });
  const region = el("div", { id: `${a._k}-preview`, role: "region", "aria-labelledby": `${a._k}-preview-caption`, hidden: !open },
    el("p", { class: "preview-caption", id: `${a._k}-preview-caption` }, t("editor.preview_label")), box);
  if (open) refreshPreview(a, true, box);
  return el("div", { class: "ed-field" },
    el("div", { class: "desc-head" },
      el("label", { for: fid }, t("editor.description")),
      el("fieldset", { class: "seg" }, el("legend", { class: "sr-only" }, t("editor.markup")),
        radio("text", t("editor.markup_text")), radio("markdown", "Markdown")),
      previewBtn),
    invalid(area, fid),
    el("p", { class: "hint", id: `${a._k}-markup-hint` }, t(`editor.markup_hint_${a.markup}`)),
    errorLine(fid),
    region);
}

const previewTimers = new Map();
/// Asks the server for the description as every screen will show it (debounced while typing).
function refreshPreview(a, now = false, box = null) {
  if (!previews.has(a._k)) return;
  clearTimeout(previewTimers.get(a._k));
  const run = async () => {
    const target = box || document.getElementById(`${a._k}-preview-body`);
    if (!target) return;
    const res = await api("POST", "/api/markup/preview", { markup: a.markup, text: a.description });
    const live = document.getElementById(`${a._k}-preview-body`) || target;
    if (!res.ok) { live.replaceChildren(el("p", { class: "field-error" }, failure(res))); return; }
    if (!a.description.trim()) { live.replaceChildren(el("p", { class: "muted" }, t("editor.preview_empty"))); return; }
    live.innerHTML = res.data.html; // rendered and escaped by the server, never by this page
  };
  if (now) run(); else previewTimers.set(a._k, setTimeout(run, 350));
}

function togglePreview(a) {
  if (previews.has(a._k)) previews.delete(a._k); else previews.add(a._k);
  const open = previews.has(a._k);
  const btn = $(`[data-preview="${a._k}"]`), region = $(`#${a._k}-preview`), box = $(`#${a._k}-preview-body`);
  btn.setAttribute("aria-expanded", String(open));
  $("span", btn).textContent = t(open ? "editor.preview_hide" : "editor.preview");
  region.hidden = !open;
  if (open) { box.replaceChildren(el("p", { class: "muted" }, t("editor.preview_loading"))); refreshPreview(a, true); }
}

function choicesField(a, i) {
  const fid = `${a._k}-choices`;
  const slugs = effectiveSlugs(a.choices);
  const quiz = a.kind === "quiz";
  const grid = a.kind === "grid";
  const rows = a.choices.map((c, j) => {
    const tid = `${c._k}-text`, sid = `${c._k}-slug`, kid = `${c._k}-correct`;
    const text = oneLine({ id: tid, "data-role": "choice-text", maxlength: "300", "aria-describedby": describedBy(tid), placeholder: t(grid ? "staffkinds.item_placeholder" : "editor.choice_placeholder", { n: j + 1 }) }, c.text);
    text.addEventListener("input", () => { c.text = text.value; clearError(tid); changed(); });
    const slug = field("input", { type: "text", id: sid, "data-role": "slug", class: "mono slug", maxlength: "32", autocomplete: "off", autocapitalize: "off", spellcheck: "false", placeholder: slugs[j], "aria-describedby": describedBy(sid, [`${fid}-slug-hint`]) }, c.slug);
    slug.addEventListener("input", () => { c.slug = slug.value; clearError(sid); changed(); refreshSlugs(a); });
    const correct = el("input", { type: "checkbox", id: kid, "data-role": "correct", checked: c.correct });
    correct.addEventListener("change", () => { c.correct = correct.checked; clearError(`${a._k}-choices`); changed(); correct.closest("li").classList.toggle("is-correct", c.correct); });
    const remove = toolButton("trash", t(grid ? "staffkinds.remove_item" : "editor.remove_choice", { n: j + 1 }), () => removeChoice(a, c), { disabled: a.choices.length <= 2, class: "secondary tool danger-outline" });
    return el("li", { class: `choice-row${quiz ? "" : " no-correct"}${quiz && c.correct ? " is-correct" : ""}`, "data-choice": c._k },
      el("span", { class: "slug-badge", "aria-hidden": "true", "data-slug-of": c._k }, slugs[j]),
      el("div", { class: "choice-text" }, el("label", { for: tid, class: "sr-only" }, t(grid ? "staffkinds.item_n" : "editor.choice_n", { n: j + 1 })), invalid(text, tid), errorLine(tid)),
      el("div", { class: "choice-slug" }, el("label", { for: sid, class: "sr-only" }, t("editor.slug_n", { n: j + 1 })), invalid(slug, sid), errorLine(sid)),
      quiz ? el("span", { class: "choice-correct" }, correct, el("label", { for: kid }, t("editor.correct"))) : null,
      remove);
  });
  const full = a.choices.length >= MAX_CHOICES;
  const add = el("button", { type: "button", class: "secondary small", "data-add-choice": a._k, disabled: full }, icon("plus"), el("span", {}, t(grid ? "staffkinds.add_item" : "editor.add_choice")));
  add.addEventListener("click", () => addChoice(a));
  return el("fieldset", { class: "ed-choices", id: fid, tabindex: "-1", "aria-describedby": `${fid}-error` },
    el("legend", {}, t(quiz ? "editor.choices_quiz" : grid ? "staffkinds.items" : "editor.choices")),
    el("p", { class: "hint", id: `${fid}-slug-hint` }, grid ? t("staffkinds.slug_hint_grid", { example: gridExample(a) }) : t("editor.slug_hint", { prefix: plan.chat?.vote_prefix || "#" })),
    errorLine(fid),
    el("ol", { class: "choice-list" }, ...rows),
    el("p", { class: "choice-add" }, add, full ? el("span", { class: "hint" }, t("editor.choices_max")) : null));
}

/// A slug typed or cleared changes the generated ones of the other choices.
function refreshSlugs(a) {
  const slugs = effectiveSlugs(a.choices);
  a.choices.forEach((c, j) => {
    const b = $(`[data-slug-of="${c._k}"]`), s = $(`#${c._k}-slug`);
    if (b) b.textContent = slugs[j];
    if (s) s.placeholder = slugs[j];
  });
}

function limitField(a) {
  const fid = `${a._k}-limit`;
  const input = field("input", { type: "number", id: fid, min: "1", max: "50", step: "1", inputmode: "numeric", "aria-describedby": describedBy(fid, [`${fid}-hint`]) }, a.word_limit);
  input.addEventListener("input", () => { a.word_limit = input.value; clearError(fid); changed(); });
  return el("div", { class: "ed-field narrow" },
    el("label", { for: fid }, t("editor.word_limit")), invalid(input, fid),
    el("p", { class: "hint", id: `${fid}-hint` }, t("editor.word_limit_hint")), errorLine(fid));
}

/// A number field that may stay empty; what cannot be read as a number is kept as "?" so
/// the save says so next to it rather than dropping it.
function optionalNumber(input, set) {
  input.addEventListener("input", () => set(input.validity?.badInput ? "?" : input.value));
}

/// The countdown of a poll, quiz or word cloud: empty for none.
function timeField(a) {
  const fid = `${a._k}-time`;
  const input = field("input", { type: "number", id: fid, "data-role": "time-limit", min: "5", max: "3600", step: "1", inputmode: "numeric", placeholder: t("editor.time_limit_none"), "aria-describedby": describedBy(fid, [`${fid}-hint`]) }, a.time_limit);
  const said = el("span", { class: "time-said", id: `${fid}-said` }, timeSaid(a.time_limit));
  optionalNumber(input, (v) => { a.time_limit = v; said.textContent = timeSaid(v); clearError(fid); changed(); });
  return el("div", { class: "ed-field narrow" },
    el("label", { for: fid }, t("editor.time_limit")), invalid(input, fid),
    el("p", { class: "hint", id: `${fid}-hint` }, t("editor.time_limit_hint"), " ", said), errorLine(fid));
}

/// "1 min 30 s" for a time limit of 90, nothing under a minute or when empty.
function timeSaid(value) {
  const n = int(value);
  return Number.isInteger(n) && n >= 60 ? `(${duration(n)})` : "";
}

/// A quiz's points: what speed scoring pays at most for a correct answer.
function pointsField(a) {
  const fid = `${a._k}-points`;
  const input = field("input", { type: "number", id: fid, "data-role": "points", min: "1", max: "100000", step: "1", inputmode: "numeric", placeholder: "1000", "aria-describedby": describedBy(fid, [`${fid}-hint`]) }, a.points);
  optionalNumber(input, (v) => { a.points = v; clearError(fid); changed(); });
  return el("div", { class: "ed-field narrow" },
    el("label", { for: fid }, t("editor.points")), invalid(input, fid),
    el("p", { class: "hint", id: `${fid}-hint` }, t(plan.scoring === "speed" ? "editor.points_hint_speed" : "editor.points_hint_bonus")), errorLine(fid));
}

// ---- Ratings, grids, several answers --------------------------------------------------

/// How chat rates this grid: "#a4 #b5" with its own short names and scale.
function gridExample(a) {
  const slugs = effectiveSlugs(a.choices);
  const prefix = plan.chat?.vote_prefix || "#";
  const min = int(a.scale.min), max = int(a.scale.max);
  const hi = rangeOk(min, max) ? max : 5;
  const lo = rangeOk(min, max) ? Math.max(min, hi - 1) : 4;
  return `${prefix}${slugs[0] || "a"}${hi} ${prefix}${slugs[1] || "b"}${lo}`;
}

/// Polls and quizzes: "Several answers allowed, up to K"; a quiz's partial credit.
function multiField(a) {
  const n = a.choices.length;
  const quiz = a.kind === "quiz";
  const mid = `${a._k}-multi`, kid = `${a._k}-max`, pid = `${a._k}-partial`;
  const check = el("input", { type: "checkbox", id: mid, "data-role": "multi", checked: a.multi, "aria-describedby": `${mid}-hint` });
  check.addEventListener("change", () => {
    a.multi = check.checked;
    if (a.multi && !a.max_choices.trim()) a.max_choices = String(n);
    clearError(kid); clearError(pid);
    changed();
    renderActivities();
  });
  const max = field("input", { type: "number", id: kid, "data-role": "max-choices", min: "2", max: String(n), step: "1", inputmode: "numeric", "aria-describedby": describedBy(kid, [`${kid}-check`, `${mid}-hint`]) }, a.max_choices);
  const live = el("p", { class: "field-error live-check", id: `${kid}-check`, "aria-live": "polite" });
  const hint = el("p", { class: "hint", id: `${mid}-hint` });
  const warn = el("p", { class: "warn-line", id: `${a._k}-multi-warn`, "aria-live": "polite" });
  const partial = el("input", { type: "checkbox", id: pid, "data-role": "partial", checked: a.partial_credit, "aria-describedby": describedBy(pid, [`${pid}-hint`]) });
  const partialHint = el("p", { class: "hint", id: `${pid}-hint` });
  const refresh = () => {
    const k = int(a.max_choices);
    const c = a.choices.filter((x) => x.correct).length;
    const bad = !Number.isInteger(k) || k < 2 || k > n;
    live.textContent = a.multi && bad && !errors.has(kid) ? t("staffkinds.max_range", { n }) : "";
    const shownK = bad ? n : k;
    hint.textContent = !a.multi ? t("staffkinds.multi_off")
      : quiz ? t(a.partial_credit ? "staffkinds.multi_hint_partial" : "staffkinds.multi_hint_quiz", { k: shownK, c })
        : t("staffkinds.multi_hint_poll", { k: shownK, n });
    warn.replaceChildren(...(a.multi && quiz && !bad && c > k ? [glyph("alert"), el("span", {}, t("staffkinds.too_many_correct", { c, k }))] : []));
    partialHint.textContent = t("staffkinds.partial_hint", { c: Math.max(c, 1), pct: c > 0 ? Math.round((100 * (c - 1)) / c) : 0 });
  };
  max.addEventListener("input", () => { a.max_choices = max.validity?.badInput ? "?" : max.value; clearError(kid); changed(); refresh(); });
  partial.addEventListener("change", () => { a.partial_credit = partial.checked; clearError(pid); changed(); refresh(); });
  // A correct box ticked or unticked changes the counts the hints give.
  if (quiz) queueMicrotask(() => document.getElementById(`${a._k}-choices`)?.addEventListener("change", refresh));
  refresh();
  return el("div", { class: `ed-multi${a.multi ? " is-on" : ""}`, id: `${a._k}-answers` },
    el("div", { class: "multi-line" },
      el("label", { class: "check", for: mid }, check, el("span", {}, t("staffkinds.multi"))),
      a.multi ? el("span", { class: "multi-k" }, el("label", { for: kid }, t("staffkinds.up_to")), invalid(max, kid), el("span", { class: "muted" }, t("staffkinds.of_n", { n }))) : null),
    hint, live, a.multi ? errorLine(kid) : null, warn,
    quiz && a.multi ? el("div", { class: "partial" },
      el("label", { class: "check", for: pid }, invalid(partial, pid), el("span", {}, t("staffkinds.partial"))),
      partialHint, errorLine(pid)) : null,
    // Errors on these fields while they are hidden still show here.
    !a.multi && errors.has(kid) ? errorLine(kid) : null,
    !(quiz && a.multi) && errors.has(pid) ? errorLine(pid) : null);
}

/// A scale's range, its labels and a preview (scales and grids).
function scaleField(a) {
  const s = a.scale;
  const k = a._k;
  const sid = `${k}-scale`;
  const number = (which) => {
    const fid = `${k}-scale-${which}`;
    const input = field("input", { type: "number", id: fid, "data-role": `scale-${which}`, min: String(-SCALE_BOUND), max: String(SCALE_BOUND), step: "1", inputmode: "numeric", "aria-describedby": describedBy(fid, [`${sid}-check`, `${sid}-error`]) }, s[which]);
    input.addEventListener("input", () => {
      s[which] = input.validity?.badInput ? "?" : input.value;
      clearError(fid); clearError(sid); clearError(`${k}-labels`);
      changed();
      refresh();
    });
    return el("div", { class: "ed-field scale-end" }, el("label", { for: fid }, t(which === "min" ? "staffkinds.lowest" : "staffkinds.highest")), invalid(input, fid), errorLine(fid));
  };
  const count = el("p", { class: "scale-count", id: `${sid}-count`, "aria-live": "polite" });
  const live = el("p", { class: "field-error live-check", id: `${sid}-check`, "aria-live": "polite" });
  const presets = el("div", { class: "scale-presets", role: "group", "aria-label": t("staffkinds.presets") },
    ...[[1, 5], [1, 10], [0, 10], [0, 100]].map(([lo, hi]) => {
      const b = el("button", { type: "button", class: "secondary small chip-btn", "data-preset": `${lo}-${hi}` }, `${lo}–${hi}`);
      b.addEventListener("click", () => {
        s.min = String(lo); s.max = String(hi);
        $(`#${k}-scale-min`).value = s.min; $(`#${k}-scale-max`).value = s.max;
        clearError(`${k}-scale-min`); clearError(`${k}-scale-max`); clearError(sid); clearError(`${k}-labels`);
        changed();
        refresh();
      });
      return b;
    }));
  const modeRadio = (mode) => {
    const r = el("input", { type: "radio", name: `${k}-labels-mode`, id: `${k}-labels-${mode}`, value: mode, "data-role": "labels-mode", checked: s.mode === mode });
    r.addEventListener("change", () => {
      if (!r.checked) return;
      // The labels already written carry over: the ends to the lowest and highest value.
      const min = int(s.min), max = int(s.max);
      if (mode === "each" && rangeOk(min, max)) {
        if (!s.each[min] && s.ends[0]) s.each[min] = s.ends[0];
        if (!s.each[max] && s.ends[1]) s.each[max] = s.ends[1];
      } else if (mode === "ends" && rangeOk(min, max)) {
        if (!s.ends[0] && s.each[min]) s.ends[0] = s.each[min];
        if (!s.ends[1] && s.each[max]) s.ends[1] = s.each[max];
      }
      s.mode = mode;
      clearError(`${k}-labels`);
      changed();
      refresh();
    });
    return el("span", { class: "seg-item" }, r, el("label", { for: r.id }, t(`staffkinds.labels_${mode}`)));
  };
  const modes = el("fieldset", { class: "seg", id: `${k}-labels`, "aria-describedby": `${k}-labels-hint ${k}-labels-error` },
    el("legend", { class: "sr-only" }, t("staffkinds.labels")), modeRadio("none"), modeRadio("ends"), modeRadio("each"));
  const modesHint = el("p", { class: "hint", id: `${k}-labels-hint` });
  const labelBox = el("div", { class: "scale-labels", id: `${k}-label-box` });
  const preview = el("div", { class: "scale-preview", id: `${sid}-preview` });

  const labelInput = (i, value, text, placeholder, set) => {
    const fid = `${k}-label-${i}`;
    const input = field("input", { type: "text", id: fid, "data-role": "scale-label", maxlength: "40", autocomplete: "off", placeholder, "aria-describedby": describedBy(fid) }, text);
    input.addEventListener("input", () => { set(input.value); clearError(fid); clearError(`${k}-labels`); changed(); drawPreview(); });
    return el("div", { class: "label-row" },
      el("label", { for: fid, class: "label-value" }, el("span", { class: "sr-only" }, t("staffkinds.label_for", { v: value })), el("span", { "aria-hidden": "true" }, value)),
      el("div", { class: "label-input" }, invalid(input, fid), errorLine(fid)));
  };

  const drawLabels = () => {
    const min = int(s.min), max = int(s.max);
    const ok = rangeOk(min, max);
    const n = ok ? max - min + 1 : 0;
    const eachRadio = document.getElementById(`${k}-labels-each`) || modes.querySelector(`#${k}-labels-each`);
    // One label per value for a long range would be a wall of fields.
    const eachOff = ok && n > EACH_MAX && s.mode !== "each";
    if (eachRadio) eachRadio.disabled = eachOff;
    modesHint.textContent = eachOff ? t("staffkinds.each_max", { n: EACH_MAX }) : t(`staffkinds.labels_hint_${s.mode}`);
    if (s.mode === "none" || !ok) { labelBox.replaceChildren(); labelBox.hidden = true; return; }
    labelBox.hidden = false;
    if (s.mode === "ends") {
      labelBox.className = "scale-labels ends";
      labelBox.replaceChildren(
        labelInput(0, min, s.ends[0], t("staffkinds.low_placeholder"), (v) => { s.ends[0] = v; }),
        labelInput(1, max, s.ends[1], t("staffkinds.high_placeholder"), (v) => { s.ends[1] = v; }));
    } else {
      labelBox.className = "scale-labels each";
      const rows = [];
      for (let v = min; v <= max; v++) rows.push(labelInput(v - min, v, s.each[v] ?? "", "", (x) => { s.each[v] = x; }));
      labelBox.replaceChildren(...rows);
    }
  };

  const drawPreview = () => {
    const min = int(s.min), max = int(s.max);
    if (!rangeOk(min, max)) { preview.replaceChildren(el("p", { class: "hint" }, t("staffkinds.preview_wait"))); return; }
    preview.replaceChildren(el("p", { class: "preview-caption" }, t("staffkinds.preview")), scalePreview(scaleFile(s), a.kind === "grid" ? a.choices : null));
  };

  const refresh = () => {
    const min = int(s.min), max = int(s.max);
    const problem = rangeProblem(s);
    live.textContent = errors.has(sid) ? "" : problem;
    for (const which of ["min", "max"]) {
      const f = document.getElementById(`${k}-scale-${which}`) || box.querySelector(`#${k}-scale-${which}`);
      if (!f) continue;
      if (problem || errors.has(`${k}-scale-${which}`) || errors.has(sid)) f.setAttribute("aria-invalid", "true"); else f.removeAttribute("aria-invalid");
    }
    count.textContent = problem ? "" : t("staffkinds.values", { n: max - min + 1 });
    for (const b of presets.querySelectorAll("[data-preset]")) b.setAttribute("aria-pressed", String(b.dataset.preset === `${min}-${max}`));
    drawLabels();
    drawPreview();
  };

  const box = el("fieldset", { class: "ed-scale", id: sid, tabindex: "-1", "aria-describedby": `${sid}-check ${sid}-error` },
    el("legend", {}, glyph("star"), " ", t(a.kind === "grid" ? "staffkinds.scale_grid" : "staffkinds.scale")),
    el("div", { class: "scale-range" }, number("min"), el("span", { class: "scale-to", "aria-hidden": "true" }, "→"), number("max"), count),
    live, errorLine(sid),
    presets,
    el("div", { class: "labels-head" }, el("p", { class: "label-like", id: `${k}-labels-label` }, t("staffkinds.labels")), modes),
    modesHint, errorLine(`${k}-labels`),
    labelBox,
    preview);
  modes.setAttribute("aria-labelledby", `${k}-labels-label`);
  refresh();
  return box;
}

/// The scale as a phone would offer it: one button per value (a slider past 11 values),
/// with the labels; a grid shows its first item.
function scalePreview(scale, items) {
  const n = scale.max - scale.min + 1;
  const each = scale.labels.length === n && n > 0;
  const ends = !each && scale.labels.length === 2;
  const out = el("div", { class: `sp${n > 11 ? " sp-slider" : ""}`, "aria-hidden": "true" });
  if (items) out.append(el("p", { class: "sp-item" }, items[0]?.text || t("staffkinds.item_placeholder", { n: 1 })));
  if (n <= 11) {
    const row = el("div", { class: "sp-values" });
    row.classList.add(`n${n}`);
    for (let v = scale.min; v <= scale.max; v++) {
      row.append(el("span", { class: "sp-value" }, el("span", { class: "sp-num" }, String(v)),
        each ? el("span", { class: "sp-label" }, scale.labels[v - scale.min]) : null));
    }
    out.append(row);
  } else {
    const mid = Math.round((scale.min + scale.max) / 2);
    out.append(el("div", { class: "sp-track" }, el("span", { class: "sp-thumb" }, String(mid))),
      el("div", { class: "sp-ends" }, el("span", {}, String(scale.min)), el("span", {}, String(scale.max))));
  }
  if (ends) out.append(el("div", { class: "sp-ends sp-end-labels" }, el("span", {}, scale.labels[0]), el("span", {}, scale.labels[1])));
  return out;
}

/// A grid's prior weight: how strongly few ratings are pulled toward the overall mean.
function priorField(a) {
  const fid = `${a._k}-prior`;
  const input = field("input", { type: "number", id: fid, "data-role": "prior-weight", min: "0", max: "1000", step: "1", inputmode: "numeric", placeholder: "5", "aria-describedby": describedBy(fid, [`${fid}-hint`]) }, a.prior_weight);
  optionalNumber(input, (v) => { a.prior_weight = v; clearError(fid); changed(); });
  return el("div", { class: "ed-field narrow" },
    el("label", { for: fid }, t("staffkinds.prior_weight")), invalid(input, fid),
    el("p", { class: "hint", id: `${fid}-hint` }, t("staffkinds.prior_hint")), errorLine(fid));
}

// ---- Images, open questions, Q&A, hidden results (issue 15) ---------------------------

/// Uploads in progress or refused, by activity key: `{ text, bad }` shown under its image.
const imageNotes = new Map();

/// An activity's image as the page shows it; a file gone from the media store says so.
function imagePreview(a) {
  const img = el("img", { src: `/media/${encodeURIComponent(a.image)}`, alt: a.alt.trim(), class: "image-thumb", decoding: "async", "data-image-of": a._k });
  img.addEventListener("error", () => img.replaceWith(el("span", { class: "image-missing" }, glyph("alert"), el("span", {}, t("editor.image_missing")))));
  return img;
}

/// Any activity's image: uploaded here (`POST /api/media`) or picked from the media store,
/// previewed, removed; with it, its alt text (required, 1–300 characters).
function imageField(a) {
  const fid = `${a._k}-image`, aid = `${a._k}-alt`;
  const file = el("input", { type: "file", id: `${fid}-file`, accept: IMAGE_TYPES.join(","), hidden: true, tabindex: "-1" });
  file.addEventListener("change", () => { const f = file.files?.[0]; file.value = ""; if (f) uploadImage(a, f); });
  const upload = el("button", { type: "button", class: "secondary small", "data-image-upload": a._k, "aria-describedby": `${fid}-hint` },
    glyph("upload"), el("span", {}, t(a.image ? "editor.image_replace" : "editor.image_upload")));
  upload.addEventListener("click", () => file.click());
  const pick = el("button", { type: "button", class: "secondary small", "data-image-pick": a._k }, glyph("image"), el("span", {}, t("editor.image_pick")));
  pick.addEventListener("click", () => pickImage(a));
  const remove = a.image ? el("button", { type: "button", class: "secondary small danger-outline", "data-image-remove": a._k }, glyph("trash"), el("span", {}, t("editor.image_remove"))) : null;
  remove?.addEventListener("click", () => {
    a.image = "";
    clearError(fid); clearError(aid);
    imageNotes.delete(a._k);
    changed();
    renderActivities();
    document.querySelector(`[data-image-upload="${a._k}"]`)?.focus();
    announce(t("editor.image_removed"));
  });
  const note = imageNotes.get(a._k);
  let alt = null;
  if (a.image) {
    const input = oneLine({ id: aid, "data-role": "alt", maxlength: String(MAX_ALT), required: true, "aria-required": "true", "aria-describedby": describedBy(aid, [`${aid}-hint`]), placeholder: t("editor.alt_placeholder") }, a.alt);
    const count = el("span", { class: "alt-count", id: `${aid}-count` }, `${[...a.alt].length} / ${MAX_ALT}`);
    input.addEventListener("input", () => {
      a.alt = input.value;
      count.textContent = `${[...a.alt].length} / ${MAX_ALT}`;
      const img = document.querySelector(`[data-image-of="${a._k}"]`);
      if (img) img.alt = a.alt.trim();
      clearError(aid);
      changed();
    });
    alt = el("div", { class: "ed-field alt-field" },
      el("label", { for: aid }, t("editor.alt"), " ", el("span", { class: "required" }, t("editor.required"))),
      invalid(input, aid),
      el("p", { class: "hint", id: `${aid}-hint` }, t("editor.alt_hint"), " ", count),
      errorLine(aid));
  }
  return el("fieldset", { class: `ed-image${a.image ? " has-image" : ""}`, id: fid, tabindex: "-1", "aria-describedby": `${fid}-error` },
    el("legend", {}, glyph("image"), " ", t("editor.image"), " ", el("span", { class: "muted optional" }, t("editor.optional"))),
    el("div", { class: "image-row" },
      a.image ? el("div", { class: "image-preview" }, imagePreview(a)) : null,
      el("div", { class: "image-side" },
        el("p", { class: "hint", id: `${fid}-hint` }, t("editor.image_hint")),
        el("div", { class: "image-actions" }, upload, pick, remove, file),
        el("p", { class: `image-note${note?.bad ? " field-error" : " hint"}`, id: `${fid}-note`, "aria-live": "polite" }, note?.text || ""))),
    errorLine(fid),
    alt);
}

/// The raw file as the body, as the media page sends it; resolves `{ok, status, data}`.
function postMedia(file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/media");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("x-filename", encodeURIComponent(file.name));
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText || "{}"); } catch { /* not JSON */ }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data: data ?? {} });
    });
    xhr.addEventListener("error", () => resolve({ ok: false, status: 0, data: { error: "offline" } }));
    xhr.send(file);
  });
}

function setImageNote(a, text, bad = false) {
  if (text) imageNotes.set(a._k, { text, bad }); else imageNotes.delete(a._k);
  const node = document.getElementById(`${a._k}-image-note`);
  if (node) { node.textContent = text; node.className = `image-note${bad ? " field-error" : " hint"}`; }
}

async function uploadImage(a, file) {
  if (!IMAGE_TYPES.includes(file.type) && !IMAGE_EXT.test(file.name)) { setImageNote(a, t("editor.image_type"), true); return; }
  if (file.size > IMAGE_MAX) { setImageNote(a, t("editor.image_too_big"), true); return; }
  const name = file.name;
  setImageNote(a, t("editor.image_uploading", { name, pct: 0 }));
  const res = await postMedia(file, (share) => setImageNote(a, t("editor.image_uploading", { name, pct: Math.round(share * 100) })));
  if (res.status === 401) { sessionGone(); return; }
  if (!res.ok || !res.data?.id) {
    const code = res.data?.error;
    setImageNote(a, code === "too_large" ? t("editor.image_too_big") : code === "unsupported_media" ? t("editor.image_type")
      : code === "not_configured" ? t("media.not_configured") : errorText(code || "offline"), true);
    return;
  }
  setImage(a, res.data.id, t("editor.image_uploaded", { name }));
}

/// Puts `id` as the activity's image; the alt text takes focus when it is still empty.
function setImage(a, id, said) {
  a.image = id;
  clearError(`${a._k}-image`);
  setImageNote(a, "");
  changed();
  renderActivities();
  const target = !a.alt.trim() ? document.getElementById(`${a._k}-alt`) : document.querySelector(`[data-image-pick="${a._k}"]`);
  target?.scrollIntoView({ block: "center" });
  target?.focus({ preventScroll: true });
  announce(`${said} ${a.alt.trim() ? "" : t("editor.alt_now")}`.trim());
}

/// The media store's images in a dialog; the one picked becomes the activity's image.
let picker = null;
async function pickImage(a) {
  if (!picker) {
    picker = el("dialog", { class: "confirm wide-dialog media-picker", id: "image-picker", "aria-labelledby": "image-picker-title", "aria-describedby": "image-picker-hint" });
    document.body.append(picker);
    picker.addEventListener("close", () => picker.back?.focus?.());
  }
  picker.back = document.activeElement;
  const list = el("ul", { class: "pick-grid", "aria-labelledby": "image-picker-title" });
  const status = el("p", { class: "muted", id: "image-picker-status", role: "status" }, t("editor.image_loading"));
  const close = el("button", { type: "button", class: "secondary", id: "image-picker-cancel" }, t("dialog.cancel"));
  close.addEventListener("click", () => picker.close());
  picker.replaceChildren(
    el("h2", { id: "image-picker-title" }, t("editor.image_pick_title")),
    el("p", { id: "image-picker-hint" }, t("editor.image_pick_text"), " ", el("a", { href: "/media.html", target: "_blank", rel: "noopener" }, t("bots.media_manage"))),
    status, list,
    el("div", { class: "dialog-actions" }, close));
  picker.showModal();
  close.focus();
  const res = await api("GET", "/api/media");
  if (res.status === 401) { picker.close(); sessionGone(); return; }
  if (!res.ok) { status.textContent = res.data?.error === "not_configured" ? t("media.not_configured") : failure(res); return; }
  const images = (res.data?.media || []).filter((m) => IMAGE_TYPES.includes(m.content_type));
  status.textContent = images.length ? t("editor.image_count", { n: images.length }) : t("editor.image_none");
  list.replaceChildren(...images.map((m) => {
    const name = m.name || m.id;
    const current = m.id === a.image;
    const b = el("button", { type: "button", class: `pick-item${current ? " is-current" : ""}`, "data-media-id": m.id, "aria-current": current ? "true" : null },
      el("span", { class: "pick-thumb" }, el("img", { src: m.url || `/media/${m.id}`, alt: "", loading: "lazy", decoding: "async" })),
      el("span", { class: "pick-name" }, name),
      current ? el("span", { class: "pick-current" }, glyph("check"), t("editor.image_current")) : null);
    b.addEventListener("click", () => { picker.close(); setImage(a, m.id, t("editor.image_picked", { name })); });
    return el("li", {}, b);
  }));
  (list.querySelector(".is-current") || list.querySelector("button"))?.focus();
}

/// Polls: the audience sees the bars only at the reveal.
function hideResultsField(a) {
  const fid = `${a._k}-hide`;
  const box = el("input", { type: "checkbox", id: fid, "data-role": "hide-results", checked: a.hide_results, "aria-describedby": describedBy(fid, [`${fid}-hint`]) });
  box.addEventListener("change", () => { a.hide_results = box.checked; clearError(fid); changed(); });
  return el("div", { class: "ed-box" },
    el("label", { class: "check", for: fid }, invalid(box, fid), el("span", {}, t("editor.hide_results"))),
    el("p", { class: "hint", id: `${fid}-hint` }, t("editor.hide_results_hint")),
    errorLine(fid));
}

/// Open questions and Q&A: how posts are given, and whether they need a moderator.
function postsField(a) {
  const fid = `${a._k}-auto`;
  const box = el("input", { type: "checkbox", id: fid, "data-role": "auto-approve", checked: a.auto_approve, "aria-describedby": describedBy(fid, [`${fid}-hint`]) });
  const hint = el("p", { class: "hint", id: `${fid}-hint` }, t(a.auto_approve ? "editor.auto_approve_on" : "editor.auto_approve_off"));
  box.addEventListener("change", () => {
    a.auto_approve = box.checked;
    hint.textContent = t(a.auto_approve ? "editor.auto_approve_on" : "editor.auto_approve_off");
    clearError(fid);
    changed();
  });
  return el("div", { class: "ed-box ed-posts" },
    el("p", { class: "posts-rule" }, glyph(KIND_GLYPH[a.kind]), el("span", {}, t(a.kind === "qna" ? "editor.qna_rule" : "editor.text_answer_rule", { prefix: plan.chat?.vote_prefix || "#" }))),
    el("label", { class: "check", for: fid }, invalid(box, fid), el("span", {}, t("editor.auto_approve"))),
    hint,
    errorLine(fid));
}

/// One line on a locked card: the scale, or "up to K answers".
function lockedRules(a) {
  const bits = [];
  if (isRating(a.kind)) {
    const f = scaleFile(a.scale);
    bits.push(t("staffkinds.locked_scale", { min: f.min, max: f.max }) + (f.labels.length === 2 ? ` (${f.labels[0]} … ${f.labels[1]})` : ""));
  }
  if (takesVotes(a.kind) && a.multi) bits.push(t("staffkinds.locked_multi", { k: a.max_choices }) + (a.kind === "quiz" && a.partial_credit ? ` · ${t("staffkinds.partial")}` : ""));
  if (a.kind === "poll" && a.hide_results) bits.push(t("editor.hide_results"));
  if (takesPosts(a.kind)) bits.push(t(a.auto_approve ? "editor.auto_approve" : "editor.moderated"));
  return bits.length ? el("p", { class: "muted locked-rules" }, bits.join(" · ")) : null;
}

/// The organizer's notes: on the dashboard and the teleprompter, never on the presenter
/// screen or the phones (they often hold the answers).
function notesField(a) {
  const fid = `${a._k}-notes`;
  const area = field("textarea", { id: fid, "data-role": "notes", class: "notes-field", rows: a.notes.length > 160 ? "5" : "2", maxlength: "5000", "aria-describedby": describedBy(fid, [`${fid}-hint`]) }, a.notes);
  area.addEventListener("input", () => { a.notes = area.value; clearError(fid); changed(); });
  return el("div", { class: "ed-field notes" },
    el("label", { for: fid }, glyph("edit"), " ", t("editor.notes")),
    invalid(area, fid),
    el("p", { class: "hint", id: `${fid}-hint` }, t("editor.notes_hint")),
    errorLine(fid));
}

function lockedCard(a, i) {
  const choices = hasChoices(a.kind) ? el("ol", { class: "locked-choices" }, ...a.choices.map((c) => el("li", { class: c.correct && a.kind === "quiz" ? "is-correct" : null },
    el("span", { class: "slug-badge" }, c.slug), el("span", {}, c.text),
    c.correct && a.kind === "quiz" ? el("span", { class: "correct-mark" }, icon("check"), t("editor.correct")) : null))) : null;
  return el("li", { class: `act-card locked kind-${a.kind}`, id: `act-${a._k}`, "data-key": a._k, tabindex: "-1", "aria-labelledby": `${a._k}-locked-title`, "aria-describedby": `${a._k}-locked-why` },
    el("div", { class: "act-head" },
      el("h3", { class: "act-num" }, el("span", { class: "sr-only" }, t("editor.activity_n_sr", { n: i + 1 })), el("span", { "aria-hidden": "true" }, String(i + 1))),
      el("span", { class: "kind-chip" }, glyph(KIND_GLYPH[a.kind]), kindName(a.kind)),
      el("span", { class: "badge lock-badge" }, glyph("lock"), t("editor.locked"))),
    errorLine(`act-${a._k}`),
    el("div", { class: "act-body" },
      el("p", { class: "locked-title", id: `${a._k}-locked-title` }, a.title),
      a.description ? el("p", { class: "locked-desc muted" }, a.description) : null,
      a.image ? el("figure", { class: "locked-image" }, imagePreview(a), el("figcaption", { class: "muted" }, a.alt)) : null,
      choices,
      lockedRules(a),
      a.kind !== "text" && int(a.time_limit) > 0 ? el("p", { class: "muted locked-timer" }, glyph("clock"), " ", t("editor.timer_locked", { time: duration(int(a.time_limit)) })) : null,
      a.notes ? el("p", { class: "locked-notes" }, el("strong", {}, t("editor.notes")), " ", a.notes) : null,
      el("p", { class: "hint", id: `${a._k}-locked-why` }, t("editor.locked_why"))));
}

function renderActivities() {
  const focusId = document.activeElement?.id;
  const n = plan.activities.length;
  $("#activities").replaceChildren(...plan.activities.map(activityCard));
  $("#activity-count").textContent = String(n);
  $("#activities-list-error").textContent = errors.get("activities-list") || "";
  for (const b of $$("[data-add]")) b.replaceChildren(icon("plus"), el("span", {}, kindName(b.dataset.add)));
  renderOutline();
  if (focusId) document.getElementById(focusId)?.focus({ preventScroll: true });
}

function renderOutline() {
  $("#outline").replaceChildren(...plan.activities.map((a, i) => {
    const bad = [...errors.keys()].some((k) => k.startsWith(`${a._k}-`) || k === `act-${a._k}` || a.choices.some((c) => k.startsWith(`${c._k}-`)));
    return el("li", { class: `${isLocked(i) ? "locked" : ""}${bad ? " has-error" : ""}` },
      el("a", { href: `#act-${a._k}`, "data-jump": a._k },
        el("span", { class: "o-num" }, String(i + 1)),
        el("span", { class: "o-text" }, el("span", { class: "o-kind" }, kindName(a.kind)), el("span", { class: "o-title" }, a.title || t("editor.untitled"))),
        isLocked(i) ? el("span", { class: "o-flag" }, glyph("lock"), el("span", { class: "sr-only" }, t("editor.locked"))) : null,
        bad ? el("span", { class: "o-flag is-bad" }, glyph("alert"), el("span", { class: "sr-only" }, t("editor.has_error"))) : null));
  }));
}

$("#outline").addEventListener("click", (ev) => {
  const a = ev.target.closest("[data-jump]");
  if (!a) return;
  ev.preventDefault();
  focusActivity(a.dataset.jump);
});

function focusActivity(k) {
  const input = document.getElementById(`${k}-title`) || document.getElementById(`act-${k}`);
  input?.scrollIntoView({ block: "center", behavior: "smooth" });
  input?.focus({ preventScroll: true });
}

function setKind(a, kind) {
  const was = a.kind;
  a.kind = kind;
  if (hasChoices(kind) && a.choices.length < 2) while (a.choices.length < 2) a.choices.push(blankChoice());
  if (!hasChoices(was) || !hasChoices(kind)) announce(t("editor.kind_changed", { kind: kindName(kind) }));
  changed();
  renderActivities();
}

function newActivity(kind) {
  const a = activityFrom({ kind, title: "", description: "", word_limit: 3 });
  if (hasChoices(kind)) a.choices = [blankChoice(), blankChoice()];
  return a;
}

function addActivity(kind) {
  const a = newActivity(kind);
  plan.activities.push(a);
  changed();
  renderActivities();
  focusActivity(a._k);
  announce(t("editor.added", { kind: kindName(kind), n: plan.activities.length }));
}

function duplicateActivity(a) {
  const i = plan.activities.indexOf(a);
  const copy = activityFrom({ ...fileOf({ ...plan, activities: [a], flags: [] }).activities[0], id: undefined });
  copy.choices.forEach((c) => { c.id = undefined; });
  plan.activities.splice(i + 1, 0, copy);
  changed();
  renderActivities();
  focusActivity(copy._k);
  announce(t("editor.duplicated", { n: i + 2 }));
}

async function deleteActivity(a) {
  const i = plan.activities.indexOf(a);
  const ok = await ask({
    title: t("editor.delete_title", { n: i + 1 }),
    text: a.title ? t("editor.delete_text", { title: a.title }) : t("editor.delete_text_untitled"),
    ok: t("editor.delete_ok"), danger: true,
  });
  if (!ok) return;
  plan.activities.splice(i, 1);
  previews.delete(a._k);
  changed();
  renderActivities();
  const next = plan.activities[Math.min(i, plan.activities.length - 1)];
  if (next) document.getElementById(`act-${next._k}`)?.focus();
  announce(t("editor.deleted", { n: i + 1 }));
}

/// Moves an activity by `delta` places, never into the locked part.
function move(a, delta) {
  const from = plan.activities.indexOf(a);
  moveTo(a, from + delta);
}

function moveTo(a, to) {
  const from = plan.activities.indexOf(a);
  const target = Math.max(reached(), Math.min(plan.activities.length - 1, to));
  if (from < 0 || target === from || isLocked(from)) return false;
  plan.activities.splice(from, 1);
  plan.activities.splice(target, 0, a);
  changed();
  const focused = document.activeElement;
  const keepMove = focused?.dataset?.move;
  renderActivities();
  // Keyboard users keep their place: on the same arrow, or on the card when it is disabled.
  const card = document.getElementById(`act-${a._k}`);
  const btn = keepMove ? card.querySelector(`[data-move="${keepMove}"]`) : null;
  if (btn && !btn.disabled) btn.focus();
  else if (keepMove || card.contains(focused) || focused === document.body) card.focus();
  card.scrollIntoView({ block: "nearest" });
  announce(t("editor.moved", { title: a.title || t("editor.untitled"), n: target + 1, total: plan.activities.length }));
  return true;
}

$("#activities").addEventListener("keydown", (ev) => {
  if (!ev.altKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown")) return;
  if (ev.target.tagName === "SELECT") return;
  const card = ev.target.closest(".act-card");
  const a = card && plan.activities.find((x) => x._k === card.dataset.key);
  if (!a) return;
  ev.preventDefault();
  const wasIn = ev.target;
  if (move(a, ev.key === "ArrowUp" ? -1 : 1) && wasIn.id && document.getElementById(wasIn.id)) document.getElementById(wasIn.id).focus();
});

// Drag and drop (HTML5): an activity is dragged by its handle and dropped before or after
// another; the locked ones neither move nor take anything before them.
$("#activities").addEventListener("dragstart", (ev) => {
  const grip = ev.target.closest?.("[data-grip]");
  if (!grip) return;
  const card = grip.closest(".act-card");
  drag = { key: grip.dataset.grip };
  ev.dataTransfer.effectAllowed = "move";
  ev.dataTransfer.setData("text/plain", drag.key);
  if (ev.dataTransfer.setDragImage) ev.dataTransfer.setDragImage(card, 24, 24);
  card.classList.add("dragging");
});

function dropSpot(ev) {
  const card = ev.target.closest?.(".act-card");
  if (!drag || !card) return null;
  const to = plan.activities.findIndex((x) => x._k === card.dataset.key);
  const rect = card.getBoundingClientRect();
  const after = ev.clientY > rect.top + rect.height / 2;
  const insert = to + (after ? 1 : 0);
  if (insert < reached()) return null;
  return { card, after, insert };
}

function clearDropMarks() {
  for (const c of $$(".act-card.drop-before, .act-card.drop-after")) c.classList.remove("drop-before", "drop-after");
}

$("#activities").addEventListener("dragover", (ev) => {
  const spot = dropSpot(ev);
  clearDropMarks();
  if (!spot) return;
  ev.preventDefault();
  ev.dataTransfer.dropEffect = "move";
  spot.card.classList.add(spot.after ? "drop-after" : "drop-before");
});

$("#activities").addEventListener("drop", (ev) => {
  const spot = dropSpot(ev);
  clearDropMarks();
  if (!spot) return;
  ev.preventDefault();
  const a = plan.activities.find((x) => x._k === drag.key);
  const from = plan.activities.indexOf(a);
  drag = null;
  if (a) moveTo(a, spot.insert > from ? spot.insert - 1 : spot.insert);
});

$("#activities").addEventListener("dragend", () => {
  drag = null;
  clearDropMarks();
  for (const c of $$(".act-card.dragging")) c.classList.remove("dragging");
});

function addChoice(a) {
  if (a.choices.length >= MAX_CHOICES) return;
  const c = blankChoice();
  a.choices.push(c);
  clearError(`${a._k}-choices`);
  changed();
  renderActivities();
  document.getElementById(`${c._k}-text`)?.focus();
}

function removeChoice(a, c) {
  const j = a.choices.indexOf(c);
  if (a.choices.length <= 2 || j < 0) return;
  a.choices.splice(j, 1);
  // "Up to K" never asks for more choices than there are.
  if (a.multi && int(a.max_choices) > a.choices.length) a.max_choices = String(a.choices.length);
  changed();
  renderActivities();
  const next = a.choices[Math.min(j, a.choices.length - 1)];
  document.getElementById(`${next._k}-text`)?.focus();
  announce(t("editor.choice_removed", { n: j + 1 }));
}

// ---- Flags ------------------------------------------------------------------------------

/// A flag someone captured keeps its code and points (the server refuses changing them);
/// its name may still change.
const isCaptured = (f) => f.id != null && (info?.captured_flags || []).includes(f.id);

function flagRow(f, i) {
  const captured = isCaptured(f);
  const input = (prop, label, attrs) => {
    const fid = `${f._k}-${prop}`;
    const frozen = captured && prop !== "name" ? { readonly: true, title: t("editor.flag_captured") } : {};
    const node = field("input", { id: fid, autocomplete: "off", "aria-describedby": describedBy(fid), ...attrs, ...frozen }, f[prop]);
    node.addEventListener("input", () => { f[prop] = node.value; clearError(fid); changed(); });
    return el("div", { class: `ed-field fr-${prop}` }, el("label", { for: fid }, label), invalid(node, fid), errorLine(fid));
  };
  return el("li", { class: "flag-row", "data-flag": f._k },
    input("name", t("editor.flag_name"), { type: "text", maxlength: "200" }),
    input("code", t("editor.flag_code"), { type: "text", class: "mono", spellcheck: "false", autocapitalize: "off", maxlength: "100" }),
    input("points", t("editor.flag_points"), { type: "number", min: "0", step: "1", inputmode: "numeric" }),
    input("first_blood", t("editor.flag_first"), { type: "number", min: "0", step: "1", inputmode: "numeric" }),
    captured ? el("p", { class: "muted flag-captured" }, t("editor.flag_captured")) : null,
    toolButton("trash", t("editor.remove_flag", { n: i + 1 }), () => removeFlag(f), { class: "secondary tool danger-outline flag-remove", disabled: captured }));
}

function renderFlags() {
  const focusId = document.activeElement?.id;
  $("#flags").replaceChildren(...plan.flags.map(flagRow));
  if (!plan.flags.length) $("#flags").append(el("li", { class: "muted flags-empty" }, t("editor.no_flags")));
  $("#flags-list-error").textContent = errors.get("flags-list") || "";
  const sheet = $("#flag-sheet");
  sheet.classList.toggle("hidden", id === null || !plan.flags.length);
  if (id !== null) sheet.href = `/flags.html?meeting=${id}`;
  sheet.replaceChildren(glyph("qr"), el("span", {}, t("editor.flag_sheet")));
  if (focusId) document.getElementById(focusId)?.focus({ preventScroll: true });
}

function removeFlag(f) {
  const i = plan.flags.indexOf(f);
  plan.flags.splice(i, 1);
  changed();
  renderFlags();
  const next = plan.flags[Math.min(i, plan.flags.length - 1)];
  (next ? document.getElementById(`${next._k}-name`) : $("#add-flag")).focus();
  announce(t("editor.flag_removed"));
}

$("#add-flag").addEventListener("click", () => {
  const f = { _k: key("f"), name: "", code: "", points: "5", first_blood: "0" };
  plan.flags.push(f);
  changed();
  renderFlags();
  document.getElementById(`${f._k}-name`)?.focus();
});

// ---- Bots --------------------------------------------------------------------------------

const BOT_KINDS = ["periodic", "command", "revolution", "thanks"];
/// The fields each kind edits here (a server error on another one goes to the card).
const BOT_FIELDS = {
  periodic: ["lines", "every_secs", "min_chat"],
  command: ["name", "reply", "user_cooldown_secs", "global_cooldown_secs"],
  revolution: ["name", "threshold", "window_secs", "message", "media", "cooldown_secs"],
  thanks: ["alert", "reply"],
};
const BOT_LABELS = {
  lines: "bots.lines", every_secs: "bots.every_secs", min_chat: "bots.min_chat", name: "bots.name", reply: "bots.reply",
  user_cooldown_secs: "bots.user_cooldown", global_cooldown_secs: "bots.global_cooldown", threshold: "bots.threshold",
  window_secs: "bots.window", message: "bots.message", media: "bots.media", cooldown_secs: "bots.cooldown", alert: "bots.alert",
};
const BOT_NUMBERS = ["every_secs", "min_chat", "user_cooldown_secs", "global_cooldown_secs", "threshold", "window_secs", "cooldown_secs"];
const BOT_GLYPH = { periodic: "clock", command: "chat", revolution: "zap", thanks: "heart" };
/// Alerts a thank-you bot may answer (storage's `THANKED_ALERTS`).
const THANKED = ["follow", "sub", "gift", "raid", "member", "superchat"];
const BOT_DEFAULTS = {
  periodic: { lines: [], every_secs: 600, min_chat: 0 },
  command: { name: "", reply: "", user_cooldown_secs: 30, global_cooldown_secs: 5 },
  revolution: { name: "", threshold: 5, window_secs: 60, message: "", media: null, cooldown_secs: 300 },
  thanks: { alert: "follow", reply: "" },
};

const prefix = () => plan.chat?.command_prefix || "!";

/// "10 min", "1 h 30 min", "45 s": what a number of seconds means.
function duration(value) {
  const n = int(value);
  if (!Number.isInteger(n) || n < 0) return "";
  if (n === 0) return t("bots.no_wait");
  const h = Math.floor(n / 3600), m = Math.floor((n % 3600) / 60), sec = n % 60;
  return [h ? `${h} h` : "", m ? `${m} min` : "", sec ? `${sec} s` : ""].filter(Boolean).join(" ");
}

/// The media store's files, asked once (`GET /api/media`); "none" when the server has no
/// media store: the picker then offers only "none" and what the bot already holds.
let media = null;
async function loadMedia() {
  if (media !== null) return;
  media = "loading";
  const res = await api("GET", "/api/media");
  media = res.ok && Array.isArray(res.data?.media) ? { list: res.data.media } : "none";
  if (plan) renderBots();
}

function botField(b, prop, { type = "text", hint = null, span = false, attrs = {} } = {}) {
  const fid = `${b._k}-${prop}`;
  const hid = `${fid}-hint`;
  const extra = hint !== null ? [hid] : [];
  let node;
  if (type === "lines") {
    node = field("textarea", { id: fid, "data-role": prop, rows: String(Math.min(8, Math.max(3, b.lines.split("\n").length + 1))), spellcheck: "true", "aria-describedby": describedBy(fid, extra), ...attrs }, b[prop]);
  } else if (type === "line") {
    node = oneLine({ id: fid, "data-role": prop, maxlength: "400", "aria-describedby": describedBy(fid, extra), ...attrs }, b[prop]);
  } else if (type === "number") {
    node = field("input", { type: "number", id: fid, "data-role": prop, min: "0", step: "1", inputmode: "numeric", "aria-describedby": describedBy(fid, extra), ...attrs }, b[prop]);
  } else if (type === "select") {
    node = el("select", { id: fid, "data-role": prop, "aria-describedby": describedBy(fid, extra) }, ...attrs.options);
    node.value = b[prop] ?? "";
  } else {
    node = field("input", { type: "text", id: fid, "data-role": prop, autocomplete: "off", autocapitalize: "off", spellcheck: "false", "aria-describedby": describedBy(fid, extra), ...attrs }, b[prop]);
  }
  const hintNode = hint !== null ? el("p", { class: "hint", id: hid }, ...[hint].flat()) : null;
  node.addEventListener(type === "select" ? "change" : "input", () => {
    b[prop] = node.value;
    clearError(fid);
    changed();
    if (BOT_NUMBERS.includes(prop) && hintNode && prop !== "threshold" && prop !== "min_chat") hintNode.textContent = duration(node.value);
    if (prop === "name" && hintNode) hintNode.textContent = t(b.kind === "revolution" ? "bots.rev_name_hint" : "bots.name_hint", { example: `${prefix()}${commandName(node.value) || (b.kind === "revolution" ? "hype" : "discord")}` });
  });
  // The prefix is shown before the field: one typed in front of the name goes.
  if (prop === "name") node.addEventListener("change", () => { const bare = commandName(node.value); if (bare !== node.value) { node.value = bare; b.name = bare; changed(); } });
  const input = prop === "name"
    ? el("div", { class: "bot-command" }, el("span", { class: "bot-prefix", "aria-hidden": "true" }, prefix()), invalid(node, fid))
    : invalid(node, fid);
  return el("div", { class: `ed-field bf-${prop}${span ? " span-2" : ""}` },
    el("label", { for: fid }, t(BOT_LABELS[prop])), input, hintNode, errorLine(fid));
}

function mediaOptions(b) {
  const list = media?.list || [];
  const opts = [el("option", { value: "" }, t("bots.media_none"))];
  for (const m of list) opts.push(el("option", { value: m.id }, `${m.name || m.id} · ${m.content_type || ""}`.replace(/ · $/, "")));
  if (b.media && !list.some((m) => m.id === b.media)) opts.push(el("option", { value: b.media }, media === null || media === "loading" ? b.media : t("bots.media_missing", { id: b.media })));
  return opts;
}

function mediaHint() {
  if (media === "none") return t("bots.media_unavailable");
  return [t("bots.media_hint"), " ", el("a", { href: "/media.html", target: "_blank", rel: "noopener" }, t("bots.media_manage"))];
}

const placeholders = (key) => [t(key)];

function botFields(b) {
  const p = prefix();
  switch (b.kind) {
    case "periodic": return [
      botField(b, "lines", { type: "lines", span: true, hint: t("bots.lines_hint") }),
      botField(b, "every_secs", { type: "number", hint: duration(b.every_secs), attrs: { min: "60", max: "86400" } }),
      botField(b, "min_chat", { type: "number", hint: t("bots.min_chat_hint") }),
    ];
    case "command": return [
      botField(b, "name", { hint: t("bots.name_hint", { example: `${p}${commandName(b.name) || "discord"}` }), attrs: { maxlength: "25", class: "mono", placeholder: "discord" } }),
      botField(b, "reply", { type: "line", span: true, hint: placeholders("bots.ph_command") }),
      botField(b, "user_cooldown_secs", { type: "number", hint: duration(b.user_cooldown_secs), attrs: { max: "86400" } }),
      botField(b, "global_cooldown_secs", { type: "number", hint: duration(b.global_cooldown_secs), attrs: { max: "86400" } }),
    ];
    case "revolution": return [
      botField(b, "name", { hint: t("bots.rev_name_hint", { example: `${p}${commandName(b.name) || "hype"}` }), attrs: { maxlength: "25", class: "mono", placeholder: "hype" } }),
      botField(b, "threshold", { type: "number", hint: t("bots.threshold_hint"), attrs: { min: "2", max: "10000" } }),
      botField(b, "message", { type: "line", span: true, hint: t("bots.message_hint") }),
      botField(b, "window_secs", { type: "number", hint: duration(b.window_secs), attrs: { min: "5", max: "86400" } }),
      botField(b, "cooldown_secs", { type: "number", hint: duration(b.cooldown_secs), attrs: { max: "86400" } }),
      botField(b, "media", { type: "select", span: true, hint: mediaHint(), attrs: { options: mediaOptions(b) } }),
    ];
    case "thanks": return [
      botField(b, "alert", { type: "select", attrs: { options: THANKED.map((k) => el("option", { value: k }, t(`alerts.kind_${k}`))) } }),
      botField(b, "reply", { type: "line", span: true, hint: placeholders("bots.ph_thanks") }),
    ];
    default: return [el("p", { class: "hint span-2" }, t("bots.unknown_kind", { kind: b.kind }))];
  }
}

function botCard(b, i) {
  const n = plan.bots.length;
  const onId = `${b._k}-enabled`;
  const on = el("input", { type: "checkbox", id: onId, "data-role": "enabled", checked: b.enabled });
  const card = el("li", { class: `act-card bot-card bk-${b.kind}${b.enabled ? "" : " is-off"}`, id: `bot-${b._k}`, "data-key": b._k, tabindex: "-1" });
  on.addEventListener("change", () => { b.enabled = on.checked; card.classList.toggle("is-off", !b.enabled); changed(); });
  const known = BOT_KINDS.includes(b.kind);
  card.append(
    el("div", { class: "act-head" },
      el("h3", { class: "act-num" }, el("span", { class: "sr-only" }, t("bots.bot_n", { n: i + 1 })), el("span", { "aria-hidden": "true" }, String(i + 1))),
      el("span", { class: "kind-chip" }, glyph(BOT_GLYPH[b.kind] || "chat"), known ? t(`bots.kind_${b.kind}`) : b.kind),
      el("span", { class: "bot-on" }, on, el("label", { for: onId }, t("bots.enabled"))),
      el("div", { class: "act-tools" },
        toolButton("up", t("bots.move_up", { n: i + 1 }), () => moveBot(b, -1), { disabled: i === 0, "data-bot-move": "up" }),
        toolButton("down", t("bots.move_down", { n: i + 1 }), () => moveBot(b, 1), { disabled: i >= n - 1, "data-bot-move": "down" }),
        toolButton("trash", t("bots.delete_n", { n: i + 1 }), () => deleteBot(b), { class: "secondary tool danger-outline", "data-bot-del": b._k }))),
    el("p", { class: "hint bot-what" }, known ? t(`bots.what_${b.kind}`) : ""),
    errorLine(`bot-${b._k}`),
    el("div", { class: "ed-grid bot-fields" }, ...botFields(b)));
  return card;
}

function renderBots() {
  const focusId = document.activeElement?.id;
  const list = $("#bots");
  list.replaceChildren(...plan.bots.map(botCard));
  if (!plan.bots.length) list.append(el("li", { class: "muted bots-empty" }, t("bots.none_editor")));
  $("#bot-count").textContent = String(plan.bots.length);
  $("#bots-list-error").textContent = errors.get("bots-list") || "";
  $("#bots-prefix-hint").textContent = t("bots.prefix_hint", { prefix: prefix() });
  for (const btn of $$("[data-add-bot]")) btn.replaceChildren(icon("plus"), el("span", {}, t(`bots.kind_${btn.dataset.addBot}`)));
  if (plan.bots.some((b) => b.kind === "revolution")) loadMedia();
  if (focusId) document.getElementById(focusId)?.focus({ preventScroll: true });
}

function addBot(kind) {
  const taken = new Set(plan.bots.filter((b) => b.kind === "thanks").map((b) => b.alert));
  const extra = kind === "thanks" ? (() => { const alert = THANKED.find((k) => !taken.has(k)) || "follow"; return { alert, reply: t(`bots.thanks_default_${alert}`) }; })() : {};
  const b = botFrom({ kind, ...BOT_DEFAULTS[kind], ...extra });
  plan.bots.push(b);
  changed();
  renderBots();
  const first = document.getElementById(`${b._k}-${BOT_FIELDS[kind][0]}`);
  first?.scrollIntoView({ block: "center", behavior: "smooth" });
  first?.focus({ preventScroll: true });
  announce(t("bots.added", { kind: t(`bots.kind_${kind}`), n: plan.bots.length }));
}

function moveBot(b, delta) {
  const from = plan.bots.indexOf(b);
  const to = from + delta;
  if (from < 0 || to < 0 || to >= plan.bots.length) return;
  plan.bots.splice(from, 1);
  plan.bots.splice(to, 0, b);
  const keep = document.activeElement?.dataset?.botMove;
  changed();
  renderBots();
  const card = document.getElementById(`bot-${b._k}`);
  const btn = keep ? card.querySelector(`[data-bot-move="${keep}"]`) : null;
  if (btn && !btn.disabled) btn.focus(); else card.focus();
  card.scrollIntoView({ block: "nearest" });
  announce(t("bots.moved", { n: to + 1, total: plan.bots.length }));
}

async function deleteBot(b) {
  const i = plan.bots.indexOf(b);
  const ok = await ask({ title: t("bots.delete_title", { n: i + 1 }), text: t("bots.delete_text"), ok: t("bots.delete_ok"), danger: true });
  if (!ok) return;
  plan.bots.splice(i, 1);
  changed();
  renderBots();
  const next = plan.bots[Math.min(i, plan.bots.length - 1)];
  (next ? document.getElementById(`bot-${next._k}`) : $("[data-add-bot]")).focus();
  announce(t("bots.deleted", { n: i + 1 }));
}

$("#bots").addEventListener("keydown", (ev) => {
  if (!ev.altKey || (ev.key !== "ArrowUp" && ev.key !== "ArrowDown") || ev.target.tagName === "SELECT") return;
  const card = ev.target.closest(".bot-card");
  const b = card && plan.bots.find((x) => x._k === card.dataset.key);
  if (!b) return;
  ev.preventDefault();
  moveBot(b, ev.key === "ArrowUp" ? -1 : 1);
});

// ---- Head, banners, save state ----------------------------------------------------------

function renderHead() {
  const title = plan.title.trim() || (id === null ? t("editor.new_title") : t("editor.untitled"));
  $("#ed-title").textContent = title;
  document.title = `${title} · ${t("editor.title")}`;
  const status = $("#ed-status");
  status.textContent = id === null ? t("editor.draft") : t(`status.${info?.status ?? "before"}`);
  status.classList.toggle("live", RUNNING.has(info?.status));
  const meta = [];
  if (info?.owner) meta.push(t("meetings.owner", { name: info.owner }));
  if (info?.shared_with?.length) meta.push(t("meetings.shared", { names: info.shared_with.join(", ") }));
  $("#ed-meta").textContent = meta.join(" · ");
  const dash = $("#dash-link");
  dash.classList.toggle("hidden", id === null);
  if (id !== null) dash.href = `/organize.html?meeting=${id}`;
}

function banner(kind, name, content, actions = []) {
  const old = $(`#banner-${name}`);
  const node = el("div", { class: `banner is-${kind}`, id: `banner-${name}`, role: kind === "bad" ? "alert" : "status" },
    glyph(kind === "info" ? "play" : kind === "lock" ? "lock" : kind === "ok" ? "save" : "alert"),
    el("div", { class: "banner-text" }, ...[content].flat()),
    actions.length ? el("div", { class: "banner-actions" }, ...actions) : null);
  if (old) old.replaceWith(node); else $("#banners").append(node);
  return node;
}

const dropBanner = (name) => $(`#banner-${name}`)?.remove();

function renderRunningBanner() {
  const n = reached();
  const status = info?.status;
  if (!info || (!RUNNING.has(status) && status !== "after" && n === 0)) { dropBanner("running"); return; }
  let text;
  if (status === "after") text = t("editor.finished_banner");
  else if (RUNNING.has(status)) text = `${t("editor.running_banner")} ${n ? t(n === 1 ? "editor.locked_one" : "editor.locked_range", { n }) : ""}`;
  else text = t(n === 1 ? "editor.locked_one" : "editor.locked_range", { n });
  banner(status === "after" ? "lock" : "info", "running", el("p", {}, text));
}

function renderSaveState(text = null) {
  const dirty = isDirty();
  const state = $("#save-state");
  document.body.classList.toggle("is-dirty", dirty);
  if (text) state.textContent = text;
  else if (dirty) state.replaceChildren(el("span", { class: "dirty-dot", "aria-hidden": "true" }), t("editor.unsaved"));
  else if (savedAt) state.textContent = t("editor.saved_at", { time: shortTime(savedAt, currentLang()) });
  else state.textContent = id === null ? t("editor.not_saved_yet") : t("editor.no_changes");
  $("#save").disabled = saving || (!dirty && id !== null);
}

let draftTimer = null;
/// Every change: the save state, and the draft kept in this browser.
function changed() {
  renderSaveState();
  clearTimeout(draftTimer);
  draftTimer = setTimeout(writeDraft, 300);
}

function writeDraft() {
  if (draftPending || !plan) return;
  try {
    if (isDirty()) localStorage.setItem(draftKey(), JSON.stringify({ at: Date.now(), file: fileOf(), base: baseline }));
    else localStorage.removeItem(draftKey());
  } catch { /* storage full or private mode: the leave warning still guards */ }
}

function dropDraft() {
  try { localStorage.removeItem(draftKey()); } catch { /* private mode */ }
}

/// A draft left by an earlier visit (a reload, a crash, a lost session) is offered back.
function offerDraft() {
  let draft = null;
  try { draft = JSON.parse(localStorage.getItem(draftKey()) || "null"); } catch { draft = null; }
  if (!draft?.file || JSON.stringify(draft.file) === baseline) { if (draft) dropDraft(); return; }
  draftPending = draft;
  const changedSince = draft.base && draft.base !== baseline;
  banner("warn", "draft", [
    el("p", {}, el("strong", {}, t("editor.draft_found", { time: shortTime(draft.at, currentLang()) }))),
    changedSince ? el("p", { class: "muted" }, t("editor.draft_stale")) : null,
  ], [
    el("button", { type: "button", class: "small", id: "draft-restore", onclick: restoreDraft }, t("editor.draft_restore")),
    el("button", { type: "button", class: "secondary small", id: "draft-discard", onclick: discardDraft }, t("editor.draft_discard")),
  ]);
}

function restoreDraft() {
  const draft = draftPending;
  draftPending = null;
  dropBanner("draft");
  plan = modelFrom(draft.file);
  renderAll();
  changed();
  announce(t("editor.draft_restored"));
  $("#s-title").focus();
}

function discardDraft() {
  draftPending = null;
  dropBanner("draft");
  dropDraft();
  $("#s-title").focus();
}

function renderAll() {
  renderHead();
  renderSettings();
  renderActivities();
  renderFlags();
  renderBots();
  renderRunningBanner();
  renderSummary();
  renderSaveState();
}

// ---- Errors -----------------------------------------------------------------------------

function failure(res) {
  return res.data?.message && res.data.error !== "internal" ? res.data.message : errorText(res.data?.error || "offline");
}

/// The element id a server field path (`activities[2].choices[1].text`) belongs to.
function targetOf(path) {
  const act = /^activities\[(\d+)\](.*)$/.exec(path);
  if (act) {
    const a = plan.activities[Number(act[1])];
    if (!a) return "activities-list";
    if (isLocked(Number(act[1]))) return `act-${a._k}`;
    const rest = act[2];
    const ch = /^\.choices\[(\d+)\](?:\.(\w+))?/.exec(rest);
    if (ch) {
      const c = a.choices[Number(ch[1])];
      if (!c) return `${a._k}-choices`;
      return `${c._k}-${ch[2] === "slug" ? "slug" : ch[2] === "correct" ? "correct" : "text"}`;
    }
    const sc = /^\.scale(?:\.(min|max|labels)(?:\[(\d+)\])?)?/.exec(rest);
    if (sc) {
      if (sc[1] === "labels") {
        const shown = a.scale.mode === "ends" ? 2 : a.scale.mode === "each" ? document.querySelectorAll(`#${a._k}-label-box [data-role="scale-label"]`).length : 0;
        return sc[2] !== undefined && Number(sc[2]) < shown ? `${a._k}-label-${sc[2]}` : `${a._k}-labels`;
      }
      return sc[1] ? `${a._k}-scale-${sc[1]}` : `${a._k}-scale`;
    }
    const prop = /^\.(\w+)/.exec(rest)?.[1];
    return { max_choices: `${a._k}-max`, partial_credit: `${a._k}-partial`, prior_weight: `${a._k}-prior`, title: `${a._k}-title`, description: `${a._k}-desc`, markup: `${a._k}-desc`, choices: `${a._k}-choices`, word_limit: `${a._k}-limit`, kind: `${a._k}-kind`, notes: `${a._k}-notes`, time_limit_secs: `${a._k}-time`, points: `${a._k}-points`, image: `${a._k}-image`, alt: a.image ? `${a._k}-alt` : `${a._k}-image`, auto_approve: `${a._k}-auto`, hide_results_until_reveal: `${a._k}-hide` }[prop] || `act-${a._k}`;
  }
  const flag = /^flags\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (flag) {
    const f = plan.flags[Number(flag[1])];
    if (!f) return "flags-list";
    return `${f._k}-${["name", "code", "points", "first_blood"].includes(flag[2]) ? flag[2] : "name"}`;
  }
  const bot = /^bots\[(\d+)\](?:\.(\w+))?/.exec(path);
  if (bot) {
    const b = plan.bots[Number(bot[1])];
    if (!b) return "bots-list";
    return BOT_FIELDS[b.kind]?.includes(bot[2]) ? `${b._k}-${bot[2]}` : `bot-${b._k}`;
  }
  const top = path.split(/[.[]/)[0];
  return { sounds: "s-sounds", streak_bonus: "s-streak", bots: "bots-list", title: "s-title", code: "s-code", flag_prefix: "s-prefix", blocked_words: "s-blocked", sources: "s-sources", chat: "s-sources", activities: "activities-list", flags: "flags-list", scoring: "s-scoring", auto_start: "s-auto" }[top] || null;
}

/// A server message without its leading field path (`activities[0].choices[1].text is
/// empty: every choice needs a text` → `Every choice needs a text.`): the field it sits next
/// to, or the place named in the summary, already says where.
function bare(field, message) {
  let m = String(message || "");
  if (field && m.startsWith(field)) {
    const cut = m.indexOf(": ");
    if (cut >= 0) m = m.slice(cut + 2);
  }
  m = m.trim();
  if (!m) return String(message || "");
  return m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
}

/// A bot's message without its field path. The value it quotes stays when the reason needs
/// it (`"score" is built in (!score, !help): choose another`); a periodic bot's line says
/// which line.
function botBare(field, message) {
  let m = String(message || "");
  if (m.startsWith(field)) {
    m = m.slice(field.length).trim();
    const cut = m.indexOf(": ");
    const before = cut >= 0 ? m.slice(0, cut) : "";
    if (cut >= 0 && (!/\s/.test(before) || /^(is|are) /.test(before))) m = m.slice(cut + 2);
    else if (m.startsWith(": ")) m = m.slice(2);
  }
  m = m.trim() || String(message || "");
  m = m[0].toUpperCase() + m.slice(1) + (/[.!?]$/.test(m) ? "" : ".");
  const line = /^bots\[\d+\]\.lines\[(\d+)\]/.exec(field);
  return line ? `${t("bots.line_n", { n: Number(line[1]) + 1 })}: ${m}` : m;
}

/// Where a server field path is, in words: "Activity 3 · Choice 2".
function placeOf(field) {
  if (!field) return "";
  const parts = [];
  const act = /^activities\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?(?:\.(\w+))?/.exec(field);
  if (act) {
    parts.push(t("editor.activity_n_sr", { n: Number(act[1]) + 1 }));
    if (act[2] === "choices" && act[3] !== undefined) parts.push(t(act[4] === "slug" ? "editor.slug_n" : "editor.choice_n", { n: Number(act[3]) + 1 }));
    else if (act[2] === "choices") parts.push(t("editor.choices"));
    else if (act[2] === "title") parts.push(t("editor.question"));
    else if (act[2] === "description" || act[2] === "markup") parts.push(t("editor.description"));
    else if (act[2] === "word_limit") parts.push(t("editor.word_limit"));
    else if (act[2] === "time_limit_secs") parts.push(t("editor.time_limit"));
    else if (act[2] === "points") parts.push(t("editor.points"));
    else if (act[2] === "notes") parts.push(t("editor.notes"));
    else if (act[2] === "max_choices") parts.push(t("staffkinds.multi"));
    else if (act[2] === "partial_credit") parts.push(t("staffkinds.partial"));
    else if (act[2] === "prior_weight") parts.push(t("staffkinds.prior_weight"));
    else if (act[2] === "image") parts.push(t("editor.image"));
    else if (act[2] === "alt") parts.push(t("editor.alt"));
    else if (act[2] === "auto_approve") parts.push(t("editor.auto_approve"));
    else if (act[2] === "hide_results_until_reveal") parts.push(t("editor.hide_results"));
    else if (act[2] === "scale") {
      const label = /\.scale\.labels(?:\[(\d+)\])?/.exec(field);
      parts.push(label ? (label[1] !== undefined ? t("staffkinds.label_n", { n: Number(label[1]) + 1 }) : t("staffkinds.labels")) : t("staffkinds.scale"));
    }
    return parts.join(" · ");
  }
  const flag = /^flags\[(\d+)\](?:\.(\w+))?/.exec(field);
  if (flag) {
    parts.push(t("editor.flag_n", { n: Number(flag[1]) + 1 }));
    const label = { name: "editor.flag_name", code: "editor.flag_code", points: "editor.flag_points", first_blood: "editor.flag_first" }[flag[2]];
    if (label) parts.push(t(label));
    return parts.join(" · ");
  }
  const bot = /^bots\[(\d+)\](?:\.(\w+))?(?:\[(\d+)\])?/.exec(field);
  if (bot) {
    parts.push(t("bots.bot_n", { n: Number(bot[1]) + 1 }));
    if (bot[2] === "lines" && bot[3] !== undefined) parts.push(t("bots.line_n", { n: Number(bot[3]) + 1 }));
    else if (bot[2] && BOT_LABELS[bot[2]]) parts.push(t(BOT_LABELS[bot[2]]));
    return parts.join(" · ");
  }
  const top = field.split(/[.[]/)[0];
  const label = { sounds: "editor.sounds", streak_bonus: "staffkinds.streak", bots: "bots.title", title: "editor.meeting_title", code: "editor.code", flag_prefix: "editor.flag_prefix", blocked_words: "editor.blocked", sources: "editor.sources", chat: "editor.sources", activities: "editor.activities", flags: "editor.flags", scoring: "editor.scoring", auto_start: "editor.auto_start" }[top];
  return label ? t(label) : "";
}

function showErrors(list) {
  errors = new Map();
  places = new Map();
  loose = [];
  for (const e of list) {
    const target = e.field ? targetOf(e.field) : null;
    // A checkbox has no room for a line of its own: its choice's text carries it.
    const at = target?.endsWith("-correct") ? target.replace(/-correct$/, "-text") : target;
    const text = /^bots\[/.test(e.field || "") ? botBare(e.field, e.message) : bare(e.field, e.message);
    if (at && !errors.has(at)) { errors.set(at, text); places.set(at, placeOf(e.field)); }
    else if (at) errors.set(at, `${errors.get(at)} ${text}`);
    else loose.push(e.field ? `${placeOf(e.field) || e.field}: ${text}` : text);
  }
  renderAll();
  const summary = $("#error-summary");
  summary.scrollIntoView({ block: "center" });
  summary.focus({ preventScroll: true });
}

function renderSummary() {
  const box = $("#error-summary");
  const items = [...errors.entries()].filter(([fid]) => document.getElementById(fid) || document.getElementById(`${fid}-error`));
  const count = items.length + loose.length;
  box.classList.toggle("hidden", count === 0);
  if (!count) { box.replaceChildren(); return; }
  box.replaceChildren(
    el("h2", { id: "error-summary-title" }, glyph("alert"), el("span", {}, t("editor.problems", { n: count }))),
    el("ul", {},
      ...items.map(([fid, message]) => el("li", {}, el("a", { href: `#${fid}`, "data-goto": fid },
        places.get(fid) ? el("span", { class: "place" }, `${places.get(fid)}: `) : null, message))),
      ...loose.map((m) => el("li", {}, m))));
}

$("#error-summary").addEventListener("click", (ev) => {
  const a = ev.target.closest("[data-goto]");
  if (!a) return;
  ev.preventDefault();
  const target = document.getElementById(a.dataset.goto) || document.getElementById(`${a.dataset.goto}-error`);
  const focusable = target?.matches("input, select, textarea") ? target : target?.querySelector("input, select, textarea") || target;
  focusable?.scrollIntoView({ block: "center" });
  focusable?.focus({ preventScroll: true });
});

/// Numbers the server cannot even parse are caught here, next to their field.
function localProblems(file) {
  const out = [];
  file.activities.forEach((a, i) => {
    if (!Number.isInteger(a.word_limit)) out.push({ field: `activities[${i}].word_limit`, message: t("editor.whole_number") });
    for (const prop of ["time_limit_secs", "points", "prior_weight"]) {
      if (prop in a && !Number.isInteger(a[prop])) out.push({ field: `activities[${i}].${prop}`, message: t("editor.whole_number") });
    }
    // Several answers: 2 up to the number of choices (the box says "one" otherwise).
    if ("max_choices" in a && !(Number.isInteger(a.max_choices) && a.max_choices >= 2 && a.max_choices <= a.choices.length)) {
      out.push({ field: `activities[${i}].max_choices`, message: t("staffkinds.max_range", { n: a.choices.length }) });
    }
    // An image needs its alt text (the server says so too; here the field takes focus).
    if (a.image && !String(a.alt || "").trim()) out.push({ field: `activities[${i}].alt`, message: t("editor.alt_required") });
    // A scale's range and labels, as the page already says next to them.
    const model = plan.activities[i];
    if (a.scale && model) {
      const range = rangeProblem(model.scale);
      if (range) out.push({ field: `activities[${i}].scale`, message: range });
      else a.scale.labels.forEach((l, j) => { if (!l) out.push({ field: `activities[${i}].scale.labels[${j}]`, message: t("staffkinds.label_empty") }); });
    }
  });
  if ("streak_bonus" in file && !Number.isInteger(file.streak_bonus)) out.push({ field: "streak_bonus", message: t("editor.whole_number") });
  file.bots.forEach((b, i) => {
    for (const prop of BOT_NUMBERS) {
      if (prop in b && !(Number.isInteger(b[prop]) && b[prop] >= 0)) out.push({ field: `bots[${i}].${prop}`, message: t("editor.whole_number") });
    }
  });
  file.flags.forEach((f, i) => {
    if (!Number.isInteger(f.points)) out.push({ field: `flags[${i}].points`, message: t("editor.whole_number") });
    if (!Number.isInteger(f.first_blood)) out.push({ field: `flags[${i}].first_blood`, message: t("editor.whole_number") });
  });
  return out;
}

// ---- Loading and saving -----------------------------------------------------------------

function problem(title, text) {
  $("#editor").classList.add("hidden");
  $("#problem").classList.remove("hidden");
  $("#problem-title").textContent = title;
  $("#problem-text").textContent = text;
}

async function fetchStored() {
  const [p, e] = await Promise.all([api("GET", `/api/meetings/${id}/plan`), api("GET", `/api/meetings/${id}/editing`)]);
  if (p.status === 401 || e.status === 401) { sessionGone(); return null; }
  if (!p.ok || !e.ok) {
    const r = p.ok ? e : p;
    if (r.status === 404) problem(t("editor.not_found"), t("editor.not_found_text"));
    else if (r.status === 403) problem(t("editor.forbidden"), t("editor.forbidden_text"));
    else problem(t("editor.load_failed"), failure(r));
    return null;
  }
  return { file: p.data, editing: e.data };
}

function adopt(file, editing) {
  info = editing;
  plan = modelFrom(file);
  baseline = serialize();
  previews = new Set();
}

async function load() {
  if (id === null) {
    plan = freshPlan();
    baseline = serialize();
    info = null;
  } else {
    const stored = await fetchStored();
    if (!stored) return;
    adopt(stored.file, stored.editing);
  }
  $("#editor").classList.remove("hidden");
  renderAll();
  offerDraft();
  watchProgress();
  if (new URLSearchParams(location.search).get("import") === "gift") openGift();
  else if (id === null && !draftPending) $("#s-title").focus();
  // A link to a section (the dashboard's "Edit bots": #bots-card) lands there once drawn.
  else if (location.hash.length > 1) document.getElementById(decodeURIComponent(location.hash.slice(1)))?.scrollIntoView({ block: "start" });
}

/// While a meeting can still move on, how far it got is asked again now and then: an
/// activity it reaches meanwhile becomes locked here too.
let progressTimer = null;
function watchProgress() {
  clearInterval(progressTimer);
  if (id === null || info?.status === "after") return;
  progressTimer = setInterval(async () => {
    if (document.hidden || saving) return;
    const res = await api("GET", `/api/meetings/${id}/editing`);
    if (!res.ok) return;
    const moved = res.data.reached !== info.reached || res.data.status !== info.status;
    info = res.data;
    if (moved) { renderActivities(); renderRunningBanner(); renderHead(); }
  }, 5000);
}

function sessionGone() {
  writeDraftNow();
  leaving = true;
  try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
  location.reload();
}

function writeDraftNow() {
  clearTimeout(draftTimer);
  const pending = draftPending;
  draftPending = null;
  writeDraft();
  draftPending = pending;
}

async function save() {
  if (saving || !plan) return;
  const file = fileOf();
  const local = localProblems(file);
  if (local.length) {
    showErrors(local);
    renderSaveState(t("editor.not_saved_problems"));
    // A problem found here is next to what was just edited: its field takes focus (the
    // summary above still lists every problem).
    const first = local[0].field && targetOf(local[0].field);
    const node = first && document.getElementById(first);
    const target = node?.matches("input, select, textarea") ? node : node?.querySelector("input, select, textarea") || node;
    if (target) { target.scrollIntoView({ block: "center" }); target.focus({ preventScroll: true }); }
    return;
  }
  saving = true;
  renderSaveState(t("editor.saving"));
  const creating = id === null;
  const res = creating ? await api("POST", "/api/meetings", file) : await api("PUT", `/api/meetings/${id}/plan`, file);
  saving = false;
  if (res.status === 401) { sessionGone(); return; }
  if (res.ok) {
    errors = new Map(); loose = [];
    if (creating) {
      dropDraft();
      id = res.data.id;
      const url = new URL(location.href);
      url.searchParams.delete("import");
      url.searchParams.set("meeting", id);
      history.replaceState(null, "", url);
      const stored = await fetchStored();
      if (!stored) return;
      adopt(stored.file, stored.editing);
    } else {
      const e = await api("GET", `/api/meetings/${id}/editing`);
      adopt(res.data, e.ok ? e.data : info);
    }
    dropDraft();
    draftPending = null;
    dropBanner("draft");
    savedAt = Date.now();
    renderAll();
    watchProgress();
    announce(t("editor.saved"));
    return;
  }
  if (res.status === 400 && res.data?.error === "invalid_plan") {
    showErrors(res.data.errors || [{ field: null, message: res.data.message }]);
    renderSaveState(t("editor.not_saved_problems"));
    return;
  }
  if (res.status === 409 && res.data?.error === "plan_locked") { await conflict(res.data, file); return; }
  showErrors([{ field: null, message: failure(res) }]);
  renderSaveState(t("editor.not_saved"));
}

/// The meeting moved on (or someone saved) while these edits were made: the stored plan
/// comes back, and the edits stay available as a new meeting or a file.
async function conflict(data, mine) {
  conflictCopy = mine;
  savedAt = null;
  const stored = await fetchStored();
  if (!stored) return;
  adopt(stored.file, stored.editing);
  errors = new Map(); loose = [];
  renderAll();
  watchProgress();
  const node = banner("bad", "conflict", [
    el("p", {}, el("strong", {}, t("editor.conflict_title"))),
    el("p", {}, conflictText(data)),
    el("p", { class: "muted" }, t("editor.conflict_text")),
  ], [
    el("button", { type: "button", class: "small", id: "conflict-copy", onclick: saveCopy }, t("editor.conflict_copy")),
    el("button", { type: "button", class: "secondary small", onclick: () => download(conflictCopy) }, glyph("download"), t("editor.conflict_download")),
    el("button", { type: "button", class: "secondary small", onclick: () => dropBanner("conflict") }, t("editor.dismiss")),
  ]);
  node.tabIndex = -1;
  node.focus();
}

/// The 409's reason in words: which activity the meeting reached, or the server's message
/// with its place named.
function conflictText(data) {
  const act = /^activities\[(\d+)\]$/.exec(data.field || "");
  if (act) return t("editor.conflict_reached", { n: Number(act[1]) + 1 });
  const place = placeOf(data.field);
  const text = bare(data.field, data.message);
  return place ? `${place}: ${text}` : text;
}

async function saveCopy() {
  const copy = { ...conflictCopy, title: t("editor.copy_title", { title: conflictCopy.title }).slice(0, 200) };
  const res = await api("POST", "/api/meetings", copy);
  if (!res.ok) {
    const why = res.data?.errors?.map((e) => e.message).join(" ") || failure(res);
    banner("bad", "conflict-copy", el("p", {}, why));
    return;
  }
  dropBanner("conflict");
  banner("ok", "conflict-copy", el("p", {}, t("editor.copy_saved"), " ",
    el("a", { href: `/editor.html?meeting=${res.data.id}` }, t("editor.copy_open"))));
}

function download(file) {
  const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `meeting-${id ?? "new"}-edits.json`, class: "hidden" });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

$("#editor").addEventListener("submit", (ev) => { ev.preventDefault(); save(); });
document.addEventListener("keydown", (ev) => {
  if ((ev.ctrlKey || ev.metaKey) && !ev.altKey && ev.key.toLowerCase() === "s") {
    ev.preventDefault();
    if (plan && !$("#editor").classList.contains("hidden")) save();
  }
});
window.addEventListener("beforeunload", (ev) => {
  if (leaving || !isDirty()) return;
  writeDraftNow();
  ev.preventDefault();
  ev.returnValue = "";
});

// ---- GIFT import ------------------------------------------------------------------------

let giftDialog = null;
function openGift() {
  if (!giftDialog) {
    const area = el("textarea", { id: "gift-text", rows: "10", class: "mono", spellcheck: "false", "aria-describedby": "gift-hint gift-error" });
    const file = el("input", { type: "file", id: "gift-file", accept: ".txt,.gift,text/plain", hidden: true });
    const pick = el("button", { type: "button", class: "secondary small", id: "gift-pick" }, glyph("upload"), el("span", {}, t("editor.gift_pick")));
    pick.addEventListener("click", () => file.click());
    file.addEventListener("change", async () => {
      const f = file.files?.[0];
      file.value = "";
      if (!f) return;
      area.value = await f.text();
      area.focus();
    });
    area.addEventListener("input", () => { $("#gift-error").textContent = ""; area.removeAttribute("aria-invalid"); });
    giftDialog = el("dialog", { class: "confirm wide-dialog", id: "gift-dialog", "aria-labelledby": "gift-title" },
      el("h2", { id: "gift-title" }, t("editor.gift_title")),
      el("p", { id: "gift-hint" }, t("editor.gift_text")),
      el("div", { class: "gift-label-row" }, el("label", { for: "gift-text" }, t("editor.gift_label")), pick, file),
      area,
      el("p", { class: "field-error", id: "gift-error" }),
      el("div", { class: "dialog-actions" },
        el("button", { type: "button", class: "secondary", id: "gift-cancel" }, t("dialog.cancel")),
        el("button", { type: "button", id: "gift-add" }, t("editor.gift_add"))));
    document.body.append(giftDialog);
    $("#gift-cancel", giftDialog).addEventListener("click", () => giftDialog.close());
    $("#gift-add", giftDialog).addEventListener("click", importGift);
  }
  $("#gift-error").textContent = "";
  giftDialog.showModal();
  $("#gift-text").focus();
}

/// An untouched new plan's empty first slide gives way to imported questions.
function untouchedStart() {
  const a = plan.activities;
  return id === null && a.length === 1 && a[0].kind === "text" && !a[0].title.trim() && !a[0].description.trim();
}

async function importGift() {
  const area = $("#gift-text"), out = $("#gift-error");
  if (!area.value.trim()) { out.textContent = t("editor.gift_empty"); area.setAttribute("aria-invalid", "true"); area.focus(); return; }
  const res = await api("POST", "/api/import/gift", { text: area.value });
  if (!res.ok) {
    out.textContent = res.data?.error === "invalid_gift" ? t("editor.gift_invalid", { line: res.data.line, message: res.data.message }) : failure(res);
    area.setAttribute("aria-invalid", "true");
    area.focus();
    if (res.status === 401) sessionGone();
    return;
  }
  const added = (res.data.activities || []).map(activityFrom);
  const skipped = res.data.skipped || [];
  if (added.length && untouchedStart()) plan.activities = [];
  plan.activities.push(...added);
  giftDialog.close();
  area.value = "";
  changed();
  renderActivities();
  const lines = skipped.map((s) => el("li", {}, t("editor.gift_skipped_line", { line: s.line, message: s.message })));
  banner(added.length ? (skipped.length ? "warn" : "ok") : "bad", "gift", [
    el("p", {}, el("strong", {}, t("editor.gift_added", { n: added.length })), added.length ? " " + t("editor.gift_save_hint") : ""),
    skipped.length ? el("p", {}, t("editor.gift_skipped", { n: skipped.length })) : null,
    skipped.length ? el("ul", { class: "report-list" }, ...lines) : null,
  ], [el("button", { type: "button", class: "secondary small", onclick: () => dropBanner("gift") }, t("editor.dismiss"))]);
  if (added.length) focusActivity(added[0]._k);
}

// ---- Wiring -----------------------------------------------------------------------------

for (const b of $$("[data-add]")) b.addEventListener("click", () => addActivity(b.dataset.add));
for (const b of $$("[data-add-bot]")) b.addEventListener("click", () => addBot(b.dataset.addBot));
$("#gift-open").addEventListener("click", openGift);
$("#logout").addEventListener("click", () => {
  if (isDirty()) writeDraftNow();
  leaving = true;
  logout();
});
bindSettings();
onLangChange(() => {
  if (plan) renderAll();
  // The GIFT dialog is built in the page's language: the next opening builds it anew.
  if (giftDialog && !giftDialog.open) { giftDialog.remove(); giftDialog = null; }
});

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  await load();
})();
