// The scoreboard: a podium for the first three, a ranked list for the rest.

import { el } from "./common.js";
import { t } from "./i18n.js";

/// Twitch and YouTube viewers carry their platform's tag (room participants none).
function platform(row) {
  if (!row.platform || row.platform === "room") return null;
  return el("span", { class: `ptag ptag-${row.platform}` }, row.platform === "youtube" ? "YouTube" : "Twitch");
}

/// `rows`: [{attendee_id, name, score, platform}] in rank order; `me`: the viewer's attendee id.
export function renderScoreboard(container, rows, { me = null, listLimit = 10 } = {}) {
  const top = rows.slice(0, 3);
  const order = [1, 0, 2].filter((i) => top[i]);
  const podium = el("div", { class: "podium", role: "list", "aria-label": t("score.podium") },
    ...order.map((i) => el("div", { class: `step p${i + 1}`, role: "listitem", "aria-label": t("score.place", { n: i + 1, name: top[i].name, score: top[i].score }) },
      el("span", { class: "name" }, platform(top[i]), top[i].name),
      el("span", { class: "pts" }, t("score.points", { n: top[i].score })),
      el("div", { class: "block", "aria-hidden": "true" }, String(i + 1)))));
  const rest = rows.slice(3, listLimit);
  const list = el("ol", { class: "ranking", start: 4 },
    ...rest.map((r, i) => el("li", { class: r.attendee_id === me ? "me" : "" },
      el("span", { class: "pos" }, `${i + 4}.`), el("span", { class: "who" }, platform(r), r.name), el("span", { class: "pts" }, String(r.score)))));
  container.replaceChildren(rows.length ? podium : el("p", { class: "muted" }, t("score.empty")), rest.length ? list : "");
}
