import { $, el, Live, wsUrl, MESSAGES, bars, words, serverUp } from "./common.js";

const meeting = new URLSearchParams(location.search).get("meeting");
let state = null;
let myVote = null;

function toast(text, ok) {
  const t = $("#toast");
  t.textContent = text; t.className = "toast " + (ok ? "ok" : "bad");
}

function render() {
  if (!state) return;
  $("#title").textContent = state.title;
  $("#status").textContent = state.status;
  if (state.you) { $("#you").textContent = state.you.name; $("#score").textContent = state.you.score; }
  const q = state.question;
  const idle = { after: "Thank you!", scoreboard: "Scoreboard", before: "The meeting starts soon…" };
  $("#question").textContent = q ? q.title : idle[state.status] || "Waiting for the next activity…";
  $("#description").innerHTML = q ? q.description_html : ""; // escaped by the server
  const choices = $("#choices");
  choices.replaceChildren();
  const open = state.status === "ongoing";
  if (q && (q.kind === "poll" || q.kind === "quiz") && !(state.results && state.status === "results")) {
    for (const c of q.choices) {
      const b = el("button", { type: "button", "data-choice": c.id, class: myVote === c.id ? "picked" : "" }, c.text);
      b.disabled = !open;
      b.addEventListener("click", () => vote(q.id, c.id));
      choices.append(b);
    }
  }
  $("#word-form").classList.toggle("hidden", !(q && q.kind === "wordcloud" && open));
  const barBox = $("#bars");
  if (q && state.results && (q.kind === "poll" || state.status === "results")) bars(barBox, q, state.results);
  else barBox.replaceChildren();
  if (state.words) words($("#words"), state.words); else $("#words").replaceChildren();
  const sb = $("#scoreboard");
  sb.replaceChildren(...(state.scoreboard || []).map((r) => el("li", {}, `${r.name} — ${r.score}`)));
}

async function vote(question_id, choice_id) {
  const ack = await live.send({ type: "vote", question_id, choice_id });
  if (ack.ok) { myVote = choice_id; toast("Answer saved.", true); render(); }
  else toast(MESSAGES[ack.error] || ack.error, false);
}

$("#word-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#word");
  const ack = await live.send({ type: "word", question_id: state.question.id, text: input.value });
  if (ack.ok) { input.value = ""; toast("Word sent.", true); } else toast(MESSAGES[ack.error] || ack.error, false);
});

$("#flag-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const input = $("#flag");
  const ack = await live.send({ type: "flag", code: input.value });
  if (ack.ok) {
    input.value = "";
    toast(`Flag "${ack.flag.name}": +${ack.flag.points} points${ack.flag.first_blood ? " (first!)" : ""}`, true);
    $("#score").textContent = ack.flag.score;
  } else toast(MESSAGES[ack.error] || ack.error, false);
});

const live = new Live(wsUrl(`/ws/meetings/${meeting}?role=participant`), {
  onFrame(f) {
    if (f.type === "state") {
      if (!state || !state.question || !f.question || state.question.id !== f.question.id) {
        myVote = null;
        toast("", true);
      }
      state = f; render();
    } else if (f.type === "tally" && state && state.question && state.question.id === f.question_id) {
      state.results = { ...(state.results || {}), counts: f.counts, total: f.total }; render();
    } else if (f.type === "words" && state) { state.words = f.words; render(); }
    else if (f.type === "score") $("#score").textContent = f.score;
  },
  onStatus(s) { const c = $("#conn"); c.textContent = s; c.classList.toggle("down", s !== "online"); },
  async onRefused() {
    if (!(await serverUp())) return false;
    location.href = `/?meeting=${meeting}`;
    return true;
  },
});
