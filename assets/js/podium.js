// The scoreboard: a podium for the first three, a ranked list for the rest.

import { el } from "./common.js";
import { t } from "./i18n.js";

/// Twitch and YouTube viewers carry their platform's tag (room participants none).
function platform(row) {
  if (!row.platform || row.platform === "room") return null;
  return el("span", { class: `ptag ptag-${row.platform}` }, row.platform === "youtube" ? "YouTube" : "Twitch");
}

/// `rows`: [{attendee_id, name, score, platform, rank?}] in rank order; `me`: the viewer's
/// attendee id. A row's `rank` (equal scores share one, as on the results page) is shown
/// when given, else its place in the list.
export function renderScoreboard(container, rows, { me = null, listLimit = 10 } = {}) {
  const rank = (r, i) => r.rank ?? i + 1;
  const top = rows.slice(0, 3);
  const order = [1, 0, 2].filter((i) => top[i]);
  const podium = el("div", { class: "podium", role: "list", "aria-label": t("score.podium") },
    ...order.map((i) => el("div", { class: `step p${rank(top[i], i)}`, role: "listitem", "aria-label": t("score.place", { n: rank(top[i], i), name: top[i].name, score: top[i].score }) },
      el("span", { class: "name" }, platform(top[i]), top[i].name),
      el("span", { class: "pts" }, t("score.points", { n: top[i].score })),
      el("div", { class: "block", "aria-hidden": "true" }, String(rank(top[i], i))))));
  const rest = rows.slice(3, listLimit);
  const list = el("ol", { class: "ranking", start: 4 },
    ...rest.map((r, i) => el("li", { class: r.attendee_id === me ? "me" : "" },
      el("span", { class: "pos" }, `${rank(r, i + 3)}.`), el("span", { class: "who" }, platform(r), r.name), el("span", { class: "pts" }, String(r.score)))));
  container.replaceChildren(rows.length ? podium : el("p", { class: "muted" }, t("score.empty")), rest.length ? list : "");
}
