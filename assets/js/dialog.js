// In-page dialogs for the staff pages: a confirmation before anything destructive (with,
// for the worst, a word to type), and a password shown once with a copy button. Never window.confirm/alert
// (they block the page and cannot be styled or translated).

import { el, icon } from "./common.js";
import { t } from "./i18n.js";

const norm = (s) => String(s ?? "").normalize("NFC").replace(/\s+/g, " ").trim().toLowerCase();

let dialog = null;
/// The one in-page dialog of the staff pages (never window.confirm). Resolves `true` when
/// confirmed, `false` when cancelled or closed with Escape; `cancel: null` shows a single
/// button (an acknowledgement). `body`: extra content. `typeToConfirm`: the OK button
/// stays disabled until that text is typed (case and spacing ignored). A destructive
/// dialog (`danger`) starts on Cancel, so Enter alone destroys nothing.
export function ask({ title, text, ok, cancel = t("dialog.cancel"), danger = false, body = null, typeToConfirm = null }) {
  if (!dialog) {
    dialog = el("dialog", { class: "confirm", id: "ask", "aria-labelledby": "ask-title", "aria-describedby": "ask-text" });
    document.body.append(dialog);
  }
  const back = document.activeElement;
  const okBtn = el("button", { type: "button", id: "ask-ok", class: danger ? "danger" : null }, ok);
  const cancelBtn = el("button", { type: "button", class: "secondary", id: "ask-cancel" }, cancel);
  let typed = null;
  if (typeToConfirm) {
    typed = el("input", { type: "text", id: "ask-typed", autocomplete: "off", spellcheck: "false", "aria-describedby": "ask-typed-hint" });
    okBtn.disabled = true;
    typed.addEventListener("input", () => { okBtn.disabled = norm(typed.value) !== norm(typeToConfirm); });
  }
  dialog.replaceChildren(...[
    el("h2", { id: "ask-title" }, title),
    el("p", { id: "ask-text" }, text),
    body,
    typed ? el("label", { for: "ask-typed" }, t("editor.type_to_confirm")) : null,
    typed ? el("p", { class: "hint type-word", id: "ask-typed-hint" }, typeToConfirm) : null,
    typed,
    el("div", { class: "dialog-actions" }, cancel === null ? null : cancelBtn, okBtn)].filter(Boolean));
  return new Promise((resolve) => {
    const done = (value) => {
      dialog.oncancel = null;
      dialog.close();
      back?.focus?.();
      resolve(value);
    };
    okBtn.onclick = () => done(true);
    cancelBtn.onclick = () => done(false);
    typed?.addEventListener("keydown", (ev) => { if (ev.key === "Enter" && !okBtn.disabled) done(true); });
    dialog.oncancel = (ev) => { ev.preventDefault(); done(false); };
    dialog.showModal();
    (typed || (danger && cancel !== null ? cancelBtn : okBtn)).focus();
  });
}

/// Asks before a destructive action; the confirm button says what happens (`ok`).
export function confirmDialog({ title, text, ok, danger = true }) {
  return ask({ title, text, ok, danger });
}

/// Shows a password once: a read-only field and a copy button, then "Done".
export function showSecret({ title, text, secret }) {
  return ask({ title, text, ok: t("dialog.done"), cancel: null, body: secretBox(secret) });
}

/// A read-only field holding `value`, a button that copies it and a line saying it did.
export function secretBox(value) {
  const field = el("input", { type: "text", class: "secret-value", readonly: true, value, spellcheck: "false", "aria-label": t("secret.label") });
  const status = el("p", { class: "secret-status", role: "status" });
  const button = el("button", { type: "button", class: "secondary copy", "aria-label": t("secret.copy"), title: t("secret.copy") }, icon("copy"));
  button.addEventListener("click", async () => {
    let copied = false;
    try { await navigator.clipboard.writeText(value); copied = true; } catch { /* not a secure context */ }
    if (!copied) {
      field.select();
      try { copied = document.execCommand("copy"); } catch { copied = false; }
    }
    status.textContent = copied ? t("secret.copied") : t("secret.select");
    field.select();
  });
  field.addEventListener("focus", () => field.select());
  return el("div", { class: "secret-box" }, el("div", { class: "secret" }, field, button), status);
}
