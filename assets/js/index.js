import { $, el, getJson, postJson, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";

applyTheme();
mountTools();

const params = new URLSearchParams(location.search);
let chosen = params.get("meeting");
let meetings = [];

/// A scanned flag QR code opens `/?meeting=ID&flag=PREFIX{code}` (docs/web-app.md, "Flags
/// sheet"). The flag moves to this tab's session storage and out of the address (a reload
/// or the back button then cannot claim it again); the participant page sends it once it
/// is connected, straight away when this browser has a seat in the meeting, else after
/// joining.
const PENDING_FLAG = "lk.pendingFlag";
function pendingFlag() {
  try {
    const scanned = params.get("flag");
    if (scanned && chosen && /^\d+$/.test(chosen)) {
      sessionStorage.setItem(PENDING_FLAG, JSON.stringify({ meeting: Number(chosen), flag: scanned }));
      params.delete("flag");
      history.replaceState(null, "", `${location.pathname}?${params}`);
    }
    return JSON.parse(sessionStorage.getItem(PENDING_FLAG) || "null");
  } catch { return null; }
}
const pending = pendingFlag();

/// Whether the flag waiting to be claimed belongs to the meeting chosen now.
const claiming = () => Boolean(pending && String(pending.meeting) === chosen);

function renderMeetings() {
  const list = $("#meetings");
  list.replaceChildren(...meetings.map((m) => el("li", {},
    el("button", { type: "button", class: "button meeting-pick", "aria-pressed": String(String(m.id) === chosen), "data-meeting": m.id,
      onclick: () => { chosen = String(m.id); renderMeetings(); $("#code").focus(); } },
      el("span", {}, m.title), el("span", { class: "badge" }, t(`status.${m.status}`))))));
  $("#no-meetings").classList.toggle("hidden", meetings.length > 0);
  $("#flag-note").classList.toggle("hidden", !claiming());
}

async function load() {
  // Already seated in the scanned flag's meeting: claim it there at once.
  if (claiming()) {
    const seat = await getJson(`/api/meetings/${encodeURIComponent(chosen)}/seat`);
    if (seat.ok) { location.replace(`/play.html?meeting=${encodeURIComponent(chosen)}`); return; }
  }
  const res = await getJson("/api/meetings");
  meetings = res.ok && Array.isArray(res.data) ? res.data : [];
  // A QR link may name a meeting that is not listed (ended): still offer it.
  if (chosen && !meetings.some((m) => String(m.id) === chosen)) {
    const one = await getJson(`/api/meetings/${encodeURIComponent(chosen)}`);
    if (one.ok && one.data) meetings.unshift(one.data);
  }
  if (!chosen && meetings.length === 1) chosen = String(meetings[0].id);
  renderMeetings();
  if (params.get("code")) { $("#code").value = params.get("code"); $("#name").focus(); }
}

function fail(text, field) {
  $("#error").textContent = text;
  if (field) { field.setAttribute("aria-invalid", "true"); field.focus(); }
}

$("#join").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  for (const f of ["#code", "#name"]) $(f).removeAttribute("aria-invalid");
  $("#name-error").textContent = "";
  if (!chosen) return fail(t("join.pick"), $("#meetings button"));
  const code = $("#code").value.trim(), name = $("#name").value.trim();
  if (!code) return fail(t("join.need_code"), $("#code"));
  if (!name) return fail(t("join.need_name"), $("#name"));
  $("#join-btn").disabled = true;
  const res = await postJson(`/api/meetings/${encodeURIComponent(chosen)}/join`, { code, name });
  $("#join-btn").disabled = false;
  if (res.ok) { location.href = `/play.html?meeting=${encodeURIComponent(chosen)}`; return; }
  const code_ = res.data?.error;
  if (code_ === "wrong_code") fail(t("join.wrong_code"), $("#code"));
  else if (code_ === "bad_request") fail(t("join.bad_name"), $("#name"));
  else if (code_ === "blocked_word") {
    // Said under the name itself: the rest of the form was right.
    $("#error").textContent = "";
    $("#name-error").textContent = t("join.blocked_name");
    $("#name").setAttribute("aria-invalid", "true");
    $("#name").focus();
    $("#name").select();
  }
  else if (code_ === "not_found") fail(t("join.gone"));
  else fail(errorText(code_ || "offline"));
});

onLangChange(renderMeetings);
load();
