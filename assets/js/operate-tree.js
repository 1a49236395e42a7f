// The operations page's picture of the server: the summary tiles (uptime, connections,
// meetings, the database writer, the last minute's commits, restarts) and one card per
// running meeting with its supervision tree (supervisor → meeting actor, chat adapters,
// bots), each actor's state in words and colour, its uptime (ticking), restarts in the
// last hour, queue and last error, and the chat sources' status and quota.
//
// A snapshot comes at most once a second: the tiles are redrawn each time (a handful of
// nodes); a meeting card's body only when its meeting changed. Titles and errors are the
// organizer's or the server's text: inserted as text only.

import { $, el, icon } from "./common.js";
import { t } from "./i18n.js";
import { num, millis, duration, fullDate, actorName, stateName, sourceStatus, STATE_ICON } from "./operate-format.js";

const AUDIENCES = ["participant", "staff", "display", "prompter"];

/// The server's clock minus this browser's, from the last snapshot: uptimes tick in the
/// server's time, so a browser whose clock is off does not show negative uptimes.
let skew = 0;
export function serverNow() { return Date.now() + skew; }

/// `<span data-since data-tpl>` texts ("up 3h 12m") follow the clock; called every second.
export function tick(root = document) {
  const now = serverNow();
  for (const node of root.querySelectorAll("[data-since]")) {
    node.textContent = t(node.dataset.tpl, { d: duration(now - Number(node.dataset.since)) });
  }
}

function since(at, tpl) {
  const node = el("span", { class: "op-since", "data-since": String(at), "data-tpl": tpl, title: fullDate(at) });
  node.textContent = t(tpl, { d: duration(serverNow() - at) });
  return node;
}

/// A filled bar for `value` of `max` (a queue, a quota), named for assistive technology.
function meter(value, max, label, cls = "") {
  const share = max > 0 ? Math.min(1, value / max) : 0;
  const fill = el("span", { class: "op-meter-fill" });
  fill.style.setProperty("--op-share", String(share));
  const level = share >= 0.9 ? " op-meter-high" : share >= 0.6 ? " op-meter-mid" : "";
  return el("span", {
    class: `op-meter${level} ${cls}`.trim(), role: "meter", "aria-valuemin": 0, "aria-valuemax": max, "aria-valuenow": Math.min(value, max), "aria-label": label,
  }, fill);
}

function stateBadge(state) {
  return el("span", { class: `op-state op-state-${state}` }, icon(STATE_ICON[state] || "info"), el("span", {}, stateName(state)));
}

function tile(cls, label, value, ...rest) {
  return el("div", { class: `op-tile ${cls}` },
    el("dt", {}, label),
    el("dd", { class: "op-tile-value" }, value),
    ...rest.filter(Boolean).map((r) => el("dd", { class: "op-tile-more" }, r)));
}

function audienceList(conn, cls = "op-aud") {
  return el("ul", { class: cls }, ...AUDIENCES.map((a) => el("li", { class: `op-aud-${a}` },
    el("strong", {}, num(conn?.[a] ?? 0)), " ", el("span", {}, t(`operate.aud.${a}`, { n: conn?.[a] ?? 0 })))));
}

const total = (conn) => AUDIENCES.reduce((sum, a) => sum + (conn?.[a] ?? 0), 0);

/// Everything restarted in the last hour: the writer and every meeting's actors.
function restarts(snap) {
  let n = snap.writer?.restarts_last_hour ?? 0;
  for (const m of snap.meetings || []) for (const a of m.actors || []) n += a.restarts_last_hour ?? 0;
  return n;
}

function trouble(meetings) {
  let n = 0;
  for (const m of meetings) for (const a of m.actors || []) if (a.state !== "running") n += 1;
  return n;
}

/// The tiles at the top.
export function renderSummary(snap) {
  skew = snap.at - Date.now();
  const w = snap.writer || {};
  const lm = w.last_minute || {};
  const meetings = snap.meetings || [];
  const down = trouble(meetings);
  const queue = w.queue_depth ?? 0, cap = w.queue_capacity ?? 0;
  const queueLabel = t("operate.queue_of", { n: num(queue), cap: num(cap) });
  const pct = (v) => (v === null || v === undefined ? "—" : num(v));
  const ms = (v) => (v === null || v === undefined ? "—" : millis(v));
  const restartsN = restarts(snap);
  const tiles = [
    tile("op-tile-uptime", t("operate.uptime"), since(snap.started_at, "operate.dur"),
      t("operate.version", { v: snap.version || "?" })),
    tile("op-tile-conn", t("operate.connections"), num(total(snap.connections)), audienceList(snap.connections)),
    tile("op-tile-meetings", t("operate.meetings_running"), num(meetings.length),
      down ? el("span", { class: "op-warn-text" }, icon("warn"), " ", t("operate.actors_down", { n: down })) : meetings.length ? t("operate.actors_all_up") : null),
    tile(`op-tile-writer op-writer-${w.state}`, t("operate.writer"), stateBadge(w.state || "running"),
      el("span", { class: "op-queue-line" }, el("span", {}, t("operate.queue")), " ", el("strong", {}, queueLabel)),
      meter(queue, cap, `${t("operate.writer_queue")}: ${queueLabel}`),
      w.last_error ? el("span", { class: "op-error" }, el("span", { class: "op-error-label" }, t("operate.last_error")), " ", el("span", { class: "op-error-text" }, w.last_error)) : null),
    tile("op-tile-commits", t("operate.last_minute"), t("operate.commits_n", { n: lm.commits ?? 0, count: num(lm.commits ?? 0) }),
      lm.commits ? t("operate.jobs_n", { n: lm.jobs ?? 0, count: num(lm.jobs ?? 0) }) : el("span", { class: "muted" }, t("operate.no_commits")),
      el("span", {}, el("span", { class: "muted" }, t("operate.batch")), " ",
        t("operate.p50_p99_max", { p50: pct(lm.batch_p50), p99: pct(lm.batch_p99), max: pct(lm.batch_max) })),
      el("span", {}, el("span", { class: "muted" }, t("operate.latency")), " ",
        t("operate.p50_p99", { p50: ms(lm.commit_ms_p50), p99: ms(lm.commit_ms_p99) }))),
    tile(`op-tile-restarts${restartsN ? " op-has-restarts" : ""}`, t("operate.restarts_hour"), num(restartsN),
      t("operate.restarts_writer", { n: num(w.restarts_last_hour ?? 0) })),
  ];
  $("#op-tiles").replaceChildren(el("dl", { class: "op-tiles-list" }, ...tiles));
}

/// Under an adapter: its chat source's status, message and quota (as the dashboard shows it).
function sourceBlock(s) {
  const quota = s.quota ? (() => {
    const label = t("streams.quota", { used: num(s.quota.used), limit: num(s.quota.limit) });
    return el("div", { class: "op-quota" }, meter(s.quota.used, s.quota.limit, label, "op-quota-meter"), el("span", { class: "muted" }, label));
  })() : null;
  return el("div", { class: `op-source op-source-${s.status}` },
    el("div", { class: "op-source-line" },
      el("span", { class: `pill pill-${s.status}` }, sourceStatus(s.status)),
      s.target ? el("span", { class: "op-target" }, s.target) : null),
    s.message ? el("p", { class: "op-source-msg muted" }, s.message) : null,
    quota);
}

function actorNode(a, source) {
  const facts = [
    el("li", {}, t("operate.restarts_n", { n: a.restarts_last_hour ?? 0 })),
  ];
  if (a.queue !== null && a.queue !== undefined) {
    if (a.queue_capacity === null || a.queue_capacity === undefined) facts.push(el("li", {}, t("operate.mailbox", { n: num(a.queue) })));
    else {
      const label = t("operate.queue_of", { n: num(a.queue), cap: num(a.queue_capacity) });
      facts.push(el("li", { class: "op-fact-queue" }, el("span", {}, t("operate.outbox"), " ", el("strong", {}, label)),
        meter(a.queue, a.queue_capacity, `${t("operate.outbox")}: ${label}`)));
    }
  }
  return el("li", { class: "op-branch", "data-kind": a.kind, "data-name": a.name, "data-state": a.state }, el("div", { class: `op-node op-node-${a.state}` },
    el("div", { class: "op-node-head" },
      el("span", { class: "op-node-name" }, actorName(a.kind, a.name)),
      stateBadge(a.state),
      since(a.since, a.state === "running" ? "operate.up" : "operate.for")),
    el("ul", { class: `op-facts${a.restarts_last_hour ? " op-restarted" : ""}` }, ...facts),
    a.last_error ? el("p", { class: "op-error" }, el("span", { class: "op-error-label" }, t("operate.last_error")), " ", el("span", { class: "op-error-text" }, a.last_error)) : null,
    source ? sourceBlock(source) : null));
}

function cardBody(m) {
  const actors = m.actors || [];
  const sources = [...(m.sources || [])];
  const children = actors.map((a) => {
    const i = a.kind === "adapter" ? sources.findIndex((s) => s.platform === a.name) : -1;
    return actorNode(a, i >= 0 ? sources.splice(i, 1)[0] : null);
  });
  const down = actors.filter((a) => a.state !== "running").length;
  return [
    el("div", { class: "op-card-meta" },
      el("span", { class: "muted" }, t("operate.meeting_id", { id: m.id })),
      since(m.started_at, "operate.up"),
      down ? el("span", { class: "op-warn-text" }, icon("warn"), " ", t("operate.actors_down", { n: down })) : null),
    audienceList(m.connections, "op-aud op-aud-small"),
    el("div", { class: "op-tree" },
      el("div", { class: "op-node op-root" },
        el("div", { class: "op-node-head" }, el("span", { class: "op-node-name" }, t("operate.actor.meeting_supervisor")), since(m.started_at, "operate.up"))),
      el("ul", { class: "op-children", "aria-label": t("operate.children") }, ...children)),
    // Sources without an adapter actor (not started, or given up).
    sources.length ? el("div", { class: "op-orphans" }, el("h4", { class: "op-h4" }, t("operate.sources")), ...sources.map(sourceBlock)) : null,
  ];
}

/// Meeting cards, keyed by id; a card's body is rebuilt only when its meeting changed.
export class Cards {
  constructor() { this.cards = new Map(); this.lang = null; }

  render(meetings, lang) {
    const box = $("#op-cards");
    const force = lang !== this.lang;
    this.lang = lang;
    const seen = new Set();
    for (const m of [...meetings].sort((a, b) => a.id - b.id)) {
      seen.add(m.id);
      const { started_at: _s, ...shape } = m;
      const key = JSON.stringify(shape) + m.started_at;
      let card = this.cards.get(m.id);
      if (!card) {
        const title = el("h3", { class: "op-card-title", id: `op-m-${m.id}-title` });
        const body = el("div", { class: "op-card-body" });
        const link = el("a", { class: "button secondary small op-open", href: `/organize.html?meeting=${m.id}` });
        const node = el("article", { class: "card op-card", "data-meeting": String(m.id), "aria-labelledby": title.id },
          el("div", { class: "op-card-head" }, title, link), body);
        card = { node, title, body, link, key: null };
        this.cards.set(m.id, card);
      }
      box.append(card.node); // keeps the order by id (a no-op move when already in place)
      card.title.textContent = m.title;
      card.link.textContent = t("operate.open_dashboard");
      card.link.setAttribute("aria-label", t("operate.open_dashboard_of", { title: m.title }));
      const down = (m.actors || []).some((a) => a.state === "failed") ? "bad" : (m.actors || []).some((a) => a.state !== "running") ? "warn" : "ok";
      card.node.className = `card op-card op-card-${down}`;
      if (force || card.key !== key) {
        card.body.replaceChildren(...cardBody(m).filter(Boolean));
        card.key = key;
      }
    }
    for (const [id, card] of this.cards) {
      if (!seen.has(id)) { card.node.remove(); this.cards.delete(id); }
    }
    $("#op-no-meetings").classList.toggle("hidden", meetings.length > 0);
    $("#op-meeting-count").textContent = t("operate.meetings_n", { n: meetings.length });
  }
}
