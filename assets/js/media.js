// The media page (staff): the files of the media store (docs/api.md, "Media") with a preview,
// their type, size and name, an id to copy into a meeting (a revolution bot's `media`) and a
// delete button for those this account may delete (an organizer their own, an admin any);
// files are added with the picker or by dropping them on the page, each upload with its
// progress and, when refused, why (too large, not an accepted format).

import { $, el, icon, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange, currentLang } from "./i18n.js";
import { ensureStaff, logout } from "./staff.js";
import { confirmDialog } from "./dialog.js";
import { send, say, sessionEnded, relativeTime, fullTime } from "./people.js";

applyTheme();
mountTools();

/// What the server accepts (it checks the content; this only spares a pointless upload).
const ACCEPTED = ["video/mp4", "video/webm", "image/gif", "image/png", "image/jpeg", "image/webp"];
const ACCEPTED_EXT = /\.(mp4|m4v|webm|gif|png|jpe?g|webp)$/i;

let files = [];
let maxBytes = 20 * 1024 * 1024;
let loaded = false;

const toast = (text, ok = false) => say("#media-toast", text, ok);

/// `734 KB`, `18.2 MB`, in the page's language.
function size(bytes) {
  const units = [["byte", 1], ["kilobyte", 1024], ["megabyte", 1024 ** 2], ["gigabyte", 1024 ** 3]];
  let [unit, div] = units[0];
  for (const u of units) if (bytes >= u[1]) [unit, div] = u;
  const value = bytes / div;
  return new Intl.NumberFormat(currentLang(), {
    // "267 bytes", but "37 kB": the short form of a byte is the unit's bare name.
    style: "unit", unit, unitDisplay: div > 1 ? "short" : "long", maximumFractionDigits: value < 10 && div > 1 ? 1 : 0,
  }).format(value);
}

const kindOf = (type) => (type.startsWith("video/") ? "video" : "image");
const FORMATS = { mp4: "MP4", webm: "WebM", gif: "GIF", png: "PNG", jpeg: "JPEG", webp: "WebP" };
const typeLabel = (type) => {
  const sub = type.split("/")[1] || "";
  return t(`media.type_${kindOf(type)}`, { format: FORMATS[sub] || sub.toUpperCase() });
};

function failure(res) {
  const code = res.data?.error;
  if (code === "too_large") return t("media.too_large", { max: size(res.data?.max_bytes ?? maxBytes) });
  if (code === "unsupported_media") return t("media.unsupported");
  if (code === "not_found") return t("media.gone");
  if (code === "forbidden") return t("media.not_yours");
  if (code === "not_configured") return t("media.not_configured");
  return errorText(code || "offline");
}

function preview(m) {
  const label = m.name || t("media.unnamed");
  if (kindOf(m.content_type) === "video") {
    // Muted and looping on hover: a glance at what the alert will show, without sound.
    const video = el("video", { src: m.url, muted: true, loop: true, playsinline: true, preload: "metadata", "aria-label": label });
    video.muted = true;
    const card = () => video.closest(".media-card");
    video.addEventListener("loadedmetadata", () => { video.currentTime = Math.min(0.5, video.duration / 2 || 0); });
    video.addEventListener("mouseenter", () => video.play().catch(() => {}));
    video.addEventListener("mouseleave", () => video.pause());
    video.addEventListener("error", () => card()?.classList.add("broken"));
    return el("div", { class: "media-preview" }, video, el("span", { class: "media-kind" }, icon("screen"), t("media.video")));
  }
  const img = el("img", { src: m.url, alt: label, loading: "lazy", decoding: "async" });
  img.addEventListener("error", () => img.closest(".media-card")?.classList.add("broken"));
  return el("div", { class: "media-preview" }, img);
}

async function copyId(m, button) {
  let copied = false;
  try { await navigator.clipboard.writeText(m.id); copied = true; } catch { /* not a secure context */ }
  if (!copied) {
    const code = button.closest(".media-card")?.querySelector(".media-id");
    if (code) {
      const range = document.createRange();
      range.selectNodeContents(code);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      try { copied = document.execCommand("copy"); } catch { copied = false; }
    }
  }
  toast(copied ? t("media.copied", { id: m.id }) : t("media.copy_select"), copied);
}

function card(m) {
  const name = m.name || t("media.unnamed");
  const nameId = `media-name-${m.id}`;
  const copy = el("button", { type: "button", class: "secondary small", "aria-describedby": nameId }, icon("copy"), el("span", {}, t("media.copy_id")));
  copy.addEventListener("click", () => copyId(m, copy));
  const actions = [copy];
  if (m.can_delete) {
    const remove = el("button", { type: "button", class: "secondary small danger-outline", "aria-label": t("media.delete_label", { name }) }, icon("trash"), el("span", {}, t("media.delete")));
    remove.addEventListener("click", () => removeFile(m));
    actions.push(remove);
  }
  const who = m.uploaded_by ? t("media.by", { name: m.uploaded_by }) : null;
  return el("li", { class: "media-card", "data-media": m.id },
    preview(m),
    el("div", { class: "media-body" },
      el("p", { class: "media-name", id: nameId, title: name }, name),
      el("p", { class: "media-meta muted" },
        el("span", {}, typeLabel(m.content_type)), " · ", el("span", {}, size(m.size)),
        " · ", el("time", { datetime: m.created_at, title: fullTime(m.created_at) }, relativeTime(m.created_at)),
        who ? [" · ", el("span", {}, who)] : null),
      el("p", { class: "media-id-line" }, el("span", { class: "sr-only" }, t("media.id")), el("code", { class: "media-id" }, m.id)),
      el("div", { class: "media-actions" }, ...actions)));
}

function render() {
  $("#limits").textContent = t("media.limits", { max: size(maxBytes) });
  if (!loaded) return;
  $("#media").replaceChildren(...files.map(card));
  $("#media-count").textContent = t("media.count", { n: files.length });
  $("#media-empty").classList.toggle("hidden", files.length > 0);
}

async function load() {
  const res = await send("GET", "/api/media");
  if (!res.ok) { toast(failure(res)); return; }
  files = Array.isArray(res.data?.media) ? res.data.media : [];
  if (Number.isFinite(res.data?.max_bytes)) maxBytes = res.data.max_bytes;
  loaded = true;
  $("#media-page").classList.remove("hidden");
  render();
}

async function removeFile(m) {
  const name = m.name || t("media.unnamed");
  const sure = await confirmDialog({
    title: t("media.delete_title", { name }), text: t("media.delete_text"), ok: t("media.delete"),
  });
  if (!sure) return;
  const res = await send("DELETE", `/api/media/${encodeURIComponent(m.id)}`);
  toast(res.ok ? t("media.deleted", { name }) : failure(res), res.ok);
  await load();
}

/// One upload: the raw file as the body, with progress. Resolves `{ok, status, data}`.
function put(file, onProgress) {
  return new Promise((resolve) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", "/api/media");
    xhr.setRequestHeader("content-type", "application/octet-stream");
    xhr.setRequestHeader("x-filename", encodeURIComponent(file.name));
    xhr.setRequestHeader("accept", "application/json");
    xhr.upload.addEventListener("progress", (ev) => { if (ev.lengthComputable) onProgress(ev.loaded / ev.total); });
    xhr.addEventListener("load", () => {
      let data = {};
      try { data = JSON.parse(xhr.responseText || "{}"); } catch { /* not JSON */ }
      resolve({ ok: xhr.status >= 200 && xhr.status < 300, status: xhr.status, data: data ?? {} });
    });
    // A refusal while the body was still going out can end as a dropped connection.
    xhr.addEventListener("error", () => resolve({ ok: false, status: 0, data: { error: "offline" } }));
    xhr.send(file);
  });
}

async function uploadOne(file) {
  const bar = el("progress", { max: "1", value: "0", "aria-label": t("media.uploading", { name: file.name }) });
  const status = el("span", { class: "upload-status" }, t("media.uploading", { name: file.name }));
  const row = el("li", { class: "upload busy" }, el("span", { class: "upload-name", title: file.name }, file.name), bar, status);
  $("#uploads").prepend(row);
  const refuse = (text) => {
    row.className = "upload bad";
    bar.remove();
    status.textContent = text;
  };
  // Checked here too so nobody waits for 200 MB to go up just to hear "too large".
  if (file.size > maxBytes) { refuse(t("media.too_large", { max: size(maxBytes) })); return; }
  if (!ACCEPTED.includes(file.type) && !ACCEPTED_EXT.test(file.name)) { refuse(t("media.unsupported")); return; }
  const res = await put(file, (share) => { bar.value = share; });
  if (res.status === 401) { sessionEnded(); return; }
  if (!res.ok) { refuse(failure(res)); return; }
  row.className = "upload ok";
  bar.remove();
  status.textContent = t("media.uploaded", { name: file.name });
  setTimeout(() => row.remove(), 6000);
}

async function uploadAll(list) {
  const picked = [...list];
  if (!picked.length) return;
  toast("");
  $("#drop").setAttribute("aria-busy", "true");
  for (const file of picked) await uploadOne(file);
  $("#drop").removeAttribute("aria-busy");
  await load();
}

function wireDrop() {
  const zone = $("#drop");
  const input = $("#file-input");
  $("#pick").addEventListener("click", () => input.click());
  input.addEventListener("change", () => { uploadAll(input.files); input.value = ""; });
  // The whole page takes a drop: aiming at the box is not required.
  let depth = 0;
  const hasFiles = (ev) => [...(ev.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragenter", (ev) => { if (!hasFiles(ev)) return; depth += 1; zone.classList.add("dragging"); });
  document.addEventListener("dragleave", () => { depth = Math.max(0, depth - 1); if (!depth) zone.classList.remove("dragging"); });
  document.addEventListener("dragover", (ev) => { if (hasFiles(ev)) ev.preventDefault(); });
  document.addEventListener("drop", (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    depth = 0;
    zone.classList.remove("dragging");
    uploadAll(ev.dataTransfer.files);
  });
}

$("#logout")?.addEventListener("click", logout);
onLangChange(render);

(async () => {
  await ensureStaff();
  $("#logout")?.classList.remove("hidden");
  wireDrop();
  await load();
})();
