// Bar charts for polls and quizzes. Rows are kept by choice id between updates, so a new
// count animates the bar (CSS transition on width) instead of redrawing it.

import { el } from "./common.js";
import { t } from "./i18n.js";

export class Bars {
  constructor(container) { this.box = container; this.question = null; this.rows = new Map(); }

  clear() { this.box.replaceChildren(); this.rows.clear(); this.question = null; }

  /// `results`: {counts, total, correct}; `opts.reveal` marks the correct choices,
  /// `opts.mine` the participant's own choice; `opts.split(choiceId)` a line under the
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
      r.row.classList.toggle("mine", mine === c.id);
      r.row.setAttribute("aria-label", t("bars.row", { choice: c.text, n, pct }) + (correct.has(c.id) ? ` (${t("quiz.correct_choice")})` : ""));
    }
  }
}
