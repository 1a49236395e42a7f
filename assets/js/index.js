import { $, el, postJson } from "./common.js";

const params = new URLSearchParams(location.search);
const select = $("#meeting");

async function load() {
  const res = await fetch("/api/meetings");
  const list = res.ok ? await res.json() : [];
  for (const m of list) select.append(el("option", { value: m.id }, `${m.title} (${m.status})`));
  if (params.get("meeting")) select.value = params.get("meeting");
  if (params.get("code")) $("#code").value = params.get("code");
}

$("#join").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const id = select.value;
  const res = await postJson(`/api/meetings/${id}/join`, { code: $("#code").value, name: $("#name").value });
  if (res.ok) location.href = `/play.html?meeting=${id}`;
  else $("#error").textContent = res.data.message || res.data.error || "Could not join.";
});

load();
