// What every OBS overlay shares (docs/obs.md): its query options, its connection with the
// meeting's read-only display link (`?meeting=ID&token=T`, reconnecting like every page),
// and a status line that only a browser shows: inside OBS (`window.obsstudio`) a lost
// connection or a revoked link never appears on the stream.

import { $, el, Live, wsUrl, meetingParam, getJson } from "./common.js";
import { t, setLang, translate, LANGS } from "./i18n.js";
import { chatHintParts } from "./charts.js";

export const params = new URLSearchParams(location.search);
export const meeting = meetingParam();
export const token = params.get("token");

/// `?name=1` (or `true`, `yes`).
export function flag(name) {
  return ["1", "true", "yes"].includes((params.get(name) || "").toLowerCase());
}

/// `?name=N` as a number within [min, max], else `fallback`.
export function num(name, fallback, min, max) {
  const v = Number.parseFloat(params.get(name) ?? "");
  return Number.isFinite(v) ? Math.min(max, Math.max(min, v)) : fallback;
}

/// `path` with this overlay's token, when it has one.
export function withToken(path) {
  return token ? `${path}${path.includes("?") ? "&" : "?"}token=${encodeURIComponent(token)}` : path;
}

const root = document.documentElement;
/// Inside an OBS browser source: status lines stay hidden (nothing but content on stream).
export const inObs = typeof window.obsstudio === "object" && window.obsstudio !== null;
root.classList.toggle("lk-obs", inObs);

/// Options every overlay takes: `?lang=en|fr`, `?scale=` (text size factor).
export function setup() {
  const lang = params.get("lang");
  if (lang && LANGS[lang]) setLang(lang);
  else translate();
  const scale = num("scale", 1, 0.25, 4);
  if (scale !== 1) root.style.setProperty("--lk-scale", String(scale));
}

/// The status line (`.lk-status`): connecting, reconnecting, revoked. `data-lk-status` on
/// the root element says the same for custom CSS.
export function status(word) {
  root.dataset.lkStatus = word;
  let line = $(".lk-status");
  if (!line) { line = el("p", { class: "lk-status", role: "status" }); document.body.append(line); }
  const text = {
    connecting: "",
    online: "",
    reconnecting: t("net.reconnecting"),
    closed: t("net.closed"),
    revoked: `${t("present.revoked_title")}. ${t("present.revoked")}`,
    missing: t("overlay.missing_link"),
  }[word] ?? "";
  line.textContent = text;
  line.hidden = !text;
}

/// Opens the meeting's WebSocket (with `?token=`, else with `?role=staff`: the staff
/// session's cookie) and hands every frame to `onFrame`. A revoked link (close 4001, or a
/// refused upgrade whose link the server no longer knows) stops it and says so.
export function connect(onFrame, { onEnded = null } = {}) {
  if (meeting === null) { status("missing"); return null; }
  const path = token ? withToken(`/ws/meetings/${meeting}`) : `/ws/meetings/${meeting}?role=staff`;
  const ended = () => { status("revoked"); onEnded?.(); };
  return new Live(wsUrl(path), {
    onFrame,
    onStatus: status,
    onFinal: ended,
    async onRefused() {
      const check = await getJson(token ? withToken(`/api/meetings/${meeting}/invite`) : "/api/me");
      // Only a link the server no longer knows (401) or a meeting that is gone (404) is
      // final: anything else (a restart, a network cut) keeps retrying.
      if (check.status === 401 || check.status === 404) { ended(); return true; }
      return false;
    },
  });
}

/// Competition ranks ("1, 1, 3") for scoreboard rows in rank order.
export function ranked(rows) {
  let prev = null, rank = 0;
  return rows.map((r, i) => {
    if (r.score !== prev) { rank = i + 1; prev = r.score; }
    return { ...r, rank: r.rank ?? rank };
  });
}

/// "In chat, type #a #b #c" (a multi-select `#a #c`, a scale `#0 … #10`, a grid `#a4 #b5`,
/// a cloud "# and your word") while an activity is open and the meeting reads a chat; null
/// otherwise. The slugs are chips (`.slug`).
export function chatHint(state) {
  const q = state?.question, chat = state?.chat;
  if (!(chat && q && state.status === "ongoing" && !state.closed && q.kind !== "text")) return null;
  const items = state.items?.question_id === q.id ? state.items.items : null;
  return chatHintParts(q, chat.vote_prefix || "#", items);
}

const SVG = "http://www.w3.org/2000/svg";
/// An icon of the overlays' own sprite (/overlay/icons.svg): platforms and badges.
export function glyph(name, cls, label = null) {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", cls);
  if (label) { svg.setAttribute("role", "img"); svg.setAttribute("aria-label", label); }
  else svg.setAttribute("aria-hidden", "true");
  const use = document.createElementNS(SVG, "use");
  use.setAttribute("href", `/overlay/icons.svg#${name}`);
  svg.append(use);
  return svg;
}
