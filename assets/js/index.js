import { $, el, getJson, postJson, errorText } from "./common.js";
import { t, mountTools, applyTheme, onLangChange } from "./i18n.js";

applyTheme();
mountTools();

const params = new URLSearchParams(location.search);
let chosen = params.get("meeting");
let meetings = [];

function renderMeetings() {
  const list = $("#meetings");
  list.replaceChildren(...meetings.map((m) => el("li", {},
    el("button", { type: "button", class: "button meeting-pick", "aria-pressed": String(String(m.id) === chosen), "data-meeting": m.id,
      onclick: () => { chosen = String(m.id); renderMeetings(); $("#code").focus(); } },
      el("span", {}, m.title), el("span", { class: "badge" }, t(`status.${m.status}`))))));
  $("#no-meetings").classList.toggle("hidden", meetings.length > 0);
}

async function load() {
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
  else if (code_ === "not_found") fail(t("join.gone"));
  else fail(errorText(code_ || "offline"));
});

onLangChange(renderMeetings);
load();
