// The operations page's words and numbers in the page's language: counts, durations that
// tick ("3h 12m"), milliseconds, clock times of events, and the names of actors, states and
// events (the wire's words, translated; an unknown word shows as it came).

import { t, currentLang } from "./i18n.js";

const has = (key) => t(key) !== key;

export function num(n) {
  return new Intl.NumberFormat(currentLang()).format(n);
}

/// A latency in milliseconds: one decimal below 10 ms, none above.
export function millis(v) {
  return new Intl.NumberFormat(currentLang(), {
    style: "unit", unit: "millisecond", unitDisplay: "short", maximumFractionDigits: v < 10 ? 1 : 0,
  }).format(v);
}

const UNITS = [["day", 86400], ["hour", 3600], ["minute", 60], ["second", 1]];

/// "3h 12m", "4m 5s", "12s" (fr: "3h 12min", "3j 4h"): the two largest units, so a
/// ticking uptime stays short and still moves every second for the first hour.
export function duration(ms) {
  let s = Math.max(0, Math.floor(ms / 1000));
  const lang = currentLang();
  const fmt = (unit, v) => new Intl.NumberFormat(lang, { style: "unit", unit, unitDisplay: "narrow" }).format(v);
  const i = UNITS.findIndex(([, size]) => s >= size);
  if (i < 0) return fmt("second", 0);
  const [unit, size] = UNITS[i];
  const big = Math.floor(s / size);
  s -= big * size;
  const next = UNITS[i + 1];
  return next ? `${fmt(unit, big)} ${fmt(next[0], Math.floor(s / next[1]))}` : fmt(unit, big);
}

/// A clock time, 24-hour; an event's to the millisecond (bursts happen within one second).
export function clock(at, millis = true) {
  return new Intl.DateTimeFormat(currentLang(), {
    hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23", ...(millis ? { fractionalSecondDigits: 3 } : {}),
  }).format(new Date(at));
}

/// Date and time in full, for a tooltip and `datetime`.
export function fullDate(at) {
  return new Date(at).toLocaleString(currentLang(), { dateStyle: "medium", timeStyle: "medium" });
}

/// "Meeting actor", "Twitch adapter", "Bots", "Database writer"…
export function actorName(kind, name) {
  if (kind === "adapter" && name) {
    const platform = has(`operate.platform.${name}`) ? t(`operate.platform.${name}`) : name;
    return t("operate.actor.adapter_of", { platform });
  }
  return has(`operate.actor.${kind}`) ? t(`operate.actor.${kind}`) : String(kind);
}

export function stateName(state) {
  return has(`operate.state.${state}`) ? t(`operate.state.${state}`) : String(state);
}

export function eventName(event) {
  return has(`operate.event.${event}`) ? t(`operate.event.${event}`) : String(event);
}

export function levelName(level) {
  return has(`operate.level.${level}`) ? t(`operate.level.${level}`) : String(level);
}

export function sourceStatus(status) {
  return has(`adapter.${status}`) ? t(`adapter.${status}`) : String(status);
}

/// The icon beside a state, so it never rests on colour alone.
export const STATE_ICON = { running: "check", restarting: "restart", stopped: "stop", failed: "cross" };
export const LEVEL_ICON = { info: "info", warn: "warn", error: "cross" };
