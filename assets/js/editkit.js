// Shared by the meetings page and the meeting editor: JSON calls with any method, the few
// icons the sprite lacks, an in-page dialog (optionally asking to type a word before
// something destructive), join-code helpers and the chat slugs the server will generate.

import { el } from "./common.js";
import { t } from "./i18n.js";

/// `{ok, status, data}` of a JSON call; `data.error` is `"offline"` when nothing answered.
/// Unlike the account pages' `send`, a `401` does not reload: the editor first keeps the
/// edits (see editor.js), then sends the person to the login form.
export async function api(method, url, body) {
  const init = { method, headers: { accept: "application/json" } };
  if (body !== undefined) {
    init.headers["content-type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try { res = await fetch(url, init); } catch { return { ok: false, status: 0, data: { error: "offline" } }; }
  let data = {};
  try { data = await res.json(); } catch { /* empty body */ }
  return { ok: res.ok, status: res.status, data: data ?? {} };
}

// 24×24 stroke icons in the sprite's style, for what /icons.svg does not have.
const PATHS = {
  lock: '<rect x="5" y="11" width="14" height="10" rx="2"/><path d="M8 11V7a4 4 0 0 1 8 0v4"/>',
  up: '<path d="M12 19V5M5 12l7-7 7 7"/>',
  down: '<path d="M12 5v14M19 12l-7 7-7-7"/>',
  grip: '<path d="M9 5h.01M15 5h.01M9 12h.01M15 12h.01M9 19h.01M15 19h.01"/>',
  edit: '<path d="M12 20h9M16.5 3.5a2.1 2.1 0 0 1 3 3L7 19l-4 1 1-4z"/>',
  upload: '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M17 8l-5-5-5 5M12 3v12"/>',
  download: '<path d="M21 15v4a2 2 0 0 1-2 2H5a2 2 0 0 1-2-2v-4M7 10l5 5 5-5M12 15V3"/>',
  eye: '<path d="M1 12s4-8 11-8 11 8 11 8-4 8-11 8-11-8-11-8z"/><circle cx="12" cy="12" r="3"/>',
  reset: '<path d="M1 4v6h6M3.5 15a9 9 0 1 0 2.1-9.4L1 10"/>',
  refresh: '<path d="M23 4v6h-6M20.5 15a9 9 0 1 1-2.1-9.4L23 10"/>',
  share: '<circle cx="18" cy="5" r="3"/><circle cx="6" cy="12" r="3"/><circle cx="18" cy="19" r="3"/><path d="M8.6 13.5l6.8 4M15.4 6.5l-6.8 4"/>',
  alert: '<path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0zM12 9v4M12 17h.01"/>',
  save: '<path d="M19 21H5a2 2 0 0 1-2-2V5a2 2 0 0 1 2-2h11l5 5v11a2 2 0 0 1-2 2z"/><path d="M17 21v-8H7v8M7 3v5h8"/>',
  list: '<path d="M8 6h13M8 12h13M8 18h13M3 6h.01M3 12h.01M3 18h.01"/>',
  calendar: '<rect x="3" y="4" width="18" height="18" rx="2"/><path d="M16 2v4M8 2v4M3 10h18"/>',
  play: '<circle cx="12" cy="12" r="10"/><path d="M10 8l6 4-6 4z"/>',
  heart: '<path d="M20.8 4.6a5.5 5.5 0 0 0-7.8 0L12 5.7l-1-1.1a5.5 5.5 0 0 0-7.8 7.8l1 1.1L12 21l7.8-7.5 1-1.1a5.5 5.5 0 0 0 0-7.8z"/>',
  star: '<path d="M12 2l3.1 6.3 6.9 1-5 4.9 1.2 6.8L12 17.8 5.8 21l1.2-6.8-5-4.9 6.9-1z"/>',
  gift: '<rect x="3" y="8" width="18" height="4" rx="1"/><path d="M12 8v13M19 12v9H5v-9M7.5 8a2.5 2.5 0 0 1 0-5C11 3 12 8 12 8s1-5 4.5-5a2.5 2.5 0 0 1 0 5"/>',
  zap: '<path d="M13 2 3 14h9l-1 8 10-12h-9z"/>',
  coin: '<circle cx="12" cy="12" r="10"/><path d="M16 8h-6a2 2 0 0 0 0 4h4a2 2 0 0 1 0 4H8M12 6v2M12 16v2"/>',
  badge: '<circle cx="12" cy="8" r="6"/><path d="M15.5 13.5 17 22l-5-3-5 3 1.5-8.5"/>',
  link: '<path d="M10 13a5 5 0 0 0 7.5.5l3-3a5 5 0 0 0-7-7l-1.7 1.7"/><path d="M14 11a5 5 0 0 0-7.5-.5l-3 3a5 5 0 0 0 7 7l1.7-1.7"/>',
  eyeoff: '<path d="M17.9 17.9A10 10 0 0 1 12 20c-7 0-11-8-11-8a18.5 18.5 0 0 1 5.1-5.9M9.9 4.2A9 9 0 0 1 12 4c7 0 11 8 11 8a18.5 18.5 0 0 1-2.2 3.2M14.1 14.1a3 3 0 1 1-4.2-4.2M1 1l22 22"/>',
  pin: '<path d="M12 17v5M9 3h6l-1 7 4 4H6l4-4z"/>',
  qa: '<path d="M21 15a2 2 0 0 1-2 2H7l-4 4V5a2 2 0 0 1 2-2h14a2 2 0 0 1 2 2z"/><path d="M9.5 8.5a2.5 2.5 0 1 1 3.3 2.4c-.5.2-.8.6-.8 1.1v.5M12 14.5h.01"/>',
  text_answer: '<path d="M4 6h16M4 10h16M4 14h10"/><path d="M16 18l2 2 4-4"/>',
  qr: '<rect x="3" y="3" width="7" height="7" rx="1"/><rect x="14" y="3" width="7" height="7" rx="1"/><rect x="3" y="14" width="7" height="7" rx="1"/><path d="M14 14h3v3M21 14v.01M17 21h4v-4M14 21v-3"/>',
};
const SVG = "http://www.w3.org/2000/svg";

/// An icon: from the sprite when it has one, else drawn here (same look).
export function glyph(name, cls = "icon") {
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", `${cls} glyph-${name}`);
  svg.setAttribute("aria-hidden", "true");
  svg.setAttribute("viewBox", "0 0 24 24");
  if (PATHS[name]) svg.innerHTML = PATHS[name]; // constant markup above, never user text
  else {
    const use = document.createElementNS(SVG, "use");
    use.setAttribute("href", `/icons.svg#${name}`);
    svg.append(use);
  }
  return svg;
}

export { ask } from "./dialog.js";

// Join codes. The generator draws from letters and digits nobody confuses when reading a
// projector from the back of the room (no 0/O, 1/I/L, 2/Z, 5/S, 8/B, 6/G, Q).
const SAFE = "ACDEFHJKMNPRTUVWXY34679";
const LOOKALIKES = "0Oo1lIi5Ss2Zz8B";

export function generateCode(length = 6) {
  const r = new Uint32Array(length);
  crypto.getRandomValues(r);
  return [...r].map((x) => SAFE[x % SAFE.length]).join("");
}

/// What may trouble attendees typing this code: easily misread characters, shortness.
export function codeWarnings(code) {
  const out = [];
  const c = code.trim();
  if (!c) return out;
  const bad = [...new Set([...c].filter((ch) => LOOKALIKES.includes(ch)))];
  if (bad.length) out.push(t("editor.code_lookalike", { chars: bad.map((ch) => `“${ch}”`).join(" ") }));
  if ([...c].length < 4) out.push(t("editor.code_short"));
  return out;
}

/// `a`, `b`, … `z`, `aa`, … (storage's `generated_slug`).
function generatedSlug(n) {
  let s = "";
  for (;;) {
    s = String.fromCharCode(97 + (n % 26)) + s;
    if (n < 26) return s;
    n = Math.floor(n / 26) - 1;
  }
}

/// The slug each choice will have once saved: its own, or the first free generated one, the
/// way the server fills them in (storage's `MeetingFile::fill_slugs`).
export function effectiveSlugs(choices) {
  const taken = new Set(choices.map((c) => (c.slug || "").trim()).filter(Boolean));
  let next = 0;
  return choices.map((c) => {
    const own = (c.slug || "").trim();
    if (own) return own;
    while (taken.has(generatedSlug(next))) next += 1;
    return generatedSlug(next++);
  });
}

/// "14:32" today, else a short date and time, in the page's language.
export function shortTime(at, lang) {
  const d = new Date(at);
  if (Number.isNaN(d.getTime())) return "";
  const today = new Date().toDateString() === d.toDateString();
  return today ? d.toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString(lang, { dateStyle: "medium", timeStyle: "short" });
}
