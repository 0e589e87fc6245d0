// Benchmark of "auto" with WebGPU enabled (numbers, not a test): the bytes (every file the
// page asked for, gzipped as a server would send it) and time to the first grid, the time from
// load until the page settles on the backend it keeps (the background trial, www/trial.js),
// the bytes fetched in the background, and the same for a second visit, which reuses the
// stored verdict. Debian's headless Chromium with --enable-unsafe-webgpu (SwiftShader here).
// Run after scripts/build-web.sh: `node tests/e2e/trial-bench.mjs` (RUNS=3 by default).
import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { serve } from './serve.mjs';
import { launch } from './harness.mjs';

const RUNS = Number(process.env.RUNS || 3);
const WAIT = { timeout: 15 * 60 * 1000 };
const gzipOf = new Map();
const gzipBytes = (files) =>
  [...files].reduce((sum, f) => {
    if (!gzipOf.has(f)) gzipOf.set(f, gzipSync(readFileSync(`dist/${f}`), { level: 9 }).length);
    return sum + gzipOf.get(f);
  }, 0);

// One visit in `context`: files asked for before the first grid and after it, and the page's
// own clock marks (ms after navigation).
async function visit(context, server) {
  const page = await context.newPage();
  const files = [];
  page.on('request', (r) => {
    if (r.url().startsWith(server.url))
      files.push(new URL(r.url()).pathname.slice(1) || 'index.html');
  });
  await page.goto(server.url + 'index.html#model=digits&seed=1');
  await page.waitForFunction(() => document.body.dataset.firstGridMs !== undefined, null, WAIT);
  const before = new Set(files);
  await page.waitForFunction(
    () => ['none', 'done', 'remembered', 'failed'].includes(document.body.dataset.trial),
    null,
    WAIT,
  );
  const after = new Set(files.filter((f) => !before.has(f)));
  const r = await page.evaluate(() => ({
    firstGridMs: Number(document.body.dataset.firstGridMs),
    settledMs: Number(document.body.dataset.settledMs),
    trial: document.body.dataset.trial,
    backend: document.getElementById('backend').dataset.backend,
    sentence: document.querySelector('#backend summary').textContent.trim(),
  }));
  await page.close();
  return { ...r, beforeGzip: gzipBytes(before), backgroundGzip: gzipBytes(after), after };
}

const server = await serve('dist');
try {
  for (let run = 0; run < RUNS; run++) {
    const browser = await launch(chromium, true);
    const context = await browser.newContext({ serviceWorkers: 'block' });
    for (const which of ['first visit', 'second visit']) {
      const r = await visit(context, server);
      console.log(
        `${which}: first grid ${r.firstGridMs} ms after ${(r.beforeGzip / 1e6).toFixed(2)} MB; ` +
          `settled (${r.trial}, ${r.backend}) ${r.settledMs} ms; background ` +
          `${(r.backgroundGzip / 1e6).toFixed(2)} MB [${[...r.after].join(', ')}]; "${r.sentence}"`,
      );
    }
    await browser.close();
  }
} finally {
  server.close();
}
