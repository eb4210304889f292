// The app's local store: a small promise wrapper over IndexedDB (no library). One object
// store per synced table (keyed by the record's UUID), plus the outbox of local changes not
// yet sent, the refused records, the call briefings, and `meta` (session, cursor, batch).

const DB_NAME = "umcr-field";
const DB_VERSION = 1;

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
];
const OTHER_STORES = ["outbox", "meta", "rejected", "briefings"];

let opening = null;

export function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, DB_VERSION);
      request.onupgradeneeded = () => {
        const db = request.result;
        for (const name of RECORD_TABLES) db.createObjectStore(name, { keyPath: "id" });
        db.createObjectStore("outbox", { keyPath: "seq", autoIncrement: true });
        db.createObjectStore("meta", { keyPath: "key" });
        db.createObjectStore("rejected", { keyPath: "key" });
        db.createObjectStore("briefings", { keyPath: "id" });
      };
      request.onsuccess = () => resolve(request.result);
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
