// The dashboard's stream panels: each chat source's status (and YouTube's quota meter),
// editing the sources (also while the meeting runs), the staff user's Twitch and YouTube
// accounts (Twitch's device flow, Google's sign-in), the merged chat (bounded: oldest
// lines dropped) and a line to post in every chat. Chat text is only ever inserted as text.

import { $, el, getJson, postJson, errorText } from "./common.js";
import { t } from "./i18n.js";

/// Chat lines kept on screen; older ones are dropped.
const CHAT_LINES = 100;
const PLATFORMS = { room: "Room", twitch: "Twitch", youtube: "YouTube", bot: "Bot" };

async function sendJson(method, url, body) {
  try {
    const res = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body) });
    let data = {};
    try { data = await res.json(); } catch { /* empty body */ }
    return { ok: res.ok, status: res.status, data };
  } catch {
    return { ok: false, status: 0, data: { error: "offline" } };
  }
}

/// A platform's name as a small tag (colour by platform).
export function platformTag(platform) {
  return el("span", { class: `ptag ptag-${platform}` }, PLATFORMS[platform] || platform);
}

export class Streams {
  constructor(meeting, toast) {
    this.meeting = meeting;
    this.toast = toast;
    this.statuses = [];
    this.config = null; // {sources, chat} as stored
    this.accounts = null;
    this.devicePoll = null;
    this.lines = [];
  }

  mount() {
    // Back from Google's sign-in: say how it went, then drop it from the address.
    const params = new URLSearchParams(location.search);
    if (params.has("account_connected")) this.toast(t("accounts.connected", { login: params.get("account_connected") }), true);
    else if (params.has("account_error")) this.toast(params.get("account_error"));
    if (params.has("account_connected") || params.has("account_error")) {
      params.delete("account_connected");
      params.delete("account_error");
      history.replaceState(null, "", `${location.pathname}?${params}`);
    }
    $("#sources-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.save(); });
    $("#chat-form").addEventListener("submit", (ev) => { ev.preventDefault(); this.post(); });
    this.renderChat();
    this.load();
    this.loadAccounts();
  }

  async load() {
    const res = await getJson(`/api/meetings/${this.meeting}/sources`);
    if (!res.ok) return;
    this.config = res.data;
    this.fillForm();
  }

  fillForm() {
    const sources = this.config?.sources || [];
    const twitch = sources.find((s) => s.platform === "twitch");
    const youtube = sources.find((s) => s.platform === "youtube");
    $("#src-twitch").value = twitch ? twitch.channel : "";
    $("#src-twitch-delay").value = twitch ? twitch.delay_secs : 3;
    $("#src-youtube-on").checked = Boolean(youtube);
    $("#src-youtube").value = youtube?.video_id || "";
    $("#src-youtube-delay").value = youtube ? youtube.delay_secs : 10;
  }

  async save() {
    const sources = [];
    const channel = $("#src-twitch").value.trim().replace(/^#/, "");
    if (channel) sources.push({ platform: "twitch", channel, delay_secs: Number($("#src-twitch-delay").value) || 0 });
    if ($("#src-youtube-on").checked) {
      const video = $("#src-youtube").value.trim();
      const yt = { platform: "youtube", delay_secs: Number($("#src-youtube-delay").value) || 0 };
      if (video) yt.video_id = video;
      sources.push(yt);
    }
    const res = await sendJson("PUT", `/api/meetings/${this.meeting}/sources`, { sources });
    if (!res.ok) { this.toast(res.data?.message || errorText(res.data?.error)); return; }
    this.config = res.data;
    this.fillForm();
    this.toast(t("streams.saved"), true);
  }

  /// The staff `state`'s `sources` (every connection starts with one).
  onState(state) {
    this.statuses = state.sources || [];
    this.hint = state.chat;
    this.renderStatuses();
  }

  /// `adapter` and `chat` frames; true when the frame was one of them.
  onFrame(f) {
    if (f.type === "adapter") {
      const { type: _type, ...status } = f;
      const i = this.statuses.findIndex((s) => s.platform === status.platform);
      if (i >= 0) this.statuses[i] = status; else this.statuses.push(status);
      this.renderStatuses();
      return true;
    }
    if (f.type === "chat") {
      this.lines.push(f);
      if (this.lines.length > CHAT_LINES) this.lines.splice(0, this.lines.length - CHAT_LINES);
      this.renderChat();
      return true;
    }
    return false;
  }

  renderStatuses() {
    const list = $("#sources");
    list.replaceChildren(...this.statuses.map((s) => {
      // The width goes through the style object: the page's CSP refuses `style` attributes.
      const fill = el("div", { class: "quota-fill" });
      if (s.quota) fill.style.width = `${Math.min(100, Math.round((100 * s.quota.used) / Math.max(1, s.quota.limit)))}%`;
      const quota = s.quota ? el("div", { class: "quota" },
        el("div", { class: "quota-track", role: "meter", "aria-valuemin": 0, "aria-valuemax": s.quota.limit, "aria-valuenow": s.quota.used, "aria-label": t("streams.quota", { used: s.quota.used, limit: s.quota.limit }) },
          fill),
        el("span", { class: "muted" }, t("streams.quota", { used: s.quota.used, limit: s.quota.limit }))) : null;
      return el("li", { class: `source status-${s.status}` },
        el("div", { class: "source-head" }, platformTag(s.platform),
          el("span", { class: "target" }, s.target || ""),
          el("span", { class: `pill pill-${s.status}` }, t(`adapter.${s.status}`))),
        s.message ? el("p", { class: "muted source-msg" }, s.message) : null,
        quota);
    }));
    if (!this.statuses.length) list.append(el("li", { class: "muted" }, t("streams.none")));
  }

  renderChat() {
    const list = $("#chat");
    const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
    list.replaceChildren(...this.lines.map((l) => el("li", { class: l.bot ? "bot" : "" },
      platformTag(l.platform), el("span", { class: "who" }, l.user_name), el("span", { class: "text" }, l.text))));
    if (!this.lines.length) list.append(el("li", { class: "muted" }, t("chat.empty")));
    if (atBottom) list.scrollTop = list.scrollHeight;
  }

  async post() {
    const input = $("#chat-text");
    const text = input.value.trim();
    if (!text) return;
    const res = await postJson(`/api/meetings/${this.meeting}/chat`, { text });
    if (!res.ok) { this.toast(res.data?.message || errorText(res.data?.error)); return; }
    input.value = "";
    this.toast(res.data.sent ? t("chat.sent", { n: res.data.sent }) : t("chat.not_sent"), res.data.sent > 0);
  }

  async loadAccounts() {
    const res = await getJson("/api/accounts");
    if (!res.ok) return;
    this.accounts = res.data;
    this.renderAccounts();
    if (res.data.device?.status === "pending") this.watchDevice();
  }

  renderAccounts() {
    const a = this.accounts;
    if (!a) return;
    const box = $("#accounts");
    const rows = ["twitch", "youtube"].map((p) => {
      const acct = a.accounts.find((x) => x.platform === p);
      const configured = a.platforms[p]?.configured;
      let action;
      if (acct) action = el("button", { type: "button", class: "secondary small", onclick: () => this.disconnect(p) }, t("accounts.disconnect"));
      else if (!configured) action = el("span", { class: "muted small" }, t(`accounts.not_configured_${p}`));
      else if (p === "twitch") action = el("button", { type: "button", class: "small", onclick: () => this.connectTwitch() }, t("accounts.connect"));
      else action = el("a", { class: "button small", href: `/oauth/youtube/start?meeting=${this.meeting}` }, t("accounts.connect"));
      return el("li", {}, platformTag(p),
        el("span", { class: "who" }, acct ? acct.login : t("accounts.none")), action);
    });
    const device = a.device?.status === "pending" ? el("div", { class: "device", role: "status" },
      el("p", {}, t("accounts.device_open")), el("a", { href: a.device.verification_uri, target: "_blank", rel: "noopener" }, a.device.verification_uri),
      el("p", {}, t("accounts.device_code")), el("p", { class: "code" }, a.device.user_code)) : null;
    box.replaceChildren(...[el("ul", { class: "accounts" }, ...rows), device].filter(Boolean));
  }

  async connectTwitch() {
    const res = await postJson("/api/accounts/twitch/device");
    if (!res.ok) { this.toast(res.data?.message || errorText(res.data?.error)); return; }
    this.accounts.device = res.data;
    this.renderAccounts();
    this.watchDevice();
  }

  watchDevice() {
    clearInterval(this.devicePoll);
    this.devicePoll = setInterval(async () => {
      const res = await getJson("/api/accounts/twitch/device");
      if (!res.ok || res.data.status === "pending") return;
      clearInterval(this.devicePoll);
      if (res.data.status === "connected") this.toast(t("accounts.connected", { login: res.data.login }), true);
      else this.toast(res.data.message || t("accounts.failed"));
      this.loadAccounts();
    }, 2000);
  }

  async disconnect(platform) {
    const res = await sendJson("DELETE", `/api/accounts/${platform}`);
    if (!res.ok) { this.toast(res.data?.message || errorText(res.data?.error)); return; }
    this.toast(t("accounts.removed"), true);
    this.loadAccounts();
  }
}

/// "room 3 · Twitch 5 · YouTube 2" for one choice, from a staff tally's `by_platform`.
export function platformCounts(byPlatform, choiceId) {
  if (!byPlatform) return null;
  const parts = Object.entries(byPlatform).map(([p, counts]) => `${PLATFORMS[p] || p} ${counts[String(choiceId)] || 0}`);
  return parts.length > 1 ? parts.join(" · ") : null;
}
