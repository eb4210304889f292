// The app's local store: a small promise wrapper over IndexedDB (no library). One object
// store per synced table (keyed by the record's UUID), plus the outbox of local changes not
// yet sent, the refused records, the call briefings, the server's check-in clock per call,
// and `meta` (session, cursor, batch, the schema the local copy was pulled with).

const DB_NAME = "umcr-field";
// 1: the first stores; 2: sync schema 4's tables (desk notes, check-ins, safety alerts,
// transports) and the check-in clock; 3: the push-only team_availability and position_pings.
// An upgrade only adds stores: what is kept stays.
const DB_VERSION = 3;

export const RECORD_TABLES = [
  "calls",
  "status_events",
  "notes",
  "outcomes",
  "backup_requests",
  "people",
  "follow_ups",
  "referrals",
  "services",
  "desk_notes",
  "check_ins",
  "safety_alerts",
  "transports",
  "destination_refusals",
  // Push-only (the server sends none back): the availability switch's word, position pings.
  "team_availability",
  "position_pings",
];

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        // From nothing (version 0) or an older version: create the stores it lacks.
        const db = request.result;
        const create = (name, options) => {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, options);
        };
        for (const name of RECORD_TABLES) create(name, { keyPath: "id" });
        create("outbox", { keyPath: "seq", autoIncrement: true });
        create("meta", { keyPath: "key" });
        create("rejected", { keyPath: "key" });
        create("briefings", { keyPath: "id" });
        create("check_in_clock", { keyPath: "id" });
      };
      request.onsuccess = () => {
        const db = request.result;
        // A newer app (another tab, after an update) upgrading the database: let it, and
        // open it again at the next use.
        db.onversionchange = () => {
          db.close();
          opening = null;
        };
        resolve(db);
      };
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("The local database is open in another tab."));
    });
  }
  return opening;
}

function settled(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

function wrap(store) {
  return {
    get: (key) => settled(store.get(key)),
    all: () => settled(store.getAll()),
    count: () => settled(store.count()),
    put: (value) => settled(store.put(value)),
    add: (value) => settled(store.add(value)),
    delete: (key) => settled(store.delete(key)),
    clear: () => settled(store.clear()),
  };
}

// Runs `work(stores)` in one transaction over `names` and resolves once it has committed.
// Inside `work`, await only these stores' calls: awaiting anything else (a fetch) would let
// IndexedDB commit the transaction early.
export async function transaction(names, mode, work) {
  const db = await open();
  const tx = db.transaction(names, mode);
  const committed = new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("Transaction aborted"));
  });
  const stores = {};
  for (const name of names) stores[name] = wrap(tx.objectStore(name));
  let result;
  try {
    result = await work(stores);
  } catch (error) {
    try {
      tx.abort();
    } catch (_) {
      // already finished
    }
    throw error;
  }
  await committed;
  return result;
}

export const write = (names, work) => transaction(names, "readwrite", work);

export function get(name, key) {
  return transaction([name], "readonly", (s) => s[name].get(key));
}

export function all(name) {
  return transaction([name], "readonly", (s) => s[name].all());
}

export function count(name) {
  return transaction([name], "readonly", (s) => s[name].count());
}

export function put(name, value) {
  return write([name], (s) => s[name].put(value));
}

export function remove(name, key) {
  return write([name], (s) => s[name].delete(key));
}

export async function meta(key) {
  const row = await get("meta", key);
  return row ? row.value : null;
}

export function setMeta(key, value) {
  return put("meta", { key, value });
}

// Sign-out: the whole database goes (the next person on this phone sees nothing of it).
export async function destroy() {
  const db = await open();
  db.close();
  opening = null;
  await settled(indexedDB.deleteDatabase(DB_NAME));
}
