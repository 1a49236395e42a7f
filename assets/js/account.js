// The account page: every staff member changes their own password (current, new, confirm;
// errors next to the field concerned) and sees where they are signed in: each session with
// its browser, address and times, a button to sign it out, and "sign out everywhere else".
// Signing a session out closes its open dashboards at once (WebSocket close 4001).

import { $, el, icon, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";
import { ensureStaff, currentStaff, logout } from "./staff.js";
import { confirmDialog } from "./dialog.js";
import { send, fieldError, say, relativeTime, fullTime, deviceName, isMobile } from "./people.js";

applyTheme();
mountTools();

/// Sessions are listed again this often (relative times move on, others may sign in).
const REFRESH_MS = 30000;
let sessions = [];

function renderWho() {
  const me = currentStaff();
  if (!me) return;
  $("#whoami").textContent = me.username;
  $("#whoami-role").textContent = t(`role.${me.role}`) + " · " + t(`role.${me.role}_hint`);
  document.title = `${me.username} · ${t("acct.title")}`;
}

function when(key, iso) {
  return el("span", { title: fullTime(iso) }, t(key, { when: relativeTime(iso) }));
}

function sessionRow(s) {
  const device = deviceName(s.user_agent);
  const kind = !s.user_agent ? "terminal" : isMobile(s.user_agent) ? "phone" : "screen";
  return el("li", { class: s.current ? "session current" : "session", "data-id": s.id },
    el("span", { class: "session-icon" }, icon(kind)),
    el("div", { class: "session-main" },
      el("div", { class: "session-name" },
        el("strong", { title: s.user_agent || null }, device),
        s.current ? el("span", { class: "badge live" }, t("acct.this_browser")) : null),
      el("div", { class: "session-meta" },
        s.address ? el("span", {}, s.address) : null,
        when("acct.signed_in", s.created_at),
        when("acct.last_seen", s.last_seen_at))),
    s.current ? null : el("button", {
      type: "button", class: "secondary small", "data-end": s.id,
      "aria-label": t("acct.end_label", { device }),
    }, t("acct.end")));
}

function renderSessions() {
  $("#sessions").replaceChildren(...sessions.map(sessionRow));
  $("#end-others").disabled = !sessions.some((s) => !s.current);
}

async function loadSessions() {
  const res = await send("GET", "/api/me/sessions");
  if (!res.ok) { say("#sessions-toast", errorText(res.data?.error)); return; }
  // This browser first, then the most recently used (the server's order).
  const list = Array.isArray(res.data) ? res.data : [];
  sessions = [...list.filter((s) => s.current), ...list.filter((s) => !s.current)];
  renderSessions();
}

async function endSession(id, button) {
  button.disabled = true;
  const res = await send("DELETE", `/api/me/sessions/${encodeURIComponent(id)}`);
  if (res.ok || res.status === 404) say("#sessions-toast", t("acct.ended_one"), true);
  else { button.disabled = false; say("#sessions-toast", errorText(res.data?.error)); }
  await loadSessions();
}

async function endOthers() {
  const others = sessions.filter((s) => !s.current).length;
  const sure = await confirmDialog({
    title: t("acct.end_others_title"),
    text: t("acct.end_others_text", { n: others }),
    ok: t("acct.end_others"),
  });
  if (!sure) return;
  const res = await send("DELETE", "/api/me/sessions");
  if (res.ok) say("#sessions-toast", t("acct.ended_n", { n: res.data.ended }), true);
  else say("#sessions-toast", errorText(res.data?.error));
  await loadSessions();
}

function clearPasswordErrors() {
  for (const id of ["pw-current", "pw-new", "pw-confirm"]) fieldError(id, "");
  say("#pw-toast", "");
}

async function changePassword(ev) {
  ev.preventDefault();
  clearPasswordErrors();
  const current = $("#pw-current").value, next = $("#pw-new").value, again = $("#pw-confirm").value;
  const problems = [];
  if (!current) problems.push(["pw-current", t("acct.pw_need_current")]);
  if ([...next].length < 8) problems.push(["pw-new", t("acct.pw_short")]);
  else if (next === current) problems.push(["pw-new", t("acct.pw_same")]);
  if (!problems.some(([id]) => id === "pw-new") && again !== next) problems.push(["pw-confirm", t("acct.pw_mismatch")]);
  if (problems.length) {
    for (const [id, text] of problems) fieldError(id, text);
    $(`#${problems[0][0]}`).focus();
    return;
  }
  $("#pw-submit").disabled = true;
  const res = await send("POST", "/api/me/password", { current, new: next });
  $("#pw-submit").disabled = false;
  if (res.ok) {
    $("#pw-form").reset();
    const ended = res.data?.ended ?? 0;
    say("#pw-toast", ended ? t("acct.pw_changed_ended", { n: ended }) : t("acct.pw_changed"), true);
    await loadSessions();
    return;
  }
  const code = res.data?.error;
  if (code === "wrong_credentials") {
    fieldError("pw-current", t("acct.pw_wrong"));
    $("#pw-current").select();
  } else if (code === "bad_request") {
    fieldError("pw-new", t("acct.pw_short"));
    $("#pw-new").focus();
  } else say("#pw-toast", errorText(code || "offline"));
}

$("#pw-form").addEventListener("submit", changePassword);
$("#end-others").addEventListener("click", endOthers);
$("#sessions").addEventListener("click", (ev) => {
  const button = ev.target.closest("button[data-end]");
  if (button) endSession(button.dataset.end, button);
});
$("#logout").addEventListener("click", logout);
onLangChange(() => { renderWho(); renderSessions(); });

(async () => {
  await ensureStaff();
  $("#logout").classList.remove("hidden");
  $("#account").classList.remove("hidden");
  $("#pw-username").value = currentStaff()?.username ?? "";
  renderWho();
  await loadSessions();
  setInterval(loadSessions, REFRESH_MS);
})();
