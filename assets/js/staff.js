// Staff pages (dashboard, presenter screen): the login gate and the meeting picker.

import { $, el, getJson, postJson, errorText } from "./common.js";
import { t } from "./i18n.js";

/// Resolves with the username once a staff session exists, showing `#login-panel` until then.
export async function ensureStaff() {
  const me = await getJson("/api/me");
  if (me.ok) return me.data.username;
  $("#login-panel").classList.remove("hidden");
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
      $("#login-error").textContent = res.data?.error === "wrong_credentials" ? t("login.wrong") : errorText(res.data?.error || "offline");
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
