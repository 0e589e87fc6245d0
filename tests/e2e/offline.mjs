// The page offline and on second visits (the service worker, www/sw.js), in Debian's headless
// Chromium driven by playwright-core. Run after scripts/build-web.sh: `node tests/e2e/offline.mjs`.
//  - after one visit, with the network cut, a reload generates digits (cross-origin isolation
//    kept); the full module and faces are kept when first used;
//  - after a rebuild (a temporary copy of dist/ with a file changed and sw.js stamped again), the
//    open page keeps its build, offers Reload, and the reload runs the new files only;
//  - a second visit transfers under 50 kB from scripts/serve.mjs (ETag) and from
//    `python3 -m http.server` (Last-Modified only), counted by a proxy in front of each server.
// Profiles live on disk, as a person's browser's do (an incognito context keeps Cache Storage
// in memory).
import { chromium } from 'playwright-core';
import { execFileSync, spawn } from 'node:child_process';
import { appendFileSync, cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import {
  BASE_ARGS,
  check,
  echoErrors,
  finish,
  PAGE_TIMEOUT,
  waitForGenerations,
} from './harness.mjs';

const SECOND_VISIT_MAX_BYTES = 50_000;
const PAGE = 'index.html#model=digits&seed=3';

// The worker's stamp (scripts/stamp-sw.mjs) in a built folder.
function stampOf(dir) {
  const line = readFileSync(join(dir, 'sw.js'), 'utf8').match(/^const STAMP = (.*);$/m);
  assert.ok(line, `${dir}/sw.js is not stamped`);
  return JSON.parse(line[1]);
}

// A copy of dist/ to serve and rebuild, removed at exit.
const site = mkdtempSync(join(tmpdir(), 'webgan-site-'));
const profiles = [];
process.on('exit', () => {
  for (const dir of [site, ...profiles]) rmSync(dir, { recursive: true, force: true });
});
cpSync('dist', site, { recursive: true });

async function openContext() {
  const profile = mkdtempSync(join(tmpdir(), 'webgan-profile-'));
  profiles.push(profile);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: BASE_ARGS,
  });
  context.setDefaultTimeout(PAGE_TIMEOUT);
  return context;
}

async function newTab(context) {
  const page = await context.newPage();
  echoErrors(page);
  return page;
}

const offlineState = (page) => page.evaluate(() => document.body.dataset.offline);
const waitOffline = (page, ...states) =>
  page.waitForFunction((s) => s.includes(document.body.dataset.offline), states);

// Pixel statistics of the grid: a blank or constant canvas fails.
async function gridStats(page) {
  return page.evaluate(() => {
    const c = document.getElementById('samples');
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    for (let i = 0; i < d.length; i += 4) {
      sum += d[i];
      sq += d[i] * d[i];
    }
    const n = d.length / 4;
    const mean = sum / n;
    return { std: Math.sqrt(sq / n - mean * mean), width: c.width, height: c.height };
  });
}

const cached = (page) =>
  page.evaluate(async () => {
    const out = {};
    for (const name of await caches.keys()) {
      const cache = await caches.open(name);
      out[name] = (await cache.keys()).map((r) => r.url.replace(location.origin + '/', ''));
    }
    return out;
  });

// A TCP proxy in front of `target` that counts the bytes the server sends: what a visit costs,
// whatever the browser's own accounting of worker and page requests.
async function countingProxy(target) {
  const upstream = new URL(target);
  let sent = 0;
  const sockets = new Set();
  const server = createServer((client) => {
    const remote = connect(Number(upstream.port), upstream.hostname);
    sockets.add(client).add(remote);
    remote.on('data', (chunk) => (sent += chunk.length));
    client.pipe(remote).pipe(client);
    const end = () => {
      client.destroy();
      remote.destroy();
    };
    client.on('error', end).on('close', end);
    remote.on('error', end).on('close', end);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    url: `http://127.0.0.1:${server.address().port}/`,
    get sent() {
      return sent;
    },
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

// `python3 -m http.server` on `dir`: Last-Modified and 304s, no ETag, no compression.
async function pythonServer(dir) {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1'], {
    cwd: dir,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const port = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/port (\d+)/);
      if (m) ok(Number(m[1]));
    });
    child.on('exit', (code) => fail(new Error(`python3 -m http.server exited (${code})`)));
  });
  return { url: `http://127.0.0.1:${port}/`, close: () => child.kill() };
}

const server = await serve(site, { port: 0, isolated: true });
const first = stampOf(site);

async function offlineChecks() {
  const context = await openContext();
  const page = await newTab(context);
  await check('the first visit saves the page, the generation module and digits', async () => {
    await page.goto(server.url + PAGE);
    await waitForGenerations(page, 1);
    await waitOffline(page, 'ready');
    assert.equal(await page.evaluate(() => document.body.dataset.offlineBuild), first.build);
    assert.match(await page.textContent('#offline-status'), /^available offline/);
    const caches = await cached(page);
    const mine = caches[`webgan-build-${first.build}`] || [];
    for (const path of first.precache) assert.ok(mine.includes(path), `${path} is kept`);
    for (const later of ['pkg/webgan_bg.wasm', 'models/faces.wgan'])
      assert.ok(!mine.includes(later), `${later} waits for first use`);
    assert.deepEqual(Object.keys(caches), [`webgan-build-${first.build}`], 'one cache');
    assert.ok(
      await page.evaluate(() => Boolean(navigator.serviceWorker.controller)),
      'the worker controls the page from its first visit on',
    );
  });
  await check('with the network cut, a reload generates digits from the saved copy', async () => {
    await context.setOffline(true);
    await page.reload();
    await waitForGenerations(page, 1);
    const s = await gridStats(page);
    assert.deepEqual([s.width, s.height], [8 * 28, 8 * 28]);
    assert.ok(s.std > 40, `a varied grid: ${JSON.stringify(s)}`);
    await waitOffline(page, 'offline');
    assert.match(await page.textContent('#offline-status'), /^no network: running from the copy/);
    assert.ok(
      await page.evaluate(() => crossOriginIsolated),
      'the saved copy keeps the COOP/COEP headers',
    );
    const status = await page.textContent('#status');
    console.log(`  offline reload: ${status.replace(/^.*· /, '')}`);
    await context.setOffline(false);
  });
  await check('the faces model is kept when first used, and opens offline then', async () => {
    const before = Number(await page.evaluate(() => document.body.dataset.generations));
    await page.selectOption('#model', 'faces');
    await waitForGenerations(page, before + 1);
    const mine = (await cached(page))[`webgan-build-${first.build}`];
    assert.ok(mine.includes('models/faces.wgan'), 'faces.wgan kept');
    await context.setOffline(true);
    await page.goto(server.url + 'index.html#model=faces&seed=2');
    await page.reload();
    await waitForGenerations(page, 1);
    assert.equal((await gridStats(page)).width, 8 * 64);
    await context.setOffline(false);
  });
  await check('a rebuild: the open build is kept whole, Reload runs the new files', async () => {
    appendFileSync(join(site, 'app.js'), "\ndocument.documentElement.dataset.testBuild = '2';\n");
    execFileSync('node', ['scripts/stamp-sw.mjs', site], { stdio: 'ignore' });
    const second = stampOf(site);
    assert.notEqual(second.build, first.build);
    // This visit still runs the first build (its worker answers), while the second installs.
    await page.goto(server.url + PAGE);
    await page.reload();
    await waitForGenerations(page, 1);
    await waitOffline(page, 'update');
    assert.equal(
      await page.evaluate(() => document.documentElement.dataset.testBuild),
      undefined,
      'the open page keeps the first build',
    );
    assert.match(await page.textContent('#offline-status'), /new version is ready/);
    await Promise.all([page.waitForEvent('load'), page.click('#offline-reload')]);
    await waitForGenerations(page, 1);
    await waitOffline(page, 'ready');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.testBuild), '2');
    assert.equal(await page.evaluate(() => document.body.dataset.offlineBuild), second.build);
    const caches = await cached(page);
    assert.deepEqual(Object.keys(caches), [`webgan-build-${second.build}`], 'old build deleted');
    // A file the rebuild left alone came from the old cache, not the network: faces is kept.
    await page.close();
    const next = await newTab(context);
    await next.goto(server.url + PAGE);
    await waitForGenerations(next, 1);
    assert.equal(await next.evaluate(() => document.documentElement.dataset.testBuild), '2');
  });
  await context.close();
}

// A second visit on each kind of host: every file from the worker's cache; only sw.js (the
// browser's update check, twice here: its own and the one asked for below) crosses the network.
async function secondVisitChecks() {
  const python = await pythonServer(site);
  for (const [name, origin] of [
    ['scripts/serve.mjs (ETag)', server.url],
    ['python3 -m http.server (Last-Modified only)', python.url],
  ]) {
    await check(`a second visit from ${name} transfers under 50 kB`, async () => {
      const proxy = await countingProxy(origin);
      const head = await fetch(proxy.url + 'index.html', { method: 'HEAD' });
      if (origin === python.url) assert.equal(head.headers.get('etag'), null, 'no ETag');
      const context = await openContext();
      const visit = async () => {
        const start = proxy.sent;
        const page = await newTab(context);
        await page.goto(proxy.url + PAGE);
        await waitForGenerations(page, 1);
        await waitOffline(page, 'ready', 'update', 'error');
        assert.equal(await offlineState(page), 'ready');
        await page.evaluate(async () => (await navigator.serviceWorker.ready).update());
        await page.close();
        return proxy.sent - start;
      };
      const one = await visit();
      const two = await visit();
      console.log(`  ${name}: first visit ${one} bytes, second ${two} bytes`);
      assert.ok(one > 1_000_000, `the first visit downloads the module and digits (${one})`);
      assert.ok(two < SECOND_VISIT_MAX_BYTES, `second visit: ${two} bytes`);
      await context.close();
      proxy.close();
    });
  }
  python.close();
}

try {
  await offlineChecks();
  await secondVisitChecks();
} finally {
  server.close();
}
finish();
