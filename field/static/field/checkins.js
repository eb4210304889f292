// On-scene safety check-ins on the phone: when the next "All OK?" is due, counted as the
// server counts it (calls/checkins.py: on scene + the interval, then the latest answer + the
// interval or a longer visit's minutes, an answer counting from when it was given but never
// from later than the server received it, or the acknowledgement of a safety alert still open
// then + the interval),
// from the records the phone holds, so it asks with no signal too. Online, the server's
// next_due_at (read after each sync) wins until a newer answer is given on the phone.

import * as db from "./db.js";
import * as sync from "./sync.js";
import { statusOf } from "./screens.js";

export const LONGER_VISIT_MINUTES = [15, 30, 45, 60, 90, 120];
export const ANSWERS = { ok: "All OK", longer_visit: "Longer visit", need_help: "Need help" };

// CHECKIN_INTERVAL_MINUTES, written into the page by the server (kept by the service worker).
export function intervalMinutes() {
  const value = Number(document.body.dataset.checkinInterval);
  return Number.isFinite(value) && value > 0 ? value : 20;
}

const MINUTE = 60 * 1000;

// When arrived on scene: the server's time, or the team's own event not yet synced.
function onSceneAt(call, events) {
  if (call.on_scene_at) return call.on_scene_at;
  const arrived = events.filter((e) => e.call_id === call.id && e.kind === "on_scene" && !e._rejected).map((e) => e.occurred_at);
  return arrived.length ? Math.min(...arrived) : null;
}

// The due time (epoch ms) of the call's next check-in, or null when its team is not on scene.
export function dueAt({ call, status, events, checkIns, alerts, clock }) {
  if (status !== "on_scene") return null;
  let base = onSceneAt(call, events);
  if (base === null) return null;
  let wait = intervalMinutes() * MINUTE;
  // By the phone's clock, never later than the server received it (a fast clock).
  const answeredAt = (c) => (c.recorded_at ? Math.min(c.occurred_at, c.recorded_at) : c.occurred_at);
  const answers = checkIns.filter((c) => c.call_id === call.id && !c._rejected).sort((a, b) => answeredAt(b) - answeredAt(a));
  const latest = answers[0];
  if (latest && answeredAt(latest) >= base) {
    base = answeredAt(latest);
    wait = latest.answer === "longer_visit" && latest.check_again_minutes ? latest.check_again_minutes * MINUTE : intervalMinutes() * MINUTE;
  }
  // Only an alert acknowledged while still open: one the team had answered moves nothing.
  const acknowledged = alerts
    .filter((a) => a.call_id === call.id && a.acknowledged_at && (!a.closed_at || a.acknowledged_at < a.closed_at))
    .map((a) => a.acknowledged_at);
  if (acknowledged.length && Math.max(...acknowledged) > base) {
    base = Math.max(...acknowledged);
    wait = intervalMinutes() * MINUTE;
  }
  const local = base + wait;
  // The server's clock, unless an answer was given on the phone after it was read.
  if (clock && clock.next_due_at && !(latest && latest.occurred_at > clock.fetched_at)) return clock.next_due_at;
  return local;
}

// Every open call of the team on scene with its due time: [{call, due, isDue}].
export async function onScene() {
  const [calls, events, checkIns, alerts, clocks, session] = await Promise.all([
    db.all("calls"),
    db.all("status_events"),
    db.all("check_ins"),
    db.all("safety_alerts"),
    db.all("check_in_clock"),
    sync.session(),
  ]);
  const team = session && session.me && session.me.team ? session.me.team.id : null;
  const clockOf = Object.fromEntries(clocks.map((c) => [c.id, c]));
  const now = Date.now();
  const rows = [];
  for (const call of calls) {
    if (team && call.team_id && String(call.team_id) !== String(team)) continue;
    const status = statusOf(call, events);
    const due = dueAt({ call, status, events, checkIns, alerts, clock: clockOf[call.id] });
    if (due !== null) rows.push({ call, due, isDue: now >= due });
  }
  return rows;
}

// The team's answer, written on the phone: "ok" and "longer_visit" go with the next push;
// "need_help" is sent at once, alone and first (a police backup for responder safety).
export async function answer(callId, answer, { minutes = null, details = "" } = {}) {
  const record = {
    id: sync.uuid(),
    call_id: callId,
    answer,
    check_again_minutes: answer === "longer_visit" ? minutes : null,
    details: answer === "need_help" ? details : "",
    occurred_at: Date.now(),
  };
  await sync.addRecord("check_ins", record, { urgent: answer === "need_help" });
  if (answer === "need_help") sync.sendBackupsNow();
}
