// The presenter screen (1920×1080 projector, or an OBS browser source). It connects with a
// read-only display link (`?token=`), so the server sends it only what a screen in front of
// the audience may show: a quiz's counts and answer arrive at the reveal, never before. A
// staff member who opens it without a link logs in once and is sent on to a fresh link.
//
// Issue 15: an open question's wall of approved answers, a Q&A's questions (the pinned
// ones large), an activity's image, the lobby (who joined) on the join screen, the sound
// cues (cues.js) and, at a speed quiz's reveal, the top five with how they moved.

import { $, el, icon, getJson, postJson, Live, wsUrl, meetingParam, connectionBanner, mergeLive } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { Bars, Histogram, Ranking, isMulti, chatHintParts, mergeItems, itemsOf } from "./charts.js";
import { Cloud } from "./cloud.js";
import { renderScoreboard, renderLeaderboard } from "./podium.js";
import { ensureStaff, pickMeeting } from "./staff.js";
import { Timer, syncClock } from "./countdown.js";
import { Cues, cueFor } from "./cues.js";

applyTheme("dark");
mountTools();

const meeting = meetingParam();
const token = new URLSearchParams(location.search).get("token");
/// `path` with this screen's display token, when it has one.
const withToken = (path) => token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
let state = null, invite = null, online = 0, view = null;
/// `{question_id, total}`: how many answered a quiz before its reveal (counts stay hidden).
let answered = null;
let bars = null, cloud = null, hist = null, ranking = null;
/// The countdown of a timed activity (one for the page, moved into each new body).
const timer = new Timer({ variant: "big", announcer: $("#timer-said") });
/// The open question's wall or the Q&A's list, when one is shown: `{kind, box, cards}`.
let board = null;
/// The lobby's names as last drawn (to animate only the newcomers), and its count.
let lobbyShown = null;
/// `{status, question}` of the last `state`: what changed says which cue to play.
let lastScreen = null;
/// Inside OBS (its browser source plays sound by itself; a button would be on stream).
const inObs = typeof window.obsstudio === "object" && window.obsstudio !== null;
const cues = new Cues({ onChange: renderSound });
/// What is shown "as many as fit" is trimmed again when its box changes size (a fit, a
/// resize) and when the fonts arrive (the text takes its final size).
const sizeWatch = new ResizeObserver(() => { trimItems(); trimLobby(); });
document.fonts?.addEventListener("loadingdone", () => { trimItems(); trimLobby(); });

function joinPanel() {
  const panel = el("div", { class: "join-screen" },
    el("div", {},
      el("h1", {}, state.title),
      el("p", { class: "step-label" }, t("present.go_to")),
      el("p", { class: "url" }, invite ? invite.base.replace(/^https?:\/\//, "") : location.host),
      el("p", { class: "step-label" }, t("present.code")),
      el("p", { class: "code", "data-code": "" }, invite ? invite.code : "…"),
      invite && /^https?:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?\/?$/i.test(invite.base) ? el("p", { class: "warn", id: "loopback" }, t("org.loopback")) : null),
    el("div", { class: "qr" }, el("img", { src: withToken(`/api/meetings/${meeting}/qr.svg`), alt: t("present.qr_alt"), width: 472, height: 472 })));
  return panel;
}

/// Before the meeting starts: the join screen, then how many joined and the latest names.
function lobbyTime() {
  return state.status === "before" || (state.status === "waiting" && state.position === 0);
}

/// The lobby under the join screen: "123 people joined" and the latest names, newest first;
/// the newcomers since the last frame pop in. Only the names that fit are kept.
function renderLobby() {
  const box = $("#lobby");
  if (!box) return;
  const lobby = state.lobby && typeof state.lobby === "object" ? state.lobby : { count: 0, names: [] };
  const count = Number(lobby.count) || 0;
  const names = (Array.isArray(lobby.names) ? lobby.names : []).slice().reverse();
  const fresh = lobbyShown === null ? 0 : Math.max(0, Math.min(names.length, count - lobbyShown.count));
  const same = lobbyShown && lobbyShown.count === count && lobbyShown.key === JSON.stringify(names);
  if (same) return;
  lobbyShown = { count, key: JSON.stringify(names) };
  $("#lobby-count").textContent = count ? t("present.lobby_count", { n: count }) : t("present.lobby_empty");
  const list = $("#lobby-names");
  list.replaceChildren(...names.map((p, i) => el("li", { class: `lobby-name${i < fresh ? " new" : ""}${p.platform && p.platform !== "room" ? ` from-${p.platform}` : ""}`, dir: "auto" }, p.name)));
  trimLobby();
}

/// Drops the oldest names (last in the list) that would not fit the screen.
function trimLobby() {
  const list = $("#lobby-names");
  if (!list) return;
  for (const li of list.children) li.hidden = false;
  const items = [...list.children];
  while (items.length && list.scrollHeight > list.clientHeight + 1) items.pop().hidden = true;
}

/// Rebuilds the body only when the screen's kind changes, so bars and the cloud animate.
function render() {
  if (!state) return;
  $("#title").textContent = state.title;
  const q = state.question, s = state.status;
  $("#progress").textContent = q && ["ongoing", "results"].includes(s) ? t("play.progress", { n: state.position + 1, total: state.activity_count }) : "";
  $("#join-line").textContent = invite ? t("present.join_line", { url: invite.base.replace(/^https?:\/\//, ""), code: invite.code }) : "";
  const leaders = s === "results" && q?.kind === "quiz" && Array.isArray(state.leaderboard) && state.leaderboard.length > 0;
  const showing = ["ongoing", "results"].includes(s) && q ? `${s}:${q.id}:${leaders}` : `${s}:${lobbyTime()}`;
  const body = $("#body");
  if (showing !== view) {
    view = showing;
    bars = null; cloud = null; hist = null; ranking = null; board = null; lobbyShown = null;
    sizeWatch.disconnect();
    body.replaceChildren();
    body.dataset.view = s;
    body.dataset.kind = q && ["ongoing", "results"].includes(s) ? q.kind : "";
    if (s === "before" || s === "waiting" || s === "undefined") {
      body.append(joinPanel());
      if (lobbyTime()) {
        body.append(el("section", { class: "lobby", id: "lobby", "aria-labelledby": "lobby-count" },
          el("p", { class: "lobby-count", id: "lobby-count" }),
          el("ul", { class: "lobby-names", id: "lobby-names", "aria-label": t("present.lobby_names") })));
        sizeWatch.observe($("#lobby-names"));
      }
    } else if (s === "scoreboard" || s === "after") {
      body.append(el("h1", { class: s === "after" ? "end-title" : "" }, t(s === "after" ? "present.thanks" : "present.scoreboard")));
      body.append(el("div", { id: "board" }));
    } else if (q) {
      // A timed activity keeps its countdown's place beside the title, also once revealed
      // (empty then), so the reveal moves nothing.
      const timed = q.kind !== "text" && Number(q.time_limit_secs) > 0;
      // The description sits under the title, both beside the countdown.
      const text = el("div", { class: "q-text" }, el("h1", {}, q.title));
      if (q.description_html) { const d = el("div", { class: "description" }); d.innerHTML = q.description_html; text.append(d); }
      body.append(el("div", { class: "q-head" }, text, timed ? el("div", { class: "timer-slot" }, timer.root) : null));
      // The content goes under the title, or beside the image or the leaderboard.
      const main = layout(body, q, leaders);
      if (q.kind === "poll" || q.kind === "quiz") {
        main.append(el("div", { class: "bars", id: "bars" }), el("p", { class: "answered", id: "answered" }));
        bars = new Bars($("#bars"));
      } else if (q.kind === "scale") {
        main.append(el("div", { class: "hist-box", id: "hist" }), el("p", { class: "answered", id: "answered" }));
        hist = new Histogram($("#hist"));
      } else if (q.kind === "grid") {
        main.append(el("div", { class: "ranking-box", id: "ranking" }), el("p", { class: "answered", id: "answered" }));
        ranking = new Ranking($("#ranking"));
      } else if (q.kind === "wordcloud") {
        main.append(el("div", { class: "cloud", id: "cloud" }, el("div", { class: "cloud-empty", id: "cloud-empty", hidden: true },
          el("p", { class: "cloud-empty-title" }, t("cloud.empty")), el("p", { id: "cloud-empty-hint" }))));
        cloud = new Cloud($("#cloud"), { minSize: 28, maxSize: 120, reference: 1700 });
      } else if (q.kind === "text_answer" || q.kind === "qna") {
        const box = el(q.kind === "qna" ? "div" : "ol", { class: q.kind === "qna" ? "qna-board" : "wall", id: q.kind === "qna" ? "qna" : "wall" });
        main.append(box, el("div", { class: "items-empty", id: "items-empty", hidden: true },
          icon(q.kind === "qna" ? "chat" : "spark", "items-empty-icon"),
          el("p", { class: "items-empty-title" }, t(q.kind === "qna" ? "present.qna_empty" : "present.wall_empty")),
          el("p", { id: "items-empty-hint" })),
        el("p", { class: "answered", id: "answered" }));
        board = { kind: q.kind, box, cards: new Map(), key: null };
        sizeWatch.observe(box);
      }
    }
  }
  if (lobbyTime()) renderLobby();
  if (q && (q.kind === "poll" || q.kind === "quiz") && bars) {
    // A quiz keeps its rows until the reveal, empty and without numbers: the reveal fills
    // them in place, nothing moves. Only the number of answers changes meanwhile.
    const hidden = (q.kind === "quiz" || Boolean(q.hide_results_until_reveal)) && s !== "results";
    bars.update(q, hidden ? { counts: {}, total: 0, correct: [] } : state.results || { counts: {}, total: 0, correct: [] }, { reveal: q.kind === "quiz", hidden });
    const count = state.results?.total ?? (answered?.question_id === q.id ? answered.total : 0);
    // A revealed activity says it is closed: the audience stops trying to answer.
    // A multi-select says how many each may pick: the bars are out of the voters.
    const answers = isMulti(q) ? `${t("present.answers", { n: count })} · ${t("kinds.up_to", { n: q.max_choices })}` : t("present.answers", { n: count });
    $("#answered").textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  }
  if (q && (hist || ranking)) {
    const results = state.results || { counts: {}, total: 0, correct: [] };
    if (hist) hist.update(q, results);
    if (ranking) ranking.update(q, results);
    const answers = t("present.answers", { n: results.total ?? 0 });
    $("#answered").textContent = s === "results" ? `${t("present.closed")} · ${answers}` : answers;
  }
  if (cloud && q) {
    cloud.update(q.id, state.words || []);
    // An empty cloud says what to do rather than showing a blank screen.
    const empty = !(state.words || []).length;
    $("#cloud-empty").hidden = !empty;
    if (empty) $("#cloud-empty-hint").textContent = state.chat && s === "ongoing" ? t("cloud.empty_hint_chat", { prefix: state.chat.vote_prefix || "#" }) : t("cloud.empty_hint");
  }
  if (board && q) renderItems(q, s);
  if (leaders) renderLeaderboard($("#leaders"), state.leaderboard);
  timer.update(state);
  renderChatHint(q, s);
  const podium = $("#board");
  if (podium) renderScoreboard(podium, state.scoreboard || [], { listLimit: 10 });
  $("#online").textContent = online;
  renderSound();
  if (fitted !== view) { fitted = view; fit(); trimItems(); trimLobby(); }
}

/// Whether the image goes beside the content rather than under the title: beside anything
/// but a slide (a 16:9 screen has its room in width; the bars keep their full height).
function imageBeside(q) {
  return q.kind !== "text";
}

/// Lays out the activity under its title: with an image (`question.image`) above the
/// content or beside it, with the leaderboard beside the quiz's bars. Returns where the
/// content goes. The image only ever takes the room left (object-fit: contain).
function layout(body, q, leaders) {
  const img = q.image && typeof q.image.url === "string" ? q.image : null;
  const figure = img && !leaders ? el("figure", { class: "q-media", id: "q-media" }, el("img", { src: img.url, alt: img.alt || "", decoding: "async" })) : null;
  if (leaders) {
    const main = el("div", { class: "q-content" });
    body.append(el("div", { class: "q-split with-leaders" }, main,
      el("section", { class: "leaders", "aria-labelledby": "leaders-title" },
        el("h2", { id: "leaders-title" }, icon("trophy", "leaders-icon"), t("present.leaderboard")),
        el("ol", { class: "lb-list", id: "leaders" }))));
    return main;
  }
  if (!figure) return body;
  if (imageBeside(q)) {
    const main = el("div", { class: "q-content" });
    body.append(el("div", { class: "q-split with-media" }, main, figure));
    return main;
  }
  figure.classList.add("stacked");
  body.append(figure);
  return body;
}

/// An open question's answers or a Q&A's questions (approved ones: the server sends a
/// screen nothing else), then only as many as fit, with the count.
function renderItems(q, s) {
  const items = itemsOf(state);
  const counts = state.items?.counts || {};
  const empty = items.length === 0;
  $("#items-empty").hidden = !empty;
  board.box.hidden = empty;
  if (empty) {
    const chat = state.chat && s === "ongoing" && !state.closed ? state.chat.vote_prefix || "#" : null;
    const key = q.kind === "qna" ? "present.qna_empty_hint" : "present.wall_empty_hint";
    $("#items-empty-hint").textContent = chat ? t(`${key}_chat`, { prefix: chat }) : t(key);
  }
  const n = Number(counts.approved ?? items.length);
  const label = q.kind === "qna" ? t("present.questions", { n }) : t("present.answers", { n });
  board.label = s === "results" ? `${t("present.closed")} · ${label}` : label;
  $("#answered").textContent = board.label;
  const key = JSON.stringify(items) + (document.documentElement.lang || "");
  if (key === board.key) return;
  const first = board.key === null;
  board.key = key;
  if (q.kind === "qna") drawQna(items); else drawWall(items, first);
}

/// Answer cards, newest first, as many as the wall holds (the oldest drop out); a new one
/// pops in. The text size follows the length, so a short answer reads from the back.
function drawWall(items, first) {
  const box = board.box;
  const keep = new Set();
  for (const [i, it] of items.entries()) {
    keep.add(it.id);
    let card = board.cards.get(it.id);
    const len = [...it.text].length;
    if (!card) {
      card = el("li", { class: `wall-card${first ? "" : " new"}`, "data-item": it.id },
        el("p", { class: "wall-text", dir: "auto" }, it.text),
        el("p", { class: "wall-who", dir: "auto" }, it.platform && it.platform !== "room" ? el("span", { class: `ptag ptag-${it.platform}` }, it.platform === "youtube" ? "YouTube" : "Twitch") : null, it.name));
      card.addEventListener("animationend", () => card.classList.remove("new"), { once: true });
      board.cards.set(it.id, card);
    }
    card.dataset.size = len <= 60 ? "short" : len <= 150 ? "medium" : "long";
    if (box.children[i] !== card) box.insertBefore(card, box.children[i] ?? null);
  }
  for (const [id, card] of board.cards) if (!keep.has(id)) { card.remove(); board.cards.delete(id); }
  trimItems();
}

/// The Q&A: the pinned question(s) large on top, then the others in the server's order
/// (by votes, answered ones last and dimmed), each with its number and votes.
function drawQna(items) {
  const box = board.box;
  const pinned = items.filter((it) => it.pinned);
  const rest = items.filter((it) => !it.pinned);
  const row = (it, big) => el(big ? "div" : "li", { class: `qna-q${big ? " pinned" : ""}${it.answered ? " done" : ""}`, "data-item": it.id },
    el("span", { class: "qna-num" }, `#${it.id}`),
    el("div", { class: "qna-body" },
      big ? el("p", { class: "qna-flag" }, icon("pin"), t("present.pinned")) : null,
      el("p", { class: "qna-text", dir: "auto" }, it.text),
      el("p", { class: "qna-who", dir: "auto" }, it.platform && it.platform !== "room" ? el("span", { class: `ptag ptag-${it.platform}` }, it.platform === "youtube" ? "YouTube" : "Twitch") : null, it.name,
        it.answered ? el("span", { class: "qna-done" }, icon("check"), t("present.answered")) : null)),
    el("span", { class: "qna-votes", "aria-label": t("present.votes", { n: it.votes ?? 0 }) }, icon("upvote"), String(it.votes ?? 0)));
  box.replaceChildren(
    ...pinned.map((it) => row(it, true)),
    rest.length ? el("ol", { class: "qna-rows", "aria-label": t("present.top_questions") }, ...rest.map((it) => row(it, false))) : "");
  trimItems();
}

/// Hides the last cards or questions (the oldest answers, the least voted questions) while
/// the box overflows; the count line says how many more the phones list.
function trimItems() {
  if (!board) return;
  const box = board.box;
  const all = board.kind === "qna" ? [...box.querySelectorAll(".qna-rows > li")] : [...box.children];
  for (const n of all) n.hidden = false;
  const over = () => box.scrollHeight > box.clientHeight + 1 || box.scrollWidth > box.clientWidth + 1;
  let hidden = 0;
  // A pinned question always stays (it is what the speaker answers): the list gives way.
  const keep = board.kind === "qna" && box.querySelector(".qna-q.pinned") ? 0 : 1;
  while (all.length > keep && over()) {
    all.pop().hidden = true;
    hidden += 1;
  }
  box.dataset.hidden = String(hidden);
  if (board.label) $("#answered").textContent = hidden ? `${board.label} · ${t(board.kind === "qna" ? "present.more_questions" : "present.more_answers", { n: hidden })}` : board.label;
}

/// The mute button (its state, and hidden when the meeting has sounds off or inside OBS)
/// and the "Click to enable sound" hint when the browser waits for a click.
function renderSound() {
  const on = Boolean(state?.sounds);
  const btn = $("#mute");
  btn.hidden = !on || inObs;
  btn.setAttribute("aria-pressed", String(cues.muted));
  const label = t(cues.muted ? "present.unmute" : "present.mute");
  btn.setAttribute("aria-label", label);
  btn.title = `${label} (M)`;
  btn.firstElementChild?.remove();
  btn.prepend(icon(cues.muted ? "sound-off" : "sound"));
  $("#sound-hint").hidden = !(on && !cues.muted && cues.blocked);
  if (on && !cues.muted) cues.probe();
}

/// Plays the cue a new `state` calls for (an activity opens, its results, the podium).
function playCue(f) {
  const screen = { status: f.status, question: f.question?.id ?? null };
  const cue = cueFor(lastScreen, screen);
  lastScreen = screen;
  if (cue && f.sounds) cues.play(cue);
}

/// What the body was last fitted for (a new screen, a resize or a language change fits it
/// again; a tally only moves bars and counts, whose height does not change).
let fitted = null;

/// Shrinks the body's content (`--fit`, 5 % at a time, down to 40 %) until it fits between
/// the header and the footer.
function fit() {
  const body = $("#body");
  let f = 1;
  body.style.setProperty("--fit", "1");
  while (body.scrollHeight > body.clientHeight + 1 && f > 0.4) {
    f = Math.round((f - 0.05) * 100) / 100;
    body.style.setProperty("--fit", String(f));
  }
}

/// With Twitch or YouTube sources, viewers learn what to type: `#a #b #c` for a poll or
/// quiz, `#a #c` for a multi-select, `#0 … #10` for a scale, `#a4 #b5` for a grid, `#` and
/// a word for a cloud. Shown while the activity is open.
function renderChatHint(q, s) {
  const hint = $("#chat-hint");
  const chat = state.chat;
  hint.hidden = !(chat && q && s === "ongoing" && !state.closed && q.kind !== "text");
  if (hint.hidden) return;
  hint.replaceChildren(...chatHintParts(q, chat.vote_prefix || "#", itemsOf(state)));
}

/// The link stopped working (revoked, or the meeting is gone): say so instead of retrying.
/// A close in 4001–4099: a display link's revocation, or, for a screen opened with the
/// staff session, that session's end (back to the login form, which says why).
function ended() {
  if (token) { revoked(); return; }
  try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
  location.reload();
}

function revoked() {
  $("#body").replaceChildren(el("div", { class: "card revoked" }, el("h1", {}, t("present.revoked_title")), el("p", {}, t("present.revoked"))));
  view = "revoked";
}

async function start() {
  $("#gate").classList.add("hidden");
  $("#screen").classList.remove("hidden");
  const res = await getJson(withToken(`/api/meetings/${meeting}/invite`));
  if (res.ok) invite = res.data;
  else if (res.status === 401 || res.status === 403 || res.status === 404) { revoked(); return; }
  new Live(wsUrl(withToken(`/ws/meetings/${meeting}`)), {
    onFrame(f) {
      if (f.type === "state") {
        syncClock(f.now);
        if (answered && answered.question_id !== f.question?.id) answered = null;
        state = f; render();
        playCue(f);
      }
      else if (f.type === "participants") { online = f.count; $("#online").textContent = online; }
      else if (!state) return;
      else if (f.type === "answered") { answered = { question_id: f.question_id, total: f.total }; render(); }
      else if (f.type === "lobby") { state.lobby = { count: f.count, names: f.names }; renderLobby(); }
      else if (mergeItems(state, f)) render();
      else if (mergeLive(state, f)) render();
    },
    onStatus: connectionBanner,
    onFinal: ended,
    async onRefused() {
      const check = await getJson(withToken(`/api/meetings/${meeting}/invite`));
      if ([401, 403, 404].includes(check.status)) { connectionBanner("online"); revoked(); return true; }
      return false;
    },
  });
}

/// Staff without a link: make one and continue with it (the address bar then holds a URL that
/// works in OBS with no login).
async function openWithNewLink() {
  const res = await postJson(`/api/meetings/${meeting}/display`);
  if (res.ok) location.replace(`/present.html?meeting=${meeting}&token=${encodeURIComponent(res.data.token)}`);
  else { $("#gate").classList.add("hidden"); $("#screen").classList.remove("hidden"); revoked(); }
}

onLangChange(() => { view = null; render(); timer.relabel(); });
window.addEventListener("resize", () => { fitted = null; fit(); cloud?.layout(); trimItems(); trimLobby(); });

// Sound: the mute button and M (not while typing, not with a modifier); any click lets
// the browser play sound.
$("#mute").addEventListener("click", () => cues.toggle());
$("#sound-hint").addEventListener("click", () => cues.unlock());
document.addEventListener("pointerdown", () => cues.unlock());
document.addEventListener("keydown", (ev) => {
  if (ev.key !== "m" && ev.key !== "M") return;
  if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.target.closest?.("input, textarea, select, [contenteditable]")) return;
  if (!state?.sounds) return;
  cues.unlock();
  cues.toggle();
});

(async () => {
  if (token && meeting !== null) { start(); return; }
  $("#gate").classList.remove("hidden");
  await ensureStaff();
  if (meeting === null) pickMeeting((m) => `/present.html?meeting=${m.id}`);
  else openWithNewLink();
})();
