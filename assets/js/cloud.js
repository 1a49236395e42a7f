// Word cloud layout: every word is measured in the DOM, then placed on an Archimedean spiral
// from the centre at the first spot where its box overlaps no placed box. A word keeps its
// previous spot when it still fits there, so the cloud grows live without reshuffling. If
// the words do not fit, everything is scaled down and laid out again.

import { el } from "./common.js";
import { t } from "./i18n.js";

const PALETTE = ["var(--accent)", "var(--bar)", "var(--ok)", "var(--text)", "var(--bad)", "var(--muted)"];
const GAP = 6;

function hash(text) {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.codePointAt(0)) >>> 0;
  return h;
}

function overlaps(a, list) {
  for (const b of list) {
    if (a.x < b.x + b.w + GAP && a.x + a.w + GAP > b.x && a.y < b.y + b.h + GAP && a.y + a.h + GAP > b.y) return true;
  }
  return false;
}

export class Cloud {
  /// `reference`: a box width at which the sizes apply as given; a narrower box scales them
  /// down (the presenter screen shown small).
  constructor(container, { minSize = 16, maxSize = 64, reference = 0 } = {}) {
    this.box = container; this.minSize = minSize; this.maxSize = maxSize; this.reference = reference;
    this.nodes = new Map(); this.spots = new Map(); this.question = null;
    this.measure = el("span", { class: "cloud-measure", "aria-hidden": "true" });
    // Screen readers get the words as a list, most frequent first, with their counts; the
    // placed words are hidden from them. (`role="img"` would hide this list too.)
    this.list = el("ul", { class: "sr-only" });
    container.append(this.measure, this.list);
    container.setAttribute("role", "figure");
    this.name();
  }

  /// The figure's name (again after a language change: pages re-render then).
  name() { this.box.setAttribute("aria-label", t("cloud.label")); }

  clear() {
    for (const n of this.nodes.values()) n.remove();
    this.nodes.clear(); this.spots.clear(); this.list.replaceChildren();
  }

  /// `words`: [{text, count}], most frequent first (as the server sends them).
  update(questionId, words) {
    if (questionId !== this.question) { this.clear(); this.question = questionId; }
    this.words = words;
    this.name();
    this.layout();
  }

  layout() {
    const words = this.words || [];
    const W = this.box.clientWidth, H = this.box.clientHeight;
    if (!W || !H) return;
    const max = Math.max(1, ...words.map((w) => w.count));
    let scale = this.reference ? Math.min(1, W / this.reference) : 1, placed = null;
    for (let attempt = 0; attempt < 8 && !placed; attempt++, scale *= 0.82) placed = this.place(words, max, scale, W, H);
    placed ||= this.place(words, max, scale, W, H, true);
    const keep = new Set();
    for (const p of placed) {
      keep.add(p.text);
      let node = this.nodes.get(p.text);
      if (!node) {
        node = el("span", { class: "cloud-word new", "aria-hidden": "true" }, p.text);
        node.style.color = PALETTE[hash(p.text.toLowerCase()) % PALETTE.length];
        this.box.append(node);
        this.nodes.set(p.text, node);
        requestAnimationFrame(() => node.classList.remove("new"));
      }
      node.style.fontSize = `${p.size}px`;
      node.style.transform = `translate(${Math.round(p.x)}px, ${Math.round(p.y)}px)`;
      node.dataset.count = p.count;
      this.spots.set(p.text, { cx: p.x + p.w / 2, cy: p.y + p.h / 2 });
    }
    for (const [text, node] of this.nodes) if (!keep.has(text)) { node.remove(); this.nodes.delete(text); this.spots.delete(text); }
    this.list.replaceChildren(...words.map((w) => el("li", {}, `${w.text} (${w.count})`)));
  }

  /// One layout attempt; null when a word found no spot (unless `force`, which drops it).
  place(words, max, scale, W, H, force = false) {
    const boxes = [];
    const cx = W / 2, cy = H / 2;
    for (const w of words) {
      let size = Math.max(10, (this.minSize + (this.maxSize - this.minSize) * Math.sqrt(w.count / max)) * scale);
      this.measure.style.fontSize = `${size}px`;
      this.measure.textContent = w.text;
      let bw = this.measure.offsetWidth, bh = this.measure.offsetHeight;
      // A long phrase shrinks alone instead of shrinking the whole cloud.
      if (bw > W * 0.9 && size > 10) {
        size = Math.max(10, Math.floor((size * W * 0.9) / bw));
        this.measure.style.fontSize = `${size}px`;
        bw = this.measure.offsetWidth; bh = this.measure.offsetHeight;
      }
      if (bw > W || bh > H) { if (force) continue; return null; }
      const fits = (x, y) => x >= 0 && y >= 0 && x + bw <= W && y + bh <= H && !overlaps({ x, y, w: bw, h: bh }, boxes);
      let spot = null;
      const prev = this.spots.get(w.text);
      if (prev && fits(prev.cx - bw / 2, prev.cy - bh / 2)) spot = [prev.cx - bw / 2, prev.cy - bh / 2];
      // Spiral stretched to the box's aspect ratio: a wide screen fills sideways.
      const aspect = W / H;
      for (let i = 0; !spot && i < 4000; i++) {
        const a = i * 0.18, r = 2.2 * a;
        const x = cx + r * Math.cos(a) * aspect - bw / 2, y = cy + r * Math.sin(a) - bh / 2;
        if (fits(x, y)) spot = [x, y];
      }
      if (!spot) { if (force) continue; return null; }
      boxes.push({ x: spot[0], y: spot[1], w: bw, h: bh, size, text: w.text, count: w.count });
    }
    return boxes;
  }
}
