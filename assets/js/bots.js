// The dashboard's bots and alerts (issue 13). Bots: each of the meeting's bots with what it
// posted, a switch that turns it on or off at once (`PUT …/bots`, optimistic, put back when
// the server refuses), and for revolutions the live count of viewers chanting toward the
// threshold and the cooldown after firing (the staff socket's `bots` frames). Alerts: a
// "Test alert" button (`POST …/alerts/test`) and the feed of `alert` frames, each shown once
// (the socket replays the latest after every connect: they are told apart by id). Every
// name comes from a viewer: inserted as text only.

import { $, el, getJson, postJson, errorText } from "./common.js";
import { t, currentLang } from "./i18n.js";
import { api, glyph } from "./editkit.js";
import { platformTag } from "./streams.js";

const KIND_GLYPH = { periodic: "clock", command: "chat", revolution: "zap", thanks: "heart" };
export const ALERT_KINDS = ["follow", "sub", "gift", "raid", "member", "superchat", "revolution"];
const ALERT_GLYPH = { follow: "heart", sub: "star", gift: "gift", raid: "users", member: "badge", superchat: "coin", revolution: "zap" };
/// Alerts kept in the feed; older ones leave it.
const FEED = 30;

/// A refused call in words: the first validation problem, else the error code's text.
function refusal(res) {
  const first = res.data?.errors?.[0]?.message;
  if (first) return first;
  return res.data?.message && res.data.error !== "internal" ? res.data.message : errorText(res.data?.error || "offline");
}

/// "4:05" from milliseconds.
function clock(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

export class BotsPanel {
  constructor(meeting, toast) {
    this.meeting = meeting;
    this.toast = toast;
    this.config = null; // the bots as stored (`GET …/bots`)
    this.status = []; // the latest `bots` frame's list
    this.dropped = 0;
    this.pending = false;
    this.timer = null;
    this.prefix = "!";
    this.counts = new Map(); // index → last count announced
    this.widths = new Map(); // index → a revolution bar's last width (%)
  }

  mount() {
    $("#bots-edit").href = `/editor.html?meeting=${this.meeting}#bots-card`;
    this.render();
    this.load();
  }

  async load() {
    let res = await getJson(`/api/meetings/${this.meeting}/bots`);
    if (!res.ok || !Array.isArray(res.data?.bots)) {
      // An older server without the bots API: the plan holds them too.
      res = await getJson(`/api/meetings/${this.meeting}/plan`);
      if (!res.ok) return;
      this.prefix = res.data?.chat?.command_prefix || "!";
      this.config = res.data?.bots || [];
    } else {
      this.config = res.data.bots;
      const plan = await getJson(`/api/meetings/${this.meeting}/plan`);
      if (plan.ok) this.prefix = plan.data?.chat?.command_prefix || "!";
    }
    this.render();
  }

  /// `bots` frames; true when the frame was one.
  onFrame(f) {
    if (f.type !== "bots") return false;
    this.status = Array.isArray(f.bots) ? f.bots : [];
    this.dropped = f.dropped || 0;
    this.announce();
    // Changed elsewhere (the editor, another dashboard): read the stored bots again.
    if (!this.pending && this.config && (this.status.length !== this.config.length
      || this.status.some((s) => this.config[s.index]?.kind !== s.kind || (this.config[s.index]?.enabled !== false) !== s.enabled))) this.load();
    this.render();
    return true;
  }

  /// A revolution's count, read out when it changes (the list itself is redrawn).
  announce() {
    const said = [];
    for (const s of this.status) {
      if (s.kind !== "revolution" || s.count === undefined) continue;
      if (this.counts.has(s.index) && this.counts.get(s.index) !== s.count && s.count > 0) {
        said.push(t("bots.chanting_said", { name: `${this.prefix}${s.name}`, n: s.count, threshold: s.threshold ?? "?" }));
      }
      this.counts.set(s.index, s.count);
    }
    if (said.length) $("#bots-said").textContent = said.join(" ");
  }

  name(b, s) {
    if (b.kind === "command" || b.kind === "revolution") return `${this.prefix}${b.name}`;
    if (b.kind === "periodic") return (b.lines || [])[0] || s?.name || "";
    if (b.kind === "thanks") return t("bots.thanks_for", { kind: t(`alerts.kind_${b.alert}`) });
    return s?.name || b.kind;
  }

  render() {
    const list = $("#bots");
    const focused = document.activeElement?.dataset?.botSwitch;
    clearInterval(this.timer);
    this.timer = null;
    if (this.config === null) { list.replaceChildren(el("li", { class: "muted" }, t("bots.loading"))); return; }
    const now = Date.now();
    let cooling = false;
    const grow = [];
    list.replaceChildren(...this.config.map((b, i) => {
      const s = this.status.find((x) => x.index === i);
      const on = b.enabled !== false;
      const label = this.name(b, s);
      const sw = el("button", {
        type: "button", role: "switch", class: "switch", "aria-checked": String(on), "data-bot-switch": String(i),
        "aria-label": t("bots.switch_label", { name: label }), "aria-busy": this.pending ? "true" : null,
      }, el("span", { class: "switch-track", "aria-hidden": "true" }, el("span", { class: "switch-knob" })),
      el("span", { class: "switch-text", "aria-hidden": "true" }, t(on ? "bots.on" : "bots.off")));
      sw.addEventListener("click", () => this.toggle(i));
      let rev = null;
      if (b.kind === "revolution") {
        const count = s?.count ?? 0, threshold = s?.threshold ?? b.threshold ?? 1;
        const until = s?.cooling_until ? s.cooling_until / 1000 : 0;
        const cools = until > now;
        cooling ||= cools;
        const pct = Math.min(100, Math.round((100 * count) / Math.max(1, threshold)));
        // Set through the style object: the page's CSP refuses style attributes.
        // It starts where the last drawing left it and slides to the new count.
        const fill = el("div", { class: "rev-fill" });
        const was = this.widths.get(i) ?? pct;
        fill.style.width = `${was}%`;
        if (was !== pct) grow.push([fill, pct]);
        this.widths.set(i, pct);
        rev = el("div", { class: `rev${cools ? " cooling" : ""}` },
          el("div", { class: "rev-track", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(threshold), "aria-valuenow": String(Math.min(count, threshold)), "aria-label": t("bots.chanting_label", { name: label }) },
            fill),
          el("p", { class: "rev-count", "data-rev-count": String(i) }, t("bots.chanting", { n: count, threshold })),
          cools ? el("p", { class: "rev-cool", "data-cooling-until": String(until) }, glyph("clock"), el("span", {}, t("bots.cooling", { time: clock(until - now) }))) : null);
      }
      const posted = s ? t("bots.posted", { n: s.posted ?? 0 }) : t("bots.not_running");
      return el("li", { class: `bot kind-${b.kind}${on ? "" : " is-off"}`, "data-bot": String(i) },
        el("div", { class: "bot-line" },
          el("span", { class: "bot-name" }, label),
          sw,
          el("span", { class: "bot-meta" }, glyph(KIND_GLYPH[b.kind] || "chat"), el("span", {}, `${t(`bots.kind_${b.kind}`)} · ${posted}`))),
        rev);
    }));
    if (!this.config.length) list.append(el("li", { class: "muted bots-empty" }, t("bots.none")));
    if (grow.length) {
      void list.offsetWidth; // lays the old widths out, so the change is a transition
      for (const [fill, pct] of grow) fill.style.width = `${pct}%`;
    }
    const dropped = $("#bots-dropped");
    dropped.textContent = this.dropped ? t("bots.dropped", { n: this.dropped }) : "";
    dropped.hidden = !this.dropped;
    if (focused !== undefined) list.querySelector(`[data-bot-switch="${focused}"]`)?.focus();
    // A revolution cooling down counts down each second.
    if (cooling) this.timer = setInterval(() => this.tick(), 1000);
  }

  tick() {
    let any = false;
    for (const p of document.querySelectorAll("#bots [data-cooling-until]")) {
      const left = Number(p.dataset.coolingUntil) - Date.now();
      if (left <= 0) { this.render(); return; }
      any = true;
      p.querySelector("span").textContent = t("bots.cooling", { time: clock(left) });
    }
    if (!any) { clearInterval(this.timer); this.timer = null; }
  }

  /// Turns one bot on or off at once; put back when the server refuses.
  async toggle(i) {
    if (this.pending || !this.config?.[i]) return;
    const before = this.config.map((b) => ({ ...b }));
    const on = this.config[i].enabled === false;
    this.config[i] = { ...this.config[i], enabled: on };
    this.pending = true;
    this.render();
    const res = await api("PUT", `/api/meetings/${this.meeting}/bots`, { bots: this.config });
    this.pending = false;
    if (res.ok) {
      if (Array.isArray(res.data?.bots)) this.config = res.data.bots;
      this.toast(t(on ? "bots.switched_on" : "bots.switched_off", { name: this.name(this.config[i] || before[i]) }), true);
    } else {
      this.config = before;
      this.toast(refusal(res));
    }
    this.render();
  }
}

export class AlertsFeed {
  constructor(meeting, toast) {
    this.meeting = meeting;
    this.toast = toast;
    this.items = [];
    this.seen = new Set();
  }

  mount() {
    const select = $("#alert-kind");
    select.replaceChildren(...ALERT_KINDS.map((k) => el("option", { value: k }, t(`alerts.kind_${k}`))));
    $("#alert-test").addEventListener("submit", (ev) => { ev.preventDefault(); this.test(); });
    this.render();
  }

  /// Keeps the kind chosen when the language changes.
  relabel() {
    const select = $("#alert-kind");
    const kept = select.value;
    select.replaceChildren(...ALERT_KINDS.map((k) => el("option", { value: k }, t(`alerts.kind_${k}`))));
    select.value = kept || "follow";
    this.render();
  }

  async test() {
    const kind = $("#alert-kind").value;
    const button = $("#alert-test button[type=submit]");
    button.disabled = true;
    const res = await postJson(`/api/meetings/${this.meeting}/alerts/test`, { kind });
    button.disabled = false;
    $("#alert-status").textContent = res.ok ? t("alerts.test_sent", { kind: t(`alerts.kind_${kind}`) }) : refusal(res);
    $("#alert-status").className = `toast ${res.ok ? "ok" : "bad"}`;
  }

  /// `alert` frames; true when the frame was one.
  onFrame(f) {
    if (f.type !== "alert") return false;
    if (f.id === undefined || this.seen.has(f.id)) return true;
    this.seen.add(f.id);
    this.items.push(f);
    this.items.sort((a, b) => b.id - a.id);
    for (const gone of this.items.splice(FEED)) this.seen.delete(gone.id);
    this.render();
    // Only alerts raised now are read out, not the ones replayed after a reconnect.
    if (Date.now() - f.id / 1000 < 15000) $("#alerts-said").textContent = this.words(f);
    return true;
  }

  detail(a) {
    const lang = currentLang();
    if (a.kind === "superchat" && a.amount != null) {
      try { return new Intl.NumberFormat(lang, { style: "currency", currency: a.currency || "USD" }).format(a.amount); } catch { return `${a.amount} ${a.currency || ""}`.trim(); }
    }
    if (a.kind === "gift" && a.amount != null) return t("alerts.gifted", { n: a.amount });
    if (a.kind === "raid" && a.amount != null) return t("alerts.raiders", { n: a.amount });
    if (a.months != null) return t("alerts.months", { n: a.months });
    return "";
  }

  words(a) {
    return [t(`alerts.kind_${a.kind}`), a.user, this.detail(a), a.text, a.test ? t("alerts.test_badge") : ""].filter(Boolean).join(" · ");
  }

  render() {
    const list = $("#alerts");
    const lang = currentLang();
    list.replaceChildren(...this.items.map((a) => el("li", { class: `alert kind-${a.kind}${a.test ? " is-test" : ""}`, "data-alert": String(a.id) },
      el("span", { class: "alert-icon" }, glyph(ALERT_GLYPH[a.kind] || "spark")),
      el("div", { class: "alert-main" },
        el("div", { class: "alert-head" },
          el("span", { class: "alert-kind" }, t(`alerts.kind_${a.kind}`)),
          a.platform ? platformTag(a.platform) : null,
          a.test ? el("span", { class: "badge alert-test-badge" }, t("alerts.test_badge")) : null,
          el("time", { class: "alert-time", datetime: new Date(a.id / 1000).toISOString() }, new Date(a.id / 1000).toLocaleTimeString(lang, { hour: "2-digit", minute: "2-digit" }))),
        el("p", { class: "alert-who" }, a.user ? el("strong", {}, a.user) : null, this.detail(a) ? el("span", { class: "alert-detail" }, this.detail(a)) : null),
        a.text ? el("p", { class: "alert-text" }, a.text) : null))));
    if (!this.items.length) list.append(el("li", { class: "muted alerts-empty" }, t("alerts.none")));
  }
}
