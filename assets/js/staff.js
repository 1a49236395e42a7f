// Staff pages (dashboard, presenter screen): the login gate and the meeting picker.

import { $, el, getJson, postJson, errorText } from "./common.js";
import { t, translate } from "./i18n.js";

/// The login form, built here once for every staff page.
function loginForm() {
  return [
    el("h2", { id: "login-title", "data-i18n": "login.title" }),
    el("form", { id: "login", novalidate: true },
      el("label", { for: "username", "data-i18n": "login.user" }),
      el("input", { id: "username", type: "text", autocomplete: "username", autocapitalize: "off", required: true }),
      el("label", { for: "password", "data-i18n": "login.password" }),
      el("input", { id: "password", type: "password", autocomplete: "current-password", required: true }),
      el("p", {}, el("button", { type: "submit", class: "block", id: "login-btn", "data-i18n": "login.submit" })),
      el("p", { id: "login-error", class: "toast bad", role: "alert" })),
  ];
}

/// Resolves with the username once a staff session exists, showing `#login-panel` until then.
export async function ensureStaff() {
  const me = await getJson("/api/me");
  if (me.ok) return me.data.username;
  const panel = $("#login-panel");
  panel.replaceChildren(...loginForm());
  translate(panel);
  panel.classList.remove("hidden");
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
      if (res.ok) { $("#login-panel").classList.add("hidden"); $("#password").value = ""; resolve(res.data.username); return; }
      const code = res.data?.error;
      $("#login-error").textContent = code === "wrong_credentials" ? t("login.wrong")
        : code === "rate_limited" ? t("login.throttled") : errorText(code || "offline");
      $("#password").select();
    });
  });
}

/// Lists meetings with a link each (`href(m)`).
export async function pickMeeting(href) {
  $("#pick-panel").classList.remove("hidden");
  const res = await getJson("/api/meetings");
  const list = res.ok && Array.isArray(res.data) ? res.data : [];
  $("#meetings").replaceChildren(...list.map((m) => el("li", {},
    el("a", { class: "button meeting-pick", href: href(m) }, el("span", {}, m.title), el("span", { class: "badge" }, t(`status.${m.status}`))))));
  if (!list.length) $("#meetings").append(el("li", { class: "muted" }, t("join.none")));
}

export async function logout() {
  await postJson("/api/logout", {});
  location.reload();
}
