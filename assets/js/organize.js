import { $, el, Live, wsUrl, MESSAGES, bars, words, postJson, serverUp } from "./common.js";

const meeting = new URLSearchParams(location.search).get("meeting");
let state = null;
let live = null;
const KEYS = { s: "start", r: "results", ArrowLeft: "back", ArrowRight: "next", b: "scoreboard", e: "end" };

function show(id) {
  for (const p of ["login-panel", "pick-panel", "control-panel", "side-panel"]) $("#" + p).classList.toggle("hidden", !id.includes(p));
}

async function pick() {
  show(["pick-panel"]);
  const list = await (await fetch("/api/meetings")).json();
  $("#meetings").replaceChildren(...list.map((m) => el("li", {}, el("a", { class: "button", href: `?meeting=${m.id}` }, m.title))));
}

function render() {
  $("#title").textContent = state.title;
  $("#status").textContent = `${state.status} · ${state.position + 1}/${state.activity_count}`;
  const q = state.question;
  $("#question").textContent = q ? `${q.kind}: ${q.title}` : "—";
  if (q && state.results) bars($("#bars"), q, state.results); else $("#bars").replaceChildren();
  if (state.words) words($("#words"), state.words); else $("#words").replaceChildren();
  $("#plan").replaceChildren(...(state.plan || []).map((a, i) =>
    el("li", { class: i === state.position ? "current" : "" }, `${a.title} (${a.kind}, ${a.state})`)));
  $("#scoreboard").replaceChildren(...(state.scoreboard || []).slice(0, 20).map((r) => el("li", {}, `${r.name} — ${r.score}`)));
  renderAttempts();
}

function renderAttempts() {
  $("#attempts").replaceChildren(...(state.flag_attempts || []).slice(-10).reverse().map((a) =>
    el("li", {}, `${a.name}: ${a.submitted} → ${a.outcome}`)));
}

async function control(action) {
  const ack = await live.send({ type: "control", action });
  $("#toast").textContent = ack.ok ? "" : MESSAGES[ack.error] || ack.error;
}

function connect() {
  show(["control-panel", "side-panel"]);
  live = new Live(wsUrl(`/ws/meetings/${meeting}?role=staff`), {
    onFrame(f) {
      if (f.type === "state") { state = f; render(); }
      else if (!state) return;
      else if (f.type === "tally" && state.question && state.question.id === f.question_id) {
        state.results = { ...(state.results || { correct: [] }), counts: f.counts, total: f.total }; render();
      } else if (f.type === "words") { state.words = f.words; render(); }
      else if (f.type === "participants") $("#online").textContent = f.count;
      else if (f.type === "flag_attempt") { (state.flag_attempts ||= []).push(f); renderAttempts(); }
    },
    onStatus(s) { const c = $("#conn"); c.textContent = s; c.classList.toggle("down", s !== "online"); },
    async onRefused() {
      if (!(await serverUp())) return false;
      show(["login-panel"]);
      return true;
    },
  });
}

document.addEventListener("click", (ev) => {
  const action = ev.target.closest("button[data-action]")?.dataset.action;
  if (action && live) control(action);
});
document.addEventListener("keydown", (ev) => {
  if (ev.target.closest("input") || !live || ev.ctrlKey || ev.metaKey || ev.altKey) return;
  const action = KEYS[ev.key];
  if (action) { ev.preventDefault(); control(action); }
});
$("#login").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const res = await postJson("/api/login", { username: $("#username").value, password: $("#password").value });
  if (!res.ok) { $("#login-error").textContent = res.data.message || "Login failed."; return; }
  if (meeting) connect(); else pick();
});

if (meeting) connect(); else pick();
