// The field app's entry point: the router (screens are #/ routes), the sync indicator, the
// police backup button, the on-scene check-in prompt, the notice of a new desk note, the
// position pings (positions.js), and the service worker that keeps the app shell for offline use.

import * as screens from "./screens.js";
import * as sync from "./sync.js";
import * as checkins from "./checkins.js";
import * as positions from "./positions.js";
import * as db from "./db.js";
import { h, when } from "./dom.js";
import { BACKUP_REASONS } from "./labels.js";

const screenEl = document.getElementById("screen");
const indicator = document.getElementById("sync-indicator");
const backupBar = document.getElementById("backup-bar");
const dialog = document.getElementById("dialog");
const checkinBanner = document.getElementById("checkin-banner");
const deskNotice = document.getElementById("desk-notice");

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
  if (parts[0] === "followup" && parts[1]) return () => screens.followupChange(parts[1]);
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
    await drawCheckIn();
    drawDeskNotice();
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

// --- the on-scene check-in: "All OK?" on every screen of the call when one is due ------------

let prompted = null; // the call and due time last prompted for (vibrate once per prompt)

async function drawCheckIn() {
  if (!current || !sync.state.signedIn) {
    checkinBanner.hidden = true;
    checkinBanner.replaceChildren();
    return;
  }
  const due = (await checkins.onScene()).filter((row) => row.isDue).sort((a, b) => a.due - b.due);
  const mine = current.openCall ? due.find((row) => row.call.id === current.openCall) : null;
  if (!due.length) {
    checkinBanner.hidden = true;
    checkinBanner.replaceChildren();
    prompted = null;
    return;
  }
  if (!mine) {
    // Another screen: a link to the call whose check-in is due.
    const row = due[0];
    checkinBanner.replaceChildren(h("a", { href: `#/call/${row.call.id}`, id: "checkin-link", className: "banner checkin-link" }, `Safety check-in due: ${row.call.address}`));
    checkinBanner.hidden = false;
    return;
  }
  const key = `${mine.call.id}:${mine.due}`;
  if (checkinBanner.dataset.key === key && !checkinBanner.hidden) return; // keep the chosen minutes
  if (prompted !== key && navigator.vibrate) navigator.vibrate([200, 100, 200]);
  prompted = key;
  const callId = mine.call.id;
  const minutes = h("select", { id: "checkin-minutes" }, checkins.LONGER_VISIT_MINUTES.map((m) => h("option", { value: m, selected: m === 30 }, `${m} min`)));
  const longerButton = h("button", { type: "button", id: "checkin-longer", className: "secondary big" }, "Longer visit: check again in 30 min");
  minutes.addEventListener("change", () => {
    longerButton.textContent = `Longer visit: check again in ${minutes.value} min`;
  });
  longerButton.addEventListener("click", () => answerCheckIn(callId, "longer_visit", { minutes: Number(minutes.value) }));
  checkinBanner.dataset.key = key;
  checkinBanner.replaceChildren(
    h(
      "div",
      { className: "checkin" },
      h("h2", { id: "checkin-title" }, "All OK?"),
      h("p", {}, `Safety check-in, due ${when(mine.due)}. The desk is alerted if nobody answers.`),
      h("button", { type: "button", id: "checkin-ok", className: "ok big", onclick: () => answerCheckIn(callId, "ok") }, "All OK"),
      h("div", { className: "field" }, h("label", { for: "checkin-minutes" }, "Check again in"), minutes),
      longerButton,
      h("button", { type: "button", id: "checkin-help", className: "danger big", onclick: () => confirmNeedHelp(callId) }, "Need help")
    )
  );
  checkinBanner.hidden = false;
}

async function answerCheckIn(callId, answer, options = {}) {
  checkinBanner.hidden = true;
  checkinBanner.dataset.key = "";
  await checkins.answer(callId, answer, options);
  await drawCheckIn();
}

function confirmNeedHelp(callId) {
  const details = h("input", { id: "help-details", maxlength: 500, placeholder: "Optional" });
  dialog.replaceChildren(
    h(
      "div",
      { className: "sheet" },
      h("h2", { id: "help-title" }, "Need help now?"),
      h("p", {}, "This asks for police backup for your safety: the desk and your supervisor are alerted at once. Without signal it is sent first when the signal returns."),
      h("div", { className: "field" }, h("label", { for: "help-details" }, "What is happening"), details),
      h(
        "button",
        {
          type: "button",
          id: "help-confirm",
          className: "danger",
          onclick: async () => {
            closeDialog();
            await answerCheckIn(callId, "need_help", { details: details.value });
          },
        },
        "Yes: send \"Need help\""
      ),
      h("button", { type: "button", id: "help-cancel", className: "secondary", onclick: closeDialog }, "Cancel")
    )
  );
  dialog.setAttribute("aria-labelledby", "help-title");
  dialog.hidden = false;
  dialog.querySelector("#help-confirm").focus();
}

// --- a new note from the desk: a notice until its call is opened --------------------------------

async function drawDeskNotice() {
  const unseen = sync.state.newDeskNotes || [];
  if (current && current.callId) await sync.seenDeskNotes(current.callId);
  const shown = current && current.callId ? unseen.filter((n) => n.call_id !== current.callId) : unseen;
  if (!sync.state.signedIn || !shown.length) {
    deskNotice.hidden = true;
    deskNotice.replaceChildren();
    return;
  }
  const latest = shown[shown.length - 1];
  const call = await db.get("calls", latest.call_id);
  deskNotice.replaceChildren(
    h("a", { href: `#/call/${latest.call_id}`, id: "desk-notice-link", className: "banner info" }, `New note from the desk${shown.length > 1 ? ` (${shown.length})` : ""}${call ? `: ${call.address}` : ""}`)
  );
  deskNotice.hidden = false;
}

// --- start ------------------------------------------------------------------------------------

indicator.addEventListener("click", () => sync.syncSoon());
document.addEventListener("keydown", (event) => {
  if (event.key === "Escape" && !dialog.hidden) closeDialog();
});
window.addEventListener("hashchange", () => draw(true));
sync.subscribe((state, dataChanged) => {
  drawIndicator(state);
  if (current) {
    drawCheckIn();
    drawDeskNotice();
  }
  if (dataChanged && current && current.live) draw(false);
  if (!state.signedIn && current && current.live !== false) draw(false);
});

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" }).catch((error) => console.warn("Service worker:", error));
}

sync.start().then(() => draw(true));
positions.start().catch((error) => console.warn("Positions:", error));
// A check-in falls due without any sync: look every 15 s.
setInterval(() => {
  if (current) drawCheckIn();
}, 15 * 1000);
