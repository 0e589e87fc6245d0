// End-to-end test of the Train view in Debian's headless Chromium (playwright-core): training
// in a worker on WebGPU (SwiftShader here) and on the CPU fallback, the live views, pause, bad
// values, divergence, export to the Generate view, checkpoints, and the digits data set.
// Run after scripts/build-web.sh: `node tests/e2e/train.mjs` (npm run e2e:train).
// Screenshots and downloaded files go to $E2E_OUT (default test-results/).
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import assert from 'node:assert/strict';
import { serve } from './serve.mjs';
import { BASE_ARGS, check, finish, newPage } from './harness.mjs';

const OUT = process.env.E2E_OUT || 'test-results';
mkdirSync(OUT, { recursive: true });
// SwiftShader emulates the GPU on the CPU: shader compilation takes minutes on 2 cores, and a
// ring step about 2 s (the CPU backend: about 15 ms).
const SLOW = 10 * 60 * 1000;
// E2E_TRAIN=cpu (or webgpu) runs one browser's checks only, for quicker iterations.
const GROUPS = (process.env.E2E_TRAIN || 'webgpu,cpu').split(',');

async function openTrainView(server, webgpu) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: webgpu ? [...BASE_ARGS, '--enable-unsafe-webgpu'] : BASE_ARGS,
  });
  const page = await newPage(browser);
  // Every file the page and its workers ask for, in order.
  const requests = [];
  page.on('request', (r) => requests.push(r.url().replace(server.url, '')));
  await page.goto(server.url + 'index.html');
  await page.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1, null, {
    timeout: SLOW,
  });
  // Where the browser has WebGPU, the Generate view's "auto" then measures it in the
  // background (www/trial.js), loading the full module itself: let it settle first, and ask
  // the page's resource timings what came before the first grid.
  await page.waitForFunction(
    () => ['none', 'done', 'remembered', 'failed'].includes(document.body.dataset.trial),
    null,
    { timeout: SLOW },
  );
  const fullBeforeGrid = await page.evaluate(() =>
    performance
      .getEntriesByType('resource')
      .some(
        (e) =>
          new URL(e.name).pathname.includes('/pkg/') &&
          e.startTime < Number(document.body.dataset.firstGridMs),
      ),
  );
  const beforeTrain = requests.length;
  await page.click('#tab-train');
  await page.waitForFunction(() => window.webganTrain && window.webganTrain.backend, null, {
    timeout: SLOW,
  });
  // The Generate view's first grid (auto: the CPU here) needs only the generation module; the
  // Train view's worker loads the full one when the view opens.
  await check(
    `the training module is loaded when the Train view opens, not before (${webgpu ? 'WebGPU' : 'CPU'} browser)`,
    async () => {
      const early = requests.slice(0, beforeTrain);
      assert.ok(
        early.includes('pkg-gen/webgan_bg.wasm'),
        `the first grid used the generation module: ${early}`,
      );
      assert.ok(!fullBeforeGrid, `no full module before the first grid: ${early}`);
      if (!webgpu)
        assert.ok(
          !early.some((u) => u.startsWith('pkg/')),
          `no full module before the Train view: ${early}`,
        );
      // Which one: the full module for WebGPU or one CPU thread, the threaded build for more
      // (tests/e2e/threads.mjs); both start on the CPU here (auto, SwiftShader). Where the
      // trial loaded the full module already, the worker asks for it again (the Cache API
      // revalidates it).
      const later = requests.slice(beforeTrain);
      assert.ok(
        later.includes('pkg/webgan_bg.wasm') || later.includes('pkg-threads/webgan_bg.wasm'),
        `the Train view loaded a training module: ${later}`,
      );
    },
  );
  return { browser, page };
}

// The Backend menu forces WebGPU, whatever "auto" measured.
async function chooseWebGpu(page) {
  await page.selectOption('#train-backend-choice', 'webgpu');
  await page.waitForFunction(
    () => /^WebGPU/.test(document.querySelector('#train-backend summary')?.textContent || ''),
    null,
    { timeout: SLOW },
  );
}

// Starts a ring run under "auto" and waits until it trains: the backend trial (www/train-trial.js)
// runs first, and its state and count are on <body> (data-train-trial, data-train-trials).
async function startAutoRing(page) {
  await page.selectOption('#train-backend-choice', 'auto');
  await page.selectOption('#train-dataset', 'ring');
  await page.click('#train-start');
  await page.waitForFunction(
    () =>
      ['measured', 'remembered', 'failed'].includes(document.body.dataset.trainTrial) &&
      window.webganTrain.state === 'running',
    null,
    { timeout: SLOW },
  );
  await waitForSteps(page, 2);
  const trial = await page.evaluate(() => ({
    state: document.body.dataset.trainTrial,
    trials: Number(document.body.dataset.trainTrials),
    backend: window.webganTrain.backend,
  }));
  await page.click('#train-reset');
  await page.waitForFunction(() => window.webganTrain.state === 'idle');
  return trial;
}

const steps = (page) =>
  page.evaluate(() => Number(document.getElementById('train-steps').textContent));
const trainState = (page) => page.evaluate(() => window.webganTrain.state);
const statusText = (page) => page.textContent('#train-status');

async function waitForSteps(page, n, views = 0) {
  await page.waitForFunction(
    ([n, views]) => {
      if (document.getElementById('train-status').classList.contains('error')) return true;
      return (
        Number(document.getElementById('train-steps').textContent) >= n &&
        window.webganTrain.views >= views
      );
    },
    [n, views],
    { timeout: SLOW },
  );
  const error = await page.evaluate(() =>
    document.getElementById('train-status').classList.contains('error'),
  );
  if (error) throw new Error('page error: ' + (await statusText(page)));
}

// Pixel statistics of a canvas: brightness spread, share of saturated (coloured) pixels, and
// how many distinct colours (capped): a blank or flat canvas fails every test below.
async function canvasInk(page, id) {
  return page.evaluate((id) => {
    const c = document.getElementById(id);
    const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
    let sum = 0;
    let sq = 0;
    let coloured = 0;
    let hash = 0;
    const colours = new Set();
    for (let i = 0; i < d.length; i += 4) {
      const l = (d[i] + d[i + 1] + d[i + 2]) / 3;
      sum += l;
      sq += l * l;
      if (Math.max(d[i], d[i + 1], d[i + 2]) - Math.min(d[i], d[i + 1], d[i + 2]) > 60)
        coloured += 1;
      if (colours.size < 4096) colours.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
      hash = (hash * 31 + d[i] + d[i + 1] * 7 + d[i + 2] * 13) >>> 0;
    }
    const n = d.length / 4;
    const mean = sum / n;
    return {
      std: Math.sqrt(Math.max(0, sq / n - mean * mean)),
      coloured,
      colours: colours.size,
      hash,
      width: c.width,
    };
  }, id);
}

async function assertChartsDrawn(page) {
  for (const id of ['train-loss-chart', 'train-prob-chart']) {
    const ink = await canvasInk(page, id);
    assert.ok(ink.coloured > 300, `${id} has no lines: ${JSON.stringify(ink)}`);
  }
}

async function saveDownload(page, button, name) {
  const [download] = await Promise.all([
    page.waitForEvent('download', { timeout: SLOW }),
    page.click(button),
  ]);
  const path = `${OUT}/${name}`;
  await download.saveAs(path);
  return { path, suggested: download.suggestedFilename(), bytes: statSync(path).size };
}

// A GIF's screen size and frame count, read by walking its blocks (the format's own layout:
// header, screen descriptor, optional colour table, then extensions and images to the trailer).
function gifFrames(bytes) {
  assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
  const width = bytes.readUInt16LE(6);
  const height = bytes.readUInt16LE(8);
  const table = (flags) => (flags & 0x80 ? 3 * 2 ** ((flags & 7) + 1) : 0);
  let at = 13 + table(bytes[10]);
  const skipSubBlocks = () => {
    while (bytes[at] !== 0) at += bytes[at] + 1;
    at += 1;
  };
  let frames = 0;
  for (;;) {
    const block = bytes[at];
    if (block === 0x3b) break; // trailer
    if (block === 0x21) {
      at += 2; // extension introducer and label
      skipSubBlocks();
    } else if (block === 0x2c) {
      frames += 1;
      at += 10 + table(bytes[at + 9]) + 1; // descriptor, local colour table, LZW code size
      skipSubBlocks();
    } else {
      throw new Error(`not a GIF block at byte ${at}: ${block}`);
    }
  }
  return { width, height, frames };
}

async function generations(page) {
  return page.evaluate(() => Number(document.body.dataset.generations || 0));
}

// The first `n` digits of the page's own digits (dist/digits-*.gz, a gzipped IDX pair) as
// plain MNIST IDX files (images, labels).
function idxFromDigitsAsset(n) {
  const allImages = gunzipSync(readFileSync('dist/digits-images-idx3-ubyte.gz'));
  const allLabels = gunzipSync(readFileSync('dist/digits-labels-idx1-ubyte.gz'));
  const images = Buffer.alloc(16 + n * 784);
  allImages.copy(images, 0, 0, 16);
  images.writeUInt32BE(n, 4);
  allImages.copy(images, 16, 16, 16 + n * 784);
  const labels = Buffer.alloc(8 + n);
  labels.writeUInt32BE(0x801, 0);
  labels.writeUInt32BE(n, 4);
  allLabels.copy(labels, 8, 8, 8 + n);
  return { images, labels };
}

async function webgpuChecks(server) {
  const { browser, page } = await openTrainView(server, true);
  await check(
    '"auto" times a few steps on both backends and trains on the CPU because it measured it faster, showing both rates',
    async () => {
      // Before a run, the adapter-name rule's prior: the software adapter, so the CPU first.
      assert.match(
        await page.textContent('#train-backend summary'),
        /^CPU \((one thread|\d+ threads)\) — WebGPU here is a slow software emulation/,
      );
      const { state, trials, backend } = await startAutoRing(page);
      assert.equal(state, 'measured', 'the trial ran (not failed, not remembered)');
      assert.equal(trials, 1);
      assert.equal(backend.reasonCode, 'measured_cpu', backend.reason);
      assert.equal(backend.isGpu, false);
      assert.ok(
        backend.rates.cpu > backend.rates.gpu,
        `kept because measured faster: ${JSON.stringify(backend.rates)}`,
      );
      const summary = await page.textContent('#train-backend summary');
      console.log(`  # ${summary}`); // the figures, for docs/performance.md
      assert.match(
        summary,
        /^CPU \((one thread|\d+ threads)\): [\d.,]+ steps\/s, WebGPU [\d.,]+ steps\/s — training on the CPU$/,
      );
      assert.match(
        await page.textContent('#train-backend'),
        /Chosen by timing a few training steps of these settings on WebGPU and on the CPU/,
      );
    },
  );
  await check('the same settings again reuse the verdict: nothing is measured', async () => {
    const { state, trials, backend } = await startAutoRing(page);
    assert.equal(state, 'remembered');
    assert.equal(trials, 1, 'no second measurement');
    assert.equal(backend.reasonCode, 'measured_cpu');
    assert.match(
      await page.textContent('#train-backend summary'),
      /steps\/s — training on the CPU \(measured on an earlier visit\)$/,
    );
  });
  await check(
    'a new thread count moves a measured run to a new worker, still on the CPU as measured',
    async () => {
      await page.click('#train-step');
      await waitForSteps(page, 1);
      await page.waitForFunction(() => window.webganTrain.state === 'paused');
      await page.selectOption('#train-threads', '1');
      await page.waitForFunction(
        () => /^moved to 1 CPU thread/.test(document.getElementById('train-status').textContent),
        null,
        { timeout: SLOW },
      );
      const backend = await page.evaluate(() => window.webganTrain.backend);
      assert.equal(backend.reasonCode, 'measured_cpu', backend.reason);
      assert.equal(backend.isGpu, false);
      assert.equal(await steps(page), 1, 'the moved run kept its step');
      await page.click('#train-reset');
      await page.waitForFunction(() => window.webganTrain.state === 'idle');
    },
  );
  await check('the Backend menu still forces WebGPU', () => chooseWebGpu(page));
  await check('the Train view opens WebGPU in its worker and names it', async () => {
    assert.match(await page.textContent('#train-backend summary'), /^WebGPU/);
    assert.equal(await trainState(page), 'idle');
  });
  await check('invalid values are refused with a message and nothing starts', async () => {
    await page.selectOption('#train-dataset', 'ring');
    await page.fill('#train-batch', '0');
    await page.fill('#train-lr-g', 'fast');
    await page.fill('#train-r1', '-1');
    await page.click('#train-start');
    await page.waitForFunction(() =>
      document.getElementById('train-status').classList.contains('error'),
    );
    const text = await statusText(page);
    assert.match(text, /Not started: .*batch size must be a whole number from 1/);
    assert.match(text, /learning rate G must be a number above 0/);
    assert.match(text, /R1 γ must be a number from 0 to 1000 \(got "-1"\)/);
    assert.ok(
      await page.evaluate(() =>
        document.getElementById('train-status').classList.contains('error'),
      ),
    );
    assert.ok(
      await page.evaluate(() =>
        document.getElementById('train-batch').classList.contains('invalid'),
      ),
    );
    assert.equal(await trainState(page), 'idle');
    assert.equal(await steps(page), 0);
    await page.fill('#train-batch', '');
    await page.fill('#train-lr-g', '');
    await page.fill('#train-r1', '');
  });
  await check(
    'ring trains on WebGPU: the step count rises, steps/s, plot and charts drawn',
    async () => {
      await page.fill('#train-refresh', '2');
      await page.click('#train-start');
      await waitForSteps(page, 4, 2);
      await page.screenshot({ path: `${OUT}/train-ring.png`, fullPage: true });
      assert.ok(
        parseFloat(await page.textContent('#train-rate')) > 0,
        await page.textContent('#train-rate'),
      );
      const plot = await canvasInk(page, 'train-samples');
      assert.equal(plot.width, 448);
      assert.ok(
        plot.colours > 50 && plot.std > 10,
        `2-D plot looks blank: ${JSON.stringify(plot)}`,
      );
      // Early on D says about 0.5 everywhere (white): the generated points are the coloured pixels.
      assert.ok(plot.coloured > 50, `no generated points: ${JSON.stringify(plot)}`);
      await assertChartsDrawn(page);
      assert.match(await page.textContent('#train-quality'), /of 8 modes covered/);
      assert.match(await page.textContent('#train-memory'), /MiB/);
    },
  );
  await check(
    'pause stops the step counter: after it, one step moves it by exactly one',
    async () => {
      await page.click('#train-pause');
      // The worker says "paused" once the chunk in flight has reported: nothing follows it.
      await page.waitForFunction(() => window.webganTrain.state === 'paused');
      assert.ok(await page.isDisabled('#train-pause'));
      const a = await steps(page);
      await page.click('#train-step');
      await waitForSteps(page, a + 1);
      await page.waitForFunction(() => window.webganTrain.state === 'paused');
      assert.equal(await steps(page), a + 1, 'the counter moved by more than the one step');
    },
  );
  await check(
    'switching the backend to the CPU moves the run along (checkpoint and resume)',
    async () => {
      const at = await steps(page);
      await page.selectOption('#train-backend-choice', 'cpu');
      await page.waitForFunction(
        () => /^CPU/.test(document.querySelector('#train-backend summary')?.textContent || ''),
        null,
        { timeout: SLOW },
      );
      await page.waitForFunction(
        () => window.webganTrain.state === 'paused' && window.webganTrain.info.steps >= 0,
        null,
        { timeout: SLOW },
      );
      assert.equal(await steps(page), at);
      await page.click('#train-step');
      await waitForSteps(page, at + 1);
      await assertChartsDrawn(page); // the history survives the move
    },
  );
  await check(
    'the exported ring generator loads in the Generate view (#weights-file) as a scatter',
    async () => {
      const file = await saveDownload(page, '#train-export-generator', 'train-ring-generator.wgan');
      assert.match(file.suggested, /^webgan-ring-step\d+\.wgan$/);
      assert.ok(file.bytes > 1000, `generator file is ${file.bytes} bytes`);
      await page.click('#tab-generate');
      await page.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1, null, {
        timeout: SLOW,
      });
      const before = await generations(page);
      await page.setInputFiles('#weights-file', file.path);
      await page.waitForFunction(
        (n) =>
          Number(document.body.dataset.generations) > n || document.body.dataset.state === 'error',
        before,
        { timeout: SLOW },
      );
      await page.screenshot({ path: `${OUT}/train-ring-in-generate.png`, fullPage: true });
      assert.match(await page.textContent('#status'), /512 samples \(2-D points\) in \d+ ms/);
      const scatter = await canvasInk(page, 'samples');
      assert.equal(scatter.width, 672);
      // A generator trained for a few steps puts its points close together: they still show.
      assert.ok(scatter.coloured > 100, `no points drawn: ${JSON.stringify(scatter)}`);
      assert.ok(await page.isHidden('.explore'), 'no latent exploration for 2-D models');
    },
  );
  await browser.close();
}

async function cpuChecks(server) {
  const cpu = await openTrainView(server, false);
  const p = cpu.page;
  await check('without WebGPU the Train view falls back to the CPU and says why', async () => {
    // Chromium without the WebGPU flag has navigator.gpu but no adapter.
    assert.match(
      await p.textContent('#train-backend summary'),
      /^CPU \((one thread|\d+ threads)\) — this browser('s WebGPU found no usable GPU| has no WebGPU)/,
    );
  });
  await check(
    'the page and `webgan train` give the same losses for the same spec and seed (one trainer)',
    async () => {
      // The CLI built by the native tests (scripts/test.sh runs them first).
      const cli =
        process.env.WEBGAN_BIN ||
        join(process.env.CARGO_TARGET_DIR || 'target', 'release', 'webgan');
      const dir = mkdtempSync(join(tmpdir(), 'webgan-same-run-'));
      execFileSync(cli, [
        'train',
        '--preset',
        'ring',
        '--steps',
        '3',
        '--quiet',
        '--sample-every',
        '0',
        '--checkpoint-every',
        '0',
        '--out',
        dir,
      ]);
      const fromCli = readFileSync(join(dir, 'log.jsonl'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
      await p.selectOption('#train-dataset', 'ring');
      const fromPage = [];
      for (let k = 1; k <= 3; k++) {
        await p.click('#train-step');
        await waitForSteps(p, k);
        await p.waitForFunction(
          (k) => window.webganTrain.stats && window.webganTrain.stats.step === k,
          k,
          { timeout: SLOW },
        );
        fromPage.push(await p.evaluate(() => window.webganTrain.stats));
      }
      for (let k = 0; k < 3; k++) {
        for (const key of ['d_loss', 'g_loss', 'd_real', 'd_fake']) {
          const [a, b] = [fromCli[k][key], fromPage[k][key]];
          // Same code, same seed; only the order of float sums differs (native threads vs wasm).
          assert.ok(
            Math.abs(a - b) <= 1e-3 * Math.max(1, Math.abs(a)),
            `step ${k + 1} ${key}: CLI ${a}, page ${b}`,
          );
        }
      }
      rmSync(dir, { recursive: true, force: true });
      // "auto" without a WebGPU adapter has nothing to measure: the CPU, no trial.
      assert.equal(await p.evaluate(() => document.body.dataset.trainTrial), 'none');
      await p.click('#train-reset');
    },
  );
  await check(
    'ring on the CPU: a rate is shown; a hidden tab pauses training and says so',
    async () => {
      await p.selectOption('#train-dataset', 'ring');
      await p.fill('#train-refresh', '10');
      await p.click('#train-start');
      await waitForSteps(p, 100, 3);
      assert.ok(
        parseFloat(await p.textContent('#train-rate')) > 0,
        await p.textContent('#train-rate'),
      );
      await assertChartsDrawn(p);
      await p.evaluate(() => {
        Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
        document.dispatchEvent(new Event('visibilitychange'));
      });
      await p.waitForFunction(() => window.webganTrain.state === 'paused', null, {
        timeout: 30000,
      });
      assert.match(await statusText(p), /tab was hidden/);
      await p.evaluate(() => {
        delete document.hidden;
      });
    },
  );
  await check(
    'slow motion: one step at a time, with the views refreshed at every step',
    async () => {
      await p.check('#train-slow');
      const s0 = await steps(p);
      const v0 = await p.evaluate(() => window.webganTrain.views);
      await p.click('#train-start');
      await waitForSteps(p, s0 + 4);
      await p.click('#train-pause');
      await p.waitForFunction(() => window.webganTrain.state === 'paused');
      const ds = (await steps(p)) - s0;
      const dv = (await p.evaluate(() => window.webganTrain.views)) - v0;
      assert.ok(ds >= 4, `${ds} steps of slow motion`);
      assert.equal(await p.evaluate(() => window.webganTrain.stats.chunk), 1, 'one step a chunk');
      assert.ok(dv >= ds, `${dv} view refreshes for ${ds} steps`);
      await p.uncheck('#train-slow');
    },
  );
  await check('"Open in Generate view" shows the trained generator there', async () => {
    await p.waitForFunction(() => Number(document.body.dataset.generations || 0) >= 1, null, {
      timeout: SLOW,
    });
    const before = await generations(p);
    await p.click('#train-open-generate');
    await p.waitForFunction((n) => Number(document.body.dataset.generations) > n, before, {
      timeout: SLOW,
    });
    assert.ok(await p.isVisible('#view-generate'));
    assert.match(await p.inputValue('#model'), /^webgan-ring-step\d+\.wgan$/);
    assert.match(await p.textContent('#status'), /512 samples/);
    await p.click('#tab-train');
  });
  await check(
    'a checkpoint downloads, and resuming it after Reset continues at the same step',
    async () => {
      const at = await steps(p);
      const file = await saveDownload(p, '#train-export-checkpoint', 'train-ring-checkpoint.wgan');
      assert.match(file.suggested, new RegExp(`step${at}-checkpoint\\.wgan$`));
      await p.click('#train-reset');
      assert.equal(await steps(p), 0);
      assert.equal(await trainState(p), 'idle');
      await p.setInputFiles('#train-resume-file', file.path);
      await p.waitForFunction(() => window.webganTrain.state === 'paused', null, { timeout: SLOW });
      assert.equal(await steps(p), at);
      assert.match(await statusText(p), new RegExp(`resumed at step ${at}`));
      await p.click('#train-step');
      await waitForSteps(p, at + 1);
    },
  );
  await check(
    'a corrupt checkpoint is refused with a message and the current run stays',
    async () => {
      const at = await steps(p);
      await p.setInputFiles('#train-resume-file', {
        name: 'broken.wgan',
        mimeType: 'application/octet-stream',
        buffer: Buffer.from('not a checkpoint'),
      });
      await p.waitForFunction(
        () => document.getElementById('train-status').classList.contains('error'),
        null,
        { timeout: 60000 },
      );
      assert.match(await statusText(p), /^Could not resume: .*not a webgan weights file/);
      await p.waitForFunction(() => window.webganTrain.state === 'paused', null, {
        timeout: 60000,
      });
      assert.equal(await steps(p), at);
      await p.click('#train-step');
      await p.waitForFunction(
        (n) => Number(document.getElementById('train-steps').textContent) > n,
        at,
        { timeout: SLOW },
      );
    },
  );
  await check(
    'a diverging step stops with an explanation and the rolled-back weights still train',
    async () => {
      const at = await steps(p);
      await p.evaluate(() => window.webganTrain.injectNan());
      await p.click('#train-step');
      // Wait for this error, not any error: the previous check's message may still be showing.
      await p.waitForFunction(
        () => /diverged/.test(document.getElementById('train-status').textContent),
        null,
        { timeout: 120000 },
      );
      assert.match(await statusText(p), /diverged.*rolled back to step \d+/);
      assert.ok(
        await p.evaluate(() => document.getElementById('train-status').classList.contains('error')),
      );
      assert.equal(await trainState(p), 'paused');
      const rolled = await p.evaluate(
        () => window.webganTrain.info && Number(document.getElementById('train-steps').textContent),
      );
      assert.ok(rolled <= at, `step count ${rolled} after divergence at ${at}`);
      await p.click('#train-step');
      // The step lands (the counter moves past the rollback) and the status moves on from the
      // divergence message (it arrives just after the step's statistics).
      await p.waitForFunction(
        (n) =>
          Number(document.getElementById('train-steps').textContent) > n &&
          !/diverged/.test(document.getElementById('train-status').textContent),
        rolled,
        { timeout: SLOW },
      );
      assert.doesNotMatch(await statusText(p), /diverged/);
    },
  );
  await check(
    "the form's defaults for digits are the page's minutes recipe, as Rust resolves it",
    async () => {
      await p.click('#train-reset');
      await p.selectOption('#train-dataset', 'digits');
      const shown = () =>
        p.evaluate(() =>
          Object.fromEntries(
            ['train-width', 'train-batch', 'train-lr-g', 'train-lr-d'].map((id) => [
              id,
              document.getElementById(id).placeholder,
            ]),
          ),
        );
      await p.waitForFunction(
        () => document.getElementById('train-width').placeholder !== 'default',
      );
      // The minutes recipe (presets::Recipe, measured in docs/training-in-minutes.md).
      assert.deepEqual(await shown(), {
        'train-width': '32',
        'train-batch': '32',
        'train-lr-g': '0.001',
        'train-lr-d': '0.001',
      });
      assert.equal(await p.isChecked('#train-class-norm'), true, 'class batch norm on for digits');
      // A toy set has its own defaults; "your own files" lets the data decide.
      await p.selectOption('#train-dataset', 'ring');
      await p.waitForFunction(() => document.getElementById('train-batch').placeholder === '256');
      assert.equal(await p.isChecked('#train-class-norm'), false, 'no classes, no class norm');
    },
  );
  await check(
    'digits (the default data, no files needed) train, the sample grid is drawn, the meter reads them',
    async () => {
      await p.click('#train-reset');
      await p.selectOption('#train-dataset', 'digits');
      await p.fill('#train-refresh', '10');
      await p.click('#train-start');
      // A new generator draws near-uniform grey: after a few dozen steps the digits' strokes begin.
      await waitForSteps(p, 30, 4);
      const grid = await canvasInk(p, 'train-samples');
      assert.equal(grid.width, 10 * 28, 'one column per class');
      assert.ok(
        grid.std > 10 && grid.colours > 20,
        `sample grid looks blank: ${JSON.stringify(grid)}`,
      );
      assert.match(
        await p.textContent('#train-data-summary'),
        /10000 images from digits-images-idx3-ubyte\.gz \(28x28 grey, labelled 0-9\)/,
      );
      // The minutes recipe's class batch norm, left to the recipe by the form.
      assert.match(await p.textContent('#train-effective'), /class_norm true/);
      assert.match(await p.textContent('#train-quality'), /diversity .* \(ratio \d/);
      await assertChartsDrawn(p);
      // The quality meter: the classifier's reading of the fixed latents, in one sentence.
      await p.waitForFunction(() => !document.getElementById('train-meter').hidden);
      assert.match(await p.textContent('#train-meter-sentence'), /digits readable/);
      await p.click('#train-pause');
      await p.screenshot({ path: `${OUT}/train-digits.png`, fullPage: true });
    },
  );
  await check(
    'the time-lapse saves as an animated GIF of the grid, one frame per view and the current step',
    async () => {
      await p.waitForFunction(() => window.webganTrain.state === 'paused');
      const frames = await p.evaluate(() => window.webganTrain.frames);
      const at = await steps(p);
      assert.ok(frames >= 2, `${frames} frames recorded`);
      const file = await saveDownload(p, '#train-export-timelapse', 'train-digits-timelapse.gif');
      assert.match(file.suggested, new RegExp(`^webgan-digits-timelapse-step${at}\\.gif$`));
      const gif = gifFrames(readFileSync(file.path));
      assert.deepEqual([gif.width, gif.height], [10 * 28, 8 * 28]);
      // The frames recorded, plus the current step's unless the last view drew that step.
      assert.ok(gif.frames === frames || gif.frames === frames + 1, `${gif.frames} vs ${frames}`);
      assert.match(await statusText(p), new RegExp(`time-lapse of steps 0 to ${at} saved`));
    },
  );
  await check(
    'MNIST IDX files (images gzipped, labels plain) train as a conditional data set, here with spectral norm, class batch norm and every D lever',
    async () => {
      const { images, labels } = idxFromDigitsAsset(64);
      await p.click('#train-reset');
      await p.selectOption('#train-dataset', 'files');
      await p.setInputFiles('#train-files', [
        {
          name: 'train-images-idx3-ubyte.gz',
          mimeType: 'application/gzip',
          buffer: gzipSync(images),
        },
        { name: 'train-labels-idx1-ubyte', mimeType: 'application/octet-stream', buffer: labels },
      ]);
      await p.fill('#train-batch', '16');
      await p.check('#train-spectral');
      await p.check('#train-class-norm');
      const levers = {
        '#train-beta1': '0',
        '#train-beta2': '0.99',
        '#train-d-width': '2',
        '#train-aux': '0.1',
        '#train-r1': '1',
      };
      for (const [id, value] of Object.entries(levers)) await p.fill(id, value);
      await p.selectOption('#train-upsample', 'resize');
      await p.click('#train-step');
      await waitForSteps(p, 1, 2);
      assert.match(
        await p.textContent('#train-data-summary'),
        /64 images from train-images-idx3-ubyte\.gz \(28x28 grey, labelled 0-9\)/,
      );
      assert.match(await p.textContent('#train-effective'), /n_classes 10/);
      assert.match(await p.textContent('#train-effective'), /spectral_norm true/);
      assert.match(await p.textContent('#train-effective'), /class_norm true/);
      const effective = await p.textContent('#train-effective');
      for (const used of [
        'beta1 0,',
        'beta2 0.99',
        'd_width_factor 2',
        'aux_weight 0.1',
        'r1_weight 1',
        'upsample resize',
      ])
        assert.ok(effective.includes(used), `${used} in ${effective}`);
      for (const id of Object.keys(levers)) await p.fill(id, '');
      await p.selectOption('#train-upsample', '');
      await p.uncheck('#train-spectral');
      await p.uncheck('#train-class-norm');
    },
  );
  await check(
    'image files are centre-cropped to 32x32 RGB; undecodable ones are skipped and counted',
    async () => {
      // Twelve 40x30 colour PNGs, drawn by the browser itself, and one broken file.
      const pngs = await p.evaluate(async () => {
        const out = [];
        for (let i = 0; i < 12; i++) {
          const c = new OffscreenCanvas(40, 30);
          const ctx = c.getContext('2d');
          ctx.fillStyle = `hsl(${i * 30}, 80%, 50%)`;
          ctx.fillRect(0, 0, 40, 30);
          ctx.fillStyle = '#fff';
          ctx.beginPath();
          ctx.arc(20, 15, 8, 0, 7);
          ctx.fill();
          const bytes = new Uint8Array(await (await c.convertToBlob()).arrayBuffer());
          out.push(btoa(String.fromCharCode(...bytes)));
        }
        return out;
      });
      await p.click('#train-reset');
      await p.setInputFiles('#train-files', [
        ...pngs.map((b64, i) => ({
          name: `photo-${i}.png`,
          mimeType: 'image/png',
          buffer: Buffer.from(b64, 'base64'),
        })),
        { name: 'broken.png', mimeType: 'image/png', buffer: Buffer.from('not a png') },
      ]);
      await p.fill('#train-batch', '8');
      await p.click('#train-step');
      await waitForSteps(p, 1, 2);
      assert.match(
        await p.textContent('#train-data-summary'),
        /12 images \(32x32 RGB, centre-cropped\); skipped 1 undecodable file\(s\): broken\.png/,
      );
      const grid = await canvasInk(p, 'train-samples');
      assert.equal(grid.width, 8 * 32);
      assert.ok(grid.colours > 5, `nothing drawn: ${JSON.stringify(grid)}`);
      await p.fill('#train-batch', '');
    },
  );
  await check('bad training files give a readable error', async () => {
    await p.click('#train-reset');
    await p.selectOption('#train-dataset', 'files');
    await p.setInputFiles('#train-files', [
      { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('not an image') },
    ]);
    await p.click('#train-start');
    await p.waitForFunction(
      () => document.getElementById('train-status').classList.contains('error'),
      null,
      { timeout: SLOW },
    );
    assert.match(
      await statusText(p),
      /none of the 1 file\(s\) is an image this browser can decode or an MNIST IDX file/,
    );
    assert.equal(await trainState(p), 'idle');
  });
  await cpu.browser.close();
}

const server = await serve('dist');
try {
  if (GROUPS.includes('webgpu')) await webgpuChecks(server);
  if (GROUPS.includes('cpu')) await cpuChecks(server);
} finally {
  server.close();
}
finish();
