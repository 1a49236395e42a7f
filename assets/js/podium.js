// The scoreboard: a podium for the first three, a ranked list for the rest.

import { el, icon } from "./common.js";
import { t } from "./i18n.js";
import { rankMove } from "./charts.js";

/// Twitch and YouTube viewers carry their platform's tag (room participants none).
function platform(row) {
  if (!row.platform || row.platform === "room") return null;
  return el("span", { class: `ptag ptag-${row.platform}` }, row.platform === "youtube" ? "YouTube" : "Twitch");
}

/// Competition ranks ("1, 1, 3"): equal scores share a rank, the next rank skips. A row's
/// own `rank` (the results page sends them) wins.
function ranked(rows) {
  let prev = null, rank = 0;
  return rows.map((r, i) => {
    if (r.score !== prev) { rank = i + 1; prev = r.score; }
    return { ...r, rank: r.rank ?? rank };
  });
}

/// `rows`: [{attendee_id, name, score, platform, rank?}] in rank order; `me`: the viewer's
/// attendee id. Ties share a rank and a podium step; nobody stands on the podium with 0
/// points (a designed empty state says why instead).
export function renderScoreboard(container, rows, { me = null, listLimit = 10 } = {}) {
  const all = ranked(rows);
  const scored = all.filter((r) => r.score > 0);
  if (!scored.length) {
    container.replaceChildren(el("div", { class: "board-empty" },
      icon("trophy", "board-empty-icon"),
      el("p", { class: "board-empty-title" }, t(rows.length ? "score.no_points" : "score.empty")),
      el("p", { class: "muted" }, t(rows.length ? "score.no_points_hint" : "score.empty_hint", { n: rows.length }))));
    return;
  }
  // The podium holds the first three places; a tie for a place puts both on its step.
  const top = scored.filter((r) => r.rank <= 3).slice(0, 5);
  // Left to right: second places, first places, third places.
  const order = [...top.filter((r) => r.rank === 2), ...top.filter((r) => r.rank === 1), ...top.filter((r) => r.rank === 3)];
  const podium = el("div", { class: "podium", role: "list", "aria-label": t("score.podium") },
    ...order.map((r) => el("div", { class: `step p${r.rank}${r.attendee_id === me ? " me" : ""}`, role: "listitem", "aria-label": t("score.place", { n: r.rank, name: r.name, score: r.score }) },
      el("span", { class: "name" }, platform(r), r.name),
      el("span", { class: "pts" }, t("score.points", { n: r.score })),
      el("div", { class: "block", "aria-hidden": "true" }, String(r.rank)))));
  // One column per step, centred (ties may make 2 to 5). Set through the CSSOM: the CSP
  // refuses style attributes.
  podium.style.setProperty("--steps", String(order.length));
  const shown = new Set(order.map((r) => r.attendee_id));
  const rest = all.filter((r) => !shown.has(r.attendee_id)).slice(0, Math.max(0, listLimit - order.length));
  const list = el("ol", { class: "ranking" },
    ...rest.map((r) => el("li", { class: r.attendee_id === me ? "me" : "" },
      el("span", { class: "pos" }, `${r.rank}.`), el("span", { class: "who" }, platform(r), r.name), el("span", { class: "pts" }, String(r.score)))));
  container.replaceChildren(podium, rest.length ? list : "");
}

/// The top five after a speed quiz (`state.leaderboard`, issue 15): rank, name, total, what
/// this quiz paid ("+950") and how each moved (▲2, ▼1, "new", "="), spoken in full for
/// screen readers. Drawn in the new order, each row first shown at its previous place and
/// then sliding to the new one (a newcomer rises from below the list). Drawn once per
/// leaderboard: a later frame with the same rows changes nothing.
export function renderLeaderboard(list, rows, { me = null } = {}) {
  if (!list) return;
  const key = JSON.stringify(rows);
  if (list.dataset.key === key) return;
  list.dataset.key = key;
  const top = rows.slice(0, 5);
  list.replaceChildren(...top.map((r) => {
    const move = rankMove(r);
    const gained = Number(r.gained) || 0;
    const li = el("li", { class: `lb-row lb-${move.dir}${r.rank <= 3 ? ` lb-top${r.rank}` : ""}${r.attendee_id === me ? " me" : ""}`, "data-attendee": r.attendee_id, "data-move": move.dir },
      el("span", { class: "lb-rank", "aria-hidden": "true" }, String(r.rank)),
      el("span", { class: "lb-name", dir: "auto" }, platform(r), r.name),
      el("span", { class: "lb-sub", "aria-hidden": "true" },
        el("span", { class: "lb-move" }, move.text),
        gained > 0 ? el("span", { class: "lb-gain" }, `+${gained}`) : null),
      el("span", { class: "lb-score", "aria-hidden": "true" }, String(r.score)),
      el("span", { class: "sr-only" }, t("present.lb_row", { rank: r.rank, name: r.name, score: r.score, gained, move: move.label })));
    return li;
  }));
  // Slide from the previous places: measured once drawn, one row's height apart.
  const rowsNow = [...list.children];
  if (!rowsNow.length || typeof rowsNow[0].animate !== "function" || matchMedia("(prefers-reduced-motion: reduce)").matches) return;
  const pitch = rowsNow.length > 1 ? rowsNow[1].offsetTop - rowsNow[0].offsetTop : rowsNow[0].offsetHeight;
  for (const [i, li] of rowsNow.entries()) {
    const r = top[i];
    const prev = Number(r.previous_rank);
    const from = Number.isInteger(prev) && prev >= 1 ? Math.min(prev, top.length + 1) - 1 : top.length;
    const outside = !(Number.isInteger(prev) && prev >= 1 && prev <= top.length);
    const dy = (from - i) * pitch;
    if (!dy && !outside) continue;
    li.animate([
      { transform: `translateY(${dy}px)`, opacity: outside ? 0 : 1 },
      { transform: `translateY(${dy}px)`, opacity: outside ? 0 : 1, offset: 0.3 },
      { transform: "none", opacity: 1 },
    ], { duration: 1500, easing: "cubic-bezier(.2, .8, .2, 1)", fill: "backwards" });
  }
}
