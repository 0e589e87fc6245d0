// The page's service worker: it keeps one build of the page in the Cache API, so that the page
// opens and generates offline after one visit, and a second visit downloads only this file.
//  - One cache per build ('webgan-build-' + the build id). scripts/stamp-sw.mjs (run by
//    scripts/build-web.sh) writes STAMP below: the build id (a hash of every file of dist/ and
//    of this file), each file's SHA-256, and the files kept on install: the page (HTML, JS, CSS,
//    manifest, icons), the generation module and the digits weights. The rest (the full and
//    threaded modules, faces, classifiers, the Train view's digits) is kept when first used.
//  - A new build changes this file's bytes, so the browser installs the new worker beside the
//    old one; it waits until the page offers "Reload" (or no tab uses the old build), then
//    deletes every other build's cache. A page runs one build's files from start to end.
//  - Every file is checked against its hash before it is kept or served: a file the server
//    already holds in a newer build is never mixed into an older page (the worker answers with
//    an error, tells the page a new version is deployed, and looks for the new worker). The
//    same check lets install reuse any copy the browser already holds (the page's own store in
//    common.js, an older build's cache, the HTTP cache): an update downloads changed files only.
//  - Files outside the stamp (another path, a query string) go to the network as without a
//    worker. Responses keep the server's headers (COOP/COEP: the threaded build needs them).
// Unstamped (www/ served as it is, e.g. by trunk), the worker does nothing.
const STAMP = null;

const PREFIX = 'webgan-build-';
const CACHE = STAMP && PREFIX + STAMP.build;
const SCOPE = new URL('./', self.location.href);

// The stamped path a request URL names ('' is the page), or null.
function pathOf(url) {
  const u = new URL(url);
  if (u.origin !== SCOPE.origin || u.search || !u.pathname.startsWith(SCOPE.pathname)) return null;
  let path;
  try {
    path = decodeURIComponent(u.pathname.slice(SCOPE.pathname.length)) || 'index.html';
  } catch {
    return null;
  }
  return Object.hasOwn(STAMP.files, path) ? path : null;
}

const urlOf = (path) => new URL(path, SCOPE).href;

async function sha256(buffer) {
  const bytes = new Uint8Array(await crypto.subtle.digest('SHA-256', buffer));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, '-')
    .replace(/\//g, '_')
    .replace(/=+$/, '');
}

// A response to keep: the server's headers, less those that described the transfer (the body
// here is decoded, whole and checked), plus the build that kept it (common.js's fetchCached
// sees it and leaves storing to this worker).
function kept(response, body) {
  const headers = new Headers(response.headers);
  for (const name of ['content-encoding', 'content-length', 'vary']) headers.delete(name);
  headers.set('content-length', String(body.byteLength));
  headers.set('x-webgan-build', STAMP.build);
  return new Response(body, { status: 200, statusText: 'OK', headers });
}

// `response` as this build's `path`, or null when it is not (missing, or other bytes).
async function checked(response, path) {
  if (!response || !response.ok) return null;
  const body = await response.arrayBuffer();
  return (await sha256(body)) === STAMP.files[path] ? kept(response, body) : null;
}

class Stale extends Error {}

// This build's `path`: from any copy the browser holds whose bytes are right, else the network.
async function fetchChecked(path) {
  const url = urlOf(path);
  const local =
    (await checked(await caches.match(url, { ignoreVary: true }).catch(() => null), path)) ||
    (await checked(await fetch(url, { cache: 'force-cache' }).catch(() => null), path));
  if (local) return local;
  const response = await fetch(url, { cache: 'no-store' });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status}`);
  const fresh = await checked(response, path);
  if (!fresh) throw new Stale(`${path} on the server belongs to another build`);
  return fresh;
}

// The page's tabs hear that the server holds a newer build (the page offers to reload).
async function staleBuild() {
  await self.registration.update().catch(() => {});
  for (const client of await self.clients.matchAll({ type: 'window' }))
    client.postMessage({ type: 'webgan-stale' });
}

// A file first used after install, from the network: streamed to the page (WebAssembly compiles
// while it downloads) but its last chunk held back until the whole file matches its hash, so a
// file of another build never arrives whole. Kept once checked.
async function streamChecked(path, event) {
  const response = await fetch(urlOf(path), { cache: 'no-store' });
  if (!response.ok || !response.body) return response;
  const chunks = [];
  let held = null;
  let settle;
  event.waitUntil(new Promise((resolve) => (settle = resolve)));
  const check = new TransformStream({
    transform(chunk, controller) {
      chunks.push(chunk);
      if (held) controller.enqueue(held);
      held = chunk;
    },
    async flush(controller) {
      try {
        const body = await new Blob(chunks).arrayBuffer();
        if ((await sha256(body)) !== STAMP.files[path]) {
          controller.error(new TypeError(`${path} on the server belongs to another build`));
          await staleBuild();
          return;
        }
        if (held) controller.enqueue(held);
        const cache = await caches.open(CACHE);
        await cache.put(urlOf(path), kept(response, body)).catch(() => {});
      } finally {
        settle();
      }
    },
  });
  const headers = new Headers(response.headers);
  for (const name of ['content-encoding', 'content-length', 'vary']) headers.delete(name);
  headers.set('x-webgan-build', STAMP.build);
  return new Response(response.body.pipeThrough(check), {
    status: response.status,
    statusText: response.statusText,
    headers,
  });
}

async function answer(path, event) {
  const cache = await caches.open(CACHE);
  const stored = await cache.match(urlOf(path), { ignoreVary: true });
  if (stored) return stored;
  // Another build's cache may hold the same bytes (an update that left this file alone).
  const other = await checked(
    await caches.match(urlOf(path), { ignoreVary: true }).catch(() => null),
    path,
  );
  if (other) {
    event.waitUntil(cache.put(urlOf(path), other.clone()).catch(() => {}));
    return other;
  }
  return streamChecked(path, event);
}

if (STAMP) {
  self.addEventListener('install', (event) => {
    event.waitUntil(
      (async () => {
        const cache = await caches.open(CACHE);
        await Promise.all(
          STAMP.precache.map(async (path) => {
            if (await cache.match(urlOf(path))) return;
            await cache.put(urlOf(path), await fetchChecked(path));
          }),
        );
      })().catch(async (e) => {
        // A deploy in progress (files of two builds on the server): try again on a later visit.
        if (e instanceof Stale) await caches.delete(CACHE);
        throw e;
      }),
    );
  });

  // Only this build's cache stays: older builds', and the page's own store, which this worker
  // replaces while it controls the page.
  self.addEventListener('activate', (event) => {
    event.waitUntil(
      (async () => {
        for (const name of await caches.keys())
          if (name.startsWith('webgan-') && name !== CACHE) await caches.delete(name);
        await self.clients.claim();
      })(),
    );
  });

  self.addEventListener('fetch', (event) => {
    if (event.request.method !== 'GET') return;
    const path = pathOf(event.request.url);
    if (path === null) return;
    event.respondWith(answer(path, event));
  });
}

// The page asks which build this worker holds, and tells a waiting worker to take over.
self.addEventListener('message', (event) => {
  const { type } = event.data || {};
  if (type === 'webgan-build' && event.ports[0])
    event.ports[0].postMessage({ build: STAMP && STAMP.build });
  if (type === 'webgan-activate') self.skipWaiting();
});
