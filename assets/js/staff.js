// Staff pages (dashboard, presenter screen, account, users): the login gate (with the
// first-start hint saying where the admin password is), the top bar's account links, and
// the meeting picker.

import { $, el, icon, getJson, postJson, errorText } from "./common.js";
import { t, translate } from "./i18n.js";

/// The login form, built here once for every staff page.
function loginForm() {
  return [
    el("h1", { id: "login-title", "data-i18n": "login.title" }),
    el("form", { id: "login", novalidate: true },
      el("label", { for: "username", "data-i18n": "login.user" }),
      el("input", { id: "username", type: "text", autocomplete: "username", autocapitalize: "off", required: true }),
      el("label", { for: "password", "data-i18n": "login.password" }),
      el("input", { id: "password", type: "password", autocomplete: "current-password", required: true }),
      el("p", {}, el("button", { type: "submit", class: "block", id: "login-btn", "data-i18n": "login.submit" })),
      el("p", { id: "login-error", class: "toast bad", role: "alert" })),
    // Until someone logged in once (`GET /api/setup`): where the first admin password is.
    el("div", { id: "first-run", class: "first-run", hidden: true },
      el("p", { "data-i18n": "login.first_run" }),
      el("code", {}, "librekast user passwd admin ", el("span", {}, "--password-stdin"))),
  ];
}

let staff = null;

/// `{username, role}` of the staff member logged in, once `ensureStaff` resolved.
export function currentStaff() { return staff; }

/// The top bar's account, meetings and media links, and the users and operations links for
/// admins (`#account-link`, `#meetings-link`, `#media-link`, `#users-link`, `#operate-link`).
function showStaffNav(role) {
  $("#account-link")?.classList.remove("hidden");
  $("#meetings-link")?.classList.remove("hidden");
  $("#media-link")?.classList.remove("hidden");
  $("#users-link")?.classList.toggle("hidden", role !== "admin");
  $("#operate-link")?.classList.toggle("hidden", role !== "admin");
}

async function showFirstRunHint() {
  const setup = await getJson("/api/setup");
  if (setup.ok && setup.data?.first_run) $("#first-run").hidden = false;
}

/// Resolves with the username once a staff session exists, showing `#login-panel` until then.
export async function ensureStaff() {
  const me = await getJson("/api/me");
  if (me.ok) {
    staff = { username: me.data.username, role: me.data.role };
    showStaffNav(staff.role);
    return me.data.username;
  }
  const panel = $("#login-panel");
  panel.replaceChildren(...loginForm());
  translate(panel);
  panel.classList.remove("hidden");
  showFirstRunHint();
  // A dashboard whose session ended (WebSocket close 4001) reloads into this form.
  let ended = false;
  try { ended = !!sessionStorage.getItem("lk.sessionEnded"); sessionStorage.removeItem("lk.sessionEnded"); } catch { /* private mode */ }
  if (ended) $("#login-error").textContent = t("login.ended");
  $("#username").focus();
  return new Promise((resolve) => {
    $("#login").addEventListener("submit", async (ev) => {
      ev.preventDefault();
      const username = $("#username").value.trim(), password = $("#password").value;
      if (!username || !password) { $("#login-error").textContent = t("login.missing"); return; }
      $("#login-btn").disabled = true;
      const res = await postJson("/api/login", { username, password });
      $("#login-btn").disabled = false;
      if (res.ok) {
        $("#login-panel").classList.add("hidden"); $("#password").value = "";
        staff = { username: res.data.username, role: res.data.role };
        showStaffNav(staff.role);
        resolve(res.data.username);
        return;
      }
      const code = res.data?.error;
      $("#login-error").textContent = code === "wrong_credentials" ? t("login.wrong")
        : code === "rate_limited" ? t("login.throttled") : errorText(code || "offline");
      $("#password").select();
    });
  });
}

/// Lists meetings with a link each (`href(m)`), from `list` (an API address), with a
/// "Results" link beside each one when `results` is set.
export async function pickMeeting(href, { list: url = "/api/meetings", results = false } = {}) {
  $("#pick-panel").classList.remove("hidden");
  const res = await getJson(url);
  const list = res.ok && Array.isArray(res.data) ? res.data : [];
  $("#meetings").replaceChildren(...list.map((m) => el("li", { class: results ? "with-results" : null },
    el("a", { class: "button meeting-pick", href: href(m) }, el("span", {}, m.title), el("span", { class: "badge" }, t(`status.${m.status}`))),
    results ? el("a", { class: "button secondary results-link", href: `/results.html?meeting=${m.id}` }, icon("trophy"), t("results.link")) : null)));
  if (!list.length) $("#meetings").append(el("li", { class: "muted" }, t("join.none")));
}

export async function logout() {
  await postJson("/api/logout", {});
  location.reload();
}
