// The users page (admins): every staff account with its role, last login and open sessions;
// add one (the password, given or generated, is shown once with a copy button), change a
// role, reset a password (shown once), remove an account. Whatever ends someone's sessions
// asks first. Others see "admins only". The server keeps at least one admin.

import { $, el, icon, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { ensureStaff, currentStaff, logout } from "./staff.js";
import { confirmDialog, showSecret, secretBox } from "./dialog.js";
import { send, fieldError, say, relativeTime, fullTime } from "./people.js";

applyTheme();
mountTools();

const ROLES = ["organizer", "admin"];
let users = [];

const path = (name) => `/api/users/${encodeURIComponent(name)}`;
const toast = (text, ok = false) => say("#users-toast", text, ok);

function failure(res) {
  const code = res.data?.error;
  if (code === "last_admin") return t("users.last_admin");
  if (code === "not_found") return t("users.gone");
  if (code === "forbidden") return t("users.admins_only_text");
  return errorText(code || "offline");
}

function roleSelect(u, self) {
  // Nobody demotes themselves by a slip of the mouse: another admin changes your role.
  if (self) return el("span", { class: "role-text", title: t("users.own_role") }, t(`role.${u.role}`));
  const select = el("select", {
    class: "role-select", "aria-label": t("users.role_of", { name: u.username }),
  }, ...ROLES.map((r) => el("option", { value: r, selected: r === u.role }, t(`role.${r}`))));
  select.addEventListener("change", () => changeRole(u, select));
  return select;
}

function row(u) {
  const self = u.username === currentStaff()?.username;
  const name = u.username;
  const lastLogin = u.last_login
    ? el("time", { datetime: u.last_login, title: fullTime(u.last_login) }, relativeTime(u.last_login))
    : el("span", { class: "muted" }, t("users.never"));
  const actions = self
    ? [el("a", { class: "button secondary small", href: "/account.html" }, icon("user"), el("span", {}, t("nav.account")))]
    : [
      el("button", { type: "button", class: "secondary small", "data-reset": name, "aria-label": t("users.reset_label", { name }) },
        icon("key"), el("span", {}, t("users.reset"))),
      el("button", { type: "button", class: "secondary small danger-outline", "data-remove": name, "aria-label": t("users.remove_label", { name }) },
        icon("trash"), el("span", {}, t("users.remove"))),
    ];
  return el("tr", { "data-user": name, class: self ? "self" : null },
    el("th", { scope: "row", class: "user-name" },
      el("span", { class: "who" }, name), self ? el("span", { class: "badge" }, t("users.you")) : null),
    el("td", { "data-label": t("users.col_role") }, roleSelect(u, self)),
    el("td", { "data-label": t("users.col_last_login") }, lastLogin),
    el("td", { "data-label": t("users.col_sessions"), class: "num" }, String(u.sessions)),
    el("td", { class: "actions" }, ...actions));
}

function render() {
  $("#users").replaceChildren(...users.map(row));
  $("#user-count").textContent = t("users.count", { n: users.length });
  $("#new-role-hint").textContent = t(`role.${$("#new-role").value}_hint`);
}

function notAdmin() {
  $("#users-page").classList.add("hidden");
  $("#not-admin").classList.remove("hidden");
}

async function load() {
  const res = await send("GET", "/api/users");
  // Demoted meanwhile (by another admin).
  if (res.status === 403) { notAdmin(); return; }
  if (!res.ok) { toast(failure(res)); return; }
  users = Array.isArray(res.data) ? res.data : [];
  $("#users-page").classList.remove("hidden");
  render();
}

async function changeRole(u, select) {
  const role = select.value, name = u.username;
  if (u.role === "admin" && role !== "admin") {
    const sure = await confirmDialog({
      title: t("users.demote_title", { name }), text: t("users.demote_text"), ok: t("users.demote_ok"),
    });
    if (!sure) { select.value = u.role; return; }
  }
  select.disabled = true;
  const res = await send("PUT", path(name), { role });
  select.disabled = false;
  if (res.ok) toast(t("users.role_changed", { name, role: t(`role.${role}`) }), true);
  else { select.value = u.role; toast(failure(res)); }
  await load();
}

async function resetPassword(name) {
  const sure = await confirmDialog({
    title: t("users.reset_title", { name }), text: t("users.reset_text"), ok: t("users.reset_ok"),
  });
  if (!sure) return;
  const res = await send("POST", `${path(name)}/password`, {});
  if (!res.ok) { toast(failure(res)); await load(); return; }
  toast("");
  await load();
  await showSecret({
    title: t("users.new_password_title", { name }), text: t("users.new_password_text"), secret: res.data.password,
  });
}

async function removeUser(name) {
  const sure = await confirmDialog({
    title: t("users.remove_title", { name }), text: t("users.remove_text"), ok: t("users.remove_ok"),
  });
  if (!sure) return;
  const res = await send("DELETE", path(name));
  toast(res.ok ? t("users.removed", { name }) : failure(res), res.ok);
  await load();
}

async function addUser(ev) {
  ev.preventDefault();
  fieldError("new-username", ""); fieldError("new-password", "");
  const username = $("#new-username").value.trim(), role = $("#new-role").value, password = $("#new-password").value;
  if (!username) { fieldError("new-username", t("users.need_name")); $("#new-username").focus(); return; }
  if (password && [...password].length < 8) { fieldError("new-password", t("acct.pw_short")); $("#new-password").focus(); return; }
  const body = { username, role };
  if (password) body.password = password;
  $("#add-submit").disabled = true;
  const res = await send("POST", "/api/users", body);
  $("#add-submit").disabled = false;
  if (!res.ok) {
    const code = res.data?.error;
    if (code === "conflict") fieldError("new-username", t("users.taken"));
    else if (code === "bad_request" && !password) fieldError("new-username", t("users.bad_name"));
    else if (code === "bad_request") fieldError("new-username", t("users.bad_input"));
    else toast(failure(res));
    $("#new-username").focus();
    return;
  }
  $("#add-form").reset();
  render();
  $("#created-title").textContent = t("users.created", { name: res.data.username, role: t(`role.${res.data.role}`) });
  $("#created-secret").replaceChildren(secretBox(res.data.password));
  $("#created").classList.remove("hidden");
  $("#created .copy").focus();
  await load();
}

$("#add-form").addEventListener("submit", addUser);
$("#new-role").addEventListener("change", () => { $("#new-role-hint").textContent = t(`role.${$("#new-role").value}_hint`); });
$("#created-done").addEventListener("click", () => {
  $("#created").classList.add("hidden");
  $("#created-secret").replaceChildren();
  $("#new-username").focus();
});
$("#users").addEventListener("click", (ev) => {
  const reset = ev.target.closest("button[data-reset]");
  if (reset) { resetPassword(reset.dataset.reset); return; }
  const remove = ev.target.closest("button[data-remove]");
  if (remove) removeUser(remove.dataset.remove);
});
$("#logout").addEventListener("click", logout);
onLangChange(render);

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  if (currentStaff()?.role === "admin") await load();
  else notAdmin();
})();
