// The teleprompter (/overlay/prompter.html, 1280×720 or any size): the organizer's notes for
// the current activity in large type on black, for the speaker, not the audience. Notes
// often hold the answers, so a display link never receives them: the page opens with a
// teleprompter link (`POST /api/meetings/{id}/display {"scope":"prompter"}`) or with a
// staff session (the login form appears when there is none). `?mirror=1` mirrors it for a
// teleprompter glass; `?transparent=1` drops the black background (an OBS source).

import { $, el } from "./common.js";
import { t, onLangChange } from "./i18n.js";
import { ensureStaff, pickMeeting } from "./staff.js";
import { setup, connect, flag, meeting, token } from "./overlay.js";

setup();
const root = document.documentElement;
root.classList.toggle("lk-mirror", flag("mirror"));
root.classList.toggle("lk-transparent", flag("transparent"));

let state = null;

function render() {
  if (!state) return;
  const q = state.question, s = state.status;
  $("#pos").textContent = q ? `${state.position + 1} / ${state.activity_count}` : "";
  $("#title").textContent = q ? `${t(`kind.${q.kind}`)} · ${q.title}` : state.title;
  const notes = $("#notes");
  notes.dataset.status = s;
  let body;
  if (!q || s === "scoreboard" || s === "after") {
    body = el("p", { class: "lk-prompter-empty" }, t(s === "after" ? "present.thanks" : s === "scoreboard" ? "present.scoreboard" : "overlay.prompter_waiting"));
  } else if (typeof q.notes !== "string" && state.audience === "display") {
    // A presenter link, not a teleprompter link: the server keeps the notes from it.
    body = el("p", { class: "lk-prompter-empty" }, t("overlay.prompter_no_scope"));
  } else if (!q.notes?.trim()) {
    body = el("p", { class: "lk-prompter-empty" }, t("overlay.prompter_empty"));
  } else {
    body = el("div", { class: "lk-prompter-text", dir: "auto" }, q.notes);
  }
  notes.replaceChildren(body);
  fit();
}

/// Shrinks the notes (`--fit`, 5 % at a time, down to 35 %) until they fit the screen.
function fit() {
  const notes = $("#notes");
  let f = 1;
  notes.style.setProperty("--fit", "1");
  while (notes.scrollHeight > notes.clientHeight + 1 && f > 0.35) {
    f = Math.round((f - 0.05) * 100) / 100;
    notes.style.setProperty("--fit", String(f));
  }
}

function start() {
  $("#gate").classList.add("hidden");
  $("#prompter").classList.remove("hidden");
  connect((f) => { if (f.type === "state") { state = f; render(); } }, {
    onEnded() {
      // A staff session that ended goes back to the login form, which says why.
      if (token) return;
      try { sessionStorage.setItem("lk.sessionEnded", "1"); } catch { /* private mode */ }
      location.reload();
    },
  });
}

onLangChange(render);
window.addEventListener("resize", fit);

(async () => {
  if (token) { start(); return; }
  $("#gate").classList.remove("hidden");
  await ensureStaff();
  if (meeting === null) pickMeeting((m) => `/overlay/prompter.html?meeting=${m.id}`);
  else start();
})();
