// The service worker: lessons keep working without a connection. The server
// (internal/web/offline.go) replaces the BUILD object with the release's
// version, a hash of the whole frontend, and the files of the learner's
// pages. It is registered only for learners signed in on their own device
// (frontend/js/offline.js); shared computers and public terminals never run it.
const BUILD = /*BUILD*/{ "version": "dev", "shell": [] }/*END*/;

// The shell (pages, styles, scripts, catalogs, icons) belongs to one
// release; the data (lesson and course answers, course images) outlives
// releases so a lesson saved for offline stays saved across an upgrade. Its
// number changes only if the shape of what is stored does.
const SHELL = 'xuetang-shell-' + BUILD.version;
const DATA = 'xuetang-data-1';

// Pages kept for offline, by the URL that stands for every page of that
// kind: a lesson page is the same HTML for every lesson.
const PAGES = [
  [/^\/$/, '/'],
  [/^\/courses$/, '/courses'],
  [/^\/courses\/[^/]+$/, '/courses/_'],
  [/^\/lessons\/\d+$/, '/lessons/_'],
  [/^\/me$/, '/me'],
  [/^\/login$/, '/login'],
];

// The API answers a learner reads offline; everything else goes to the
// network only.
const API = [
  /^\/api\/v1\/me$/,
  /^\/api\/v1\/me\/courses$/,
  /^\/api\/v1\/site$/,
  /^\/api\/v1\/courses$/,
  /^\/api\/v1\/courses\/[^/]+$/,
  /^\/api\/v1\/lessons\/\d+$/,
];

const STATIC = ['/css/', '/js/', '/i18n/', '/img/'];

function pageKey(path) {
  for (const [re, key] of PAGES) if (re.test(path)) return key;
  return null;
}

// Requests the page would make itself are made here with cache: 'reload',
// so a stale copy in the HTTP cache never lands in a new release's cache.
async function keep(cache, url, key = url) {
  try {
    const res = await fetch(url, { cache: 'reload', credentials: 'same-origin' });
    if (res.ok && !res.redirected) await cache.put(key, res);
  } catch (_) { /* offline during install: runtime caching fills the gap */ }
}

self.addEventListener('install', (ev) => {
  ev.waitUntil((async () => {
    const cache = await caches.open(SHELL);
    // A page stands for its kind; /lessons/0 and /courses/_ answer the
    // same static HTML as any lesson or course.
    const pages = [['/', '/'], ['/courses', '/courses'], ['/courses/_', '/courses/_'], ['/lessons/0', '/lessons/_'], ['/me', '/me'], ['/login', '/login']];
    await Promise.all([
      ...pages.map(([url, key]) => keep(cache, url, key)),
      ...BUILD.shell.map((url) => keep(cache, url)),
    ]);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('xuetang-') && name !== SHELL && name !== DATA) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET') return;
  const url = new URL(req.url);
  if (url.origin !== self.location.origin || url.pathname === '/sw.js') return;
  const path = url.pathname;
  if (req.mode === 'navigate') {
    const key = pageKey(path);
    if (key) ev.respondWith(networkFirst(req, SHELL, key));
    return;
  }
  if (path.startsWith('/api/')) {
    if (API.some((re) => re.test(path))) ev.respondWith(networkFirst(req, DATA, path));
    return;
  }
  if (path.startsWith('/media/courses/')) {
    ev.respondWith(cacheFirst(req, DATA));
    return;
  }
  if (path === '/manifest.webmanifest' || STATIC.some((p) => path.startsWith(p))) ev.respondWith(cacheFirst(req, SHELL));
});

// networkFirst answers from the network and keeps a copy; without a network
// it answers the copy, marked so the page can tell. API answers are keyed
// by path alone: ?lang= and the like do not change what a lesson says.
async function networkFirst(req, cacheName, key) {
  const cache = await caches.open(cacheName);
  try {
    const res = await fetch(req);
    // A redirect (to sign in, say) is not what this URL holds.
    if (res.ok && !res.redirected) await cache.put(key, res.clone());
    return res;
  } catch (err) {
    const hit = await cache.match(key);
    if (!hit) throw err;
    const headers = new Headers(hit.headers);
    headers.set('X-Xuetang-Offline', '1');
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers });
  }
}

// cacheFirst suits files that never change under their URL within one
// release (static files) or at all (a course version's images).
async function cacheFirst(req, cacheName) {
  const cache = await caches.open(cacheName);
  const hit = await cache.match(req, { ignoreVary: true });
  if (hit) return hit;
  const res = await fetch(req);
  if (res.ok) await cache.put(req, res.clone());
  return res;
}
