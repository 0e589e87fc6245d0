// Helpers for the page and the training worker alike: nothing here touches the DOM (a worker
// has none) or imports the wasm module (a view may load a smaller one). The backend policy is
// Rust's (Backend.open); this file only fetches and names errors.

export const messageOf = (e) => (e && e.message) || String(e);

// Where large downloads (the wasm module, weights) are kept between visits. The browser's HTTP
// cache refuses entries above a size limit (measured in headless Chromium: a 37 MB module was
// downloaded again on every visit while the small files were revalidated), so they live here.
const CACHE = 'webgan-v1';

// fetch() with progress and a cache that always asks the server: a stored copy is sent with its
// ETag (If-None-Match) or, from a host that sends none (e.g. `python3 -m http.server`), its
// Last-Modified date (If-Modified-Since); a 304 answer costs a few hundred bytes and the stored
// copy is used. Where the service worker (sw.js) controls the page it answers instead, from its
// own per-build cache, and marks what it serves (x-webgan-build): nothing is stored twice.
// onProgress(fraction, bytes): the fraction is NaN when the size is unknown (a compressed
// transfer's Content-Length counts compressed bytes). Returns a Response whose body streams, so
// WebAssembly can compile while downloading. Without the Cache API (pages served over plain
// http to another machine) this is a plain fetch with progress.
// Stores into the Cache API in flight and finished: a test waits on these, not on a clock.
export const cacheWrites = (globalThis.webganCacheWrites = { pending: 0, done: 0 });

export async function fetchCached(url, onProgress = () => {}) {
  const key = String(url);
  // Looked up without opening (which would create the store where the worker removed it).
  const stored = globalThis.caches
    ? await caches.match(key, { cacheName: CACHE }).catch(() => undefined)
    : undefined;
  const etag = stored && stored.headers.get('etag');
  const modified = stored && stored.headers.get('last-modified');
  // no-store: the HTTP cache neither answers nor keeps this request; the cache above does both.
  const response = await fetch(key, {
    cache: 'no-store',
    headers: etag ? { 'if-none-match': etag } : modified ? { 'if-modified-since': modified } : {},
  });
  if (response.status === 304 && stored) {
    await response.arrayBuffer(); // empty: finishes the request instead of abandoning it
    onProgress(1, 0);
    return stored;
  }
  if (!response.ok || !response.body) return response;
  const total = response.headers.get('content-encoding')
    ? 0
    : Number(response.headers.get('content-length')) || 0;
  let loaded = 0;
  const counter = new TransformStream({
    transform(chunk, controller) {
      loaded += chunk.byteLength;
      onProgress(total ? loaded / total : NaN, loaded);
      controller.enqueue(chunk);
    },
  });
  let body = response.body;
  const revalidates = response.headers.get('etag') || response.headers.get('last-modified');
  if (globalThis.caches && revalidates && !response.headers.get('x-webgan-build')) {
    const [toCache, toCaller] = body.tee();
    body = toCaller;
    // A failed store (quota, private mode) only means the next visit downloads again.
    cacheWrites.pending += 1;
    caches
      .open(CACHE)
      .then((cache) => cache.put(key, new Response(toCache, { headers: response.headers })))
      .then(() => (cacheWrites.done += 1))
      .catch(() => {})
      .finally(() => (cacheWrites.pending -= 1));
  }
  return new Response(body.pipeThrough(counter), {
    status: response.status,
    headers: response.headers,
  });
}
