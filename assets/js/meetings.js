// The meetings page (staff): every meeting the staff member may see, filtered as running,
// upcoming, finished or all, each with its dashboard, editor and results, and duplicate,
// export, reset (to rehearse), share and delete. New meetings start in the editor; a
// meeting file (JSON) is imported here, GIFT questions in the editor (docs/web-app.md,
// "Meeting editor").

import { $, $$, el, icon, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange, currentLang } from "./i18n.js";
import { ensureStaff, logout } from "./staff.js";
import { api, glyph, ask } from "./editkit.js";

applyTheme();
mountTools();

const TABS = ["running", "upcoming", "finished", "all"];
const group = (m) => (m.status === "before" ? "upcoming" : m.status === "after" ? "finished" : "running");
const EMPTY = {
  running: ["play", "meetings.empty_running", "meetings.empty_running_hint"],
  upcoming: ["calendar", "meetings.empty_upcoming", "meetings.empty_upcoming_hint"],
  finished: ["trophy", "meetings.empty_finished", "meetings.empty_finished_hint"],
  all: ["list", "meetings.empty_all", "meetings.empty_upcoming_hint"],
};

let meetings = [];
let loaded = false;
let tab = TABS.includes(new URLSearchParams(location.search).get("tab")) ? new URLSearchParams(location.search).get("tab") : null;
let openMenu = null;
let highlight = null;

function toast(text, ok = false) {
  const node = $("#toast");
  node.textContent = text;
  node.className = "toast " + (text ? (ok ? "ok" : "bad") : "");
}

/// A failed call's sentence; a session that ended goes back to the login form.
function failure(res) {
  if (res.status === 401) {
    try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
    location.reload();
  }
  if (res.status === 404) return t("meetings.gone");
  return res.data?.message && res.data.error !== "internal" ? res.data.message : errorText(res.data?.error || "offline");
}

async function load() {
  const res = await api("GET", "/api/meetings?status=all");
  if (!res.ok) { toast(failure(res)); return; }
  meetings = Array.isArray(res.data) ? res.data : [];
  loaded = true;
  if (!tab) {
    const counts = countBy();
    tab = counts.running ? "running" : counts.upcoming ? "upcoming" : "all";
  }
  render();
}

function countBy() {
  const counts = { running: 0, upcoming: 0, finished: 0, all: meetings.length };
  for (const m of meetings) counts[group(m)] += 1;
  return counts;
}

function render() {
  if (!loaded) return;
  const counts = countBy();
  for (const name of TABS) {
    const b = $(`#tab-${name}`), on = name === tab;
    b.setAttribute("aria-selected", String(on));
    b.tabIndex = on ? 0 : -1;
    $(`#count-${name}`).textContent = String(counts[name]);
  }
  $("#meeting-panel").setAttribute("aria-labelledby", `tab-${tab}`);
  const shown = meetings.filter((m) => tab === "all" || group(m) === tab);
  const list = $("#meeting-list");
  list.replaceChildren(...shown.map(row));
  if (!shown.length) list.append(emptyState());
  if (highlight !== null) {
    const li = list.querySelector(`[data-meeting="${highlight}"]`);
    li?.classList.add("fresh");
    highlight = null;
  }
}

function emptyState() {
  const [glyphName, title, hint] = EMPTY[tab];
  const offerNew = tab === "upcoming" || tab === "all";
  return el("li", { class: "mt-empty" },
    glyph(glyphName),
    el("h2", {}, t(title)),
    el("p", { class: "muted" }, t(hint)),
    offerNew ? el("p", {}, el("a", { class: "button", href: "/editor.html" }, icon("plus"), t("meetings.new"))) : null);
}

function meta(m) {
  const created = new Date(m.created_at);
  const date = Number.isNaN(created.getTime()) ? "" : created.toLocaleDateString(currentLang(), { dateStyle: "medium" });
  const facts = [
    t("meetings.activities", { n: m.activities }),
    t("meetings.attendees", { n: m.attendees }),
    date ? t("meetings.created", { date }) : null,
  ].filter(Boolean);
  const people = [];
  if (m.owner) people.push(t("meetings.owner", { name: m.owner }));
  if (m.shared_with?.length) people.push(t("meetings.shared", { names: m.shared_with.join(", ") }));
  return [
    el("p", { class: "mt-meta" }, ...facts.map((f) => el("span", {}, f))),
    people.length ? el("p", { class: "mt-meta mt-people" }, icon("users"), ...people.map((f) => el("span", {}, f))) : null,
  ];
}

function statusBadge(m) {
  const g = group(m);
  return el("span", { class: `badge mt-status mt-${g}` }, g === "running" ? el("span", { class: "dot", "aria-hidden": "true" }) : null, t(`status.${m.status}`));
}

function row(m) {
  const id = m.id, titleId = `mt-title-${id}`;
  const menuId = `mt-menu-${id}`;
  const item = (name, label, onclick, cls = "") => el("li", {}, el("button", { type: "button", class: `mt-menu-item ${cls}`, "data-action": name, onclick: () => { closeMenu(); onclick(m); } }, glyph(name === "delete" ? "trash" : name === "duplicate" ? "copy" : name === "export" ? "download" : name), el("span", {}, label)));
  const more = el("button", { type: "button", class: "secondary small mt-more", "aria-expanded": "false", "aria-controls": menuId, "aria-label": t("meetings.more_label", { title: m.title }) },
    el("span", { "aria-hidden": "true", class: "dots" }, "⋯"), el("span", { class: "more-text" }, t("meetings.more")));
  const menu = el("ul", { class: "mt-menu", id: menuId, hidden: true },
    item("duplicate", t("meetings.duplicate"), duplicate),
    item("export", t("meetings.export"), exportFile),
    item("reset", t("meetings.reset"), reset),
    m.can_manage ? item("share", t("meetings.share"), share) : null,
    m.can_manage ? item("delete", t("meetings.delete"), remove, "danger-text") : null);
  more.addEventListener("click", () => toggleMenu(more, menu));
  const finished = group(m) === "finished";
  return el("li", { class: `mt-row mt-${group(m)}`, "data-meeting": id },
    el("div", { class: "mt-info" },
      el("div", { class: "mt-title-line" }, statusBadge(m), el("h2", { class: "mt-title", id: titleId }, m.title)),
      ...meta(m)),
    el("div", { class: "mt-buttons" },
      el("a", { class: `button small ${finished ? "secondary" : ""}`, href: `/organize.html?meeting=${id}`, "data-action": "dashboard", "aria-describedby": titleId }, icon("screen"), el("span", {}, t("meetings.dashboard"))),
      el("a", { class: "button small secondary", href: `/editor.html?meeting=${id}`, "data-action": "edit", "aria-describedby": titleId }, glyph("edit"), el("span", {}, t("meetings.edit"))),
      el("a", { class: `button small ${finished ? "" : "secondary"}`, href: `/results.html?meeting=${id}`, "data-action": "results", "aria-describedby": titleId }, icon("trophy"), el("span", {}, t("results.link"))),
      el("div", { class: "mt-more-wrap" }, more, menu)));
}

function closeMenu(focusBack = false) {
  if (!openMenu) return;
  const { button, menu } = openMenu;
  menu.hidden = true;
  button.setAttribute("aria-expanded", "false");
  openMenu = null;
  if (focusBack) button.focus();
}

function toggleMenu(button, menu) {
  const wasOpen = openMenu?.menu === menu;
  closeMenu();
  if (wasOpen) return;
  menu.hidden = false;
  button.setAttribute("aria-expanded", "true");
  openMenu = { button, menu };
  menu.querySelector("button")?.focus();
}

document.addEventListener("click", (ev) => {
  if (openMenu && !openMenu.menu.contains(ev.target) && !openMenu.button.contains(ev.target)) closeMenu();
});
document.addEventListener("keydown", (ev) => {
  if (!openMenu) return;
  if (ev.key === "Escape") { ev.preventDefault(); closeMenu(true); return; }
  if (ev.key === "ArrowDown" || ev.key === "ArrowUp") {
    const items = $$("button", openMenu.menu);
    const i = items.indexOf(document.activeElement);
    if (i < 0) return;
    ev.preventDefault();
    items[(i + (ev.key === "ArrowDown" ? 1 : items.length - 1)) % items.length].focus();
  }
});
document.addEventListener("focusin", (ev) => {
  if (openMenu && !openMenu.menu.contains(ev.target) && !openMenu.button.contains(ev.target)) closeMenu();
});

async function duplicate(m) {
  const res = await api("POST", `/api/meetings/${m.id}/duplicate`);
  if (!res.ok) { toast(failure(res)); return; }
  toast(t("meetings.duplicated", { title: m.title }), true);
  highlight = res.data.id;
  tab = tab === "all" ? "all" : "upcoming";
  syncUrl();
  await load();
}

async function exportFile(m) {
  const res = await api("GET", `/api/meetings/${m.id}/plan`);
  if (!res.ok) { toast(failure(res)); return; }
  // A meeting file without the editor's ids: what `librekast meeting import` reads.
  const file = res.data;
  for (const a of file.activities || []) { delete a.id; for (const c of a.choices || []) delete c.id; }
  for (const f of file.flags || []) delete f.id;
  const blob = new Blob([JSON.stringify(file, null, 2) + "\n"], { type: "application/json" });
  const a = el("a", { href: URL.createObjectURL(blob), download: `meeting-${m.id}.json`, class: "hidden" });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}

async function reset(m) {
  const running = group(m) === "running";
  const ok = await ask({
    title: t("meetings.reset_title", { title: m.title }),
    text: (m.attendees ? t("meetings.reset_text", { n: m.attendees }) : t("meetings.reset_text_nobody")) + (running ? " " + t("meetings.reset_running") : ""),
    ok: t("meetings.reset_ok"),
    danger: true,
  });
  if (!ok) return;
  const res = await api("POST", `/api/meetings/${m.id}/reset`);
  if (!res.ok) { toast(failure(res)); return; }
  toast(t("meetings.reset_done", { title: m.title }), true);
  highlight = m.id;
  await load();
}

async function remove(m) {
  const ok = await ask({
    title: t("meetings.delete_title", { title: m.title }),
    text: m.attendees ? t("meetings.delete_text", { n: m.attendees }) : t("meetings.delete_text_nobody"),
    ok: t("meetings.delete_ok"),
    danger: true,
    typeToConfirm: t("meetings.delete_word"),
  });
  if (!ok) return;
  const res = await api("DELETE", `/api/meetings/${m.id}`);
  if (!res.ok) { toast(failure(res)); return; }
  // The list is reloaded before the toast so what it says is already true on screen.
  await load();
  toast(t("meetings.deleted", { title: m.title }), true);
  $("#meeting-panel").focus();
}

// Sharing: owners and admins let other staff accounts control a meeting.
let shareDialog = null;
async function share(m) {
  if (!shareDialog) {
    shareDialog = el("dialog", { class: "confirm share-dialog", id: "share", "aria-labelledby": "share-title" });
    document.body.append(shareDialog);
  }
  const d = shareDialog, back = document.activeElement;
  let shared = [...(m.shared_with || [])];
  const list = el("ul", { class: "share-list", "aria-live": "polite" });
  const input = el("input", { type: "text", id: "share-name", autocomplete: "off", autocapitalize: "off", spellcheck: "false", maxlength: "64", "aria-describedby": "share-name-error" });
  const error = el("p", { class: "field-error", id: "share-name-error" });
  const drawList = () => {
    list.replaceChildren(...shared.map((name) => el("li", {},
      icon("user"), el("span", { class: "who" }, name),
      el("button", { type: "button", class: "secondary small", "aria-label": t("meetings.unshare_label", { name }), onclick: () => unshare(name) }, t("meetings.unshare")))));
    if (!shared.length) list.append(el("li", { class: "muted" }, t("meetings.shared_none")));
  };
  const setShared = (names) => { shared = names; m.shared_with = names; drawList(); };
  const unshare = async (name) => {
    const res = await api("DELETE", `/api/meetings/${m.id}/staff/${encodeURIComponent(name)}`);
    if (res.ok) { setShared(res.data.shared_with || []); input.focus(); } else error.textContent = failure(res);
  };
  const form = el("form", { class: "share-form", novalidate: true },
    el("label", { for: "share-name" }, t("meetings.share_with")),
    el("div", { class: "row" }, el("div", { class: "grow" }, input), el("button", { type: "submit" }, t("meetings.share_add"))),
    error);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const username = input.value.trim();
    if (!username) { error.textContent = t("meetings.share_need_name"); input.setAttribute("aria-invalid", "true"); return; }
    const res = await api("POST", `/api/meetings/${m.id}/staff`, { username });
    if (res.ok) { setShared(res.data.shared_with || []); input.value = ""; error.textContent = ""; input.removeAttribute("aria-invalid"); }
    else { error.textContent = res.status === 404 ? t("meetings.share_unknown", { name: username }) : failure(res); input.setAttribute("aria-invalid", "true"); }
  });
  const closeBtn = el("button", { type: "button", class: "secondary" }, t("dialog.done"));
  d.replaceChildren(
    el("h2", { id: "share-title" }, t("meetings.share_title", { title: m.title })),
    el("p", {}, t("meetings.share_text")),
    m.owner ? el("p", { class: "muted" }, t("meetings.owner", { name: m.owner })) : null,
    list, form,
    el("div", { class: "dialog-actions" }, closeBtn));
  drawList();
  await new Promise((resolve) => {
    const done = () => { d.oncancel = null; d.close(); resolve(); };
    closeBtn.onclick = done;
    d.oncancel = (ev) => { ev.preventDefault(); done(); };
    d.showModal();
    input.focus();
  });
  render();
  back?.focus?.();
}

// Importing a meeting file (JSON): created as a new upcoming meeting owned by the importer.
function report(kind, title, items = [], actions = []) {
  const box = $("#import-report");
  box.className = `import-report is-${kind}`;
  box.replaceChildren(
    el("div", { class: "report-head" }, kind === "ok" ? icon("check") : glyph("alert"), el("strong", {}, title),
      el("button", { type: "button", class: "secondary small report-close", "aria-label": t("meetings.report_close"), onclick: () => box.classList.add("hidden") }, icon("cross"))),
    items.length ? el("ul", { class: "report-list" }, ...items.map((i) => el("li", {}, i))) : null,
    actions.length ? el("p", { class: "report-actions" }, ...actions) : null);
  box.focus();
}

async function importFile(file) {
  let text = "", data;
  try { text = await file.text(); data = JSON.parse(text); } catch (e) {
    report("bad", t("meetings.import_failed", { name: file.name }), [t("meetings.import_not_json", { message: String(e.message || e) })]);
    return;
  }
  const res = await api("POST", "/api/meetings", data);
  if (res.ok) {
    highlight = res.data.id;
    tab = tab === "all" ? "all" : "upcoming";
    syncUrl();
    await load();
    report("ok", t("meetings.imported", { title: data.title ?? file.name }), [], [
      el("a", { class: "button small", href: `/editor.html?meeting=${res.data.id}` }, glyph("edit"), t("meetings.edit")),
      el("a", { class: "button small secondary", href: `/organize.html?meeting=${res.data.id}` }, icon("screen"), t("meetings.dashboard")),
    ]);
    return;
  }
  const errors = res.data?.errors || [];
  const items = errors.length ? errors.map((e) => e.message) : [res.data?.message || failure(res)];
  report("bad", t("meetings.import_failed", { name: file.name }), items);
}

function syncUrl() {
  const url = new URL(location.href);
  url.searchParams.set("tab", tab);
  history.replaceState(null, "", url);
}

function selectTab(name, focus = false) {
  tab = name;
  syncUrl();
  closeMenu();
  render();
  if (focus) $(`#tab-${name}`).focus();
}

$("#tabs").addEventListener("click", (ev) => {
  const b = ev.target.closest("[role=tab]");
  if (b) selectTab(b.dataset.tab);
});
$("#tabs").addEventListener("keydown", (ev) => {
  const i = TABS.indexOf(tab);
  const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: TABS.length - 1 }[ev.key];
  if (next === undefined) return;
  ev.preventDefault();
  selectTab(TABS[(next + TABS.length) % TABS.length], true);
});
$("#import-file").addEventListener("click", () => $("#import-file-input").click());
$("#import-file-input").addEventListener("change", (ev) => {
  const file = ev.target.files?.[0];
  ev.target.value = "";
  if (file) importFile(file);
});
$("#logout").addEventListener("click", logout);
onLangChange(render);
// Back from the dashboard or the editor: counts and statuses may have moved.
document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible" && loaded) load(); });

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  $("#meetings-page").classList.remove("hidden");
  await load();
})();
