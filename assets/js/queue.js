// The dashboard's moderation queue of an open question's answers or a Q&A's questions
// (issue 15, docs/web-app.md "Moderation"): every post as the staff socket sends it
// (`state.items`, then `items` frames: pending first, then the approved ones in the
// presenter's order, then the hidden ones), filtered by status with counts, each with
// Approve / Pin / Unpin / Mark answered / Hide. Each action is one `moderate` frame on the
// staff socket; its buttons say "busy" until the ack. Rows are kept by item id and only
// rebuilt when the item changed, so a queue of 500 posts refreshed twice a second costs
// little and keyboard focus stays where it was. Posts and names are inserted as text only.

import { $, el, icon, errorText } from "./common.js";
import { t, onLangChange } from "./i18n.js";
import { platformTag } from "./streams.js";
import { glyph } from "./editkit.js";

const FILTERS = ["all", "pending", "approved", "hidden"];
const STORE = "lk.queueFilter";
/// New posts are read out at most this often (a busy Q&A gets dozens a minute).
const SAY_EVERY = 4000;

/// The kinds whose posts are moderated here.
export const takesPosts = (kind) => kind === "text_answer" || kind === "qna";

/// What an action does to an item, as the server will (docs: `moderate`): applied at the ack
/// so the row moves at once; the next `items` frame confirms it.
function applyAction(item, action) {
  const next = { ...item };
  if (action === "approve") next.status = "approved";
  else if (action === "pin") { next.status = "approved"; next.pinned = true; }
  else if (action === "unpin") next.pinned = false;
  else if (action === "answered") { next.answered = true; next.pinned = false; }
  else if (action === "hide") { next.status = "hidden"; next.pinned = false; }
  return next;
}

export class PostQueue {
  /// `send(frame)` sends on the staff socket and resolves with the ack.
  constructor(send) {
    this.send = send;
    this.question = null; // the current activity when it takes posts
    this.items = null; // null: not open yet
    this.counts = { pending: 0, approved: 0, hidden: 0, answered: 0 };
    this.rows = new Map(); // item id → { node, sig, votes }
    this.busy = new Map(); // item id → action in flight
    this.failed = new Map(); // item id → error text
    let stored = null;
    try { stored = localStorage.getItem(STORE); } catch { /* private mode */ }
    this.filter = FILTERS.includes(stored) ? stored : "all";
    this.lastPending = null;
    this.lastSaid = 0;
    this.sayTimer = null;
  }

  mount() {
    for (const b of $("#queue-filters").querySelectorAll("[data-filter]")) {
      b.addEventListener("click", () => this.setFilter(b.dataset.filter));
    }
    $("#queue-list").addEventListener("click", (ev) => {
      const b = ev.target.closest("button[data-mod]");
      const li = b?.closest("li[data-id]");
      if (b && li) this.act(Number(li.dataset.id), b.dataset.mod);
    });
    onLangChange(() => this.render(true));
  }

  /// Every `state` frame: the current activity, and its posts when it is open.
  onState(state) {
    const q = state.question && takesPosts(state.question.kind) ? state.question : null;
    if ((q?.id ?? null) !== (this.question?.id ?? null)) {
      this.rows.clear(); this.busy.clear(); this.failed.clear();
      $("#queue-list")?.replaceChildren();
      this.lastPending = null;
    }
    this.question = q;
    this.take(q && state.items && (state.items.question_id ?? q.id) === q.id ? state.items : null);
    this.render();
  }

  /// An `items` frame; true when it was one.
  onFrame(f) {
    if (f.type !== "items") return false;
    if (this.question && f.question_id === this.question.id) { this.take(f); this.render(); }
    return true;
  }

  take(frame) {
    if (!frame) { this.items = null; this.counts = { pending: 0, approved: 0, hidden: 0, answered: 0 }; return; }
    this.items = Array.isArray(frame.items) ? frame.items : [];
    this.counts = { pending: 0, approved: 0, hidden: 0, answered: 0, ...(frame.counts || {}) };
    this.announce();
  }

  /// Every post given, whatever its status (what "Answers" counts on the dashboard).
  total() { return (this.counts.pending || 0) + (this.counts.approved || 0) + (this.counts.hidden || 0); }

  /// New posts waiting, read out to screen readers (at most every few seconds).
  announce() {
    const n = this.counts.pending || 0;
    const before = this.lastPending;
    this.lastPending = n;
    if (before === null || n <= before) return;
    const say = () => {
      this.sayTimer = null;
      this.lastSaid = Date.now();
      $("#queue-said").textContent = t("org.queue_said", { n: this.counts.pending || 0 });
    };
    if (this.sayTimer) return;
    const wait = Math.max(0, this.lastSaid + SAY_EVERY - Date.now());
    this.sayTimer = setTimeout(say, wait);
  }

  setFilter(name) {
    if (!FILTERS.includes(name) || name === this.filter) return;
    this.filter = name;
    try { localStorage.setItem(STORE, name); } catch { /* private mode */ }
    this.render();
  }

  shown() {
    const list = this.items || [];
    return this.filter === "all" ? list : list.filter((x) => x.status === this.filter);
  }

  render(relabel = false) {
    const card = $("#queue-card");
    if (!card) return;
    card.classList.toggle("hidden", !this.question);
    if (!this.question) return;
    const qna = this.question.kind === "qna";
    $("#queue-title-text").textContent = t(qna ? "org.queue_title_qna" : "org.queue_title_text");
    const c = this.counts;
    const all = this.total();
    const bits = [t("org.queue_n", { n: all })];
    if (qna && c.answered) bits.push(t("org.queue_answered_n", { n: c.answered }));
    $("#queue-count").textContent = bits.join(" · ");
    $("#queue-auto").textContent = this.question.auto_approve ? t("org.queue_auto") : t(qna ? "org.queue_hint_qna" : "org.queue_hint_text");
    for (const b of $("#queue-filters").querySelectorAll("[data-filter]")) {
      const f = b.dataset.filter;
      const n = f === "all" ? all : c[f] || 0;
      b.setAttribute("aria-pressed", String(f === this.filter));
      b.classList.toggle("has-pending", f === "pending" && n > 0);
      $(".filter-name", b).textContent = t(`org.queue_filter_${f}`);
      $(".filter-count", b).textContent = String(n);
    }
    if (relabel) { this.rows.forEach((r) => r.node.remove()); this.rows.clear(); }
    this.renderList();
  }

  renderList() {
    const started = performance.now();
    const list = $("#queue-list");
    const shown = this.shown();
    const qna = this.question.kind === "qna";
    // Where keyboard focus was: which row, which button, and the row's place.
    const active = document.activeElement;
    const inList = active && list.contains(active);
    const focusRow = inList ? Number(active.closest("li[data-id]")?.dataset.id) : null;
    const focusAction = inList ? active.dataset.mod : null;
    const focusAt = inList ? [...list.children].indexOf(active.closest("li[data-id]")) : -1;

    const seen = new Set();
    let prev = null;
    for (const it of shown) {
      seen.add(it.id);
      const sig = this.signature(it, qna);
      let row = this.rows.get(it.id);
      if (!row || row.sig !== sig) {
        const built = this.row(it, qna);
        if (row) row.node.remove();
        row = { node: built.node, votes: built.votes, sig, shownVotes: it.votes };
        this.rows.set(it.id, row);
      } else if (qna && row.shownVotes !== it.votes) {
        // Upvotes change often: only their number is rewritten.
        row.votes.textContent = t("org.queue_votes", { n: it.votes || 0 });
        row.shownVotes = it.votes;
      }
      const want = prev ? prev.nextSibling : list.firstChild;
      if (want !== row.node) list.insertBefore(row.node, want);
      prev = row.node;
    }
    for (const [id, row] of this.rows) if (!seen.has(id)) { row.node.remove(); this.rows.delete(id); }

    // Focus lost with a rebuilt or departed row: the same button of the same post, else the
    // post now in its place (so Enter, Enter… approves one after the other), else the filters.
    if (inList && !list.contains(document.activeElement)) {
      const again = this.rows.get(focusRow)?.node;
      const target = (again && (again.querySelector(`[data-mod="${focusAction}"]`) || again.querySelector("button[data-mod]")))
        || (() => {
          const li = list.children[Math.min(focusAt, list.children.length - 1)];
          return li ? li.querySelector(`[data-mod="${focusAction}"]`) || li.querySelector("button[data-mod]") : null;
        })()
        || $("#queue-filters [aria-pressed=true]");
      target?.focus();
    }

    const empty = $("#queue-empty");
    let text = "";
    if (this.items === null) text = t("org.queue_closed");
    else if (!shown.length) text = t(`org.queue_empty_${this.filter}`);
    empty.textContent = text;
    empty.classList.toggle("hidden", !text);
    const total = this.total();
    const more = this.items && total > this.items.length ? t("org.queue_capped", { shown: this.items.length, n: total }) : "";
    $("#queue-more").textContent = more;
    $("#queue-more").classList.toggle("hidden", !more);
    // The slowest redraw so far, in milliseconds (what the tests hold under a frame's budget).
    const took = performance.now() - started;
    if (took > Number(list.dataset.renderMs || 0)) list.dataset.renderMs = took.toFixed(1);
  }

  signature(it, qna) {
    return JSON.stringify([it.text, it.name, it.platform, it.status, qna && it.pinned, qna && it.answered, this.busy.get(it.id) || "", this.failed.get(it.id) || ""]);
  }

  row(it, qna) {
    const busy = this.busy.get(it.id) || null;
    const n = `#${it.id}`;
    const button = (action, label, cls = "secondary small") => el("button", {
      type: "button", class: `${cls}${busy === action ? " is-busy" : ""}`, "data-mod": action,
      "aria-label": t("org.queue_action_label", { action: label, n }),
      "aria-disabled": busy ? "true" : null, "aria-busy": busy === action ? "true" : null,
    }, label);
    const actions = [];
    if (it.status !== "approved") actions.push(button("approve", t("org.queue_approve"), "small"));
    if (qna && it.status !== "hidden") {
      if (it.pinned) actions.push(button("unpin", t("org.queue_unpin")));
      else if (!it.answered) actions.push(button("pin", t("org.queue_pin")));
      if (it.status === "approved" && !it.answered) actions.push(button("answered", t("org.queue_mark_answered")));
    }
    if (it.status !== "hidden") actions.push(button("hide", t("org.queue_hide"), "secondary small danger-outline"));

    const badges = [];
    if (it.status === "pending") badges.push(el("span", { class: "qbadge qbadge-pending" }, t("org.queue_badge_pending")));
    if (it.status === "hidden") badges.push(el("span", { class: "qbadge qbadge-hidden" }, t("org.queue_badge_hidden")));
    if (qna && it.pinned) badges.push(el("span", { class: "qbadge qbadge-pinned" }, glyph("pin"), t("org.queue_badge_pinned")));
    if (qna && it.answered) badges.push(el("span", { class: "qbadge qbadge-answered" }, icon("check"), t("org.queue_badge_answered")));

    const votes = el("span", { class: "post-votes" }, t("org.queue_votes", { n: it.votes || 0 }));
    const error = this.failed.get(it.id);
    const node = el("li", {
      class: `post status-${it.status}${qna && it.pinned ? " is-pinned" : ""}${qna && it.answered ? " is-answered" : ""}`,
      "data-id": String(it.id), "data-status": it.status,
    },
    el("div", { class: "post-head" },
      el("span", { class: "post-num" }, n),
      el("span", { class: "post-who" }, el("bdi", { class: "post-name" }, it.name || t("org.queue_anonymous")),
        it.platform && it.platform !== "room" ? platformTag(it.platform) : el("span", { class: "ptag" }, t("mod.room"))),
      qna ? votes : null,
      ...badges),
    el("p", { class: "post-text", dir: "auto" }, it.text),
    el("div", { class: "post-actions" }, ...actions),
    error ? el("p", { class: "field-error post-error", role: "alert" }, error) : null);
    return { node, votes };
  }

  async act(id, action) {
    const q = this.question;
    if (!q || this.busy.has(id)) return;
    this.failed.delete(id);
    this.busy.set(id, action);
    this.renderList();
    const ack = await this.send({ type: "moderate", question_id: q.id, item_id: id, action });
    if (this.question?.id !== q.id) return;
    if (ack.ok) {
      // Moves at once; the `items` frame that follows confirms it.
      const i = (this.items || []).findIndex((x) => x.id === id);
      if (i >= 0) {
        const before = this.items[i], after = applyAction(before, action);
        if (before.status !== after.status) {
          this.counts[before.status] = Math.max(0, (this.counts[before.status] || 0) - 1);
          this.counts[after.status] = (this.counts[after.status] || 0) + 1;
        }
        if (!before.answered && after.answered) this.counts.answered = (this.counts.answered || 0) + 1;
        this.items[i] = after;
        // Its place in the server's order: the next frame puts it there.
      }
      $("#queue-toast").textContent = "";
    } else {
      const why = ack.error === "not_found" ? t("org.queue_gone") : errorText(ack.error);
      this.failed.set(id, why);
      $("#queue-toast").textContent = t("org.queue_failed", { n: `#${id}`, why });
    }
    this.busy.delete(id);
    this.render();
  }
}
