// A meeting's results for its staff (`/results.html?meeting=ID`): per activity the counts
// with the correct choice marked and the split by platform, the word cloud, or an open
// question's answers and a Q&A's questions (with their status and upvotes), and the
// activity's image; the final
// scoreboard (ties share a rank); participation by platform; the flags; and the CSV and
// JSON downloads. Everything comes from one `GET /api/meetings/ID/results.json?answers=0`
// (the answers themselves are in the downloads). Names and words are inserted as text only.

import { $, el, icon, getJson, errorText, meetingParam } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars, kindName, drawRating, drawGrid, ratingNumber } from "./charts.js";
import { Cloud } from "./cloud.js";
import { renderScoreboard } from "./podium.js";
import { ensureStaff, pickMeeting, logout } from "./staff.js";
import { platformTag, platformCounts } from "./streams.js";

applyTheme();
mountTools();

/// Words given to a cloud (the live cloud's own limit) and shown as a list under it.
const CLOUD_WORDS = 100;
const LISTED_WORDS = 12;
/// Scoreboard rows under the podium; the rest open on demand.
const BOARD_ROWS = 10;
/// An open question's answers or a Q&A's questions listed at first; the rest on demand.
const LISTED_POSTS = 20;

const meeting = meetingParam();
let data = null;
let clouds = [];
/// The plan's activities by id, read only when the results lack something a scale, a grid
/// or a multi-select poll needs (its scale, its items' texts, how many choices each).
let planById = new Map();

function show(id) {
  for (const s of ["#pick-panel", "#problem", "#results"]) $(s).classList.toggle("hidden", s !== id);
}

function problem(text) {
  $("#problem").replaceChildren(el("p", {}, text), el("p", {}, el("a", { href: "/results.html" }, t("results.pick"))));
  show("#problem");
}

async function load() {
  const res = await getJson(`/api/meetings/${meeting}/results.json?answers=0`);
  if (res.status === 401) { location.reload(); return; }
  if (res.status === 403) { problem(t("results.forbidden")); return; }
  if (res.status === 404) { problem(t("results.not_found")); return; }
  if (!res.ok || !res.data) { problem(errorText(res.data?.error || "offline")); return; }
  data = res.data;
  planById = new Map();
  if (needsPlan(data)) {
    const p = await getJson(`/api/meetings/${meeting}/plan`);
    if (p.ok && Array.isArray(p.data?.activities)) planById = new Map(p.data.activities.filter((a) => a.id != null).map((a) => [a.id, a]));
  }
  render();
  show("#results");
}

/// "Room 40 · Twitch 10" when more than one platform answered.
function splitLine(platforms) {
  if (platforms.length < 2) return null;
  return platforms.map((p) => `${p.platform === "youtube" ? "YouTube" : p.platform === "twitch" ? "Twitch" : t("results.room")} ${p.count}`).join(" · ");
}

const isRating = (kind) => kind === "scale" || kind === "grid";
const takesPosts = (kind) => kind === "text_answer" || kind === "qna";

/// An activity's image: `image` is its media id (with `alt`), or `{url, alt}`.
function imageOf(a) {
  const im = a.image;
  if (!im) return null;
  if (typeof im === "string") return { url: `/media/${encodeURIComponent(im)}`, alt: a.alt || "" };
  return im.url ? { url: im.url, alt: im.alt ?? a.alt ?? "" } : null;
}

function imageFigure(a) {
  const im = imageOf(a);
  if (!im) return null;
  const img = el("img", { src: im.url, alt: im.alt, loading: "lazy", decoding: "async" });
  const fig = el("figure", { class: "result-image" }, img,
    im.alt ? el("figcaption", { class: "muted", "aria-hidden": "true" }, t("org.image_alt", { alt: im.alt })) : null);
  img.addEventListener("error", () => fig.replaceChildren(el("p", { class: "muted" }, t("results.image_gone"))));
  return fig;
}

/// Posts as the presenter orders them: the approved ones first (a Q&A's pinned, then the
/// open ones by upvotes then arrival, then the answered ones; an open question's newest
/// first), then those still pending (oldest first), then the hidden ones.
function sortPosts(kind, items) {
  const byRank = { approved: 0, pending: 1, hidden: 2 };
  return items.slice().sort((x, y) => {
    const r = (byRank[x.status] ?? 3) - (byRank[y.status] ?? 3);
    if (r) return r;
    if (x.status === "approved") {
      if (kind === "qna") {
        return (Number(!!y.pinned) - Number(!!x.pinned)) || (Number(!!x.answered) - Number(!!y.answered))
          || ((y.votes || 0) - (x.votes || 0)) || (x.id - y.id);
      }
      return y.id - x.id;
    }
    return x.status === "hidden" ? y.id - x.id : x.id - y.id;
  });
}

function postRow(kind, p) {
  const qna = kind === "qna";
  const badges = [];
  if (p.status === "pending") badges.push(el("span", { class: "qbadge qbadge-pending" }, t("org.queue_badge_pending")));
  if (p.status === "hidden") badges.push(el("span", { class: "qbadge qbadge-hidden" }, t("org.queue_badge_hidden")));
  if (qna && p.pinned) badges.push(el("span", { class: "qbadge qbadge-pinned" }, t("org.queue_badge_pinned")));
  if (qna && p.answered) badges.push(el("span", { class: "qbadge qbadge-answered" }, icon("check"), t("org.queue_badge_answered")));
  return el("li", { class: `post status-${p.status}${qna && p.pinned ? " is-pinned" : ""}${qna && p.answered ? " is-answered" : ""}`, "data-id": String(p.id), tabindex: "-1" },
    el("div", { class: "post-head" },
      el("span", { class: "post-num" }, `#${p.id}`),
      el("span", { class: "post-who" }, el("bdi", { class: "post-name" }, p.name || t("org.queue_anonymous")),
        p.platform && p.platform !== "room" ? platformTag(p.platform) : el("span", { class: "ptag" }, t("results.room"))),
      qna ? el("span", { class: "post-votes" }, t("org.queue_votes", { n: p.votes || 0 })) : null,
      ...badges),
    el("p", { class: "post-text", dir: "auto" }, p.text));
}

/// An open question's answers or a Q&A's questions: the counts, then the list.
function postsBlock(a) {
  const qna = a.kind === "qna";
  const items = sortPosts(a.kind, Array.isArray(a.items) ? a.items : []);
  const box = el("div", { class: "results-posts-box" });
  if (!items.length) {
    box.append(el("div", { class: "empty-state" }, icon("chat"), el("p", { class: "muted" }, t(qna ? "results.no_questions" : "results.no_posts"))));
    return box;
  }
  const n = (status) => items.filter((p) => p.status === status).length;
  const bits = [t(qna ? "results.questions_n" : "results.posts_n", { n: items.length }), t("results.shown_n", { n: n("approved") })];
  if (n("pending")) bits.push(t("results.pending_n", { n: n("pending") }));
  if (n("hidden")) bits.push(t("results.hidden_n", { n: n("hidden") }));
  if (qna) {
    const answered = items.filter((p) => p.answered).length;
    if (answered) bits.push(t("org.queue_answered_n", { n: answered }));
    const votes = items.reduce((sum, p) => sum + (p.votes || 0), 0);
    bits.push(t("results.upvotes_n", { n: votes }));
  }
  box.append(el("p", { class: "answer-rule posts-counts" }, bits.join(" · ")));
  const list = el("ol", { class: "queue results-posts", "aria-label": t(qna ? "results.questions_list" : "results.posts_list") },
    ...items.slice(0, LISTED_POSTS).map((p) => postRow(a.kind, p)));
  box.append(list);
  if (items.length > LISTED_POSTS) {
    const more = el("button", { type: "button", class: "secondary small posts-more" }, t("results.posts_more", { n: items.length - LISTED_POSTS }));
    more.addEventListener("click", () => {
      const rest = items.slice(LISTED_POSTS).map((p) => postRow(a.kind, p));
      list.append(...rest);
      more.remove();
      rest[0]?.focus();
    });
    box.append(more);
  }
  return box;
}

function needsPlan(d) {
  return d.activities.some((a) => (isRating(a.kind) && (!a.scale || (a.kind === "grid" && !(a.choices || []).length)))
    || ((a.kind === "poll" || a.kind === "quiz") && a.max_choices === undefined && a.choices.reduce((n, c) => n + c.count, 0) > a.answered));
}

/// A scale's or grid's values: from the results, else the plan, else 1–5.
function scaleFor(a) {
  const s = a.scale || planById.get(a.id)?.scale || {};
  const min = Number.isInteger(s.min) ? s.min : 1;
  const max = Number.isInteger(s.max) && s.max > min ? s.max : min + Math.max(1, (a.rating?.distribution || a.items?.[0]?.distribution || [0, 0, 0, 0, 0]).length - 1);
  return { min, max, labels: Array.isArray(s.labels) ? s.labels : [] };
}

/// A grid's items (`{id, slug, text}`), from the results or the plan.
function gridItems(a) {
  if ((a.choices || []).length) return a.choices.map((c) => ({ id: c.id, slug: c.slug, text: c.text }));
  const planned = planById.get(a.id)?.choices || [];
  if (planned.length) return planned.map((c, i) => ({ id: c.id, slug: c.slug || String.fromCharCode(97 + i), text: c.text }));
  return (a.items || []).map((it, i) => ({ id: it.choice_id, slug: String.fromCharCode(97 + i), text: `#${it.choice_id}` }));
}

/// A multi-select poll's or quiz's "up to K", and how many picks its voters made.
function multiLine(a) {
  const k = a.max_choices ?? planById.get(a.id)?.max_choices ?? 1;
  const picks = a.choices.reduce((n, c) => n + c.count, 0);
  if (!(k > 1) && picks <= a.answered) return null;
  const partial = a.partial_credit ?? planById.get(a.id)?.partial_credit;
  return el("p", { class: "answer-rule" },
    k > 1 ? t("staffkinds.multi_rule", { k }) : t("staffkinds.multi_rule_any"),
    a.kind === "quiz" && partial ? ` · ${t("staffkinds.partial")}` : "",
    ` · ${t("staffkinds.voters_picks", { n: a.answered, picks })}`);
}

function activityCard(a) {
  const head = el("div", { class: "stage-head" },
    el("span", { class: "kind" }, `${a.position} · ${kindName(a.kind)}`),
    a.kind === "text" ? null : el("span", { class: "badge" }, t("results.answered", { n: a.answered })));
  const title = el("h2", { class: "activity-title" }, a.title);
  const card = el("section", { class: `card activity-result kind-${a.kind}`, "aria-label": `${a.position} · ${kindName(a.kind)} · ${a.title}` }, head, title, imageFigure(a));
  const split = splitLine(a.answered_by_platform);
  if (split) card.append(el("p", { class: "muted split-line" }, split));

  if (a.kind === "poll" || a.kind === "quiz") {
    const box = el("div", { class: "bars" });
    const rule = multiLine(a);
    if (rule) card.append(rule);
    card.append(box);
    const question = { id: a.id, choices: a.choices };
    const counts = Object.fromEntries(a.choices.map((c) => [String(c.id), c.count]));
    const byPlatform = {};
    for (const c of a.choices) for (const p of c.by_platform) (byPlatform[p.platform] ||= {})[String(c.id)] = p.count;
    new Bars(box).update(question, { counts, total: a.answered, correct: a.choices.filter((c) => c.correct).map((c) => c.id) },
      { reveal: a.kind === "quiz", split: (id) => platformCounts(byPlatform, id) });
    // The correct choice carries a check mark, not only a colour.
    for (const label of box.querySelectorAll(".bar-row.correct .label")) label.prepend(icon("check", "icon check"));
    if (!a.answered) card.append(el("p", { class: "muted" }, t("results.no_answers")));
  } else if (a.kind === "scale") {
    const scale = scaleFor(a);
    card.append(el("p", { class: "answer-rule" }, t("staffkinds.scale_rule", { min: scale.min, max: scale.max })));
    const box = el("div", { class: "staff-rating" });
    card.append(box);
    drawRating(box, scale, a.rating || null);
    if (!a.rating?.count) card.append(el("p", { class: "muted" }, t("results.no_answers")));
  } else if (a.kind === "grid") {
    const scale = scaleFor(a);
    const items = gridItems(a);
    card.append(el("p", { class: "answer-rule" }, t("staffkinds.grid_rule", { n: items.length, min: scale.min, max: scale.max })));
    const box = el("div", { class: "staff-grid" });
    card.append(box);
    drawGrid(box, items, scale, { items: a.items || [], ranking: a.ranking || [], global_mean: a.global_mean ?? null, prior_weight: a.prior_weight });
    const c = a.prior_weight ?? planById.get(a.id)?.prior_weight ?? 5;
    card.append(el("p", { class: "hint grid-note" }, c > 0 ? t("staffkinds.bayes_note", { c, m: ratingNumber(a.global_mean) }) : t("staffkinds.bayes_note_plain")));
    if (!a.answered) card.append(el("p", { class: "muted" }, t("results.no_answers")));
  } else if (a.kind === "wordcloud") {
    if (!a.words.length) {
      card.append(el("div", { class: "empty-state" }, icon("spark"), el("p", { class: "muted" }, t("results.no_words"))));
    } else {
      const box = el("div", { class: "cloud" });
      card.append(box);
      const cloud = new Cloud(box, { minSize: 14, maxSize: 48 });
      clouds.push([cloud, a]);
      card.append(el("ul", { class: "chips", "aria-label": t("results.top_words") },
        ...a.words.slice(0, LISTED_WORDS).map((w) => el("li", {}, el("bdi", {}, w.text), el("span", { class: "muted" }, ` ${w.count}`)))));
      if (a.words.length > LISTED_WORDS) card.append(el("p", { class: "muted hint" }, t("results.more_words", { n: a.words.length - LISTED_WORDS })));
    }
  } else if (takesPosts(a.kind)) {
    card.append(postsBlock(a));
  } else {
    card.append(el("p", { class: "muted" }, t("results.slide")));
  }
  return card;
}

function renderBoard() {
  const rows = data.scoreboard;
  const board = $("#board");
  // The podium (ties share a step) and the top of the list; a final word when nobody scored.
  if (rows.some((r) => r.score > 0)) renderScoreboard(board, rows, { listLimit: BOARD_ROWS });
  else board.replaceChildren(el("div", { class: "board-empty" }, icon("trophy", "board-empty-icon"),
    el("p", { class: "board-empty-title" }, t(rows.length ? "results.no_points" : "results.nobody"))));
  // Everyone, when there are more than the podium and its list show.
  const all = $("#all-ranks");
  all.classList.toggle("hidden", rows.length <= BOARD_ROWS || !rows.some((r) => r.score > 0));
  $("#all-ranks-label").textContent = t("results.all_ranks", { n: rows.length });
  $("#ranking").replaceChildren();
  if (all.open) fillRanking();
}

function fillRanking() {
  if ($("#ranking").childElementCount) return;
  $("#ranking").replaceChildren(...data.scoreboard.map((r) => el("li", {},
    el("span", { class: "pos" }, `${r.rank}.`),
    el("span", { class: "who" }, r.platform !== "room" ? platformTag(r.platform) : null, el("bdi", {}, r.name)),
    el("span", { class: "pts" }, String(r.score)))));
}

function renderPlatforms() {
  $("#platforms").replaceChildren(...data.participation.map((p) => {
    const pct = p.attendees ? Math.round((100 * p.answered) / p.attendees) : 0;
    const fill = el("div", { class: "bar-fill" });
    requestAnimationFrame(() => { fill.style.width = `${pct}%`; });
    const name = p.platform === "room" ? t("results.room") : p.platform === "youtube" ? "YouTube" : "Twitch";
    const line = t("results.platform_row", { n: p.answered, total: p.attendees });
    return el("div", { class: `bar-row platform-${p.platform}`, "aria-label": `${name}: ${line}, ${pct}%` },
      el("span", { class: `ptag ptag-${p.platform}` }, name),
      el("span", { class: "label" }, line),
      el("span", { class: "count" }, `${pct}%`),
      el("div", { class: "bar-track", role: "presentation" }, fill));
  }));
}

function renderFlags() {
  $("#flags-card").classList.toggle("hidden", !data.flags.length);
  $("#flags").replaceChildren(...data.flags.map((f) => el("li", {},
    el("span", {}, f.name),
    el("span", { class: "outcome-captured" }, t("score.points", { n: f.points })),
    el("span", { class: "muted found" }, f.captures ? t("results.found_by", { n: f.captures }) : t("results.found_none")))));
}

function render() {
  if (!data) return;
  document.title = `${data.title} · ${t("results.title")}`;
  $("#meeting-title").textContent = data.title;
  $("#status").textContent = t(`status.${data.status}`);
  $("#status").classList.toggle("live", data.status === "ongoing");
  $("#activity-count").textContent = t("results.activities", { n: data.activities.length });
  $("#running").classList.toggle("hidden", data.status === "after");
  $("#running-text").textContent = data.status === "before" ? t("results.not_started") : t("results.running");
  const people = data.participation.reduce((n, p) => n + p.attendees, 0);
  $("#participants").textContent = people;
  $("#took-part").textContent = data.participation.reduce((n, p) => n + p.answered, 0);
  $("#top-score").textContent = data.scoreboard.length ? data.scoreboard[0].score : 0;
  $("#csv").href = `/api/meetings/${meeting}/results.csv`;
  $("#json").href = `/api/meetings/${meeting}/results.json`;
  $("#json").setAttribute("download", `meeting-${meeting}-results.json`);
  $("#dash-link").href = `/organize.html?meeting=${meeting}`;
  $("#dash-link").classList.remove("hidden");

  clouds = [];
  $("#activities").replaceChildren(...data.activities.map(activityCard));
  renderBoard();
  renderPlatforms();
  renderFlags();
  // Clouds measure their words, so they are laid out once their cards are in the page.
  requestAnimationFrame(layoutClouds);
}

function layoutClouds() {
  for (const [cloud, a] of clouds) cloud.update(a.id, a.words.slice(0, CLOUD_WORDS));
}

$("#all-ranks").addEventListener("toggle", () => { if ($("#all-ranks").open) fillRanking(); });
$("#refresh").addEventListener("click", load);
$("#logout").addEventListener("click", logout);
onLangChange(render);
let resizing = null;
window.addEventListener("resize", () => {
  clearTimeout(resizing);
  resizing = setTimeout(() => { for (const [cloud] of clouds) cloud.layout(); }, 150);
});

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  if (meeting === null) {
    show("#pick-panel");
    pickMeeting((m) => `/results.html?meeting=${m.id}`, { list: "/api/meetings?status=all" });
  } else load();
})();
