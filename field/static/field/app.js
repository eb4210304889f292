// The field app's entry point: the router (screens are #/ routes), the sync indicator, the
// police backup button, and the service worker that keeps the app shell for offline use.

import * as screens from "./screens.js";
import * as sync from "./sync.js";
import { h, when } from "./dom.js";
import { BACKUP_REASONS } from "./labels.js";

const screenEl = document.getElementById("screen");
const indicator = document.getElementById("sync-indicator");
const backupBar = document.getElementById("backup-bar");
const dialog = document.getElementById("dialog");

let current = null;

function route() {
  const [path, query] = (location.hash.replace(/^#/, "") || "/").split("?");
  const params = new URLSearchParams(query || "");
  const parts = path.split("/").filter(Boolean);
  if (!sync.state.signedIn) return () => screens.signIn();
  if (parts[0] === "signin" && params.get("again")) return () => screens.signIn(true);
  if (parts[0] === "call" && parts[1]) {
    const id = parts[1];
    if (parts[2] === "note") return () => screens.note(id, params);
    if (parts[2] === "outcome") return () => screens.outcome(id, params);
    if (parts[2] === "followup") return () => screens.followupForm(id);
    if (parts[2] === "referral") return () => screens.referralForm(id);
    return () => screens.call(id);
  }
  if (parts[0] === "followups") return () => screens.followups();
  if (parts[0] === "services") return () => screens.services();
  if (parts[0] === "refused") return () => screens.refused();
  return () => screens.calls();
}

let drawing = Promise.resolve();
function draw(focus = false) {
  drawing = drawing.then(async () => {
    const scrollY = window.scrollY;
    const screen = await route()();
    current = screen;
    screenEl.replaceChildren(screen.node);
    drawBackupBar(screen.openCall || null);
    if (focus) {
      window.scrollTo(0, 0);
      screenEl.focus({ preventScroll: true });
    } else {
      window.scrollTo(0, scrollY);
    }
    document.body.dataset.ready = "1";
  });
  return drawing;
}

function drawIndicator(state) {
  const parts = [];
  if (state.syncing) parts.push("Syncing…");
  else if (state.offline) parts.push("Offline");
  parts.push(state.pending ? `${state.pending} pending` : "All sent");
  if (state.lastSyncAt) parts.push(`synced ${when(state.lastSyncAt)}`);
  else parts.push("never synced");
  if (state.rejected) parts.push(`${state.rejected} refused`);
  indicator.textContent = parts.join(" · ");
  indicator.dataset.pending = String(state.pending);
  indicator.dataset.syncing = state.syncing ? "1" : "0";
  indicator.dataset.lastSync = state.lastSyncAt ? String(state.lastSyncAt) : "";
  indicator.className = `sync${state.offline ? " offline" : ""}${state.pending ? " has-pending" : ""}${state.error ? " failed" : ""}`;
  indicator.title = state.error || "Sync now";
  indicator.hidden = !state.signedIn;
}

// --- police backup: one tap opens the confirmation; choosing the reason sends it -------------

function drawBackupBar(callId) {
  if (!callId) {
    backupBar.replaceChildren();
    backupBar.hidden = true;
    return;
  }
  backupBar.hidden = false;
  backupBar.replaceChildren(h("button", { type: "button", id: "backup", className: "backup", onclick: () => confirmBackup(callId) }, "Police backup"));
}

function closeDialog() {
  dialog.hidden = true;
  dialog.replaceChildren();
}

function confirmBackup(callId) {
  const details = h("input", { id: "backup-details", maxlength: 500, placeholder: "Optional" });
  dialog.replaceChildren(
    h(
      "div",
      { className: "sheet" },
      h("h2", { id: "backup-title" }, "Ask for police backup?"),
      h("p", {}, "The desk and your supervisor are alerted at once. Without signal it is sent first when the signal returns."),
      h("div", { className: "field" }, h("label", { for: "backup-details" }, "Details"), details),
      h("p", {}, h("strong", {}, "Tap the reason to send:")),
      Object.entries(BACKUP_REASONS).map(([reason, text]) =>
        h(
          "button",
          {
            type: "button",
            className: "backup-reason danger",
            "data-reason": reason,
            onclick: async () => {
              closeDialog();
              await sync.addRecord("backup_requests", { id: sync.uuid(), call_id: callId, reason, details: details.value, status: "requested", occurred_at: Date.now() });
              sync.sendBackupsNow();
            },
          },
          text
        )
      ),
      h("button", { type: "button", id: "backup-cancel", className: "secondary", onclick: closeDialog }, "Cancel: no backup")
    )
  );
  dialog.setAttribute("aria-labelledby", "backup-title");
  dialog.hidden = false;
  dialog.querySelector(".backup-reason").focus();
}

// --- start ------------------------------------------------------------------------------------

indicator.addEventListener("click", () => sync.syncSoon());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !dialog.hidden) closeDialog();
});
window.addEventListener("hashchange", () => draw(true));
sync.subscribe((state, dataChanged) => {
  drawIndicator(state);
  if (dataChanged && current && current.live) draw(false);
  if (!state.signedIn && current && current.live !== false) draw(false);
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((error) => console.warn("Service worker:", error));
}

sync.start().then(() => draw(true));
