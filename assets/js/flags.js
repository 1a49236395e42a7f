// The flags' printable sheet (`/flags.html?meeting=ID`, staff who control the meeting): one
// cut-out card per flag with its QR code, its name and points, a "Scan me" hint and the
// typed form `PREFIX{code}`. Printed on A4, a card never splits across pages (app.css,
// "Flag sheet"). A phone that scans a card opens `/?meeting=ID&flag=…`, which claims the
// flag (assets/js/index.js). Everything comes from `GET /api/meetings/ID/flags`; names and
// codes are inserted as text only, the QR codes as images.

import { $, el, getJson, errorText, meetingParam } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { ensureStaff, pickMeeting, logout } from "./staff.js";

applyTheme();
mountTools();

const meeting = meetingParam();
let flags = null;
let title = "";

function show(id) {
  for (const s of ["#pick-panel", "#problem", "#sheet"]) $(s).classList.toggle("hidden", s !== id);
}

function problem(text) {
  $("#problem").replaceChildren(el("p", {}, text), el("p", {}, el("a", { href: "/flags.html" }, t("flags.pick"))));
  show("#problem");
}

async function load() {
  const [res, info] = await Promise.all([
    getJson(`/api/meetings/${meeting}/flags`),
    getJson(`/api/meetings/${meeting}`),
  ]);
  if (res.status === 401) { location.reload(); return; }
  if (res.status === 403) { problem(t("flags.forbidden")); return; }
  if (res.status === 404) { problem(t("flags.not_found")); return; }
  if (!res.ok || !Array.isArray(res.data)) { problem(errorText(res.data?.error || "offline")); return; }
  flags = res.data;
  title = info.ok && info.data ? info.data.title : "";
  $("#dash-link").href = `/organize.html?meeting=${meeting}`;
  $("#dash-link").classList.remove("hidden");
  render();
  show("#sheet");
}

/// The SVG the server made, as an image: never parsed into the page.
const svgImage = (svg) => `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;

function card(f) {
  const points = f.first_blood > 0
    ? [t("flags.points", { n: f.points }), t("flags.first_blood", { n: f.first_blood })].join(" · ")
    : t("flags.points", { n: f.points });
  return el("li", { class: "flag-card" },
    f.qr_svg
      ? el("img", { class: "flag-qr", src: svgImage(f.qr_svg), alt: t("flags.qr_alt", { name: f.name }), width: 200, height: 200 })
      : el("p", { class: "flag-no-qr" }, t("flags.no_qr")),
    el("p", { class: "flag-scan" }, t("flags.scan")),
    el("h2", { class: "flag-name" }, f.name),
    el("p", { class: "flag-points" }, points),
    el("p", { class: "flag-typed" }, el("code", {}, f.flag)));
}

function render() {
  if (!flags) return;
  const heading = title ? `${t("flags.title")} · ${title}` : t("flags.title");
  document.title = `${heading} · LibreKast`;
  $("#sheet-title").textContent = heading;
  $("#flag-count").textContent = t("flags.count", { n: flags.length });
  // Phones cannot open the server's own loopback address: the codes would not work.
  let origin = "";
  try { origin = flags.length ? new URL(flags[0].url).origin : ""; } catch { /* not a URL */ }
  const loopback = /^https?:\/\/(localhost|127\.[\d.]+|\[::1\])(:\d+)?$/i.test(origin);
  $("#loopback").classList.toggle("hidden", !loopback);
  $("#loopback").textContent = loopback ? t("org.loopback") : "";
  $("#print").disabled = !flags.length;
  $("#cards").replaceChildren(...(flags.length ? flags.map(card) : [el("li", { class: "card muted" }, t("flags.none"))]));
}

$("#print").addEventListener("click", () => window.print());
$("#logout").addEventListener("click", logout);
onLangChange(render);

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  if (meeting === null) {
    show("#pick-panel");
    pickMeeting((m) => `/flags.html?meeting=${m.id}`, { list: "/api/meetings?status=all" });
  } else load();
})();
