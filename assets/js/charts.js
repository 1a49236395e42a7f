// Bar charts for polls and quizzes. Rows are kept by choice id between updates, so a new
// count animates the bar (CSS transition on width) instead of redrawing it.

import { el } from "./common.js";
import { t, currentLang } from "./i18n.js";

export class Bars {
  constructor(container) { this.box = container; this.question = null; this.rows = new Map(); }

  clear() { this.box.replaceChildren(); this.rows.clear(); this.question = null; }

  /// `results`: {counts, total, correct}; `opts.reveal` marks the correct choices,
  /// `opts.mine` the participant's own choice (or choices: an array); `opts.split(choiceId)` a line under the
  /// label (staff: the counts by platform); `opts.hidden`: the same rows, empty and without
  /// numbers (a quiz before its reveal keeps its layout: the reveal only fills the bars).
  update(question, results, { reveal = false, mine = null, split = null, hidden = false } = {}) {
    if (this.question !== question.id) {
      this.clear();
      this.question = question.id;
      for (const c of question.choices) {
        const fill = el("div", { class: "bar-fill" });
        const count = el("span", { class: "count" });
        const sub = el("span", { class: "split" });
        const row = el("div", { class: "bar-row", "data-choice": c.id },
          el("span", { class: "letter", "aria-hidden": "true" }, c.slug),
          el("span", { class: "label" }, c.text), count,
          el("div", { class: "bar-track", role: "presentation" }, fill), sub);
        this.rows.set(c.id, { row, fill, count, sub });
        this.box.append(row);
      }
    }
    const total = results?.total || 0;
    const correct = new Set(reveal ? results?.correct || [] : []);
    for (const c of question.choices) {
      const r = this.rows.get(c.id);
      if (!r) continue;
      const n = results?.counts?.[String(c.id)] || 0;
      const pct = total ? Math.round((100 * n) / total) : 0;
      // Set on the next frame so a freshly built row animates from 0.
      requestAnimationFrame(() => { r.fill.style.width = hidden ? "0%" : `${pct}%`; });
      r.count.textContent = hidden ? "" : `${n} · ${pct}%`;
      r.row.classList.toggle("waiting", hidden);
      if (hidden) { r.row.setAttribute("aria-label", c.text); r.sub.hidden = true; continue; }
      const line = split ? split(c.id) : null;
      r.sub.textContent = line || "";
      r.sub.hidden = !line;
      r.row.classList.toggle("correct", correct.has(c.id));
      r.row.classList.toggle("mine", Array.isArray(mine) ? mine.includes(c.id) : mine === c.id);
      r.row.setAttribute("aria-label", t("bars.row", { choice: c.text, n, pct }) + (correct.has(c.id) ? ` (${t("quiz.correct_choice")})` : ""));
    }
  }
}

// ---- Ratings, grids, multi-select (issue 14): helpers and charts shared by the phone, the
// presenter and the activity overlay. A `scale` activity's results carry `rating`
// ({count, mean, median, distribution}); a `grid`'s carry `items` (one per item, in choice
// order), `ranking` (item ids, best first by Bayesian average), `global_mean` and
// `prior_weight` (docs/protocol.md).

/// A scale's `{min, max, labels}`, with the contract's default (1–5, no labels).
export function scaleOf(q) {
  const s = q?.scale || {};
  const min = Number.isInteger(s.min) ? s.min : 1;
  const max = Number.isInteger(s.max) && s.max > min ? s.max : min + 4;
  return { min, max, labels: Array.isArray(s.labels) ? s.labels.map(String) : [] };
}

/// Every value of a scale, lowest first.
export function scaleValues(sc) {
  return Array.from({ length: sc.max - sc.min + 1 }, (_, i) => sc.min + i);
}

/// One label per value (`labels` as long as the scale), else null.
export function perValueLabels(sc) {
  return sc.labels.length === sc.max - sc.min + 1 && sc.labels.length > 2 ? sc.labels : null;
}

/// The low and high end's labels (two labels, or the first and last of one per value).
export function endLabels(sc) {
  if (sc.labels.length === 2 && sc.max - sc.min + 1 !== 2) return sc.labels;
  if (sc.labels.length === sc.max - sc.min + 1 && sc.labels.length >= 2) return [sc.labels[0], sc.labels[sc.labels.length - 1]];
  return null;
}

/// The label of one value, when the scale has one for it.
export function labelOf(sc, v) {
  if (sc.labels.length === sc.max - sc.min + 1) return sc.labels[v - sc.min] ?? null;
  if (sc.labels.length === 2) return v === sc.min ? sc.labels[0] : v === sc.max ? sc.labels[1] : null;
  return null;
}

/// A poll or quiz where each person may pick several choices.
export function isMulti(q) {
  return (q?.kind === "poll" || q?.kind === "quiz") && Number(q.max_choices) > 1;
}

/// A number as this language writes it ("6.4", "6,4"); `fixed`: always that many decimals.
/// "–" for nothing (nobody rated yet).
export function num(v, digits = 1, fixed = false) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return "–";
  return new Intl.NumberFormat(currentLang(), { maximumFractionDigits: digits, minimumFractionDigits: fixed ? digits : 0 }).format(Number(v));
}

/// "In chat, type …" for the current activity, as text and `.slug` chips: poll `#a #b #c`,
/// multi-select `#a #c`, scale `#0 … #10`, grid `#a4 #b5`, word cloud `# and your word`.
/// `items`: a Q&A's approved questions (its example upvote names the top one).
export function chatHintParts(q, prefix, items = null) {
  const chip = (text) => el("span", { class: "slug" }, `${prefix}${text}`);
  const around = (text, chips) => {
    const [before, after] = text.split("\u0000");
    return [before, ...chips, after ?? ""];
  };
  if (q.kind === "wordcloud") return [t("present.chat_word", { prefix })];
  // Chips where the sentence has {name}: the translation decides their order.
  const fill = (key, chips) => t(key).split(/\{(\w+)\}/).map((part, i) => (i % 2 ? chips[part] ?? part : part));
  if (q.kind === "text_answer") return fill("present.chat_text", { example: chip(t("present.chat_text_example")) });
  if (q.kind === "qna") {
    // The example upvotes the question on top (or #1 before any).
    const top = (items ?? []).find((it) => !it.answered) ?? items?.[0];
    return fill("present.chat_qna", { upvote: chip(`+${top?.id ?? 1}`), ask: chip(t("present.chat_qna_example")) });
  }
  if (q.kind === "scale") {
    const sc = scaleOf(q);
    return around(t("kinds.chat_scale", { slugs: "\u0000" }), [chip(sc.min), " … ", chip(sc.max)]);
  }
  if (q.kind === "grid") {
    const sc = scaleOf(q);
    const [a, b] = q.choices;
    const good = sc.min + Math.round((sc.max - sc.min) * 0.75);
    const chips = [chip(`${a?.slug ?? "a"}${good}`), " ", chip(`${b?.slug ?? "b"}${sc.max}`)];
    return around(t("kinds.chat_grid", { slugs: "\u0000", min: sc.min, max: sc.max }), chips);
  }
  if (isMulti(q)) {
    const picks = [q.choices[0], q.choices[2] ?? q.choices[1]].filter(Boolean);
    const chips = picks.flatMap((c, i) => (i ? [" ", chip(c.slug)] : [chip(c.slug)]));
    return around(t("kinds.chat_multi", { slugs: "\u0000", k: q.max_choices }), chips);
  }
  return around(t("present.chat_vote", { slugs: "\u0000" }), q.choices.map((c) => chip(c.slug)));
}

// ---- Open questions, Q&A, leaderboard (issue 15): helpers shared by the phone, the
// presenter and the activity overlay.

/// The most characters of an answer or a question (`question.max_text_chars`, else 280).
export function maxText(q) {
  const n = Number(q?.max_text_chars);
  return Number.isInteger(n) && n > 0 ? n : 280;
}

/// Characters as the server counts them (Unicode scalar values, after trimming).
export function charCount(text) {
  return [...String(text ?? "").trim()].length;
}

/// Folds an `items` frame (an open question's answers, a Q&A's questions) into the last
/// `state`; true when it is the current activity's.
export function mergeItems(state, f) {
  if (f.type !== "items" || !state || state.question?.id !== f.question_id) return false;
  const { type: _type, ...rest } = f;
  state.items = rest;
  return true;
}

/// The current activity's items (`[]` before any), as the server ordered them.
export function itemsOf(state) {
  const it = state?.items;
  return it && it.question_id === state.question?.id && Array.isArray(it.items) ? it.items : [];
}

/// A leaderboard row's move: `{dir: "up"|"down"|"same"|"new", n, text, label}`.
export function rankMove(row) {
  const prev = Number(row.previous_rank);
  if (!Number.isInteger(prev) || prev < 1) return { dir: "new", n: 0, text: t("present.lb_new"), label: t("present.lb_new_label") };
  const n = prev - row.rank;
  if (n > 0) return { dir: "up", n, text: `▲${n}`, label: t("present.lb_up", { n }) };
  if (n < 0) return { dir: "down", n: -n, text: `▼${-n}`, label: t("present.lb_down", { n: -n }) };
  return { dir: "same", n: 0, text: "=", label: t("present.lb_same") };
}

/// Tick values under a long scale's bars: every value up to 21 of them, else round steps
/// (0, 10, 20 … 100; on a phone 0, 25, 50 …) and both ends.
function ticks(sc, most = 10) {
  const span = sc.max - sc.min;
  if (span <= 20) return new Set(scaleValues(sc));
  const step = [5, 10, 20, 25, 50].find((s) => span / s <= most) ?? 50;
  const out = new Set([sc.min, sc.max]);
  for (let v = Math.ceil(sc.min / step) * step; v <= sc.max; v += step) {
    // Not so close to an end that two numbers would touch.
    if (v - sc.min >= step / 2 && sc.max - v >= step / 2) out.add(v);
  }
  return out;
}

/// A scale's distribution: one bar per value (its count above it while there is room), the
/// value under it and the scale's labels under that; the mean and the median large beside
/// it, with the number of ratings. `mine`: the participant's own value, marked.
export class Histogram {
  constructor(container, { compact = false } = {}) {
    this.box = container; this.compact = compact; this.question = null; this.cols = [];
  }

  clear() { this.box.replaceChildren(); this.cols = []; this.question = null; }

  build(question) {
    this.clear();
    this.question = question.id;
    const sc = scaleOf(question);
    this.scale = sc;
    const values = scaleValues(sc);
    const n = values.length;
    const shownTicks = ticks(sc, this.compact ? 4 : 10);
    const perValue = n <= 11 ? perValueLabels(sc) : null;
    const ends = perValue ? null : endLabels(sc);
    this.mean = el("span", { class: "stat-value" });
    this.median = el("span", { class: "stat-value" });
    this.count = el("p", { class: "hist-n" });
    const stats = el("div", { class: "hist-stats" },
      el("div", { class: "stat-big mean" }, this.mean, el("span", { class: "stat-label" }, t("kinds.mean"))),
      el("div", { class: "stat-big median" }, this.median, el("span", { class: "stat-label" }, t("kinds.median"))),
      this.count);
    this.marker = el("div", { class: "hist-mean-line", "aria-hidden": "true" });
    this.empty = el("p", { class: "hist-empty" }, t("kinds.no_ratings"));
    const bars = el("div", { class: "hist-bars" });
    const axis = el("div", { class: "hist-axis", "aria-hidden": "true" });
    for (const [i, v] of values.entries()) {
      const fill = el("div", { class: "hist-bar" });
      const count = el("span", { class: "hist-count" });
      const col = el("div", { class: "hist-col", "data-value": v }, count, fill);
      bars.append(col);
      this.cols.push({ v, col, fill, count });
      if (shownTicks.has(v)) {
        // Styles through the CSSOM: the pages' CSP refuses `style` attributes.
        const tick = el("span", { class: "hist-tick" }, String(v));
        tick.style.gridColumn = String(i + 1);
        axis.append(tick);
      }
    }
    this.chart = el("div", { class: "hist-chart", role: "img" }, el("div", { class: "hist-plot" }, bars, this.marker, this.empty), axis);
    if (perValue) this.chart.append(el("div", { class: "hist-labels", "aria-hidden": "true" }, ...perValue.map((l) => el("span", { class: "hist-label", dir: "auto" }, l))));
    else if (ends) this.chart.append(el("div", { class: "hist-ends", "aria-hidden": "true" }, el("span", { dir: "auto" }, ends[0]), el("span", { dir: "auto" }, ends[1])));
    const root = el("div", { class: `hist${this.compact ? " compact" : ""}${n > 21 ? " dense" : ""}` }, stats, this.chart);
    root.style.setProperty("--n", String(n));
    this.box.append(root);
  }

  /// `results`: a scale's results or tally (`rating`); `mine`: a value or null.
  update(question, results, { mine = null } = {}) {
    if (this.question !== question.id) this.build(question);
    const sc = this.scale;
    const r = results?.rating || {};
    const dist = Array.isArray(r.distribution) ? r.distribution : [];
    const total = Number(r.count ?? results?.total ?? 0) || 0;
    const peak = Math.max(1, ...dist.map(Number).filter(Number.isFinite));
    const room = this.cols.length <= 21;
    for (const [i, c] of this.cols.entries()) {
      const k = Number(dist[i]) || 0;
      // `--room`: the height kept above the tallest bar for its count (CSS).
      requestAnimationFrame(() => { c.fill.style.height = `calc((100% - var(--room, 0px)) * ${k / peak})`; });
      c.count.textContent = room && k > 0 ? String(k) : "";
      c.col.classList.toggle("mine", mine === c.v);
    }
    const mean = Number.isFinite(r.mean) && total > 0 ? r.mean : null;
    const median = Number.isFinite(r.median) && total > 0 ? r.median : null;
    this.mean.textContent = num(mean, 1, true);
    this.median.textContent = num(median, 1);
    this.mean.classList.toggle("none", mean === null);
    this.median.classList.toggle("none", median === null);
    this.count.textContent = t("kinds.ratings", { n: total });
    this.empty.hidden = total > 0;
    this.marker.hidden = mean === null;
    if (mean !== null) this.marker.style.left = `${(100 * (mean - sc.min + 0.5)) / this.cols.length}%`;
    this.chart.setAttribute("aria-label", total > 0
      ? t("kinds.hist_label", { mean: num(mean, 1, true), median: num(r.median, 1), n: total, min: sc.min, max: sc.max })
      : t("kinds.no_ratings"));
  }
}

/// A grid's items ranked by Bayesian average, best first: the rank, the item, its mean as a
/// bar along the scale and in numbers, how many rated it (small), and one line saying how
/// the ranking is made. Rows are kept by item and slide to their new place when the ranking
/// changes. `limit`: only the first ones (the overlay's top 5); `mine`: the participant's
/// ratings by item id, shown beside each item.
export class Ranking {
  constructor(container, { limit = null, note = true } = {}) {
    this.box = container; this.limit = limit; this.withNote = note; this.question = null; this.rows = new Map();
  }

  clear() { this.box.replaceChildren(); this.rows.clear(); this.question = null; }

  build(question) {
    this.clear();
    this.question = question.id;
    this.scale = scaleOf(question);
    const many = question.choices.length > 10 && !this.limit;
    this.list = el("ol", { class: `rank-list${many ? " two-cols" : ""}` });
    // Two columns read down: 1–10 on the left, 11–20 on the right.
    if (many) this.list.style.setProperty("--rows", String(Math.ceil(question.choices.length / 2)));
    for (const c of question.choices) {
      const pos = el("span", { class: "rank-pos" });
      const mean = el("span", { class: "rank-mean" });
      const n = el("span", { class: "rank-n" });
      const mineBox = el("span", { class: "rank-mine" });
      const fill = el("div", { class: "bar-fill" });
      const row = el("li", { class: "rank-row", "data-choice": c.id },
        pos, el("span", { class: "letter", "aria-hidden": "true" }, c.slug),
        el("span", { class: "label", dir: "auto" }, c.text),
        el("span", { class: "rank-nums" }, mean, n), mineBox,
        el("div", { class: "bar-track", role: "presentation" }, fill));
      this.rows.set(c.id, { row, pos, mean, n, fill, mineBox, text: c.text });
    }
    this.note = el("p", { class: "rank-note" });
    this.box.append(this.list);
    if (this.withNote) this.box.append(this.note);
  }

  update(question, results, { mine = null } = {}) {
    if (this.question !== question.id) this.build(question);
    const sc = this.scale;
    const byId = new Map((results?.items || []).map((it) => [it.choice_id, it]));
    const ids = question.choices.map((c) => c.id);
    const ranking = (results?.ranking || []).filter((id) => this.rows.has(id));
    const order = [...ranking, ...ids.filter((id) => !ranking.includes(id))];
    const shown = this.limit ? order.slice(0, this.limit) : order;
    // FLIP: where each row was, then where it goes, then slide from the one to the other.
    const before = new Map();
    for (const [id, r] of this.rows) if (r.row.isConnected) before.set(id, r.row.getBoundingClientRect());
    let rank = 0, prev = null;
    for (const [i, id] of shown.entries()) {
      const r = this.rows.get(id);
      const it = byId.get(id) || {};
      const count = Number(it.count) || 0;
      const mean = count > 0 && Number.isFinite(it.mean) ? it.mean : null;
      const score = Number.isFinite(it.bayes) ? it.bayes : null;
      if (score === null || score !== prev) { rank = i + 1; prev = score; }
      r.pos.textContent = ranking.length && count > 0 ? String(rank) : "–";
      r.mean.textContent = num(mean, 1, true);
      r.n.textContent = t("kinds.ratings", { n: count });
      const part = mean === null ? 0 : (mean - sc.min) / (sc.max - sc.min);
      requestAnimationFrame(() => { r.fill.style.width = `${Math.max(0, Math.min(1, part)) * 100}%`; });
      const given = mine ? mine[String(id)] ?? mine[id] : undefined;
      r.mineBox.textContent = given === undefined || given === null ? "" : t("kinds.your_short", { value: num(given, 0) });
      r.mineBox.hidden = !r.mineBox.textContent;
      r.row.classList.toggle("first", rank === 1 && count > 0 && ranking.length > 0);
      r.row.setAttribute("aria-label", t("kinds.rank_row", { rank: r.pos.textContent, item: r.text, mean: num(mean, 1, true), n: count }));
      if (this.list.children[i] !== r.row) this.list.insertBefore(r.row, this.list.children[i] ?? null);
    }
    for (const [id, r] of this.rows) if (!shown.includes(id)) r.row.remove();
    const moved = [];
    for (const id of shown) {
      const r = this.rows.get(id);
      const was = before.get(id);
      if (was === undefined) continue;
      const now = r.row.getBoundingClientRect();
      const dx = was.left - now.left, dy = was.top - now.top;
      if (Math.abs(dx) < 1 && Math.abs(dy) < 1) continue;
      r.row.style.transition = "none";
      r.row.style.transform = `translate(${dx}px, ${dy}px)`;
      moved.push(r.row);
    }
    if (moved.length) {
      void this.list.offsetWidth; // the old places are drawn first: then they slide
      requestAnimationFrame(() => { for (const row of moved) { row.style.transition = ""; row.style.transform = ""; } });
    }
    const c = Number(results?.prior_weight ?? question.prior_weight ?? 0);
    this.note.textContent = c > 0
      ? t("kinds.ranking_rule", { c, mean: num(results?.global_mean ?? null, 1, true) })
      : t("kinds.ranking_rule_plain");
  }
}

/* ---- Ratings, grids, multi-select (staff: dashboard and results page) ---------------- */

/// A kind's name: `kind.<kind>`, else (the rating kinds) `staffkinds.kind_<kind>`.
export function kindName(kind) {
  const key = `kind.${kind}`;
  const s = t(key);
  return s === key ? t(`staffkinds.kind_${kind}`) : s;
}

/// A mean, median or score as this language writes it ("4.25", "4,25"); "—" for none.
export function ratingNumber(x, digits = 2) {
  if (x === null || x === undefined || Number.isNaN(Number(x))) return "—";
  return Number(x).toLocaleString(currentLang(), { maximumFractionDigits: digits });
}

/// The label of value `v` on `scale` (one per value, or the two ends), or "".
export function scaleValueLabel(scale, v) {
  const labels = scale?.labels || [];
  const n = scale.max - scale.min + 1;
  if (labels.length === n) return labels[v - scale.min] ?? "";
  if (labels.length === 2) return v === scale.min ? labels[0] : v === scale.max ? labels[1] : "";
  return "";
}

/// At most `max` columns: neighbouring values summed ("0–4", "5–9", …); `width` is how
/// many values a column holds.
function binned(scale, distribution, max) {
  const n = scale.max - scale.min + 1;
  const counts = Array.from({ length: n }, (_, i) => Number(distribution?.[i] || 0));
  if (n <= max) return { width: 1, cols: counts.map((c, i) => ({ from: scale.min + i, to: scale.min + i, count: c })) };
  const width = Math.ceil(n / max);
  const cols = [];
  for (let i = 0; i < n; i += width) {
    const part = counts.slice(i, i + width);
    cols.push({ from: scale.min + i, to: scale.min + i + part.length - 1, count: part.reduce((a, b) => a + b, 0) });
  }
  return { width, cols };
}

/// A column chart of how many gave each value, drawn into `box` and updated in place (the
/// columns grow: CSS transition on their height). Past 21 values (11 when `compact`: a
/// grid's item, without numbers) neighbouring values share a column. The mean is a marker
/// on the axis, the median's column stands out.
export function drawDistribution(box, scale, distribution, { mean = null, median = null, compact = false } = {}) {
  const { width, cols } = binned(scale, distribution, compact ? 11 : 21);
  const key = `${scale.min}:${scale.max}:${compact}:${cols.length}:${(scale.labels || []).join("\u0001")}`;
  const n = cols.length;
  const showCounts = !compact && n <= 21;
  const labelEach = !compact && (scale.labels || []).length === scale.max - scale.min + 1 && n <= 11;
  if (box._lkDist?.key !== key) {
    const plot = el("div", { class: "dist-plot" });
    const colsBox = el("div", { class: "dist-cols" });
    colsBox.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
    const parts = cols.map((c) => {
      const bar = el("span", { class: "dist-bar" });
      const count = el("span", { class: "dist-n" });
      const col = el("div", { class: "dist-col", "data-value": String(c.from) }, showCounts ? count : null, bar);
      colsBox.append(col);
      return { col, bar, count };
    });
    const mark = el("span", { class: "dist-mean", hidden: true }, compact ? null : el("span", { class: "dist-mean-label" }));
    plot.append(colsBox, mark);
    const root = el("div", { class: `dist${compact ? " compact" : ""}${n > 21 ? " many" : ""}` }, plot);
    if (!compact) {
      const axis = el("div", { class: "dist-axis" });
      axis.style.gridTemplateColumns = `repeat(${n}, minmax(0, 1fr))`;
      // Every column's value up to 11 columns; past that every other one (and the last).
      const step = Math.ceil(n / 11);
      const ticks = cols.map((_, i) => i).filter((i) => i % step === 0 || i === n - 1);
      for (const i of ticks) {
        const tick = el("span", { class: "dist-tick" }, el("span", { class: "dist-v" }, String(cols[i].from)),
          labelEach ? el("span", { class: "dist-vl" }, scaleValueLabel(scale, cols[i].from)) : null);
        tick.style.gridColumn = `${i + 1}`;
        axis.append(tick);
      }
      root.append(axis);
      const labels = scale.labels || [];
      if (!labelEach && labels.length >= 2) {
        root.append(el("div", { class: "dist-ends" }, el("span", {}, scaleValueLabel(scale, scale.min)), el("span", {}, scaleValueLabel(scale, scale.max))));
      }
    } else root.append(el("div", { class: "dist-mini-axis", "aria-hidden": "true" }, el("span", {}, String(scale.min)), el("span", {}, String(scale.max))));
    box.replaceChildren(root);
    box._lkDist = { key, parts, mark };
  }
  const { parts, mark } = box._lkDist;
  const top = Math.max(1, ...cols.map((c) => c.count));
  const total = cols.reduce((a, c) => a + c.count, 0);
  const med = median === null || median === undefined ? null : Number(median);
  cols.forEach((c, i) => {
    const p = parts[i];
    const h = c.count ? Math.max(3, (100 * c.count) / top) : 0;
    requestAnimationFrame(() => { p.bar.style.height = `${h}%`; });
    p.count.textContent = c.count ? String(c.count) : "";
    p.col.classList.toggle("is-median", !compact && med !== null && med >= c.from - 0.25 && med <= c.to + 0.25 && total > 0);
    p.col.title = `${c.from === c.to ? c.from : `${c.from}–${c.to}`}: ${c.count}`;
  });
  const span = scale.max - scale.min + 1;
  if (mean !== null && mean !== undefined && total > 0) {
    mark.hidden = false;
    // Values are centred in their columns, each column `width` values wide.
    mark.style.left = `${(100 * (Number(mean) - scale.min + 0.5)) / (width * n)}%`;
    const label = mark.querySelector(".dist-mean-label");
    if (label) label.textContent = t("staffkinds.mean_short", { x: ratingNumber(mean) });
    mark.classList.toggle("near-end", (Number(mean) - scale.min) / Math.max(1, span - 1) > 0.8);
    mark.classList.toggle("near-start", (Number(mean) - scale.min) / Math.max(1, span - 1) < 0.2);
  } else mark.hidden = true;
  box.setAttribute("role", "img");
  box.setAttribute("aria-label", total
    ? t("staffkinds.dist_sr", { min: scale.min, max: scale.max, n: total, mean: ratingNumber(mean), median: ratingNumber(median, 1), list: cols.filter((c) => c.count).map((c) => `${c.from === c.to ? c.from : `${c.from}–${c.to}`}: ${c.count}`).join(", ") })
    : t("staffkinds.dist_none", { min: scale.min, max: scale.max }));
}

/// A scale's results: mean (with the label nearest to it), median, how many rated, and
/// the distribution. `rating`: `{count, mean, median, distribution}` (null: nobody yet).
export function drawRating(box, scale, rating) {
  if (!box._lkRating) {
    const mean = el("strong", { class: "rv-mean" });
    const meanOf = el("span", { class: "rv-of" });
    const meanLabel = el("span", { class: "rv-label" });
    const median = el("strong", {});
    const count = el("strong", {});
    const dist = el("div", { class: "dist-box" });
    box.replaceChildren(el("div", { class: "rating-view" },
      el("div", { class: "rv-stats" },
        el("div", { class: "rv-stat rv-main" }, el("span", { class: "muted" }, t("staffkinds.mean")), el("span", { class: "rv-big" }, mean, meanOf), meanLabel),
        el("div", { class: "rv-stat" }, el("span", { class: "muted" }, t("staffkinds.median")), median),
        el("div", { class: "rv-stat" }, el("span", { class: "muted" }, t("staffkinds.ratings")), count)),
      dist));
    box._lkRating = { mean, meanOf, meanLabel, median, count, dist };
  }
  const r = box._lkRating;
  const n = rating?.count || 0;
  r.mean.textContent = n ? ratingNumber(rating.mean) : "—";
  r.meanOf.textContent = ` / ${scale.max}`;
  const near = n && rating.mean !== null ? scaleValueLabel(scale, Math.round(rating.mean)) : "";
  r.meanLabel.textContent = near ? `≈ ${near}` : "";
  r.meanLabel.hidden = !near;
  r.median.textContent = n ? ratingNumber(rating.median, 1) : "—";
  r.count.textContent = String(n);
  drawDistribution(r.dist, scale, rating?.distribution || [], { mean: rating?.mean ?? null, median: rating?.median ?? null });
}

/// A grid's items ranked by their Bayesian average, best first: rank, item, score on the
/// scale (a bar), mean, median and count, and a small distribution. Rows are kept by item
/// and slide to their new place when the ranking changes. `items`: the choices
/// (`{id, slug, text}`); `results`: `{items, ranking, global_mean, prior_weight}`.
export function drawGrid(box, items, scale, results) {
  const key = items.map((c) => c.id).join(",") + `:${scale.min}:${scale.max}`;
  if (box._lkGrid?.key !== key) {
    const list = el("ol", { class: "grid-rank" });
    const rows = new Map();
    for (const c of items) {
      const rank = el("span", { class: "gr-rank" });
      const fill = el("span", { class: "gr-fill" });
      const tick = el("span", { class: "gr-tick", hidden: true });
      const meta = el("span", { class: "gr-meta" });
      const score = el("strong", {});
      const dist = el("div", { class: "gr-dist" });
      const row = el("li", { class: "gr-row", "data-item": String(c.id) },
        rank,
        el("span", { class: "letter", "aria-hidden": "true" }, c.slug),
        el("div", { class: "gr-main" },
          el("span", { class: "gr-text" }, c.text),
          el("div", { class: "gr-track", role: "presentation" }, fill, tick),
          meta),
        el("div", { class: "gr-score" }, score, el("span", { class: "gr-score-label" }, t("staffkinds.score"))),
        dist);
      rows.set(c.id, { row, rank, fill, tick, meta, score, dist, text: c.text });
      list.append(row);
    }
    box.replaceChildren(list);
    box._lkGrid = { key, list, rows };
  }
  const { list, rows } = box._lkGrid;
  const byId = new Map((results?.items || []).map((it) => [it.choice_id, it]));
  const ranking = (results?.ranking || []).filter((id) => rows.has(id));
  const order = [...ranking, ...items.map((c) => c.id).filter((id) => !ranking.includes(id))];
  const span = Math.max(1, scale.max - scale.min);
  const pos = (x) => `${Math.max(0, Math.min(100, (100 * (Number(x) - scale.min)) / span))}%`;
  for (const c of items) {
    const r = rows.get(c.id);
    const it = byId.get(c.id) || { count: 0, mean: null, median: null, distribution: [], bayes: null };
    const rated = it.count > 0;
    const better = it.bayes === null || it.bayes === undefined ? null
      : [...byId.values()].filter((o) => o.bayes !== null && o.bayes !== undefined && o.bayes > it.bayes + 1e-9).length;
    r.rank.textContent = better === null ? "–" : String(better + 1);
    r.row.classList.toggle("is-first", better === 0 && rated);
    r.row.classList.toggle("unrated", !rated);
    r.score.textContent = ratingNumber(it.bayes);
    requestAnimationFrame(() => { r.fill.style.width = it.bayes === null || it.bayes === undefined ? "0%" : pos(it.bayes); });
    r.tick.hidden = !rated;
    if (rated) r.tick.style.left = pos(it.mean);
    r.meta.textContent = rated
      ? t("staffkinds.item_meta", { mean: ratingNumber(it.mean), median: ratingNumber(it.median, 1), n: it.count })
      : t("staffkinds.item_none");
    drawDistribution(r.dist, scale, it.distribution || [], { compact: true, median: it.median });
    r.row.setAttribute("aria-label", rated
      ? t("staffkinds.item_sr", { rank: better === null ? "–" : better + 1, item: r.text, score: ratingNumber(it.bayes), mean: ratingNumber(it.mean), median: ratingNumber(it.median, 1), n: it.count })
      : `${r.text}: ${t("staffkinds.item_none")}`);
  }
  // New order: rows slide from where they were (FLIP); nothing moves when motion is reduced.
  const current = [...list.children].map((n) => Number(n.dataset.item));
  if (current.join(",") !== order.join(",")) {
    const before = new Map(order.map((id) => [id, rows.get(id).row.getBoundingClientRect().top]));
    for (const id of order) list.append(rows.get(id).row);
    if (!matchMedia("(prefers-reduced-motion: reduce)").matches) {
      for (const id of order) {
        const row = rows.get(id).row;
        const dy = before.get(id) - row.getBoundingClientRect().top;
        if (!dy) continue;
        row.style.transition = "none";
        row.style.transform = `translateY(${dy}px)`;
        requestAnimationFrame(() => requestAnimationFrame(() => { row.style.transition = ""; row.style.transform = ""; }));
      }
    }
  }
}
