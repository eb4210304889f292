// The field app's service worker: caches the app shell at install and serves it from the
// cache first, so /app/ opens with no signal. The API is never cached here: the app keeps
// its records in IndexedDB and syncs them itself. Version {{ version }}.
const VERSION = "{{ version }}";
const CACHE = "umcr-field-" + VERSION;
const SHELL = {{ shell|safe }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(SHELL.map((url) => new Request(url, { cache: "reload" }))))
      .then(() => self.skipWaiting())
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys.filter((key) => key.startsWith("umcr-field-") && key !== CACHE).map((key) => caches.delete(key))
        )
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith("/api/")) return;
  if (request.mode === "navigate" && url.pathname.startsWith("/app/")) {
    // One page (the screens are routes after #): the cached page answers every navigation.
    event.respondWith(caches.match("/app/").then((cached) => cached || fetch(request)));
    return;
  }
  event.respondWith(caches.match(request).then((cached) => cached || fetch(request)));
});
