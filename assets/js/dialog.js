// In-page dialogs for the account and users pages: a confirmation before anything
// destructive, and a password shown once with a copy button. Never window.confirm/alert
// (they block the page and cannot be styled or translated).

import { el, icon } from "./common.js";
import { t } from "./i18n.js";

let dialog = null;

function ensureDialog() {
  if (dialog) return dialog;
  dialog = el("dialog", { class: "confirm", id: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-text" },
    el("h2", { id: "confirm-title" }),
    el("p", { id: "confirm-text" }),
    el("div", { id: "confirm-extra" }),
    el("div", { class: "dialog-actions" },
      el("button", { type: "button", class: "secondary", id: "confirm-cancel" }),
      el("button", { type: "button", id: "confirm-ok" })));
  document.body.append(dialog);
  return dialog;
}

/// Shows the dialog and resolves `true` when confirmed, `false` when cancelled (also with
/// Escape). `cancel: null` shows a single button (an acknowledgement).
function open({ title, text, ok, cancel = t("dialog.cancel"), danger = false, extra = null }) {
  const d = ensureDialog();
  const back = document.activeElement;
  d.querySelector("#confirm-title").textContent = title;
  d.querySelector("#confirm-text").textContent = text;
  d.querySelector("#confirm-extra").replaceChildren(...(extra ? [extra] : []));
  const okBtn = d.querySelector("#confirm-ok"), cancelBtn = d.querySelector("#confirm-cancel");
  okBtn.textContent = ok;
  okBtn.classList.toggle("danger", danger);
  cancelBtn.hidden = cancel === null;
  if (cancel !== null) cancelBtn.textContent = cancel;
  return new Promise((resolve) => {
    const done = (value) => {
      okBtn.onclick = null; cancelBtn.onclick = null; d.oncancel = null;
      d.close();
      back?.focus?.();
      resolve(value);
    };
    okBtn.onclick = () => done(true);
    cancelBtn.onclick = () => done(false);
    d.oncancel = (ev) => { ev.preventDefault(); done(false); };
    d.showModal();
    // A destructive action starts on Cancel: Enter alone must not destroy anything.
    (danger && cancel !== null ? cancelBtn : okBtn).focus();
  });
}

/// Asks before a destructive action; the confirm button says what happens (`ok`).
export function confirmDialog({ title, text, ok, danger = true }) {
  return open({ title, text, ok, danger });
}

/// Shows a password once: a read-only field and a copy button, then "Done".
export function showSecret({ title, text, secret }) {
  return open({ title, text, ok: t("dialog.done"), cancel: null, extra: secretBox(secret) });
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
