// Position pings: while a clinician is signed in and the team is on shift (the shift the
// server named at sign-in; with none named, while signed in), the phone's position is watched
// and at most one ping per 30 s is queued as a local `position_pings` record, pushed with the
// next sync (offline they wait). Location refused: said once on the home screen, and the app
// carries on without it.

import * as db from "./db.js";
import * as sync from "./sync.js";

export const PING_EVERY_MS = 30 * 1000;

export const state = { message: "", refused: false };

let watchId = null;
let lastPingAt = 0;

async function onShift() {
  const session = await sync.session();
  if (!session) return false;
  const shift = session.me && session.me.current_shift;
  if (!shift) return true; // the app does not know the shift: while signed in
  const now = Date.now();
  return Date.parse(shift.starts_at) <= now && (!shift.ends_at || now < Date.parse(shift.ends_at));
}

async function ping(position) {
  const now = Date.now();
  if (now - lastPingAt < PING_EVERY_MS) return;
  lastPingAt = now;
  if (!(await onShift())) return stop();
  const { latitude, longitude, accuracy } = position.coords;
  await sync.addRecord(
    "position_pings",
    {
      id: sync.uuid(),
      latitude: Math.round(latitude * 1e6) / 1e6,
      longitude: Math.round(longitude * 1e6) / 1e6,
      accuracy: Math.min(100000, Math.round(accuracy || 0)),
      taken_at: Math.min(now, position.timestamp || now),
    },
    { quiet: true }
  );
}

function refused(error) {
  if (error.code !== 1) return; // no fix yet, or a timeout: the watch keeps trying
  stop();
  if (state.refused) return;
  state.refused = true;
  state.message = "Location is off for this app: the desk will not see where your team is. You can allow it in the browser's settings.";
  db.setMeta("location_refused", true).catch(() => {});
}

function stop() {
  if (watchId !== null) navigator.geolocation.clearWatch(watchId);
  watchId = null;
}

async function check() {
  if (!("geolocation" in navigator)) return;
  if (!sync.state.signedIn || !(await onShift())) return stop();
  if (watchId !== null || state.refused) return;
  state.message = "Your team's position goes to the desk every 30 s while you are on shift.";
  watchId = navigator.geolocation.watchPosition((position) => ping(position).catch(() => {}), refused, { enableHighAccuracy: true, maximumAge: PING_EVERY_MS });
}

export async function start() {
  state.refused = Boolean(await db.meta("location_refused"));
  if (state.refused) state.message = "Location is off for this app: the desk will not see where your team is.";
  sync.subscribe((current) => {
    if (!current.signedIn) {
      stop();
      state.refused = false;
      state.message = "";
      return;
    }
    check().catch(() => {});
  });
  setInterval(() => check().catch(() => {}), 60 * 1000);
  await check();
}
