// The sync engine: the phone's side of /api/v1/sync/pull/ and /sync/push/ (WatermelonDB's
// protocol), and the local writes that feed it.
//
// Rules it keeps (README, "Offline sync"):
// - pull from the stored cursor, again while `has_more`; the page and the cursor are stored
//   in one IndexedDB transaction, so a page is applied whole or not at all;
// - local changes wait in the outbox; a push sends them as one batch with a `batch_id`, and
//   the batch (id and body) is stored before it is sent, so a retry after a lost answer
//   sends the same id and body and the server answers it once;
// - `409 stale` on a push: pull, then push the same batch again;
// - `409 resync_required` on a pull: local changes were pushed first, then the local copies
//   are dropped (except what is unsent or refused) and everything is pulled from null;
// - refused records stay on the phone, marked with the server's reason, listed for the user;
// - police backup goes first, by its own endpoint, outside the batch, and so does a safety
//   check-in answered "need help" (POST /calls/{id}/check-ins/); other answers are pushed;
// - a local copy pulled with an older schema asks the missing tables by a migration pull.

import * as db from "./db.js";
import { HttpError, Offline, reasonOf, request } from "./api.js";

export const SCHEMA_VERSION = 4;
// A local copy with a cursor but no schema noted was pulled by the first app: schema 2.
const FIRST_APP_SCHEMA = 2;
const MAX_PAGES = 200;

// What a push sends of each table (the columns a phone writes; the rest is the server's).
const WIRE = {
  status_events: ["id", "call_id", "kind", "occurred_at"],
  notes: ["id", "call_id", "body", "written_at", "amends_id"],
  outcomes: ["id", "call_id", "disposition", "police_involved", "people_served", "summary", "occurred_at", "supersedes_id"],
  follow_ups: ["id", "person_id", "call_id", "kind", "not_before", "due_by", "purpose"],
  referrals: ["id", "person_id", "call_id", "service_id", "consent_given", "consent_method", "notes"],
  check_ins: ["id", "call_id", "answer", "check_again_minutes", "details", "occurred_at"],
  team_availability: ["id", "status", "reason", "changed_at"],
  position_pings: ["id", "latitude", "longitude", "accuracy", "taken_at"],
};
// Push-only records the phone need not keep once the server has them.
const DROP_WHEN_SENT = new Set(["position_pings"]);
// What a push sends of a change to a row the server has (the fields of its REST actions).
const WIRE_UPDATE = {
  follow_ups: ["id", "status", "not_before", "due_by", "outcome"],
};
// Tables whose rows change after creation: a local edit not yet sent wins over a pull.
const MUTABLE = new Set(["people", "follow_ups", "referrals"]);

export const state = {
  syncing: false,
  offline: !navigator.onLine,
  pending: 0,
  rejected: 0,
  lastSyncAt: null,
  error: null,
  signedIn: false,
  expired: false, // the token ended: sign in again as the same user; nothing local is lost
  newDeskNotes: [], // desk notes a sync brought since the clinician last looked: [{id, call_id}]
};

const listeners = new Set();
export function subscribe(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
function notify(dataChanged = false) {
  for (const listener of listeners) listener(state, dataChanged);
}

export function uuid() {
  if (crypto.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// --- session --------------------------------------------------------------------------------

export async function session() {
  return db.meta("session");
}

export async function signIn({ username, password, deviceName }) {
  const previous = await session();
  if (previous && previous.me && previous.me.username !== username) {
    throw new Error(`This phone holds ${previous.me.username}'s records: sign in as them, or sign out first.`);
  }
  const deviceId = await db.meta("device_id");
  const body = { username, password, device_name: deviceName, platform: "other", app_version: "field-web-1" };
  if (deviceId) body.device_id = deviceId;
  const answer = await request("POST", "auth/login/", { body });
  const me = await request("GET", "me/", { token: answer.token });
  await db.setMeta("session", { token: answer.token, expires_at: answer.expires_at, device: answer.device, me });
  if (answer.device && answer.device.id) await db.setMeta("device_id", answer.device.id);
  await db.setMeta("device_name", deviceName);
  state.signedIn = true;
  state.expired = false;
  state.error = null;
  await refreshCounts();
  notify(true);
  return syncNow();
}

export async function signOut() {
  const current = await session();
  if (current) {
    try {
      await request("POST", "auth/logout/", { token: current.token });
    } catch (_) {
      // Offline or already revoked: the local data goes anyway; a supervisor can revoke the device.
    }
  }
  await db.destroy();
  Object.assign(state, { signedIn: false, pending: 0, rejected: 0, lastSyncAt: null, error: null });
  notify(true);
}

// --- local writes ---------------------------------------------------------------------------

// A record written on the phone: stored at once (the screens show it), queued for the server.
// `urgent`: sent alone and first, like police backup (a "need help" check-in); `quiet`: waits
// for the next sync instead of starting one (a position ping).
export async function addRecord(table, record, { urgent = false, quiet = false } = {}) {
  await db.write([table, "outbox"], async (s) => {
    await s[table].put({ ...record, _pending: true });
    await s.outbox.add({ table, id: record.id, op: "created", at: Date.now(), urgent });
  });
  await refreshCounts();
  notify(!quiet);
  if (navigator.onLine && !quiet) syncSoon();
}

// A change to a record the server has (a follow-up completed or rescheduled): stored at once,
// queued as "updated"; the server refuses it as stale (409) if someone else changed it since.
export async function updateRecord(table, id, changes) {
  await db.write([table, "outbox"], async (s) => {
    const record = await s[table].get(id);
    if (!record) throw new Error("No such record on this phone.");
    await s[table].put({ ...record, ...changes, _pending: true });
    await s.outbox.add({ table, id, op: "updated", at: Date.now() });
  });
  await refreshCounts();
  notify(true);
  if (navigator.onLine) syncSoon();
}

export async function dismissRejected(key) {
  await db.remove("rejected", key);
  await refreshCounts();
  notify(true);
}

// --- the sync loop --------------------------------------------------------------------------

let running = null;
let again = false;

export function syncSoon() {
  syncNow().catch(() => {});
}

export function syncNow() {
  if (running) {
    again = true;
    return running;
  }
  running = (async () => {
    do {
      again = false;
      await syncOnce();
    } while (again);
  })().finally(() => {
    running = null;
  });
  return running;
}

async function syncOnce() {
  const current = await session();
  state.signedIn = Boolean(current);
  if (!current) return notify();
  state.syncing = true;
  notify();
  try {
    await sendBackups(current.token);
    await pushPending(current.token);
    await pushPending(current.token); // a change to a record the first batch created
    await pullAll(current.token);
    state.lastSyncAt = Date.now();
    await db.setMeta("last_sync_at", state.lastSyncAt);
    state.error = null;
    state.offline = false;
    await loadCheckInClocks(current.token);
    await loadBriefings(current.token);
  } catch (error) {
    if (error instanceof Offline) {
      state.offline = true;
      state.error = null;
    } else if (error instanceof HttpError && error.status === 401) {
      state.expired = true;
      state.error = "Your sign-in has ended: sign in again. Unsent changes stay on this phone.";
    } else {
      state.error = error instanceof HttpError ? reasonOf(error.body) : String(error.message || error);
    }
  } finally {
    state.syncing = false;
    await refreshCounts();
    notify(true);
  }
}

export async function refreshCounts() {
  const outbox = await db.all("outbox");
  state.pending = outbox.length;
  state.rejected = await db.count("rejected");
  state.newDeskNotes = (await db.meta("new_desk_notes")) || [];
  if (state.lastSyncAt === null) state.lastSyncAt = await db.meta("last_sync_at");
}

// The clinician opened the call: its desk notes are seen.
export async function seenDeskNotes(callId) {
  const unseen = (await db.meta("new_desk_notes")) || [];
  const left = unseen.filter((note) => note.call_id !== callId);
  if (left.length === unseen.length) return;
  await db.setMeta("new_desk_notes", left);
  state.newDeskNotes = left;
  notify(false);
}

// What goes alone and first, outside the batch: police backup, a "need help" check-in.
const isUrgent = (entry) => entry.table === "backup_requests" || Boolean(entry.urgent);

// Police backup: sent alone and first, by POST /calls/{id}/backup-requests/ (the server
// takes it at once and alerts the desk); a retry sends the same id, so it is stored once.
// A "need help" check-in goes the same way, by POST /calls/{id}/check-ins/ (the server writes
// the responder-safety backup request with it), in the order they were asked.
async function sendBackups(token) {
  const outbox = (await db.all("outbox")).filter(isUrgent);
  for (const entry of outbox) {
    const table = entry.table;
    const record = await db.get(table, entry.id);
    if (!record) {
      await db.remove("outbox", entry.seq);
      continue;
    }
    const occurred_at = new Date(record.occurred_at).toISOString();
    const [path, body] =
      table === "check_ins"
        ? [`calls/${record.call_id}/check-ins/`, { id: record.id, answer: record.answer, details: record.details || "", occurred_at }]
        : [`calls/${record.call_id}/backup-requests/`, { id: record.id, reason: record.reason, details: record.details || "", occurred_at }];
    try {
      const answer = await request("POST", path, { token, body });
      await db.write([table, "outbox", "check_in_clock"], async (s) => {
        await s[table].put({ ...record, _pending: false });
        await s.outbox.delete(entry.seq);
        if (table === "check_ins" && answer) await s.check_in_clock.put(clockOf(record.call_id, answer.next_due_at));
      });
    } catch (error) {
      if (error instanceof HttpError && error.status >= 400 && error.status < 500 && ![401, 429].includes(error.status)) {
        await refuse(table, record, reasonOf(error.body), entry.seq);
      } else {
        throw error;
      }
    }
  }
}

function clockOf(callId, nextDueAt) {
  return { id: callId, next_due_at: nextDueAt ? Date.parse(nextDueAt) : null, fetched_at: Date.now() };
}

// The server's word on when each on-scene call's next check-in is due (GET
// /calls/{id}/check-ins/, read while online after each sync); offline the phone counts itself.
export async function loadCheckInClocks(token) {
  const calls = await db.all("calls");
  for (const call of calls) {
    if (call.status !== "on_scene") continue;
    try {
      const answer = await request("GET", `calls/${call.id}/check-ins/`, { token });
      await db.put("check_in_clock", clockOf(call.id, answer.next_due_at));
    } catch (error) {
      if (error instanceof Offline) return;
    }
  }
}

// Police backup does not wait for a sync in progress (a long first pull, say): it goes now.
export async function sendBackupsNow() {
  const current = await session();
  if (!current) return;
  try {
    await sendBackups(current.token);
  } catch (_) {
    // No signal: it stays first in line for the next sync.
  }
  await refreshCounts();
  notify(true);
}

async function refuse(table, record, reason, seq) {
  await db.write([table, "outbox", "rejected"], async (s) => {
    await s[table].put({ ...record, _pending: false, _rejected: reason });
    await s.rejected.put({ key: `${table}:${record.id}`, table, id: record.id, call_id: record.call_id || null, reason, record: strip(record), at: Date.now() });
    if (seq !== undefined) await s.outbox.delete(seq);
  });
}

function strip(record) {
  const copy = {};
  for (const [key, value] of Object.entries(record)) if (!key.startsWith("_")) copy[key] = value;
  return copy;
}

function wire(table, record, op = "created") {
  const columns = (op === "updated" && WIRE_UPDATE[table]) || WIRE[table];
  if (!columns) return strip(record);
  const out = {};
  for (const column of columns) if (record[column] !== undefined) out[column] = record[column];
  return out;
}

async function buildBatch() {
  const entries = (await db.all("outbox")).filter((entry) => !isUrgent(entry));
  if (!entries.length) return null;
  const changes = {};
  const seqs = [];
  for (const entry of entries) {
    const record = await db.get(entry.table, entry.id);
    const ops = record ? (changes[entry.table] ||= { created: [], updated: [], deleted: [] }) : null;
    // A record created here and changed before it was sent goes as created first: the
    // change follows in the next batch (its outbox entry stays until then).
    if (record && entry.op === "updated" && ops.created.some((r) => r.id === record.id)) continue;
    seqs.push(entry.seq);
    if (!record) continue;
    const list = ops[entry.op] || ops.created;
    if (!list.some((r) => r.id === record.id)) list.push(wire(entry.table, record, entry.op));
  }
  const batch = { id: uuid(), changes, seqs };
  await db.setMeta("batch", batch);
  return batch;
}

async function pushPending(token) {
  // A batch stored and not answered is sent again as it is: same id, same body.
  let batch = (await db.meta("batch")) || (await buildBatch());
  if (!batch) return;
  for (let attempt = 0; attempt < 4; attempt++) {
    const cursor = await db.meta("cursor");
    const query = `last_pulled_at=${cursor ?? "null"}&schema_version=${SCHEMA_VERSION}&batch_id=${batch.id}`;
    let answer;
    try {
      answer = await request("POST", `sync/push/?${query}`, { token, body: { changes: batch.changes } });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409 && error.body.code === "stale") {
        await pullAll(token); // the server's newer versions first, then the same batch again
        continue;
      }
      if (error instanceof HttpError && error.status === 400 && error.body.batch_id) {
        batch = { ...batch, id: uuid() };
        await db.setMeta("batch", batch);
        continue;
      }
      throw error;
    }
    await settle(batch, answer);
    return;
  }
  throw new Error("The server kept refusing the push as stale; trying again at the next sync.");
}

async function settle(batch, answer) {
  const rejectedIds = answer.experimentalRejectedIds || {};
  const reasons = answer.rejected || {};
  const tables = Object.keys(batch.changes);
  await db.write([...tables, "outbox", "rejected", "meta"], async (s) => {
    for (const table of tables) {
      const refused = new Set(rejectedIds[table] || []);
      for (const op of ["created", "updated"]) {
        for (const sent of batch.changes[table][op] || []) {
          const local = (await s[table].get(sent.id)) || sent;
          if (refused.has(sent.id)) {
            const reason = reasonOf((reasons[table] || {})[sent.id] || { detail: "Refused by the server." });
            await s[table].put({ ...local, _pending: false, _rejected: reason });
            await s.rejected.put({ key: `${table}:${sent.id}`, table, id: sent.id, call_id: sent.call_id || null, reason, record: sent, at: Date.now() });
          } else if (DROP_WHEN_SENT.has(table)) {
            await s[table].delete(sent.id);
          } else {
            await s[table].put({ ...local, _pending: false });
          }
        }
      }
    }
    for (const seq of batch.seqs) await s.outbox.delete(seq);
    await s.meta.delete("batch");
  });
}

// A local copy pulled with an older schema (the app before an update) pulls once with
// WatermelonDB's migration: the server sends every row of the tables new since then.
async function migrationParam(cursor) {
  if (cursor === null || cursor === undefined) return "";
  const from = (await db.meta("schema_version")) ?? FIRST_APP_SCHEMA;
  if (from >= SCHEMA_VERSION) return "";
  const migration = { from, tables: [], columns: [] };
  return `&migration=${encodeURIComponent(JSON.stringify(migration))}`;
}

async function pullAll(token) {
  // A first sync, a resync or a migration brings history: its desk notes raise no notice.
  let quiet = (await db.meta("cursor")) === null;
  for (let page = 0; page < MAX_PAGES; page++) {
    const cursor = await db.meta("cursor");
    let answer;
    try {
      const migration = await migrationParam(cursor);
      if (migration) quiet = true;
      answer = await request("GET", `sync/pull/?last_pulled_at=${cursor ?? "null"}&schema_version=${SCHEMA_VERSION}${migration}`, { token });
    } catch (error) {
      if (error instanceof HttpError && error.status === 409 && error.body.code === "resync_required") {
        await resetLocal(); // pending changes went out before this pull (syncOnce pushes first)
        quiet = true;
        continue;
      }
      throw error;
    }
    await apply(answer.changes || {}, answer.timestamp, quiet);
    if (!answer.has_more) return;
  }
}

async function apply(changes, timestamp, quiet = false) {
  const outbox = await db.all("outbox");
  const unsent = new Set(outbox.map((entry) => `${entry.table}:${entry.id}`));
  const tables = Object.keys(changes).filter((table) => db.RECORD_TABLES.includes(table));
  await db.write([...new Set([...tables, "desk_notes"]), "meta"], async (s) => {
    const fresh = [];
    for (const table of tables) {
      const ops = changes[table];
      for (const record of [...(ops.created || []), ...(ops.updated || [])]) {
        if (MUTABLE.has(table) && unsent.has(`${table}:${record.id}`)) continue; // our edit goes first
        // A desk note new to this phone (not history: a first sync, a resync, a migration).
        if (table === "desk_notes" && !quiet && !(await s.desk_notes.get(record.id))) fresh.push({ id: record.id, call_id: record.call_id });
        await s[table].put(record);
      }
      for (const id of ops.deleted || []) {
        const local = await s[table].get(id);
        if (local && (local._pending || local._rejected)) continue; // never drop unsent or refused work
        await s[table].delete(id);
      }
    }
    await s.meta.put({ key: "cursor", value: timestamp });
    await s.meta.put({ key: "schema_version", value: SCHEMA_VERSION });
    if (fresh.length) {
      const unseen = (await s.meta.get("new_desk_notes")) || { key: "new_desk_notes", value: [] };
      await s.meta.put({ key: "new_desk_notes", value: [...unseen.value, ...fresh] });
    }
  });
}

async function resetLocal() {
  await db.write([...db.RECORD_TABLES, "briefings", "check_in_clock", "meta"], async (s) => {
    for (const table of db.RECORD_TABLES) {
      for (const record of await s[table].all()) {
        if (!record._pending && !record._rejected) await s[table].delete(record.id);
      }
    }
    await s.briefings.clear();
    await s.check_in_clock.clear();
    await s.meta.delete("cursor");
  });
}

// The briefing the pull does not carry (prior contacts at the address or with the person):
// read from GET /calls/{id}/ once per open call while online, kept for the dead zone.
const BRIEFING_MAX_AGE = 15 * 60 * 1000;
export async function loadBriefings(token, only = null) {
  const calls = await db.all("calls");
  for (const call of calls) {
    if (only ? call.id !== only : ["cleared", "cancelled"].includes(call.status)) continue;
    const known = await db.get("briefings", call.id);
    if (known && !only && Date.now() - known.fetched_at < BRIEFING_MAX_AGE) continue;
    try {
      const detail = await request("GET", `calls/${call.id}/`, { token });
      await db.put("briefings", { id: call.id, prior_contacts: detail.prior_contacts || [], team: detail.team || null, fetched_at: Date.now() });
    } catch (error) {
      if (error instanceof Offline) return;
    }
  }
}

export async function start() {
  state.signedIn = Boolean(await session());
  await refreshCounts();
  window.addEventListener("online", () => {
    state.offline = false;
    notify();
    syncSoon();
  });
  window.addEventListener("offline", () => {
    state.offline = true;
    notify();
  });
  setInterval(() => {
    if (navigator.onLine) syncSoon();
  }, 60 * 1000);
  notify(true);
  if (state.signedIn) syncSoon();
}
