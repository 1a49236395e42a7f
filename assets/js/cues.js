// The presenter's sound cues (issue 15): `start` when an activity opens, `reveal` at its
// results, `podium` at the scoreboard. Three short WAV files made by assets/sounds/make.py
// (CC0). The meeting's `sounds` switch (staff) and this screen's own mute button (kept in
// localStorage, also the M key) both have to allow a cue. `document.body.dataset.lastCue`
// names the last cue played and `dataset.cues` counts them (the tests read both).
//
// Browsers refuse to play sound before the visitor interacted with the page (OBS does
// not): a silent probe at start finds out, and the page then shows a small "Click to
// enable sound" button; nothing throws.

const NAMES = ["start", "reveal", "podium"];
const STORE = "librekast.presenterMuted";

export class Cues {
  /// `onChange()`: the mute state or the need for a click changed (the page redraws its
  /// button and its hint).
  constructor({ onChange = () => {} } = {}) {
    this.onChange = onChange;
    this.audio = new Map();
    this.blocked = false;
    this.probed = false;
    let stored = null;
    try { stored = localStorage.getItem(STORE); } catch { /* private mode */ }
    this.muted = stored === "1";
    document.body.dataset.cues = "0";
  }

  /// The element for a cue, made once (and only when sound may play).
  element(name) {
    let a = this.audio.get(name);
    if (!a) {
      a = new Audio(`/sounds/${name}.wav`);
      a.preload = "auto";
      this.audio.set(name, a);
    }
    return a;
  }

  setMuted(muted) {
    this.muted = muted;
    try { localStorage.setItem(STORE, muted ? "1" : "0"); } catch { /* private mode */ }
    if (muted) for (const a of this.audio.values()) a.pause();
    this.onChange();
  }

  toggle() { this.setMuted(!this.muted); }

  /// Whether the browser refuses sound until a click (found by a silent probe, or by a
  /// refused cue). Probes once, the first time sound may play.
  probe() {
    if (this.probed || this.muted) return;
    this.probed = true;
    const a = this.element("start");
    a.volume = 0;
    let played;
    try { played = a.play(); } catch { played = Promise.reject(new Error("no audio")); }
    Promise.resolve(played).then(() => { a.pause(); a.currentTime = 0; a.volume = 1; }, (e) => {
      a.volume = 1;
      if (e?.name === "NotAllowedError") { this.blocked = true; this.onChange(); }
    });
  }

  /// A click (on the hint or anywhere): the browser now allows sound.
  unlock() {
    if (!this.blocked) return;
    this.blocked = false;
    // Warm every cue inside the click, so the next one starts at once.
    for (const name of NAMES) this.element(name).load();
    this.onChange();
  }

  /// Plays cue `name` unless muted. It counts as played at once while the browser allows
  /// sound (a cue cut short by the next one still played), else once the browser started it.
  play(name) {
    if (this.muted || !NAMES.includes(name)) return;
    const a = this.element(name);
    for (const other of this.audio.values()) if (other !== a) other.pause();
    a.volume = 1;
    a.currentTime = 0;
    const count = () => {
      document.body.dataset.lastCue = name;
      document.body.dataset.cues = String(Number(document.body.dataset.cues || 0) + 1);
    };
    const allowed = !this.blocked;
    let played;
    try { played = a.play(); } catch (e) { played = Promise.reject(e); }
    if (allowed) count();
    Promise.resolve(played).then(() => {
      if (allowed) return;
      this.blocked = false;
      this.onChange();
      count();
    }, (e) => {
      if (e?.name === "NotAllowedError" && !this.blocked) { this.blocked = true; this.onChange(); }
    });
  }
}

/// Which cue a change of screen calls for: `prev` and `next` are `{status, question}`
/// (the question's id, or null) of the last two `state` frames; `prev` is null before the
/// first, which never plays: a reload or a reconnection must not replay a cue.
export function cueFor(prev, next) {
  if (!prev) return null;
  const q = next.question ?? null;
  if (next.status === "ongoing" && !(prev.status === "ongoing" && prev.question === q)) return "start";
  if (next.status === "results" && !(prev.status === "results" && prev.question === q)) return "reveal";
  if (next.status === "scoreboard" && prev.status !== "scoreboard") return "podium";
  return null;
}
