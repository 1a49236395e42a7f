// The chat overlay (/overlay/chat.html, 400×600): the meeting's merged chat, newest at the
// bottom, each line with its platform's icon, the viewer's badges and name, and bot lines
// styled apart. Bounded (`?max=`, default 30: the oldest line goes first); `?fade=S` lets
// lines go after S seconds; `?hide_bots=1` leaves bot lines out. Every name and text from a
// chat is inserted as text, never as HTML.

import { $, el } from "./common.js";
import { t } from "./i18n.js";
import { setup, connect, flag, num, glyph } from "./overlay.js";

setup();
const max = Math.round(num("max", 30, 1, 200));
const fade = num("fade", 0, 0, 3600);
const hideBots = flag("hide_bots");
const lines = $("#lines");

const PLATFORMS = { twitch: "Twitch", youtube: "YouTube", room: null, bot: null };
const BADGES = ["broadcaster", "moderator", "vip", "subscriber", "member"];
/// The badges' names, for assistive technology and the page's tooltips.
function badgeName(b) {
  return {
    broadcaster: t("overlay.badge_broadcaster"),
    moderator: t("overlay.badge_moderator"),
    vip: t("overlay.badge_vip"),
    subscriber: t("overlay.badge_subscriber"),
    member: t("overlay.badge_member"),
  }[b];
}

/// A stable colour per viewer name (one of eight readable on the lines' dark backing).
function hue(name) {
  let h = 0;
  for (const ch of name.toLowerCase()) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h % 8;
}

function line(f) {
  const bot = f.bot === true || f.platform === "bot";
  const platform = bot ? "bot" : (f.platform in PLATFORMS ? f.platform : "room");
  const name = String(f.user_name ?? "");
  const label = bot ? t("overlay.bot") : PLATFORMS[platform] || t("overlay.room");
  const badges = (Array.isArray(f.badges) ? f.badges : []).filter((b) => BADGES.includes(b));
  const node = el("li", { class: `lk-line lk-line-${platform}${bot ? " lk-line-bot" : ""}`, "data-platform": platform },
    el("span", { class: "lk-line-head" },
      glyph(bot ? "bot" : platform, "lk-platform", label),
      ...badges.map((b) => el("span", { class: `lk-badge lk-badge-${b}`, title: badgeName(b), "data-badge": b }, glyph(b, "lk-badge-icon", badgeName(b)))),
      el("span", { class: `lk-user lk-user-${hue(name)}`, dir: "auto" }, name),
      el("span", { class: "lk-colon" }, ":")),
    " ",
    el("span", { class: "lk-text", dir: "auto" }, String(f.text ?? "")));
  return node;
}

function add(f) {
  if (hideBots && (f.bot === true || f.platform === "bot")) return;
  const node = line(f);
  lines.append(node);
  requestAnimationFrame(() => node.classList.add("lk-in"));
  // Bounded: the oldest lines go first.
  while (lines.children.length > max) lines.firstElementChild.remove();
  if (fade > 0) {
    setTimeout(() => {
      node.classList.add("lk-out");
      // The CSS transition fades it; it leaves the list once faded (or at once without motion).
      const gone = () => node.remove();
      node.addEventListener("transitionend", gone, { once: true });
      setTimeout(gone, 1200);
    }, fade * 1000);
  }
}

connect((f) => { if (f.type === "chat") add(f); });
