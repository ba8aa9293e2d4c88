// The field pages' service worker (our own, precaching only): the shell, the manifest and the scripts,
// styles and icons it needs, cached at install under this version; answered from that cache first, so the
// field page opens without a signal after one online visit. Everything else (the API) goes to the network:
// the page keeps its own data and queue in IndexedDB and syncs itself (no Background Sync API).
const VERSION = {{ version | tojson }};
const CACHE = 'duban-field-' + VERSION;
const PRECACHE = {{ urls | tojson }};
const SHELL = PRECACHE[0];

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith('duban-field-') && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  // The shell is one page whatever its query (?plan=...): the plan is read from IndexedDB.
  const path = url.pathname === SHELL ? SHELL : url.pathname;
  if (!PRECACHE.includes(path)) return;
  event.respondWith(caches.open(CACHE).then((cache) => cache.match(path)).then((hit) => hit || fetch(request)));
});
