// End-to-end test of the page's threaded CPU build (pkg-threads/) in Debian's headless Chromium:
//  - it computes what the single-threaded module computes (64 digits of the shipped model; two
//    digits training steps from one seed), within the tolerances below;
//  - the Train view trains on it where the page is cross-origin isolated, and says so;
//  - served without COOP/COEP, the Train view falls back to one thread and says why;
//  - a new thread setting moves a run to a new worker, its step kept.
// Run after scripts/build-web.sh: `node tests/e2e/threads.mjs`.
import { chromium } from 'playwright-core';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { check, finish, launch, newPage, runCpuWorker } from './harness.mjs';

const SLOW = 10 * 60 * 1000;
// Threads split sums differently (burn's reductions; our weight gradients' pieces), so results
// differ by float rounding: generation (no training) within 1e-5, and after two training steps
// losses within 1e-3 relative and the watched samples within 1e-3 (tanh outputs in [-1, 1]).
const TOLERANCE = { images: 1e-5, loss: 1e-3, samples: 1e-3 };

const maxDiff = (a, b) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

async function openTrainView(browser, server) {
  const page = await newPage(browser);
  await page.goto(server.url + 'index.html');
  await page.click('#tab-train');
  await page.selectOption('#train-backend-choice', 'cpu');
  await page.waitForFunction(
    () => window.webganTrain.backend && !window.webganTrain.backend.isGpu,
    null,
    { timeout: SLOW },
  );
  return page;
}

const backendText = (page) => page.textContent('#train-backend');
const steps = (page) =>
  page.evaluate(() => Number(document.getElementById('train-steps').textContent));

const browser = await launch(chromium);
const isolated = await serve('dist');
const plain = await serve('dist', { isolated: false });
try {
  await check(
    'the threaded build computes what the single-threaded one does (generation and two training steps)',
    async () => {
      const page = await newPage(browser);
      await page.goto(isolated.url + 'index.html');
      assert.equal(
        await page.evaluate(() => self.crossOriginIsolated),
        true,
        'the test server isolates the page',
      );
      const [one, two] = await runCpuWorker(page, isolated.url, {
        runs: [
          { kind: 'full', threads: 1 },
          { kind: 'threads', threads: 2 },
        ],
        genRounds: 1,
        trainSteps: 2,
        warmup: 0,
      });
      assert.equal(one.threads, 1);
      assert.equal(two.threads, 2, `the pool runs 2 threads: ${two.description}`);
      assert.match(two.description, /2 threads/);
      assert.equal(one.images.length, 64 * 28 * 28);
      const images = maxDiff(one.images, two.images);
      assert.ok(images <= TOLERANCE.images, `64 digits differ by up to ${images}`);
      for (const key of ['d_loss', 'g_loss']) {
        const rel =
          Math.abs(one.stats[key] - two.stats[key]) / Math.max(1e-6, Math.abs(one.stats[key]));
        assert.ok(rel <= TOLERANCE.loss, `${key}: ${one.stats[key]} vs ${two.stats[key]}`);
      }
      const samples = maxDiff(one.samples, two.samples);
      assert.ok(samples <= TOLERANCE.samples, `the watched samples differ by up to ${samples}`);
      console.log(
        `  differences: images ${images.toExponential(2)}, samples ${samples.toExponential(2)}; ` +
          `d_loss ${one.stats.d_loss} vs ${two.stats.d_loss}`,
      );
      await page.close();
    },
  );

  await check(
    'an isolated page trains on the threaded build and says how many threads',
    async () => {
      const page = await openTrainView(browser, isolated);
      const text = await backendText(page);
      assert.match(text, /2 threads/, text);
      assert.match(text, /one per core/, text);
      await page.selectOption('#train-dataset', 'ring');
      await page.click('#train-step');
      await page.waitForFunction(
        () => Number(document.getElementById('train-steps').textContent) >= 1,
        null,
        { timeout: SLOW },
      );
      // The shared memory's size is shown too (a SharedArrayBuffer, not an ArrayBuffer).
      const memory = await page.textContent('#train-memory');
      assert.match(memory, /^[1-9][\d.]* MiB$/, `wasm memory shown as "${memory}"`);
      // A new thread setting moves the run to a new worker, its step kept.
      await page.click('#train-step');
      await page.waitForFunction(
        () => Number(document.getElementById('train-steps').textContent) >= 2,
        null,
        { timeout: SLOW },
      );
      await page.selectOption('#train-threads', '1');
      await page.waitForFunction(
        () => /one thread, as set/.test(document.getElementById('train-backend').textContent),
        null,
        { timeout: SLOW },
      );
      await page.waitForFunction(
        () => /moved to 1 CPU thread/.test(document.getElementById('train-status').textContent),
        null,
        { timeout: SLOW },
      );
      assert.equal(await steps(page), 2, 'the moved run kept its step');
      await page.click('#train-step');
      await page.waitForFunction(
        () => Number(document.getElementById('train-steps').textContent) >= 3,
        null,
        { timeout: SLOW },
      );
      await page.close();
    },
  );

  await check('a page served without COOP/COEP trains on one thread and says why', async () => {
    const page = await openTrainView(browser, plain);
    assert.equal(await page.evaluate(() => self.crossOriginIsolated), false);
    const text = await backendText(page);
    assert.match(text, /one thread/, text);
    assert.match(text, /not cross-origin isolated/, text);
    await page.selectOption('#train-dataset', 'ring');
    await page.click('#train-step');
    await page.waitForFunction(
      () => Number(document.getElementById('train-steps').textContent) >= 1,
      null,
      { timeout: SLOW },
    );
    await page.close();
  });
} finally {
  await browser.close();
  isolated.close();
  plain.close();
}
finish();
